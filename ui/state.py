"""Dashboard state: the view in the URL, and cached access to the engine.

The whole view (level, layers, weights, methods, filters, selected district,
map layer) lives in the URL query parameters, so a copied URL restores it.
Expensive work (reading files, joins, zonal statistics) is cached with
``st.cache_data``, keyed by its arguments: a weight change only re-scores, it
never re-reads files. Streamlit returns copies of cached data, so no session
can change another's.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geo.config import SCHEMES, Config, load_config
from geo.dataset import LevelData, load_level, ranked_table, score_level
from geo.errors import TargetingError
from geo.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, _, format_number, get_language
from geo.scoring import AGGREGATIONS, MISSING_POLICIES, NORMALISATIONS, Method, ScoreResult
from ui.text import plain

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PATH = Path(os.environ.get("POCKETS_CONFIG", ROOT / "config.toml"))
AREAS = ("all", "urban", "rural")
WEIGHT_RANGE = (0.0, 5.0)  # the sidebar's weight sliders
PROBLEMS_KEY = "view_problems"  # session_state: (view, [message, ...]) read from the URL
UPLOADS_KEY = "uploaded_layers"  # session_state: {level: {layer_id: (Layer, pandas.Series)}}


@st.cache_resource(show_spinner=False)
def config() -> Config:
    """The validated configuration (frozen, safe to share between sessions)."""
    return load_config(CONFIG_PATH)


def theme_labels() -> dict[str, str]:
    """Theme id -> label, as the configuration declares them."""
    return {t.id: t.label for t in config().themes.values()}


# ----------------------------------------------------------------------------- the view
@dataclass(frozen=True)
class View:
    """Everything that defines what the user sees; round-trips through the URL."""

    level: str
    layers: tuple[str, ...]
    weights: Mapping[str, float] = field(default_factory=dict)
    theme_weights: Mapping[str, float] = field(default_factory=dict)
    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    missing: str = "renormalise"
    map_layer: str = "score"
    scheme: str = "quantiles"
    classes: int = 5
    region: str = ""
    area: str = "all"
    min_population: int = 0
    top_n: int = 10
    selected: str = ""
    lang: str = DEFAULT_LANGUAGE

    @property
    def method(self) -> Method:
        """The scoring method of this view (min coverage from the config)."""
        return Method(normalisation=self.normalisation, aggregation=self.aggregation, missing=self.missing,
                      min_coverage=config().method.min_coverage, outliers=config().method.outliers)

    def replace(self, **changes: Any) -> "View":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def default_view(level: str | None = None) -> View:
    """The view defined by the configuration."""
    cfg = config()
    return View(
        level=level or cfg.display.default_level,
        layers=tuple(l.id for l in cfg.layers),
        weights={l.id: float(cfg.weights.get(l.id, 1.0)) for l in cfg.layers},
        theme_weights={t: float(cfg.theme_weights.get(t, 1.0)) for t in sorted({l.theme for l in cfg.layers})},
        normalisation=cfg.method.normalisation,
        aggregation=cfg.method.aggregation,
        missing=cfg.method.missing,
        scheme=cfg.display.scheme,
        classes=cfg.display.classes,
        top_n=cfg.display.top_n,
    )


def _pairs(text: str) -> dict[str, float]:
    out = {}
    for item in filter(None, text.split(",")):
        name, sep, value = item.partition(":")
        if not sep or not name:
            raise ValueError(item)
        out[name] = float(value)
    return out


def _clamped(weights: Mapping[str, float], what: str, problems: list[str]) -> dict[str, float]:
    """Weights within the sliders' range; NaN dropped; out-of-range values (``inf`` too) clamped, with a message."""
    low, high = WEIGHT_RANGE
    out = {}
    for name, w in weights.items():
        if w != w:
            problems.append(_("Ignored the {what} {name}:nan in the link (not a number).").format(what=_(what), name=name))
            continue
        if not low <= w <= high:
            clamped = min(max(w, low), high)
            problems.append(_("The {what} {name}:{w} in the link is outside {low}-{high}; using {clamped}.").format(
                what=_(what), name=name, w=f"{w:g}", low=f"{low:g}", high=f"{high:g}", clamped=f"{clamped:g}"))
            w = clamped
        out[name] = w
    return out


