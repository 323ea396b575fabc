"""A systematic corpus of bad input, run through the command line and the engine.

Each case copies the worked example of ``tests/data/own_data`` into a temporary
folder, swaps in one file of ``tests/data/bad`` (see ``make_bad.py`` there) or
changes one setting, and runs ``python -m geo rank`` (or ``check``). Every case
ends in exactly one of two ways:

``error``
    exit code 2, exactly one line on stderr starting with ``error:`` and no
    traceback; the line contains every ``expect`` substring (the file, the field
    or setting, the problem, the fix) and no output file is written.
``repair``
    exit code 0, the report on stderr (``rank``) or stdout (``check``) contains
    every ``expect`` substring (what was repaired or left out), and the ranked
    export holds all six districts: nothing is dropped silently. ``verify``
    checks the numbers that came out.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.cli import main
from geo.errors import MissingCRSError, RasterError, TargetingError
from geo.io import read_boundaries, read_table
from geo.zonal import zonal_stats

from .conftest import DATA, OWN, ROOT

BAD = DATA / "bad"
CODES = ["001", "002", "003", "004", "005", "006"]

RASTER_LAYER = """
[[layers.custom]]
id = "lights"
label = "Night lights"
theme = "infrastructure"
unit = "index"
higher_is_worse = false
kind = "rate"
raster = "{raster}"
stat = "mean"
source = "Test raster"
year = 2024
licence = "CC0"
"""


@dataclass(frozen=True)
class Case:
    """One bad input and its expected outcome."""

    id: str
    outcome: str  # "error" or "repair"
    expect: tuple[str, ...]
    files: tuple[str, ...] = ()
    edits: tuple[tuple[str, str], ...] = ()
    append: str = ""
    command: str = "rank"
    analysis: bool = False
    codes: tuple[str, ...] = tuple(CODES)
    verify: Callable[[pd.DataFrame], None] | None = field(default=None, compare=False)


def _boundaries(name: str) -> tuple[tuple[str, str], ...]:
    return (('path = "districts.geojson"', f'path = "{name}"'),)


def _table(name: str) -> tuple[tuple[str, str], ...]:
    return (('path = "indicators.csv"', f'path = "{name}"'),)


def _column(table: pd.DataFrame, column: str) -> list:
    return table.set_index("code").loc[CODES, column].tolist()


def _same_ranks_as_example(table: pd.DataFrame) -> None:
    assert _column(table, "rank") == [6, 4, 3, 2, 1, 5]
    assert _column(table, "population") == [1000, 2000, 3000, 4000, 5000, 6000]


# A share of districts without a row above the default [joins] max_unmatched (0.05), allowed explicitly.
_ALLOW_ONE_IN_FIVE = "\n[joins]\nmax_unmatched = 0.2\n"

CASES = [
    # ------------------------------------------------------------------ boundaries
    Case("boundaries-no-crs", "error", ("b_no_crs.fgb", "no coordinate reference system", "set_crs"),
         files=("b_no_crs.fgb",), edits=_boundaries("b_no_crs.fgb")),
    Case("boundaries-projected-labelled-4326", "error",
         ("b_mislabelled.geojson", "outside the range", "EPSG:4326", "set_crs"),
         files=("b_mislabelled.geojson",), edits=_boundaries("b_mislabelled.geojson")),
    Case("boundaries-invalid-self-intersecting", "repair", ("2 invalid geometries repaired (make_valid)",),
         files=("b_invalid.geojson",), edits=_boundaries("b_invalid.geojson"),
         verify=_same_ranks_as_example),
    Case("boundaries-empty-geometry", "repair", ("1 district(s) without geometry kept", "'006'",
                                                 "layers ['sites'] are computed from shapes"),
         files=("b_empty_geom.geojson",), edits=_boundaries("b_empty_geom.geojson"),
         verify=lambda t: (_same_ranks_as_example(t), np.testing.assert_array_equal(
             _column(t, "sites"), [2.0, 0.0, 0.0, 0.0, 0.0, np.nan]))),
    Case("boundaries-empty-geometry-with-clusters", "repair",
         ("1 district(s) without geometry kept", "get 'no data' for them"),
         files=("b_empty_geom.geojson",), edits=_boundaries("b_empty_geom.geojson"), analysis=True,
         verify=lambda t: (_same_ranks_as_example(t),
                           _column(t, "cluster")[5] == "no data" or pytest.fail("006 has no neighbours"))),
    Case("boundaries-mixed-geometry-types", "repair",
         ("2 geometries reduced to their polygons", "1 district(s) without geometry kept", "'004'"),
         files=("b_mixed.geojson",), edits=_boundaries("b_mixed.geojson"), verify=_same_ranks_as_example),
    Case("boundaries-zero-features", "error", ("b_zero.geojson", "no features", "layer name"),
         files=("b_zero.geojson",), edits=_boundaries("b_zero.geojson")),
    Case("boundaries-duplicate-codes", "error", ("b_duplicate.geojson", "'DIST_ID'", "duplicate codes ['002']",
                                                 "must be unique"),
         files=("b_duplicate.geojson",), edits=_boundaries("b_duplicate.geojson")),
    Case("boundaries-codes-lost-leading-zeros", "error",
         ("indicators.csv", "'DISTRICT_CODE'", "no key matches", "leading zeros", "'001'"),
         files=("b_int_codes.geojson",), edits=_boundaries("b_int_codes.geojson")),
    Case("boundaries-missing-id-field", "error", ("districts.geojson", "['CODE'] not found", "DIST_ID",
                                                  "Fix the field names"),
         edits=(('id = "DIST_ID"', 'id = "CODE"'),)),
    Case("boundaries-zip-without-prj", "error", ("b_shp_no_prj.zip", "no .prj", "add the .prj"),
         files=("b_shp_no_prj.zip",), edits=_boundaries("b_shp_no_prj.zip")),
    Case("boundaries-zip-without-dbf", "error", ("b_shp_no_dbf.zip", "no .dbf", "add it to the zip"),
         files=("b_shp_no_dbf.zip",), edits=_boundaries("b_shp_no_dbf.zip")),
    Case("boundaries-zip-slip", "error", ("b_zip_slip.zip", "leave the archive folder", "../districts",
                                          "plain relative names"),
         files=("b_zip_slip.zip",), edits=_boundaries("b_zip_slip.zip")),
    Case("boundaries-not-a-zip", "error", ("b_not_zip.zip", "not a valid zip", "re-export"),
         files=("b_not_zip.zip",), edits=_boundaries("b_not_zip.zip")),
    Case("boundaries-corrupt", "error", ("b_corrupt.gpkg", "cannot read it as a vector dataset", "Use GeoPackage"),
         files=("b_corrupt.gpkg",), edits=_boundaries("b_corrupt.gpkg")),
    Case("boundaries-unsupported-format", "error", ("b_unsupported.pdf", "cannot read it", "Use GeoPackage"),
         files=("b_unsupported.pdf",), edits=_boundaries("b_unsupported.pdf")),
    # ---------------------------------------------------------------------- tables
    Case("table-latin1", "repair", ("6 of 6 districts matched",), files=("t_latin1.csv",),
         edits=_table("t_latin1.csv"), verify=_same_ranks_as_example),
    Case("table-utf8-bom", "repair", ("6 of 6 districts matched",), files=("t_bom.csv",),
         edits=_table("t_bom.csv"), verify=_same_ranks_as_example),
    Case("table-thousands-separators", "repair", ("6 of 6 districts matched",), files=("t_thousands.csv",),
         edits=_table("t_thousands.csv"), verify=_same_ranks_as_example),
    Case("table-thousands-dots-decimal-commas", "repair", ("6 of 6 districts matched",),
         files=("t_thousands_dot.csv",), edits=_table("t_thousands_dot.csv"), verify=_same_ranks_as_example),
    Case("table-percent-as-share", "repair", ("no_power", "between 0 and 1", "scale = 100"),
         files=("t_percent_scales.csv",), edits=_table("t_percent_scales.csv")),
    Case("table-missing-tokens", "repair", ("6 of 6 districts matched",), files=("t_missing_tokens.csv",),
         edits=_table("t_missing_tokens.csv"),
         verify=lambda t: np.testing.assert_array_equal(
             _column(t, "unemployment"), [np.nan, np.nan, np.nan, np.nan, 16.0, 10.0])),
    Case("table-negative-rate", "error", ("t_negative.csv", "'unemp_pct'", "-8", "'002'", "between 0 and 100"),
         files=("t_negative.csv",), edits=_table("t_negative.csv")),
    Case("table-rate-above-100", "error", ("t_over_100.csv", "'no_power_pct'", "150", "'004'", "between 0 and 100"),
         files=("t_over_100.csv",), edits=_table("t_over_100.csv")),
    Case("table-all-missing-column", "repair", ("Layer 'no_power' has no data", "left out of the score"),
         files=("t_all_missing.csv",), edits=_table("t_all_missing.csv")),
    Case("table-constant-column", "repair", ("Layer 'unemployment' has the same value everywhere",),
         files=("t_constant.csv",), edits=_table("t_constant.csv")),
    Case("table-names-accents-case-spacing", "repair", ("6 of 6 districts matched (0 by code, 6 by name",),
         files=("t_names.csv",),
         edits=_table("t_names.csv") + (('key = "DISTRICT_CODE"', 'key = "NAME"\nby = "name"'),),
         verify=_same_ranks_as_example),
    Case("table-keys-on-one-side-only", "repair",
         ("5 of 6 districts matched", "1 district(s) without a row (no data): 006 Falaise",
          "1 table row(s) matching no district (not used): 007", "1 district(s) not scored"),
         files=("t_keys_mismatch.csv",), edits=_table("t_keys_mismatch.csv"), append=_ALLOW_ONE_IN_FIVE,
         verify=lambda t: (_column(t, "rank")[5] != _column(t, "rank")[5])),
    Case("table-keys-beyond-max-unmatched", "error",
         ("t_keys_mismatch.csv (districts): 1 of 6 districts (16.7%) have no row", "joins.max_unmatched = 0.05",
          "006 Falaise"), files=("t_keys_mismatch.csv",), edits=_table("t_keys_mismatch.csv")),
    Case("table-excel", "repair", ("6 of 6 districts matched",), files=("t_table.xlsx",),
         edits=_table("t_table.xlsx"), verify=_same_ranks_as_example),
    Case("table-text-in-number-column", "error", ("t_text_value.csv", "'unemp_pct'", "twenty", "(row 4)", "Fix these cells"),
         files=("t_text_value.csv",), edits=_table("t_text_value.csv")),
    Case("table-missing-key-column", "error", ("indicators.csv", "'CODE' not found", "DISTRICT_CODE",
                                               "Fix the key"),
         edits=(('key = "DISTRICT_CODE"', 'key = "CODE"'),)),
    Case("table-missing-value-column", "error", ("indicators.csv", "'unemp' not found", "unemp_pct",
                                                 "Fix the column name"),
         edits=(('column = "unemp_pct"', 'column = "unemp"'),)),
    # --------------------------------------------------------------------- rasters
    Case("raster-no-overlap", "error", ("r_no_overlap.tif", "does not overlap", "CRS"),
         files=("r_no_overlap.tif",), append=RASTER_LAYER.format(raster="r_no_overlap.tif")),
    Case("raster-nodata-only", "repair", ("Layer 'lights' has no data", "left out of the score"),
         files=("r_nodata.tif",), append=RASTER_LAYER.format(raster="r_nodata.tif")),
    Case("raster-other-crs", "repair", ("6 of 6 districts matched",), files=("r_values_3857.tif",),
         append=RASTER_LAYER.format(raster="r_values_3857.tif"),
         verify=lambda t: np.testing.assert_allclose(_column(t, "lights"), [1, 2, 3, 1, 2, 3])),
    Case("raster-no-crs", "error", ("r_no_crs.tif", "no CRS", "gdal_edit.py"),
         files=("r_no_crs.tif",), append=RASTER_LAYER.format(raster="r_no_crs.tif")),
    Case("raster-missing-file", "error", ("config.toml", "layers.custom[4].raster", "file not found",
                                          "fix the path"),
         append=RASTER_LAYER.format(raster="nope.tif")),
    # ---------------------------------------------------------------------- config
    Case("config-unknown-key", "error", ("config.toml", "unknown key 'display.colour'", "spelling"),
         append='colour = "red"\n'),
    Case("config-wrong-type-number", "error", ("config.toml", "min_coverage", "'half'", "between 0 and 1"),
         edits=(("min_coverage = 0.5", 'min_coverage = "half"'),)),
    Case("config-wrong-type-year", "error", ("config.toml", "layers.custom[0].year", "a whole number", "'2023'"),
         edits=(("year = 2023", 'year = "2023"'),)),
    Case("config-wrong-type-section", "error", ("config.toml", "[display]", "a table", "'districts'"),
         edits=(('[display]\ndefault_level = "districts"', ""),
                ('analysis_crs = "auto"', 'analysis_crs = "auto"\ndisplay = "districts"'))),
    Case("config-weights-sum-to-zero", "error", ("config.toml", "all zero", "positive weight"),
         append="[layers.weights]\npoverty_rate = 0\nunemployment = 0\nno_power = 0\n"),
    Case("config-negative-weight", "error", ("config.toml", "layers.weights.poverty_rate", "-1", ">= 0"),
         append="[layers.weights]\npoverty_rate = -1\n"),
    Case("config-weight-of-undeclared-layer", "error", ("config.toml", "layers.weights.ghost", "not in use",
                                                        "poverty_rate"),
         append="[layers.weights]\nghost = 1\n"),
    Case("config-undeclared-table", "error", ("config.toml", "'census'", "not declared under [tables]",
                                              "survey"),
         edits=(('table = "survey"\ncolumn = "poor_share"', 'table = "census"\ncolumn = "poor_share"'),)),
    Case("config-unknown-level", "error", ("config.toml", "'counties'", "not declared", "districts"),
         edits=(('level = "districts"', 'level = "counties"'),)),
    Case("config-layer-not-declared", "error", ("config.toml", "layers.use lists 'ghost'", "not a declared layer",
                                                "[[layers.custom]]"),
         append='[layers]\nuse = ["ghost"]\n'),
    Case("config-missing-boundaries", "error", ("config.toml", "levels.districts.path", "nope.geojson",
                                                "file not found", "fix the path"),
         edits=_boundaries("nope.geojson")),
    Case("config-missing-file", "error", ("config.toml", "tables.survey.path", "missing.csv", "file not found",
                                          "fix the path"),
         edits=_table("missing.csv")),
    Case("config-invalid-toml", "error", ("config.toml", "not valid TOML", "fix the syntax"),
         append="= broken\n"),
    Case("config-unknown-choice", "error", ("config.toml", "normalisation", "'minimax'", "must be one of"),
         edits=(('normalisation = "minmax"', 'normalisation = "minimax"'),)),
    # ------------------------------------------------------------- check command
    Case("check-duplicate-codes", "error", ("b_duplicate.geojson", "duplicate codes"), command="check",
         files=("b_duplicate.geojson",), edits=_boundaries("b_duplicate.geojson")),
    Case("check-keys-on-one-side-only", "repair", ("1 table row(s) matching no district (not used): 007",
                                                   "with unmatched items"),
         command="check", files=("t_keys_mismatch.csv",), edits=_table("t_keys_mismatch.csv"),
         append=_ALLOW_ONE_IN_FIVE),
    Case("check-percent-as-share", "repair", ("no_power", "between 0 and 1", "scale = 100"), command="check",
         files=("t_percent_scales.csv",), edits=_table("t_percent_scales.csv")),
]

_BY_NAME = (('key = "DISTRICT_CODE"', 'key = "NAME"\nby = "name"'),)
_LAYER_ID = 'id = "poverty_rate"'
_SCALE = "scale = 100"
_PROVINCE_CYCLE = (('name = "PROV_NAME"', 'name = "PROV_NAME"\nparent = "PROV_ID"\nparent_level = "districts"'),)

# The second attack (issue "nothing wrong, nothing lost, nothing injected"): each case failed before
# (wrong result, silent loss or traceback) and has its outcome here.
ATTACK_CASES = [
    # --------------------------------------------------------------- wrong results
    *[Case(f"config-layer-id-{lid}", "error", ("config.toml", "layers.custom[0].id", repr(lid), "ranked export"),
           edits=((_LAYER_ID, f'id = "{lid}"'),))
      for lid in ("score", "name", "code", "rank", "population", "unemployment_norm", "theme_poverty",
                  "rank_median", "left_behind")],
    Case("config-layer-id-characters", "error", ("config.toml", "layers.custom[0].id", "'Poverty-Rate'",
                                                 "lower-case letters"),
         edits=((_LAYER_ID, 'id = "Poverty-Rate"'),)),
    Case("names-arabic-join", "repair", ("6 of 6 districts matched (0 by code, 6 by name",),
         files=("b_arabic.geojson", "t_arabic_names.csv"),
         edits=_boundaries("b_arabic.geojson") + _table("t_arabic_names.csv") + _BY_NAME,
         verify=lambda t: (_same_ranks_as_example(t), _column(t, "name")[0] == "عين الشق" or pytest.fail())),
    Case("names-null-name-shown-by-code", "repair", ("1 district(s) without a name, shown by their code: ['003']",),
         files=("b_null_name.geojson",), edits=_boundaries("b_null_name.geojson"),
         verify=lambda t: (_same_ranks_as_example(t), _column(t, "name")[2] == "003" or pytest.fail())),
    Case("codes-na-is-a-code", "repair", ("6 of 6 districts matched (6 by code",),
         files=("b_code_na.geojson", "t_code_na.csv"),
         edits=_boundaries("b_code_na.geojson") + _table("t_code_na.csv"), codes=("001", "002", "003", "NA", "005", "006"),
         verify=lambda t: t.set_index("code").at["NA", "population"] == 4000 or pytest.fail()),
    Case("numbers-three-decimals-refused", "error", ("t_three_decimals.csv", "'unemp_pct'", "'12.125'",
                                                    "read two ways"),
         files=("t_three_decimals.csv",), edits=_table("t_three_decimals.csv")),
    Case("numbers-three-decimals-file-uses-points", "repair", ("6 of 6 districts matched",),
         files=("t_three_decimals_points.csv",), edits=_table("t_three_decimals_points.csv"),
         verify=lambda t: np.testing.assert_array_equal(
             _column(t, "unemployment"), [12.125, 8.25, 20.375, 4.5, 16.625, 10.75])),
    Case("numbers-thousands-dot-reported", "repair", ("'people'", "'.' as the thousands separator"),
         files=("t_thousands_dot.csv",), edits=_table("t_thousands_dot.csv"), verify=_same_ranks_as_example),
    Case("numbers-float-range", "error", ("t_huge_values.csv", "'unemp_pct'", "too large", "'1e300'"),
         files=("t_huge_values.csv",), edits=_table("t_huge_values.csv")),
    Case("config-scale-overflow", "error", ("config.toml", "layers.custom[0].scale", "1e+308"),
         edits=((_SCALE, "scale = 1e308"),)),
    Case("config-scale-text", "error", ("config.toml", "layers.custom[0].scale", "'abc'", "must be a number"),
         edits=((_SCALE, 'scale = "abc"'),)),
    Case("config-scale-list", "error", ("config.toml", "layers.custom[0].scale", "[100]", "must be a number"),
         edits=((_SCALE, "scale = [100]"),)),
    Case("config-scale-zero", "error", ("config.toml", "layers.custom[0].scale", "not 0"),
         edits=((_SCALE, "scale = 0"),)),
    # ----------------------------------------------------------------- silent loss
    Case("table-excel-formulas-without-results", "error", ("t_formulas.xlsx", "'unemp_pct'", "6 formula cell(s)",
                                                          "rows 2, 3, 4, 5, 6, 7", "save it again"),
         files=("t_formulas.xlsx",), edits=_table("t_formulas.xlsx")),
    Case("table-excel-formulas-check", "error", ("t_formulas.xlsx", "formula cell(s) saved without their result"),
         command="check", files=("t_formulas.xlsx",), edits=_table("t_formulas.xlsx")),
    Case("population-text", "error", ("t_text_population.csv", "'people'", "'many'", "population"),
         files=("t_text_population.csv",), edits=_table("t_text_population.csv")),
    Case("population-negative", "error", ("t_negative_population.csv", "'people'", "negative", "'002': -2000"),
         files=("t_negative_population.csv",), edits=_table("t_negative_population.csv")),
    # -------------------------------------------------------------------- unclear
    Case("table-utf16-without-bom", "repair", ("6 of 6 districts matched",), files=("t_utf16_nobom.csv",),
         edits=_table("t_utf16_nobom.csv"), verify=_same_ranks_as_example),
    Case("table-excel-sheet-by-name", "repair", ("6 of 6 districts matched",), files=("t_two_sheets.xlsx",),
         edits=_table("t_two_sheets.xlsx") + (('key = "DISTRICT_CODE"', 'key = "DISTRICT_CODE"\nsheet = "data"'),),
         verify=_same_ranks_as_example),
    Case("table-excel-unknown-sheet", "error", ("t_two_sheets.xlsx", "no worksheet 'Sheet1'", "['data', 'about']"),
         files=("t_two_sheets.xlsx",),
         edits=_table("t_two_sheets.xlsx") + (('key = "DISTRICT_CODE"', 'key = "DISTRICT_CODE"\nsheet = "Sheet1"'),)),
    Case("table-device", "error", ("/dev/zero", "not a regular file"), edits=(('path = "indicators.csv"',
                                                                             'path = "/dev/zero"'),)),
    Case("config-parent-level-cycle", "error", ("config.toml", "cycle", "districts -> provinces -> districts"),
         edits=_PROVINCE_CYCLE),
    Case("config-weight-infinite", "error", ("config.toml", "layers.weights.poverty_rate", "inf", "too large"),
         append="[layers.weights]\npoverty_rate = inf\n"),
    Case("check-weight-infinite", "error", ("config.toml", "layers.weights.poverty_rate", "too large"),
         command="check", append="[layers.weights]\npoverty_rate = inf\n"),
    Case("config-theme-weights-overflow", "error", ("config.toml", "themes.poverty.weight", "too large"),
         edits=(('description = "Monetary poverty from the household survey."\nrole = "need"',
                 'description = "Monetary poverty from the household survey."\nrole = "need"\nweight = 1e308'),
                ('label = "Unemployment"\nrole = "need"', 'label = "Unemployment"\nrole = "need"\nweight = 1e308'))),
    # ------------------------------------------------------------------ tracebacks
    Case("table-columns-equal-once-stripped", "repair", ("repeats column name", "'people (2)'"),
         files=("t_dup_columns.csv",), edits=_table("t_dup_columns.csv"), verify=_same_ranks_as_example),
    Case("boundaries-all-geometries-null", "error", ("b_null_geoms.geojson", "none of the 6 features has a geometry"),
         files=("b_null_geoms.geojson",), edits=_boundaries("b_null_geoms.geojson")),
]
CASES += ATTACK_CASES


def make_case(case: Case, folder: Path) -> Path:
    """Copy the worked example to ``folder`` with the case's files and edits; return the config path."""
    shutil.copytree(OWN, folder)
    for name in case.files:
        shutil.copy(BAD / name, folder / name)
    config = folder / "config.toml"
    text = config.read_text(encoding="utf-8")
    for old, new in case.edits:
        assert old in text, f"edit {old!r} does not apply"
        text = text.replace(old, new, 1)
    config.write_text(text + case.append, encoding="utf-8")
    return config


