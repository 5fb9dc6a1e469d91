"""The app's edge: the configuration loaded once per server process and handed to the library, and the process's
cache of derived data (blocks, land models, map layers), which every session shares and hands to the engine."""
import streamlit as st

from geo.cache import DerivedCache
from geo.settings import Settings, load_settings


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """config/landgap.toml (+ $LANDGAP_CONFIG), read once."""
    return load_settings()


@st.cache_resource(show_spinner=False)
def derived() -> DerivedCache:
    """The server process's derived-data cache, keyed by workspace version (sessions on the same workspace share
    its blocks, land models and rendered maps)."""
    return DerivedCache()
