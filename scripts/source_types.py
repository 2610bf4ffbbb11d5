"""Write the documentation of the source types from their registry (src/calfeed/sources/): the README's
« Types de source » section and the `sources:` part of the starter sources.yaml written by `calfeed init`.

    python scripts/source_types.py          # rewrite both parts in place
    python scripts/source_types.py --check  # exit 1, writing nothing, if a part is not what the registry says

tests/test_source_types.py runs the check: a source type changed without this script fails the suite."""

import sys
from pathlib import Path

from calfeed.init import CONFIG_NAME, STARTER
from calfeed.sources.reference import (README_END, README_START, STARTER_END, STARTER_START, readme_section,
                                       replaced, starter_section)

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ((ROOT / "README.md", README_START, README_END, readme_section),
           (STARTER / CONFIG_NAME, STARTER_START, STARTER_END, starter_section))


def stale() -> list[Path]:
    """The files whose written part differs from what the registry says."""
    return [path for path, start, end, write in TARGETS
            if replaced(path.read_text(encoding="utf-8"), start, end, write()) != path.read_text(encoding="utf-8")]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        late = stale()
        for path in late:
            print(f"{path} : la partie écrite depuis src/calfeed/sources/ n'est plus à jour ; "
                  "lancez « python scripts/source_types.py ».")
        return 1 if late else 0
    for path, start, end, write in TARGETS:
        text = path.read_text(encoding="utf-8")
        path.write_text(replaced(text, start, end, write()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
