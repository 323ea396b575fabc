"""Dashboard entry point: ``streamlit run app.py``. Navigation only; pages live in ``ui/``."""

import streamlit as st

st.set_page_config(page_title="Pockets of poverty", layout="wide")

pages = [
    st.Page("ui/overview.py", title="Map & ranking", default=True),
    st.Page("ui/targeting.py", title="Targeting"),
    st.Page("ui/change.py", title="Change over time"),
    st.Page("ui/compare.py", title="Compare"),
    st.Page("ui/workshop.py", title="Workshop mode"),
    st.Page("ui/method.py", title="Data & method"),
    st.Page("ui/upload.py", title="Add a layer"),
]
st.navigation(pages).run()
