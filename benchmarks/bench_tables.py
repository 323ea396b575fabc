"""Reading a configured table: ``geo.tables.read_table`` against ``pandas.read_csv`` on the same file.

    .venv/bin/python benchmarks/bench_tables.py            # 1,575 / 10,000 / 50,000 rows, 5 repetitions
    .venv/bin/python benchmarks/bench_tables.py --quick    # 1,575 / 10,000 rows, 2 repetitions

The file is the default data's census table (``data/indicators/morocco_rgph2024.csv``, 1,575 rows x
40 columns, real figures) and, for the larger sizes, its rows repeated with new district codes
(generated: they measure speed only). Three readers, side by side in the same process:

- ``geo.tables.read_table``: the project's reader (encoding, separator and formula checks, every cell
  read as text, the key kept as text, each column of plain numbers converted in one vectorised call,
  the per-cell rules only for the other columns);
- the same reader with the fast path switched off (every column through the per-cell rules), which
  is how every column was read before;
- the baseline: ``pandas.read_csv`` with the key column as text and every other column left to
  pandas' own C parser (no checks, no row numbers, no rules for decimal commas or thousands).

The table gives the median, the peak memory allocated during one call (tracemalloc) and the ratio
to ``pandas.read_csv``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Callable

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo import tables  # noqa: E402

SOURCE = ROOT / "data" / "indicators" / "morocco_rgph2024.csv"


def table_file(rows: int, folder: Path) -> Path:
    """The census table with ``rows`` rows: the real rows, repeated with new codes when more are asked."""
    real = pd.read_csv(SOURCE, dtype=str, keep_default_na=False)
    reps = -(-rows // len(real))
    big = pd.concat([real] * reps, ignore_index=True).head(rows)
    if rows > len(real):
        big["code"] = [f"G{i:07d}" for i in range(rows)]
    path = folder / f"census_{rows}.csv"
    path.write_text(big.to_csv(index=False), encoding="utf-8")
    return path


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median seconds over ``repeat`` calls, and the peak MB allocated by one call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def per_cell(path: Path) -> pd.DataFrame:
    """``read_table`` with the fast path off: every column through the per-cell rules."""
    original = tables._plain_numbers
    tables._plain_numbers = lambda values, decimal: None
    try:
        return tables.read_table(path, key="code")
    finally:
        tables._plain_numbers = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = (1575, 10_000) if args.quick else (1575, 10_000, 50_000)
    repeat = 2 if args.quick else 5
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = table_file(n, Path(tmp))
            fast = tables.read_table(path, key="code")
            slow = per_cell(path)
            pd.testing.assert_frame_equal(fast, slow)  # the fast path changes nothing
            cases = {
                "geo.tables.read_table": lambda: tables.read_table(path, key="code"),
                "read_table, per-cell rules only": lambda: per_cell(path),
                "pandas.read_csv (baseline)": lambda: pd.read_csv(path, dtype={"code": str}),
            }
            results = {name: timed(fn, repeat) for name, fn in cases.items()}
            base = results["pandas.read_csv (baseline)"][0]
            for name, (median, peak) in results.items():
                rows.append((f"{n:,} rows x {len(fast.columns)}", name, median, peak, median / base))
    out = io.StringIO()
    out.write("| table | reader | median | peak allocated | ratio to pandas.read_csv |\n|---|---|---:|---:|---:|\n")
    for size, name, median, peak, ratio in rows:
        shown = f"{median * 1000:.1f} ms" if median < 1 else f"{median:.2f} s"
        out.write(f"| {size} | {name} | {shown} | {peak:.0f} MB | {ratio:.1f} |\n")
    print(out.getvalue())


if __name__ == "__main__":
    main()
