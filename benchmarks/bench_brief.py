"""Writing district briefs: seconds per page in English, French and Arabic, side by side.

    .venv/bin/python benchmarks/bench_brief.py              # the 3 provinces most in need, 3 rounds
    .venv/bin/python benchmarks/bench_brief.py --pages 10 --repeat 1

The default data's provinces, scored as ``geo brief`` scores them (no Monte Carlo: the PDF alone is
timed). Each round writes the same pages in the three languages, interleaved, so a busy machine
slows them alike. The baseline is the English brief, which needs no text shaping (its Arabic names
are shaped line by line); French adds longer headings, and Arabic shapes every line with HarfBuzz
and orders it with the Unicode bidi algorithm. The table gives the median seconds per page, the
ratio to English and the file size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.brief import BriefInputs, brief_pdf  # noqa: E402
from geo.config import load_config  # noqa: E402
from geo.dataset import export_metadata, load_level, ranked_table, reference_values, score_level  # noqa: E402
from geo.i18n import using  # noqa: E402

LANGS = ("en", "fr", "ar")


def _inputs(config) -> BriefInputs:
    data = load_level(config, "provinces")
    weights, themes = dict(config.weights), config.scored_theme_weights({})
    result = score_level(data, weights=weights, theme_weights=themes, method=config.method)
    table = ranked_table(data, result).drop(columns="geometry").set_index("code", drop=False)
    region = data.districts["region_code" if "region_code" in data.districts else "parent_code"].astype(str)
    return BriefInputs(data=data, result=result, table=table, national=reference_values(data),
                       regional=reference_values(data, region), extra=None,
                       settings=export_metadata(config, data, result, weights=weights, theme_weights=themes),
                       title=config.title, scheme=config.display.scheme, classes=config.display.classes,
                       palette=config.display.palette,
                       theme_labels={t.id: t.label for t in config.themes.values()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    inputs = _inputs(load_config(ROOT / "config.toml"))
    codes = inputs.table.dropna(subset=["rank"]).sort_values("rank").index[: args.pages].tolist()
    with using("ar"):
        brief_pdf(inputs, codes[:1])  # loads the fonts and HarfBuzz once, outside the timings
    times: dict[str, list[float]] = {lang: [] for lang in LANGS}
    sizes: dict[str, int] = {}
    for _round in range(args.repeat):
        for lang in LANGS:
            with using(lang):
                start = time.perf_counter()
                pdf = brief_pdf(inputs, codes)
                times[lang].append((time.perf_counter() - start) / len(codes))
            sizes[lang] = len(pdf)
    base = statistics.median(times["en"])
    print(f"{len(codes)} pages, {args.repeat} round(s)")
    print(f"{'language':<10}{'s/page':>10}{'x English':>12}{'KB/page':>10}")
    for lang in LANGS:
        median = statistics.median(times[lang])
        print(f"{lang:<10}{median:>10.2f}{median / base:>12.2f}{sizes[lang] / 1024 / len(codes):>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
