"""Dashboard entry point: ``streamlit run app.py``. Navigation only; pages live in ``ui/``."""

import streamlit as st

from geo.errors import TargetingError

st.set_page_config(page_title="Pockets of poverty", layout="wide")

pages = [
    st.Page("ui/overview.py", title="Map & ranking", default=True),
    st.Page("ui/targeting.py", title="Targeting"),
    st.Page("ui/change.py", title="Change over time"),
    st.Page("ui/invest.py", title="Invest"),
    st.Page("ui/compare.py", title="Compare"),
    st.Page("ui/workshop.py", title="Workshop mode"),
    st.Page("ui/method.py", title="Data & method"),
    st.Page("ui/upload.py", title="Add a layer"),
]
try:
    st.navigation(pages).run()
except TargetingError as exc:  # a configuration or data file the engine refuses: say which and how to fix it
    st.error(f"The data could not be loaded: {exc}")
    st.caption("Fix the file named above and reload the page; `python -m geo check --config <file>` lists "
               "every problem of a configuration from the command line.")
