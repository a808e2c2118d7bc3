"""The layout's rules (ARCHITECTURE.md), checked on the source: which module may import which playground, how long
a function may be, where task names and dispatch on config types may appear."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from playground.attention.tasks import TASK_NAMES

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "playground"
MAX_FUNCTION_LINES = 60
# The one table that lists the playgrounds, and the command line built on it, may import both.
KNOWS_THE_PLAYGROUNDS = {"kinds.py", "cli.py", "__main__.py"}
# The Streamlit glue that serves both pages, as against each page's own forms and views.
SHARED_UI = {"session.py", "live.py", "charts.py", "widgets.py", "text.py", "run_history.py", "__init__.py"}


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (function-level imports too), as dotted names."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _uses(path: Path, package: str) -> list[str]:
    return sorted(n for n in _imports(path) if n == package or n.startswith(package + "."))


def test_the_mlp_playground_never_imports_the_attention_playground_nor_the_reverse():
    for path in _modules(ENGINE / "mlp"):
        assert not _uses(path, "playground.attention"), path
    for path in _modules(ENGINE / "attention"):
        assert not _uses(path, "playground.mlp"), path


def test_shared_modules_import_no_playground_except_the_table_of_playgrounds_and_the_command_line():
    shared = [p for p in ENGINE.glob("*.py") if p.name not in KNOWS_THE_PLAYGROUNDS]
    shared += [p for p in (ENGINE / "ui").glob("*.py") if p.name in SHARED_UI]
    assert ENGINE / "jobs.py" in shared and ENGINE / "loop.py" in shared and ENGINE / "ui" / "live.py" in shared
    for path in shared:
        assert not _uses(path, "playground.mlp") and not _uses(path, "playground.attention"), path
    assert _uses(ENGINE / "kinds.py", "playground.mlp") and _uses(ENGINE / "kinds.py", "playground.attention")


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_no_function_in_the_engine_is_longer_than_60_lines():
    sizes = [(path, fn, fn.end_lineno - fn.lineno + 1) for path in _modules(ENGINE) for fn in _functions(path)]
    long = [f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name} ({n} lines)" for path, fn, n in sizes
            if n > MAX_FUNCTION_LINES]
    assert not long, long


def test_task_names_appear_only_in_the_tasks_package_and_the_presets():
    allowed = [ENGINE / "attention" / "tasks", ENGINE / "attention" / "presets.py"]
    found = []
    for path in [*_modules(ENGINE), *_modules(ROOT / "app_pages"), ROOT / "app.py"]:
        if any(path == a or a in path.parents for a in allowed):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in TASK_NAMES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert not found, found


@pytest.mark.parametrize("name", ["isinstance", "hasattr"])
def test_only_the_table_of_playgrounds_dispatches_on_config_types(name):
    """No `hasattr` anywhere in the engine; `isinstance` on a config type (a name ending in Config) only in
    kinds.py, the table that maps config types to trainers and pages."""
    found = []
    for path in _modules(ENGINE):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name):
                continue
            on_config = name == "hasattr" or any(isinstance(n, ast.Name | ast.Attribute) and
                                                 getattr(n, "id", getattr(n, "attr", "")).endswith("Config")
                                                 for n in ast.walk(node.args[1]))
            if on_config and path.name != "kinds.py":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
    assert "kind.config_type" in (ENGINE / "kinds.py").read_text()  # the one place that does
