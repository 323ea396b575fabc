from pathlib import Path

import pandas as pd
import pytest

from geo.change import compare_vintages, change_table, left_behind
from geo.config import load_config, parse_config
from geo.dataset import load_level
from geo.errors import ConfigError, TargetingError

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config.toml"
CSV_2014 = ROOT / "data" / "indicators" / "morocco_rgph2014.csv"
CSV_2024 = ROOT / "data" / "indicators" / "morocco_rgph2024.csv"


def test_change_and_left_behind_by_hand():
    before = pd.DataFrame({"illiteracy": [40.0, 30.0, 20.0], "activity": [40.0, 50.0, 45.0]}, index=list("abc"))
    after = pd.DataFrame({"illiteracy": [30.0, 29.0, 15.0], "activity": [38.0, 52.0, 45.0]}, index=list("abc"))
    t = change_table(before, after, higher_is_worse={"illiteracy": True, "activity": False},
                     national_before={"illiteracy": 32.0, "activity": 46.0},
                     national_after={"illiteracy": 26.0, "activity": 47.0})
    # national: illiteracy -6 points, activity +1 point
    assert t["illiteracy_change"].tolist() == [-10, -1, -5]
    assert t["illiteracy_vs_national"].tolist() == [-4, 5, 1]
    assert t["activity_vs_national"].tolist() == [3, -1, 1]  # lower is worse: falling 2 vs +1 is 3 behind
    # gap to the country after, in the direction of need: illiteracy 30-26, 29-26, 15-26; activity 47-38, ...
    assert t["illiteracy_gap"].tolist() == [4, 3, -11]
    assert t["activity_gap"].tolist() == [9, -5, 2]
    lb = left_behind(t)
    # c improved illiteracy less than the country, but stays far better than it: converging, not behind.
    assert lb["behind_on"].tolist() == [1, 1, 1]
    assert lb["left_behind"].tolist() == [True, True, True]
    assert left_behind(t, min_layers=2)["left_behind"].tolist() == [False, False, False]
    assert left_behind(t, tolerance=2)["behind_on"].tolist() == [1, 1, 0]


def test_no_common_layer_is_an_error():
    with pytest.raises(TargetingError, match="No layer in both vintages"):
        change_table(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [1.0]}), higher_is_worse={},
                     national_before={}, national_after={})


@pytest.fixture(scope="module")
def provinces():
    config = load_config(CONFIG)
    return config, load_level(config, "provinces")


