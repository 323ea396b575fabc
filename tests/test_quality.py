import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import TargetingError
from geo.quality import district_reliability, indicator_checks

VALUES = pd.DataFrame(
    {
        "poor": [10.0, 20.0, 30.0, 40.0, 50.0],
        "poor_copy": [1.0, 2.0, 3.0, 4.0, 5.0],  # poor / 10: double counting
        "flat": [7.0, 7.0, 7.0, 7.0, 8.0],  # 80 % identical
        "sparse": [1.0, np.nan, np.nan, 3.0, np.nan],  # 40 % available
        "school": [5.0, 3.0, 4.0, 1.0, 2.0],
        "water": [1.0, 2.0, 2.5, 4.0, 4.5],
    },
    index=list("vwxyz"),
)
THEMES = {"poor": "money", "poor_copy": "money", "flat": "money", "sparse": "money",
          "school": "services", "water": "services"}
DIRS = dict.fromkeys(VALUES.columns, True)


@pytest.fixture(scope="module")
def checks():
    return indicator_checks(VALUES, THEMES, DIRS)


def test_one_row_per_layer(checks):
    assert list(checks.index) == list(VALUES.columns)
    assert list(checks.columns) == [
        "availability", "low_availability", "share_identical", "many_identical", "max_abs_corr",
        "most_correlated_with", "double_counting", "corr_with_theme", "negative_in_theme", "flags",
    ]


def test_availability_by_hand(checks):
    assert checks.loc["sparse", "availability"] == pytest.approx(0.4)
    assert checks.loc["poor", "availability"] == 1.0
    assert checks["low_availability"].tolist() == [False, False, False, True, False, False]
    assert "low availability (40% of districts)" in checks.loc["sparse", "flags"]


def test_identical_values_by_hand(checks):
    assert checks.loc["flat", "share_identical"] == pytest.approx(0.8)
    assert checks.loc["poor", "share_identical"] == pytest.approx(0.2)
    assert checks["many_identical"].tolist() == [False, False, True, False, False, False]


def test_duplicated_column_is_double_counting(checks):
    assert checks.loc["poor", "max_abs_corr"] == pytest.approx(1.0)
    assert checks.loc["poor", "most_correlated_with"] == "poor_copy"
    assert checks.loc["poor_copy", "most_correlated_with"] == "poor"
    assert checks.loc["poor", "double_counting"] and checks.loc["poor_copy", "double_counting"]
    assert "double counting with 'poor_copy'" in checks.loc["poor", "flags"]


def test_layer_negatively_related_to_its_theme(checks):
    # school falls as water rises: r(school, minmax(water)) by hand
    expected = np.corrcoef(VALUES["school"], VALUES["water"])[0, 1]
    assert expected < -0.4
    assert checks.loc["school", "corr_with_theme"] == pytest.approx(expected)
    assert checks.loc["school", "negative_in_theme"]
    assert "negatively related to its theme" in checks.loc["school", "flags"]


def test_direction_is_applied_before_correlating():
    dirs = dict(DIRS, school=False)
    out = indicator_checks(VALUES, THEMES, dirs)
    assert out.loc["school", "corr_with_theme"] > 0.4
    assert not out.loc["school", "negative_in_theme"]
    assert out.loc["school", "flags"] == ""


def test_theme_mean_uses_minmax_of_the_other_layers():
    v = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [0.0, 100.0, 0.0, 100.0],
                      "c": [3.0, 2.0, 1.0, 0.5]})
    out = indicator_checks(v, dict.fromkeys("abc", "t"), dict.fromkeys("abc", True))
    rest = (v["b"] / 100 + (v["c"] - 0.5) / 2.5) / 2
    assert out.loc["a", "corr_with_theme"] == pytest.approx(np.corrcoef(v["a"], rest)[0, 1])


def test_single_layer_theme_and_constant_column_have_no_correlation():
    v = pd.DataFrame({"a": [1.0, 2.0, 3.0], "k": [4.0, 4.0, 4.0]})
    out = indicator_checks(v, {"a": "t", "k": "u"}, {"a": True, "k": False})
    assert np.isnan(out.loc["a", "corr_with_theme"])
    assert np.isnan(out.loc["k", "max_abs_corr"])
    assert out.loc["k", "most_correlated_with"] is None
    assert out.loc["k", "many_identical"]
    assert out.loc["a", "flags"] == ""


def test_errors_name_the_problem():
    with pytest.raises(TargetingError, match="theme"):
        indicator_checks(VALUES, {"poor": "money"}, DIRS)
    with pytest.raises(TargetingError, match="direction"):
        indicator_checks(VALUES, THEMES, {"poor": True})


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3) | st.none()), min_size=2,
                max_size=12))
def test_property_ranges(rows):
    v = pd.DataFrame(rows, columns=["a", "b"], dtype=float)
    out = indicator_checks(v, {"a": "t", "b": "t"}, {"a": True, "b": False})
    assert out["availability"].between(0, 1).all()
    share = out["share_identical"].dropna()
    assert share.between(0, 1).all()
    corr = out["max_abs_corr"].dropna()
    assert (corr <= 1 + 1e-9).all() and (corr >= 0).all()


def test_district_reliability_labels():
    cov = pd.Series([1.0, 0.999999, 0.7, 0.66, 0.65, 0.0, np.nan], index=list("abcdefg"))
    out = district_reliability(cov)
    assert out.tolist() == ["good", "partial", "partial", "partial", "low", "low", "low"]
    assert out.index.equals(cov.index) and out.name == "reliability"
    assert district_reliability(cov, low=0.5, good=0.9).tolist()[:5] == ["good"] * 2 + [
        "partial"] * 3


@pytest.mark.parametrize("kw", [{"low": 1.5}, {"low": 0.9, "good": 0.8}, {"good": -1}])
def test_district_reliability_rejects_bad_thresholds(kw):
    with pytest.raises(TargetingError, match="low|good"):
        district_reliability(pd.Series([1.0]), **kw)


def test_two_shared_districts_give_no_correlation(checks):
    # sparse shares only two districts with school: |r| = 1 by construction, not evidence
    assert checks.loc["school", "most_correlated_with"] != "sparse"
    assert not np.isnan(checks.loc["sparse", "availability"])
    assert np.isnan(checks.loc["sparse", "max_abs_corr"])
