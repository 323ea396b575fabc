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
    assert result.min_layers == 8  # half of 16
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
    lagging = [c[: -len("_vs_national")] for c in result.table.columns
               if c.endswith("_vs_national") and row[c] > 0 and row[c[: -len("_vs_national")] + "_gap"] > 0]
    assert row["behind_on"] == len(lagging)
    assert row["left_behind"] == (len(lagging) >= result.min_layers)


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
    # Households' shares weighted by households: close to HCP's national rows, not equal (rounding, weights).
    assert aggregated.national.loc["no_electricity", "after"] == pytest.approx(2.9, abs=0.3)


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
    assert "9 of 75 districts left behind (2014 -> 2024, 16 layers compared)" in done.stderr
    t = pd.read_csv(out, dtype={"code": str, "parent_code": str})
    assert len(t) == 75 and t["code"].is_unique
    assert t["left_behind"].tolist() == [True] * 9 + [False] * 66
    assert t["code"].iloc[0] == "01.405"  # Ouezzane: behind on 10 of 16 layers
    assert t.loc[0, "behind_on"] == 10
    assert t.loc[0, "illiteracy_change"] == -5.6  # 39.2 -> 33.6, no binary noise


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
    assert (again.tolerance, again.min_layers) == (1.0, 4)
    assert again.table["left_behind"].sum() >= 0 and list(again.table.columns) == list(base.table.columns)
    with pytest.raises(TargetingError, match="between 1 and the 16 layers"):
        with_threshold(base, min_layers=0)
