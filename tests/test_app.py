"""Dashboard smoke tests with Streamlit's AppTest (no browser)."""

import pytest

from .conftest import ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402


@pytest.fixture(scope="module")
def app(default_config):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    return at


def test_overview_shows_real_ranking(app):
    assert not app.exception, app.exception
    assert "Morocco" in app.title[0].value
    assert any("Ranking of 75" in s.value for s in app.subheader)
    table = app.dataframe[0].value
    assert len(table) == 75
    assert table["rank"].min() == 1


def test_level_switch_to_communes(app):
    app.radio[0].set_value("communes").run()
    assert not app.exception, app.exception
    assert any("communes" in s.value.lower() for s in app.subheader)
    assert len(app.dataframe[0].value) > 1400
