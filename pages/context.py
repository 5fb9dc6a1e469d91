"""The app's edge: the configuration loaded once per server process and handed to the library."""
import streamlit as st

from geo.settings import Settings, load_settings


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """config/landgap.toml (+ $LANDGAP_CONFIG), read once."""
    return load_settings()
