"""The built-in sample county: generated once into a cache folder, used when no workspace is configured.
The folder and the configured workspace come from the caller's ``Settings.runtime`` ($LANDGAP_CACHE,
$LANDGAP_WORKSPACE, read by ``geo.settings.load_settings``)."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from seeds.sample_data import SAMPLE_SEED

if TYPE_CHECKING:
    from geo.settings import RuntimeSettings

__all__ = ["SAMPLE_SEED", "SAMPLE_VERSION", "default_workspace_path", "sample_workspace_path"]
SAMPLE_VERSION = 4   # bump when the generator's output changes, so caches are rebuilt


def cache_dir(configured: str = "") -> Path:
    """``configured`` ($LANDGAP_CACHE) when set, else ~/.cache/landgap."""
    return Path(configured or Path.home() / ".cache" / "landgap")


def sample_workspace_path(cache: str = "") -> Path:
    """Path of the sample county GeoPackage (in ``cache_dir(cache)``), generating it (with its DEM) on first use."""
    path = cache_dir(cache) / f"sample-county-v{SAMPLE_VERSION}-seed{SAMPLE_SEED}.gpkg"
    if not path.exists():
        with _exclusive(path.with_name(path.name + ".lock")):     # two first starts at once: one generates it
            if not path.exists():
                from seeds.generator import write_county
                write_county(path, seed=SAMPLE_SEED)
    return path


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """An advisory lock on ``lock_path`` (POSIX); elsewhere none (the writes are atomic either way)."""
    try:
        import fcntl
    except ImportError:                 # Windows
        yield
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def default_workspace_path(runtime: RuntimeSettings) -> Path:
    """``runtime.workspace`` ($LANDGAP_WORKSPACE) when set, else the sample county."""
    return Path(runtime.workspace) if runtime.workspace else sample_workspace_path(runtime.cache_dir)
