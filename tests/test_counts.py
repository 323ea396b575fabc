"""People as well as rates: counts per layer and population-weighted deciles."""

import numpy as np
import pandas as pd
import pytest

from geo.counts import layer_counts, pop_decile, uncounted_layers
from geo.dataset import load_level, ranked_table, score_level
from geo.errors import LayerDataError, TargetingError
from layers import get_layer


def test_counts_on_the_hand_checkable_districts(own_config):
    data = load_level(own_config, "districts")
    counts = layer_counts(data.values, data.layers, data.tables)
    # indicators.csv: poor_share 0,10 x 100 % of hh 200 households = 20, ...
    assert counts.loc["001", "poverty_rate_count"] == pytest.approx(20.0)
    assert counts.loc["004", "poverty_rate_count"] == pytest.approx(400.0)
    table = ranked_table(data, score_level(data))
    assert "poverty_rate_count" in table.columns and "pop_decile" in table.columns


def test_counts_on_the_census_equal_rate_times_denominator(default_config):
    data = load_level(default_config, "communes")
    counts = layer_counts(data.values, data.layers, data.tables)
    raw = pd.read_csv(default_config.tables["census"].path, dtype={"code": str})
    raw = raw[raw["level"] == "commune"].set_index("code")
    expected = raw["labour_unemployment_rate"] / 100 * raw["labour_active"]
    got = counts["unemployment_count"]
    assert np.allclose(got.reindex(expected.index), expected, equal_nan=True)
    # a complement keeps the denominator: children not enrolled = (100 - rate) x children
    expected = (100 - raw["schooling_rate_6_to_11"]) / 100 * raw["schooling_population_7_to_12"]
    assert np.allclose(counts["not_enrolled_count"].reindex(expected.index), expected, equal_nan=True)
    assert "crowding_count" not in counts and "crowding" in uncounted_layers(data.layers, data.tables)


def test_pop_decile_on_the_census_holds_a_tenth_of_the_people(default_config):
    data = load_level(default_config, "communes")
    result = score_level(data)
    decile = pop_decile(result.table["rank"], data.population)
    ranked = result.table["rank"].notna()
    share = data.population[ranked].groupby(decile[ranked]).sum() / data.population[ranked].sum()
    # each decile holds 10 % of the people, give or take the commune straddling each line
    largest = data.population[ranked].max() / data.population[ranked].sum()
    assert (share - 0.1).abs().max() <= largest + 1e-9
    # decile 1 = the highest-ranked districts until their people reach 10 %
    order = result.table["rank"][ranked].sort_values(kind="mergesort").index
    before = data.population[order].cumsum() - data.population[order]
    first = before[before < 0.1 * data.population[ranked].sum()].index
    assert set(decile[decile == 1].index) == set(first)


def test_pop_decile_by_hand():
    rank = pd.Series([2, 1, np.nan, 3], index=list("abcd"))
    d = pop_decile(rank, pd.Series([30, 10, 5, 60], index=list("abcd")))
    assert d.tolist() == [2, 1, pd.NA, 5]  # b: 0 % before; a: 10 %; d: 40 %
    with pytest.raises(TargetingError, match="negative"):
        pop_decile(rank, pd.Series([-1, 10, 5, 60], index=list("abcd")))


def test_negative_denominator_is_refused():
    v = pd.DataFrame({"unemployment": [10.0]}, index=["a"])
    with pytest.raises(LayerDataError, match="labour_active.*negative"):
        layer_counts(v, [get_layer("unemployment")], {"census": pd.DataFrame({"labour_active": [-5]}, index=["a"])})