def run_cli(case: Case, tmp_path: Path, capsys) -> tuple[int, str, str, Path]:
    config = make_case(case, tmp_path / "case")
    out = tmp_path / "ranked.csv"
    args = [case.command, "--config", str(config)]
    if case.command == "rank":
        args += ["--out", str(out)] + ([] if case.analysis else ["--no-analysis"])
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err, out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_case(case: Case, tmp_path, capsys):
    code, out, err, path = run_cli(case, tmp_path, capsys)
    if case.outcome == "error":
        lines = err.strip().splitlines()
        assert code == 2, err
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert "Traceback" not in err
        for text in case.expect:
            assert text in lines[0], f"{text!r} not in {lines[0]!r}"
        assert not path.exists()
        return
    assert code == 0, err
    report = err if case.command == "rank" else out
    for text in case.expect:
        assert text in report, f"{text!r} not in the report:\n{report}"
    if case.command == "rank":
        table = pd.read_csv(path, dtype={"code": str, "parent_code": str, "name": str}, keep_default_na=False,
                            na_values=[""])
        assert sorted(table["code"]) == sorted(case.codes)  # every district is in the export
        assert table["rank"].isna().sum() == (table["score"].isna()).sum()
        if case.verify is not None:
            case.verify(table)


def test_example_itself_is_clean(tmp_path, capsys):
    """The unmodified example: the baseline every repair case is compared with."""
    code, _, err, path = run_cli(Case("clean", "repair", ()), tmp_path, capsys)
    assert code == 0, err
    _same_ranks_as_example(pd.read_csv(path, dtype={"code": str}))


