"""Dashboard entry point: ``streamlit run app.py``. Navigation only; pages live in ``ui/``."""

import streamlit as st

st.set_page_config(page_title="Pockets of poverty", page_icon=None, layout="wide")

pages = [st.Page("ui/overview.py", title="Map & ranking", default=True)]
st.navigation(pages).run()
