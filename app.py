"""Dashboard entry point: ``streamlit run app.py``. Navigation only; pages live in ``ui/``."""

import streamlit as st

from geo.errors import TargetingError
from ui.nav import page_links
from ui.text import plain

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
menu = st.sidebar.container()  # filled after the page ran, with the view the page ended on
try:
    st.navigation(pages, position="hidden").run()
except TargetingError as exc:  # a configuration or data file the engine refuses: say which and how to fix it
    st.error(plain(f"The data could not be loaded: {exc}"))
    st.caption("Fix the file named above and reload the page; `python -m geo check --config <file>` lists "
               "every problem of a configuration from the command line.")
finally:
    page_links(pages, menu)
