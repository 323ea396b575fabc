"""Benchmark zonal statistics on a country-sized raster against rasterstats and exactextract.

One command generates the data (once, cached outside the repository), runs every
method in a fresh subprocess N times, the methods in turn round after round, on one
core and then on two (``--cores``), and prints a Markdown table per core count of the
median time and each subprocess's own peak memory (``VmHWM``, see :func:`own_peak_mb`)::

    .venv/bin/python benchmarks/bench_zonal.py                       # 8,000 x 8,000; 77/750/7,500 zones
    .venv/bin/python benchmarks/bench_zonal.py --quick               # small, under a minute
    .venv/bin/python benchmarks/bench_zonal.py --size 8000 --zones 7500 --repeat 5 \\
        --slow-repeat 2 --memory-scale 2

Methods (each computes mean, sum, count, min and max per zone):

- ``project``: :func:`geo.zonal.zonal_stats` (GDAL single-threaded, the default);
- ``project_threads``: the same inside ``rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS")``;
- ``project_mean`` / ``project_weighted``: ``stats=["mean"]`` versus
  ``stats=["weighted_mean"]`` with a weight raster on the same grid;
- ``rasterstats``: ``rasterstats.zonal_stats`` with its defaults (``boundless=True``);
- ``rasterstats_noboundless``: the same with ``boundless=False``;
- ``exactextract``: ``exactextract.exact_extract`` (coverage-weighted, so its values
  differ from pixel-centre statistics; only its cost is compared);
- ``read_floor`` / ``read_floor_threads``: read the raster once, by blocks of rows,
  plus one numpy pass, single-threaded and with ``GDAL_NUM_THREADS=ALL_CPUS``.

The project's results are checked against rasterstats' to 1e-6 relative.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STATS = ["mean", "sum", "count", "min", "max"]
METHODS = [
    "project",
    "project_threads",
    "project_mean",
    "project_weighted",
    "rasterstats",
    "rasterstats_noboundless",
    "exactextract",
    "read_floor",
    "read_floor_threads",
]
#: Methods run --slow-repeat times instead of --repeat times.
SLOW = {"rasterstats"}
#: Extent of the generated raster (lon/lat), about the size of Morocco.
WEST, NORTH, SPAN = -17.0, 37.0, 16.0


# ------------------------------------------------------------------------ data


def default_cache() -> Path:
    """Return the cache directory for generated data (outside the repository)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "poverty-targeting-bench"


def make_raster(path: Path, size: int, seed: int, weights: bool = False) -> Path:
    """Write a size x size float32 GeoTIFF (DEFLATE, 256 x 256 tiles, EPSG:4326).

    Values are a smooth field times log-normal noise rounded to 0.1, with a
    nodata "sea" in the south-west corner; the weight raster has no nodata.
    """
    if path.exists():
        return path
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    pixel = SPAN / size
    profile = {
        "driver": "GTiff",
        "height": size,
        "width": size,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": from_origin(WEST, NORTH, pixel, pixel),
        "nodata": None if weights else -1.0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "num_threads": "all_cpus",
        "bigtiff": "if_safer",
    }
    rng = np.random.default_rng(seed)
    cols = np.arange(size) / size
    partial = path.with_suffix(".part.tif")
    with rasterio.open(partial, "w", **profile) as dst:
        for top in range(0, size, 256):
            rows = (np.arange(top, min(top + 256, size)) / size)[:, None]
            base = 50 + 40 * np.sin(7 * cols)[None, :] * np.cos(5 * rows) + 30 * rows
            noise = rng.normal(0.0, 0.5, (rows.shape[0], size))
            values = np.round(base * np.exp(noise), 1).astype(np.float32)
            if not weights:
                values[(cols[None, :] + (1 - rows)) < 0.35] = -1.0
            dst.write(values, 1, window=Window(0, top, size, rows.shape[0]))
    partial.rename(path)
    return path


