import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import TargetingError
from geo.scoring import Method, score
from geo.uncertainty import rank_uncertainty

VALUES = pd.DataFrame(
    {
        "a": [0.0, 5.0, 10.0, 20.0, 7.0],
        "b": [4.0, 3.0, 2.0, 1.0, 2.5],
        "c": [1.0, np.nan, 3.0, 2.0, 9.0],
    },
    index=["v", "w", "x", "y", "z"],
)
DIRS = {"a": True, "b": False, "c": True}
THEMES = {"a": "poverty", "b": "poverty", "c": "access"}
COLS = ["rank_median", "rank_p05", "rank_p95", "p_top_k"]


def run(values=VALUES, **kw):
    kw.setdefault("draws", 200)
    return rank_uncertainty(values, higher_is_worse=DIRS, themes=THEMES, **kw)


@pytest.mark.parametrize(
    "method",
    [Method(), Method(normalisation="rank"), Method(aggregation="geometric"),
     Method(normalisation="zscore"), Method(min_coverage=0.9)],
)
def test_noise_zero_collapses_to_reference_rank(method):
    r = run(noise=0.0, normalisations=[method.normalisation], aggregations=[method.aggregation],
            method=method, top_k=2)
    ref = score(VALUES, higher_is_worse=DIRS, themes=THEMES, method=method).table["rank"]
    assert r.reference_rank.equals(ref)
    ranked = ref.notna()
    for col in ["rank_median", "rank_p05", "rank_p95"]:
        assert r.table.loc[ranked, col].tolist() == ref[ranked].astype(float).tolist()
    assert r.table.loc[ranked, "p_top_k"].tolist() == (ref[ranked] <= 2).astype(float).tolist()
    assert r.mean_shift == 0.0


def test_hand_checked_reference():
    # minmax on a (oriented up) and b (oriented down) in one theme: x = 0, 25, 50, 100
    # and (after negating b) 0, 1/3, 2/3, 1 -> mean ranks z > y > x > w.
    v = pd.DataFrame({"a": [0.0, 1.0, 2.0, 4.0], "b": [3.0, 2.0, 1.0, 0.0]}, index=list("wxyz"))
    r = rank_uncertainty(v, higher_is_worse={"a": True, "b": False}, themes={"a": "t", "b": "t"},
                         draws=10, noise=0.0, normalisations=["minmax"], aggregations=["arithmetic"])
    assert r.reference_rank.tolist() == [4, 3, 2, 1]
    assert r.ranks.dtype == np.int32 and r.ranks.shape == (10, 4)
    assert (r.ranks == np.array([4, 3, 2, 1])).all()


def test_ties_share_the_best_rank():
    v = pd.DataFrame({"a": [1.0, 2.0, 2.0, 0.0]}, index=list("wxyz"))
    r = rank_uncertainty(v, higher_is_worse={"a": True}, themes={"a": "t"}, draws=5)
    assert r.reference_rank.tolist() == [3, 1, 1, 4]
    assert (r.ranks == np.array([3, 1, 1, 4])).all()


def test_seed_reproducible_and_seed_matters():
    a, b, c = run(seed=3), run(seed=3), run(seed=4)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert np.array_equal(a.ranks, b.ranks)
    assert not np.array_equal(a.ranks, c.ranks)


@pytest.mark.parametrize("chunk", [1, 7, 200, 1000])
def test_chunk_size_does_not_change_results(chunk):
    base = run(chunk=100, leave_one_out=True)
    other = run(chunk=chunk, leave_one_out=True)
    assert np.array_equal(base.ranks, other.ranks)
    pd.testing.assert_frame_equal(base.table, other.table)
    assert base.mean_shift == other.mean_shift


def test_p_top_k_sums_to_k_when_everyone_ranked():
    rng = np.random.default_rng(0)
    v = pd.DataFrame(rng.normal(size=(30, 4)), columns=list("abcd"))
    r = rank_uncertainty(v, higher_is_worse=dict.fromkeys("abcd", True),
                         themes={"a": "t1", "b": "t1", "c": "t2", "d": "t2"}, draws=300, top_k=5)
    p = r.table["p_top_k"]
    assert ((p >= 0) & (p <= 1)).all()
    assert p.sum() == pytest.approx(5.0)
    assert r.mean_shift > 0
    assert (r.table["rank_p05"] <= r.table["rank_median"]).all()
    assert (r.table["rank_median"] <= r.table["rank_p95"]).all()


def test_leave_one_out_changes_results():
    base = run(noise=0.0, normalisations=["minmax"], aggregations=["arithmetic"])
    loo = run(noise=0.0, normalisations=["minmax"], aggregations=["arithmetic"], leave_one_out=True)
    assert base.mean_shift == 0.0
    assert loo.mean_shift > 0.0
    assert not loo.table.equals(base.table)
    assert loo.settings["leave_one_out"] is True


def test_unscored_districts_have_nan_and_no_rank():
    # w lacks c, which carries half of the effective weight: coverage 0.5 < 0.9
    r = run(method=Method(min_coverage=0.9))
    assert list(r.unscored) == ["w"]
    assert r.table.loc["w", COLS].isna().all()
    assert r.table.drop("w")[COLS].notna().all().all()
    assert r.reference_rank.isna().tolist() == [False, True, False, False, False]
    assert (r.ranks[:, 1] == -1).all()
    assert (r.ranks[:, [0, 2, 3, 4]] >= 1).all()


