"""Links and URLs: tampered query strings give a view and visible messages, never a traceback; the view
survives page changes in a new session (after a server restart)."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import OWN, ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402


@pytest.fixture
def own(dashboard_config):
    """``ui.state`` on the six-district example (population 1,000 to 6,000)."""
    return dashboard_config(OWN / "config.toml")


# (query, expected weights or fields of the view, expected parts of a message or None)
QUERY_CASES = [
    ({"weights": "poverty_rate:100"}, {"weights.poverty_rate": 5.0}, "poverty_rate:100 in the link is outside 0-5"),
    ({"weights": "poverty_rate:inf"}, {"weights.poverty_rate": 5.0}, "poverty_rate:inf in the link is outside 0-5"),
    ({"weights": "poverty_rate:-inf"}, {"weights.poverty_rate": 0.0}, "outside 0-5; using 0"),
    ({"weights": "poverty_rate:nan"}, {"weights.poverty_rate": 1.0}, "poverty_rate:nan"),
    ({"weights": "ghost:2"}, {"weights.poverty_rate": 1.0}, "Ignored weights for ['ghost']"),
    ({"weights": "poverty_rate"}, {"weights.poverty_rate": 1.0}, "Ignored weights='poverty_rate'"),
    ({"weights": "poverty_rate:2.5"}, {"weights.poverty_rate": 2.5}, None),
    ({"theme_weights": "poverty:1e308"}, {"theme_weights.poverty": 5.0}, "theme weight poverty:1e+308"),
    ({"theme_weights": "health:2"}, {"theme_weights.poverty": 1.0}, "Ignored theme weights for ['health']"),
    ({"min_population": "6001"}, {"min_population": 0}, "above the largest district (6,000 people)"),
    ({"min_population": "6000"}, {"min_population": 6000}, None),
    ({"min_population": "-5"}, {"min_population": 0}, "Ignored min_population='-5'"),
    ({"min_population": "1e9"}, {"min_population": 0}, "Ignored min_population='1e9'"),
    ({"classes": "99"}, {"classes": 5}, "Ignored classes='99'"),
    ({"level": "![x](http://host/track.png)"}, {"level": "districts"}, "Unknown level"),
    ({"layers": "ghost"}, {"layers": ("poverty_rate", "unemployment", "no_power", "sites")}, "unknown layer"),
]


@pytest.mark.parametrize("query, expected, message", QUERY_CASES, ids=[str(q) for q, _, _ in QUERY_CASES])
def test_tampered_query(own, query, expected, message):
    view, problems = own.view_from_query(query)
    for key, value in expected.items():
        field, _, item = key.partition(".")
        got = getattr(view, field)
        assert (got[item] if item else got) == value, (key, got)
    if message is None:
        assert problems == []
    else:
        assert any(message in p for p in problems), problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(
    st.sampled_from(["level", "layers", "weights", "theme_weights", "normalisation", "aggregation", "missing",
                     "map_layer", "scheme", "classes", "region", "area", "min_population", "top_n", "selected",
                     "junk"]),
    st.one_of(st.text(max_size=40), st.from_regex(r"[a-z_]{1,12}:(-?[0-9.e+]{1,8}|inf|nan)(,[a-z_]{1,12}:[0-9.]{1,4})*",
                                                  fullmatch=True)),
    max_size=6))
def test_fuzz_query_strings(own, params):
    """Any query string gives a valid view (weights finite and within the sliders) and messages."""
    view, problems = own.view_from_query(params)
    assert all(isinstance(p, str) for p in problems)
    low, high = own.WEIGHT_RANGE
    for w in [*view.weights.values(), *view.theme_weights.values()]:
        assert math.isfinite(w) and low <= w <= high
    view.method  # noqa: B018 - a valid method
    assert view.level in own.config().levels
    own.view_to_query(view)


def _app(query: dict[str, str]) -> AppTest:
    """The dashboard opened at a link with ``query``, its Weights box open (so its sliders are drawn)."""
    from ui.sidebar import WEIGHTS_OPEN

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[WEIGHTS_OPEN] = True
    for k, v in query.items():
        at.query_params[k] = v
    return at


def test_tampered_link_in_the_dashboard(own):
    """Weights above the sliders' range, ``inf`` and a minimum population above every district: the page
    draws, with the messages, which stay on the next run (the map mounting reruns the page)."""
    at = _app({"weights": "poverty_rate:100,unemployment:inf", "min_population": "6001",
               "level": "![x](http://host/track.png)"})
    at.run()
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning]
    assert any("poverty\\_rate:100" in w for w in warnings), warnings
    assert any("6,000 people" in w for w in warnings), warnings
    assert all("![x](" not in w for w in warnings)  # the link text is escaped, never an image
    assert at.slider(key="w_weight_poverty_rate").value == 5.0
    at.run()
    assert any("6,000 people" in w.value for w in at.warning)


def test_filters_leaving_no_district_are_not_applied(own):
    at = _app({})
    at.run()
    at.number_input(key="w_min_population").set_value(10**9).run()
    assert not at.exception, at.exception
    assert any("No district matches the filters" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["ui/overview.py", "ui/targeting.py", "ui/method.py", "ui/compare.py"])
def test_view_survives_a_page_change_in_a_new_session(own, page):
    """After a server restart the browser's next click starts a new session on another page: the menu's
    links carry the view, so the weights are those the user set, not the defaults."""
    first = _app({})
    first.run()
    first.slider(key="w_weight_poverty_rate").set_value(3.0).run()
    first.slider(key="w_theme_poverty").set_value(2.5).run()
    links = {l.proto.label: l.proto.query_string for l in first.get("page_link")}
    assert len(links) >= 7 and all("poverty_rate%3A3" in q for q in links.values()), links
    from urllib.parse import parse_qsl

    fresh = _app(dict(parse_qsl(next(iter(links.values())))))  # a new session: nothing in session_state
    if page != "ui/overview.py":
        fresh.switch_page(page)
    fresh.run()
    assert not fresh.exception, fresh.exception
    assert fresh.slider(key="w_weight_poverty_rate").value == 3.0
    assert fresh.slider(key="w_theme_poverty").value == 2.5
