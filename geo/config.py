"""Reading and validating ``config.toml`` into a frozen :class:`Config`.

The file is read once; every mistake raises :class:`~geo.errors.ConfigError`
naming the key, the bad value, what is allowed and the fix. Paths are resolved
relative to the config file's folder. ``geo`` functions receive values from the
config as arguments and never read it themselves.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from geo.i18n import _
from geo.engine import EngineConfig, require_dask
from geo.errors import ConfigError, TargetingError
from geo.identifiers import check_layer_id
from geo.rows import filter_text
from geo.scoring import Method

__all__ = ["LevelConfig", "TableConfig", "DisplayConfig", "TextConfig", "ChangeConfig", "EngineConfig", "JoinsConfig",
           "UncertaintyConfig", "Config", "allowed_keys", "load_config", "parse_config"]

SCHEMES = ("quantiles", "fisher_jenks", "equal_interval")


@dataclass(frozen=True)
class LevelConfig:
    """One admin level: where its boundaries are and which fields to use."""

    name: str
    label: str
    path: Path
    layer: str | None
    id: str
    name_field: str | None
    parent: str | None
    parent_level: str | None
    parent_name: str | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class TableConfig:
    """An indicator table and how its rows map to districts."""

    name: str
    path: Path
    key: str
    by: str
    parent_key: str | None
    level_column: str | None
    levels: Mapping[str, str]
    crosswalk: Path | None
    sheet: str | None
    pad: int | None = None
    group_by: str | None = None
    aggregate: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    split: str | None = None
    where: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    counts: tuple[str, ...] = ()

    def rows_for(self, level: str) -> str | None | bool:
        """Return the level value to filter on, ``True`` for all rows, ``False`` if absent."""
        if level in self.levels:
            return self.levels[level] if self.level_column else True
        return False


@dataclass(frozen=True)
class DisplayConfig:
    """Defaults of the dashboard's map."""

    default_level: str
    scheme: str = "quantiles"
    classes: int = 5
    palette: str = "YlOrRd"
    top_n: int = 10
    # Initial map view [west, south, east, north] in degrees; east < west crosses the antimeridian.
    bounds: tuple[float, float, float, float] | None = None
    # The largest towns named on the map (towns_level and the levels it makes up): how many (0: none), from which level,
    # which of its districts count as towns (a row filter on the level's fields).
    towns: int = 12
    towns_level: str | None = None
    towns_where: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class TextConfig:
    """Texts that describe the data, section ``[text]``: nothing about the data is written in code.

    ``caption`` is shown under the title (e.g. what the scores measure and what
    they are not); ``search_example`` is a district name offered as an example in
    the ranking's search box.
    """

    caption: str = ""
    search_example: str = ""


@dataclass(frozen=True)
class ChangeConfig:
    """Two vintages of an indicator table, compared layer by layer (see :mod:`geo.change`)."""

    before: str
    after: str
    labels: tuple[str, str]
    national: str | None = None
    # how much a gap must widen to count (layer units); None: each layer's published precision
    tolerance: float | None = None


@dataclass(frozen=True)
class UncertaintyConfig:
    """How precise the data are, for the Monte Carlo's data draws: section ``[uncertainty]``.

    ``sample_fraction`` of the people of districts whose ``size_column`` (a column of the
    population table) is at least ``sampled_from`` answered the questions behind the
    percentage layers; the other districts were counted in full (see :mod:`geo.sampling`).
    ``data = false`` draws weights and method only. ``shrinkage = "empirical_bayes"`` shrinks
    small-population rates before scoring (off by default). ``fdr`` turns the clusters'
    false-discovery-rate control on (default) or off.
    """

    sampling: Any = None  # geo.sampling.SamplingDesign
    data: bool = True
    shrinkage: str = "none"
    fdr: bool = True


@dataclass(frozen=True)
class JoinsConfig:
    """How much a join may lose before it stops: section ``[joins]``.

    ``max_unmatched`` is the share (0-1) of a level's districts allowed to have
    no row in a table; beyond it ``geo check``, ``rank``, ``prepare`` and the
    dashboard stop with the table, the count and a hint. The default, 0.05,
    tolerates a few districts without data (listed in the join report) and
    stops a lost join such as codes that lost their leading zeros. ``--strict``
    allows nothing: no district without a row, no row unused.
    """

    max_unmatched: float = 0.05


