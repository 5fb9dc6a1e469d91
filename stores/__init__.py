"""Workspace stores: the GeoPackage file (single user, the default) and PostgreSQL/PostGIS (a team), one interface.

``open_store(target, settings)``: a ``.gpkg`` path → GpkgStore; ``postgresql://…`` → PostgisStore. See docs/store.md.
(The CLI and the app resolve a missing target from $LANDGAP_DATABASE_URL, ``DATABASE_ENV``, at the edge.)
"""
from __future__ import annotations

import re

from geo.errors import InputError
from geo.settings import Settings
from stores.base import (
    BOOKKEEPING,
    AuditEntry,
    Conflict,
    ConflictError,
    RawLayer,
    RowChange,
    Store,
    StoreIOError,
    Versions,
    diff,
)

DATABASE_ENV = "LANDGAP_DATABASE_URL"


def is_database_url(target) -> bool:
    return isinstance(target, str) and target.split(":", 1)[0].lower() in ("postgresql", "postgres")


def mask_password(url: str) -> str:
    """A database URL without its password (``postgresql://user:***@host/db``), for messages and pages."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", str(url))


def open_store(target, settings: Settings, **kw) -> Store:
    """The store for ``target``: a GeoPackage path or a ``postgresql://`` URL; it reads the workspace with the
    caller's ``settings`` (validation thresholds, stage priorities, the protected-land check)."""
    if not target:
        raise InputError("没有给出工作空间")
    if is_database_url(str(target)):
        from stores.postgis import PostgisStore
        return PostgisStore(str(target), settings, **kw)
    from stores.gpkg import GpkgStore
    return GpkgStore(target, settings, **kw)


__all__ = ["open_store", "is_database_url", "diff", "Store", "RowChange", "Conflict", "ConflictError",
           "StoreIOError", "AuditEntry", "RawLayer", "Versions", "BOOKKEEPING", "DATABASE_ENV", "mask_password"]
