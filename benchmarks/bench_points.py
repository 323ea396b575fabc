"""Benchmark point aggregation per district: the local engine against Dask with 1 and 2 workers.

One command generates the data (once, cached outside the repository), runs every
method in a fresh subprocess N times (the methods in turn, so that load from other
processes affects them alike) and prints a Markdown table of the median time and
peak memory::

    .venv/bin/python benchmarks/bench_points.py               # 10 million points; 750 and 7,500 districts
    .venv/bin/python benchmarks/bench_points.py --quick       # 200,000 points, under a minute
    .venv/bin/python benchmarks/bench_points.py --points 10000000 --zones 7500 --repeat 3

Each method computes what a point layer computes, from the GeoParquet file:
the count of points per district, the count per 100,000 people (NaN here: no
population is given) and the distance to the nearest point.

- ``local``: :meth:`geo.engine.LocalEngine.point_stats` (``read_points`` then
  ``point_stats``, in one process);
- ``dask_1`` / ``dask_2``: :meth:`geo.engine.DaskEngine.point_stats` on a
  ``distributed.LocalCluster`` of 1 or 2 single-threaded worker processes,
  started, with the project's modules imported on every worker, before the
  clock starts (that start-up time is reported apart), as on a long-running
  cluster.

The Dask results are checked to be identical to the local ones (counts and
distances compared exactly).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_zonal import NORTH, SPAN, WEST, default_cache, machine, make_zones  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
METHODS = ["local", "dask_1", "dask_2"]

#: Centres (lon, lat), spreads (degrees) and shares of the dense clusters; the rest is uniform.
CLUSTERS = [((-7.6, 33.6), 0.15, 0.12), ((-5.0, 34.0), 0.1, 0.08), ((-8.0, 31.6), 0.2, 0.06),
            ((-6.8, 34.0), 0.08, 0.05), ((-13.2, 27.1), 0.3, 0.04)]

#: Row groups of the generated GeoParquet file (one Dask partition each): 500,000 points each for 10 million.
ROW_GROUPS = 20


# ------------------------------------------------------------------------ data


def make_points(path: Path, count: int, seed: int) -> Path:
    """Write ``count`` points (uniform over the extent plus dense clusters) to GeoParquet, EPSG:4326."""
    if path.exists():
        return path
    import geopandas as gpd

    lon, lat = _coordinates(np.random.default_rng(seed), count)
    frame = gpd.GeoDataFrame({"site": np.arange(count)}, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    partial = path.with_suffix(".part.parquet")
    frame.to_parquet(partial, row_group_size=max(-(-count // ROW_GROUPS), 1))
    partial.rename(path)
    return path


def _coordinates(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return n (lon, lat) pairs: uniform over the extent, plus the clusters' shares around their centres."""
    lon = rng.uniform(WEST, WEST + SPAN, n)
    lat = rng.uniform(NORTH - SPAN, NORTH, n)
    pick = rng.random(n)
    low = 0.0
    for (x, y), spread, share in CLUSTERS:
        inside = (pick >= low) & (pick < low + share)
        lon[inside] = np.clip(rng.normal(x, spread, inside.sum()), WEST, WEST + SPAN)
        lat[inside] = np.clip(rng.normal(y, spread, inside.sum()), NORTH - SPAN, NORTH)
        low += share
    return np.round(lon, 6), np.round(lat, 6)


# ---------------------------------------------------------------------- worker


def worker(method: str, points: str, zones_path: str, out: str | None) -> dict[str, Any]:
    """Run one method once, in this process, and return its time and peak memory."""
    import geopandas as gpd

    sys.path.insert(0, str(ROOT))
    from geo.config import EngineConfig
    from geo.engine import open_engine

    zones = gpd.read_file(zones_path)
    settings = EngineConfig() if method == "local" else EngineConfig(kind="dask", workers=int(method.split("_")[1]))
    started = time.perf_counter()
    with open_engine(settings) as engine:
        if method != "local":
            engine.client.run(_warm_up)
        startup = time.perf_counter() - started
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        table = engine.point_stats(zones, points)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        workers = [] if method == "local" else list(engine.client.run(_peak_kb).values())
    if out is not None:
        table.to_pickle(out)
    return {
        "method": method,
        "seconds": seconds,
        "startup": startup,
        "peak_mb": peak / 1024,
        "base_mb": rss_before / 1024,
        "worker_peak_mb": sum(workers) / 1024,
        "total_peak_mb": (peak + sum(workers)) / 1024,
        "points_counted": int(table["count"].sum()),
    }


def _warm_up() -> None:
    """Import the engine's modules on a worker, as a long-running cluster has them imported."""
    import dask_geopandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import geo.dask_stats  # noqa: F401


def _peak_kb() -> int:
    import resource as res

    return res.getrusage(res.RUSAGE_SELF).ru_maxrss


# ---------------------------------------------------------------------- driver


