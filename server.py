"""The app's server in both modes: ``streamlit run server.py`` serves the Streamlit app (app.py) through an
``st.App`` with the map's vector-tile route (pages/tile_http.py) on the same origin.

- desktop mode (``python3 run.py app``, 127.0.0.1): app.py and the tile route, no login;
- team mode (``python3 run.py serve``, $LANDGAP_MODE=team): plus the HTTP login of pages/login_http.py — the
  login page at /auth/login, the HttpOnly session cookie set by the server, the logout POST — and the gate that
  sends a page request without a live session there; the tile route then answers only a live session.

Both gzip the page's static scripts (``StaticGzip``: Streamlit sends its own uncompressed). Thin on purpose.
"""
import streamlit as st
from starlette.middleware import Middleware

from pages.auth import team_mode
from pages.login_http import LoginGate, login_routes
from pages.tile_http import StaticGzip, tile_routes

if team_mode():
    app = st.App("app.py", routes=login_routes() + tile_routes(team=True),
                 middleware=[Middleware(StaticGzip), Middleware(LoginGate)])
else:
    app = st.App("app.py", routes=tile_routes(), middleware=[Middleware(StaticGzip)])
