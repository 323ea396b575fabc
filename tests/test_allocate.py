"""Budget allocation: each objective on cases solved by hand, the yardsticks, bad input, the command line."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.allocate import (
    AllocationError,
    AllocationSettings,
    Constraints,
    CostModel,
    allocate,
    allocate_draws,
    compare_rules,
    coverage_by_budget,
    evaluate,
    invest,
    rule_amounts,
)
from geo.cli import main

OWN = Path(__file__).parent / "data" / "own_data" / "config.toml"

# Four districts: population and people in need (shares 0.5, 0.2, 0.1, 0.25).
POP = pd.Series([100.0, 200.0, 100.0, 400.0], index=list("abcd"))
NEED = pd.Series([50.0, 40.0, 10.0, 100.0], index=list("abcd"))
REGION = pd.Series(["N", "N", "S", "N"], index=list("abcd"))


def amounts(plan):
    return plan.table["amount"].round(6).tolist()


def test_reach_funds_the_most_people_in_need_per_unit_of_money():
    # 1 per person: a reaches 0.5 in need per unit, d 0.25, b 0.2, c 0.1. Budget 300: a whole (100),
    # then half of d (200): 50 + 50 people in need.
    plan = allocate(POP, NEED, 300)
    assert amounts(plan) == [100.0, 0.0, 0.0, 200.0]
    assert plan.value == pytest.approx(100.0)
    assert plan.table["covered"].tolist() == [1.0, 0.0, 0.0, 0.5]
    assert plan.spent == pytest.approx(300.0)


def test_reach_with_a_fixed_cost_is_a_mixed_integer_plan():
    # Fixed cost 50 per district: a whole (150) + d with 100 people (150) reaches 50 + 25 = 75, better than
    # a + b (50 + 20 = 70) or d alone (62.5) or three districts (62.5).
    plan = allocate(POP, NEED, 300, cost=CostModel(per_person=1.0, fixed=50.0))
    assert amounts(plan) == [150.0, 0.0, 0.0, 150.0]
    assert plan.value == pytest.approx(75.0)
    assert "mixed-integer" in plan.solver


def test_reach_honours_floors_caps_exclusions_forced_and_regions():
    plan = allocate(POP, NEED, 300, constraints=Constraints(excluded=("a",)))
    assert amounts(plan) == [0.0, 0.0, 0.0, 300.0]  # d (0.25) before b (0.2)
    plan = allocate(POP, NEED, 300, constraints=Constraints(caps={"d": 100.0}))
    assert amounts(plan) == [100.0, 100.0, 0.0, 100.0]
    plan = allocate(POP, NEED, 300, constraints=Constraints(forced=("c",)))
    assert amounts(plan) == [100.0, 0.0, 100.0, 100.0]  # c whole (its full cost), then a, then d
    plan = allocate(POP, NEED, 300, constraints=Constraints(floors={"b": 50.0}))
    assert amounts(plan) == [100.0, 50.0, 0.0, 150.0]
    plan = allocate(POP, NEED, 300, constraints=Constraints(region_shares={"S": 0.2}), region=REGION)
    assert amounts(plan) == [100.0, 0.0, 60.0, 140.0]


def test_need_objective_matches_the_first_order_conditions():
    # max 50 ln(1 + x/100) + 20 ln(1 + y/100), x + y = 500: 50/(100 + x) = 20/(100 + y) gives x = 400, y = 100,
    # spend per person 4 and 1: both breakpoints of the chords, so the programme finds them exactly.
    pop = pd.Series([100.0, 100.0], index=["x", "y"])
    need = pd.Series([50.0, 20.0], index=["x", "y"])
    plan = allocate(pop, need, 500, objective="need")
    assert amounts(plan) == [400.0, 100.0]
    assert plan.value == pytest.approx(50 * np.log(5) + 20 * np.log(2))


def test_need_objective_spreads_money_where_reach_concentrates_it():
    reach = allocate(POP, NEED, 300)
    need = allocate(POP, NEED, 300, objective="need")
    assert reach.table["funded"].sum() == 2
    # first-order conditions: x_i = (N_i / P_i) / lam - 1 per person where N_i / P_i > lam; with a, b, d active
    # 190 / lam - 700 = 300, lam = 0.19 > 0.1 (c's share): a = 50/0.19 - 100, b = 40/0.19 - 200, d = 100/0.19 - 400
    assert need.table["funded"].tolist() == [True, True, False, True]
    exact = [50 / 0.19 - 100, 40 / 0.19 - 200, 0.0, 100 / 0.19 - 400]
    assert need.table["amount"].tolist() == pytest.approx(exact, abs=3.5)  # the refined chords: within about 1 % of the budget
    assert need.spent == pytest.approx(300.0)


def test_formula_is_proportional_to_people_in_need():
    assert amounts(allocate(POP, NEED, 200, objective="formula")) == [50.0, 40.0, 10.0, 100.0]
    # a cap of 60 on d: the 140 left go 50:40:10 to a, b, c
    plan = allocate(POP, NEED, 200, objective="formula", constraints=Constraints(caps={"d": 60.0}))
    assert amounts(plan) == [70.0, 56.0, 14.0, 60.0]
    # region S (c alone) gets at least half the budget; the rest 50:40:100
    plan = allocate(POP, NEED, 200, objective="formula", constraints=Constraints(region_shares={"S": 0.5}),
                    region=REGION)
    assert plan.table["amount"].tolist() == pytest.approx([100 * 50 / 190, 100 * 40 / 190, 100.0, 100 * 100 / 190])


def test_rules_and_yardsticks_against_a_direct_computation():
    assert rule_amounts(POP, NEED, 80, "equal per district").tolist() == [20.0] * 4
    assert rule_amounts(POP, NEED, 80, "per capita").tolist() == [10.0, 20.0, 10.0, 40.0]
    amount = pd.Series([100.0, 0.0, 0.0, 200.0], index=list("abcd"))
    need_class = pd.Series([True, True, False, False], index=list("abcd"))
    top = pd.Series([True, False, False, False], index=list("abcd"))
    m = evaluate(amount, POP, NEED, CostModel(), need_class, top)
    assert m["in_need_reached"] == pytest.approx(50 + 50)
    assert m["coverage"] == pytest.approx(100 / 200)
    assert m["top_decile_share"] == pytest.approx(100 / 300)
    assert m["inclusion_error"] == pytest.approx(1 / 2)   # d funded, not in need
    assert m["exclusion_error"] == pytest.approx(1 / 2)   # b in need, not funded
    # money on people not in need: a 100 x 0.5 + d 200 x 0.75 = 200 of 300
    assert m["leakage"] == pytest.approx(200 / 300)
    # a fixed cost reaches no one
    m = evaluate(amount, POP, NEED, CostModel(fixed=50.0), need_class, top)
    assert m["in_need_reached"] == pytest.approx(50 * 0.5 + 100 * 150 / 400)


def test_comparison_table_and_coverage_curve():
    plan = allocate(POP, NEED, 300)
    flags = pd.Series([True, True, False, False], index=list("abcd"))
    table = compare_rules(plan, POP, NEED, CostModel(), flags, flags)
    assert list(table.index) == ["equal per district", "per capita", "per person in need", "plan (reach)"]
    assert table.loc["plan (reach)", "in_need_reached"] == pytest.approx(100.0)
    assert table.loc["plan (reach)", "in_need_reached"] >= table["in_need_reached"].max()
    curve = coverage_by_budget({"objective": "reach"}, POP, NEED, 300, steps=3)
    plan_curve = curve[curve["rule"] == "plan (reach)"]
    assert plan_curve["coverage"].round(6).tolist() == [0.25, 0.375, 0.5]  # 100: a; 200: a + d/4; 300: a + d/2


@pytest.mark.parametrize("kwargs, match", [
    ({"budget": 0}, "budget"),
    ({"budget": -5}, "budget"),
    ({"constraints": Constraints(floors={"b": 200.0, "d": 200.0})}, r"floors need 400, above the budget 300 by 100"),
    ({"constraints": Constraints(floors={"a": 50.0}, caps={"a": 20.0})}, r"cap 20 < floor 50 by 30"),
    ({"constraints": Constraints(region_shares={"S": 1.5}), "region": REGION}, r"above 1 by 0.5"),
    ({"constraints": Constraints(region_shares={"S": 0.6, "N": 0.6}), "region": REGION}, r"sum to 1.2, above 1 by 0.2"),
    ({"constraints": Constraints(region_shares={"S": 0.5}), "region": REGION}, r"Region 'S' can absorb at most 100.*by 50"),
    ({"constraints": Constraints(floors={"zz": 1.0})}, "unknown district code"),
    ({"constraints": Constraints(excluded=("a",), forced=("a",))}, "both excluded and forced"),
    ({"constraints": Constraints(floors={"a": 150.0})}, "above its full cost"),
    ({"objective": "maximin"}, "objective must be one of"),
])
def test_impossible_plans_are_refused_with_the_constraint_and_the_gap(kwargs, match):
    args = {"budget": 300, **kwargs}
    budget = args.pop("budget")
    with pytest.raises(AllocationError, match=match):
        allocate(POP, NEED, budget, **args)


def test_caps_that_cannot_absorb_the_formula_budget():
    with pytest.raises(AllocationError, match=r"at most 40 be spent, below the budget 100 by 60"):
        allocate(POP, NEED, 100, objective="formula", constraints=Constraints(caps={c: 10.0 for c in "abcd"}))


def test_districts_without_a_count_get_nothing_and_are_listed():
    need = NEED.copy()
    need["c"] = np.nan
    plan = allocate(POP, need, 1000)
    assert plan.table.loc["c", "amount"] == 0
    assert any("'c'" in n for n in plan.notes)


def test_draws_give_the_probability_of_being_funded():
    plan = allocate(POP, NEED, 100)
    # draw 1 = the reference; draw 2 makes b the best value: a funded in one of two draws
    draws = np.array([NEED.to_numpy(), [10.0, 150.0, 10.0, 10.0]])
    robust = allocate_draws(POP, draws, 100, plan)
    assert robust["p_funded"].tolist() == [0.5, 0.5, 0.0, 0.0]
    assert robust.loc["a", "fragile"] == np.False_  # funded in half the draws: not fewer than half
    robust = allocate_draws(POP, np.array([draws[1], draws[1], NEED.to_numpy()]), 100, plan)
    assert robust.loc["a", "fragile"] and robust.loc["a", "p_funded"] == pytest.approx(1 / 3)


@pytest.fixture(scope="module")
def own_level():
    from geo.config import load_config
    from geo.dataset import load_level, score_level

    config = load_config(OWN)
    data = load_level(config, "districts")
    return config, data, score_level(data, weights=config.weights, theme_weights=config.theme_weights)


def test_invest_on_a_level_counts_people_in_need_from_the_rates(own_level):
    config, data, result = own_level
    inv = invest(data, result, AllocationSettings(budget=1000.0, target="poverty_rate", draws=0), roles=config.roles)
    # poverty_rate x hh (the layer's denominator) per district
    expected = data.values["poverty_rate"] / 100 * pd.to_numeric(data.tables["survey"]["hh"])
    assert inv.in_need.to_numpy() == pytest.approx(expected.to_numpy(), nan_ok=True)
    assert any("without a population or a count" in n for n in inv.notes)  # the district without data
    assert list(inv.table.columns[:4]) == ["code", "name", "amount", "p_funded"]
    assert inv.table["amount"].sum() == pytest.approx(1000.0)


def test_command_line_writes_the_plan_and_the_comparison(tmp_path):
    out, cmp = tmp_path / "plan.csv", tmp_path / "cmp.xlsx"
    code = main(["allocate", "--config", str(OWN), "--budget", "2000", "--objective", "need",
                 "--out", str(out), "--compare-out", str(cmp), "--draws", "50"])
    assert code == 0
    plan = pd.read_csv(out, dtype={"code": str})
    assert list(plan.columns[:4]) == ["code", "name", "amount", "p_funded"]
    assert plan["amount"].sum() == pytest.approx(2000.0)
    assert plan["p_funded"].between(0, 1).all()
    settings = pd.read_excel(cmp, sheet_name="settings").set_index("setting")["value"]
    assert settings["allocation.objective"] == "need" and settings["allocation.budget"] == "2000.0"


@pytest.mark.parametrize("args, match", [
    (["--budget", "-1"], "budget"),
    (["--budget", "100", "--floors", "001=80,002=80"], "floors need 160, above the budget 100 by 60"),
    (["--budget", "100", "--caps", "001=1", "--floors", "001=5"], "cap 1 < floor 5 by 4"),
])
def test_command_line_exits_2_on_an_impossible_plan(tmp_path, capsys, args, match):
    assert main(["allocate", "--config", str(OWN), "--out", str(tmp_path / "p.csv"), "--draws", "0", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1
    assert re.search(match, err)
    assert not (tmp_path / "p.csv").exists()


# ----------------------------------------------------------------------------- the dashboard
def test_dashboard_plan_equals_the_command_line_bytes(default_config, tmp_path):
    from geo.allocate import investment_metadata
    from geo.dataset import export_metadata
    from ui import state
    from ui.exports import table_bytes
    from ui.invest import _investment

    settings = AllocationSettings(budget=5e9, per_person=1000.0, objective="reach", floors={"05.081": 1e8},
                                  draws=1000)
    view = state.default_view("provinces")
    data, _, result = state.scored(view)
    inv = _investment(view, data, result, settings)
    meta = export_metadata(state.config(), data, result, weights=view.weights, theme_weights=view.theme_weights)
    meta.update(investment_metadata(settings, inv))
    out, cmp = tmp_path / "plan.csv", tmp_path / "cmp.xlsx"
    assert main(["allocate", "--config", str(state.CONFIG_PATH), "--level", "provinces", "--budget", "5e9",
                 "--cost-per-person", "1000", "--floors", "05.081=1e8", "--out", str(out),
                 "--compare-out", str(cmp)]) == 0
    assert table_bytes(inv.table, ".csv", meta) == out.read_bytes()
    ui_cmp = pd.read_excel(__import__("io").BytesIO(table_bytes(inv.comparison.reset_index(), ".xlsx", meta)))
    pd.testing.assert_frame_equal(ui_cmp, pd.read_excel(cmp))


def test_invest_page_allocates_without_error(default_config):
    from streamlit.testing.v1 import AppTest

    from .conftest import ROOT

    at = AppTest.from_file(str(ROOT / "ui" / "invest.py"), default_timeout=300)
    at.query_params.update({"level": "provinces"})
    at.run()
    assert not at.exception, at.exception
    at.number_input[0].set_value(5e9)
    at.number_input[1].set_value(1000.0)
    at.checkbox[0].uncheck()
    next(b for b in at.button if b.label == "Allocate").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert "People in need reached" in labels
    plan = next(df.value for df in at.dataframe if "amount" in df.value.columns)
    assert len(plan) > 0 and plan["amount"].sum() == pytest.approx(5e9)
    # monitoring of the funded provinces, 2014 -> 2024, against their matches
    monitor = next(df.value for df in at.dataframe if "difference" in df.value.columns)
    assert len(monitor) > 5 and monitor["p_value"].between(0, 1).all()
    assert any("association, not an effect" in c.value for c in at.caption)