def run_once(method: str, points: Path, zones: Path, out: Path | None) -> dict[str, Any]:
    """Run one method in a fresh subprocess and return its measurements."""
    command = [sys.executable, __file__, "--worker", method, "--points-file", str(points), "--zones-file", str(zones)]
    if out is not None:
        command += ["--out", str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load_average() -> float:
    """Return the 1-minute load average (other processes share the machine)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def identical(ours: Path, theirs: Path) -> bool:
    """Return whether two result tables are identical (NaN equal to NaN)."""
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(pd.read_pickle(ours), pd.read_pickle(theirs), check_exact=True)
    except AssertionError:
        return False
    return True


def bench(args: argparse.Namespace) -> None:
    """Generate the data, run every method and print the table."""
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    points = cache / f"points_{args.points}.parquet"
    if not points.exists():  # in a subprocess: a child's peak memory starts at its parent's (Linux getrusage)
        subprocess.run([sys.executable, __file__, "--make-points", str(points), "--points", str(args.points)], check=True)
    print(f"machine: {machine()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"points: {points} ({args.points:,} points, {points.stat().st_size / 1e6:.0f} MB, "
          f"{ROW_GROUPS} row groups)\n")
    results: dict[int, dict[str, Any]] = {}
    for count in args.zones:
        zones = make_zones(cache / f"zones_{count}.gpkg", count, seed=count)
        results[count] = {}
        runs_of: dict[str, list[dict[str, Any]]] = {method: [] for method in args.methods}
        for _ in range(args.repeat):  # interleaved, so that load from other processes hits every method alike
            for method in args.methods:
                load = _load_average()
                runs_of[method].append({**run_once(method, points, zones, cache / f"points_out_{method}_{count}.pkl"),
                                        "load": load})
        for method in args.methods:
            runs = runs_of[method]
            cell = {key: statistics.median(r[key] for r in runs) for key in
                    ("seconds", "startup", "peak_mb", "worker_peak_mb", "total_peak_mb", "load")}
            cell.update(runs=len(runs), all_seconds=[round(r["seconds"], 2) for r in runs],
                        points_counted=runs[0]["points_counted"])
            results[count][method] = cell
            print(f"  {count:>6} zones  {method:<8} {cell['seconds']:8.2f} s  start {cell['startup']:5.2f} s  "
                  f"client {cell['peak_mb']:6.0f} MB  workers {cell['worker_peak_mb']:6.0f} MB  "
                  f"load {cell['load']:.1f}  ({len(runs)} runs: {cell['all_seconds']})", flush=True)
        if "local" in args.methods:
            for method in args.methods:
                if method != "local":
                    same = identical(cache / f"points_out_{method}_{count}.pkl", cache / f"points_out_local_{count}.pkl")
                    results[count][method]["identical"] = same
                    print(f"  {count:>6} zones  {method} identical to local: {same}")
    print()
    print(table(results, args.methods))
    (cache / "points_results.json").write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2))


def table(results: dict[int, dict[str, Any]], methods: list[str]) -> str:
    """Return the Markdown table of medians with ratios to the local engine of the same run."""
    lines = [
        "| districts | method | runs | median time (s) | time / local | cluster start (s) | "
        "client peak RSS (MB) | workers' peak RSS, sum (MB) | total (MB) | identical to local | load avg |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for count, row in results.items():
        local = row.get("local", {}).get("seconds")
        for method in methods:
            c = row[method]
            ratio = f"{c['seconds'] / local:.2f}" if local else ""
            same = {True: "yes", False: "NO"}.get(c.get("identical"), "(reference)" if method == "local" else "")
            workers = f"{c['worker_peak_mb']:.0f}" if method != "local" else "-"
            start = f"{c['startup']:.1f}" if method != "local" else "-"
            lines.append(
                f"| {count:,} | {method} | {c['runs']} | {c['seconds']:.2f} | {ratio} | {start} | "
                f"{c['peak_mb']:.0f} | {workers} | {c['total_peak_mb']:.0f} | {same} | {c['load']:.1f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the benchmark or one worker."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=10_000_000, help="number of points (default 10,000,000)")
    parser.add_argument("--zones", type=int, nargs="+", default=[750, 7500], help="district counts (default 750 7500)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method; the median is reported (default 3)")
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS, help="methods to run (default all)")
    parser.add_argument("--quick", action="store_true", help="small run: 200,000 points, 750 districts, 2 runs")
    parser.add_argument("--cache-dir", default=str(default_cache()),
                        help="where generated data goes (default ~/.cache/poverty-targeting-bench)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--points-file", help=argparse.SUPPRESS)
    parser.add_argument("--zones-file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--make-points", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.make_points:
        make_points(Path(args.make_points), args.points, seed=7)
        return
    if args.worker:
        print(json.dumps(worker(args.worker, args.points_file, args.zones_file, args.out)))
        return
    if args.quick:
        args.points, args.zones, args.repeat = 200_000, [750], 2
    bench(args)


if __name__ == "__main__":
    main()
