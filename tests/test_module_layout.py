"""The data model and the geometry are pure: importing them loads no file-I/O library; the readers and writers
live in their own modules, and the names callers import from the old places still work."""
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


def test_moved_names_are_still_importable_from_where_they_were():
    import geo.archive
    import geo.dem
    import geo.fileio
    import geo.gpkg
    import geo.ledger
    import geo.parse
    import geo.terrain
    import geo.workspace
    for name in ("read_workspace", "load_workspace", "save_workspace"):
        assert getattr(geo.workspace, name) is getattr(geo.gpkg, name)
    assert geo.workspace.open_archive is geo.archive.open_archive
    assert geo.workspace.workspace_archive is geo.archive.workspace_archive
    assert geo.workspace.write_atomic is geo.fileio.write_atomic
    assert geo.workspace.DEM_SUFFIX == geo.dem.DEM_SUFFIX == ".dem.tif"
    assert geo.terrain.read_dem is geo.dem.read_dem
    assert geo.ledger.parsed_cells is geo.parse.parsed_cells and geo.ledger.text_cells is geo.parse.text_cells
    with pytest.raises(AttributeError):
        geo.workspace.no_such_name


def test_no_formats_module_reads_the_configuration():
    """geo/formats/ takes what it needs of the Settings as arguments: no module imports geo.config or calls
    get_config()/setting() (the settings are loaded once at the edge: cli.py's args.settings, pages.context)."""
    found = []
    for path in sorted((ROOT / "geo" / "formats").glob("*.py")):
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
