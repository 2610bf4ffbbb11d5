"""Counts the fully annotated functions of src/calfeed with `ast`: in the domain that mypy checks (the `files`
of pyproject's [tool.mypy]) and in the whole package. Run it from the repository root:
`.venv/bin/python bench/annotations.py [--list]`; --list names the functions that are not."""

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "calfeed"


def domain_files() -> list[Path]:
    """The files mypy checks, read from pyproject.toml so the domain is named in one place."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    files = []
    for entry in settings.get("tool", {}).get("mypy", {}).get("files", []):
        path = ROOT / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def is_fully_annotated(node: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> bool:
    """Every parameter (but a method's self or cls) and the return annotated; an __init__ with an annotated
    parameter may leave out `-> None`, as mypy allows."""
    arguments = node.args
    positional = arguments.posonlyargs + arguments.args
    if in_class and positional and not _is_static(node):
        positional = positional[1:]
    parameters = positional + arguments.kwonlyargs
    parameters += [extra for extra in (arguments.vararg, arguments.kwarg) if extra is not None]
    if any(parameter.annotation is None for parameter in parameters):
        return False
    if node.returns is not None:
        return True
    return node.name == "__init__" and bool(parameters)


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(decorator, ast.Name) and decorator.id == "staticmethod"
               for decorator in node.decorator_list)


def functions_of(path: Path) -> list[tuple[str, int, bool]]:
    """(qualified name, line, fully annotated) for each def of the file, nested ones included."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, prefix: str, in_class: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                found.append((name, child.lineno, is_fully_annotated(child, in_class)))
                visit(child, name + ".", False)
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".", True)
            else:
                visit(child, prefix, in_class)

    visit(ast.parse(path.read_text(encoding="utf-8")), "", False)
    return found


def report(title: str, files: list[Path], listing: bool) -> None:
    total = annotated = 0
    for path in files:
        for name, line, full in functions_of(path):
            total += 1
            annotated += full
            if listing and not full:
                print(f"  {path.relative_to(ROOT)}:{line} {name}")
    share = annotated / total if total else 1.0
    print(f"{title}: {annotated} of {total} functions fully annotated ({share:.0%}), {len(files)} files")


def main(argv: list[str]) -> None:
    listing = "--list" in argv
    report("domain (mypy files)", domain_files(), listing)
    report("whole package src/calfeed", sorted(PACKAGE.rglob("*.py")), listing and "--all" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
