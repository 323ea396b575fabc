"""Spatial weights, Local Moran's I, Getis-Ord Gi* and IMD-style district summaries."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import esda
import geopandas as gpd
import itertools

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import Queen
from shapely.geometry import box

from geo.clusters import district_summaries, getis_ord, local_moran, spatial_weights
from geo.errors import MissingCRSError, TargetingError

# esda's own deprecation notices when it is called directly for comparison.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*row_stack:DeprecationWarning"),
]

ROOT = Path(__file__).resolve().parents[1]
GPKG = ROOT / "data" / "boundaries" / "morocco.gpkg"
CSV = ROOT / "data" / "indicators" / "morocco_rgph2024.csv"

# 3x3 grid of unit squares, row by row from the bottom left:
#   g h i
#   d e f
#   a b c
CODES = list("abcdefghi")
# Deviations from the mean (they sum to 0), values = 5 + deviation.
DEV = {"a": 3, "b": 2, "c": -2, "d": 2, "e": 1, "f": -2, "g": -2, "h": -1, "i": -1}
# Queen neighbours, written out by hand (corners 3, edges 5, centre 8).
NEIGHBOURS = {
    "a": "bde", "b": "acdef", "c": "bef",
    "d": "abegh", "e": "abcdfghi", "f": "bcehi",
    "g": "deh", "h": "defgi", "i": "efh",
}


def grid(n: int = 3, crs: str | None = "EPSG:32631", codes: list[str] | None = None) -> gpd.GeoDataFrame:
    cells = [box(x, y, x + 1, y + 1) for y in range(n) for x in range(n)]
    index = codes or [f"c{k}" for k in range(n * n)]
    return gpd.GeoDataFrame({"name": index}, geometry=cells, index=pd.Index(index, name="code"), crs=crs)


@pytest.fixture()
def grid3() -> tuple[gpd.GeoDataFrame, pd.Series]:
    g = grid(3, codes=CODES)
    return g, pd.Series({c: 5.0 + d for c, d in DEV.items()}, name="score")


# --------------------------------------------------------------------------- weights


def test_queen_weights_match_the_hand_made_neighbours(grid3):
    g, _ = grid3
    w, text = spatial_weights(g)
    assert text == "queen contiguity"
    assert w.id_order == CODES
    assert {c: set(w.neighbors[c]) for c in CODES} == {c: set(n) for c, n in NEIGHBOURS.items()}
    assert w.transform == "R"
    for c in CODES:  # row-standardised: each neighbour weighs 1 / (number of neighbours)
        assert w.weights[c] == pytest.approx([1 / len(NEIGHBOURS[c])] * len(NEIGHBOURS[c]))


def test_shapes_touching_at_one_corner_are_neighbours():
    g = gpd.GeoSeries([box(0, 0, 1, 1), box(1, 1, 2, 2)], index=["sw", "ne"], crs="EPSG:32631")
    w, text = spatial_weights(g)
    assert w.neighbors == {"sw": ["ne"], "ne": ["sw"]}
    assert text == "queen contiguity"


def test_island_is_linked_to_its_nearest_district_symmetrically(grid3):
    g, _ = grid3
    far = gpd.GeoDataFrame({"name": ["z"]}, geometry=[box(100, 100, 101, 101)],
                           index=pd.Index(["z"], name="code"), crs=g.crs)
    w, text = spatial_weights(pd.concat([g, far]))
    assert w.neighbors["z"] == ["i"]  # i = (2, 2) is the nearest square
    assert "z" in w.neighbors["i"] and len(w.neighbors["i"]) == 4
    assert w.islands == []
    assert text == "queen contiguity; 1 island linked to its 1 nearest neighbour(s)"


def test_several_islands_and_k_fallback_in_a_geographic_crs():
    # Three separate squares of about 1 km in degrees: the distances are measured in UTM.
    g = gpd.GeoSeries([box(0, 0, 0.01, 0.01), box(0.05, 0, 0.06, 0.01), box(0.5, 0, 0.51, 0.01)],
                      index=["p", "q", "r"], crs="EPSG:4326")
    w, text = spatial_weights(g, k_fallback=2)
    assert text == "queen contiguity; 3 islands linked to their 2 nearest neighbour(s)"
    assert {k: set(v) for k, v in w.neighbors.items()} == {"p": {"q", "r"}, "q": {"p", "r"}, "r": {"p", "q"}}
    w1, _ = spatial_weights(g, k_fallback=1)
    assert {k: set(v) for k, v in w1.neighbors.items()} == {"p": {"q"}, "q": {"p", "r"}, "r": {"q"}}


def test_weights_errors(grid3):
    g, _ = grid3
    with pytest.raises(TargetingError, match="k_fallback"):
        spatial_weights(g, k_fallback=0)
    with pytest.raises(TargetingError, match="duplicated district codes"):
        spatial_weights(pd.concat([g, g.iloc[:1]]))
    with pytest.raises(TargetingError, match="at least 2 districts"):
        spatial_weights(g.iloc[:1])
    with pytest.raises(TargetingError, match="GeoDataFrame or GeoSeries"):
        spatial_weights(pd.DataFrame(g))  # type: ignore[arg-type]
    apart = gpd.GeoSeries([box(0, 0, 1, 1), box(5, 5, 6, 6)], index=["a", "b"])
    with pytest.raises(MissingCRSError, match="no CRS"):
        spatial_weights(apart)


# --------------------------------------------------------------------------- Local Moran's I


def hand_moran() -> tuple[dict[str, Fraction], dict[str, str], Fraction]:
    """Local and global Moran's I of the 3x3 grid, in exact arithmetic.

    n = 9 and the deviations z_i = y_i - mean sum to 0; sum z_i^2 = 9+4+4+1+4+4+4+1+1 = 32,
    so the sample variance is 32 / (n - 1) = 4 and the z-scores (sample sd = 2) are
    z_i = dev_i / 2. With row-standardised queen weights w_ij = 1 / |N(i)|:
        lag_i = sum_j w_ij z_j, I_i = z_i * lag_i.
    For the corner a: N(a) = {b, d, e}, lag_a = (1 + 1 + 0.5) / 3 = 5/6, z_a = 3/2,
        I_a = 3/2 * 5/6 = 5/4.
    For the centre e: lag_e = (3+2-2+2-2-2-1-1)/2 / 8 = -1/16, z_e = 1/2, I_e = -1/32.
    Global I (row-standardised, S0 = n) = sum_i z_i lag_i / sum_i z_i^2 = sum_i I_i / (n - 1).
    """
    var = Fraction(sum(d * d for d in DEV.values()), len(DEV) - 1)
    assert var == 4
    z = {c: Fraction(d, 2) for c, d in DEV.items()}
    lag = {c: sum(z[j] for j in NEIGHBOURS[c]) / len(NEIGHBOURS[c]) for c in CODES}
    local = {c: z[c] * lag[c] for c in CODES}
    quadrant = {c: ("H" if z[c] > 0 else "L") + ("H" if lag[c] > 0 else "L") for c in CODES}
    global_i = sum(z[c] * lag[c] for c in CODES) / sum(z[c] ** 2 for c in CODES)
    return local, quadrant, global_i


def test_local_moran_matches_the_hand_calculation(grid3):
    g, v = grid3
    local, quadrant, global_i = hand_moran()
    assert local["a"] == Fraction(5, 4) and local["e"] == Fraction(-1, 32)
    assert global_i == Fraction(sum(local.values())) / 8
    assert quadrant == {"a": "HH", "b": "HH", "c": "LH", "d": "HH", "e": "HL",
                        "f": "LL", "g": "LH", "h": "LL", "i": "LL"}
    r = local_moran(g, v, permutations=999, seed=0, fdr=False)
    t = r.table
    assert list(t.columns) == ["I", "p", "quadrant", "cluster"]
    assert list(t.index) == CODES
    for c in CODES:
        assert t.loc[c, "I"] == pytest.approx(float(local[c]), abs=1e-12)
    assert t["quadrant"].to_dict() == quadrant
    assert r.global_I == pytest.approx(float(global_i), abs=1e-12)
    # The corner a has the three highest other values around it: only 1 of the C(8, 3) = 56
    # neighbour sets is as extreme, so its pseudo p-value is about 1/56 < 0.05.
    assert t.loc["a", "p"] < 0.05 and t.loc["a", "cluster"] == "HH"
    assert ((t["p"] > 0) & (t["p"] <= 1)).all()
    assert set(t["cluster"]) <= {"HH", "LL", "HL", "LH", "not significant"}
    sig = t["p"] <= 0.05
    assert (t.loc[sig, "cluster"] == t.loc[sig, "quadrant"]).all()
    assert (t.loc[~sig, "cluster"] == "not significant").all()
    assert r.weights_description == "queen contiguity"
    assert (r.alpha, r.fdr, r.threshold, r.permutations) == (0.05, False, 0.05, 999)
    assert 0 < r.global_p <= 1
    assert r.counts().sum() == 9


def test_local_moran_agrees_with_esda_called_directly(grid3):
    g, v = grid3
    w = Queen.from_dataframe(g, use_index=True)
    v = v + np.arange(9) / 100  # no tied values: esda compares floating-point sums without tolerance
    direct = esda.Moran_Local(v.to_numpy(), w, transformation="r", permutations=999, seed=0)
    t = local_moran(g, v, permutations=999, seed=0).table
    np.testing.assert_allclose(t["I"].to_numpy(), direct.Is, atol=1e-12)
    # p-values: see test_local_moran_p_values_equal_esda_within_permutation_noise (on a 3 x 3 grid the
    # centre's neighbours are all the others, a degenerate case where esda's draws and ours differ)
    assert esda.Moran(v.to_numpy(), w).I == pytest.approx(local_moran(g, v, permutations=9).global_I)


def test_local_moran_is_reproducible_and_keeps_the_input(grid3):
    g, v = grid3
    shuffled = v.sample(frac=1, random_state=1)
    before = (g.copy(), shuffled.copy())
    a = local_moran(g, shuffled, permutations=199, seed=3).table
    b = local_moran(g, shuffled, permutations=199, seed=3).table
    pd.testing.assert_frame_equal(a, b)
    np.random.seed(42)
    expected = np.random.random()
    np.random.seed(42)
    first = local_moran(g, shuffled, permutations=199, seed=3)
    assert np.random.random() == expected  # numpy's global generator is left as it was
    assert first.global_p == local_moran(g, shuffled, permutations=199, seed=3).global_p
    assert list(a.index) == list(shuffled.index)  # indexed like values
    pd.testing.assert_frame_equal(g, before[0])
    pd.testing.assert_series_equal(shuffled, before[1])


def test_missing_value_is_no_data_and_the_others_are_computed(grid3):
    g, v = grid3
    v = v.copy()
    v["e"] = np.nan
    r = local_moran(g, v, permutations=999, seed=0)
    t = r.table
    assert list(t.index) == CODES
    assert t.loc["e", "cluster"] == "no data"
    assert pd.isna(t.loc["e", "I"]) and pd.isna(t.loc["e", "p"]) and pd.isna(t.loc["e", "quadrant"])
    others = [c for c in CODES if c != "e"]
    assert t.loc[others, "I"].notna().all()
    # Same as esda on the eight other squares with their own queen weights (e left out of the weights).
    w = Queen.from_dataframe(g.loc[others], use_index=True)
    direct = esda.Moran_Local(v[others].to_numpy(), w, transformation="r", permutations=999, seed=0)
    np.testing.assert_allclose(t.loc[others, "I"].to_numpy(), direct.Is, atol=1e-12)
    assert r.weights_description == "queen contiguity"


def test_district_cut_off_by_missing_data_falls_back_to_nearest(grid3):
    g, v = grid3
    v = v.copy()
    v[["b", "d", "e"]] = np.nan  # a loses all its neighbours with data
    r = local_moran(g, v, permutations=99)
    assert r.weights_description == "queen contiguity; 1 island linked to its 1 nearest neighbour(s)"
    assert r.table["cluster"].value_counts()["no data"] == 3
    assert r.table.loc["a", "I"] == r.table.loc["a", "I"]  # computed, not NaN


def test_fdr_is_at_least_as_strict_as_alpha():
    g = grid(7)
    rng = np.random.default_rng(0)
    y = rng.normal(size=49)
    y[[0, 1, 7, 8, 2, 14]] += 4  # a high corner
    v = pd.Series(y, index=g.index)
    plain = local_moran(g, v, permutations=999, seed=0, fdr=False)
    strict = local_moran(g, v, permutations=999, seed=0)
    assert strict.fdr and strict.threshold <= plain.threshold == 0.05
    assert strict.threshold == pytest.approx(esda.fdr(plain.table["p"].to_numpy(), 0.05))
    sig_plain = plain.table["cluster"] != "not significant"
    sig_fdr = strict.table["cluster"] != "not significant"
    assert not (sig_fdr & ~sig_plain).any()
    assert sig_plain.sum() >= sig_fdr.sum()
    assert plain.table.loc["c0", "cluster"] == "HH"


def test_user_weights_are_subset_and_not_modified(grid3):
    g, v = grid3
    w = Queen.from_dataframe(g, use_index=True)
    assert w.transform == "O"
    v = v.copy()
    v["i"] = np.nan
    r = local_moran(g, v, permutations=99, weights=w)
    assert r.weights_description == "user-supplied weights"
    assert w.transform == "O" and len(w.neighbors) == 9
    assert r.table.loc["i", "cluster"] == "no data"
    with pytest.raises(TargetingError, match="not among the weights' ids"):
        local_moran(g, v, weights=Queen.from_dataframe(g.reset_index(drop=True), use_index=True))


def test_local_moran_errors(grid3):
    g, v = grid3
    with pytest.raises(TargetingError, match="permutations"):
        local_moran(g, v, permutations=0)
    with pytest.raises(TargetingError, match="alpha"):
        local_moran(g, v, alpha=1.5)
    with pytest.raises(TargetingError, match="not in districts"):
        local_moran(g, v.rename({"a": "zz"}))
    with pytest.raises(TargetingError, match="same value"):
        local_moran(g, pd.Series(1.0, index=g.index))
    with pytest.raises(TargetingError, match="at least 3"):
        local_moran(g, pd.Series([1.0, 2.0] + [np.nan] * 7, index=g.index))
    with pytest.raises(TargetingError, match="non-numeric"):
        local_moran(g, v.astype(object).replace({8.0: "high"}))
    with pytest.raises(TargetingError, match="pandas Series"):
        local_moran(g, v.to_numpy())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Getis-Ord Gi*


def test_gi_star_finds_the_hot_spot_of_high_values():
    g = grid(5)
    y = np.ones(25)
    hot = ["c0", "c1", "c5", "c6"]  # 2x2 block in the bottom-left corner
    v = pd.Series(y, index=g.index)
    v[hot] = 10.0
    v["c24"] = np.nan
    out = getis_ord(g, v, permutations=999, seed=0)
    assert list(out.columns) == ["G", "z", "p", "cluster"]
    assert list(out.index) == list(g.index)
    assert (out.loc[hot, "cluster"] == "hot spot").all()
    assert (out.loc[hot, "z"] > 0).all()
    assert out.loc["c24", "cluster"] == "no data"
    assert set(out["cluster"]) <= {"hot spot", "cold spot", "not significant", "no data"}
    far = ["c18", "c19", "c23"]
    assert (out.loc[far, "z"] < 0).all()
    assert (out.loc[far, "cluster"] != "hot spot").all()


def test_gi_star_by_hand_and_its_own_inference(grid3):
    g, v = grid3
    w = Queen.from_dataframe(g, use_index=True)
    w.transform = "B"
    direct = esda.G_Local(v.to_numpy(), w, transform="R", permutations=9, star=True, seed=0)
    out = getis_ord(g, v, permutations=999, seed=0)
    # Gi* of the corner a by hand: its neighbourhood {a, b, d, e} holds 8 + 7 + 7 + 6 = 28
    # of the total 9 * 5 = 45: with row-standardised weights over 4 cells, G*_a = 0.25 * 28 / 45.
    assert direct.Gs[0] == pytest.approx(0.25 * 28 / 45)
    np.testing.assert_allclose(out["G"].to_numpy(), direct.Gs, atol=1e-12)
    # Ord & Getis (1995) z: (28 - 4 x 5) / (s sqrt((9 x 4 - 4^2) / 8)), s^2 = 32 / 9 (divisor n)
    assert out.loc["a", "z"] == pytest.approx(8 / (np.sqrt(32 / 9) * np.sqrt(20 / 8)), rel=1e-12)
    # Gi*'s own null: the 4 values of a's neighbourhood, a's own included, drawn among the 9.
    # By enumeration of the C(9, 4) = 126 sets: the share with a sum >= 28, folded.
    values = v.to_numpy()
    sums = np.array([values[list(c)].sum() for c in itertools.combinations(range(9), 4)])
    exact = min((sums >= 28).mean(), (sums < 28).mean())
    assert out.loc["a", "p"] == pytest.approx(exact, abs=0.03)  # 999 draws: sd of the estimate < 0.01
    gi = getis_ord(g, v, permutations=99, star=False)
    assert (gi["z"] != out["z"]).any()


def test_gi_star_can_disagree_with_local_moran():
    # a high corner block and one high cell in a noisy field: the two tests ask different questions
    # (LISA: are the neighbours unusual given the district? Gi*: is the neighbourhood with the
    # district unusual?), so their significant sets differ, not only their labels
    g = grid(7)
    v = pd.Series(np.random.default_rng(0).normal(10, 1, 49), index=g.index)
    v[["c0", "c1", "c7", "c8"]] += 4
    v["c24"] = 16
    hot = getis_ord(g, v, permutations=999, seed=0, fdr=False)
    lisa = local_moran(g, v, permutations=999, seed=0, fdr=False).table
    gi_sig = set(hot.index[hot["cluster"] != "not significant"])
    lisa_sig = set(lisa.index[lisa["cluster"] != "not significant"])
    assert gi_sig - lisa_sig and lisa_sig - gi_sig
    assert {"c0", "c1", "c7"} <= gi_sig  # both find the corner
    assert (lisa.loc[["c0", "c1", "c7", "c8"], "cluster"] == "HH").sum() >= 2


def test_local_moran_p_values_equal_esda_within_permutation_noise():
    g = grid(7)
    v = pd.Series(np.random.default_rng(1).normal(size=49), index=g.index)
    v[["c0", "c1", "c7", "c8"]] += 3
    w = Queen.from_dataframe(g, use_index=True)
    direct = esda.Moran_Local(v.to_numpy(), w, transformation="r", permutations=9999, seed=0)
    r = local_moran(g, v, permutations=9999, seed=0)
    t = r.table
    np.testing.assert_allclose(t["I"].to_numpy(), direct.Is, atol=1e-12)
    np.testing.assert_allclose(t["p"].to_numpy(), direct.p_sim, atol=0.02)  # sd of each estimate < 0.005
    glob = esda.Moran(v.to_numpy(), w, transformation="r")
    assert r.global_I == pytest.approx(glob.I, rel=1e-12)
    assert r.global_p == pytest.approx(glob.p_rand, rel=1e-9)  # two-sided, under randomisation


# --------------------------------------------------------------------------- district summaries


def lower_table() -> pd.DataFrame:
    """20 ranked lower districts (the most deprived decile is rank <= ceil(20/10) = 2) and one unranked.

    P: a tiny very deprived pocket (rank 1, 50 people) in an average district (rank 11, 950 people).
    Q: four middling districts (ranks 9, 10, 12, 13; 250 people each).
    R: the other fourteen ranks (2-8, 14-20; 100 people each).
    """
    rows = [("p1", "P", 1, 50), ("p2", "P", 11, 950), ("p3", "P", None, 30)]
    rows += [(f"q{r}", "Q", r, 250) for r in (9, 10, 12, 13)]
    rows += [(f"r{r}", "R", r, 100) for r in [*range(2, 9), *range(14, 21)]]
    return pd.DataFrame(rows, columns=["code", "parent_code", "rank", "population"]).set_index("code")


def test_district_summaries_by_hand():
    """Ten lower districts of 100 people, ranks 1-10: the district of rank r holds the national
    positions 10 (r - 1) to 10 r, i.e. the percentiles 10 r - 9 .. 10 r.

    IMD 2019 extent weights: percentiles 1-10 weigh 1; 11-20 weigh 0.95, 0.90, ..., 0.50 (mean
    0.725); 21-30 weigh 0.45, ..., 0.00 (mean 0.225). A = ranks 1 and 10, B = ranks 2 and 3.
    """
    lower = pd.DataFrame({"parent_code": list("ABBCCCCCCA"), "rank": range(1, 11), "population": [100] * 10},
                         index=[f"d{i}" for i in range(10)])
    s = district_summaries(lower)
    assert list(s.columns) == ["districts", "unranked", "population", "avg_rank", "extent",
                               "local_concentration", "scale"]
    a, b, c = s.loc["A"], s.loc["B"], s.loc["C"]
    assert a["extent"] == pytest.approx(100 / 200) and b["extent"] == pytest.approx((72.5 + 22.5) / 200)
    assert c["extent"] == 0
    # local concentration: the 10 % most deprived of A's 200 people = 20 people of rank 1, at
    # positions 0-2 (mean 1); of B's: 20 people of rank 2, at positions 10-12 (mean 11)
    assert a["local_concentration"] == pytest.approx(1.0) and b["local_concentration"] == pytest.approx(11.0)
    assert (a["scale"], b["scale"], c["scale"]) == (100, 0, 0)
    assert a["avg_rank"] == pytest.approx(5.5) and b["avg_rank"] == pytest.approx(2.5)


def test_district_summaries_equal_a_person_by_person_count():
    """The unequal populations of lower_table, checked against an independent count: every person
    gets the national position of the middle of their own slot, the IMD weight of its percentile."""
    lower = lower_table()
    s = district_summaries(lower)
    ranked = lower.dropna(subset=["rank"]).sort_values("rank", kind="stable")
    people = np.repeat(ranked["parent_code"].to_numpy(), ranked["population"].astype(int).to_numpy())
    position = (np.arange(len(people)) + 0.5) / len(people) * 100
    percentile = np.floor(position) + 1
    weight = np.clip((30 - percentile) / 20, 0, 1)
    for code in ("P", "Q", "R"):
        mine = people == code
        assert s.loc[code, "extent"] == pytest.approx(weight[mine].mean(), abs=2e-3)
        assert s.loc[code, "scale"] == pytest.approx((position[mine] < 10).sum(), abs=1)
        first = position[mine][: int(round(0.1 * mine.sum()))]
        assert s.loc[code, "local_concentration"] == pytest.approx(first.mean(), abs=0.02)
    assert s["unranked"].tolist() == [1, 0, 0]


def test_district_summaries_share_and_column_names():
    lower = lower_table().rename(columns={"parent_code": "prov", "rank": "r", "population": "pop"})
    s = district_summaries(lower, parent="prov", rank="r", population="pop", share=0.5)
    assert s.index.name == "prov"
    # P: its 500 most deprived people: 50 at rank 1 (positions 0-50/34) and 450 of rank 11 from
    # its deprived end (1250/34 to 1700/34): (50 x 25/34 + 450 x 1475/34) / 500
    assert s.loc["P", "local_concentration"] == pytest.approx((50 * 25 / 34 + 450 * 1475 / 34) / 500)
    # share = 1 takes everyone: the population-weighted mean of the middles of their slots
    full = district_summaries(lower, parent="prov", rank="r", population="pop", share=1.0)
    assert full.loc["Q", "local_concentration"] == pytest.approx((875 + 1125 + 2325 + 2575) / 4 / 34)


def test_district_summaries_parent_with_nothing_ranked_and_errors():
    unranked = pd.DataFrame({"parent_code": ["S"], "rank": [np.nan], "population": [10]}, index=["s1"])
    lower = pd.concat([lower_table(), unranked])
    s = district_summaries(lower)
    assert s.loc["S", "districts"] == 0 and s.loc["S", "unranked"] == 1
    assert pd.isna(s.loc["S", "avg_rank"])
    # The unranked district does not change the national positions (still 3,400 people ranked).
    assert s.loc["P", "extent"] == pytest.approx(district_summaries(lower_table()).loc["P", "extent"])
    with pytest.raises(TargetingError, match="'rank' not found"):
        district_summaries(lower.drop(columns="rank"))
    with pytest.raises(TargetingError, match="share"):
        district_summaries(lower, share=0)
    with pytest.raises(TargetingError, match="missing parent code"):
        district_summaries(lower.assign(parent_code=None))
    with pytest.raises(TargetingError, match="non-numeric"):
        district_summaries(lower.assign(population="many"))


# --------------------------------------------------------------------------- real data


def morocco(level: str) -> tuple[gpd.GeoDataFrame, pd.Series]:
    if not GPKG.exists():
        pytest.skip("default dataset not built")
    g = gpd.read_file(GPKG, layer=level).set_index("code")
    t = pd.read_csv(CSV, dtype={"code": str})
    rows = t[t["level"] == level.rstrip("s")].set_index("code")
    return g, rows["illiteracy_rate_10_plus"].reindex(g.index)


@pytest.mark.parametrize("level", ["provinces", "communes"])
def test_real_boundaries(level):
    g, v = morocco(level)
    start = time.perf_counter()
    w, text = spatial_weights(g)
    r = local_moran(g, v, permutations=999, seed=0, fdr=False)
    gi = getis_ord(g, v, permutations=999, seed=0, fdr=False)
    elapsed = time.perf_counter() - start
    print(f"{level}: {len(g)} districts, weights + Local Moran + Gi* (999 permutations) in {elapsed:.2f} s")
    assert text == "queen contiguity" and w.islands == []  # no islands in the shipped boundaries
    assert len(r.table) == len(g) and len(gi) == len(g)
    assert r.global_I > 0.3 and r.global_p < 0.01  # illiteracy is strongly clustered
    assert (r.table["cluster"] == "no data").sum() == v.isna().sum()
    assert {"HH", "LL"} <= set(r.table["cluster"])
    assert (gi["cluster"] == "hot spot").any()


@pytest.mark.parametrize("level", ["provinces", "communes"])
def test_contiguity_is_libpysal_queen_on_the_real_boundaries(level):
    from geo.clusters import contiguity

    g, v = morocco(level)
    links, text = contiguity(g)
    queen = Queen.from_dataframe(g, use_index=True, silence_warnings=True)
    assert {c: set(n) for c, n in links.neighbors.items()} == {c: set(n) for c, n in queen.neighbors.items()}
    assert text == "queen contiguity"
    # the arrays and the libpysal W built from them give the same clusters, bit for bit
    with_links = local_moran(g, v, permutations=199, seed=0, weights=links)
    with_w = local_moran(g, v, permutations=199, seed=0, weights=links.to_weights())
    pd.testing.assert_frame_equal(with_links.table, with_w.table)
    pd.testing.assert_frame_equal(getis_ord(g, v, permutations=199, weights=links),
                                  getis_ord(g, v, permutations=199, weights=links.to_weights()))


def test_contiguity_subset_and_shared_vertices():
    from shapely.geometry import Polygon

    from geo.clusters import contiguity

    # e a b      e and a share the edge x = 0 (written -0.0 in e), a and b an edge,
    #      c     b and c only the corner (2, 1); d is far away, linked to its nearest (a)
    e = Polygon([(-1, 1), (-0.0, 1), (-0.0, 2), (-1, 2)])
    g = gpd.GeoSeries([box(0, 1, 1, 2), box(1, 1, 2, 2), box(2, 0, 3, 1), box(0, 5, 1, 6), e],
                      index=list("abcde"), crs="EPSG:32631")
    links, text = contiguity(g)
    assert links.neighbors == {"a": ["b", "d", "e"], "b": ["a", "c"], "c": ["b"], "d": ["a"], "e": ["a"]}
    assert text == "queen contiguity; 1 island linked to its 1 nearest neighbour(s)"
    ptr, cols = links.among(pd.Index(["c", "b"]))  # rows in the order asked, links outside dropped
    assert ptr.tolist() == [0, 1, 2] and cols.tolist() == [1, 0]
