"""Streamlit pages and their cached wrappers around the engine in ``geo``."""
