"""Streamlit pages (UI only). Shared sidebar, filters, legend, map panel and downloads live in pages.common."""
