"""Fuzzing every importer: random truncations, byte flips and field mutations of real files (tests/formats/corpus,
see its README) and of the files LandGap itself writes end in an import or a clear ``LandGapError`` — never a
traceback — and a refused import through the CLI leaves the workspace file's bytes as they were.

The budget here is small (150 cases, seconds: the suite stays fast);
``python bench/fuzz_imports.py --examples 2000`` runs longer.
"""
from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from formats.export import export_bytes
from formats.layer_import import import_layer
from formats.shapefile import shapefile_zip
from geo.errors import LandGapError
from stores.gpkg_file import load_workspace

CORPUS = Path(__file__).resolve().parent / "corpus"
EXAMPLES = int(os.environ.get("LANDGAP_FUZZ_EXAMPLES", "150"))
DEFAULTS = {"parcels": ["status=available"], "farmland": None}   # a status where a file has none
TOKENS = [b"nan", b"NaN", b"inf", b"-Infinity", b"1e300", b"abc", b"", b"\x00", b"\xff\xfe", b"-", b",", b"<", b"\""]


def seeds(ws) -> dict[str, bytes]:
    """name (its suffix picks the reader) → bytes: the real files of the corpus and LandGap's own exports."""
    parcels = ws.parcels.head(12)
    shp = io.BytesIO()
    with zipfile.ZipFile(shp, "w") as z:
        for part in CORPUS.glob("naturalearth_lowres.*"):
            z.write(part, part.name)
    wkt = "parcel_id,zone_id,status,wkt\n" + "".join(
        f"{pid},{row.zone_id},{row.status},\"{row.geometry.wkt}\"\n" for pid, row in parcels.iterrows())
    return {
        "naturalearth_lowres.zip": shp.getvalue(),
        "curvepolygon.gpkg": (CORPUS / "curvepolygon.gpkg").read_bytes(),
        "togeojson-bad.kml": (CORPUS / "togeojson-bad.kml").read_bytes(),
        "togeojson-style.kml": (CORPUS / "togeojson-style.kml").read_bytes(),
        "坐标文件.txt": export_bytes(parcels, "parcels", "coordfile"),
        "parcels.kml": export_bytes(parcels, "parcels", "kml", datum="wgs84"),
        "parcels.geojson": export_bytes(parcels, "parcels", "geojson"),
        "parcels.zip": shapefile_zip(parcels[["parcel_id", "zone_id", "status", "land_use", "geometry"]]
                                     .reset_index(drop=True), "parcels"),
        "parcels.csv": wkt.encode("gbk"),
    }


@st.composite
def mutation(draw, names: list[str]):
    """(seed name, [edit, ...]): truncate at a point, flip bytes, or swap a number-like token for a hostile one."""
    name = draw(st.sampled_from(names))
    edits = draw(st.lists(st.one_of(
        st.tuples(st.just("truncate"), st.floats(0.05, 0.98)),
        st.tuples(st.just("flip"), st.floats(0.02, 0.98), st.integers(1, 255)),
        st.tuples(st.just("token"), st.floats(0.02, 0.98), st.sampled_from(TOKENS)),
    ), min_size=1, max_size=2))
    return name, edits


def mutate(data: bytes, edits) -> bytes:
    for edit in edits:
        at = int(edit[1] * len(data))
        if edit[0] == "truncate":
            data = data[:at]
        elif edit[0] == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ edit[2]]) + data[at + 1:]
        elif edit[0] == "token":
            end = at
            while end < len(data) and data[end:end + 1] in b"0123456789.-+eE":
                end += 1
            data = data[:at] + edit[2] + data[end:]
    return data


def import_ends_cleanly(ws, settings, path: Path, into: str) -> None:
    """An ImportResult or a LandGapError; anything else (a traceback) fails the test with the file kept."""
    try:
        import_layer(ws, into, path, allow_partial=True, defaults=DEFAULTS[into],
                     seven_parameters=settings.layer_import.seven_parameters)
    except LandGapError:
        pass


@pytest.fixture(scope="module")
def seed_files(sample_ws):
    return seeds(sample_ws)


def test_the_seeds_themselves_import_or_are_refused_clearly(sample_ws, settings, seed_files, tmp_path):
    for name, data in seed_files.items():
        path = tmp_path / name
        path.write_bytes(data)
        for into in ("parcels", "farmland"):
            import_ends_cleanly(sample_ws, settings, path, into)


def test_mutated_files_never_end_in_a_traceback(sample_ws, settings, seed_files, tmp_path_factory):
    names = sorted(seed_files)

    @hsettings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("LANDGAP_FUZZ_RANDOM"),
               suppress_health_check=list(HealthCheck))
    @given(case=mutation(names), into=st.sampled_from(["parcels", "farmland"]))
    def check(case, into):
        name, edits = case
        folder = tmp_path_factory.mktemp("fuzz")
        path = folder / name
        path.write_bytes(mutate(seed_files[name], edits))
        try:
            import_ends_cleanly(sample_ws, settings, path, into)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    check()


def test_a_refused_cli_import_leaves_the_workspace_bytes(sample_path, seed_files, settings, tmp_path, capsys):
    """Through the CLI and the store: whatever the file, exit 0 (imported, every stored coordinate finite, the
    workspace loads) or 1 with the .gpkg unchanged."""
    import cli
    work = tmp_path / "ws.gpkg"
    shutil.copy(sample_path, work)
    for dem in sample_path.parent.glob(sample_path.stem + ".dem.tif"):
        shutil.copy(dem, tmp_path / "ws.dem.tif")

    @hsettings(max_examples=max(6, EXAMPLES // 10), deadline=None,
               derandomize=not os.environ.get("LANDGAP_FUZZ_RANDOM"), suppress_health_check=list(HealthCheck))
    @given(case=mutation(sorted(seed_files)))
    def check(case):
        name, edits = case
        path = tmp_path / name
        path.write_bytes(mutate(seed_files[name], edits))
        before = work.read_bytes()
        code = cli.main(["import-layer", "--workspace", str(work), "--into", "parcels", "--file", str(path),
                         "--json"])
        capsys.readouterr()
        assert code in (0, 1)
        if code == 1:
            assert work.read_bytes() == before, f"{name} {edits}: a refused import changed the workspace"
        else:
            ws = load_workspace(work, settings)
            assert np.isfinite(shapely.get_coordinates(ws.parcels.geometry.values)).all(), f"{name} {edits}"

    check()
