"""The analytics columns on the real census data and in the command line's export."""

import pandas as pd
import pytest

from geo.analysis import ANALYSIS_COLUMNS, AnalysisSettings, analysis_columns, monte_carlo, rank_draws
from geo.cli import main
from geo.dataset import EXPORT_COLUMNS, load_level, score_level
from geo.config import load_config

from .conftest import ROOT

ROLES = dict(load_config(ROOT / "config.toml").roles)


@pytest.fixture(scope="module")
def provinces(default_config):
    data = load_level(default_config, "provinces")
    return data, score_level(data), load_level(default_config, "communes")


def test_columns_and_sense(provinces):
    data, result, communes = provinces
    extra, notes = analysis_columns(data, result, roles=ROLES, settings=AnalysisSettings(draws=200), lower=communes)
    assert list(extra.columns) == list(ANALYSIS_COLUMNS)
    assert extra.index.equals(data.values.index)
    assert (extra["rank_p05"] <= result.table["rank"]).all() and (result.table["rank"] <= extra["rank_p95"]).all()
    assert extra["p_top_k"].sum() == pytest.approx(10, abs=0.5)
    assert set(extra["cluster"]) <= {"HH", "LL", "HL", "LH", "not significant"}
    assert extra.loc["02.251", "cluster"] == "HH"  # Figuig sits in the eastern pocket
    # Gi* reads the same pockets: on the provinces every HH is a hot spot and every LL a cold spot
    assert set(extra["hotspot"]) <= {"hot spot", "cold spot", "not significant"}
    assert (extra.loc[extra["cluster"] == "HH", "hotspot"] == "hot spot").all()
    assert (extra.loc[extra["cluster"] == "LL", "hotspot"] == "cold spot").all()
    assert ((extra["extent"] >= 0) & (extra["extent"] <= 1)).all()
    assert "queen contiguity" in notes["cluster"] and "mean rank shift" in notes["uncertainty"]


def test_no_readiness_layer_leaves_axes_empty_with_a_note(provinces):
    data, _, _ = provinces
    result = score_level(data, theme_weights={"infrastructure": 0})
    extra, notes = analysis_columns(data, result, roles=ROLES, settings=AnalysisSettings(draws=0))
    assert extra["need"].isna().all() and "readiness" in notes["need x readiness"]
    assert "rank_median" not in extra


def test_command_line_appends_the_analytics(tmp_path, default_config):
    out = tmp_path / "communes.csv"
    assert main(["rank", "--config", str(default_config.path), "--level", "communes", "--out", str(out),
                 "--draws", "100"]) == 0
    t = pd.read_csv(out, dtype={"code": str})
    assert tuple(t.columns[:9]) == EXPORT_COLUMNS
    assert t.columns[-10:].tolist() == list(ANALYSIS_COLUMNS[:10])  # no lower level below communes
    plain = tmp_path / "plain.csv"
    assert main(["rank", "--config", str(default_config.path), "--out", str(plain), "--no-analysis"]) == 0
    assert "cluster" not in pd.read_csv(plain).columns


def test_rank_draws_are_the_draws_behind_the_interval(provinces):
    data, result, _ = provinces
    settings = AnalysisSettings(draws=300, seed=3)
    extra, _ = analysis_columns(data, result, roles=ROLES, settings=settings)
    unc = monte_carlo(data, result, settings=settings)
    draws = rank_draws(unc, data.values.index)
    assert draws.shape == (300, 75) and list(draws.columns) == list(data.values.index)
    # the same draws given back: the same columns, nothing drawn again
    again, _ = analysis_columns(data, result, roles=ROLES, settings=settings, uncertainty=unc)
    pd.testing.assert_frame_equal(again, extra)
    assert rank_draws(unc, data.values.index, ["02.251"])["02.251"].equals(draws["02.251"])
    assert draws.median().to_numpy() == pytest.approx(extra["rank_median"].to_numpy())
    assert (draws.le(10).mean()).to_numpy() == pytest.approx(extra["p_top_k"].to_numpy())
    # every draw ranks each district once: a permutation of 1..75
    assert (draws.apply(sorted, axis=1, result_type="expand").to_numpy() == list(range(1, 76))).all()


def test_rank_draws_need_draws(provinces):
    from geo.errors import TargetingError

    data, result, _ = provinces
    with pytest.raises(TargetingError, match="needs at least one draw"):
        monte_carlo(data, result, settings=AnalysisSettings(draws=0))
