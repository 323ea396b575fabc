import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from geo.errors import TargetingError
from geo.scoring import Method, aggregate, effective_weights, normalise, rank_scores, score, treat_outliers

VALUES = pd.DataFrame(
    {"a": [0.0, 5.0, 10.0, 20.0], "b": [4.0, 3.0, 2.0, 1.0], "c": [1.0, np.nan, 3.0, 2.0]},
    index=["w", "x", "y", "z"],
)
DIRS = {"a": True, "b": False, "c": True}
THEMES = {"a": "poverty", "b": "poverty", "c": "infrastructure"}


def test_minmax_by_hand():
    out = normalise(VALUES[["a"]])
    assert out["a"].tolist() == [0.0, 25.0, 50.0, 100.0]
    assert normalise(VALUES[["a"]], lower=1)["a"].tolist() == [1.0, 25.75, 50.5, 100.0]


def test_zscore_and_rank():
    z = normalise(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), "zscore")["a"]
    assert z.tolist() == pytest.approx([-1.0, 0.0, 1.0])
    r = normalise(pd.DataFrame({"a": [10.0, 30.0, 20.0, 20.0]}), "rank")["a"]
    assert r.tolist() == [25.0, 100.0, 62.5, 62.5]


def test_constant_column_carries_no_information():
    out = normalise(pd.DataFrame({"a": [3.0, 3.0]}))
    assert out["a"].isna().all()


def test_effective_weights_rescaled_within_and_across_themes():
    eff = effective_weights(THEMES, {"a": 3, "b": 1, "c": 5})
    assert eff.to_dict() == pytest.approx({"a": 0.375, "b": 0.125, "c": 0.5})
    eff2 = effective_weights(THEMES, {}, {"poverty": 3, "infrastructure": 1})
    assert eff2.to_dict() == pytest.approx({"a": 0.375, "b": 0.375, "c": 0.25})


@pytest.mark.parametrize("weights, match", [({"a": -1}, "Invalid weight"), ({"a": 0, "b": 0, "c": 0}, "All weights are zero")])
def test_bad_weights_rejected(weights, match):
    with pytest.raises(TargetingError, match=match):
        effective_weights(THEMES, weights)


def test_score_by_hand():
    r = score(VALUES, higher_is_worse=DIRS, themes=THEMES)
    # a: 0, 25, 50, 100; b (lower is worse): 0, 33.3, 66.7, 100; c: 0, nan, 100, 50
    # poverty theme = mean(a, b); composite = 0.25 a + 0.25 b + 0.5 c
    expected_w = (0.25 * 0 + 0.25 * 0 + 0.5 * 0)
    assert r.table.loc["w", "score"] == pytest.approx(expected_w)
    assert r.table.loc["x", "score"] == pytest.approx((25 + 100 / 3) / 2)  # c missing: renormalised
    assert r.table.loc["x", "data_coverage"] == pytest.approx(0.5)
    assert r.table.loc["z", "score"] == pytest.approx(0.25 * 100 + 0.25 * 100 + 0.5 * 50)
    assert r.table.loc["y", "score"] == pytest.approx(0.25 * 50 + 0.25 * 200 / 3 + 0.5 * 100)
    assert r.table["rank"].tolist() == [4, 3, 1, 2]
    assert r.table.loc["z", "theme_poverty"] == pytest.approx(100)
    # contributions sum to the score
    assert r.contributions.sum(axis=1).to_numpy() == pytest.approx(r.table["score"].to_numpy())


def test_missing_policy_exclude_lists_districts():
    r = score(VALUES, higher_is_worse=DIRS, themes=THEMES, method=Method(missing="exclude"))
    assert np.isnan(r.table.loc["x", "score"])
    assert r.table.loc["x", "rank"] is pd.NA
    assert list(r.unscored.index) == ["x"]
    assert "exclude" in r.unscored.loc["x", "reason"]


def test_min_coverage_threshold():
    r = score(VALUES, higher_is_worse=DIRS, themes=THEMES, method=Method(min_coverage=0.6))
    assert list(r.unscored.index) == ["x"]
    assert "below the minimum" in r.unscored.loc["x", "reason"]


def test_geometric_aggregation_by_hand():
    s, cov, parts = aggregate(pd.DataFrame({"a": [1.0, 100.0], "b": [100.0, 100.0]}), pd.Series({"a": 0.5, "b": 0.5}), "geometric")
    assert s.tolist() == pytest.approx([10.0, 100.0])
    assert parts.sum(axis=1).tolist() == pytest.approx([10.0, 100.0])


def test_geometric_with_zscore_rejected():
    with pytest.raises(TargetingError, match="Geometric aggregation needs positive"):
        Method(aggregation="geometric", normalisation="zscore")


def test_unknown_method_names_the_choices():
    with pytest.raises(TargetingError, match=r"normalisation must be one of \['minmax', 'zscore', 'rank'\]"):
        Method(normalisation="robust")


