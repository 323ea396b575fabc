"""Helpers of the AppTest suites: run a dashboard page with a query string (and its second pass), find the
ranking table."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui import secondpass

from .conftest import ROOT


def page(name: str, **query) -> AppTest:
    """Run page ``ui/<name>.py`` with ``query`` as its link's parameters; fail on any exception."""
    at = AppTest.from_file(str(ROOT / "ui" / f"{name}.py"), default_timeout=180)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return second_pass(at)


def second_pass(at: AppTest) -> AppTest:
    """Do what the browser does when a page ends without its analytics: the last element names a
    pending token, and the browser sends it back (the second pass)."""
    frames = [e.proto for e in at.get("component_instance") if e.proto.component_name.endswith(secondpass.NAME)]
    token = secondpass.pending_of(frames[0].json_args) if frames else None
    if token:
        at.session_state[secondpass.ASKED] = token
        at.run()
        assert not at.exception, at.exception
    return at


def open_weights(at: AppTest) -> AppTest:
    """Open the sidebar's Weights box, as a click does (its sliders are drawn only while it is open)."""
    from ui.sidebar import WEIGHTS_OPEN

    at.session_state[WEIGHTS_OPEN] = True
    at.run()
    assert not at.exception, at.exception
    return at


def ranking(at: AppTest):
    """The page's ranked table (the dataframe with ``rank`` and ``decile`` columns): its current page."""
    return next(df.value for df in at.dataframe if "rank" in df.value.columns and "decile" in df.value.columns)


def ranked_count(at: AppTest) -> int:
    """How many districts the ranking lists (its heading, "Ranking: N districts"), over all its pages."""
    heading = next(h.value for h in at.subheader if h.value.startswith("Ranking: "))
    return int(heading.split()[1].replace(",", ""))
