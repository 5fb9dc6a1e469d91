"""A workspace the pages open: a GeoPackage ``Path``, or a ``postgresql://`` URL as a ``DatabaseTarget`` — a str
with the few Path members the pages use (name, stem, stat().st_mtime_ns as the store's revision, read_bytes as a
GeoPackage export), so the same page code reads, saves (through the store) and downloads either."""
from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace

from pages.context import settings
from stores import is_database_url, mask_password, open_store


class DatabaseTarget(str):
    @property
    def display(self) -> str:
        """The URL without its password."""
        return mask_password(self)

    @property
    def name(self) -> str:
        return str(self).rsplit("/", 1)[-1].split("?", 1)[0] or "landgap"

    @property
    def stem(self) -> str:
        return self.name

    def stat(self):
        """The cache key the app reads a workspace under: changes with every write (store.revision())."""
        with open_store(str(self), settings()) as store:
            rev = store.revision()
        return SimpleNamespace(st_mtime_ns=int(rev) if str(rev).isdigit() else hash(rev))

    def is_file(self) -> bool:
        return False

    def read_bytes(self) -> bytes:
        """The workspace as a GeoPackage (a download; export is the one whole-file write)."""
        from stores.gpkg_file import save_workspace
        with open_store(str(self), settings()) as store:
            ws = store.load()
        with tempfile.TemporaryDirectory() as tmp:
            return save_workspace(ws, Path(tmp) / f"{self.name}.gpkg").read_bytes()


def as_target(text) -> Path | DatabaseTarget:
    return DatabaseTarget(str(text)) if is_database_url(str(text)) else Path(text)


def display(target) -> str:
    return getattr(target, "display", str(target))
