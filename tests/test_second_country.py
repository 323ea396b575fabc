"""A second country configured from its own files (tests/data/second_country/), every line and number by hand.

Its files use none of the default data's conventions: FlatGeobuf boundaries keyed ADM2_PCODE, census codes
stored as numbers (1001 for 01001, fixed by pad = 5), a district split since the census (01900 -> 01004 and
01005, shares 0.4 / 0.6 in the crosswalk), two old districts merged (02001 + 02002 -> 02003), a village table
finer than the districts (group_by the district's name, one misspelt, one unknown, one blank), and a point file
with a where filter, a duplicate, a point outside, one without and one with invalid coordinates.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from geo.cli import main
from geo.config import load_config
from geo.dataset import export_metadata, load_level, ranked_table, score_level
from geo.errors import JoinError

from .conftest import DATA

HERE = DATA / "second_country"


@pytest.fixture(scope="module")
def config():
    return load_config(HERE / "config.toml")


@pytest.fixture(scope="module")
def districts(config):
    return load_level(config, "districts")


def test_census_join_pads_splits_and_merges(districts):
    census = districts.tables["census"]
    # 1001 and 1002 padded to 01001 and 01002; 01900 split 0.4 / 0.6: counts divided, the rate copied
    assert census.loc["01001"].tolist() == [1000, 250, 100, 10]
    assert census.loc["01004"].tolist() == [2000, 400, 600, 8]
    assert census.loc["01005"].tolist() == [3000, 600, 900, 8]
    # 02001 + 02002 merged: counts summed, the rate averaged weighted by people (its rollup_weight)
    assert census.loc["02003"].tolist() == [4000, 800, 600, pytest.approx((12 * 3000 + 4 * 1000) / 4000)]
    assert census.loc["02004"].isna().all()  # Fir: no row
    report = next(r for r in districts.join_reports if r.table.startswith("census"))
    assert report.lines() == [
        "census.csv (districts): 5 of 6 districts matched (2 by code, 0 by name, 3 by crosswalk); 6 table rows",
        "  1 district(s) merged from several rows (counts summed, rates averaged by their weights): "
        "02003 <- 02001, 02002",
        "  1 row(s) split over several districts (counts divided by the shares, rates copied): "
        "01900 -> 01004 (0.4), 01005 (0.6)",
        "  1 district(s) without a row (no data): 02004 Fir",
        "  1 table row(s) matching no district (not used): 09999",
    ]
    # the population survives the split and the merge (the 700 people of the unused row 09999 aside)
    assert districts.population.sum() == 1000 + 2000 + 5000 + 3000 + 1000


def test_village_table_grouped_by_district_name(districts):
    report = next(r for r in districts.join_reports if r.table.startswith("villages"))
    assert report.lines() == [
        "villages.csv (districts): 5 of 6 districts matched (0 by code, 5 by name, 0 by crosswalk); 7 table rows",
        "  10 rows grouped by district into 7 groups (1-2 rows per group)",
        "  1 row(s) without a value in district (not used): line(s) 11",
        "  columns: households summed; no_water_hh summed; no_water_pct = sum of no_water_hh / sum of "
        "households x 100",
        "  columns without an aggregate rule (not used): ['village']",
        "  1 district(s) without a row (no data): 01005 Damson",
        "  2 table row(s) matching no district (not used): Damsen, Harbour",
        "  1 near match(es) of unmatched names; if right, add these lines to the table's crosswalk file "
        "(table_key,district_code):",
        "    Damsen,01005    # Damson, similarity 83",
    ]
    villages = districts.tables["villages"]
    # Alder and ALDER are one group: (10 + 30) / (100 + 100); Cedar (40 + 0) / (80 + 20)
    assert villages.loc["01001", ["households", "no_water_hh", "no_water_pct"]].tolist() == [200, 40, 20.0]
    assert villages.loc["01004", "no_water_pct"] == 40.0
    assert villages.loc["02004", "no_water_pct"] == 50.0
    assert pd.isna(villages.loc["01005", "no_water_pct"])


def test_point_file_report(districts):
    (report,) = districts.point_reports
    assert report.lines() == [
        "sites.csv (points of sites): 7 rows; 3 inside a district, 1 outside every district (not counted), "
        "1 without coordinates, 1 with invalid coordinates (not used)",
        "  where status = open keeps 6 of 7 rows; the other rows are not used",
        "  1 point(s) at the same place as an earlier point (each counted)",
        "  without coordinates: line 6 (x is missing; y is missing)",
        "  with invalid coordinates: line 7 (x 200 outside -180..180)",
        "  outside every district: line 5 (9, 9)",
    ]
    # S1 and S2 (same place) in Alder, S3 in Fir; S7 is closed
    assert districts.values["sites"].to_dict() == {"02004": 1, "01005": 0, "01004": 0, "01002": 0, "01001": 2,
                                                   "02003": 0}


def test_district_values_and_scores_by_hand(config, districts):
    v = districts.values
    assert v.loc["01001"].tolist()[:4] == [10.0, 10.0, 20.0, 2.0]
    assert v.loc["01004"].tolist()[:4] == [30.0, 8.0, 40.0, 0.0]
    assert v.loc["02003"].tolist()[:4] == [15.0, 10.0, 10.0, 0.0]
    assert v.loc["01005", "poverty"] == 30.0 and pd.isna(v.loc["01005", "no_water"])
    result = score_level(districts, weights=config.weights, method=config.method)
    table = ranked_table(districts, result).set_index("code")
    # min-max per layer, one layer per theme, so each weighs 1/4 (renormalised over the layers a district has):
    # poverty 10..30, unemployment 5..10, no water 10..50, sites 0..2
    expected = {
        "01001": (0 + 100 + 25 + 100) / 4,
        "01002": (75 + 0 + 0 + 0) / 4,
        "01004": (100 + 60 + 75 + 0) / 4,
        "01005": (100 + 60 + 0) / 3,
        "02003": (25 + 100 + 0 + 0) / 4,
        "02004": (100 + 50) / 2,
    }
    assert table["score"].to_dict() == pytest.approx(expected)
    assert table.index.tolist() == ["02004", "01004", "01001", "01005", "02003", "01002"]
    meta = export_metadata(config, districts, result)
    assert meta["report.004"] == "1 row(s) split over several districts (counts divided by the shares, rates " \
                                 "copied): 01900 -> 01004 (0.4), 01005 (0.6)"
    assert meta["joins.max_unmatched"] == "0.2"


def test_raster_districts_without_value_get_a_reason(districts):
    # pixels hold their column number: Alder columns 0-3, Birch 4-7, Cedar 8-11; Damson's pixels are nodata
    assert districts.values["lights"].dropna().to_dict() == {"01004": 9.5, "01002": 5.5, "01001": 1.5}
    assert [n for n in districts.notes if n.startswith("Night lights")] == [
        "Night lights: 1 district(s) without a value from lights.tif: all their pixels are nodata (01005).",
        "Night lights: 2 district(s) without a value from lights.tif: they lie outside the raster (02004, 02003).",
    ]


def test_provinces_roll_up(config):
    data = load_level(config, "provinces")
    assert data.population.to_dict() == {"01": 8000, "02": 4000}
    # a ratio rolls up as the ratio of sums: (100 + 500 + 600 + 900) / 8000
    assert data.values.loc["01", "poverty"] == pytest.approx(100 * 2100 / 8000)
    assert data.values.loc["02", "poverty"] == pytest.approx(100 * 600 / 4000)
    assert data.values.loc["01", "unemployment"] == pytest.approx((10 * 1000 + 5 * 2000 + 8 * 5000) / 8000)
    # no water weighted by households: Alder 20 % of 200, Birch 10 % of 50, Cedar 40 % of 100 (Damson none)
    assert data.values.loc["01", "no_water"] == pytest.approx(100 * (40 + 5 + 40) / 350)
    assert data.values.loc["02", "no_water"] == pytest.approx(100 * (30 + 50) / 400)
    assert data.values["sites"].to_dict() == {"01": 2, "02": 1}
    assert data.values.loc["01", "lights"] == pytest.approx((1.5 + 5.5 + 9.5) / 3)  # computed at this level
    assert data.notes == (
        "Poor people: sum of poor / sum of people x 100 over the districts.",
        "Unemployment rate: districts averaged, weighted by people.",
        "Households without piped water: districts averaged, weighted by households.",
        "Night lights: 1 district(s) without a value from lights.tif: they lie outside the raster (02).",
    )


def test_check_prints_everything_and_strict_stops(capsys):
    assert main(["check", "--config", str(HERE / "config.toml"), "--level", "districts"]) == 0
    out = capsys.readouterr().out
    assert "  layer sites: 6/6 districts with data" in out
    assert out.rstrip().endswith(
        "configuration OK; 3 join(s) or point file(s) with unmatched items (listed above, within [joins] "
        "max_unmatched = 0.2; --strict stops at any)"
    )
    assert main(["check", "--config", str(HERE / "config.toml"), "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: census.csv (districts): 1 of 6 districts (16.7%) have no row, --strict allows "
                          "none (e.g. 02004 Fir).")


def test_threshold_names_table_count_and_zeros_hint(tmp_path):
    # without pad = 5 the census keys lost their zeros: only the crosswalk lines match
    folder = tmp_path / "country"
    shutil.copytree(HERE, folder)
    text = (folder / "config.toml").read_text().replace("pad = 5 ", "")
    text = text.replace("01900,", "1900,")
    (folder / "config.toml").write_text(text)
    (folder / "crosswalk.csv").write_text("table_key,district_code,share\n1900,01004,0.4\n1900,01005,0.6\n"
                                          "2001,02003,\n2002,02003,\n")
    with pytest.raises(JoinError) as err:
        load_level(load_config(folder / "config.toml"), "districts")
    assert str(err.value) == (
        "census.csv (districts): 3 of 6 districts (50.0%) have no row, more than joins.max_unmatched = 0.2 allows "
        "(e.g. 02004 Fir, 01002 Birch, 01001 Alder). 2 key(s) match a district code once leading zeros are "
        "ignored (e.g. '1001' in the table, '01001' in the boundaries): a spreadsheet or a numeric field dropped "
        "them. Store the codes as text with their leading zeros in both files, or set tables.census.pad = 5 in "
        "the configuration."
    )


def test_full_lists_every_item(config, districts):
    lines = districts.report_lines(full=True)
    assert lines == districts.report_lines()  # nothing is cut at this size
    frame = districts.report_frame()
    assert frame["side"].value_counts().to_dict() == {
        "district without data": 2, "table row not used": 3, "district merged from rows": 1,
        "row split over districts": 1, "suggested crosswalk line": 1, "point without coordinates": 1,
        "point with invalid coordinates": 1, "point outside every district": 1,
    }


@pytest.mark.parametrize("split", ["area", "population"])
def test_split_without_shares(tmp_path, split):
    folder = tmp_path / "country"
    shutil.copytree(HERE, folder)
    (folder / "crosswalk.csv").write_text("table_key,district_code\n01900,01004\n01900,01005\n02001,02003\n"
                                          "02002,02003\n")
    text = (folder / "config.toml").read_text().replace('crosswalk = "crosswalk.csv"',
                                                        f'crosswalk = "crosswalk.csv"\nsplit = "{split}"')
    (folder / "config.toml").write_text(text)
    config = load_config(folder / "config.toml")
    if split == "population":  # the census is the population table: no population to split it by
        with pytest.raises(Exception, match=r"tables.census.split = \"population\" needs the districts' population "
                                            r"from another table"):
            load_level(config, "districts")
        return
    census = load_level(config, "districts").tables["census"]
    # Cedar and Damson are both 1 x 1 degree squares at the same latitudes: equal areas, half each
    assert census.loc["01004", "people"] == pytest.approx(2500) and census.loc["01005", "people"] == pytest.approx(2500)
    assert census.loc["01004", "unemp_pct"] == 8


def test_weights_message_names_only_what_was_passed(tmp_path, capsys):
    out = tmp_path / "r.csv"
    base = ["rank", "--config", str(HERE / "config.toml"), "--out", str(out), "--no-analysis",
            "--layers", "poverty,unemployment"]
    # lights has weight = 0 in the configuration and is not among --layers: not an error, not named
    assert main(base + ["--weights", "unemployment=2"]) == 0
    capsys.readouterr()
    assert main(base + ["--weights", "ghost=1"]) == 2
    err = capsys.readouterr().err
    assert "--weights names layer(s) ['ghost'] not in use" in err and "lights" not in err.split("layers:")[0]


def test_prepare_writes_the_report_into_the_file(tmp_path, capsys):
    import sqlite3

    out = tmp_path / "prepared.gpkg"
    assert main(["prepare", "--config", str(HERE / "config.toml"), "--out", str(out)]) == 0
    with sqlite3.connect(out) as db:
        tables = [r[0] for r in db.execute("select table_name from gpkg_contents")]
        assert "settings" in tables
        rows = [r[-2:] for r in db.execute("select * from settings").fetchall()]
    assert ("report.012", "1 district(s) without a row (no data): 01005 Damson") in rows
    assert main(["prepare", "--config", str(HERE / "config.toml"), "--out", str(out), "--strict"]) == 2