def view_from_query(params: Mapping[str, str], extra_layers: tuple[str, ...] = ()) -> tuple[View, list[str]]:
    """Read a view from URL query parameters; bad values fall back to defaults, with messages."""
    cfg = config()
    problems: list[str] = []
    level = params.get("level", cfg.display.default_level)
    if level not in cfg.levels:
        problems.append(_("Unknown level {level!r} in the link; showing {default!r}.").format(
            level=level, default=cfg.display.default_level))
        level = cfg.display.default_level
    view = default_view(level)
    known = set(view.layers) | set(extra_layers)
    changes: dict[str, Any] = {}

    def take(key: str, convert, allowed=None):
        if key not in params:
            return
        try:
            value = convert(params[key])
            if allowed is not None and value not in allowed:
                raise ValueError
            changes[key] = value
        except (ValueError, TypeError):
            problems.append(_("Ignored {key}={value!r} in the link (not a valid value).").format(
                key=key, value=params[key]))

    take("layers", lambda s: tuple(x for x in s.split(",") if x))
    if "layers" in changes and (not changes["layers"] or not set(changes["layers"]) <= known):
        problems.append(_("Ignored layers in the link: unknown layer id(s)."))
        changes.pop("layers")
    take("weights", _pairs)
    take("theme_weights", _pairs)
    for key, allowed in (("normalisation", NORMALISATIONS), ("aggregation", AGGREGATIONS),
                         ("missing", MISSING_POLICIES), ("scheme", SCHEMES), ("area", AREAS)):
        take(key, str, allowed)
    take("classes", int, range(2, 10))
    take("top_n", int, range(0, 101))
    take("min_population", int, range(0, 10**12))
    take("region", str)
    take("selected", str)
    take("map_layer", str)
    take("lang", str, LANGUAGES)
    if "weights" in changes:
        bad = [k for k in changes["weights"] if k not in known]
        if bad:
            problems.append(_("Ignored weights for {layers} in the link (no such layer).").format(layers=bad))
        given = _clamped({k: w for k, w in changes["weights"].items() if k not in bad}, N_("weight"), problems)
        changes["weights"] = {**view.weights, **given}
    if "theme_weights" in changes:
        themes = set(view.theme_weights)
        bad = [k for k in changes["theme_weights"] if k not in themes]
        if bad:
            problems.append(_("Ignored theme weights for {themes} in the link (no such theme in use).").format(themes=bad))
        given = _clamped({k: w for k, w in changes["theme_weights"].items() if k not in bad}, N_("theme weight"),
                         problems)
        changes["theme_weights"] = {**view.theme_weights, **given}
    if changes.get("min_population"):
        largest = _largest_population(level)
        if largest is not None and changes["min_population"] > largest:
            problems.append(
                _("The minimum population {minimum} in the link is above the largest district "
                  "({largest} people); showing every district.").format(
                    minimum=format_number(changes["min_population"], 0), largest=format_number(largest, 0))
            )
            changes["min_population"] = 0
    view = view.replace(**changes)
    try:
        view.method
    except ValueError as exc:
        problems.append(_("{error} Using the default method.").format(error=exc))
        view = view.replace(normalisation=default_view().normalisation, aggregation=default_view().aggregation)
    return view, problems


def _largest_population(level: str) -> int | None:
    """The population of the level's largest district (``None`` when unknown)."""
    try:
        population = level_data(level).population
    except TargetingError:
        return None  # the page shows the error itself
    top = population.max()
    return int(top) if top == top else None


def session_view(key: str = "view") -> View:
    """The session's view: read from the URL on a session's first run, then kept in ``session_state``.

    Problems with the URL's values (unknown level, weights out of range...) are shown with
    ``st.warning`` on every run until the view changes, not only on the first run (a map mounting
    reruns the page at once).
    """
    if key not in st.session_state:
        extra = tuple(lid for lv in st.session_state.get(UPLOADS_KEY, {}).values() for lid in lv)
        view, problems = view_from_query({k: st.query_params[k] for k in st.query_params}, extra)
        st.session_state[key] = view
        st.session_state[PROBLEMS_KEY] = (view, problems)
    view = st.session_state[key]
    shown_for, problems = st.session_state.get(PROBLEMS_KEY, (None, []))
    if problems and shown_for == view:
        for p in problems:
            st.warning(plain(p))
    return view


