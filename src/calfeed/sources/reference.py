"""The documentation of the source types, written from the registry: the README's « Types de source »
section and the `sources:` part of the starter sources.yaml (`calfeed init`). `scripts/source_types.py`
writes them into their files; tests/test_source_types.py fails when a file differs from what is written here."""

from . import COMMON_KEYS, SOURCE_TYPES, type_keys
from .kind import Key

README_START = "<!-- début : écrit par « python scripts/source_types.py » depuis src/calfeed/sources/ -->"
README_END = "<!-- fin de la partie écrite par scripts/source_types.py -->"
STARTER_START = "# --- début : écrit par « python scripts/source_types.py » depuis src/calfeed/sources/ ---"
STARTER_END = "# --- fin de la partie écrite par scripts/source_types.py ---"


def _yaml_line(name: str, key: Key, note: str = "") -> str:
    return f"    {name}: {key.example}".ljust(37) + f" # {note}{key.help}"


def readme_section() -> str:
    """The README's « Types de source » section, markers included."""
    lines = [README_START, "### Types de source", "",
             "| `type:` | ce que la source contient | clés propres |", "|---|---|---|"]
    for kind in SOURCE_TYPES.values():
        own = ", ".join(f"`{name}`" for name in kind.keys) or "—"
        lines.append(f"| `{kind.name}` | {kind.summary} | {own} |")
    lines += ["", "Les clés d'une source, communes à tous les types puis propres à certains :", "", "```yaml",
              "sources:", "  - " + _yaml_line("id", COMMON_KEYS["id"])[4:]]
    lines += [_yaml_line(name, key) for name, key in COMMON_KEYS.items() if name != "id"]
    lines += [_yaml_line(name, key, f"{', '.join(owners)} : ") for name, key, owners in type_keys()]
    lines += ["```", ""]
    for kind in SOURCE_TYPES.values():
        lines += [kind.doc, ""]
    lines += ["*Cette partie est écrite depuis `src/calfeed/sources/` (un module par type) par "
              "`python scripts/source_types.py`, qui écrit aussi les sources du `sources.yaml` de `calfeed init` ; "
              "`tests/test_source_types.py` échoue tant qu'elle n'est pas à jour. Ajouter un type de source, c'est "
              "ajouter son module (et l'inscrire dans `SOURCE_TYPES`), ses tests, puis lancer ce script.*", "",
              README_END]
    return "\n".join(lines)


def starter_section() -> str:
    """The `sources:` part of the starter sources.yaml, markers included: one example of every type."""
    lines = [STARTER_START,
             "# Une source par type, chacune lisant un fichier d'exemple de exemples/ : remplacez-les par les vôtres",
             "# (un type qui ne se lit qu'en ligne est donné en commentaire). Clés de toute source :"]
    lines += [f"#   {name:<12} — {key.help}" for name, key in COMMON_KEYS.items()]
    lines.append("# Clés propres à un type :")
    lines += [f"#   {name:<12} — {', '.join(owners)} : {key.help}" for name, key, owners in type_keys()]
    lines.append("sources:")
    for kind in SOURCE_TYPES.values():
        example = kind.example.splitlines()
        lines += [("  # " + line[2:]) if kind.example_online else line for line in example]
        lines.append("")
    lines[-1] = STARTER_END
    return "\n".join(lines)


def replaced(text: str, start: str, end: str, section: str) -> str:
    """`text` with the part from the line `start` to the line `end` (both included) replaced by `section`."""
    before, found, rest = text.partition(start)
    if not found or end not in rest:
        raise ValueError(f"marques absentes : {start!r} … {end!r}")
    return before + section + rest.split(end, 1)[1]
