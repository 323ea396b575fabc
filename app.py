"""Dashboard entry point: ``streamlit run app.py``. Navigation only; pages live in ``ui/``."""

import streamlit as st

from geo.errors import TargetingError
from geo.i18n import _
from ui import lang

lang.apply()  # this run's language (?lang=fr|ar|en), before any text is written
st.set_page_config(page_title=_("Pockets of poverty"), layout="wide")

pages = [
    st.Page("ui/overview.py", title=_("Map & ranking"), default=True),
    st.Page("ui/targeting.py", title=_("Targeting")),
    st.Page("ui/change.py", title=_("Change over time")),
    st.Page("ui/compare.py", title=_("Compare")),
    st.Page("ui/workshop.py", title=_("Workshop mode")),
    st.Page("ui/method.py", title=_("Data & method")),
    st.Page("ui/upload.py", title=_("Add a layer")),
]
try:
    st.navigation(pages).run()
except TargetingError as exc:  # a configuration or data file the engine refuses: say which and how to fix it
    st.error(_("The data could not be loaded: {error}").format(error=exc))
    st.caption(_("Fix the file named above and reload the page; `python -m geo check --config <file>` lists "
                 "every problem of a configuration from the command line."))
