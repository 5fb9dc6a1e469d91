"""An import (``formats.layer_import.ImportResult``) written through the workspace's store, GeoPackage or PostGIS —
core layers row by row, checked against the versions read and audited; a constraint layer replaced whole in one
transaction. Never a rewrite of the file, so a colleague's edit made meanwhile is never lost."""
from __future__ import annotations

from geo.schema import CONSTRAINT_LAYERS
from stores import open_store
from stores.common import save_with_retry


def store_result(target, settings, base, result, rebuild, user: str) -> int:
    """Apply an ImportResult through the workspace store at ``target`` (a GeoPackage or a PostGIS workspace, read
    with the caller's ``settings``): a core layer row by row, each row checked against the version ``base`` was
    read at (``base`` read through the store), audited under ``user``; when the only conflicts are ids a concurrent
    import has just added, ``rebuild``(fresh workspace) → ImportResult is re-run on a fresh read
    (``store.common.save_with_retry``). A
    constraint layer (a reference layer from the 自然资源局) is replaced whole, in one transaction, with one audit
    row. Never a rewrite of the file: a colleague's edit made meanwhile is kept. Returns the rows written."""
    with open_store(target, settings) as store:
        if result.into in CONSTRAINT_LAYERS:
            store.write_constraints({result.into: result.table}, user)
            return len(result.table)
        _, _, versions = save_with_retry(
            store, base, lambda ws: ((result if ws is base else rebuild(ws)).workspace,), user)
    return len(versions)
