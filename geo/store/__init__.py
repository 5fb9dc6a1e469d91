"""Workspace stores: the GeoPackage file (single user, the default) and PostgreSQL/PostGIS (a team), one interface.

``open_store(target)``: a ``.gpkg`` path → GpkgStore; ``postgresql://…`` (or, with no target, $LANDGAP_DATABASE_URL)
→ PostgisStore. See docs/store.md.
"""
from __future__ import annotations

import os

from ..errors import InputError
from .base import (BOOKKEEPING, AuditEntry, Conflict, ConflictError, RawLayer, RowChange, Store, StoreIOError,
                   Versions, diff)

DATABASE_ENV = "LANDGAP_DATABASE_URL"


def is_database_url(target) -> bool:
    return isinstance(target, str) and target.split(":", 1)[0].lower() in ("postgresql", "postgres")


def open_store(target=None, **kw) -> Store:
    """The store for ``target``: a GeoPackage path or a ``postgresql://`` URL; None → $LANDGAP_DATABASE_URL."""
    if target is None:
        target = os.environ.get(DATABASE_ENV)
        if not target:
            raise InputError(f"没有给出工作空间（--workspace 或 ${DATABASE_ENV}）")
    if is_database_url(str(target)):
        from .postgis import PostgisStore
        return PostgisStore(str(target), **kw)
    from .gpkg import GpkgStore
    return GpkgStore(target, **kw)


__all__ = ["open_store", "is_database_url", "diff", "Store", "RowChange", "Conflict", "ConflictError",
           "StoreIOError", "AuditEntry", "RawLayer", "Versions", "BOOKKEEPING", "DATABASE_ENV"]