def test_layer_without_spread_is_left_out_with_a_note():
    v = VALUES.assign(d=1.0)
    r = score(v, higher_is_worse={**DIRS, "d": True}, themes={**THEMES, "d": "poverty"})
    assert any("'d'" in n for n in r.notes)
    assert r.effective_weights["d"] == 0


def test_ties_share_rank_and_deciles():
    rank, decile = rank_scores(pd.Series(np.arange(20, 0, -1, dtype=float)))
    assert rank.tolist() == list(range(1, 21))
    assert decile.tolist() == [d for d in range(1, 11) for _ in range(2)]


def test_coinr_outlier_rule_winsorises_a_single_outlier():
    x = pd.DataFrame({"a": [1.0] * 5 + [2.0] * 5 + [3.0] * 5 + [100.0]})
    out, actions = treat_outliers(x)
    assert actions == {"a": "winsorised 1 point(s)"}
    assert out["a"].max() == 3.0


columns = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=5, max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_ranks_invariant_under_monotone_rescaling(data):
    n = data.draw(st.integers(5, 25))
    # whole numbers: a monotone map must not merge distinct values through rounding
    col = st.lists(st.integers(0, 1000).map(float), min_size=n, max_size=n)
    v = pd.DataFrame({"a": data.draw(col), "b": data.draw(col)})
    assume(v.nunique().min() > 1)
    how = data.draw(st.sampled_from(["minmax", "rank"]))
    scale = data.draw(st.floats(0.5, 100))
    shift = data.draw(st.floats(-100, 100))
    kw = dict(higher_is_worse={"a": True, "b": True}, themes={"a": "poverty", "b": "poverty"},
              method=Method(normalisation=how))
    before = score(v, **kw).table
    after = score(v.assign(a=v["a"] * scale + shift), **kw).table
    np.testing.assert_allclose(before["score"], after["score"], rtol=1e-6, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=3, max_size=30, unique=True))
def test_direction_flip_reverses_contribution(values):
    v = pd.DataFrame({"a": values})
    up = score(v, higher_is_worse={"a": True}, themes={"a": "poverty"}).table["score"]
    down = score(v, higher_is_worse={"a": False}, themes={"a": "poverty"}).table["score"]
    np.testing.assert_allclose(up + down, 100.0, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 100), st.floats(0.01, 100), st.floats(0.1, 50))
def test_weights_rescaling_is_scale_free(w1, w2, k):
    eff = effective_weights(THEMES, {"a": w1, "b": w2, "c": 1})
    eff_k = effective_weights(THEMES, {"a": w1 * k, "b": w2 * k, "c": 1})
    np.testing.assert_allclose(eff.to_numpy(), eff_k.to_numpy(), rtol=1e-9)
    assert eff.sum() == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(-1e3, 1e3, allow_nan=False)), min_size=2, max_size=40))
def test_ranks_are_a_permutation_and_scores_in_range(values):
    v = pd.DataFrame({"a": values, "b": list(reversed(values))}, dtype=float)
    assume(v.nunique().min() > 1)
    r = score(v, higher_is_worse={"a": True, "b": False}, themes={"a": "poverty", "b": "unemployment"})
    scored = r.table["score"].dropna()
    assert ((scored >= -1e-9) & (scored <= 100 + 1e-9)).all()
    ranks = r.table["rank"].dropna().astype(int)
    assert ranks.min() == 1 and ranks.max() <= len(scored)
    assert set(r.table.index) == set(v.index)
    assert set(r.unscored.index) == set(r.table.index[r.table["score"].isna()])


def _pandas_skew_kurtosis(x: pd.Series) -> tuple[float, float]:
    """The reference: pandas' own estimators on the rescaled values (what the rule used before)."""
    from geo.scoring import _rescaled_array

    x = x.dropna()
    if len(x) < 4 or x.nunique() < 3:
        return 0.0, 0.0
    x = pd.Series(_rescaled_array(x.to_numpy(dtype=float)[:, None])[:, 0])
    return float(x.skew()), float(x.kurt())


def test_skew_and_kurtosis_are_pandas_estimators_to_the_bit(default_config):
    from geo.dataset import load_level
    from geo.scoring import skew_kurtosis

    columns = [load_level(default_config, level).values[c] for level in default_config.levels
               for c in load_level(default_config, level).values.columns]
    columns += [pd.Series([1.0, 1, 2, 2, 2]), pd.Series([1.0, 2, 3, 3]), pd.Series([5.0] * 10),
                pd.Series([np.nan] * 5), pd.Series([1e-20, 2e-20, 3e-20, 9e-20]), pd.Series([1e300, -1e300, 0.0, 3.0])]
    for x in columns:
        assert skew_kurtosis(x) == _pandas_skew_kurtosis(x.astype(float)), x.name


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=0, max_size=40))
def test_skew_and_kurtosis_match_pandas_on_any_column(values):
    from geo.scoring import skew_kurtosis

    x = pd.Series(values, dtype=float)
    assert skew_kurtosis(x) == _pandas_skew_kurtosis(x)
