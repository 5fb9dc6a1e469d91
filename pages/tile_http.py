"""The tile endpoint ``GET /tiles/{layer}/{z}/{x}/{y}.pbf?v=TOKEN`` on the app's own server (same origin, offline).

Mounted by both modes' ``st.App`` (desktop.py, server.py); the pages register the workspace they show and put its
token in the tile URLs (``registry().register``), the route answers from that source: gzip-compressed MVT,
cacheable for good (a new workspace version has a new token). In the team mode a tile needs a live session
cookie, like every page (401 without one) — the parcels are the county's data.
"""
from __future__ import annotations

import time
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from layers.tiles import LAYERS, TileRegistry, valid_tile
from pages.login_http import COOKIE, OpenAccounts, default_accounts

TILE_PATH = "/tiles/{layer}/{z:int}/{x:int}/{y:int}.pbf"
MVT_TYPE = "application/vnd.mapbox-vector-tile"
_REGISTRY = TileRegistry()


def registry() -> TileRegistry:
    """The process's tile sources (the Streamlit sessions and the route run in one server process)."""
    return _REGISTRY


def database_tiles(path, edited: bool, settings):
    """The team store's tiles, made by PostGIS, for a page showing the database ``path`` as it is (not unsaved
    edits, which only the workspace in memory holds); None: cut from the workspace in memory."""
    from pages.targets import DatabaseTarget
    if not isinstance(path, DatabaseTarget) or edited:
        return None
    from stores.pg_tiles import PostgisTiles
    return lambda: PostgisTiles(str(path), settings)


def tile_routes(team: bool = False, open_accounts: OpenAccounts | None = None,
                clock: Callable[[], float] = time.time, tiles: TileRegistry | None = None) -> list[Route]:
    """The tile route; ``team``: only for a live session (``open_accounts`` opens the accounts file, default the
    server's); ``tiles``: the registry (default the process's), marked as mounted."""
    tiles = tiles or registry()
    tiles.mounted = True
    accounts = (open_accounts or default_accounts()) if team else None

    def live(token: str) -> bool:
        with accounts() as acc:
            return acc.session(token, clock()) is not None

    async def tile(request: Request) -> Response:
        if accounts is not None:
            token = request.cookies.get(COOKIE)
            if not token or not await run_in_threadpool(live, token):
                return Response(status_code=401, headers={"Cache-Control": "no-store"})
        p = request.path_params
        layer, z, x, y = p["layer"], p["z"], p["x"], p["y"]
        source = tiles.source(request.query_params.get("v", ""))
        if layer not in LAYERS or not valid_tile(z, x, y) or source is None:
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        data = await run_in_threadpool(source.tile, layer, z, x, y)
        # the URL names the workspace version: the same URL is the same tile for good (private: county data)
        return Response(data, media_type=MVT_TYPE, headers={
            "Content-Encoding": "gzip", "Cache-Control": "private, max-age=86400, immutable"})

    return [Route(TILE_PATH, tile, methods=["GET"])]


STATIC_PREFIXES = ("/static/", "/app/static/vendor/")


class StaticGzip:
    """ASGI middleware: gzip for the page's static scripts — Streamlit's own bundle (/static/, ~4 MB that
    Streamlit sends uncompressed) and the map's vendor files (MapLibre, 1 MB) — when the browser accepts it, so a
    first visit over a slow office link moves a quarter of the bytes; everything else passes as it is."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(STATIC_PREFIXES):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
