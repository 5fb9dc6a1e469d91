"""The data model and the geometry are pure: importing them loads no file-I/O library; the readers and writers
live in their own modules."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = ("geo.workspace", "geo.terrain", "geo.area", "geo.crs", "geo.blocks", "geo.supply", "geo.validate",
        "geo.parse", "geo.report")


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


def test_no_formats_module_reads_the_configuration():
    """formats/ takes what it needs of the Settings as arguments: no module imports geo.config or calls
    get_config()/setting() (the settings are loaded once at the edge: cli.py's args.settings, pages.context)."""
    found = []
    for path in sorted((ROOT / "formats").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if module.endswith("config") or (module in ("", "geo") and any(a.name == "config" for a in node.names)):
                    found.append(f"{path.name}:{node.lineno} imports {'.' * node.level}{module}")
            elif isinstance(node, ast.Import) and any(a.name == "geo.config" for a in node.names):
                found.append(f"{path.name}:{node.lineno} imports geo.config")
            elif isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in ("get_config", "setting", "load_settings"):
                    found.append(f"{path.name}:{node.lineno} calls {name}()")
    assert found == []