def make_zones(path: Path, count: int, seed: int) -> Path:
    """Write ``count`` Voronoi districts covering the raster's extent to a GeoPackage."""
    if path.exists():
        return path
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    seeds = shapely.points(rng.uniform(WEST, WEST + SPAN, count), rng.uniform(NORTH - SPAN, NORTH, count))
    frame = shapely.box(WEST, NORTH - SPAN, WEST + SPAN, NORTH)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    zones = gpd.GeoDataFrame({"zone": np.arange(len(cells))}, geometry=cells, crs=4326)
    zones.to_file(path, driver="GPKG")
    return path


# ---------------------------------------------------------------------- worker


def own_peak_mb() -> float:
    """This process's own peak resident memory (MB): ``VmHWM``, the high-water mark of its own memory map.

    ``ru_maxrss`` is not used: a child started from a large parent reports at least the parent's peak
    (Linux carries it over when the child starts the new program), which floored every method at the
    driver's size (about 350 MB) before.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(method: str, raster: str, zones_path: str, weights: str, out: str | None,
           cores: int | None = None) -> dict[str, Any]:
    """Run one method once, in this process (on ``cores`` cores if given), and return its time and peak memory."""
    if cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cores]))
    import geopandas as gpd
    import rasterio

    sys.path.insert(0, str(ROOT))
    zones = gpd.read_file(zones_path)
    preload(method)
    rss_before = own_peak_mb()
    start = time.perf_counter()
    table = run_method(method, zones, raster, weights, rasterio)
    seconds = time.perf_counter() - start
    peak = own_peak_mb()
    if out is not None and table is not None:
        table.to_pickle(out)
    return {"method": method, "seconds": seconds, "peak_mb": peak, "base_mb": rss_before}


def preload(method: str) -> None:
    """Import what ``method`` uses before the clock starts: every method's time is its call alone."""
    if method.startswith("project"):
        import geo.zonal  # noqa: F401
    elif method.startswith("rasterstats"):
        import rasterstats  # noqa: F401
    elif method == "exactextract":
        import exactextract  # noqa: F401


def run_method(method: str, zones: Any, raster: str, weights: str, rasterio: Any) -> Any:
    """Compute the statistics with one method; return a frame (or None for the floor)."""
    import pandas as pd

    if method.startswith("project"):
        from geo.zonal import zonal_stats

        if method == "project_threads":
            with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"):
                return zonal_stats(zones, raster, stats=STATS)
        if method == "project_mean":
            return zonal_stats(zones, raster, stats=["mean"])
        if method == "project_weighted":
            return zonal_stats(zones, raster, stats=["weighted_mean"], weights=weights)
        return zonal_stats(zones, raster, stats=STATS)
    if method.startswith("rasterstats"):
        import rasterstats

        rows = rasterstats.zonal_stats(zones, raster, stats=STATS, boundless=method == "rasterstats")
        return pd.DataFrame(rows, index=zones.index)
    if method == "exactextract":
        from exactextract import exact_extract

        return exact_extract(raster, zones, STATS, output="pandas")
    if method.startswith("read_floor"):
        threads = "ALL_CPUS" if method == "read_floor_threads" else "1"
        with rasterio.Env(GDAL_NUM_THREADS=threads):
            read_floor(raster, rasterio)
        return None
    raise SystemExit(f"unknown method {method!r}; choose from {METHODS}")


def read_floor(raster: str, rasterio: Any) -> float:
    """Read the raster once by blocks of rows (as the project does) plus one numpy pass."""
    from rasterio.windows import Window

    total = 0.0
    with rasterio.open(raster) as src:
        rows = max(256, (1 << 22) // src.width // 256 * 256)
        for top in range(0, src.height, rows):
            block = src.read(1, window=Window(0, top, src.width, min(rows, src.height - top)))
            total += float(block.sum(dtype=np.float64))
    return total


# ---------------------------------------------------------------------- driver


def run_once(
    method: str, raster: Path, zones: Path, weights: Path, out: Path | None, extra_env: dict[str, str] | None = None,
    cores: int | None = None,
) -> dict[str, Any]:
    """Run one method in a fresh subprocess (on ``cores`` cores if given) and return its measurements."""
    command = [sys.executable, __file__, "--worker", method, "--raster", str(raster), "--zones-file", str(zones), "--weights", str(weights)]
    if out is not None:
        command += ["--out", str(out)]
    if cores:
        command += ["--worker-cores", str(cores)]
    env = {k: v for k, v in os.environ.items() if k not in ("GDAL_NUM_THREADS", "GDAL_CACHEMAX")}
    env.update(extra_env or {})
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(ours: Path, theirs: Path) -> float:
    """Return the largest relative difference between two result tables."""
    import pandas as pd

    a, b = pd.read_pickle(ours), pd.read_pickle(theirs)
    worst = 0.0
    for stat in STATS:
        x, y = a[stat].to_numpy(float), b[stat].astype(float).to_numpy()
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            return float("inf")
        ok = ~np.isnan(x)
        scale = np.maximum(np.abs(y[ok]), 1e-300)
        worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]) / scale, initial=0.0)))
    return worst


