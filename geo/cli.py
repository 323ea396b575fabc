"""Command line: ``python -m geo {rank,change,check,build,prepare,brief}``.

Bad input ends with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from geo.config import Config, load_config
from geo.dataset import export_metadata, load_level, ranked_table, score_level
from geo.errors import TargetingError
from geo.io import EXPORT_SUFFIXES, write_table
from geo.scoring import AGGREGATIONS, MISSING_POLICIES, NORMALISATIONS, OUTLIER_TREATMENTS, Method

__all__ = ["main"]


def _parse_weights(text: str | None) -> dict[str, float]:
    if not text:
        return {}
    out = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise TargetingError(
                f"--weights: {item!r} is not name=number; write e.g. --weights illiteracy=2,unemployment=1"
            ) from None
    return out


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description="Score and rank districts.")
    sub = parser.add_subparsers(dest="command", required=True)

    rank = sub.add_parser("rank", help="score districts and write the ranked list")
    rank.add_argument("--config", default="config.toml", type=Path)
    rank.add_argument("--level", help="admin level (default: the config's display.default_level)")
    rank.add_argument("--out", required=True, type=Path, help=f"output file: {', '.join(EXPORT_SUFFIXES)}")
    rank.add_argument("--layers", help="comma-separated layer ids (default: all configured)")
    rank.add_argument("--weights", help="layer weights, e.g. illiteracy=2,unemployment=1")
    rank.add_argument("--theme-weights", help="theme weights, e.g. poverty=2,infrastructure=0.5")
    rank.add_argument("--normalisation", choices=NORMALISATIONS)
    rank.add_argument("--aggregation", choices=AGGREGATIONS)
    rank.add_argument("--missing", choices=MISSING_POLICIES)
    rank.add_argument("--min-coverage", type=float)
    rank.add_argument("--outliers", choices=OUTLIER_TREATMENTS)
    rank.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws for rank uncertainty (0: none)")
    rank.add_argument("--noise", type=float, default=0.25, help="weight noise factor of the Monte Carlo")
    rank.add_argument("--top-k", type=int, help="k of the probability of being in the top k (default: display.top_n)")
    rank.add_argument("--seed", type=int, default=0)
    rank.add_argument("--permutations", type=int, default=999, help="permutations of local Moran's I")
    rank.add_argument("--fdr", action="store_true", help="false-discovery-rate control for the clusters")
    rank.add_argument("--no-analysis", action="store_true", help="only the ranking, without the analytics columns")

    change = sub.add_parser("change", help="compare two vintages (the config's [change]); districts left behind")
    change.add_argument("--config", default="config.toml", type=Path)
    change.add_argument("--level", help="admin level (default: the config's display.default_level)")
    change.add_argument("--out", required=True, type=Path, help=f"output file: {', '.join(EXPORT_SUFFIXES)}")
    change.add_argument("--tolerance", type=float, default=0.0,
                        help="how much the gap to the country must widen to count (layer units)")
    change.add_argument("--min-layers", type=int, help="layers to fall behind on (default: half of those compared)")

    check = sub.add_parser("check", help="validate a config and its data; print the join reports")
    check.add_argument("--config", default="config.toml", type=Path)
    check.add_argument("--level", help="only this level")

    build = sub.add_parser("build", help="rebuild the dataset with the config's build script")
    build.add_argument("--config", default="config.toml", type=Path)

    prepare = sub.add_parser(
        "prepare", help="compute every layer of a level on the config's [engine]; write the district table"
    )
    prepare.add_argument("--config", default="config.toml", type=Path)
    prepare.add_argument("--level", help="admin level (default: the config's display.default_level)")
    prepare.add_argument("--out", required=True, type=Path,
                         help=f"output file: {', '.join(EXPORT_SUFFIXES)} (.parquet is GeoParquet)")
    brief = sub.add_parser("brief", help="one-page district briefs (PDF): map, rank, why, indicators, sources")
    brief.add_argument("--config", default="config.toml", type=Path)
    brief.add_argument("--level", help="admin level (default: the config's display.default_level)")
    brief.add_argument("--out", required=True, type=Path, help="output file (.pdf)")
    which = brief.add_mutually_exclusive_group(required=True)
    which.add_argument("--code", action="append", help="district code (repeat for several pages)")
    which.add_argument("--top", type=int, help="the N districts most in need, one page each")
    brief.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws for the rank interval (0: none)")
    brief.add_argument("--noise", type=float, default=0.25, help="weight noise factor of the Monte Carlo")
    brief.add_argument("--seed", type=int, default=0)
    brief.add_argument("--permutations", type=int, default=999, help="permutations of local Moran's I")
    brief.add_argument("--fdr", action="store_true", help="false-discovery-rate control for the clusters")
    return parser


def _method(config: Config, args: argparse.Namespace) -> Method:
    base = config.method
    return Method(
        normalisation=args.normalisation or base.normalisation,
        aggregation=args.aggregation or base.aggregation,
        missing=args.missing or base.missing,
        min_coverage=base.min_coverage if args.min_coverage is None else args.min_coverage,
        outliers=args.outliers or base.outliers,
    )


def _rank(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.out.suffix.lower() not in EXPORT_SUFFIXES:
        raise TargetingError(f"--out {args.out}: unsupported format; use one of {list(EXPORT_SUFFIXES)}.")
    level = args.level or config.display.default_level
    layers = [s.strip() for s in args.layers.split(",")] if args.layers else None
    weights = {**config.weights, **_parse_weights(args.weights)}
    theme_weights = {**config.theme_weights, **_parse_weights(args.theme_weights)}
    data = load_level(config, level, layers=layers)
    unknown = sorted(set(weights) - set(data.values.columns))
    if unknown and args.weights:
        raise TargetingError(f"--weights names layer(s) {unknown} not in use; layers: {list(data.values.columns)}")
    result = score_level(data, weights=weights, theme_weights=theme_weights, method=_method(config, args))
    extra, notes = None, {}
    if not args.no_analysis:
        extra, notes = _analysis(config, level, data, result, weights, theme_weights, args)
    table = ranked_table(data, result, extra)
    meta = export_metadata(config, data, result, weights=weights, theme_weights=theme_weights)
    meta.update({f"analysis.{k}": v for k, v in notes.items()})
    write_table(table, args.out, metadata=meta, columns=_column_sheet(table, data))
    for line in data.report_lines() + result.notes:
        print(line, file=sys.stderr)
    if len(result.unscored):
        print(f"{len(result.unscored)} district(s) not scored (listed at the end of the file, without rank).",
              file=sys.stderr)
    print(f"wrote {len(table)} districts to {args.out}", file=sys.stderr)
    return 0


def _change(args: argparse.Namespace) -> int:
    from geo.change import change_export, change_metadata, compare_vintages

    config = load_config(args.config)
    if args.out.suffix.lower() not in EXPORT_SUFFIXES:
        raise TargetingError(f"--out {args.out}: unsupported format; use one of {list(EXPORT_SUFFIXES)}.")
    data = load_level(config, args.level or config.display.default_level)
    result = compare_vintages(config, data, tolerance=args.tolerance, min_layers=args.min_layers)
    table = change_export(data, result)
    if args.out.suffix.lower() in (".gpkg", ".geojson"):
        import geopandas as gpd

        table = gpd.GeoDataFrame(table, geometry=data.districts.geometry.reindex(table["code"]).to_numpy(),
                                 crs=data.districts.crs)
    write_table(table, args.out, metadata=change_metadata(data, result))
    for line in result.report:
        print(line, file=sys.stderr)
    print(f"{int(result.table['left_behind'].sum())} of {len(table)} districts left behind "
          f"({result.labels[0]} -> {result.labels[1]}, {len(result.layers)} layers compared); wrote {args.out}",
          file=sys.stderr)
    return 0


def _column_sheet(table, data):
    """The plain label and meaning of every column of the ranked export (the Excel ``columns`` sheet)."""
    from geo.labels import column_sheet
    from layers import THEMES

    return column_sheet([c for c in table.columns if c != "geometry"], data.layers, THEMES)


def _brief(args: argparse.Namespace) -> int:
    from geo.brief import BriefInputs, write_brief
    from geo.dataset import reference_values

    config = load_config(args.config)
    if args.out.suffix.lower() != ".pdf":
        raise TargetingError(f"--out {args.out}: a brief is a PDF; name the file e.g. brief.pdf.")
    if args.top is not None and args.top < 1:
        raise TargetingError(f"--top {args.top}: give the number of districts, 1 or more (e.g. --top 10).")
    level = args.level or config.display.default_level
    data = load_level(config, level)
    weights, theme_weights = dict(config.weights), dict(config.theme_weights)
    result = score_level(data, weights=weights, theme_weights=theme_weights, method=config.method)
    args.top_k = None
    extra, notes = _analysis(config, level, data, result, weights, theme_weights, args) if args.draws else (None, {})
    table = ranked_table(data, result, extra).drop(columns="geometry").set_index("code", drop=False)
    meta = export_metadata(config, data, result, weights=weights, theme_weights=theme_weights)
    region = data.districts["region_code" if "region_code" in data.districts else "parent_code"].astype(str)
    inputs = BriefInputs(data=data, result=result, table=table, national=reference_values(data),
                         regional=reference_values(data, region), extra=extra, settings=meta,
                         title=config.title, scheme=config.display.scheme, classes=config.display.classes)
    codes = args.code or table.dropna(subset=["rank"]).sort_values("rank").index[: args.top].tolist()
    write_brief(args.out, inputs, codes)
    print(f"wrote {len(codes)} brief page(s) to {args.out}", file=sys.stderr)
    return 0


def _analysis(config, level, data, result, weights, theme_weights, args):
    from geo.analysis import AnalysisSettings, analysis_columns
    from layers import THEMES

    settings = AnalysisSettings(
        draws=args.draws, noise=args.noise, top_k=args.top_k or config.display.top_n, seed=args.seed,
        permutations=args.permutations, fdr=args.fdr,
    )
    child = config.child_level(level)
    lower = load_level(config, child, layers=list(data.values.columns)) if child else None
    return analysis_columns(data, result, weights=weights, theme_weights=theme_weights,
                            roles={t: THEMES[t].role for t in THEMES}, settings=settings, lower=lower)


def _check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    levels = [args.level] if args.level else list(config.levels)
    incomplete = 0
    for level in levels:
        data = load_level(config, level)
        print(f"[{level}] {len(data.districts)} districts, {data.values.shape[1]} layers")
        for line in data.report_lines():
            print(f"  {line}")
        for layer in data.layers:
            have = int(data.values[layer.id].notna().sum())
            print(f"  layer {layer.id}: {have}/{len(data.values)} districts with data")
        incomplete += sum(not r.complete for r in data.join_reports)
    print("configuration OK" + (f"; {incomplete} join(s) with unmatched items (listed above)" if incomplete else ""))
    return 0


def _build(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if config.build_script is None:
        raise TargetingError(f"{config.path}: no [build] script configured; add script = \"scripts/...\".")
    if not config.build_script.exists():
        raise TargetingError(f"{config.path}: build.script {config.build_script} not found; fix the path.")
    done = subprocess.run([sys.executable, str(config.build_script)], cwd=config.base_dir)
    return 0 if done.returncode == 0 else 2


def _prepare(args: argparse.Namespace) -> int:
    from geo.engine import open_engine
    from geo.prepared import prepared_metadata, prepared_table

    config = load_config(args.config)
    if args.out.suffix.lower() not in EXPORT_SUFFIXES:
        raise TargetingError(f"--out {args.out}: unsupported format; use one of {list(EXPORT_SUFFIXES)}.")
    level = args.level or config.display.default_level
    with open_engine(config.engine) as engine:
        described = engine.describe()
        data = load_level(config, level, engine=engine)
    table = prepared_table(data)
    write_table(table, args.out, metadata=prepared_metadata(data, config_name=config.path.name, engine=described))
    for line in data.report_lines():
        print(line, file=sys.stderr)
    print(f"wrote {len(table)} districts x {len(data.layers)} layers to {args.out} (engine: {described})",
          file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        commands = {"rank": _rank, "change": _change, "check": _check, "build": _build, "prepare": _prepare,
                    "brief": _brief}
        return commands[args.command](args)
    except TargetingError as exc:
        message = " ".join(str(exc).split())
        print(f"error: {message}", file=sys.stderr)
        return 2
