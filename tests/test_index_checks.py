"""The index checks (geo.quality.index_checks): each flag raised and not raised on a hand-checkable case
(tests/data/index_checks/districts.csv), and the default index on the census data."""

import numpy as np
import pandas as pd
import pytest

from geo.cli import main
from geo.dataset import load_level, score_level
from geo.quality import CheckThresholds, cronbach_alpha, first_order_importance, index_checks
from geo.scoring import Method, score

from .conftest import ROOT

CASE = ROOT / "tests" / "data" / "index_checks" / "districts.csv"
CLEAN = {"edu_a": "edu", "edu_b": "edu", "hous_a": "hous", "hous_b": "hous",
         "work_a": "work", "work_b": "work", "serv_a": "serv", "serv_b": "serv"}
FLAWED = {"lone": "one", "up": "mixed", "down": "mixed", "spike": "flat", "noise": "flat", "edu_a": "edu"}


@pytest.fixture(scope="module")
def table():
    return pd.read_csv(CASE, index_col="code")


def _checks(table, themes, *, method=Method(), theme_weights=None, thresholds=None):
    dirs = {c: c != "spike" for c in themes}
    values = table[list(themes)].astype(float)
    result = score(values, higher_is_worse=dirs, themes=themes, theme_weights=theme_weights, method=method)
    return result, index_checks(values, result, themes, dirs, population=table["population"],
                                names=table["name"].to_dict(), thresholds=thresholds)


@pytest.fixture(scope="module")
def clean(table):
    return _checks(table, CLEAN, thresholds=CheckThresholds(small_population=400))


@pytest.fixture(scope="module")
def flawed(table):
    return _checks(table, FLAWED, theme_weights={"one": 3})


def test_clean_index_raises_no_flag(clean):
    result, checks = clean
    assert checks.messages == []
    assert (checks.layers["flags"] == "").all() and (checks.themes["flags"] == "").all()
    assert checks.layers["weight"].tolist() == pytest.approx([0.125] * 8)  # 4 themes x 2 layers
    assert len(checks.small) == 0


def test_weight_above_the_threshold(flawed):
    _, checks = flawed
    # theme weights one=3, mixed=1, flat=1, edu=1: lone = 3/6, edu_a = 1/6 (16.7 % > 15 %), up = 1/6 / 2
    assert checks.layers.loc["lone", "weight"] == pytest.approx(0.5)
    assert checks.layers.loc["edu_a", "weight"] == pytest.approx(1 / 6)
    flagged = {m.split("'")[1] for m in checks.messages if "of the effective weight" in m}
    assert flagged == {"lone", "edu_a"}


def test_variance_share_by_hand(flawed):
    result, checks = flawed
    s = result.table["score"].to_numpy()
    for layer in FLAWED:
        c = result.contributions[layer].to_numpy()
        by_hand = np.mean((c - c.mean()) * (s - s.mean())) / np.var(s)
        assert checks.layers.loc[layer, "variance_share"] == pytest.approx(by_hand)
    assert checks.layers["variance_share"].sum() == pytest.approx(1.0)
    flagged = [m for m in checks.messages if "of the score's variance" in m]
    assert len(flagged) == 1 and flagged[0].startswith("Layer 'lone' explains 69%")


def test_squashed_layer_and_untreated_outliers(table, flawed):
    result, checks = flawed
    # spike = 1, 2, 1, 3, 2, 1, 2, 100, lower is worse: min-max of -x puts 1 at 100, 2 at 98.99, 3 at 97.98
    norm = 100 * (100 - table["spike"]) / 99
    assert result.normalised["spike"].to_numpy() == pytest.approx(norm.to_numpy())
    assert checks.layers.loc["spike", "iqr"] == pytest.approx(norm.quantile(0.75) - norm.quantile(0.25))
    assert checks.layers.loc["spike", "squashed"] and checks.layers["squashed"].sum() == 1
    assert checks.layers.loc["spike", "coinr_rule"] and checks.layers["coinr_rule"].sum() == 1
    assert any(m.startswith("Layer 'spike' is squashed") for m in checks.messages)
    assert any(m.startswith("Layer 'spike' meets the COINr outlier rule") and 'outliers = "coinr"' in m
               for m in checks.messages)


def test_outlier_treatment_fixes_the_squashed_layer(table):
    result, checks = _checks(table, FLAWED, theme_weights={"one": 3}, method=Method(outliers="coinr"))
    assert result.treatments == {"spike": "winsorised 1 point(s)"}  # 100 -> 3: the rule is no longer met
    assert checks.layers.loc["spike", "treatment"] == "winsorised 1 point(s)"
    assert not checks.layers["squashed"].any()
    assert not any("squashed" in m or "COINr" in m for m in checks.messages)


def test_first_order_importance_by_hand(table, flawed):
    result, checks = flawed
    s = result.table["score"]
    # noise sorted: d1 (1), d8 (2), d4 (3) | d2 (4), d7 (5), d5 (6) | d3 (7), d6 (8): round(sqrt(8)) = 3 groups
    groups = [["d1", "d8", "d4"], ["d2", "d7", "d5"], ["d3", "d6"]]
    between = sum(len(g) * (s[g].mean() - s.mean()) ** 2 for g in groups)
    by_hand = between / ((s - s.mean()) ** 2).sum()
    assert checks.layers.loc["noise", "importance"] == pytest.approx(by_hand)
    assert first_order_importance(s, table["noise"].astype(float)) == pytest.approx(by_hand)
    share = checks.layers.loc["noise", "importance"] / checks.layers["importance"].sum()
    assert share < checks.layers.loc["noise", "weight"] / 3
    low = {m.split("'")[1] for m in checks.messages if "first-order importance" in m}
    assert low == {"noise"}


