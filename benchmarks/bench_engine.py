"""Engine speed: re-scoring on a slider move, Monte Carlo rank uncertainty, local Moran's I.

    .venv/bin/python benchmarks/bench_engine.py            # full sizes, 5 repetitions (a few minutes)
    .venv/bin/python benchmarks/bench_engine.py --quick    # small sizes, 2 repetitions (< 1 min)

Every case runs side by side with a baseline in the same process, several times; the table gives
medians, the ratio to the baseline and the peak of memory allocated during the call (tracemalloc,
numpy included). The values are generated (seeded): they measure speed only.

- rescoring: ``geo.scoring.score`` (normalise, weight, aggregate, rank, contributions) on
  N districts x 20 layers, against the floor: the same min-max normalisation, weighted sum and
  ranking in a few bare numpy calls;
- Monte Carlo: ``geo.uncertainty.rank_uncertainty`` (1,000 draws, chunked), against calling
  ``score`` once per draw (measured on 20 draws, scaled to 1,000);
- local Moran's I: ``geo.clusters.local_moran`` (queen contiguity built from the polygons, 999
  conditional permutations, one core) on Voronoi districts, against ``esda.Moran_Local`` with its
  defaults on the same weights (weights built once, not timed);
- clusters: local Moran's I and Gi* together on weights built once (what ``geo rank`` runs),
  ``geo.clusters.local_moran`` + ``getis_ord`` against ``esda.Moran_Local`` + ``esda.G_Local``
  (``star=True``), both with 999 permutations on one core, and how far the results agree:
  LISA labels at alpha 0.05 (equal within permutation noise), the largest p-value difference
  and the Gi values (equal). ``--clusters-only N`` runs this case alone at N districts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.clusters import getis_ord, local_moran, spatial_weights  # noqa: E402
from geo.scoring import score  # noqa: E402
from geo.uncertainty import rank_uncertainty  # noqa: E402

THEMES = ("poverty", "unemployment", "displacement", "infrastructure")


def layers(n: int, k: int = 20, seed: int = 0) -> tuple[pd.DataFrame, dict, dict]:
    """``n`` districts x ``k`` layers of skewed values with 2 % missing, directions and themes."""
    rng = np.random.default_rng(seed)
    values = rng.lognormal(2.0, 0.6, size=(n, k))
    values[rng.random((n, k)) < 0.02] = np.nan
    cols = [f"l{j:02d}" for j in range(k)]
    frame = pd.DataFrame(values, columns=cols, index=[f"D{i:06d}" for i in range(n)])
    return frame, {c: j % 3 != 0 for j, c in enumerate(cols)}, {c: THEMES[j % 4] for j, c in enumerate(cols)}


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median seconds over ``repeat`` calls, and the peak MB allocated by one call."""
    fn()  # warm up (imports, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def rescoring(n: int, repeat: int) -> list[tuple]:
    values, hiw, themes = layers(n)

    def project():
        return score(values, higher_is_worse=hiw, themes=themes)

    x = values.to_numpy()
    sign = np.array([1.0 if hiw[c] else -1.0 for c in values.columns])
    w = np.full(x.shape[1], 1.0 / x.shape[1])

    def floor():
        lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
        norm = (x - lo) / (hi - lo) * 100
        norm = np.where(sign > 0, norm, 100 - norm)
        s = np.nansum(norm * w, axis=1) / np.sum(w * ~np.isnan(norm), axis=1)
        return np.argsort(np.argsort(-s))

    t, m = timed(project, repeat)
    tf, mf = timed(floor, repeat)
    return [(f"rescoring, {n:,} x 20", "geo.scoring.score", t, m, t / tf),
            (f"rescoring, {n:,} x 20", "floor: bare numpy min-max + sum + rank", tf, mf, 1.0)]


