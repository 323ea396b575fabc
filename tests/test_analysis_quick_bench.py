"""Quick benchmark of the analysis engine, run with the tests (``make test``).

Each figure is a ratio to a baseline measured in the same run (best of interleaved rounds), never an
absolute time, and fails only when it regresses by more than 2x from the ratio recorded here:

- ranking 100 Monte Carlo draws of 20,000 districts (:func:`geo.uncertainty._rank_scores`, the
  integer sort) / the same ranks by ``numpy.argsort`` of the rounded scores (the previous method);
- queen weights of the 1,503 real communes as arrays (:func:`geo.clusters.contiguity`) / libpysal's
  ``Queen.from_dataframe`` on the same polygons.

Full measurements: ``benchmarks/bench_analysis.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from geo.clusters import contiguity
from geo.uncertainty import _rank_rows, _rank_scores

pytestmark = pytest.mark.quick
GPKG = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "morocco.gpkg"
# Ratios measured on 2026-12-02 (2 cores, load average about 6): 0.54 (ranking) and 0.06 (weights).
RANK_RATIO = 0.55
QUEEN_RATIO = 0.06


def _best_ratio(ours, theirs, rounds: int = 3) -> float:
    mine, base = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        ours()
        mine.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs()
        base.append(time.perf_counter() - t0)
    return min(mine) / min(base)


def test_ranking_the_draws_by_an_integer_sort_stays_cheaper_than_an_argsort():
    scores = np.random.default_rng(0).uniform(0, 100, (100, 20_000))
    assert np.array_equal(_rank_scores(scores), _rank_rows(np.round(scores, 9)))
    ratio = _best_ratio(lambda: _rank_scores(scores), lambda: _rank_rows(np.round(scores, 9)))
    assert ratio < 2 * RANK_RATIO, f"ranking takes {ratio:.2f} of an argsort's time"


def test_queen_weights_as_arrays_stay_cheaper_than_libpysal():
    if not GPKG.exists():
        pytest.skip("default dataset not built")
    from libpysal.weights import Queen

    communes = gpd.read_file(GPKG, layer="communes").set_index("code")
    ratio = _best_ratio(lambda: contiguity(communes),
                        lambda: Queen.from_dataframe(communes, use_index=True, silence_warnings=True))
    assert ratio < 2 * QUEEN_RATIO, f"the weights take {ratio:.2f} of libpysal's time"
