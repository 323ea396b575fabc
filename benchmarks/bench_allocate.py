"""Budget allocation speed: one plan on the 1,503 communes, 1,000 Monte Carlo draws, 50,000 districts.

    .venv/bin/python benchmarks/bench_allocate.py            # full sizes, 3 repetitions
    .venv/bin/python benchmarks/bench_allocate.py --quick    # 1 repetition, 100 draws

Data: the default data's 1,503 communes (population and the composite count of people in need,
weights and Monte Carlo draws of the default view); the 50,000 districts are those communes repeated
(34 copies, codes suffixed): a size test, not a country. Budget 5e9, 1,000 per person reached.

Every case runs beside a baseline in the same process:

- one plan: ``geo.allocate.allocate`` (HiGHS through ``highspy``: interior point without presolve,
  crossover) against SciPy's ``linprog(method="highs")`` with its defaults on the same programme;
- the Monte Carlo: ``geo.allocate.allocate_draws`` (one programme, each draw re-solved from the last
  optimal basis) against one ``linprog`` per draw (measured on 20 draws, scaled to 1,000);
- 50,000 districts: ``allocate`` against ``linprog(method="highs-ds", presolve off)`` (with
  presolve, SciPy's call takes minutes at this size).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scipy.optimize import linprog

from geo.allocate import CostModel, allocate, allocate_draws, in_need_draws, people_in_need

BUDGET, PER_PERSON = 5e9, 1000.0


def _time(fn: Callable[[], object], repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def _communes(draws: int):
    from geo.analysis import AnalysisSettings, monte_carlo
    from geo.config import load_config
    from geo.dataset import load_level, score_level

    cfg = load_config(ROOT / "config.toml")
    data = load_level(cfg, "communes")
    result = score_level(data, weights=cfg.weights, theme_weights=cfg.theme_weights, method=cfg.method)
    unc = monte_carlo(data, result, weights=cfg.weights, theme_weights=cfg.theme_weights,
                      settings=AnalysisSettings(draws=draws))
    pop = data.population.reindex(data.values.index).astype(float)
    need = people_in_need(data, result, roles=cfg.roles)
    ok = pop.notna() & need.notna() & (pop > 0)
    draws_ = in_need_draws(data, result, unc, roles=cfg.roles, weights=cfg.weights, theme_weights=cfg.theme_weights)
    return pop[ok], need[ok], draws_[:, ok.to_numpy()]


def _scipy_reach(pop: pd.Series, need: np.ndarray, budget: float, method: str = "highs", presolve: bool = True):
    unit = PER_PERSON * pop.to_numpy()
    return linprog(-need / need.max(), A_ub=unit[None, :] / budget, b_ub=[1.0], bounds=(0, 1), method=method,
                   options={"presolve": presolve})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat, draws = (1, 100) if args.quick else (3, 1000)
    pop, need, need_draws = _communes(draws)
    cost = CostModel(per_person=PER_PERSON)
    rows = []

    def row(case, ours, base, base_label):
        rows.append({"case": case, "geo.allocate (s)": ours, "baseline": base_label, "baseline (s)": base,
                     "ratio": base / ours if ours else float("nan")})
        print(rows[-1], flush=True)

    for objective in ("reach", "need", "formula"):
        ours = _time(lambda: allocate(pop, need, BUDGET, objective=objective, cost=cost), repeat)
        base = _time(lambda: _scipy_reach(pop, need.to_numpy(), BUDGET), repeat) if objective == "reach" else \
            float("nan")
        row(f"1,503 communes, one plan, {objective}", ours, base,
            "scipy linprog (HiGHS, defaults)" if objective == "reach" else "-")

    ref = allocate(pop, need, BUDGET, cost=cost)
    ours = _time(lambda: allocate_draws(pop, need_draws, BUDGET, ref, cost=cost), 1)
    sample = need_draws[:20]
    base = _time(lambda: [_scipy_reach(pop, d, BUDGET) for d in sample], 1) * len(need_draws) / len(sample)
    row(f"1,503 communes, {len(need_draws)} Monte Carlo draws, reach", ours, base,
        "one scipy linprog per draw (20 draws, scaled)")

    copies = int(np.ceil(50_000 / len(pop)))
    big_pop = pd.Series(np.tile(pop.to_numpy(), copies)[:50_000],
                        index=[f"{c}#{i}" for i in range(copies) for c in pop.index][:50_000])
    big_need = pd.Series(np.tile(need.to_numpy(), copies)[:50_000], index=big_pop.index)
    big_budget = BUDGET * copies
    ours = _time(lambda: allocate(big_pop, big_need, big_budget, cost=cost), repeat)
    base = _time(lambda: _scipy_reach(big_pop, big_need.to_numpy(), big_budget, "highs-ds", False), 1)
    row("50,000 districts, one plan, reach", ours, base, "scipy linprog (HiGHS dual simplex, no presolve)")
    ours = _time(lambda: allocate(big_pop, big_need, big_budget, objective="formula", cost=cost), repeat)
    row("50,000 districts, one plan, formula", ours, float("nan"), "-")

    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
