"""Command line: ``python -m geo {rank,allocate,change,check,build,prepare,serve,brief}`` (installed: ``pockets ...``).

Bad input ends with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from geo.allocate import OBJECTIVES
from geo.config import Config, load_config
from geo.dataset import export_metadata, load_level, ranked_table, score_level
from geo.errors import TargetingError
from geo.i18n import LANGUAGES, using
from geo.io import EXPORT_SUFFIXES, SETTINGS_SUFFIXES, write_table
from geo.scoring import AGGREGATIONS, MISSING_POLICIES, NORMALISATIONS, OUTLIER_TREATMENTS, Method

__all__ = ["dashboard_script", "main", "pockets"]


#: Most Monte Carlo draws ``rank`` accepts, and most draws x districts (the draws matrix is float64).
MAX_DRAWS = 100_000
MAX_DRAW_CELLS = 200_000_000
#: Most permutations of local Moran's I and Gi* ``rank`` accepts.
MAX_PERMUTATIONS = 99_999
MAX_WEIGHT = 1e100


def _parse_weights(text: str | None, option: str = "--weights") -> dict[str, float]:
    """``name=number,...`` as a dict; each name once, each number finite, >= 0 and at most 1e100."""
    if not text:
        return {}
    out: dict[str, float] = {}
    example = "layer_id=2,other_layer=1" if option == "--weights" else "theme_id=2,other_theme=0.5"
    for item in text.split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        try:
            if not sep or not name:
                raise ValueError
            weight = float(value)
        except ValueError:
            raise TargetingError(f"{option}: {item!r} is not name=number; write e.g. {option} {example}") from None
        if not 0 <= weight <= MAX_WEIGHT:
            raise TargetingError(
                f"{option}: {item!r}: a weight must be a number from 0 to {MAX_WEIGHT:g}; write e.g. {option} {example}"
            )
        if name in out:
            raise TargetingError(f"{option}: {name!r} is given twice; give each name once.")
        out[name] = weight
    return out


def _check_counts(args: argparse.Namespace) -> None:
    """Refuse analysis settings out of range before anything is read or allocated."""
    if not 0 <= args.draws <= MAX_DRAWS:
        raise TargetingError(
            f"--draws {args.draws}: give a number of Monte Carlo draws from 0 (none) to {MAX_DRAWS:,}; "
            "1000 is the default and enough for stable intervals."
        )
    if not 0 <= args.permutations <= MAX_PERMUTATIONS:
        raise TargetingError(
            f"--permutations {args.permutations}: give a number from 0 to {MAX_PERMUTATIONS:,} (999 is the default)."
        )
    if not 0 <= args.noise < 1:
        raise TargetingError(f"--noise {args.noise:g}: the weight noise factor must be at least 0 and below 1 "
                             "(default 0.25).")
    if args.top_k is not None and args.top_k < 1:
        raise TargetingError(f"--top-k {args.top_k}: give a whole number >= 1.")
    if args.min_coverage is not None and not 0 <= args.min_coverage <= 1:
        raise TargetingError(f"--min-coverage {args.min_coverage:g}: must lie between 0 and 1.")


def _check_out(path: Path) -> None:
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        raise TargetingError(f"--out {path}: unsupported format; use one of {list(EXPORT_SUFFIXES)}.")
    if path.is_dir():
        raise TargetingError(f"--out {path}: is a folder; give a file name, e.g. --out {path / ('ranked' + path.suffix)}.")


STRICT_HELP = "stop at any district without a row or row without a district (default: beyond [joins] max_unmatched)"


def _build_parser(prog: str = "python -m geo") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Score and rank districts.")
    sub = parser.add_subparsers(dest="command", required=True)

    rank = sub.add_parser("rank", help="score districts and write the ranked list")
    rank.add_argument("--config", default="config.toml", type=Path)
    rank.add_argument("--level", help="admin level (default: the config's display.default_level)")
    rank.add_argument("--out", required=True, type=Path, help=f"output file: {', '.join(EXPORT_SUFFIXES)}")
    rank.add_argument("--layers", help="comma-separated layer ids (default: all configured)")
    rank.add_argument("--weights", help="layer weights, as layer_id=number pairs separated by commas")
    rank.add_argument("--theme-weights", help="theme weights, as theme_id=number pairs separated by commas")
    rank.add_argument("--normalisation", choices=NORMALISATIONS)
    rank.add_argument("--aggregation", choices=AGGREGATIONS)
    rank.add_argument("--missing", choices=MISSING_POLICIES)
    rank.add_argument("--min-coverage", type=float)
    rank.add_argument("--outliers", choices=OUTLIER_TREATMENTS)
    rank.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws for rank uncertainty (0: none)")
    rank.add_argument("--noise", type=float, default=0.25, help="weight noise factor of the Monte Carlo")
    rank.add_argument("--top-k", type=int, help="k of the probability of being in the top k (default: display.top_n)")
    rank.add_argument("--seed", type=int, default=0)
    rank.add_argument("--permutations", type=int, default=999, help="permutations of local Moran's I and Gi*")
    rank.add_argument("--fdr", action=argparse.BooleanOptionalAction, default=None,
                      help="false-discovery-rate control for the clusters (default: the config's uncertainty.fdr, on)")
    rank.add_argument("--data-draws", action=argparse.BooleanOptionalAction, default=None,
                      help="the Monte Carlo draws the data too (default: the config's uncertainty.data, on)")
    rank.add_argument("--shrinkage", choices=("none", "empirical_bayes"),
                      help="empirical-Bayes shrinkage of small-population rates (default: uncertainty.shrinkage)")
    rank.add_argument("--no-analysis", action="store_true", help="only the ranking, without the analytics columns")
    rank.add_argument("--strict", action="store_true", help=STRICT_HELP)

    allocate = sub.add_parser("allocate", help="split a budget between districts; compare with the usual rules")
    allocate.add_argument("--config", default="config.toml", type=Path)
    allocate.add_argument("--level", help="admin level (default: the config's display.default_level)")
    allocate.add_argument("--out", required=True, type=Path, help="the plan: .csv or .xlsx")
    allocate.add_argument("--compare-out", type=Path, help="the comparison with the usual rules: .csv or .xlsx")
    allocate.add_argument("--budget", type=float, help="total budget (> 0)")
    allocate.add_argument("--objective", choices=OBJECTIVES)
    allocate.add_argument("--cost-per-person", type=float, help="cost of reaching one person (default 1)")
    allocate.add_argument("--fixed-cost", type=float, help="fixed cost of funding a district (default 0)")
    allocate.add_argument("--floors", help="least amount per district, e.g. 01.051=1e6,01.061=5e5")
    allocate.add_argument("--caps", help="most amount per district, e.g. 06.141=2e8")
    allocate.add_argument("--region-shares", help="least share of the budget per region, e.g. 08=0.1,11=0.05")
    allocate.add_argument("--exclude", help="comma-separated district codes that get nothing")
    allocate.add_argument("--force", help="comma-separated district codes that must be funded")
    allocate.add_argument("--target", help="people in need: 'composite' (default) or a percentage layer id")
    allocate.add_argument("--need-deciles", type=int, help="deciles classified in need (default 2)")
    allocate.add_argument("--draws", type=int, help="Monte Carlo draws for P(funded) (default 1000; 0: none)")
    allocate.add_argument("--scenario", type=Path, help="a saved scenario (TOML or JSON) giving every setting")
    for opt in ("--layers", "--weights", "--theme-weights"):
        allocate.add_argument(opt)
    allocate.add_argument("--normalisation", choices=NORMALISATIONS)
    allocate.add_argument("--aggregation", choices=AGGREGATIONS)
    allocate.add_argument("--missing", choices=MISSING_POLICIES)

    change = sub.add_parser("change", help="compare two vintages (the config's [change]); districts left behind")
    change.add_argument("--config", default="config.toml", type=Path)
    change.add_argument("--level", help="admin level (default: the config's display.default_level)")
    change.add_argument("--out", required=True, type=Path, help=f"output file: {', '.join(EXPORT_SUFFIXES)}")
    change.add_argument("--tolerance", type=float,
                        help="how much the gap to the country must widen to count (layer units; default: the "
                             "config's change.tolerance, else each layer's published precision, 0.1 for HCP)")
    change.add_argument("--min-layers", type=int,
                        help="layers to fall behind on (default: half of those compared for each district)")

    check = sub.add_parser("check", help="validate a config and its data; print the join reports")
    check.add_argument("--config", default="config.toml", type=Path)
    check.add_argument("--level", help="only this level")
    check.add_argument("--strict", action="store_true", help=STRICT_HELP)
    check.add_argument("--full", action="store_true", help="list every unmatched item, not the first ten")

    build = sub.add_parser("build", help="rebuild the dataset with the config's build script")
    build.add_argument("--config", default="config.toml", type=Path)

    prepare = sub.add_parser(
        "prepare", help="compute every layer of a level on the config's [engine]; write the district table"
    )
    prepare.add_argument("--config", default="config.toml", type=Path)
    prepare.add_argument("--level", help="admin level (default: the config's display.default_level)")
    prepare.add_argument("--out", required=True, type=Path,
                         help=f"output file: {', '.join(EXPORT_SUFFIXES)} (.parquet is GeoParquet)")
    prepare.add_argument("--strict", action="store_true", help=STRICT_HELP)

    serve = sub.add_parser("serve", help="start the dashboard on a configuration")
    serve.add_argument("--config", default="config.toml", type=Path)
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument("--address", default="localhost", help="interface to listen on (default: localhost)")
    serve.add_argument("--no-warmup", action="store_true",
                       help="do not prepare the default view (map and analytics) when the server starts")
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
    brief.add_argument("--lang", default="en", choices=sorted(LANGUAGES),
                       help="language of the brief: en, fr (French numbers) or ar (Arabic, right to left)")
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
    _check_counts(args)
    _check_out(args.out)
    config = load_config(args.config)
    level = args.level or config.display.default_level
    layers = [s.strip() for s in args.layers.split(",")] if args.layers else None
    if layers is not None and len(set(layers)) != len(layers):
        twice = sorted({l for l in layers if layers.count(l) > 1})
        raise TargetingError(f"--layers: {twice} given twice; give each layer once.")
    given = _parse_weights(args.weights)
    given_themes = _parse_weights(args.theme_weights, "--theme-weights")
    weights = {**config.weights, **given}
    data = load_level(config, level, layers=layers, strict=args.strict)
    unknown = sorted(set(given) - set(data.values.columns))
    if unknown:
        raise TargetingError(f"--weights names layer(s) {unknown} not in use; layers: {list(data.values.columns)}")
    themes = sorted({l.theme for l in data.layers})
    unknown_themes = sorted(set(given_themes) - set(themes))
    if unknown_themes:
        raise TargetingError(
            f"--theme-weights names theme(s) {unknown_themes} that no layer in use belongs to; themes: {themes}."
        )
    theme_weights = config.scored_theme_weights(given_themes)
    if not args.no_analysis and args.draws * len(data.districts) > MAX_DRAW_CELLS:
        raise TargetingError(
            f"--draws {args.draws}: {args.draws:,} draws x {len(data.districts):,} districts is more than the limit "
            f"of {MAX_DRAW_CELLS:,} ranks held in memory; give at most {MAX_DRAW_CELLS // len(data.districts):,} draws."
        )
    shrink_note = None
    if (args.shrinkage or config.uncertainty.shrinkage) == "empirical_bayes":
        data, shrink_note = _shrunk(config, data)
    result = score_level(data, weights=weights, theme_weights=theme_weights, method=_method(config, args))
    extra, notes = None, {}
    if not args.no_analysis:
        extra, notes = _analysis(config, level, data, result, weights, theme_weights, args,
                                 sensitivity_note=args.out.suffix.lower() in SETTINGS_SUFFIXES)
    notes["shrinkage"] = shrink_note or "none (rates as published)"
    table = ranked_table(data, result, extra)
    meta = export_metadata(config, data, result, weights=weights, theme_weights=theme_weights)
    meta.update({f"analysis.{k}": v for k, v in notes.items()})
    write_table(table, args.out, metadata=meta)
    for line in data.report_lines() + result.notes:
        print(line, file=sys.stderr)
    if "groups of districts with no border" in notes.get("cluster", ""):  # said once, in the project's words
        print(f"clusters: {notes['cluster']}", file=sys.stderr)
    if len(result.unscored):
        print(f"{len(result.unscored)} district(s) not scored (listed at the end of the file, without rank).",
              file=sys.stderr)
    print(f"wrote {len(table)} districts to {args.out}", file=sys.stderr)
    return 0


def _change(args: argparse.Namespace) -> int:
    from geo.change import change_export, change_metadata, compare_vintages

    _check_out(args.out)
    config = load_config(args.config)
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


def _shrunk(config, data):
    """The level with its small-population rates shrunk (empirical Bayes), and the note saying so."""
    from dataclasses import replace

    from geo.sampling import measured_on, shrink_rates

    trials = measured_on(data.layers, data.tables, config.uncertainty.sampling, table_paths=data.table_paths)
    values, note = shrink_rates(data.values, trials)
    return replace(data, values=values), note
def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


def _allocate(args: argparse.Namespace) -> int:
    from geo.analysis import AnalysisSettings, monte_carlo
    from geo.allocate import investment_metadata, invest
    from geo.scenario import Scenario, load_scenario

    config = load_config(args.config)
    for out in (args.out, args.compare_out):
        if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
            raise TargetingError(f"--out {out}: unsupported format for a plan; use .csv or .xlsx.")
    scenario = load_scenario(args.scenario, config) if args.scenario else Scenario.default(config)
    allocation = scenario.allocation
    changes = {
        "budget": args.budget, "objective": args.objective, "per_person": args.cost_per_person,
        "fixed": args.fixed_cost, "target": args.target, "need_deciles": args.need_deciles, "draws": args.draws,
        "floors": _parse_weights(args.floors) if args.floors else None,
        "caps": _parse_weights(args.caps) if args.caps else None,
        "region_shares": _parse_weights(args.region_shares) if args.region_shares else None,
        "excluded": _codes(args.exclude) or None, "forced": _codes(args.force) or None,
    }
    allocation = dataclasses.replace(allocation, **{k: v for k, v in changes.items() if v is not None})
    if not allocation.budget or allocation.budget <= 0:
        raise TargetingError(f"--budget {allocation.budget!r}: give a budget above 0 (e.g. --budget 5e9).")
    level = args.level or scenario.level or config.display.default_level
    layers = [s.strip() for s in args.layers.split(",")] if args.layers else scenario.layers
    weights = {**scenario.weights, **_parse_weights(args.weights)}
    theme_weights = {**scenario.theme_weights, **_parse_weights(args.theme_weights)}
    method = dataclasses.replace(scenario.method, **{k: v for k, v in (
        ("normalisation", args.normalisation), ("aggregation", args.aggregation), ("missing", args.missing))
        if v is not None})
    data = load_level(config, level)
    result = score_level(data, weights=weights, theme_weights=theme_weights, method=method, layers=layers)
    uncertainty = None
    if allocation.draws > 0:
        uncertainty = monte_carlo(data, result, weights=weights, theme_weights=theme_weights,
                                  settings=AnalysisSettings(draws=allocation.draws, top_k=config.display.top_n))
    investment = invest(data, result, allocation, roles=config.roles, uncertainty=uncertainty, weights=weights,
                        theme_weights=theme_weights)
    meta = export_metadata(config, data, result, weights=weights, theme_weights=theme_weights)
    meta.update(investment_metadata(allocation, investment))
    write_table(investment.table, args.out, metadata=meta)
    if args.compare_out is not None:
        write_table(investment.comparison.reset_index(), args.compare_out, metadata=meta)
    for line in data.report_lines() + result.notes + list(investment.notes):
        print(line, file=sys.stderr)
    plan = investment.plan
    print(f"{int(plan.table['funded'].sum())} of {len(plan.table)} districts funded, {plan.spent:,.0f} of "
          f"{plan.budget:,.0f} spent ({plan.solver}); wrote {args.out}", file=sys.stderr)
    return 0


def _brief(args: argparse.Namespace) -> int:
    from geo.brief import BriefInputs, write_brief
    from geo.dataset import reference_values
    from geo.fonts import font_files

    config = load_config(args.config)
    if args.out.suffix.lower() != ".pdf":
        raise TargetingError(f"--out {args.out}: a brief is a PDF; name the file e.g. brief.pdf.")
    font_files()  # a missing font says so before the analysis runs
    if args.top is not None and args.top < 1:
        raise TargetingError(f"--top {args.top}: give the number of districts, 1 or more (e.g. --top 10).")
    level = args.level or config.display.default_level
    data = load_level(config, level)
    weights, theme_weights = dict(config.weights), config.scored_theme_weights({})  # as `rank` without options
    result = score_level(data, weights=weights, theme_weights=theme_weights, method=config.method)
    args.top_k = None
    extra, notes = _analysis(config, level, data, result, weights, theme_weights, args) if args.draws else (None, {})
    table = ranked_table(data, result, extra).drop(columns="geometry").set_index("code", drop=False)
    meta = export_metadata(config, data, result, weights=weights, theme_weights=theme_weights)
    region = data.districts["region_code" if "region_code" in data.districts else "parent_code"].astype(str)
    inputs = BriefInputs(data=data, result=result, table=table, national=reference_values(data),
                         regional=reference_values(data, region), extra=extra, settings=meta,
                         title=config.title, scheme=config.display.scheme, classes=config.display.classes,
                         palette=config.display.palette,
                         theme_labels={t.id: t.label for t in config.themes.values()})
    codes = args.code or table.dropna(subset=["rank"]).sort_values("rank").index[: args.top].tolist()
    with using(args.lang):
        write_brief(args.out, inputs, codes)
    print(f"wrote {len(codes)} brief page(s) to {args.out}", file=sys.stderr)
    return 0


def _analysis(config, level, data, result, weights, theme_weights, args, *, sensitivity_note=True):
    from geo.analysis import AnalysisSettings, analysis_columns

    unc = config.uncertainty
    # `brief` has no --top-k nor --data-draws: the config's values then
    top_k, data_draws = getattr(args, "top_k", None), getattr(args, "data_draws", None)
    settings = AnalysisSettings(
        draws=args.draws, noise=args.noise, top_k=top_k or config.display.top_n, seed=args.seed,
        permutations=args.permutations, fdr=unc.fdr if args.fdr is None else args.fdr,
        data=unc.data if data_draws is None else data_draws, sampling=unc.sampling,
    )
    child = config.child_level(level)
    lower = load_level(config, child, layers=list(data.values.columns)) if child else None
    return analysis_columns(data, result, weights=weights, theme_weights=theme_weights,
                            roles=config.roles, settings=settings, lower=lower, sensitivity_note=sensitivity_note)


def _check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    levels = [args.level] if args.level else list(config.levels)
    incomplete = 0
    for level in levels:
        data = load_level(config, level, strict=args.strict)
        print(f"[{level}] {len(data.districts)} districts, {data.values.shape[1]} layers")
        for line in data.report_lines(full=args.full):
            print(f"  {line}")
        for layer in data.layers:
            have = int(data.values[layer.id].notna().sum())
            print(f"  layer {layer.id}: {have}/{len(data.values)} districts with data")
        print(f"  index checks (the configuration's weights and method, outliers = {config.method.outliers}):")
        for line in _index_check_lines(config, data):
            print(f"    {line}")
        incomplete += sum(not r.complete for r in (*data.join_reports, *data.point_reports))
    limit = f"within [joins] max_unmatched = {config.joins.max_unmatched:g}"
    print("configuration OK" + (f"; {incomplete} join(s) or point file(s) with unmatched items (listed above, "
                                f"{limit}; --strict stops at any)" if incomplete else ""))
    return 0


def _index_check_lines(config, data) -> list[str]:
    from geo.quality import check_lines, index_checks

    result = score_level(data, weights=config.weights, theme_weights=config.theme_weights, method=config.method)
    checks = index_checks(data.values, result, {l.id: l.theme for l in data.layers},
                          {l.id: l.higher_is_worse for l in data.layers}, population=data.population,
                          names=data.districts["name"].astype(str).to_dict(), thresholds=config.checks)
    return check_lines(checks)


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

    _check_out(args.out)
    config = load_config(args.config)
    level = args.level or config.display.default_level
    with open_engine(config.engine) as engine:
        described = engine.describe()
        data = load_level(config, level, engine=engine, strict=args.strict)
    table = prepared_table(data)
    write_table(table, args.out, metadata=prepared_metadata(data, config_name=config.path.name, engine=described))
    for line in data.report_lines():
        print(line, file=sys.stderr)
    print(f"wrote {len(table)} districts x {len(data.layers)} layers to {args.out} (engine: {described})",
          file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Start the dashboard (``streamlit run``) on a configuration, from any folder."""
    config = load_config(args.config)  # a broken configuration stops here, with its message
    command = [sys.executable, "-m", "streamlit", "run", str(dashboard_script()), "--server.port", str(args.port),
               "--server.address", args.address, "--server.headless", "true",
               "--server.enableStaticServing", "true", "--server.fileWatcherType", "none",
               "--global.minCachedMessageSize", "100",
               "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "POCKETS_CONFIG": str(config.path)}
    if not args.no_warmup:  # the default view computed once, before the first person opens the link
        host = "127.0.0.1" if args.address in ("", "0.0.0.0", "::") else args.address
        subprocess.Popen([sys.executable, "-m", "ui.warmup", f"http://{host}:{args.port}"], env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    if os.name == "posix":  # become the server, so that stopping this command stops it
        os.execve(sys.executable, command, env)
    return subprocess.run(command, env=env).returncode


def dashboard_script() -> Path:
    """The dashboard's entry script: ``app.py`` next to the ``ui`` package (the clone, or an install).

    Streamlit serves the map's files from ``static/`` next to this script.

    Raises
    ------
    TargetingError
        If the dashboard is not installed next to ``geo``.
    """
    import importlib.util

    spec = importlib.util.find_spec("ui")
    if spec is None or not spec.submodule_search_locations:
        raise TargetingError("the dashboard (package 'ui') is not installed; reinstall with `pip install .`.")
    script = Path(list(spec.submodule_search_locations)[0]).parent / "app.py"
    if not script.exists():
        raise TargetingError(f"{script}: the dashboard's entry script is missing; reinstall with `pip install .`.")
    return script


def main(argv: Sequence[str] | None = None, prog: str = "python -m geo") -> int:
    """Run the command line; return the exit code."""
    parser = _build_parser(prog)
    args = parser.parse_args(argv)
    try:
        commands = {"rank": _rank, "allocate": _allocate, "change": _change, "check": _check, "build": _build,
                    "prepare": _prepare, "serve": _serve, "brief": _brief}
        code = commands[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return code
    except TargetingError as exc:
        message = " ".join(str(exc).split())
        print(f"error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of the output went away (`python -m geo check | head -1`): stop quietly, as
        # Unix tools do; point stdout at /dev/null so that Python's exit flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def pockets() -> int:
    """The ``pockets`` command installed by ``pip install .`` (same subcommands as ``python -m geo``)."""
    return main(prog="pockets")
