import numpy as np
import pandas as pd
import pytest

from geo.dataset import load_level, score_level, target_counts
from geo.errors import TargetingError
from geo.scoring import score
from geo.targeting import QUADRANTS, coverage_curve, districts_to_reach, need_readiness, top_k_errors

ROLES = {"poverty": "need", "unemployment": "need", "infrastructure": "readiness"}


def test_need_readiness_by_hand():
    v = pd.DataFrame({"pov": [0.0, 100.0, 50.0, 100.0], "no_power": [0.0, 0.0, 100.0, 100.0]}, index=list("abcd"))
    r = score(v, higher_is_worse={"pov": True, "no_power": True}, themes={"pov": "poverty", "no_power": "infrastructure"})
    nr = need_readiness(r, {"pov": "poverty", "no_power": "infrastructure"}, ROLES, need_threshold=50,
                        readiness_threshold=50)
    assert nr["need"].tolist() == [0, 100, 50, 100]
    assert nr["readiness"].tolist() == [100, 100, 0, 0]
    assert nr["quadrant"].tolist() == [QUADRANTS[2], QUADRANTS[0], QUADRANTS[1], QUADRANTS[1]]


def test_need_readiness_needs_both_roles():
    v = pd.DataFrame({"pov": [0.0, 1.0]})
    r = score(v, higher_is_worse={"pov": True}, themes={"pov": "poverty"})
    with pytest.raises(TargetingError, match="role 'readiness'"):
        need_readiness(r, {"pov": "poverty"}, ROLES)


def test_coverage_curve_sums_and_errors():
    s = pd.Series([5.0, 9.0, np.nan, 7.0], index=["a", "b", "c", "d"])
    t = pd.Series([10.0, 40.0, 25.0, 25.0], index=s.index)
    pop = pd.Series([100.0, 100.0, 100.0, 50.0], index=s.index)
    c = coverage_curve(s, t, pop)
    assert c["code"].tolist() == ["b", "d", "a", "c"]  # unscored last
    assert c["share_reached"].iloc[-1] == pytest.approx(1.0)
    assert c["target_reached"].tolist() == [40, 65, 75, 100]
    assert districts_to_reach(c, 0.6) == 2
    e = top_k_errors(c, 2, pop)
    assert e["coverage"] == pytest.approx(0.65) and e["exclusion_error"] == pytest.approx(0.35)
    assert e["inclusion_error"] == pytest.approx(1 - 65 / 150)
    with pytest.raises(TargetingError, match="between 0 and 1"):
        districts_to_reach(c, 1.5)


def test_target_counts_on_the_census(default_config):
    data = load_level(default_config, "provinces")
    unemployed = target_counts(data, "unemployment")
    active = pd.to_numeric(data.tables["census"]["labour_active"])
    assert unemployed.sum() == pytest.approx((data.values["unemployment"] / 100 * active).sum())
    # national unemployment 21.3 % of 11.1 M active people (HCP country row)
    assert unemployed.sum() / active.sum() == pytest.approx(0.213, abs=0.002)
    with pytest.raises(TargetingError, match="not a percentage"):
        target_counts(data, "crowding")
    result = score_level(data)
    curve = coverage_curve(result.table["score"], unemployed, data.population)
    assert curve["share_reached"].is_monotonic_increasing


def test_peers_by_hand():
    from geo.targeting import peers

    ctx = pd.DataFrame({"pop": [1.0, 1.1, 5.0, 1.2, 0.9], "road": [2.0, 2.0, 2.0, 2.0, 2.0]}, index=list("abcde"))
    outcome = pd.Series([80.0, 40.0, 10.0, 79.0, np.nan], index=ctx.index)
    values = pd.DataFrame({"illiteracy": [40.0, 20.0, 10.0, 41.0, 30.0]}, index=ctx.index)
    out = peers(ctx, outcome, "a", k=3, values=values)
    assert out.index.tolist() == ["b", "d", "c"]  # e has no outcome; road has no spread
    assert out.loc["b", "gap"] == 40 and out.loc["b", "positive_deviant"]
    assert not out.loc["d", "positive_deviant"]
    assert "illiteracy (-" in out.loc["b", "differs"]
    with pytest.raises(TargetingError, match="Unknown district"):
        peers(ctx, outcome, "zz")
