"""run.py: `app` is the desktop mode bound to 127.0.0.1 (no team mode: server.py serves app.py and the tile route);
`serve` binds every interface at the configured port with the team mode on, through server.py (the app plus the
HTTP login)."""
from __future__ import annotations

from pathlib import Path

import run


def _started(monkeypatch, command: str):
    calls = []
    monkeypatch.setattr(run, "ensure_venv", lambda **kw: None)
    monkeypatch.setattr(run, "ensure_map_assets", lambda: None)
    monkeypatch.setattr(run, "serve_settings", lambda: (8642, 37))
    monkeypatch.setattr(run.subprocess, "call", lambda cmd, **kw: calls.append((cmd, kw["env"])) or 0)
    assert run.main([command]) == 0
    (cmd, env), = calls
    return cmd, env


def _option(cmd, name):
    return cmd[cmd.index(name) + 1]


def test_app_is_desktop_on_localhost(monkeypatch):
    monkeypatch.delenv("LANDGAP_MODE", raising=False)
    cmd, env = _started(monkeypatch, "app")
    assert _option(cmd, "--server.address") == "127.0.0.1" and env.get("LANDGAP_MODE") is None
    assert Path(_option(cmd, "run")).name == "server.py"          # app.py and the map's tile route, no login


def test_serve_is_team_mode_on_the_network(monkeypatch):
    cmd, env = _started(monkeypatch, "serve")
    assert _option(cmd, "--server.address") == "0.0.0.0" and _option(cmd, "--server.port") == "8642"
    assert env["LANDGAP_MODE"] == "team"
    assert Path(_option(cmd, "run")) == run.ROOT / "server.py"
    assert _option(cmd, "--server.maxUploadSize") == "37"          # [uploads] max_file_mb


def test_server_py_defines_the_st_app_that_streamlit_run_serves():
    from streamlit.web.server.app_discovery import discover_asgi_app
    found = discover_asgi_app(run.ROOT / "server.py")
    assert found.is_asgi_app and found.import_string == "server:app"



def test_serve_settings_read_the_port_and_the_upload_limit_from_the_configuration(tmp_path, monkeypatch):
    """The real read (the venv's Python): an override of [uploads] max_file_mb = 12.5 becomes 13 whole MB."""
    override = tmp_path / "over.toml"
    override.write_text("[accounts]\nport = 8765\n[uploads]\nmax_file_mb = 12.5\n", encoding="utf-8")
    monkeypatch.setenv("LANDGAP_CONFIG", str(override))
    assert run.serve_settings() == (8765, 13)