def test_default_data_compares_the_layers_measured_alike(provinces):
    config, data = provinces
    result = compare_vintages(config, data)
    assert result.labels == ("2014", "2024")
    assert len(result.layers) == 16
    # not in the 2014 table: enrolment (ages 7-12 in 2014), education levels, the 2014 municipal population,
    # the sex ratio's counts, disability, household size, waste and the establishments
    assert set(result.skipped) == {"not_enrolled", "higher_education", "municipal_growth", "sex_ratio_20_49",
                                   "disability", "household_size", "waste_in_open", "establishments", "jobs"}
    assert "schooling_rate_6_to_11" in result.skipped["not_enrolled"]
    # HCP's national rows: illiteracy 32.2 % (2014) -> 24.8 % (2024); unemployment 16.2 % -> 21.3 %.
    assert result.national.loc["illiteracy"].tolist() == pytest.approx([32.2, 24.8, -7.4])
    assert result.national.loc["unemployment"].tolist() == pytest.approx([16.2, 21.3, 5.1])
    assert result.min_layers is None  # half of the layers compared for each district
    assert (result.table["needed"] == (result.table["layers_compared"] + 1) // 2).all()  # 16 -> 8, 15 -> 8
    assert len(result.table) == 75
    # road distance is published for rural areas only: urban prefectures compare 15 layers
    assert result.table["layers_compared"].isin([15, 16]).all()


def test_a_province_by_hand(provinces):
    """Taza (03.561), from the two CSV files directly."""
    config, data = provinces
    result = compare_vintages(config, data)
    old = pd.read_csv(CSV_2014, dtype={"code": str}).set_index(["level", "code"])
    new = pd.read_csv(CSV_2024, dtype={"code": str}).set_index(["level", "code"])
    row = result.table.loc["03.561"]
    b, a = old.loc[("province", "03.561")], new.loc[("province", "03.561")]
    nb, na = old.loc[("country", "MA")], new.loc[("country", "MA")]
    col = "labour_unemployment_rate"
    assert row["unemployment_change"] == pytest.approx(a[col] - b[col])
    assert row["unemployment_vs_national"] == pytest.approx((a[col] - b[col]) - (na[col] - nb[col]))
    assert row["unemployment_gap"] == pytest.approx(a[col] - na[col])
    # "without electricity" is 100 - the share with electricity: the sign turns, the change does not.
    col = "amenities_electricity"
    assert row["no_electricity_change"] == pytest.approx(-(a[col] - b[col]))
    # default tolerance: the published precision, 0.1 point: the gap must widen by more than 0.1
    lagging = [c[: -len("_vs_national")] for c in result.table.columns
               if c.endswith("_vs_national") and row[c] > 0.1 + 1e-9 and row[c[: -len("_vs_national")] + "_gap"] > 0]
    assert row["behind_on"] == len(lagging)
    assert row["left_behind"] == (len(lagging) >= row["needed"])


def test_communes_without_a_2014_row_are_reported_not_dropped():
    config = load_config(CONFIG)
    data = load_level(config, "communes")
    result = compare_vintages(config, data)
    assert len(result.table) == 1503
    casablanca = result.table.loc["06.141.01.0"]
    assert casablanca["layers_compared"] == 0 and not casablanca["left_behind"]
    assert any("6 district(s) without a row" in line and "Casablanca" in line for line in result.report)


def test_national_figures_can_be_aggregated_instead(provinces):
    config, data = provinces
    import dataclasses
    aggregated = compare_vintages(dataclasses.replace(config, change=dataclasses.replace(config.change, national=None)),
                                  data)
    # Unemployment weighted by the labour force, in both vintages: close to HCP's national rows
    # (16.2% and 21.3%), not equal (rounding of the district rates).
    assert aggregated.national.loc["unemployment", "before"] == pytest.approx(16.2, abs=0.3)
    assert aggregated.national.loc["unemployment", "after"] == pytest.approx(21.3, abs=0.3)
    # The 2014 table has no denominator for some layers: those are not aggregated but reported, with the reason.
    before = pd.read_csv(CSV_2014, nrows=0).columns
    weights = {l.id: l.rollup_weight for l in data.layers if l.rollup_weight}
    missing = {lid for lid, col in weights.items() if col not in before}
    assert missing and "illiteracy" in missing
    compared = {l.id for l in aggregated.layers}
    assert not missing & compared and "unemployment" in compared
    assert missing <= set(aggregated.skipped)
    assert "has no illiteracy_population_10_plus to weight its national figure" in aggregated.skipped["illiteracy"]
    assert aggregated.national.index.tolist() == [l.id for l in aggregated.layers]


def test_change_section_is_validated(tmp_path):
    base = {"levels": {"d": {"path": str(CSV_2014), "id": "code"}},
            "tables": {"census": {"path": str(CSV_2014), "key": "code", "level": "d"},
                       "u": {"path": str(CSV_2024), "key": "code", "level": "d"}},
            "population": {"table": "census", "column": "population_legal"},
            "layers": {"use": ["illiteracy"]}}
    with pytest.raises(ConfigError, match="change.before = 'nope' is not a declared table"):
        parse_config({**base, "change": {"before": "nope"}}, tmp_path / "c.toml")
    with pytest.raises(ConfigError, match="change.labels must be two names"):
        parse_config({**base, "change": {"before": "u", "labels": ["2014"]}}, tmp_path / "c.toml")
    with pytest.raises(ConfigError, match="needs tables.u.level_column"):
        parse_config({**base, "change": {"before": "u", "national": "country"}}, tmp_path / "c.toml")
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({**base, "change": {"before": "u", "since": 2014}}, tmp_path / "c.toml")


def test_without_a_change_section_it_says_how_to_add_one(provinces):
    config, data = provinces
    import dataclasses
    with pytest.raises(ConfigError, match=r"no \[change\] section"):
        compare_vintages(dataclasses.replace(config, change=None), data)


def test_command_line_writes_every_district_left_behind_first(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "change.csv"
    done = subprocess.run([sys.executable, "-m", "geo", "change", "--config", str(CONFIG), "--level", "provinces",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "7 of 75 districts left behind (2014 -> 2024, 16 layers compared)" in done.stderr
    t = pd.read_csv(out, dtype={"code": str, "parent_code": str})
    assert len(t) == 75 and t["code"].is_unique
    assert t["left_behind"].tolist() == [True] * 7 + [False] * 68
    assert t["code"].iloc[0] == "01.051"  # Al Hoceima: behind on 9 of 16 layers, like Ouezzane and Taza
    assert t.loc[0, "illiteracy_change"] == -6.8  # Al Hoceima 2014 -> 2024, no binary noise


def test_command_line_bad_min_layers_is_one_line(tmp_path):
    from geo.cli import main

    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["change", "--config", str(CONFIG), "--level", "provinces", "--min-layers", "40",
                     "--out", str(tmp_path / "x.csv")])
    assert code == 2
    assert err.getvalue().strip() == "error: min_layers = 40: must be between 1 and the 16 layers compared."


def test_a_new_threshold_reclassifies_without_reading_again(provinces):
    from geo.change import with_threshold

    config, data = provinces
    base = compare_vintages(config, data)
    direct = compare_vintages(config, data, tolerance=1.0, min_layers=4)
    again = with_threshold(base, tolerance=1.0, min_layers=4)
    pd.testing.assert_frame_equal(again.table, direct.table)
    assert set(again.tolerance.values()) == {1.0} and again.min_layers == 4
    assert again.table["left_behind"].sum() >= 0 and list(again.table.columns) == list(base.table.columns)
    with pytest.raises(TargetingError, match="between 1 and the 16 layers"):
        with_threshold(base, min_layers=0)


def _independent_left_behind(default_config, level: str, tolerance: float | None) -> set[str]:
    """Districts left behind, counted straight from the two census files: each layer's own formula
    applied to the raw rows (districts and the national row), then the rule recomputed here with
    pandas: worse than the country in 2024 and the gap widened by more than the tolerance (default:
    0.1 for a layer whose figures all carry at most one decimal, else 0), on at least half of that
    district's compared layers."""
    import math

    from layers.base import LayerInputs

    data = load_level(default_config, level)
    row = {"communes": "commune", "provinces": "province"}[level]
    raw = {}
    for name in ("census2014", "census"):
        t = pd.read_csv(default_config.tables[name].path, dtype={"code": str})
        raw[name] = (t[t["level"] == row].set_index("code").reindex(data.values.index),
                     t[t["level"] == "country"].set_index("code"))
    behind = pd.Series(0, index=data.values.index)
    compared = pd.Series(0, index=data.values.index)
    for layer in data.layers:
        needs = getattr(layer.loader, "columns", ())
        if layer.table != "census" or not needs or any(c not in raw["census2014"][0].columns for c in needs):
            continue
        figures = {}
        for name, (districts, country) in raw.items():
            v = layer.load(LayerInputs(level=level, districts=districts, tables={"census": districts}))
            c = float(layer.load(LayerInputs(level="national", districts=country, tables={"census": country})).iloc[0])
            figures[name] = (v, c)
        (b, nb), (a, na) = figures["census2014"], figures["census"]
        if tolerance is None:
            shown = pd.concat([b, a]).dropna().map(lambda x: f"{x:.6f}".rstrip("0").split(".")[1])
            tol = 0.1 if (shown.str.len() <= 1).all() else 0.0
        else:
            tol = tolerance
        sign = 1 if layer.higher_is_worse else -1
        widened = (sign * ((a - b) - (na - nb))).round(9)
        gap = (sign * (a - na)).round(9)
        ok = widened.notna()
        compared += ok.astype(int)
        behind += (ok & (widened > tol + 1e-9) & (gap > 0)).astype(int)
    needed = compared.map(lambda n: math.ceil(n / 2))
    return set(behind.index[(compared > 0) & (behind >= needed)])


@pytest.mark.parametrize("level, tolerance, expected", [
    ("provinces", None, 7), ("provinces", 0.0, 9), ("communes", None, 286), ("communes", 0.0, 320),
])
def test_readme_figures_from_an_independent_count(default_config, level, tolerance, expected):
    from geo.change import compare_vintages
    from geo.dataset import load_level

    data = load_level(default_config, level)
    result = compare_vintages(default_config, data, tolerance=tolerance)
    mine = set(result.table.index[result.table["left_behind"]])
    independent = _independent_left_behind(default_config, level, tolerance)
    assert mine == independent
    assert len(mine) == expected  # the figures quoted in the README's "Change over time"
    if tolerance is None:
        assert 0.1 in set(result.tolerance.values()) and "published precision" in result.describe_tolerance()
    t = result.table
    # a district with one layer fewer (urban: no road distance) needs half of its own layers
    short = t[t["layers_compared"] == t["layers_compared"].max() - 1]
    assert (short["needed"] == (short["layers_compared"] + 1) // 2).all()
