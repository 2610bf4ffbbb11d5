"""The fault matrix of bench/faults.py as tests: each fault against each source type, on loopback servers."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import faults

CASES = [pytest.param(fault, kind, id=f"{fault}-{kind}") for fault in faults.FAULTS for kind in faults.TYPES]


@pytest.mark.parametrize(("fault", "kind"), CASES)
def test_fault_publishes_nothing_false(fault, kind, tmp_path):
    row = faults.run_fault(fault, kind, tmp_path)
    assert (row.lost, row.cancelled, row.altered) == (0, 0, 0), row
    assert not row.leak, "la page /etat montre ce que le serveur a envoyé"
    assert row.within_deadline, f"{row.seconds:.2f} s pour un délai de {faults.DEADLINE} s"
    if fault not in faults.NOTHING_TO_FLAG:
        assert row.check_flag and row.status_flag, row
