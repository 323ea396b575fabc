"""Monitoring: the treated districts' change against their matched peers, on a case with a known answer."""

import pandas as pd
import pytest

from geo.errors import TargetingError
from geo.monitor import CAVEAT, matched_change

# Six districts in two pairs of look-alikes plus two others; a and c were treated.
BEFORE = pd.DataFrame({"poor": [50.0, 51.0, 20.0, 21.0, 35.0, 36.0],
                       "jobs": [10.0, 10.0, 30.0, 30.0, 20.0, 20.0]}, index=list("abcdef"))
AFTER = pd.DataFrame({"poor": [40.0, 49.0, 15.0, 20.0, 34.0, 35.0],
                      "jobs": [14.0, 11.0, 33.0, 31.0, 20.0, 21.0]}, index=list("abcdef"))
HIW = {"poor": True, "jobs": False}


def test_difference_in_change_against_the_nearest_peer():
    r = matched_change(BEFORE, AFTER, ["a", "c"], higher_is_worse=HIW, k=1, permutations=0)
    # a is matched to b, c to d: poor fell 10 and 5 against 2 and 1 -> improved 6 points more on average;
    # jobs rose 4 and 3 against 1 and 1 -> 2.5 more
    assert r.matches["matches"].tolist() == ["b", "d"]
    assert r.table.loc["poor", "treated_change"] == pytest.approx(-7.5)
    assert r.table.loc["poor", "matched_change"] == pytest.approx(-1.5)
    assert r.table.loc["poor", "difference"] == pytest.approx(6.0)
    assert r.table.loc["jobs", "difference"] == pytest.approx(2.5)
    assert r.caveat == CAVEAT and "association, not an effect" in CAVEAT
    assert "1 nearest untreated" in r.matching


def test_permutation_interval_and_p_value():
    r = matched_change(BEFORE, AFTER, ["a", "c"], higher_is_worse=HIW, k=1, permutations=300, seed=1)
    row = r.table.loc["poor"]
    assert row["interval_low"] <= row["interval_high"]
    assert 0 < row["p_value"] <= 1
    # the observed difference is the largest any placement of two treated districts gives here
    assert row["difference"] >= row["interval_high"] - 1e-9


def test_bad_lists_are_refused():
    with pytest.raises(TargetingError, match=r"\['zz'\] are not districts"):
        matched_change(BEFORE, AFTER, ["zz"], higher_is_worse=HIW)
    with pytest.raises(TargetingError, match="cannot give 3 matches"):
        matched_change(BEFORE, AFTER, list("abcd"), higher_is_worse=HIW, k=3)
