"""The map element, rendered once per workspace version and content for every session of the server.

Rendering a folium map is most of a page's time: branca compiles every rendered layer's script text as a Jinja
template (py-spy, 1k-parcel county: 45–60 % of the 用地一张图 and 缺口分析 runs). The rendered component arguments
are plain strings and numbers, the same for every session that shows the same content, so they are derived once
(the process's ``pages.context.derived`` cache, keyed by the workspace version and what the map shows) and sent
as they are. st_folium builds them; a thread-local switch captures its call instead of sending it (sessions run
in threads of one process).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

import streamlit as st
import streamlit_folium

from geo.workspace import Workspace
from pages.context import derived

_SEND = streamlit_folium._component_func      # the component streamlit-folium (pinned) declares at import
_CAPTURE = threading.local()


def _component(**kwargs):
    """st_folium's component call: recorded while this thread captures, sent otherwise."""
    if getattr(_CAPTURE, "args", None) is not None:
        _CAPTURE.args.update(kwargs)
        return None
    return _SEND(**kwargs)


streamlit_folium._component_func = _component


def rendered_args(m, key: str, height: int, returned: list[str]) -> dict:
    """What st_folium would send for map ``m`` (its script, header, html, bounds, links, hash key)."""
    _CAPTURE.args = {}
    try:
        streamlit_folium.st_folium(m, key=key, height=height, use_container_width=True, returned_objects=returned)
        args = dict(_CAPTURE.args)
    finally:
        _CAPTURE.args = None
    args.pop("on_change", None)     # a closure over this run's session: made again below
    return args


def show(ws: Workspace, content: Hashable, make: Callable[[], object], key: str, height: int,
         returned: list[str]) -> dict:
    """The map ``make()`` builds, as st_folium shows it, built and rendered only the first time a session of this
    process shows ``content`` on this workspace version. ``content`` must name everything ``make`` draws."""
    args = derived().get(ws, ("map-component", key, height, tuple(returned), content),
                       lambda: rendered_args(make(), key, height, returned))
    hash_key = args["key"]

    def on_change():                # st_folium's: the widget's value under the caller's key too
        st.session_state[key] = st.session_state.get(hash_key, {})

    return _SEND(**args, on_change=on_change) or {}


def content_key(*parts) -> str:
    """A short key for what a map draws beyond the workspace (filters, sites, parcel ids): equal content, equal
    key, whichever objects carry it."""
    import hashlib
    import json
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
