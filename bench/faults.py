"""The fault matrix: every fault a source's server can commit, against each source type, on loopback.

For each run: a source is read once while healthy, then while its server commits the fault; the
programme published after the fault is compared with the healthy one (the machinery is tests/faultlab.py,
shared with tests/test_fault_matrix.py).

    python bench/faults.py [--only FAULT] [--type ics|csv|json]

Columns: events lost, events falsely cancelled, events whose text changed, time to finish the refresh,
whether `calfeed check` and /etat flag the source, and whether /etat shows anything the server sent.
Target: 0 lost, 0 falsely cancelled, 0 altered, every fault flagged, every run within its deadline.
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT / "src", ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
from faultlab import DEADLINE, FAULTS, RETRIES, TIMEOUT, TYPES, Row, run_fault


def run_matrix(faults=None, kinds=TYPES) -> list[Row]:
    rows = []
    for fault in faults or FAULTS:
        for kind in kinds:
            with tempfile.TemporaryDirectory() as folder:
                rows.append(run_fault(fault, kind, Path(folder)))
    return rows


def format_table(rows: list[Row]) -> str:
    lines = ["| Panne | Type | Perdus | Faussement annulés | Texte altéré | Durée (s) | check | /etat | Fuite | Bilan |",
             "|---|---|---:|---:|---:|---:|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row.fault} | {row.kind} | {row.lost} | {row.cancelled} | {row.altered} | "
                     f"{row.seconds:.2f} | {'signalé' if row.check_flag else 'muet'} | "
                     f"{'signalé' if row.status_flag else 'muet'} | {'OUI' if row.leak else 'non'} | "
                     f"{'ok' if row.passed else 'ÉCHEC'} |")
    failed = [row for row in rows if not row.passed]
    lines.append("")
    lines.append(f"{len(rows) - len(failed)}/{len(rows)} passages conformes ; délai promis par passage : "
                 f"{DEADLINE:.1f} s (timeout {TIMEOUT:.0f} s × {RETRIES + 1} tentatives).")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=list(FAULTS), help="Cette panne seulement (répétable).")
    parser.add_argument("--type", dest="kinds", action="append", choices=TYPES, help="Ce type seulement (json : un "
                        "export OpenAgenda ; openagenda : l'API, page par page).")
    parser.add_argument("--details", action="store_true", help="Afficher ce que calfeed a dit de chaque panne.")
    args = parser.parse_args()
    rows = run_matrix(args.only, args.kinds or TYPES)
    print(format_table(rows))
    if args.details:
        for row in rows:
            print(f"- {row.fault} / {row.kind} : {row.detail}")
    sys.exit(0 if all(row.passed for row in rows) else 1)


if __name__ == "__main__":
    main()
