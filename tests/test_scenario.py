"""Scenarios: a saved view round-trips, is refused for another configuration or unknown layers, and compares."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from geo.allocate import AllocationSettings
from geo.cli import main
from geo.config import load_config
from geo.scenario import (
    Scenario,
    ScenarioError,
    compare_allocations,
    compare_rankings,
    config_fingerprint,
    load_scenario,
    save_scenario,
)
from geo.scoring import Method

OWN = Path(__file__).parent / "data" / "own_data"


@pytest.fixture(scope="module")
def config():
    return load_config(OWN / "config.toml")


def _scenario(config):
    return Scenario.default(config, name="Poverty first").__class__(
        **{**Scenario.default(config).__dict__, "name": "Poverty first", "weights": {"poverty_rate": 3.0},
           "method": Method(normalisation="rank"), "filters": {"region": "P1", "area": "all", "min_population": 500},
           "allocation": AllocationSettings(budget=2000.0, objective="need", floors={"001": 100.0},
                                            excluded=("004",), draws=0)})


def test_round_trip_keeps_every_setting(config, tmp_path):
    scenario = _scenario(config)
    path = save_scenario(scenario, tmp_path / "s.json")
    raw = json.loads(path.read_text())
    assert raw["fingerprint"] == config_fingerprint(config) and raw["name"] == "Poverty first"
    back = load_scenario(path, config)
    assert back == scenario


def test_toml_is_read_too(config, tmp_path):
    fp = config_fingerprint(config)
    text = (f'format = "pockets-scenario/1"\nname = "t"\nconfig = "config.toml"\nfingerprint = "{fp}"\n'
            'level = "districts"\nlayers = ["poverty_rate"]\n[allocation]\nbudget = 10.0\nobjective = "formula"\n')
    (tmp_path / "s.toml").write_text(text)
    s = load_scenario(tmp_path / "s.toml", config)
    assert s.layers == ("poverty_rate",) and s.allocation.objective == "formula"


def test_another_configuration_is_refused_with_both_fingerprints(config, tmp_path):
    path = save_scenario(_scenario(config), tmp_path / "s.json")
    other = tmp_path / "own"
    shutil.copytree(OWN, other)
    (other / "config.toml").write_text((other / "config.toml").read_text().replace("six districts", "6 districts"))
    changed = load_config(other / "config.toml")
    with pytest.raises(ScenarioError, match=r"fingerprint .* not with 'config.toml' \(fingerprint"):
        load_scenario(path, changed)


def test_unknown_layers_are_named(config, tmp_path):
    path = save_scenario(_scenario(config), tmp_path / "s.json")
    raw = json.loads(path.read_text())
    raw["layers"] += ["literacy", "roads"]
    path.write_text(json.dumps(raw))
    with pytest.raises(ScenarioError, match=r"unknown layer\(s\) \['literacy', 'roads'\]"):
        load_scenario(path, config)


def test_command_line_reads_the_scenario(config, tmp_path):
    path = save_scenario(_scenario(config), tmp_path / "s.json")
    out = tmp_path / "plan.csv"
    assert main(["allocate", "--config", str(OWN / "config.toml"), "--scenario", str(path), "--out", str(out)]) == 0
    plan = pd.read_csv(out, dtype={"code": str}).set_index("code")
    assert plan["amount"].sum() == pytest.approx(2000.0)
    assert plan.loc["004", "amount"] == 0 and plan.loc["001", "amount"] >= 100.0


def test_rank_shift_and_top_k_changes():
    a = pd.Series([1, 2, 3, 4], index=list("wxyz"))
    b = pd.Series([3, 1, 2, 4], index=list("wxyz"))
    out = compare_rankings(a, b, 2)
    assert out["shift"].tolist() == [-2, 1, 1, 0]
    assert out["change"].tolist() == ["leaves the top 2", "stays in the top 2", "enters the top 2", ""]
    diff = compare_allocations(pd.Series([10.0, 0.0], index=["w", "x"]), pd.Series([4.0, 3.0], index=["w", "x"]))
    assert diff.index.tolist() == ["w", "x"] and diff["difference"].tolist() == [-6.0, 3.0]