def machine() -> str:
    """Return a one-line description of this machine."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        ram = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
    except OSError:
        ram = float("nan")
    import rasterio

    return (
        f"{os.cpu_count()} CPUs (nproc), {ram:.0f} GiB RAM, {model}; Python {platform.python_version()}, "
        f"numpy {np.__version__}, rasterio {rasterio.__version__}, GDAL {rasterio.__gdal_version__}"
    )


def bench(args: argparse.Namespace) -> None:
    """Generate the data, run every method and print the tables."""
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    raster = make_raster(cache / f"values_{args.size}.tif", args.size, seed=1)
    weights = make_raster(cache / f"weights_{args.size}.tif", args.size, seed=2, weights=True)
    print(f"machine: {machine()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"raster: {raster} ({args.size} x {args.size} float32, {raster.stat().st_size / 1e6:.0f} MB on disk)\n")
    read_floor(str(raster), __import__("rasterio"))  # warm the page cache
    methods = [m for m in METHODS if m in args.methods]
    for cores in args.cores:
        print(f"\n{cores} core(s) per run (os.sched_setaffinity in each worker); load average {os.getloadavg()[0]:.1f}")
        results = bench_cores(args, cache, raster, weights, methods, cores)
        print()
        print(f"With {cores} core(s):\n")
        print(table(results, methods))
        (cache / f"results_{cores}core.json").write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2))
    if args.memory_scale > 1:
        print()
        print(memory_check(args, cache))


def bench_cores(args: argparse.Namespace, cache: Path, raster: Path, weights: Path, methods: list[str],
                cores: int) -> dict[int, dict[str, Any]]:
    """Every method on every zone count, the methods in turn round after round (other load on the machine
    then hits them alike), each run in its own process on ``cores`` cores."""
    results: dict[int, dict[str, Any]] = {}
    for count in args.zones:
        zones = make_zones(cache / f"zones_{count}.gpkg", count, seed=count)
        runs: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
        for round_ in range(max(args.repeat, args.slow_repeat)):
            for method in methods:
                if round_ >= (args.slow_repeat if method in SLOW else args.repeat):
                    continue
                out = cache / f"out_{method}_{count}.pkl" if method in ("project", "rasterstats_noboundless", "rasterstats") else None
                runs[method].append(run_once(method, raster, zones, weights, out, cores=cores))
        results[count] = {}
        for method in methods:
            done = runs[method]
            results[count][method] = {
                "seconds": statistics.median(r["seconds"] for r in done),
                "peak_mb": statistics.median(r["peak_mb"] for r in done),
                "base_mb": statistics.median(r["base_mb"] for r in done),
                "runs": len(done),
                "all_seconds": [round(r["seconds"], 3) for r in done],
            }
            print(f"  {count:>6} zones  {method:<24} {results[count][method]['seconds']:8.2f} s  "
                  f"{results[count][method]['peak_mb']:7.0f} MB  ({len(done)} runs: {results[count][method]['all_seconds']})", flush=True)
        reference = next((cache / f"out_{m}_{count}.pkl" for m in ("rasterstats_noboundless", "rasterstats") if m in methods), None)
        if "project" in methods and reference is not None:
            results[count]["max_rel_diff"] = compare(cache / f"out_project_{count}.pkl", reference)  # type: ignore[assignment]
            print(f"  {count:>6} zones  max relative difference vs rasterstats: {results[count]['max_rel_diff']:.2e}")
    return results



def table(results: dict[int, dict[str, Any]], methods: list[str]) -> str:
    """Return the Markdown table of medians with ratios to the best alternative and the floor."""
    lines = [
        "| zones | method | runs | median time (s) | own peak memory (MB) | time / project |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    summary = []
    for count, row in results.items():
        project = row.get("project", {}).get("seconds")
        for method in methods:
            cell = row[method]
            ratio = f"{cell['seconds'] / project:.2f}" if project else ""
            lines.append(f"| {count:,} | {method} | {cell['runs']} | {cell['seconds']:.2f} | {cell['peak_mb']:.0f} | {ratio} |")
        alternatives = [row[m]["seconds"] for m in ("rasterstats", "rasterstats_noboundless", "exactextract") if m in row]
        if project and alternatives:
            parts = [f"{count:,} zones: best alternative / project = {min(alternatives) / project:.2f}x"]
            if "read_floor" in row:
                parts.append(f"project / read floor = {project / row['read_floor']['seconds']:.2f}x")
            if "project_mean" in row and "project_weighted" in row:
                parts.append(f"weighted_mean / mean = {row['project_weighted']['seconds'] / row['project_mean']['seconds']:.2f}x")
            if "max_rel_diff" in row:
                parts.append(f"max relative difference vs rasterstats = {row['max_rel_diff']:.1e}")
            summary.append("- " + "; ".join(parts))
    return "\n".join(lines + [""] + summary)


def memory_check(args: argparse.Namespace, cache: Path) -> str:
    """Return peak memory of the project's method on the raster and on one `scale` times wider and taller.

    Peak memory is the blocks being reduced plus GDAL's block cache, which keeps
    decompressed tiles up to GDAL_CACHEMAX (default 5 % of RAM); both settings are shown.
    """
    count = max(args.zones)
    zones = make_zones(cache / f"zones_{count}.gpkg", count, seed=count)
    lines = ["| raster | pixels | GDAL_CACHEMAX | median time (s) | peak RSS (MB) |", "|---|---:|---|---:|---:|"]
    for size in (args.size, args.size * args.memory_scale):
        raster = make_raster(cache / f"values_{size}.tif", size, seed=1)
        for cache_mb in (None, "64"):
            extra = {} if cache_mb is None else {"GDAL_CACHEMAX": cache_mb}
            runs = [run_once("project", raster, zones, raster, None, extra) for _ in range(args.repeat)]
            lines.append(
                f"| {size:,} x {size:,} | {size * size / 1e6:.0f} M | {cache_mb or 'default'} | "
                f"{statistics.median(r['seconds'] for r in runs):.2f} | {statistics.median(r['peak_mb'] for r in runs):.0f} |"
            )
    return f"Memory with {count:,} zones (project):\n\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the benchmark or one worker."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=8000, help="raster width and height in pixels (default 8000)")
    parser.add_argument("--zones", type=int, nargs="+", default=[77, 750, 7500], help="district counts (default 77 750 7500)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per method; the median is reported (default 5)")
    parser.add_argument("--slow-repeat", type=int, default=None, help="runs for rasterstats' default mode (default: --repeat)")
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS, help="methods to run (default all)")
    parser.add_argument("--memory-scale", type=int, default=1, help="also run the project on a raster this many times wider and taller")
    parser.add_argument("--quick", action="store_true", help="small run: 1,000 x 1,000, 77 and 750 zones, 2 runs")
    parser.add_argument("--cache-dir", default=str(default_cache()), help="where generated data goes (default ~/.cache/poverty-targeting-bench)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--raster", help=argparse.SUPPRESS)
    parser.add_argument("--zones-file", help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--worker-cores", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2],
                        help="cores each run may use, one table per value (default 1 2)")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.raster, args.zones_file, args.weights, args.out,
                                args.worker_cores)))
        return
    if args.quick:
        args.size, args.zones, args.repeat = 1000, [77, 750], 2
    if args.slow_repeat is None:
        args.slow_repeat = args.repeat
    bench(args)


if __name__ == "__main__":
    main()