def view_to_query(view: View) -> dict[str, str]:
    """The URL query parameters of a view (only what differs from the defaults)."""
    base = default_view(view.level)
    out: dict[str, str] = {"level": view.level}
    for f in dataclasses.fields(View):
        value, default = getattr(view, f.name), getattr(base, f.name)
        if f.name == "level" or value == default:
            continue
        if f.name == "layers":
            out[f.name] = ",".join(value)
        elif f.name in ("weights", "theme_weights"):
            out[f.name] = ",".join(f"{k}:{v:g}" for k, v in value.items() if default.get(k) != v)
        else:
            out[f.name] = str(value)
    return out


# ----------------------------------------------------------------------------- engine wrappers
@st.cache_data(show_spinner=False, max_entries=8)
def _level_data(level: str, lang: str) -> LevelData:
    return load_level(config(), level)


def level_data(level: str) -> LevelData:
    """One admin level with every configured layer loaded (see :func:`geo.dataset.load_level`).

    Cached per language: its notes and join reports are written in the language of the page.
    """
    return _level_data(level, get_language())  # under a second: no spinner


level_data.clear = _level_data.clear  # type: ignore[attr-defined]  # forget every language's copy


def uploaded(level: str) -> dict[str, tuple[Any, pd.Series]]:
    """Layers this session added in the browser for ``level``."""
    return dict(st.session_state.get(UPLOADS_KEY, {}).get(level, {}))


def session_level(level: str) -> LevelData:
    """The level's data with this session's uploaded layers added."""
    data = level_data(level)
    extra = uploaded(level)
    if not extra:
        return data
    values = data.values.copy()
    for lid, (_, series) in extra.items():
        values[lid] = series.reindex(values.index)
    return dataclasses.replace(data, values=values, layers=data.layers + tuple(l for l, _ in extra.values()))


def _settings_key(view: View, data: LevelData) -> tuple:
    """Level, layers, weights, theme weights and method of a view, as hashable cache arguments."""
    layers = tuple(l for l in view.layers if l in data.values.columns)
    return (view.level, layers, tuple(sorted(view.weights.items())), tuple(sorted(view.theme_weights.items())),
            view.method)


def _data_key(view: View) -> tuple:
    """A fingerprint of the session's uploaded layers (they are not part of the cached files)."""
    return tuple(sorted((lid, int(pd.util.hash_pandas_object(v).sum()))
                        for lid, (_, v) in uploaded(view.level).items()))


@st.cache_data(show_spinner=False, max_entries=64)
def _score(level: str, layers: tuple[str, ...], weights: tuple, theme_weights: tuple, method: Method,
           _data: LevelData, data_key: tuple, lang: str) -> tuple[pd.DataFrame, ScoreResult]:
    result = score_level(_data, layers=list(layers), weights=dict(weights), theme_weights=dict(theme_weights),
                         method=method)
    return pd.DataFrame(ranked_table(_data, result).drop(columns="geometry")), result


def scored(view: View) -> tuple[LevelData, pd.DataFrame, ScoreResult]:
    """Score the view's level with its layers, weights and method.

    Returns the level data, the ranked table (export columns, indexed by code)
    and the full :class:`~geo.scoring.ScoreResult`.
    """
    data = session_level(view.level)
    table, result = _score(*_settings_key(view, data), data, _data_key(view), get_language())
    return data, table.set_index("code", drop=False), result


@st.cache_resource(show_spinner=False, max_entries=16)
def _monte_carlo(level: str, layers: tuple[str, ...], weights: tuple, theme_weights: tuple, method: Method,
                 top_k: int, data_key: tuple, lang: str, _data: LevelData, _result: ScoreResult):
    """The draws of a view's settings, shared by its analytics, profile and sensitivity (read only).

    Keyed by language too: the draws carry notes on how the data were drawn, in words."""
    from geo.analysis import monte_carlo

    return monte_carlo(_data, _result, weights=dict(weights), theme_weights=dict(theme_weights),
                       settings=_analysis_settings(top_k))


def _analysis_settings(top_k: int):
    """The analytics' settings of the configuration (data draws, sampling design, FDR) for a top k."""
    from geo.analysis import AnalysisSettings

    unc = config().uncertainty
    return AnalysisSettings(top_k=top_k, data=unc.data, sampling=unc.sampling, fdr=unc.fdr)