@dataclass(frozen=True)
class Config:
    """A validated configuration. Build it with :func:`load_config`."""

    path: Path
    title: str
    analysis_crs: str | None
    levels: Mapping[str, LevelConfig]
    tables: Mapping[str, TableConfig]
    population: tuple[str, str]
    layers: tuple[Any, ...]
    weights: Mapping[str, float]
    themes: Mapping[str, Any]
    method: Method
    display: DisplayConfig
    build_script: Path | None = None
    change: ChangeConfig | None = None
    engine: EngineConfig = EngineConfig()
    uncertainty: UncertaintyConfig = UncertaintyConfig()
    text: TextConfig = TextConfig()
    checks: Any = None
    joins: JoinsConfig = JoinsConfig()

    @property
    def theme_weights(self) -> Mapping[str, float]:
        """Default weight per theme; themes with role ``context`` weigh 0 (shown, never scored)."""
        return MappingProxyType({t.id: (t.weight if t.scored else 0.0) for t in self.themes.values()})

    @property
    def roles(self) -> Mapping[str, str]:
        """Theme id -> role (``need``, ``readiness`` or ``context``)."""
        return MappingProxyType({t.id: t.role for t in self.themes.values()})

    def theme_label(self, theme_id: str) -> str:
        """The declared label of a theme (its id when it is not declared, e.g. an uploaded layer's)."""
        theme = self.themes.get(theme_id)
        return theme.label if theme is not None else theme_id

    def scored_theme_weights(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        """The default theme weights with ``overrides`` applied; context themes stay at 0.

        Raises
        ------
        ConfigError
            When an override names an unknown theme or a context theme.
        """
        out = dict(self.theme_weights)
        for t, w in (overrides or {}).items():
            if t not in self.themes:
                raise ConfigError(_("{path}: theme {t!r} is not declared; declared themes: {sorted}.").format(
                    path=self.path, t=t, sorted=sorted(self.themes)))
            if not self.themes[t].scored and w:
                raise ConfigError(
                    _("{path}: theme {t!r} has role = \"context\" (shown, never scored) and cannot be weighted; "
                    "set themes.{t}.role = \"need\" or \"readiness\" to score it.").format(
                        path=self.path, t=t)
                )
            out[t] = float(w)
        return out

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths are resolved against."""
        return self.path.parent

    def layer(self, layer_id: str) -> Any:
        """Return the configured layer ``layer_id``."""
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise ValueError(_("Unknown layer {layer_id!r}; expected one of {sorted}").format(
            layer_id=layer_id, sorted=sorted((l.id for l in self.layers))))

    def child_level(self, level: str) -> str | None:
        """The level whose districts nest in ``level``, if any."""
        for lv in self.levels.values():
            if lv.parent_level == level:
                return lv.name
        return None


_TOP_KEYS = {"title", "analysis_crs", "boundaries", "levels", "tables", "population", "layers",
             "themes", "method", "display", "build", "change", "engine", "joins", "text", "checks",
             "uncertainty"}
_THEME_KEYS = {"label", "description", "weight", "role"}
_TEXT_KEYS = {"caption", "search_example"}
_LEVEL_KEYS = {"label", "path", "layer", "id", "name", "parent", "parent_level", "parent_name", "fields"}
_TABLE_KEYS = {"path", "key", "by", "parent_key", "level_column", "levels", "level", "crosswalk", "sheet",
               "pad", "group_by", "aggregate", "split", "where", "counts"}
_JOINS_KEYS = {"max_unmatched"}
SPLITS = ("area", "population")
_LAYERS_KEYS = {"use", "weights", "custom"}
_CUSTOM_KEYS = {"id", "label", "theme", "unit", "higher_is_worse", "kind", "source", "year", "licence",
                "url", "description", "rollup_weight", "weight", "table", "column", "complement_of",
                "scale", "numerator", "denominator", "per", "points", "raster", "stat", "x", "y",
                "weights_raster", "where", "se_column"}
#: A custom layer's label in another language: ``label_fr``, ``label_ar``...
_LABEL_IN = re.compile(r"label_[a-z]{2,3}")
_METHOD_KEYS = {"normalisation", "aggregation", "missing", "min_coverage", "outliers"}
_BOUNDARY_KEYS = {"path"}
_POPULATION_KEYS = {"table", "column"}
_BUILD_KEYS = {"script"}
_CHANGE_KEYS = {"before", "after", "labels", "national", "tolerance"}
_DISPLAY_KEYS = {"default_level", "scheme", "classes", "palette", "top_n", "bounds", "towns", "towns_level",
                 "towns_where"}


def allowed_keys() -> dict[str, frozenset[str]]:
    """Every key the validator accepts, per section (the source of ``docs/configuration.md``)."""
    return {
        "": frozenset(_TOP_KEYS), "boundaries": frozenset(_BOUNDARY_KEYS), "levels.<name>": frozenset(_LEVEL_KEYS),
        "tables.<name>": frozenset(_TABLE_KEYS), "tables.<name>.aggregate.<column>": frozenset(_AGG_RULE_KEYS),
        "joins": frozenset(_JOINS_KEYS), "population": frozenset(_POPULATION_KEYS),
        "layers": frozenset(_LAYERS_KEYS), "layers.custom": frozenset(_CUSTOM_KEYS),
        "themes.<id>": frozenset(_THEME_KEYS), "method": frozenset(_METHOD_KEYS), "display": frozenset(_DISPLAY_KEYS),
        "build": frozenset(_BUILD_KEYS), "change": frozenset(_CHANGE_KEYS), "engine": frozenset(_ENGINE_KEYS),
        "text": frozenset(_TEXT_KEYS), "checks": frozenset(_check_keys()),
        "uncertainty": frozenset(_UNCERTAINTY_KEYS),
    }


def _check_keys() -> set[str]:
    from dataclasses import fields

    from geo.quality import CheckThresholds

    return {f.name for f in fields(CheckThresholds)}


def load_config(path: str | Path) -> Config:
    """Read and validate a configuration file.

    Raises
    ------
    ConfigError
        Missing file, invalid TOML, unknown key, wrong type, unknown layer,
        weights summing to zero, missing data file.
    """
    path = Path(path).resolve()
    if not path.exists():
        raise ConfigError(_("{path}: configuration file not found; pass --config with an existing file.").format(
            path=path))
    if not path.is_file():
        raise ConfigError(_("{path}: is a folder, not a configuration file; pass --config with the .toml file.").format(
            path=path))
    try:
        raw = path.read_bytes()[: 16 * 2**20 + 1]
        if len(raw) > 16 * 2**20:
            raise ConfigError(_("{path}: larger than 16 MB, too large for a configuration; check the path.").format(
                path=path))
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a byte-order mark written by some editors is ignored
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("{path}: not valid TOML ({exc}); fix the syntax at that line.").format(
            path=path, exc=exc)) from None
    except UnicodeDecodeError:
        raise ConfigError(_("{path}: not UTF-8 text; save the configuration as UTF-8.").format(
            path=path)) from None
    except OSError as exc:
        raise ConfigError(_("{path}: cannot read the configuration ({value}).").format(
            path=path, value=exc.strerror or exc)) from None
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    """Validate a parsed TOML mapping (see :func:`load_config`)."""
    where = str(path)
    _unknown(data, _TOP_KEYS, where, "")
    base = path.parent
    boundaries = _table(data, "boundaries", where, required=False)
    _unknown(boundaries, _BOUNDARY_KEYS, where, "boundaries.")
    default_path = boundaries.get("path")
    levels = _levels(_table(data, "levels", where), base, default_path, where)
    tables = _tables(_table(data, "tables", where, required=False), base, levels, where)
    population = _population(data.get("population"), tables, where)
    layers, weights = _layers(_table(data, "layers", where), tables, where)
    if sum(weights.get(l.id, 1.0) for l in layers) <= 0:
        raise ConfigError(_("{where}: layers.weights are all zero; give at least one layer a positive weight.").format(
            where=where))
    themes = _themes(_table(data, "themes", where, required=False), layers, weights, where)
    method = _method(_table(data, "method", where, required=False), where)
    display = _display(_table(data, "display", where, required=False), levels, where)
    build = _table(data, "build", where, required=False)
    _unknown(build, _BUILD_KEYS, where, "build.")
    script = _path(base, build["script"], where, "build.script", must_exist=False) if "script" in build else None
    crs = data.get("analysis_crs", "auto")
    _type(crs, str, where, "analysis_crs")
    change = _change(_table(data, "change", where, required=False), tables, population, where)
    _check_grouped_columns(tables, layers, population, where)
    return Config(
        path=path,
        title=str(data.get("title", _("Targeting pockets of poverty"))),
        analysis_crs=None if crs == "auto" else crs,
        levels=MappingProxyType(levels),
        tables=MappingProxyType(tables),
        population=population,
        layers=tuple(layers),
        weights=MappingProxyType(weights),
        themes=MappingProxyType(themes),
        method=method,
        display=display,
        build_script=script,
        change=change,
        engine=_engine(_table(data, "engine", where, required=False), where),
        uncertainty=_uncertainty(_table(data, "uncertainty", where, required=False), population, where),
        text=_text(_table(data, "text", where, required=False), where),
        checks=_checks(_table(data, "checks", where, required=False), where),
        joins=_joins(_table(data, "joins", where, required=False), where),
    )


def _unknown(section: Mapping[str, Any], allowed: set[str], where: str, prefix: str) -> None:
    for key in section:
        if key not in allowed:
            raise ConfigError(
                _("{where}: unknown key {value!r}; allowed keys here: {sorted}. "
                "Remove it or fix its spelling.").format(
                    where=where, value=prefix + str(key), sorted=sorted(allowed))
            )


def _type(value: Any, kind: type | tuple[type, ...], where: str, key: str) -> None:
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ConfigError(_("{where}: {key} must be {kind_name}, got {value!r}.").format(
            where=where, key=key, kind_name=_kind_name(kind), value=value))
    if not isinstance(value, kind):
        raise ConfigError(_("{where}: {key} must be {kind_name}, got {value!r} ({name}).").format(
            where=where, key=key, kind_name=_kind_name(kind), value=value, name=type(value).__name__))


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "text", int: "a whole number", float: "a number", bool: _("true or false"),
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _table(data: Mapping[str, Any], key: str, where: str, required: bool = True) -> dict:
    if key not in data:
        if required:
            raise ConfigError(_("{where}: missing section [{key}]; see the README for an example.").format(
                where=where, key=key))
        return {}
    _type(data[key], dict, where, f"[{key}]")
    return data[key]


def _path(base: Path, value: Any, where: str, key: str, must_exist: bool = True) -> Path:
    _type(value, str, where, key)
    if not value.strip():
        raise ConfigError(_("{where}: {key} is empty; give the file's path, e.g. {name} = \"data.csv\".").format(
            where=where, key=key, name=key.rsplit(".", 1)[-1]))
    p = Path(value)
    p = p if p.is_absolute() else (base / p)
    if must_exist and not p.exists():
        raise ConfigError(_("{where}: {key} = {value!r}: file not found at {p}; fix the path.").format(
            where=where, key=key, value=value, p=p))
    if must_exist and p.is_dir():
        raise ConfigError(_("{where}: {key} = {value!r} is a folder ({p}); give a file inside it.").format(
            where=where, key=key, value=value, p=p))
    return p


def _choice(spec: Mapping[str, Any], name: str, allowed: tuple[str, ...], where: str, key: str) -> None:
    """An optional key whose value must be one of ``allowed``."""
    if name in spec and (not isinstance(spec[name], str) or spec[name] not in allowed):
        raise ConfigError(_("{where}: {key}.{name} = {value!r}; must be one of {allowed}.").format(
            where=where, key=key, name=name, value=spec[name], allowed=list(allowed)))


def _field(spec: Mapping[str, Any], name: str, where: str, key: str) -> None:
    """A field or column name, when given: non-empty text."""
    if name in spec:
        _type(spec[name], str, where, f"{key}.{name}")
        if not spec[name].strip():
            raise ConfigError(_("{where}: {key}.{name} is empty; give the name of a field of the file, or remove "
                                "the key.").format(where=where, key=key, name=name))


def _levels(section: dict, base: Path, default_path: str | None, where: str) -> dict[str, LevelConfig]:
    if not section:
        raise ConfigError(_("{where}: [levels] is empty; declare at least one admin level.").format(
            where=where))
    levels = {}
    for name, spec in section.items():
        key = f"levels.{name}"
        _type(spec, dict, where, f"[{key}]")
        _unknown(spec, _LEVEL_KEYS, where, f"{key}.")
        if "id" not in spec:
            raise ConfigError(_("{where}: [{key}] needs id = \"<field with the district code>\".").format(
                where=where, key=key))
        raw_path = spec.get("path", default_path)
        if raw_path is None:
            raise ConfigError(_("{where}: [{key}] has no path and [boundaries] gives none; add path = \"...\".").format(
                where=where, key=key))
        for opt in ("label", "layer", "id", "name", "parent", "parent_level", "parent_name"):
            _field(spec, opt, where, key)
        fields = spec.get("fields", [])
        _type(fields, list, where, f"{key}.fields")
        levels[name] = LevelConfig(
            name=name,
            label=spec.get("label", name.capitalize()),
            path=_path(base, raw_path, where, f"{key}.path"),
            layer=spec.get("layer"),
            id=spec["id"],
            name_field=spec.get("name"),
            parent=spec.get("parent"),
            parent_level=spec.get("parent_level"),
            parent_name=spec.get("parent_name"),
            fields=tuple(str(f) for f in fields),
        )
    for lv in levels.values():
        if lv.parent_level is not None and lv.parent_level not in levels:
            raise ConfigError(
                _("{where}: levels.{name}.parent_level = {parent_level!r} is not a declared level; "
                "declared: {sorted}.").format(
                    where=where, name=lv.name, parent_level=lv.parent_level, sorted=sorted(levels))
            )
        if lv.parent_level and not lv.parent:
            raise ConfigError(_("{where}: levels.{name} has parent_level but no parent field; add parent = \"...\".").format(
                where=where, name=lv.name))
    _check_level_cycles(levels, where)
    return levels


def _check_level_cycles(levels: Mapping[str, LevelConfig], where: str) -> None:
    """Refuse ``parent_level`` chains that come back to a level (a level nested in itself)."""
    for start in levels:
        chain, level = [start], levels[start].parent_level
        while level is not None:
            if level in chain:
                loop = " -> ".join([*chain[chain.index(level):], level])
                raise ConfigError(
                    _("{where}: levels' parent_level form a cycle ({loop}); a level cannot nest in itself. "
                    "Remove parent_level from the top level.").format(where=where, loop=loop)
                )
            chain.append(level)
            level = levels[level].parent_level


def _tables(section: dict, base: Path, levels: Mapping[str, LevelConfig], where: str) -> dict[str, TableConfig]:
    tables = {}
    for name, spec in section.items():
        key = f"tables.{name}"
        _type(spec, dict, where, f"[{key}]")
        _unknown(spec, _TABLE_KEYS, where, f"{key}.")
        if "path" not in spec:
            raise ConfigError(f"{where}: [{key}] needs path = \"...\".")
        if "key" not in spec and "group_by" not in spec:
            raise ConfigError(_("{where}: [{key}] needs key = \"<column with the district code or name>\" "
                              "(or group_by for a table finer than the districts).").format(
                                  where=where, key=key))
        for opt in ("key", "group_by", "parent_key", "level_column", "sheet"):
            _field(spec, opt, where, key)
        by = spec.get("by", "code")
        if by not in ("code", "name"):
            raise ConfigError(_("{where}: {key}.by = {by!r}; must be 'code' or 'name'.").format(
                where=where, key=key, by=by))
        if "level_column" in spec:
            lv_map = spec.get("levels", {})
            _type(lv_map, dict, where, f"{key}.levels")
        else:
            if "level" not in spec:
                raise ConfigError(
                    _("{where}: [{key}] needs level = \"<level its rows describe>\" "
                    "(or level_column and levels for a table covering several levels).").format(
                        where=where, key=key)
                )
            _type(spec["level"], str, where, f"{key}.level")
            lv_map = {spec["level"]: spec["level"]}
        for lv in lv_map:
            if lv not in levels:
                raise ConfigError(
                    _("{where}: {key} refers to level {lv!r}, which is not declared; declared: {sorted}.").format(
                        where=where, key=key, lv=lv, sorted=sorted(levels))
                )
        grouping = _grouping(spec, where, key)
        tables[name] = TableConfig(
            name=name,
            path=_path(base, spec["path"], where, f"{key}.path"),
            key=spec.get("key", spec.get("group_by")),
            by=by,
            parent_key=spec.get("parent_key"),
            level_column=spec.get("level_column"),
            levels=MappingProxyType({k: str(v) for k, v in lv_map.items()}),
            crosswalk=_path(base, spec["crosswalk"], where, f"{key}.crosswalk") if "crosswalk" in spec else None,
            sheet=spec.get("sheet"),
            pad=_pad(spec, where, key),
            split=_split(spec, where, key),
            where=_where(spec.get("where"), where, f"{key}.where"),
            counts=_names(spec.get("counts", []), where, f"{key}.counts"),
            **grouping,
        )
    return tables


def _check_grouped_columns(tables: Mapping[str, TableConfig], layers: Any, population: tuple[str, str],
                           where: str) -> None:
    """Every column read from a grouped table must have an aggregate rule (else it would vanish)."""
    for name, t in tables.items():
        if not t.group_by:
            continue
        used = {population[1]: "population.column"} if population[0] == name else {}
        for layer in layers:
            if layer.table == name:
                used.update({c: f"layer {layer.id!r}" for c in getattr(layer.loader, "columns", ())})
                if layer.rollup_weight:
                    used[layer.rollup_weight] = _("layer {id!r} rollup_weight").format(id=layer.id)
        for col, user in used.items():
            if col not in t.aggregate:
                raise ConfigError(
                    _("{where}: tables.{name} is grouped by {group_by!r} but column {col!r} (read by {user}) has no "
                    "rule in tables.{name}.aggregate; add {col} = \"sum\" for a count, or a rate as "
                    "{{ numerator = ..., denominator = ..., per = 100 }}.").format(
                        where=where, name=name, group_by=t.group_by, col=col, user=user)
                )


def _names(value: Any, where: str, key: str) -> tuple[str, ...]:
    _type(value, list, where, key)
    for item in value:
        _type(item, str, where, f"{key} item")
    return tuple(value)


def _joins(section: dict, where: str) -> JoinsConfig:
    """Validate ``[joins]``."""
    _unknown(section, _JOINS_KEYS, where, "joins.")
    value = section.get("max_unmatched", JoinsConfig.max_unmatched)
    _type(value, (int, float), where, "joins.max_unmatched")
    if not 0.0 <= value <= 1.0:
        raise ConfigError(_("{where}: joins.max_unmatched = {value!r} not valid; must be a share between 0.0 "
                          "(every district needs a row) and 1.0 (no limit), e.g. 0.05.").format(
                              where=where, value=value))
    return JoinsConfig(max_unmatched=float(value))


def _pad(spec: dict, where: str, key: str) -> int | None:
    if "pad" not in spec:
        return None
    _type(spec["pad"], int, where, f"{key}.pad")
    if not 1 <= spec["pad"] <= 32:
        raise ConfigError(_("{where}: {key}.pad = {spec} not valid; give the number of digits of a full "
                          "code (e.g. pad = 5 turns 1001 into 01001).").format(
                              where=where, key=key, spec=spec['pad']))
    return int(spec["pad"])


def _split(spec: dict, where: str, key: str) -> str | None:
    split = spec.get("split")
    if split is None:
        return None
    if split not in SPLITS:
        raise ConfigError(_("{where}: {key}.split = {split!r} not valid; must be one of {list} (how a "
                          "crosswalk key listed on several lines without a share is divided).").format(
                              where=where, key=key, split=split, list=list(SPLITS)))
    if "crosswalk" not in spec:
        raise ConfigError(_("{where}: {key}.split needs a crosswalk file listing the split keys; add crosswalk = "
                          "\"...\" or remove split.").format(where=where, key=key))
    return split


def _where(value: Any, where: str, key: str) -> Mapping[str, tuple[str, ...]]:
    """A row filter: column = value or [values]; kept as text for comparison (1, 1.0 and "1" are equal)."""
    if value is None:
        return MappingProxyType({})
    _type(value, dict, where, key)
    out = {}
    for column, allowed in value.items():
        items = allowed if isinstance(allowed, list) else [allowed]
        if not items:
            raise ConfigError(_("{where}: {key}.{column} is an empty list; give the values of the rows to keep.").format(
                where=where, key=key, column=column))
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise ConfigError(_("{where}: {key}.{column} = {allowed!r}: each value must be text or a number, "
                                  "e.g. where = {{ Country = \"Nepal\", status = [1, 2] }}.").format(
                                      where=where, key=key, column=column, allowed=allowed))
        out[str(column)] = tuple(filter_text(i) for i in items)
    return MappingProxyType(out)


_AGG_RULE_KEYS = {"numerator", "denominator", "per", "mean_weighted_by"}


def _grouping(spec: dict, where: str, key: str) -> dict[str, Any]:
    """``group_by`` and ``aggregate`` of a table finer than the districts."""
    from geo.join import AGGREGATIONS

    if "group_by" not in spec:
        if "aggregate" in spec:
            raise ConfigError(_("{where}: {key}.aggregate needs group_by = \"<column naming the district>\".").format(
                where=where, key=key))
        return {}
    _type(spec["group_by"], str, where, f"{key}.group_by")
    if "key" in spec and spec["key"] != spec["group_by"]:
        raise ConfigError(_("{where}: {key} has key = {spec!r} and group_by = {spec2!r}; rows are "
                          "grouped and joined by the group_by column, so remove key.").format(
                              where=where, key=key, spec=spec['key'], spec2=spec['group_by']))
    rules = spec.get("aggregate")
    if not rules:
        raise ConfigError(_("{where}: {key}.group_by needs aggregate = {{ column = \"sum\", ... }} saying how each "
                          "column combines (sum for counts; a rate as {{ numerator = ..., denominator = ... }}).").format(
                              where=where, key=key))
    _type(rules, dict, where, f"{key}.aggregate")
    for col, rule in rules.items():
        at = f"{key}.aggregate.{col}"
        if isinstance(rule, str):
            if rule not in AGGREGATIONS:
                raise ConfigError(_("{where}: {at} = {rule!r} not valid; must be one of {list}, "
                                  "{{ numerator = ..., denominator = ..., per = 100 }} or {{ mean_weighted_by = ... }}.").format(
                                      where=where, at=at, rule=rule, list=list(AGGREGATIONS)))
            continue
        _type(rule, dict, where, at)
        _unknown(rule, _AGG_RULE_KEYS, where, f"{at}.")
        if "mean_weighted_by" in rule:
            if set(rule) != {"mean_weighted_by"}:
                raise ConfigError(_("{where}: {at}: mean_weighted_by stands alone; remove the other keys.").format(
                    where=where, at=at))
            _type(rule["mean_weighted_by"], str, where, f"{at}.mean_weighted_by")
            continue
        for req in ("numerator", "denominator"):
            if req not in rule:
                raise ConfigError(_("{where}: {at} needs numerator and denominator (a rate recomputed from the "
                                  "sums), e.g. {{ numerator = \"poor\", denominator = \"people\", per = 100 }}.").format(
                                      where=where, at=at))
            _type(rule[req], str, where, f"{at}.{req}")
        if "per" not in rule:
            raise ConfigError(_("{where}: {at} needs per = 100 (a percentage), 1000 (per 1,000) or 1 (a share).").format(
                where=where, at=at))
        _type(rule["per"], (int, float), where, f"{at}.per")
    return {"group_by": spec["group_by"],
            "aggregate": MappingProxyType({c: (r if isinstance(r, str) else MappingProxyType(dict(r)))
                                           for c, r in rules.items()})}


def _change(section: dict, tables: Mapping[str, TableConfig], population: tuple[str, str],
            where: str) -> ChangeConfig | None:
    if not section:
        return None
    _unknown(section, _CHANGE_KEYS, where, "change.")
    before = section.get("before")
    after = section.get("after", population[0])
    for key, name in (("before", before), ("after", after)):
        _type(name, str, where, f"change.{key}")
        if name not in tables:
            raise ConfigError(_("{where}: change.{key} = {name!r} is not a declared table; declared: {sorted}.").format(
                where=where, key=key, name=name, sorted=sorted(tables)))
    if before == after:
        raise ConfigError(_("{where}: change.before and change.after are both {before!r}; name two different tables.").format(
            where=where, before=before))
    labels = section.get("labels", [before, after])
    if not (isinstance(labels, list) and len(labels) == 2 and all(isinstance(x, str) and x for x in labels)):
        raise ConfigError(_("{where}: change.labels must be two names, e.g. [\"2014\", \"2024\"]; got {labels!r}.").format(
            where=where, labels=labels))
    national = section.get("national")
    if national is not None:
        _type(national, str, where, "change.national")
        for name in (before, after):
            if not tables[name].level_column:
                raise ConfigError(
                    _("{where}: change.national = {national!r} needs tables.{name}.level_column to find the "
                    "national row; set it, or remove change.national to aggregate the districts.").format(
                        where=where, national=national, name=name)
                )
    tolerance = section.get("tolerance")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
                                  or tolerance < 0):
        raise ConfigError(
            _("{where}: change.tolerance = {tolerance!r} not valid; it must be a number >= 0 in the layers' units "
            "(e.g. 0.1 for rates published to 0.1 point), or leave it out to use each layer's published precision.").format(
                where=where, tolerance=tolerance)
        )
    return ChangeConfig(before=before, after=after, labels=(labels[0], labels[1]), national=national,
                        tolerance=None if tolerance is None else float(tolerance))


def _population(spec: Any, tables: Mapping[str, TableConfig], where: str) -> tuple[str, str]:
    if spec is None:
        raise ConfigError(_("{where}: missing [population] with table = \"...\" and column = \"...\".").format(
            where=where))
    _type(spec, dict, where, "[population]")
    _unknown(spec, _POPULATION_KEYS, where, "population.")
    table, column = spec.get("table"), spec.get("column")
    _type(table, str, where, "population.table")
    if table not in tables:
        raise ConfigError(_("{where}: population.table = {table!r} is not a declared table; declared: {sorted}.").format(
            where=where, table=table, sorted=sorted(tables)))
    _type(column, str, where, "population.column")
    return table, column


def _weights(section: Any, where: str, key: str) -> dict[str, float]:
    _type(section, dict, where, f"[{key}]")
    out = {}
    for name, w in section.items():
        if isinstance(w, bool) or not isinstance(w, (int, float)):
            raise ConfigError(_("{where}: {key}.{name} = {w!r} must be a number >= 0.").format(
                where=where, key=key, name=name, w=w))
        if w < 0 or w != w:
            raise ConfigError(_("{where}: {key}.{name} = {w!r} is negative; weights must be >= 0.").format(
                where=where, key=key, name=name, w=w))
        if w > 1e100:
            raise ConfigError(
                _("{where}: {key}.{name} = {w!r} is too large; weights are relative, give a number from 0 to 1e100 "
                "(e.g. 2 for twice the weight of a layer at 1).").format(where=where, key=key, name=name, w=w)
            )
        out[name] = float(w)
    return out


def _themes(section: dict, layers: list, weights: Mapping[str, float], where: str) -> dict[str, Any]:
    """Validate ``[themes.<id>]`` tables against the layers in use.

    A configuration that declares no theme gets one per theme id its layers
    name, with role ``need`` and the id as label.
    """
    from layers.base import ROLES, Theme

    if "weights" in section and isinstance(section["weights"], dict) and all(
            not isinstance(v, dict) for v in section["weights"].values()):
        raise ConfigError(
            _("{where}: [themes.weights] is no longer read; declare each theme as [themes.<id>] with label, "
            "role and weight = <number> (see README \"Use your own data\").").format(where=where)
        )
    used: dict[str, list[str]] = {}
    for layer in layers:
        used.setdefault(layer.theme, []).append(layer.id)
    if not section:
        return {t: Theme(t, t.replace("_", " ").capitalize(), "need") for t in used}
    for tid, members in used.items():
        if tid not in section:
            raise ConfigError(
                _("{where}: layer {members!r} has unknown theme {tid!r}; declared themes: {sorted}. "
                "Declare [themes.{tid}] with label and role, or fix the layer's theme.").format(
                    where=where, members=members[0], tid=tid, sorted=sorted(section))
            )
    themes = {}
    for tid, spec in section.items():
        key = f"themes.{tid}"
        _type(spec, dict, where, f"[{key}]")
        _unknown(spec, _THEME_KEYS, where, f"{key}.")
        if "label" not in spec:
            raise ConfigError(_("{where}: [{key}] needs label = \"<name shown in the dashboard>\".").format(
                where=where, key=key))
        for opt in ("label", "description", "role"):
            if opt in spec:
                _type(spec[opt], str, where, f"{key}.{opt}")
        role = spec.get("role", "need")
        if role not in ROLES:
            raise ConfigError(
                _("{where}: {key}.role = {role!r} is not a role; use one of {join} "
                "(context = shown but not scored).").format(
                    where=where, key=key, role=role, join=', '.join(ROLES))
            )
        if "weight" in spec:
            weight = _weights({"weight": spec["weight"]}, where, key)["weight"]
            if role == "context" and weight > 0:
                raise ConfigError(
                    _("{where}: {key}.weight = {spec!r} but role = \"context\" is never scored; "
                    "remove the weight or change the role to need or readiness.").format(
                        where=where, key=key, spec=spec['weight'])
                )
        else:
            weight = 0.0 if role == "context" else 1.0
        if tid not in used:
            raise ConfigError(
                _("{where}: [{key}] has no layers: no layer in use names theme {tid!r}; add a layer with "
                "theme = {tid!r} to layers.use or [[layers.custom]], or remove [{key}].").format(
                    where=where, key=key, tid=tid)
            )
        members = used[tid]
        if role != "context" and weight > 0 and sum(weights.get(lid, 1.0) for lid in members) <= 0:
            raise ConfigError(
                _("{where}: layers.weights give every layer of theme {tid!r} ({join}) weight 0, so the "
                "theme's total is zero; give one a positive weight, set {key}.weight = 0, or set "
                "{key}.role = \"context\".").format(where=where, tid=tid, join=', '.join(members), key=key)
            )
        themes[tid] = Theme(tid, spec["label"], role, spec.get("description", ""), weight)
    if sum(t.weight for t in themes.values() if t.scored) <= 0:
        raise ConfigError(
            _("{where}: no theme is scored: every theme has weight 0 or role = \"context\"; give a need theme "
            "a positive weight.").format(where=where)
        )
    return themes


def _checks(section: dict, where: str) -> Any:
    """Validate ``[checks]``: the thresholds of :func:`geo.quality.index_checks`."""
    from dataclasses import fields

    from geo.quality import CheckThresholds

    allowed = {f.name for f in fields(CheckThresholds)}
    _unknown(section, allowed, where, "checks.")
    out = {}
    for key, value in section.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
            raise ConfigError(_("{where}: checks.{key} = {value!r} must be a number >= 0.").format(
                where=where, key=key, value=value))
        out[key] = float(value)
    return CheckThresholds(**out)


def _text(section: dict, where: str) -> TextConfig:
    _unknown(section, _TEXT_KEYS, where, "text.")
    for key, value in section.items():
        _type(value, str, where, f"text.{key}")
    return TextConfig(**section)


def _layers(section: dict, tables: Mapping[str, TableConfig], where: str) -> tuple[list, dict[str, float]]:
    from layers import LAYERS

    _unknown(section, _LAYERS_KEYS, where, "layers.")
    use = section.get("use", [])
    _type(use, list, where, "layers.use")
    chosen = []
    for lid in use:
        if lid not in LAYERS:
            raise ConfigError(
                _("{where}: layers.use lists {lid!r}, which is not a declared layer; built-in layers: "
                "{sorted}. Declare it under [[layers.custom]] or fix the id.").format(
                    where=where, lid=lid, sorted=sorted(LAYERS))
            )
        chosen.append(LAYERS[lid])
    weights = _weights(section.get("weights", {}), where, "layers.weights")
    custom = section.get("custom", [])
    _type(custom, list, where, "layers.custom")
    for i, spec in enumerate(custom):
        layer, weight = _custom_layer(spec, tables, where, f"layers.custom[{i}]")
        if any(l.id == layer.id for l in chosen):
            raise ConfigError(_("{where}: layer id {id!r} is declared twice; ids must be unique.").format(
                where=where, id=layer.id))
        chosen.append(layer)
        if weight is not None:
            weights.setdefault(layer.id, weight)
    if not chosen:
        raise ConfigError(_("{where}: no layers: list built-in layers in layers.use or add [[layers.custom]].").format(
            where=where))
    ids = {l.id for l in chosen}
    for lid in weights:
        if lid not in ids:
            raise ConfigError(
                _("{where}: layers.weights.{lid}: layer not in use; layers in use: {sorted}.").format(
                    where=where, lid=lid, sorted=sorted(ids))
            )
    for layer in chosen:
        if layer.table and layer.table not in tables:
            raise ConfigError(
                _("{where}: layer {id!r} reads table {table!r}, which is not declared under "
                "[tables]; declared: {sorted}.").format(
                    where=where, id=layer.id, table=layer.table, sorted=sorted(tables))
            )
    return chosen, weights


#: Keys of a custom layer whose value is text (file, column and table names, labels).
_CUSTOM_TEXT_KEYS = ("label", "theme", "unit", "kind", "source", "licence", "url", "description", "rollup_weight",
                     "table", "column", "numerator", "denominator", "points", "raster", "stat", "x", "y",
                     "weights_raster")


def _custom_layer(spec: Any, tables: Mapping[str, TableConfig], where: str, key: str) -> tuple[Any, float | None]:
    from layers.base import POINT_STATS, RASTER_STATS, Layer, PointStat, RasterStat, Ratio, Source, TableColumn

    _type(spec, dict, where, key)
    translated = {k: v for k, v in spec.items() if _LABEL_IN.fullmatch(str(k))}
    for k, v in translated.items():
        _type(v, str, where, f"{key}.{k}")
    _unknown({k: v for k, v in spec.items() if k not in translated}, _CUSTOM_KEYS, where, f"{key}.")
    for req in ("id", "label", "theme", "unit", "higher_is_worse", "kind", "source", "year", "licence"):
        if req not in spec:
            raise ConfigError(_("{where}: {key} needs {req} = ...; see 'Use your own data' in the README.").format(
                where=where, key=key, req=req))
    check_layer_id(spec["id"], where=f"{where}: {key}.id")
    _type(spec["higher_is_worse"], bool, where, f"{key}.higher_is_worse")
    _type(spec["year"], int, where, f"{key}.year")
    for opt in _CUSTOM_TEXT_KEYS:
        if opt in spec:
            _type(spec[opt], str, where, f"{key}.{opt}")
    base = Path(where).parent
    if "where" in spec and "points" not in spec:
        raise ConfigError(_("{where}: {key}.where filters the rows of a points file; for a table, set where "
                          "under its [tables.<name>] section.").format(where=where, key=key))
    if "complement_of" in spec and spec["unit"] == "%" and spec["complement_of"] != 100:
        raise ConfigError(_("{where}: {key} has unit = \"%\" and complement_of = {spec!r}; the "
                          "complement of a percentage is 100 - x: set complement_of = 100 (and scale = 100 for "
                          "shares stored as 0-1), or change the unit.").format(
                              where=where, key=key, spec=spec['complement_of']))
    if "column" in spec:
        loader = TableColumn(
            column=spec["column"], table=spec.get("table", "census"),
            complement_of=_finite(spec.get("complement_of"), where, f"{key}.complement_of"),
            scale=_finite(spec.get("scale", 1.0), where, f"{key}.scale", nonzero=True),
        )
    elif "numerator" in spec:
        if "denominator" not in spec:
            raise ConfigError(_("{where}: {key} has numerator but no denominator; add denominator = \"...\".").format(
                where=where, key=key))
        if "per" not in spec:
            raise ConfigError(
                _("{where}: {key} has numerator and denominator but no per; say what the ratio is per: per = 100 "
                "for a percentage (unit = \"%\"), per = 1000 for a rate per 1,000, per = 1 for a plain ratio.").format(
                    where=where, key=key)
            )
        per = _finite(spec["per"], where, f"{key}.per", nonzero=True)
        if spec["unit"] == "%" and per != 100:
            raise ConfigError(_("{where}: {key} has unit = \"%\" but per = {spec!r}; a percentage is "
                              "numerator / denominator x 100: set per = 100, or change the unit.").format(
                                  where=where, key=key, spec=spec['per']))
        loader = Ratio(spec["numerator"], spec["denominator"], per, spec.get("table", "census"))
    elif "points" in spec:
        _path(base, spec["points"], where, f"{key}.points")
        _choice(spec, "stat", POINT_STATS, where, key)
        for opt in ("x", "y"):
            _field(spec, opt, where, key)
        loader = PointStat(spec["points"], spec.get("stat", "count"), spec.get("x"), spec.get("y"),
                           where=tuple(_where(spec.get("where"), where, f"{key}.where").items()))
    elif "raster" in spec:
        _path(base, spec["raster"], where, f"{key}.raster")
        _choice(spec, "stat", RASTER_STATS, where, key)
        if "weights_raster" in spec:
            _path(base, spec["weights_raster"], where, f"{key}.weights_raster")
        loader = RasterStat(spec["raster"], spec.get("stat", "mean"), spec.get("weights_raster"))
    else:
        raise ConfigError(
            _("{where}: {key} needs a source of values: column = \"...\" (with table), numerator/denominator, "
            "points = \"file\" or raster = \"file\".").format(where=where, key=key)
        )
    weight = spec.get("weight")
    if weight is not None:
        _weights({spec["id"]: weight}, where, "layers.custom.weight")
    try:
        layer = Layer(
            id=spec["id"], label=spec["label"], theme=spec["theme"], unit=spec["unit"],
            higher_is_worse=spec["higher_is_worse"], kind=spec["kind"],
            source=Source(spec["source"], spec["year"], spec["licence"], spec.get("url", "")),
            loader=loader, rollup_weight=spec.get("rollup_weight"), description=spec.get("description", ""),
            se_column=_se_column(spec, loader, where, key),
            labels=tuple(sorted((k.removeprefix("label_"), v) for k, v in translated.items())),
        )
    except ValueError as exc:
        raise ConfigError(f"{where}: {key}: {exc}") from None
    return layer, (float(weight) if weight is not None else None)


def _finite(value: Any, where: str, key: str, *, nonzero: bool = False) -> float | None:
    """A number of the configuration: finite, at most 1e100 in absolute value (and not 0)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(_("{where}: {key} = {value!r} must be a number, e.g. {rsplit} = 100.").format(
            where=where, key=key, value=value, rsplit=key.rsplit('.', 1)[-1]))
    if not abs(value) <= 1e100 or (nonzero and value == 0):
        raise ConfigError(
            _("{where}: {key} = {value!r} is not usable: give a number between -1e100 and 1e100").format(
                where=where, key=key, value=value)
            + (", not 0." if nonzero else ".")
        )
    return float(value)


def _method(section: dict, where: str) -> Method:
    _unknown(section, _METHOD_KEYS, where, "method.")
    try:
        return Method(**section)
    except TargetingError as exc:
        raise ConfigError(f"{where}: [method] {exc}") from None


def _display(section: dict, levels: Mapping[str, LevelConfig], where: str) -> DisplayConfig:
    _unknown(section, _DISPLAY_KEYS, where, "display.")
    default_level = section.get("default_level", next(iter(levels)))
    _type(default_level, str, where, "display.default_level")
    if default_level not in levels:
        raise ConfigError(_("{where}: display.default_level = {default_level!r}; declared levels: {sorted}.").format(
            where=where, default_level=default_level, sorted=sorted(levels)))
    scheme = section.get("scheme", "quantiles")
    if scheme not in SCHEMES:
        raise ConfigError(_("{where}: display.scheme = {scheme!r}; must be one of {list}.").format(
            where=where, scheme=scheme, list=list(SCHEMES)))
    for k in ("classes", "top_n", "towns"):
        if k in section:
            _type(section[k], int, where, f"display.{k}")
    classes = section.get("classes", 5)
    if not 2 <= classes <= 9:
        raise ConfigError(_("{where}: display.classes = {classes}; must be between 2 and 9.").format(
            where=where, classes=classes))
    towns = section.get("towns", 12)
    if not 0 <= towns <= 200:
        raise ConfigError(_("{where}: display.towns = {towns}; give how many towns to name, 0 to 200 "
                            "(0: none).").format(where=where, towns=towns))
    towns_level = section.get("towns_level", _finest_level(levels))
    _type(towns_level, str, where, "display.towns_level")
    if towns_level not in levels:
        raise ConfigError(_("{where}: display.towns_level = {towns_level!r}; declared levels: {sorted}.").format(
            where=where, towns_level=towns_level, sorted=sorted(levels)))
    towns_where = _where(section.get("towns_where"), where, "display.towns_where")
    lv = levels[towns_level]
    known = {lv.id, *(f for f in (lv.name_field, lv.parent_name) if f), *lv.fields}
    unknown = [c for c in towns_where if c not in known]
    if unknown:
        raise ConfigError(_("{where}: display.towns_where names {unknown}, not a field of level {towns_level!r} "
                            "(its fields: {fields}); add it to levels.{towns_level}.fields or fix the "
                            "name.").format(where=where, unknown=unknown, towns_level=towns_level,
                                            fields=sorted(known)))
    return DisplayConfig(
        default_level=default_level, scheme=scheme, classes=classes,
        palette=str(section.get("palette", "YlOrRd")), top_n=int(section.get("top_n", 10)),
        bounds=_bounds(section.get("bounds"), where), towns=int(towns), towns_level=towns_level,
        towns_where=towns_where,
    )


def _finest_level(levels: Mapping[str, LevelConfig]) -> str:
    """The level no other level is made of (the first such, in declaration order)."""
    parents = {lv.parent_level for lv in levels.values()}
    return next((name for name in levels if name not in parents), next(iter(levels)))


def _bounds(value: Any, where: str) -> tuple[float, float, float, float] | None:
    """``[display] bounds = [west, south, east, north]``, checked; ``None`` when absent."""
    if value is None:
        return None
    fix = (_("write display.bounds = [west, south, east, north] in degrees, e.g. [-10, 29, -1, 36.5]; "
           "east < west crosses the antimeridian (Fiji: [177, -21, -178, -12])"))
    if (not isinstance(value, list) or len(value) != 4
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise ConfigError(_("{where}: display.bounds = {value!r} is not four numbers; {fix}.").format(
            where=where, value=value, fix=fix))
    west, south, east, north = (float(v) for v in value)
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south < north <= 90):
        raise ConfigError(_("{where}: display.bounds = {value!r} is outside the globe or has south >= north; {fix}.").format(
            where=where, value=value, fix=fix))
    return (west, south, east, north)


_ENGINE_KEYS = {"kind", "scheduler", "workers", "partitions", "chunk_rows"}
ENGINE_KINDS = ("local", "dask")


def _engine(section: dict, where: str) -> EngineConfig:
    """Validate ``[engine]``; for ``kind = "dask"`` also check that Dask is installed."""
    _unknown(section, _ENGINE_KEYS, where, "engine.")
    kind = section.get("kind", "local")
    if kind not in ENGINE_KINDS:
        raise ConfigError(_("{where}: engine.kind = {kind!r} not valid; must be one of {list}.").format(
            where=where, kind=kind, list=list(ENGINE_KINDS)))
    if "scheduler" in section:
        _type(section["scheduler"], str, where, "engine.scheduler")
        if "://" not in section["scheduler"]:
            raise ConfigError(
                _("{where}: engine.scheduler = {scheduler!r} is not an address; "
                  "write it like \"tcp://host:8786\" (what `dask scheduler` prints).").format(
                    where=where, scheduler=section['scheduler'])
            )
    for key in ("workers", "partitions", "chunk_rows"):
        if key in section:
            _type(section[key], int, where, f"engine.{key}")
            if section[key] < 1:
                raise ConfigError(_("{where}: engine.{key} = {section} not valid; must be a whole number >= 1.").format(
                    where=where, key=key, section=section[key]))
    if "scheduler" in section and "workers" in section:
        raise ConfigError(
            _("{where}: engine.scheduler and engine.workers are both set; use scheduler for an existing "
            "cluster or workers for a local one, not both.").format(where=where)
        )
    if kind == "local" and len(section) > ("kind" in section):
        extra = sorted(set(section) - {"kind"})
        raise ConfigError(_("{where}: engine.{extra} only applies to kind = \"dask\"; set kind = \"dask\" or remove it.").format(
            where=where, extra=extra[0]))
    if kind == "dask":
        require_dask(where)
    return EngineConfig(
        kind=kind, scheduler=section.get("scheduler"), workers=section.get("workers"),
        partitions=section.get("partitions"), chunk_rows=section.get("chunk_rows"),
    )


# --------------------------------------------------------------------------- data uncertainty

_UNCERTAINTY_KEYS = {"sample_fraction", "sampled_from", "size_column", "table", "data", "shrinkage", "fdr"}


def _se_column(spec: Mapping[str, Any], loader: Any, where: str, key: str) -> str | None:
    """A custom layer's ``se_column``: text, and only for a layer read from a table column."""
    if "se_column" not in spec:
        return None
    _type(spec["se_column"], str, where, f"{key}.se_column")
    if not hasattr(loader, "column"):
        raise ConfigError(
            _("{where}: {key}.se_column = {spec!r} needs a layer read from a table column "
            "(column = \"...\"); remove se_column or read the layer from a column.").format(
                where=where, key=key, spec=spec['se_column'])
        )
    return spec["se_column"]


def _uncertainty(section: dict, population: tuple[str, str], where: str) -> UncertaintyConfig:
    """Validate ``[uncertainty]``: the sampling design of the data and the Monte Carlo's data draws."""
    from geo.sampling import SHRINKAGE, SamplingDesign

    _unknown(section, _UNCERTAINTY_KEYS, where, "uncertainty.")
    fraction = section.get("sample_fraction", 1.0)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise ConfigError(
            _("{where}: uncertainty.sample_fraction = {fraction!r} not valid; it must be a number in (0, 1], "
            "e.g. 0.2 for a {example} sample (1 = counted in full).").format(where=where, fraction=fraction,
                                                                              example="20 %")
        )
    sampled_from = section.get("sampled_from", 0)
    if isinstance(sampled_from, bool) or not isinstance(sampled_from, (int, float)) or sampled_from < 0:
        raise ConfigError(
            _("{where}: uncertainty.sampled_from = {sampled_from!r} not valid; it must be a number >= 0 (the size "
            "from which a district was sampled; 0 = every district).").format(
                where=where, sampled_from=sampled_from)
        )
    size_column = section.get("size_column")
    if size_column is not None:
        _type(size_column, str, where, "uncertainty.size_column")
    if sampled_from > 0 and size_column is None:
        raise ConfigError(
            _("{where}: uncertainty.sampled_from = {sampled_from} needs uncertainty.size_column, the column of "
            "the population table that gives each district's size (e.g. \"households_count\").").format(
                where=where, sampled_from=sampled_from)
        )
    table = section.get("table", population[0])
    _type(table, str, where, "uncertainty.table")
    for flag in ("data", "fdr"):
        if flag in section:
            _type(section[flag], bool, where, f"uncertainty.{flag}")
    shrinkage = section.get("shrinkage", "none")
    if shrinkage not in SHRINKAGE:
        raise ConfigError(_("{where}: uncertainty.shrinkage = {shrinkage!r} not valid; must be one of {list}.").format(
            where=where, shrinkage=shrinkage, list=list(SHRINKAGE)))
    design = SamplingDesign(fraction=float(fraction), sampled_from=float(sampled_from), size_column=size_column,
                            table=table)
    return UncertaintyConfig(sampling=design, data=bool(section.get("data", True)), shrinkage=shrinkage,
                             fdr=bool(section.get("fdr", True)))
