"""Data uncertainty in the ranks: rates drawn from their sampling distribution, standard errors,
a data factor in the sensitivity, a memory bound, empirical-Bayes shrinkage and bad se_column."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from geo.analysis import AnalysisSettings, monte_carlo
from geo.cli import main
from geo.dataset import load_level, score_level
from geo.errors import TargetingError
from geo.sampling import DataNoise, SamplingDesign, data_noise, few_people_note, measured_on, shrink_rates
from geo.uncertainty import rank_uncertainty, sensitivity
from layers.base import Layer, Source, TableColumn

from .conftest import OWN, SHARED


def test_binomial_draw_has_the_binomial_variance():
    # a 20 % rate measured on 100 people: variance p (1 - p) / m = 0.2 x 0.8 / 100, i.e. 16 points^2
    v = pd.DataFrame({"a": [20.0] * 4000})
    m = pd.Series(100.0, index=v.index)
    out = DataNoise(trials={"a": m}, bounds={"a": (0, 100)}).draw(v, np.random.default_rng(1))["a"]
    assert out.mean() == pytest.approx(20.0, abs=0.3)
    assert out.var() == pytest.approx(16.0, rel=0.08)  # 4,000 draws: the variance's own error is ~2 %
    assert v["a"].eq(20.0).all()  # the input is not modified


def test_standard_error_draw_is_clipped_to_the_valid_range():
    v = pd.DataFrame({"a": [1.0, 99.0]})
    se = pd.Series([10.0, 10.0])
    noise = DataNoise(standard_errors={"a": se}, bounds={"a": (0.0, 100.0)})
    draws = np.stack([noise.draw(v, np.random.default_rng(i))["a"].to_numpy() for i in range(300)])
    assert draws.min() >= 0.0 and draws.max() <= 100.0 and (draws == 0.0).any()


def test_sampled_districts_count_a_fifth_of_their_people(default_config):
    data = load_level(default_config, "communes")
    design = default_config.uncertainty.sampling
    m = measured_on(data.layers, data.tables, design)["unemployment"]
    raw = pd.read_csv(default_config.tables["census"].path, dtype={"code": str})
    raw = raw[raw["level"] == "commune"].set_index("code")
    sampled = raw["households_count"] >= 2000
    expected = raw["labour_active"].where(~sampled, raw["labour_active"] * 0.2)
    assert np.allclose(m.reindex(expected.index), expected, equal_nan=True)


@pytest.fixture(scope="module")
def communes(default_config):
    data = load_level(default_config, "communes")
    return data, score_level(data)


def _width(unc):
    return unc.table["rank_p95"] - unc.table["rank_p05"]


def test_interval_width_falls_with_population(communes, default_config):
    data, result = communes
    design = default_config.uncertainty.sampling
    full = monte_carlo(data, result, settings=AnalysisSettings(sampling=SamplingDesign()))
    sampled = monte_carlo(data, result, settings=AnalysisSettings(sampling=design))
    fixed = monte_carlo(data, result, settings=AnalysisSettings(data=False))
    hh = pd.to_numeric(data.tables["census"]["households_count"])
    rho = {}
    for name, unc in (("full", full), ("design", sampled), ("fixed", fixed)):
        w = _width(unc)
        ok = w.notna()
        rho[name] = spearmanr(data.population[ok], w[ok])[0]
        if name == "design":
            big = ok & (hh >= design.sampled_from)
            rho["design, sampled communes"] = spearmanr(data.population[big], w[big])[0]
    # rates as shares of the people counted: the smaller the commune, the wider its interval
    assert rho["design"] < -0.3 and rho["full"] < -0.3
    # with the census's 20 % sample above 2,000 households, communes just above the line are measured
    # on fewer people than communes just below it: among the sampled ones the width still falls
    assert rho["design, sampled communes"] < -0.3
    assert rho["design"] < rho["fixed"] < 0
    # the data carry a share of the rank variance of their own
    s = sensitivity(sampled)["first_order"]
    assert s["data"] > 0.02
    assert sampled.settings["data"] and "binomial on the denominator" in sampled.settings["data_notes"][0]


def test_data_draws_keep_the_reference_and_the_seed(communes):
    data, result = communes
    a = monte_carlo(data, result, settings=AnalysisSettings(draws=60, seed=4))
    b = monte_carlo(data, result, settings=AnalysisSettings(draws=60, seed=4))
    assert np.array_equal(a.ranks, b.ranks)
    assert a.reference_rank.equals(result.table["rank"].astype("Int64"))


def test_memory_bound_is_refused_naming_the_limit():
    v = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(TargetingError, match="memory limit of 1 MiB; use at most 87,381 draws"):
        rank_uncertainty(v, higher_is_worse={"a": True}, themes={"a": "t"}, draws=100_000,
                         memory_limit=2**20)


def test_memory_bound_on_the_command_line(tmp_path, capsys, default_config):
    code = main(["rank", "--config", str(default_config.path), "--level", "communes", "--draws", "100000",
                 "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "memory limit of 512 MiB" in err[0]


def test_shrinkage_moves_small_districts_most(communes, default_config):
    data, _ = communes
    trials = measured_on(data.layers, data.tables, default_config.uncertainty.sampling)
    shrunk, note = shrink_rates(data.values, trials)
    moved = (shrunk["unemployment"] - data.values["unemployment"]).abs()
    m = trials["unemployment"]
    small, large = m <= m.quantile(0.1), m >= m.quantile(0.9)
    assert moved[small].median() > 5 * moved[large].median()
    assert "empirical-Bayes" in note and "unemployment" in note
    assert not data.values.equals(shrunk)


def test_few_people_sentence(communes):
    data, _ = communes
    smallest = data.population.idxmin()
    assert few_people_note(data.population, smallest).startswith("Its place rests on few people")
    assert few_people_note(data.population, data.population.idxmax()) is None


# --------------------------------------------------------------------------- se_column, bad input

def _own_with_se(tmp_path, se_values: list[str], column: str = "poor_se"):
    folder = tmp_path / "own"
    shutil.copytree(OWN, folder)
    lines = (folder / "indicators.csv").read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ";poor_se"] + [f"{row};{se}" for row, se in zip(lines[1:], se_values)]
    (folder / "indicators.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = (folder / "config.toml").read_text(encoding="utf-8")
    text = text.replace('column = "poor_share"\n', f'column = "poor_share"\nse_column = "{column}"\n', 1)
    (folder / "config.toml").write_text(text, encoding="utf-8")
    return folder / "config.toml"


def _rank(config, tmp_path, capsys):
    code = main(["rank", "--config", str(config), "--out", str(tmp_path / "out.csv"), "--draws", "50",
                 "--permutations", "9"])
    return code, capsys.readouterr().err.strip().splitlines()


def test_se_column_is_drawn(tmp_path, capsys):
    config = _own_with_se(tmp_path, ["0,01", "0,05", "0,02", "0,10", "0,03", ""])
    code, err = _rank(config, tmp_path, capsys)
    assert code == 0, err
    meta = pd.read_csv(tmp_path / "out.csv")
    assert len(meta) == 6


@pytest.mark.parametrize("values, column, expect", [
    (["0,01", "-0,05", "0,02", "0,10", "0,03", ""], "poor_se", "is negative for 1 district(s) ['002']"),
    (["0,01", "abc", "0,02", "0,10", "0,03", ""], "poor_se", "non-numeric value(s), e.g. ['abc']"),
    (["0,01", "0,05", "0,02", "0,10", "0,03", ""], "poor_sd", "column 'poor_sd' (se_column of layer 'poverty_rate') not found"),
])
def test_bad_se_column_exits_2_naming_file_key_and_fix(tmp_path, capsys, values, column, expect):
    config = _own_with_se(tmp_path, values, column)
    code, err = _rank(config, tmp_path, capsys)
    assert code == 2 and len(err) == 1
    assert "indicators.csv" in err[0] and "se_column" in err[0] and expect in err[0]
    assert not (tmp_path / "out.csv").exists()


NEPAL = SHARED / "nepal" / "poverty_sae_2011.csv"
if not NEPAL.exists():  # a worktree next to the main checkout
    NEPAL = SHARED.parents[2] / "shared" / "data" / "nepal" / "poverty_sae_2011.csv"


@pytest.mark.skipif(not NEPAL.exists(), reason="shared Nepal data not available")
def test_nepal_small_area_estimates_are_drawn_from_their_standard_errors():
    sae = pd.read_csv(NEPAL).set_index("District")
    layer = Layer("fgt0", "Poverty headcount (FGT 0)", "poverty", "%", True, "rate",
                  Source("CBS Nepal and World Bank", 2011, "government statistics"),
                  TableColumn("FGT(0)", table="sae", scale=100), se_column="S.E.FGT(0)")
    values = pd.DataFrame({"fgt0": sae["FGT(0)"] * 100})
    noise = data_noise(values, [layer], {"sae": sae})
    assert noise.standard_errors["fgt0"].max() == pytest.approx(sae["S.E.FGT(0)"].max() * 100)
    unc = rank_uncertainty(values, higher_is_worse={"fgt0": True}, themes={"fgt0": "poverty"}, draws=600,
                           noise=0.0, normalisations=["minmax"], aggregations=["arithmetic"], data=noise)
    width = unc.table["rank_p95"] - unc.table["rank_p05"]
    assert spearmanr(sae["S.E.FGT(0)"], width)[0] > 0.3  # less precise estimates, wider intervals
    assert unc.mean_shift > 0 and "normal from the published standard errors" in noise.notes[0]
