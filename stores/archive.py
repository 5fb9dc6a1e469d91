"""A workspace as one zip to download or upload: ``name``.gpkg and, when there is one, its DEM ``name``.dem.tif."""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from formats.dem import DEM_SUFFIX
from formats.fileio import os_errors, prepare_folder
from formats.unzip import Budget, open_zip, write_member
from geo.errors import WorkspaceError


def workspace_archive(gpkg: bytes, name: str, dem_path: Path | None) -> bytes:
    """A workspace to download: ``name``.gpkg and, when there is one, its DEM ``name``.dem.tif, in one zip (the
    hillshade basemap, slope and earthwork need the DEM; the .gpkg alone loses them)."""
    stem = Path(name).stem
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(stem + ".gpkg", gpkg)
        if dem_path is not None and Path(dem_path).exists():
            with os_errors(dem_path, "无法读取高程文件（DEM）"):
                z.write(dem_path, stem + DEM_SUFFIX, compress_type=zipfile.ZIP_STORED)   # GeoTIFFs are compressed
    return buf.getvalue()


def open_archive(data: bytes, name: str, folder: str | os.PathLike) -> Path:
    """Unpack a workspace zip (one .gpkg, optionally its .dem.tif) into ``folder``; the .gpkg path to load.

    Only the files' own names are used (no paths from the archive), so nothing is written outside ``folder``.
    """
    with open_zip(data, name, error=WorkspaceError) as z:
        members = [i for i in z.infolist() if not i.is_dir()]
        gpkgs = [i for i in members if i.filename.lower().endswith(".gpkg")]
        if len(gpkgs) != 1:
            found = "、".join(Path(i.filename).name for i in gpkgs) or "无"
            raise WorkspaceError(f"{name} 中应恰有一个 GeoPackage（.gpkg）文件，实际：{found}")
        stem = Path(gpkgs[0].filename).stem
        dems = [i for i in members if Path(i.filename).name.lower() == (stem + DEM_SUFFIX).lower()]
        folder = Path(folder)
        target = folder / (stem + ".gpkg")
        budget = Budget(name, len(data), error=WorkspaceError)    # by what the members really hold
        for info, out in [(gpkgs[0], target)] + [(d, folder / (stem + DEM_SUFFIX)) for d in dems[:1]]:
            _stream_atomic(z, data, info, budget, out)
        stale = folder / (stem + DEM_SUFFIX)
        if not dems and stale.exists():       # an earlier upload's DEM does not belong to this workspace
            with os_errors(stale, "无法删除旧的高程文件（DEM）"):
                stale.unlink()
    return target


def _stream_atomic(z: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo, budget: Budget, out: Path) -> None:
    """Member ``info`` streamed (memory bounded) into a temporary file beside ``out``, then renamed over it: never
    half a file, and nothing left behind when the member is refused."""
    prepare_folder(out, "工作空间文件")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        with os_errors(out, "无法写入文件"):
            write_member(z, data, info, budget, tmp)
            os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
