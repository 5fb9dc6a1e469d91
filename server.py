"""The team mode's server: ``python3 run.py serve`` runs ``streamlit run server.py`` with $LANDGAP_MODE=team.

Thin on purpose: the Streamlit app (app.py) plus the HTTP login of pages/login_http.py — the login page at
/auth/login, the HttpOnly session cookie set by the server, the logout POST — and the gate that sends a page
request without a live session there. ``run.py app`` (the desktop mode) runs app.py itself: no login.
"""
import streamlit as st
from starlette.middleware import Middleware

from pages.auth import MODE_ENV, team_mode
from pages.login_http import LoginGate, login_routes

if not team_mode():
    raise SystemExit(f"server.py 是团队模式的服务器：请设 {MODE_ENV}=team（python3 run.py serve 会设），"
                     "单机模式用 python3 run.py app")

app = st.App("app.py", routes=login_routes(), middleware=[Middleware(LoginGate)])
