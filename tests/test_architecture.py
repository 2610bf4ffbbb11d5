"""The shape of the house: imports flow one way, each edge library has one owner, modules stay small."""

import ast
from pathlib import Path

from architecture import LAYERS, OWNED, PACKAGE, graph, layer_of, module_name

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 50


def test_every_module_has_a_layer():
    modules = {module for module in graph() if module}
    assert modules == {name for layer in LAYERS for name in layer}


def test_imports_only_go_down_the_layers_and_never_inside_functions():
    for module, imported in graph().items():
        if not module:
            continue
        for target, where in imported:
            assert where == "module", f"{module} imports {target} inside a function"
            if target in OWNED:
                assert module.split(".")[0] == OWNED[target], f"{module} imports {target}, which only {OWNED[target]} may import"
            elif not module.startswith(target + "."):  # a package's modules may import its __init__
                assert layer_of(target) < layer_of(module), f"{module} (layer {layer_of(module)}) imports " \
                                                            f"{target} (layer {layer_of(target)})"


def test_modules_and_functions_stay_small():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        assert lines <= MAX_MODULE_LINES, f"{module_name(path)}: {lines} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                name = f"{module_name(path)}.{node.name}"
                assert length <= MAX_FUNCTION_LINES, f"{name}: {length} lines"


def test_the_tests_never_reach_into_bench():
    """bench/ may use the tests' helpers (tests/faultlab.py, tests/synthetic.py), never the reverse."""
    tests = Path(__file__).resolve().parent
    bench = {path.stem for path in (tests.parent / "bench").glob("*.py")} - {path.stem for path in tests.glob("*.py")}
    for path in tests.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            assert not {name.split(".")[0] for name in names} & bench, f"{path.name} imports from bench/"
