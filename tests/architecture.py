"""The import graph of src/calfeed, read from the source with `ast`: what each module imports, at
module level and inside functions. Run it to print the graph: `python tests/architecture.py`."""

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "calfeed"

# Each module may import only modules of a lower layer: the pure domain at the bottom, the edges on
# top. README, « Architecture », names what each one owns.
LAYERS = (
    ("errors", "text", "security", "caching"),
    ("taxonomy",),
    ("model", "config_schema", "site_info", "alert_settings", "changes"),
    ("selection", "config_yaml", "identity"),
    ("addresses", "config_vocabulary"),
    ("editions",),
    ("vtimezone", "links", "adapters.decode", "adapters.dates", "adapters.interrupt", "adapters.parsed"),
    ("render", "adapters.common", "adapters.html", "adapters.zones", "sources.kind"),
    ("adapters.records",),
    ("adapters.recurrence", "adapters.spreadsheet", "adapters.openagenda"),
    ("adapters.vevent",),
    ("adapters.csv", "adapters.ics", "adapters.json", "adapters.xlsx", "feeds", "views"),
    ("adapters",),
    ("sources.ics", "sources.csv", "sources.xlsx", "sources.json", "sources.openagenda", "sources.google_sheets"),
    ("sources",),
    ("config_sources", "sources.reference"),
    ("config",),
    ("store.schema", "store.problems", "store.identities", "fetch.deadline"),
    ("store", "fetch"),
    ("store.feeds",),
    ("publish", "store.owner", "store.backup", "preview", "alerts", "public", "script_data"),
    ("refresh", "pages"),
    ("schedule", "build", "init", "rehearsal"),
    ("web.counts", "upload"),
    ("web.responses",),
    ("web.routes",),
    ("web",),
    ("server",),
    ("cli.words", "cli.report"),
    ("cli.common",),
    ("cli.operations", "cli.sources", "cli.look"),
    ("cli",),
    ("cli.__main__",),
)
# Third-party modules only one edge may import.
OWNED = {"sqlite3": "store", "requests": "fetch", "flask": "web", "click": "cli", "gunicorn": "server",
         "boto3": "upload", "botocore": "upload"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path):
    """(imported module, 'module' or 'function') for each import of the file; package-relative names
    for calfeed's own modules, top-level names for the others."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path)
    package = name.rsplit(".", 1)[0] if "." in name or path.name == "__init__.py" else ""
    if path.name == "__init__.py":
        package = name
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    inside = {id(node) for function in functions for node in ast.walk(function)}
    for node in ast.walk(tree):
        where = "function" if id(node) in inside else "module"
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], where
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                yield node.module.split(".")[0], where
                continue
            base = package.split(".") if package else []
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if node.module is None:  # from . import x
                for alias in node.names:
                    yield ".".join([*base, alias.name]).strip("."), where
            else:
                yield target.strip("."), where


def graph() -> dict[str, list[tuple[str, str]]]:
    """Module → its imports of calfeed's own modules and of the owned third-party modules."""
    own = {module_name(path) for path in PACKAGE.rglob("*.py")}
    result = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found = sorted({(target, where) for target, where in imports_of(path)
                        if target in own or target in OWNED})
        result[module_name(path)] = found
    return result


def layer_of(module: str) -> int:
    for number, names in enumerate(LAYERS):
        if module in names:
            return number
    raise KeyError(module)


def main():
    for module, imported in graph().items():
        if not module:
            continue
        own = [target for target, _ in imported if target not in OWNED]
        edges = [target for target, _ in imported if target in OWNED]
        extra = f"   [{', '.join(edges)}]" if edges else ""
        print(f"{layer_of(module):>2}  {module:<16} → {', '.join(own) or '—'}{extra}")


if __name__ == "__main__":
    sys.exit(main())