def test_district_without_its_only_layer_loses_the_rank_in_that_draw():
    v = pd.DataFrame({"a": [1.0, 2.0, np.nan, 3.0], "b": [2.0, 1.0, 5.0, 0.0]}, index=list("wxyz"))
    r = rank_uncertainty(v, higher_is_worse={"a": True, "b": True}, themes={"a": "t", "b": "u"},
                         draws=50, leave_one_out=True, method=Method(min_coverage=0.4))
    assert "y" not in r.unscored
    assert (r.ranks[:, 2] == -1).any() and (r.ranks[:, 2] > 0).any()
    assert not np.isnan(r.table.loc["y", "rank_median"])


def test_index_kept_and_draws_shape():
    r = run(draws=13)
    assert r.table.index.equals(VALUES.index)
    assert list(r.table.columns) == COLS
    assert r.ranks.shape == (13, 5)
    assert set(r.settings["pairs"]) == {
        ("minmax", "arithmetic"), ("minmax", "geometric"), ("zscore", "arithmetic"),
        ("rank", "arithmetic"), ("rank", "geometric"),
    }


def test_only_valid_pairs_drawn_zscore_geometric_rejected():
    r = run(normalisations=["zscore", "rank"], aggregations=["geometric"])
    assert r.settings["pairs"] == [("rank", "geometric")]
    with pytest.raises(TargetingError, match="z-scores"):
        run(normalisations=["zscore"], aggregations=["geometric"])


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"draws": 0}, "draws"),
        ({"noise": 1.5}, "noise"),
        ({"top_k": 0}, "top_k"),
        ({"chunk": 0}, "chunk"),
        ({"normalisations": ["minmax", "log"]}, "normalisations"),
        ({"normalisations": "minmax"}, "normalisations"),
        ({"aggregations": []}, "aggregations"),
    ],
)
def test_invalid_settings(kw, match):
    with pytest.raises(TargetingError, match=match):
        run(**kw)


def test_missing_theme_and_single_layer_leave_one_out():
    with pytest.raises(TargetingError, match="theme"):
        rank_uncertainty(VALUES, higher_is_worse=DIRS, themes={"a": "t"})
    with pytest.raises(TargetingError, match="leave_one_out"):
        rank_uncertainty(VALUES[["a"]], higher_is_worse=DIRS, themes=THEMES, leave_one_out=True)


@settings(max_examples=25, deadline=None)
@given(
    data=st.lists(
        st.tuples(*[st.floats(-100, 100, allow_nan=False) for _ in range(3)]), min_size=3, max_size=8
    ),
    seed=st.integers(0, 10),
)
def test_property_ranks_valid_and_collapse(data, seed):
    v = pd.DataFrame(data, columns=list("abc"))
    r_ref = score(v, higher_is_worse=DIRS, themes=THEMES) if v.nunique().max() > 1 else None
    if r_ref is None:
        return
    r = rank_uncertainty(v, higher_is_worse=DIRS, themes=THEMES, draws=20, seed=seed, top_k=2)
    ranked = r.ranks[r.ranks > 0]
    assert ranked.min() >= 1 and ranked.max() <= len(v)
    p = r.table["p_top_k"].dropna()
    assert ((p >= 0) & (p <= 1)).all()
    # with ties, more than top_k districts can share the top places
    assert p.sum() >= 2 - 1e-9 or len(p) < 2
    collapsed = rank_uncertainty(v, higher_is_worse=DIRS, themes=THEMES, draws=5, noise=0.0,
                                 normalisations=["minmax"], aggregations=["arithmetic"])
    assert collapsed.reference_rank.equals(r_ref.table["rank"])
    assert collapsed.mean_shift == 0.0 or np.isnan(collapsed.mean_shift)


def test_sensitivity_splits_rank_variance_between_the_choices():
    from geo.uncertainty import sensitivity

    v = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "b": [6.0, 1, 5, 2, 4, 3], "c": [1.0, 9, 2, 8, 3, 7]},
                     index=list("uvwxyz"))
    kw = dict(higher_is_worse={"a": True, "b": True, "c": False}, themes={"a": "t", "b": "t", "c": "s"})
    # only the method varies: it explains (nearly) everything, the weights nothing
    only_method = sensitivity(rank_uncertainty(v, **kw, draws=600, noise=0.0, seed=2))["first_order"]
    assert only_method["method"] > 0.9
    assert only_method.drop("method").abs().max() < 0.02
    # only the weights vary: the method explains nothing
    only_weights = sensitivity(rank_uncertainty(v, **kw, draws=600, normalisations=["minmax"],
                                                aggregations=["arithmetic"], seed=2))["first_order"]
    assert only_weights["method"] == 0.0 and only_weights.max() > 0.2
    assert 0.0 <= only_weights.sum() <= 1.05
    # nothing varies: nothing to explain
    assert sensitivity(rank_uncertainty(v, **kw, draws=50, noise=0.0, normalisations=["minmax"],
                                        aggregations=["arithmetic"])).empty


def test_ranks_by_packed_integer_sort_equal_an_argsort_of_the_rounded_scores():
    from geo.uncertainty import _rank_rows, _rank_scores

    # ties within 1e-9 share the best rank, missing scores get -1, negative and huge scores work
    s = np.array([[3.0, 1.0, 3.0 + 1e-12, np.nan, -2.5], [1e15, 5.0, 5.0, 0.0, np.nan]])
    assert _rank_scores(s).tolist() == [[1, 3, 1, -1, 4], [1, 2, 2, 4, -1]]
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = np.round(rng.normal(0, 50, (5, 300)), int(rng.integers(0, 3)))
        x[rng.uniform(size=x.shape) < 0.1] = np.nan
        assert np.array_equal(_rank_scores(x), _rank_rows(np.round(x, 9)))
