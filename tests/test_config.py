import tomllib
from pathlib import Path

import pytest

from geo.config import load_config, parse_config
from geo.errors import ConfigError

from .conftest import OWN


def _own() -> dict:
    return tomllib.loads((OWN / "config.toml").read_text())


def _parse(data: dict):
    return parse_config(data, OWN / "config.toml")


def test_own_config_is_valid_and_frozen(own_config):
    assert list(own_config.levels) == ["districts", "provinces"]
    assert [l.id for l in own_config.layers] == ["poverty_rate", "unemployment", "no_power", "sites"]
    assert own_config.weights["sites"] == 0
    with pytest.raises(Exception):
        own_config.title = "x"
    with pytest.raises(TypeError):
        own_config.weights["sites"] = 1


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.update(colour="red"), r"unknown key 'colour'"),
        (lambda d: d["method"].update(normalisation="robust"), r"normalisation must be one of"),
        (lambda d: d["method"].update(min_coverage="half"), r"min_coverage"),
        (lambda d: d["display"].update(classes="five"), r"display.classes must be a whole number"),
        (lambda d: d.setdefault("layers", {}).update(weights={"poverty_rate": -1}), r"negative"),
        (lambda d: d["layers"].update(weights={"poverty_rate": 0, "unemployment": 0, "no_power": 0, "sites": 0}),
         r"all zero"),
        (lambda d: d["layers"].update(use=["not_a_layer"]), r"'not_a_layer', which is not a declared layer"),
        (lambda d: d["layers"].update(weights={"ghost": 1}), r"layers.weights.ghost: layer not in use"),
        (lambda d: d["tables"]["survey"].update(path="missing.csv"), r"tables.survey.path = 'missing.csv': file not found"),
        (lambda d: d["levels"]["districts"].update(parent_level="nowhere"), r"parent_level = 'nowhere' is not a declared level"),
        (lambda d: d["layers"]["custom"][0].update(higher_is_worse="yes"), r"higher_is_worse must be true or false"),
        (lambda d: d["layers"]["custom"][0].update(theme="health"), r"unknown theme 'health'"),
        (lambda d: d.update(themes={"weights": {"poverty": 2}}), r"\[themes.weights\] is no longer read; declare each theme"),
        (lambda d: d["themes"]["poverty"].update(weight="a lot"), r"themes.poverty.weight = 'a lot' must be a number"),
        (lambda d: d["themes"]["poverty"].update(role="outcome"),
         r"themes.poverty.role = 'outcome' is not a role; use one of need, readiness, context"),
        (lambda d: d["themes"].update(health={"label": "Health", "role": "need"}),
         r"\[themes.health\] has no layers: no layer in use names theme 'health'; add a layer"),
        (lambda d: d["layers"].update(weights={"poverty_rate": 0}),
         r"layers.weights give every layer of theme 'poverty' \(poverty_rate\) weight 0, so the theme's total is zero"),
        (lambda d: d["themes"]["displacement"].update(weight=1),
         r"themes.displacement.weight = 1 but role = \"context\" is never scored"),
        (lambda d: d["themes"]["poverty"].pop("label"), r"\[themes.poverty\] needs label"),
        (lambda d: d["text"].update(caption=3), r"text.caption must be text"),
        (lambda d: d["display"].update(towns=-1), r"display.towns = -1; give how many towns to name, 0 to 200"),
        (lambda d: d["display"].update(towns="many"), r"display.towns must be a whole number"),
        (lambda d: d["display"].update(towns_level="cities"), r"display.towns_level = 'cities'; declared levels"),
        (lambda d: d["display"].update(towns_where={"kind": "urban"}),
         r"display.towns_where names \['kind'\], not a field of level 'districts'.*add it to levels.districts.fields"),
    ],
)
def test_mistakes_name_the_key(mutate, match):
    data = _own()
    mutate(data)
    with pytest.raises(ConfigError, match=match):
        _parse(data)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("title = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_default_config_is_valid(default_config):
    assert set(default_config.levels) == {"communes", "provinces", "regions"}
    assert len(default_config.layers) >= 17
    themes = {l.theme for l in default_config.layers}
    assert themes == set(default_config.themes) == {"education", "poverty", "unemployment", "displacement",
                                                     "vulnerability", "infrastructure"}
    assert dict(default_config.roles) == {"education": "need", "poverty": "need", "unemployment": "need",
                                          "displacement": "need", "vulnerability": "context",
                                          "infrastructure": "readiness"}
    assert dict(default_config.theme_weights) == {"education": 1, "poverty": 1, "unemployment": 1,
                                                  "displacement": 0.5, "vulnerability": 0, "infrastructure": 1}
    assert "not a monetary poverty rate" in default_config.text.caption
    assert default_config.method.outliers == "coinr"


def test_raster_stats_accepted_by_the_configuration_are_those_the_zonal_engine_computes():
    from geo.zonal import STATS
    from layers.base import RASTER_STATS

    assert RASTER_STATS == STATS


def test_towns_default_to_the_finest_level_and_read_the_filter(own_config, default_config):
    assert (own_config.display.towns, own_config.display.towns_level, dict(own_config.display.towns_where)) \
        == (12, "districts", {})
    assert default_config.display.towns_level == "communes"
    assert dict(default_config.display.towns_where) == {"type": ("urban",)}
