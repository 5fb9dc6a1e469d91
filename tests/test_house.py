"""The house rules, checked on the module import graph (read with ast: imports inside functions and under
TYPE_CHECKING count) and by import-linter (the contracts in pyproject.toml ``[tool.importlinter]``): no import
cycle between modules, no upward import, the engine pure, no compatibility shim, no ``_private`` name imported
across modules, no oversized file. The data model and the geometry load no file-I/O library; the configuration and
the environment are read at the edge only; ruff is clean."""
from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {"tests", "bench", "static", "node_modules", "assets", "docs", "config", "var"}
MAX_LINES = 400
PURE = ("geo.workspace", "geo.terrain", "geo.area", "geo.crs", "geo.blocks", "geo.supply", "geo.validate",
        "geo.parse", "geo.report")


def _modules(skip: set[str] = SKIP_DIRS) -> dict[str, Path]:
    """Dotted module name → path, for the project's .py files (a package by its ``__init__``)."""
    out = {}
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith((".", "__")))
        for f in files:
            if f.endswith(".py"):
                rel = Path(folder, f).relative_to(ROOT)
                name = ".".join(rel.with_suffix("").parts)
                out[name.removesuffix(".__init__")] = Path(folder, f)
    return out


def _imports(module: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names imported from it) for every import statement, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, [a.name for a in node.names]))
    return out


def _graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """module → the project modules it imports (``from package import module`` counts as the module). A
    package's ``__init__`` importing its own children is not an edge (re-exports, not a dependency)."""
    graph = {}
    for mod, path in mods.items():
        found = set()
        for target, names in _imports(mod, path):
            for t in [target] + [f"{target}.{n}" for n in names]:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != mod and not t.startswith(mod + "."):
                    found.add(t)
        graph[mod] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules():
    assert _cycles(_graph(_modules())) == []


def test_no_module_level_getattr():
    shims = [m for m, p in _modules().items()
             if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__"
                    for n in ast.parse(p.read_text(encoding="utf-8")).body)]
    assert shims == []


def test_no_private_name_imported_across_modules():
    """Callers import a shared name from where it lives, under a public name (tests included)."""
    mods = _modules(SKIP_DIRS - {"tests", "bench"})
    tops = {m.split(".")[0] for m in mods}
    found = [f"{p.relative_to(ROOT)}: from {target} import {name}"
             for m, p in mods.items() for target, names in _imports(m, p)
             if target.split(".")[0] in tops for name in names if name.startswith("_") and not name.startswith("__")]
    assert found == []


def test_files_stay_small_and_the_root_holds_at_most_four_modules():
    mods = _modules()
    big = [f"{p.relative_to(ROOT)} ({n})" for p in mods.values()
           if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_LINES]
    assert big == []
    roots = sorted(p.name for p in mods.values() if p.parent == ROOT)
    assert len(roots) <= 4, roots


def test_import_linter_contracts_are_kept():
    """The layers and the engine's purity (pyproject.toml [tool.importlinter])."""
    if importlib.util.find_spec("importlinter") is None:
        pytest.skip("import-linter is not installed (requirements-dev.txt)")
    out = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                          "sys.exit(lint_imports_command())", "--no-cache", str(ROOT / "pyproject.toml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_pure_modules_load_no_file_io_library():
    code = ("import importlib, sys\n"
            f"for module in {PURE!r}:\n"
            "    importlib.import_module(module)\n"
            "    io = sorted(m for m in ('pyogrio', 'rasterio', 'fiona', 'openpyxl') if m in sys.modules)\n"
            "    if io:\n"
            "        print(module, io)\n"
            "        break\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert out.stdout.strip() == "", f"imports file-I/O libraries: {out.stdout.strip()}"


BELOW_THE_EDGE = ("geo", "formats", "stores", "team", "matching", "layers", "briefing", "seeds")


def test_settings_and_the_environment_are_read_only_at_the_edge():
    """One way in for the configuration: geo.settings.load_settings, called by the edge (commands/, pages/, app.py,
    server.py, run.py, bench/) and passed down. Below it no module loads settings or reads the environment
    (seeds/ may build the sample county from the shipped file alone: the same county whatever is configured)."""
    found = []
    for mod, path in sorted(_modules().items()):
        if mod.split(".")[0] not in BELOW_THE_EDGE or mod == "geo.settings":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                allowed = {"shipped_settings"} if mod.startswith("seeds.") else set()
                if name in {"load_settings", "shipped_settings", "read_config", "getenv"} - allowed:
                    found.append(f"{mod}:{node.lineno} calls {name}()")
            elif isinstance(node, ast.Attribute) and node.attr == "environ" and getattr(node.value, "id", "") == "os":
                found.append(f"{mod}:{node.lineno} reads os.environ")
    assert found == []


def test_ruff_is_clean():
    """Line length, import order, unused names (pyproject.toml [tool.ruff])."""
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (requirements-dev.txt)")
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
