"""Dashboard navigation: ``streamlit run app.py`` in the clone, ``pockets serve`` once installed.

Pages are found next to this file, so the dashboard starts from any folder and from an installed package.
"""

from pathlib import Path

import streamlit as st

from geo.errors import TargetingError

PAGES = Path(__file__).resolve().parent


def main() -> None:
    """Configure the page and run the selected page; a refused file is shown as a message."""
    st.set_page_config(page_title="Pockets of poverty", layout="wide")
    pages = [
        st.Page(PAGES / "overview.py", title="Map & ranking", default=True),
        st.Page(PAGES / "targeting.py", title="Targeting"),
        st.Page(PAGES / "change.py", title="Change over time"),
        st.Page(PAGES / "compare.py", title="Compare"),
        st.Page(PAGES / "workshop.py", title="Workshop mode"),
        st.Page(PAGES / "method.py", title="Data & method"),
        st.Page(PAGES / "upload.py", title="Add a layer"),
    ]
    try:
        st.navigation(pages).run()
    except TargetingError as exc:  # a configuration or data file the engine refuses: say which and how to fix it
        st.error(f"The data could not be loaded: {exc}")
        st.caption("Fix the file named above and reload the page; `python -m geo check --config <file>` lists "
                   "every problem of a configuration from the command line.")


if __name__ == "__main__":
    main()
