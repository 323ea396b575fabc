"""docs/configuration.md is generated from the validator, and the keys of joins, tables and layers are checked."""

import tomllib

import pandas as pd
import pytest

from geo.config import allowed_keys, parse_config
from geo.config_docs import KEYS, render
from geo.errors import ConfigError

from .conftest import DATA, ROOT

SECOND = DATA / "second_country"


def test_reference_matches_the_validator():
    assert {s: set(k) for s, k in KEYS.items()} == {s: set(k) for s, k in allowed_keys().items()}
    assert (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8") == render(), (
        "docs/configuration.md is out of date: run `python -m geo.config_docs`"
    )


def _second() -> dict:
    return tomllib.loads((SECOND / "config.toml").read_text())


def _custom(data: dict, layer_id: str) -> dict:
    return next(spec for spec in data["layers"]["custom"] if spec["id"] == layer_id)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d["joins"].update(max_unmatched=1.5), r"joins.max_unmatched = 1.5 not valid; must be a share"),
        (lambda d: d["joins"].update(max_unmatch=0.1), r"unknown key 'joins.max_unmatch'"),
        (lambda d: d["tables"]["census"].update(pad=0), r"tables.census.pad = 0 not valid"),
        (lambda d: d["tables"]["census"].update(split="people"), r"tables.census.split = 'people' not valid"),
        (lambda d: d["tables"]["villages"].pop("aggregate"), r"tables.villages.group_by needs aggregate"),
        (lambda d: d["tables"]["villages"]["aggregate"].pop("households"),
         r"column 'households' \(read by layer 'no_water' rollup_weight\) has no rule in tables.villages.aggregate"),
        (lambda d: d["tables"]["villages"]["aggregate"].update(households="total"),
         r"tables.villages.aggregate.households = 'total' not valid"),
        (lambda d: d["tables"]["villages"]["aggregate"]["no_water_pct"].pop("per"), r"needs per = 100"),
        (lambda d: _custom(d, "poverty").pop("per"), r"has numerator and denominator but no per"),
        (lambda d: _custom(d, "poverty").update(per=1000), r"unit = \"%\" but per = 1000"),
        (lambda d: _custom(d, "unemployment").update(complement_of=1), r"complement_of = 1"),
        (lambda d: _custom(d, "sites").update(where={"status": []}), r"where.status is an empty list"),
        (lambda d: _custom(d, "unemployment").update(where={"x": 1}), r"where filters the rows of a points file"),
    ],
)
def test_mistakes_name_the_key(mutate, match):
    data = _second()
    mutate(data)
    with pytest.raises(ConfigError, match=match):
        parse_config(data, SECOND / "config.toml")


def test_misspelt_rollup_weight_stops(tmp_path):
    import shutil

    from geo.cli import main

    folder = tmp_path / "c"
    shutil.copytree(SECOND, folder)
    text = (folder / "config.toml").read_text().replace('rollup_weight = "people"', 'rollup_weight = "peple"')
    (folder / "config.toml").write_text(text)
    assert main(["check", "--config", str(folder / "config.toml"), "--level", "provinces"]) == 2


def test_crosswalk_without_its_columns_says_to_fix_the_crosswalk(tmp_path):
    import shutil

    from geo.config import load_config
    from geo.dataset import load_level
    from geo.errors import LayerDataError

    folder = tmp_path / "c"
    shutil.copytree(SECOND, folder)
    (folder / "crosswalk.csv").write_text("old,new\n01900,01004\n")
    with pytest.raises(LayerDataError, match=r"crosswalk.csv: a crosswalk needs columns 'table_key' and "
                                             r"'district_code' .*found \['old', 'new'\]. Fix the header of the "
                                             r"crosswalk file."):
        load_level(load_config(folder / "config.toml"), "districts")


def test_engine_does_not_import_the_configuration():
    import ast

    tree = ast.parse((ROOT / "geo" / "engine.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "geo.config" not in imported  # geo.config imports geo.engine (EngineConfig, require_dask)


def test_ratio_percentage_outside_0_100_stops(tmp_path):
    import shutil

    from geo.config import load_config
    from geo.dataset import load_level
    from geo.errors import LayerDataError

    folder = tmp_path / "c"
    shutil.copytree(SECOND, folder)
    census = (folder / "census.csv").read_text().replace("1001,1000,250,100,10", "1001,1000,250,9830,10")
    (folder / "census.csv").write_text(census)
    with pytest.raises(LayerDataError, match=r"census.csv: 'poor' / 'people' x 100 \(layer 'poverty', in %\) gives "
                                             r"1 value\(s\) outside 0-100 at level 'districts' \('01001': 983\)"):
        load_level(load_config(folder / "config.toml"), "districts")


def test_disconnected_districts_are_said_once_in_the_projects_words():
    import warnings

    import geopandas as gpd
    from shapely.geometry import box

    from geo.clusters import getis_ord, local_moran

    # two islands of three squares each, 8 degrees apart
    squares = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(10, 0, 11, 1), box(11, 0, 12, 1),
               box(10, 1, 11, 2)]
    zones = gpd.GeoDataFrame(geometry=squares, crs=4326, index=list("abcdef"))
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=list("abcdef"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = local_moran(zones, values, permutations=99)
        getis_ord(zones, values, permutations=99)
    assert not [w for w in caught if "not fully connected" in str(w.message)]
    assert result.weights_description == ("queen contiguity; 2 groups of districts with no border between them "
                                          "(e.g. islands): clusters do not reach across groups")
