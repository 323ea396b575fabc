"""The full analysis at scale: ``python -m geo rank`` with and without the analytics, on generated districts.

    .venv/bin/python benchmarks/bench_analysis.py                          # 10,000 and 50,000 districts, 3 rounds
    .venv/bin/python benchmarks/bench_analysis.py --districts 50000 --baseline /path/to/other/checkout
    .venv/bin/python benchmarks/bench_analysis.py --quick                  # 1,000 districts, 1 round
    .venv/bin/python benchmarks/bench_analysis.py --stages --districts 50000   # where the time goes

Every run is the command a user types (``geo rank --config ... --out ranking.csv``: reading the
boundaries and the table, the join, the score, the Monte Carlo of 1,000 draws, the sensitivity, queen
weights, local Moran's I and Gi* with 999 permutations, the export), in a fresh process started by
this small parent (the standard library only), so its peak memory (``ru_maxrss`` from ``wait4``) is
the command's own. The baselines run side by side, interleaved round by round:

- ``--no-analysis``: the same command with only the ranking (the floor of reading, joining, scoring and
  writing);
- ``--baseline DIR``: another checkout (e.g. the previous release), the same commands.

Reported: the median wall time, the median CPU time (user + system: less sensitive than the wall
time to other work on a shared machine), the largest peak memory, the 1-minute load average before
the runs, and the ratios to the baselines. The generated districts are those of ``bench_dashboard.py``
(``benchmarks/generated.py``: Voronoi cells, four random layers, seeded).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path.home() / ".cache" / "pockets-bench"


def config_for(n: int) -> Path:
    """The generated configuration of ``n`` districts (written once, by a child process: the parent stays small)."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generated.py"), str(n)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return Path(out.stdout.strip().splitlines()[-1])


def run_rank(checkout: Path, config: Path, analysis: bool) -> dict[str, float]:
    """One ``geo rank`` in a fresh process: wall and CPU seconds, peak resident memory (MB)."""
    python = checkout / ".venv" / "bin" / "python"
    with tempfile.TemporaryDirectory() as tmp:
        command = [str(python if python.exists() else sys.executable), "-m", "geo", "rank", "--config", str(config),
                   "--out", str(Path(tmp) / "ranking.csv")] + ([] if analysis else ["--no-analysis"])
        t0 = time.perf_counter()
        child = subprocess.Popen(command, cwd=checkout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        err = child.stderr.read().decode(errors="replace") if child.stderr else ""
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed in {checkout}:\n{err[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


STAGES = r'''
import sys, time
sys.path.insert(0, ".")
clock = time.process_time
t, out = clock(), {}
def mark(name):
    global t
    out[name] = clock() - t
    t = clock()
import geo.cli
from geo import analysis as A
from geo.clusters import getis_ord, local_moran
from geo.config import load_config
from geo.dataset import load_level, ranked_table, score_level
from geo.io import write_table
from geo.uncertainty import sensitivity
mark("imports")
cfg = load_config(sys.argv[1])
data = load_level(cfg, cfg.display.default_level); mark("read boundaries and table, join")
kw = dict(weights=cfg.weights, theme_weights=cfg.scored_theme_weights({}))
res = score_level(data, **kw); mark("score")
settings = A.AnalysisSettings(sampling=cfg.uncertainty.sampling)
unc = A.monte_carlo(data, res, **kw, settings=settings); mark("Monte Carlo, 1,000 draws")
sensitivity(unc); mark("sensitivity")
links, _ = A.scored_neighbours(data, res); mark("queen weights")
districts, scored = A._clusterable(data, res)
local_moran(districts, scored, weights=links); mark("local Moran's I, 999 permutations")
getis_ord(districts, scored, weights=links); mark("Gi*, 999 permutations")
extra, _ = A.analysis_columns(data, res, **kw, roles=cfg.roles, settings=settings, uncertainty=unc, clusters=False)
table = ranked_table(data, res, extra); mark("other analytics (sensitivity again), table")
write_table(table, sys.argv[2]); mark("CSV export")
for name, seconds in out.items():
    print(f"{name}\t{seconds:.3f}")
'''


def stages(checkout: Path, config: Path) -> dict[str, float]:
    """CPU seconds of each step of the analysis, run in one process in ``checkout``."""
    python = checkout / ".venv" / "bin" / "python"
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([str(python if python.exists() else sys.executable), "-c", STAGES, str(config),
                              str(Path(tmp) / "ranking.csv")], cwd=checkout, check=True, capture_output=True,
                             text=True).stdout
    return {name: float(value) for name, value in (line.split("\t") for line in out.strip().splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (each runs every command once, in turn)")
    parser.add_argument("--baseline", type=Path, help="another checkout, run side by side")
    parser.add_argument("--quick", action="store_true", help="1,000 districts, 1 round")
    parser.add_argument("--stages", action="store_true", help="CPU time of each step instead (one run)")
    args = parser.parse_args()
    if args.quick:
        args.districts, args.repeat = [1_000], 1
    checkouts = [("this checkout", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    print(f"load average before: {os.getloadavg()[0]:.1f} (1 minute), {os.cpu_count()} CPUs\n")
    if args.stages:
        for n in args.districts:
            config = config_for(n)
            found = {name: stages(root, config) for name, root in checkouts}
            print(f"{n:,} districts, CPU seconds per step\n")
            print("| step | " + " | ".join(found) + " |")
            print("|---|" + "---:|" * len(found))
            for step in next(iter(found.values())):
                print(f"| {step} | " + " | ".join(f"{f.get(step, float('nan')):.2f}" for f in found.values()) + " |")
            print("| total | " + " | ".join(f"{sum(f.values()):.2f}" for f in found.values()) + " |\n")
        return
    print("| districts | checkout | command | rounds | median wall | median CPU | peak memory | load avg | "
          "wall / no-analysis | wall / baseline |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.districts:
        config = config_for(n)
        cases = [(name, root, analysis) for name, root in checkouts for analysis in (True, False)]
        runs: dict[tuple, list[dict]] = {case[::2]: [] for case in cases}
        loads: dict[tuple, list[float]] = {case[::2]: [] for case in cases}
        for _ in range(args.repeat):
            for name, root, analysis in cases:  # in turn, so that other load hits every command alike
                loads[(name, analysis)].append(os.getloadavg()[0])
                runs[(name, analysis)].append(run_rank(root, config, analysis))
        wall = {k: statistics.median(r["wall"] for r in v) for k, v in runs.items()}
        for (name, analysis), rows in runs.items():
            floor = wall[(name, False)]
            base = wall.get(("baseline", analysis))
            versus = f"{wall[(name, analysis)] / base:.2f}" if base else "-"
            print(f"| {n:,} | {name} | {'rank' if analysis else 'rank --no-analysis'} | {len(rows)} | "
                  f"{wall[(name, analysis)]:.2f} s | {statistics.median(r['cpu'] for r in rows):.2f} s | "
                  f"{max(r['rss'] for r in rows):,.0f} MB | {statistics.median(loads[(name, analysis)]):.1f} | "
                  f"{wall[(name, analysis)] / floor:.2f} | {versus} |")


if __name__ == "__main__":
    main()
