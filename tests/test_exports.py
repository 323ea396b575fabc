"""Dashboard exports equal the command line's for the same settings."""

import io

import pandas as pd
import pytest

from geo.cli import main


@pytest.fixture(scope="module")
def ui_state(default_config):
    from ui import state

    return state


def _ui_export(state, view, suffix):
    from ui.exports import export_bytes, settings_of

    data, table, result = state.scored(view)
    keep = state.filter_mask(data, table, view)
    extra, notes = state.analysis(view, data, result)
    return export_bytes(data, result, keep, suffix, settings_of(view, data, result, notes), extra)


@pytest.mark.parametrize("level", ["provinces", "communes"])
def test_csv_equals_command_line(ui_state, tmp_path, level):
    view = ui_state.default_view(level)
    cli = tmp_path / "cli.csv"
    assert main(["rank", "--config", str(ui_state.CONFIG_PATH), "--level", level, "--out", str(cli)]) == 0
    assert _ui_export(ui_state, view, ".csv") == cli.read_bytes()


def test_csv_equals_command_line_with_other_settings(ui_state, tmp_path):
    view = ui_state.default_view("provinces").replace(
        normalisation="rank", aggregation="geometric", weights={**ui_state.default_view().weights, "illiteracy": 3.0},
        theme_weights={**ui_state.default_view().theme_weights, "infrastructure": 0.5},
    )
    cli = tmp_path / "cli.csv"
    args = ["rank", "--config", str(ui_state.CONFIG_PATH), "--level", "provinces", "--out", str(cli),
            "--normalisation", "rank", "--aggregation", "geometric", "--weights", "illiteracy=3",
            "--theme-weights", "infrastructure=0.5"]
    assert main(args) == 0
    assert _ui_export(ui_state, view, ".csv") == cli.read_bytes()


def test_excel_and_geopackage_carry_the_settings(ui_state, tmp_path):
    view = ui_state.default_view("provinces").replace(region="06")
    xlsx = _ui_export(ui_state, view, ".xlsx")
    ranking = pd.read_excel(io.BytesIO(xlsx), sheet_name="ranking", dtype={"code": str})
    settings = pd.read_excel(io.BytesIO(xlsx), sheet_name="settings").set_index("setting")["value"]
    assert len(ranking) == 9 and ranking["code"].str.startswith("06.").all()
    assert settings["filter.region"] == "06" and settings["level"] == "provinces"
    gpkg = tmp_path / "x.gpkg"
    gpkg.write_bytes(_ui_export(ui_state, view, ".gpkg"))
    import geopandas as gpd

    assert len(gpd.read_file(gpkg, layer="ranking")) == 9


def test_geojson_carries_the_settings(ui_state):
    import json

    view = ui_state.default_view("provinces").replace(region="06", normalisation="rank")
    collection = json.loads(_ui_export(ui_state, view, ".geojson"))
    assert len(collection["features"]) == 9
    settings = collection["settings"]
    assert settings["filter.region"] == "06" and settings["level"] == "provinces"
    assert settings["normalisation"] == "rank"