def test_cronbach_alpha_by_hand(table, flawed):
    result, checks = flawed
    up = 100 * (table["up"] - 10) / 70
    down = 100 * (table["down"] - 20) / 65
    k = 2
    by_hand = k / (k - 1) * (1 - (up.var() + down.var()) / (up + down).var())
    assert checks.themes.loc["mixed", "alpha"] == pytest.approx(by_hand)
    assert cronbach_alpha(pd.DataFrame({"a": up, "b": down})) == pytest.approx(by_hand)
    assert checks.themes.loc["flat", "alpha"] >= 0.5  # spike and noise: not flagged
    assert any(m.startswith("Theme 'mixed': Cronbach's alpha") for m in checks.messages)
    assert not any(m.startswith("Theme 'flat'") for m in checks.messages)


def test_one_layer_themes_and_double_counting(flawed):
    _, checks = flawed
    one = {m.split("'")[1] for m in checks.messages if "has one layer" in m}
    assert one == {"one", "edu"}
    # lone = 90..20 and edu_a = 80..10 fall by 10 a district: the two themes correlate at exactly 1
    assert checks.themes.loc["one", "corr"] == pytest.approx(1.0)
    pairs = [m for m in checks.messages if m.startswith("Themes ")]
    assert pairs == ["Themes 'edu' and 'one' correlate at 1.00 (above 0.8): they double count one dimension; "
                     "merge them or lower the weight of one."]


def test_small_population_in_the_top_decile(flawed, clean):
    _, checks = flawed
    # 8 districts: decile 1 is rank 1 only (floor((r - 1) * 10 / 8) + 1), Alpha with 500 people
    assert checks.small.index.tolist() == ["d1"] and checks.small.loc["d1", "population"] == 500
    assert any(m.startswith("1 of the 1 top-decile districts have fewer than 2,000 people (e.g. Alpha (500))")
               for m in checks.messages)
    assert len(clean[1].small) == 0  # threshold 400


# ----------------------------------------------------------------------------- the default index
@pytest.fixture(scope="module", params=["provinces", "communes"])
def default(request, default_config):
    data = load_level(default_config, request.param)
    result = score_level(data, weights=default_config.weights, theme_weights=default_config.theme_weights,
                         method=default_config.method)
    checks = index_checks(data.values, result, {l.id: l.theme for l in data.layers},
                          {l.id: l.higher_is_worse for l in data.layers}, population=data.population,
                          thresholds=default_config.checks)
    return request.param, data, result, checks


def test_default_outlier_treatment_is_on_and_reported(default_config, default):
    _, data, result, checks = default
    assert default_config.method.outliers == "coinr"
    treated = checks.layers.index[checks.layers["treatment"] != "none"].tolist()
    assert treated and set(treated) == set(result.treatments)
    # every layer meeting the rule is treated
    assert checks.layers.loc[checks.layers["coinr_rule"], "treatment"].ne("none").all()
    assert not any("COINr" in m for m in checks.messages)


def test_default_index_holds_up(default_config, default):
    level, data, result, checks = default
    # five scored themes weighing 1, 1, 1, 0.5, 1 (context weighs 0): at most 1 / 4.5 / 3 per layer
    themes = {t.id: t for t in default_config.themes.values()}
    scored = {l.id: l.theme for l in data.layers if themes[l.theme].scored}
    total = sum(themes[t].weight for t in set(scored.values()))
    for lid, t in scored.items():
        n = sum(1 for x in scored.values() if x == t)
        assert result.effective_weights[lid] == pytest.approx(themes[t].weight / total / n)
    assert result.effective_weights.max() <= 0.15
    assert result.effective_weights.max() == pytest.approx(1 / 4.5 / 3)
    # no squashed layer: recomputed from the normalised values
    n = result.normalised[list(scored)]
    iqr, median = n.quantile(0.75) - n.quantile(0.25), n.median()
    assert not ((iqr < 10) & (median > 50)).any(), level
    # no layer explains more than 30 % of the score's variance
    s = result.table["score"]
    ok = s.notna()
    shares = {c: np.cov(result.contributions.loc[ok, c].fillna(0), s[ok], bias=True)[0, 1] / s[ok].var(ddof=0)
              for c in scored}
    assert max(shares.values()) < 0.30
    assert not any("effective weight" in m or "squashed" in m or "score's variance" in m for m in checks.messages)
    # context layers are shown, never scored
    context = [l.id for l in data.layers if not themes[l.theme].scored]
    assert context and (result.effective_weights[context] == 0).all()


def test_geo_check_prints_the_index_checks(capsys):
    assert main(["check", "--config", str(ROOT / "config.toml"), "--level", "provinces"]) == 0
    out = capsys.readouterr().out
    assert "index checks (the configuration's weights and method, outliers = coinr):" in out
    assert "outlier treatment (COINr rule): not_enrolled winsorised 1 point(s);" in out
    assert "largest effective weight 7.4% (illiteracy)" in out