SUBPROCESS_CASES = ["boundaries-no-crs", "boundaries-zip-slip", "table-negative-rate",
                    "config-weights-sum-to-zero", "raster-no-overlap"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_bad_input_real_process(case_id, tmp_path):
    """The same cases through a real ``python -m geo``: one line, exit code 2, no warnings or traceback."""
    case = next(c for c in CASES if c.id == case_id)
    config = make_case(case, tmp_path / "case")
    done = subprocess.run([sys.executable, "-m", "geo", "rank", "--config", str(config), "--out",
                           str(tmp_path / "x.csv"), "--no-analysis"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert all(text in lines[0] for text in case.expect)


# ------------------------------------------------------------------ engine API


def test_engine_zip_slip_is_never_extracted(tmp_path):
    shutil.copy(BAD / "b_zip_slip.zip", tmp_path / "b.zip")
    with pytest.raises(TargetingError, match="leave the archive folder"):
        read_boundaries(tmp_path / "b.zip", id_field="DIST_ID")
    assert not (tmp_path.parent / "districts.shp").exists()


def test_engine_mixed_geometries_become_polygons():
    gdf, report = read_boundaries(BAD / "b_mixed.geojson", id_field="DIST_ID", name_field="DIST_NAME")
    assert gdf.index.tolist() == CODES
    kinds = gdf.geometry.geom_type.tolist()
    assert set(kinds) - {None} <= {"Polygon", "MultiPolygon"}
    assert gdf.geometry["003"].area == pytest.approx(1.0)
    assert gdf.geometry["004"].is_empty
    assert report.empty == ["004"]


def test_engine_codes_keep_zeros_and_numbers_parse():
    table = read_table(BAD / "t_thousands.csv", key="DISTRICT_CODE")
    assert table["DISTRICT_CODE"].tolist() == CODES
    assert table["people"].tolist() == [1000, 2000, 3000, 4000, 5000, 6000]
    assert table["hh"].tolist() == [200, 400, 600, 800, 1000, 1200]
    latin = read_table(BAD / "t_latin1.csv", key="DISTRICT_CODE")
    assert latin["NAME"].tolist()[:2] == ["Aïn Nord", "Bélvédère"]


def test_engine_raster_without_overlap(tmp_path):
    zones = gpd.read_file(OWN / "districts.geojson")
    with pytest.raises(RasterError, match="does not overlap"):
        zonal_stats(zones, BAD / "r_no_overlap.tif")


def test_engine_raster_other_crs_matches_same_grid():
    zones = gpd.read_file(OWN / "districts.geojson")
    a = zonal_stats(zones, BAD / "r_values_4326.tif")["mean"]
    b = zonal_stats(zones, BAD / "r_values_3857.tif")["mean"]
    np.testing.assert_allclose(a, [1, 2, 3, 1, 2, 3])
    np.testing.assert_allclose(b, a)


def test_engine_district_smaller_than_a_pixel():
    zones = gpd.GeoDataFrame({"code": ["big", "tiny"]},
                             geometry=[box(0, 0, 1, 1), box(2.51, 1.51, 2.52, 1.52)], crs="EPSG:4326")
    stats = zonal_stats(zones, BAD / "r_values_4326.tif", stats=["mean", "count"])
    assert stats.loc[1, "mean"] == 3.0 and stats.loc[1, "count"] == 1
    assert stats.loc[0, "mean"] == 1.0 and stats.loc[0, "count"] == 100


def test_engine_zones_without_crs():
    zones = gpd.GeoDataFrame({"code": ["a"]}, geometry=[box(0, 0, 1, 1)])
    with pytest.raises(MissingCRSError, match="set_crs"):
        zonal_stats(zones, BAD / "r_values_4326.tif")


def test_engine_partial_leading_zero_mismatch_is_reported():
    from geo.join import join_table

    districts = pd.DataFrame({"name": ["A", "B", "C"]}, index=pd.Index(["01", "02", "10"], name="code"))
    table = pd.DataFrame({"id": ["1", "2", "10"], "v": [1.0, 2.0, 3.0]})
    joined, report = join_table(districts, table, key="id")
    assert joined["v"].tolist()[2] == 3.0 and joined["v"].isna().sum() == 2
    text = "\n".join(report.lines())
    assert "2 district(s) without a row" in text and "2 table row(s) matching no district" in text
    assert "leading zeros" in text and "'1' in the table, '01' in the boundaries" in text


def test_engine_names_equal_after_normalisation_are_refused():
    from geo.errors import JoinError
    from geo.join import join_table

    districts = pd.DataFrame({"name": ["Aïn Nord", "Dune"]}, index=pd.Index(["1", "2"], name="code"))
    table = pd.DataFrame({"n": ["AIN NORD", "ain-nord", "Dune"], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(JoinError, match=r"share a key in column 'n'.*AIN NORD"):
        join_table(districts, table, key="n", by="name")


HUGE_RASTER_SCRIPT = """
import resource, sys
import geopandas as gpd
from geo.zonal import zonal_stats

zones = gpd.read_file(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
table = zonal_stats(zones, sys.argv[1], stats=["mean", "count"])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) * 1024, int(table["count"].sum()))
"""


@pytest.mark.slow
def test_huge_raster_is_streamed_in_windows(tmp_path):
    """A 20000 x 20000 float32 raster (1.6 GB in memory) is summarised with a bounded peak memory.

    The peak resident memory of a fresh process grows by far less than the raster
    would take (``ru_maxrss`` is in KiB on Linux); every pixel is counted.
    """
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    n, rows = 20_000, 1024
    path = tmp_path / "huge.tif"
    profile = dict(driver="GTiff", width=n, height=n, count=1, dtype="float32", crs="EPSG:4326",
                   transform=from_origin(0, 2, 3 / n, 2 / n), tiled=True, blockxsize=512, blockysize=512,
                   compress="deflate", nodata=-1)
    block = (np.arange(n, dtype="float32") % 7)[None, :].repeat(rows, axis=0)
    with rasterio.open(path, "w", **profile) as dst:
        for r in range(0, n, rows):
            h = min(rows, n - r)
            dst.write(block[:h], 1, window=Window(0, r, n, h))
    done = subprocess.run([sys.executable, "-c", HUGE_RASTER_SCRIPT, str(path), str(OWN / "districts.geojson")],
                          cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert done.returncode == 0, done.stderr
    growth, pixels = map(int, done.stdout.split())
    assert pixels == n * n
    whole = n * n * 4
    assert growth < 600 * 2**20 < whole / 2


def test_engine_infinite_table_value_is_an_error_not_no_data():
    from geo.errors import LayerDataError
    from layers.base import LayerInputs, census_column

    table = pd.DataFrame({"x": ["1.5", "inf", "2"]}, index=["a", "b", "c"])
    inputs = LayerInputs(level="d", districts=pd.DataFrame(index=["a", "b", "c"]), tables={"census": table},
                         table_paths={"census": Path("survey.csv")})
    with pytest.raises(LayerDataError, match=r"survey.csv: column 'x' has 1 infinite value\(s\), for district\(s\) \['b'\]"):
        census_column("x")(inputs)


# ------------------------------------------------------------- command-line arguments
def _example(tmp_path: Path) -> Path:
    shutil.copytree(OWN, tmp_path / "case")
    return tmp_path / "case" / "config.toml"


# (id, extra arguments of `rank` (``{dir}`` is a folder that exists), expected parts of the one error line)
ARGUMENT_CASES = [
    ("out-is-a-folder", ["--out", "{dir}/folder.csv"], ("--out", "is a folder")),
    ("draws-too-many", ["--draws", "200000000"], ("--draws 200000000", "100,000")),
    ("draws-negative", ["--draws", "-1"], ("--draws -1", "from 0")),
    ("permutations-negative", ["--permutations", "-5"], ("--permutations -5",)),
    ("noise-out-of-range", ["--noise", "3"], ("--noise 3", "below 1")),
    ("theme-weights-unknown-theme", ["--theme-weights", "health=2"], ("--theme-weights", "['health']", "themes:")),
    ("weights-twice", ["--weights", "poverty_rate=1,poverty_rate=2"], ("--weights", "'poverty_rate'", "twice")),
    ("weights-infinite", ["--weights", "poverty_rate=inf"], ("--weights", "from 0 to 1e+100")),
    ("weights-unknown-layer", ["--weights", "ghost=1"], ("--weights names layer(s) ['ghost'] not in use",)),
    ("layers-twice", ["--layers", "poverty_rate,poverty_rate"], ("--layers", "twice")),
    ("min-coverage-out-of-range", ["--min-coverage", "2"], ("--min-coverage 2", "between 0 and 1")),
]


@pytest.mark.parametrize("case_id, extra, expect", ARGUMENT_CASES, ids=[c[0] for c in ARGUMENT_CASES])
def test_bad_arguments(case_id, extra, expect, tmp_path, capsys):
    """Out-of-range arguments end in one line and exit code 2, before anything large is allocated."""
    config = _example(tmp_path)
    (tmp_path / "folder.csv").mkdir()
    extra = [a.replace("{dir}", str(tmp_path)) for a in extra]
    args = ["rank", "--config", str(config), *(["--out", str(tmp_path / "x.csv")] if "--out" not in extra else []),
            *extra]
    code = main(args)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for text in expect:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"


def test_draws_times_districts_limit_is_named(tmp_path, capsys, monkeypatch):
    import geo.cli

    monkeypatch.setattr(geo.cli, "MAX_DRAW_CELLS", 6 * 999)
    code = main(["rank", "--config", str(_example(tmp_path)), "--out", str(tmp_path / "x.csv"), "--draws", "1000"])
    err = capsys.readouterr().err
    assert code == 2 and "1,000 draws x 6 districts" in err and "at most 999 draws" in err


def test_config_is_a_folder(tmp_path, capsys):
    code = main(["check", "--config", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "is a folder, not a configuration file" in err


def test_config_with_byte_order_mark(tmp_path, capsys):
    """A UTF-8 byte-order mark (Notepad) in config.toml is ignored, not 'Invalid statement'."""
    config = _example(tmp_path)
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    assert main(["check", "--config", str(config)]) == 0, capsys.readouterr().err


def test_check_into_a_closed_pipe(tmp_path):
    """`python -m geo check | head -1`: no BrokenPipeError traceback."""
    config = _example(tmp_path)
    done = subprocess.run(f"{sys.executable} -m geo check --config {config} | head -1", shell=True, cwd=ROOT,
                          capture_output=True, text=True)
    assert done.stdout.startswith("[districts]")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    # A reader gone before the first byte: the write itself fails (deterministic, unlike `head`).
    script = ("import os, sys\nr, w = os.pipe()\nos.close(r)\nos.dup2(w, 1)\nfrom geo.cli import main\n"
              f"sys.exit(main(['check', '--config', {str(config)!r}]))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 141 and done.stderr == "", done.stderr


def test_geojson_export_keeps_full_precision(tmp_path):
    """Floats in a GeoJSON export read back bit for bit (GDAL's writer rounds 9.900000000000002 to 9.9)."""
    from geo.io import write_table

    values = [9.900000000000002, 0.1 + 0.2, 1 / 3, 1e-300, float("nan"), 123456789.12345679]
    frame = gpd.GeoDataFrame({"v": values, "name": ["a", "é", "=1+2", None, "x", "y"]},
                             geometry=[box(i, 0, i + 1, 1) for i in range(6)], crs="EPSG:4326")
    back = gpd.read_file(write_table(frame, tmp_path / "x.geojson"))
    np.testing.assert_array_equal(back["v"].to_numpy(), np.array(values))
    assert back.crs.to_epsg() == 4326 and back.geometry.equals(frame.geometry)
