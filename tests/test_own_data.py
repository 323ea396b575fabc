"""The README's "Use your own data" example, checked by hand."""

import pandas as pd
import pytest

from geo.dataset import load_level, ranked_table, score_level


def test_districts_scores_by_hand(own_config):
    data = load_level(own_config, "districts")
    result = score_level(data, weights=own_config.weights, method=own_config.method)
    t = ranked_table(data, result).set_index("code")
    # min-max: poverty 0,50,25,100,75,- ; unemployment 50,25,100,0,75,37.5 ; no power 0,50,25,100,75,12.5
    expected = {"001": 50 / 3, "002": 125 / 3, "003": 50.0, "004": 200 / 3, "005": 75.0, "006": 25.0}
    assert t["score"].to_dict() == pytest.approx(expected)
    assert t.index.tolist() == ["005", "004", "003", "002", "006", "001"]
    assert t.loc["006", "data_coverage"] == pytest.approx(2 / 3)
    assert t.loc["001", "sites"] == 2 and t.loc["006", "sites"] == 1  # zero weight: shown, not counted
    assert t.loc["002", "name"] == "Bélvédère" and t.loc["002", "parent_name"] == "North"


def test_provinces_rolled_up_from_districts(own_config):
    data = load_level(own_config, "provinces")
    assert data.population.to_dict() == {"01": 6000, "02": 15000}
    # poverty weighted by households: (0.1*200 + 0.3*400 + 0.2*600) / 1200
    assert data.values.loc["01", "poverty_rate"] == pytest.approx(100 * 260 / 1200)
    assert data.values.loc["02", "poverty_rate"] == pytest.approx(100 * 800 / 1800)  # 006 has no value
    assert data.values.loc["01", "sites"] == 2  # points counted directly at this level
    assert any("weighted by hh" in n for n in data.notes)