def monte_carlo(n: int, draws: int, repeat: int) -> list[tuple]:
    values, hiw, themes = layers(n)

    def project():
        return rank_uncertainty(values, higher_is_worse=hiw, themes=themes, draws=draws, seed=1)

    rng = np.random.default_rng(1)
    few = 20

    def loop():  # what one would write without vectorising: one score() per draw
        for _ in range(few):
            weights = {c: float(rng.uniform(0.75, 1.25)) for c in values.columns}
            score(values, higher_is_worse=hiw, themes=themes, weights=weights)

    t, m = timed(project, repeat)
    tl, ml = timed(loop, max(1, repeat // 2))
    tl = tl * draws / few
    return [(f"Monte Carlo, {draws:,} draws x {n:,} x 20", "geo.uncertainty.rank_uncertainty", t, m, t / tl),
            (f"Monte Carlo, {draws:,} draws x {n:,} x 20", f"score() per draw ({few} timed, scaled)", tl, ml, 1.0)]


def voronoi(n: int, seed: int = 0):
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    extent = shapely.box(0, 0, 100, 100)
    pts = shapely.multipoints(rng.uniform(0, 100, (n, 2)))
    cells = shapely.intersection(np.asarray(shapely.voronoi_polygons(pts, extend_to=extent).geoms), extent)
    index = [f"V{i:05d}" for i in range(len(cells))]
    gdf = gpd.GeoDataFrame(geometry=cells, index=index, crs="EPSG:3857")
    centre = shapely.centroid(cells)
    x, y = shapely.get_x(centre), shapely.get_y(centre)
    # a smooth field with two pockets plus noise, so that clusters exist
    field = np.exp(-((x - 25) ** 2 + (y - 30) ** 2) / 300) + np.exp(-((x - 70) ** 2 + (y - 75) ** 2) / 200)
    values = pd.Series(field + rng.normal(0, 0.15, len(cells)), index=index)
    return gdf, values


def moran(n: int, repeat: int) -> list[tuple]:
    import esda

    gdf, values = voronoi(n)

    def project():
        return local_moran(gdf, values, permutations=999, seed=1)

    w, _ = spatial_weights(gdf)
    w.transform = "R"
    y = values.loc[list(w.id_order)].to_numpy()

    def esda_defaults():
        return esda.Moran_Local(y, w)

    t, m = timed(project, repeat)
    te, me = timed(esda_defaults, repeat)
    tw, mw = timed(lambda: spatial_weights(gdf), repeat)
    label = f"local Moran's I, {n:,} districts"
    return [(label, "geo.clusters.local_moran (weights + 999 permutations)", t, m, t / te),
            (label, "  of which: queen weights from the polygons", tw, mw, tw / te),
            (label, "esda.Moran_Local defaults (weights given)", te, me, 1.0)]


def clusters(n: int, repeat: int) -> list[tuple]:
    import esda

    gdf, values = voronoi(n)
    w, _ = spatial_weights(gdf)
    values = values + 5.0  # Gi* is meant for non-negative values
    y = values.loc[list(w.id_order)].to_numpy()

    def project():
        lisa = local_moran(gdf, values, permutations=999, seed=1, weights=w, fdr=False)
        hot = getis_ord(gdf, values, permutations=999, seed=1, weights=w, fdr=False)
        return lisa, hot

    def esda_both():
        wr = w_copy("R")
        lisa = esda.Moran_Local(y, wr, transformation="r", permutations=999, seed=1, n_jobs=1)
        wb = w_copy("B")
        hot = esda.G_Local(y, wb, transform="R", permutations=999, star=True, seed=1, n_jobs=1)
        return lisa, hot

    def w_copy(transform):
        from libpysal.weights import W

        out = W(w.neighbors, id_order=w.id_order, silence_warnings=True)
        out.transform = transform
        return out

    t, m = timed(project, repeat)
    te, me = timed(esda_both, max(1, repeat // 2))
    (lisa, hot), (elisa, ehot) = project(), esda_both()
    codes = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    theirs = pd.Series([codes[q] for q in elisa.q], index=lisa.table.index).where(elisa.p_sim <= 0.05,
                                                                                "not significant")
    same = float((theirs == lisa.table["cluster"]).mean())
    dp = float(np.abs(lisa.table["p"].to_numpy() - elisa.p_sim).max())
    dg = float(np.abs(hot["G"].to_numpy() - ehot.Gs).max())
    label = f"local Moran + Gi*, {n:,} districts"
    return [(label, f"geo.clusters (vectorised; LISA labels equal to esda's: {same:.1%}, max |dp| {dp:.3f}, "
                    f"max |dG| {dg:.1e})", t, m, t / te),
            (label, "esda.Moran_Local + esda.G_Local (n_jobs=1)", te, me, 1.0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 repetitions")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clusters-only", type=int, metavar="N", help="only the clusters case, at N districts")
    args = parser.parse_args()
    repeat = 2 if args.quick else args.repeat
    rows = []
    if args.clusters_only:
        rows += clusters(args.clusters_only, repeat)
        _print(rows)
        return
    rows += rescoring(5_000 if args.quick else 50_000, repeat * 4)
    rows += monte_carlo(1_000 if args.quick else 10_000, 200 if args.quick else 1_000, repeat)
    rows += moran(1_000 if args.quick else 10_000, repeat)
    rows += clusters(2_000 if args.quick else 50_000, repeat)
    _print(rows)


def _print(rows: list[tuple]) -> None:
    print("| case | method | median | peak allocated | ratio to baseline |")
    print("|---|---|---:|---:|---:|")
    for case, method, t, mem, ratio in rows:
        shown = f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"
        print(f"| {case} | {method} | {shown} | {mem:,.0f} MB | {ratio:.2f} |")


if __name__ == "__main__":
    main()
