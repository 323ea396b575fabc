"""Dashboard navigation: ``streamlit run app.py`` in the clone, ``pockets serve`` once installed.

Pages are found next to this file, so the dashboard starts from any folder and from an installed package.
"""

from pathlib import Path

import streamlit as st

from geo.errors import TargetingError
from geo.i18n import _
from ui import lang
from ui.nav import page_links
from ui.text import plain

PAGES = Path(__file__).resolve().parent

# While an element's code loads, Streamlit shows a shimmering placeholder, redrawn every frame; when
# many browsers share a machine (a workshop on one laptop), the shimmer is a third of their work.
STILL_PLACEHOLDERS = "<style>[data-testid='stSkeleton'], [data-testid='stSkeleton'] * {animation: none !important;}</style>"


def main() -> None:
    """Configure the page and run the selected page; a refused file is shown as a message."""
    lang.apply()  # this run's language (?lang=fr|ar|en), before any text is written
    st.set_page_config(page_title=_("Pockets of poverty"), layout="wide")
    st.html(STILL_PLACEHOLDERS)
    pages = [
        st.Page(PAGES / "overview.py", title=_("Map & ranking"), default=True),
        st.Page(PAGES / "targeting.py", title=_("Targeting")),
        st.Page(PAGES / "change.py", title=_("Change over time")),
        st.Page(PAGES / "invest.py", title=_("Invest")),
        st.Page(PAGES / "compare.py", title=_("Compare")),
        st.Page(PAGES / "workshop.py", title=_("Workshop mode")),
        st.Page(PAGES / "method.py", title=_("Data & method")),
        st.Page(PAGES / "upload.py", title=_("Add a layer")),
    ]
    menu = st.sidebar.container()  # the page menu, filled after the page ran with the view it ended on
    try:
        st.navigation(pages, position="hidden").run()
    except TargetingError as exc:  # a configuration or data file the engine refuses: say which and how to fix it
        st.error(_("The data could not be loaded: {error}").format(error=plain(exc)))
        st.caption(_("Fix the file named above and reload the page; `python -m geo check --config <file>` lists "
                     "every problem of a configuration from the command line."))
    finally:
        page_links(pages, menu)


if __name__ == "__main__":
    main()
