"""The app's edge: the configuration loaded once per server process and handed to the library, and the process's
cache of derived data (blocks, land models, map layers), which every session shares and hands to the engine."""
import os

import streamlit as st

from geo.cache import DerivedCache
from geo.settings import Settings, load_settings


def settings() -> Settings:
    """config/landgap.toml (+ $LANDGAP_CONFIG) and the $LANDGAP_* environment, read once (again only if a
    $LANDGAP_* variable changes, as in tests)."""
    return _load(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("LANDGAP_"))))


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(landgap_env: tuple[tuple[str, str], ...]) -> Settings:
    return load_settings(os.environ)


@st.cache_resource(show_spinner=False)
def derived() -> DerivedCache:
    """The server process's derived-data cache, keyed by workspace version (sessions on the same workspace share
    its blocks, land models and rendered maps)."""
    return DerivedCache()


def release_memory() -> None:
    """Hand back to the system what a large read freed (glibc keeps freed memory in its arenas: a province's load
    leaves ~150 MB resident for nothing); no-op off glibc."""
    import ctypes
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
