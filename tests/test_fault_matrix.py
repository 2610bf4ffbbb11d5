"""The fault matrix (tests/faultlab.py, printed by bench/faults.py) as tests: each fault against each source type, on loopback servers."""

import pytest

import faultlab as faults

# `make test` runs each fault against one source type, in turn, so that every fault and every type is run;
# the other pairs are marked slow (`make test-complet`).
CASES = [pytest.param(fault, kind, id=f"{fault}-{kind}",
                      marks=() if kind == faults.TYPES[n % len(faults.TYPES)] else pytest.mark.slow)
         for n, fault in enumerate(faults.FAULTS) for kind in faults.TYPES]


@pytest.mark.parametrize(("fault", "kind"), CASES)
def test_fault_publishes_nothing_false(fault, kind, tmp_path):
    row = faults.run_fault(fault, kind, tmp_path)
    assert (row.lost, row.cancelled, row.altered) == (0, 0, 0), row
    assert not row.leak, "la page /etat montre ce que le serveur a envoyé"
    assert row.within_deadline, f"{row.seconds:.2f} s pour un délai de {faults.DEADLINE} s"
    if fault not in faults.NOTHING_TO_FLAG:
        assert row.check_flag and row.status_flag, row