def monte_carlo(view: View, data: LevelData, result: ScoreResult):
    """The Monte Carlo behind the view's rank intervals (see :func:`geo.analysis.monte_carlo`)."""
    with st.spinner(_("Rank uncertainty…")):
        return _monte_carlo(*_settings_key(view, data), view.top_n or 10, _data_key(view), get_language(), data,
                            result)


@st.cache_data(show_spinner=False, max_entries=32)
def _analysis(level: str, layers: tuple[str, ...], weights: tuple, theme_weights: tuple, method: Method,
              top_k: int, data_key: tuple, _data: LevelData, _result: ScoreResult, _unc, lang: str
              ) -> tuple[pd.DataFrame, dict]:
    from geo.analysis import analysis_columns

    cfg = config()
    child = cfg.child_level(level)
    lower = session_level(child) if child else None
    return analysis_columns(
        _data, _result, weights=dict(weights), theme_weights=dict(theme_weights),
        roles=cfg.roles, settings=_analysis_settings(top_k), lower=lower,
        clusters=False, uncertainty=_unc,
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _neighbours(level: str, scored_codes: str, _data: LevelData, _result: ScoreResult):
    """Spatial weights among the scored districts: the same for every weight setting (read only)."""
    from geo.analysis import scored_neighbours

    return scored_neighbours(_data, _result)


@st.cache_data(show_spinner=False, max_entries=32)
def _clusters(level: str, layers: tuple[str, ...], weights: tuple, theme_weights: tuple, method: Method,
              data_key: tuple, _data: LevelData, _result: ScoreResult, lang: str) -> tuple[pd.DataFrame, dict]:
    from geo.analysis import cluster_columns

    scored = ",".join(sorted(_result.table["score"].dropna().index.astype(str)))
    return cluster_columns(_data, _result, _analysis_settings(10),
                           neighbours=_neighbours(level, scored, _data, _result))


def analysis_key(view: View, data: LevelData) -> tuple:
    """What the analytics of a view depend on (settings, top k, uploaded layers), as a hashable key."""
    return (*_settings_key(view, data), view.top_n or 10, _data_key(view))


def analysis(view: View, data: LevelData, result: ScoreResult, *, clusters: bool = True
             ) -> tuple[pd.DataFrame, dict]:
    """Rank uncertainty, clusters, need x readiness and pockets for the view (cached per settings).

    The same columns and notes as the command line's export. ``clusters=False`` skips the local
    Moran's I and Gi* permutations (the slow part), e.g. to draw the map before them.
    """
    from geo.analysis import in_order

    key = _settings_key(view, data)
    out, notes = _analysis(*key, view.top_n or 10, _data_key(view), data, result, monte_carlo(view, data, result),
                           get_language())
    if not clusters:
        return out, notes
    with st.spinner(_("Clusters…")):
        spatial, spatial_notes = _clusters(*key, _data_key(view), data, result, get_language())
    return in_order(out.join(spatial)), {**notes, **spatial_notes}


@st.cache_data(show_spinner=False, max_entries=8)
def _sensitivity(level: str, layers: tuple[str, ...], weights: tuple, theme_weights: tuple, method: Method,
                 top_k: int, data_key: tuple, _unc) -> pd.DataFrame:
    from geo.uncertainty import sensitivity

    return sensitivity(_unc)


def sensitivity(view: View, data: LevelData, result: ScoreResult) -> pd.DataFrame:
    """Which choice moves the view's ranking most (first-order indices, same draws as :func:`analysis`)."""
    return _sensitivity(*_settings_key(view, data), view.top_n or 10, _data_key(view),
                        monte_carlo(view, data, result))


def rank_draws(view: View, data: LevelData, result: ScoreResult, code: str) -> pd.Series | None:
    """The rank of district ``code`` in each Monte Carlo draw of :func:`analysis` (same draws)."""
    from geo.analysis import rank_draws as all_draws

    if code not in data.values.index:
        return None
    return all_draws(monte_carlo(view, data, result), data.values.index, [code])[code]


@st.cache_data(show_spinner=False, max_entries=8)
def _change(level: str, lang: str):
    from geo.change import compare_vintages

    return compare_vintages(config(), level_data(level))


def change(level: str, tolerance: float | None, min_layers: int | None):
    """The configured change over time for ``level`` (see :func:`geo.change.compare_vintages`); the
    files are compared once per level, a new tolerance or threshold only re-classifies."""
    from geo.change import with_threshold

    with st.spinner(_("Comparing the two vintages…")):
        compared = _change(level, get_language())
    return with_threshold(compared, tolerance=tolerance, min_layers=min_layers)


def scored_or_error(view: View) -> tuple[LevelData, pd.DataFrame, ScoreResult] | None:
    """:func:`scored`, or ``None`` after showing the problem with ``st.error`` (the page goes on)."""
    try:
        return scored(view)
    except TargetingError as exc:
        st.error(plain(exc))
        return None


def filter_mask(data: LevelData, table: pd.DataFrame, view: View) -> pd.Series:
    """Districts kept by the view's filters (region, urban/rural, minimum population).

    Filters choose what is shown and exported; scores and ranks stay national. Filters that
    leave no district are not applied, with a warning (a map of nothing cannot be drawn).
    """
    d = data.districts.reindex(table.index)
    keep = pd.Series(True, index=table.index)
    if view.region:
        region = d["region_code"] if "region_code" in d else d["parent_code"]
        keep &= region.astype(str) == view.region
    if view.area != "all" and "type" in d:
        keep &= d["type"].astype(str) == view.area
    if view.min_population:
        keep &= table["population"].fillna(0) >= view.min_population
    if len(keep) and not keep.any():
        largest = table["population"].max()
        st.warning(plain(
            _("No district matches the filters (region {region}, area {area}, at least {minimum} people; the "
              "largest district has {largest}): showing every district. Loosen the filters in the sidebar.").format(
                region=view.region or _("any"), area=_(view.area), minimum=format_number(view.min_population, 0),
                largest=format_number(largest, 0))
        ))
        return pd.Series(True, index=table.index)
    return keep


def display_shapes(level: str, tolerance: float = 0.001) -> gpd.GeoSeries:
    """District outlines simplified for the browser, in EPSG:4326.

    ``coverage_simplify`` keeps shared borders shared (no gaps or slivers
    between neighbours); coordinates are rounded to 5 decimals (~1 m). Kept on
    disk (Streamlit's cache folder) for the configuration and boundary file they
    come from, so a restarted server draws its first map without simplifying again.
    """
    from streamlit.runtime.caching.storage import CacheStorageError

    try:
        return _display_shapes(level, _boundary_source(level), tolerance)
    except CacheStorageError:  # a home folder that cannot be written: kept in memory only
        return _display_shapes_in_memory(level, tolerance)


display_shapes.clear = lambda: (_display_shapes.clear(), _display_shapes_in_memory.clear())  # type: ignore[attr-defined]


def _boundary_source(level: str) -> tuple:
    """What a level's outlines come from: the configuration, and the boundary file's path, size and time."""
    from geo.scenario import config_fingerprint

    cfg = config()
    path = Path(cfg.levels[level].path).resolve()
    stat = path.stat()
    return config_fingerprint(cfg), str(path), stat.st_size, stat.st_mtime_ns


@st.cache_data(show_spinner=False, max_entries=8, persist="disk")
def _display_shapes(level: str, source: tuple, tolerance: float) -> gpd.GeoSeries:
    return _simplified(level, tolerance)


@st.cache_data(show_spinner=False, max_entries=8)
def _display_shapes_in_memory(level: str, tolerance: float) -> gpd.GeoSeries:
    return _simplified(level, tolerance)


def _simplified(level: str, tolerance: float) -> gpd.GeoSeries:
    geoms = level_data(level).districts.geometry.to_crs(4326)
    simple = shapely.coverage_simplify(geoms.to_numpy(), tolerance)
    simple = shapely.set_precision(simple, 1e-5)
    # Drop the precision grid attached by set_precision, as the cache's copies do (WKB does not keep
    # it): the first call then returns the same shapes as later ones, so the map stays the same.
    simple = shapely.from_wkb(shapely.to_wkb(simple))
    return gpd.GeoSeries(simple, index=geoms.index, crs=4326)


@st.cache_data(show_spinner=False, max_entries=8)
def encoded_shapes(level: str) -> pd.Series:
    """The level's display shapes encoded for the map (see :func:`ui.maps.encode_shapes`)."""
    from ui.maps import encode_shapes

    return encode_shapes(display_shapes(level))


def reports_frame(data: LevelData) -> pd.DataFrame:
    """Unmatched items of every join of a level, for display."""
    return data.report_frame()
