"""Change over time between two vintages of the same layers, and the districts left behind.

Each layer is compared on its own scale: ``change = after - before`` (e.g.
percentage points). The national change is the change of the national
figures (HCP's national rows, or the districts aggregated like a roll-up). In
the layer's direction of need, a district's *gap* is how much worse than the
country it is; it *falls further behind* on a layer when it is worse than the
country in the later vintage and its gap widened by more than ``tolerance``
(its change was worse than the national change). A district better than the
country that loses some of its lead is converging, not falling behind: this
keeps places near a floor (e.g. 0.3 % without electricity) from being flagged
merely because they had little left to improve. A district is *left behind*
when it falls further behind on at least half of the layers compared *for that
district* (``ceil(layers_compared / 2)``: an urban commune without a road
distance needs 6 of its 12 layers, a rural one 7 of 13), or on ``min_layers``
layers when a fixed number is asked for.

The default tolerance is the data's published precision (:func:`published_precision`):
HCP publishes its rates rounded to 0.1 point, so a gap that widened by 0.1 point or
less can be rounding and is not counted; each layer gets the step of its own figures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd

from geo.i18n import _, format_spec, ngettext
from geo.errors import ConfigError, TargetingError
from geo.identifiers import CHANGE_STATUS_COLUMNS

if TYPE_CHECKING:
    from geo.config import Config
    from geo.dataset import LevelData

__all__ = ["change_table", "left_behind", "ChangeResult", "compare_vintages", "change_export", "change_metadata",
           "status_classes", "with_threshold", "published_precision", "CHANGE_STATUS_COLUMNS", "STATUS_COLOURS"]

#: Map colours of :func:`status_classes`, from left behind to not behind (red to grey, colour-blind safe).
STATUS_COLOURS = ("#b2182b", "#ef8a62", "#fddbc7", "#e0e0e0")


def change_table(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    higher_is_worse: Mapping[str, bool],
    national_before: Mapping[str, float],
    national_after: Mapping[str, float],
) -> pd.DataFrame:
    """Per district and layer: change, and change relative to the national trend.

    Parameters
    ----------
    before, after : pandas.DataFrame
        Layer values of the two vintages, districts as rows (same codes);
        only the layers present in both are compared.
    higher_is_worse : Mapping[str, bool]
        Direction per layer.
    national_before, national_after : Mapping[str, float]
        National figures of each layer in each vintage.

    Returns
    -------
    pandas.DataFrame
        Columns ``<layer>_change`` (after - before), ``<layer>_vs_national``
        (the change minus the national change, signed so that a positive value
        means the gap to the country widened) and ``<layer>_gap`` (after minus
        the national figure, signed so that a positive value means worse than
        the country), indexed like ``after``.

    Raises
    ------
    TargetingError
        No layer in common, or a missing national figure.

    Examples
    --------
    >>> b = pd.DataFrame({"illiteracy": [40.0, 30.0]}, index=["a", "b"])
    >>> a = pd.DataFrame({"illiteracy": [35.0, 29.0]}, index=["a", "b"])
    >>> t = change_table(b, a, higher_is_worse={"illiteracy": True},
    ...                  national_before={"illiteracy": 32.0}, national_after={"illiteracy": 28.0})
    >>> t["illiteracy_vs_national"].tolist()
    [-1.0, 3.0]
    >>> t["illiteracy_gap"].tolist()
    [7.0, 1.0]
    """
    common = [c for c in after.columns if c in before.columns]
    if not common:
        raise TargetingError(
            _("No layer in both vintages: before has {list}, after has {list2}; "
            "give the layers the same ids in both.").format(
                list=list(before.columns), list2=list(after.columns))
        )
    out = pd.DataFrame(index=after.index)
    for layer in common:
        for name, figures in (("national_before", national_before), ("national_after", national_after)):
            if layer not in figures or not np.isfinite(figures[layer]):
                raise TargetingError(_("{name} has no figure for layer {layer!r}; give both national figures.").format(
                    name=name, layer=layer))
        change = after[layer].astype(float) - before[layer].reindex(after.index).astype(float)
        national = float(national_after[layer]) - float(national_before[layer])
        sign = 1.0 if higher_is_worse[layer] else -1.0
        gap = sign * (after[layer].astype(float) - float(national_after[layer]))
        # figures are published rounded (e.g. to 0.1): round away binary noise such as -5.600000000000001
        out[f"{layer}_change"] = change.round(9)
        out[f"{layer}_vs_national"] = (sign * (change - national)).round(9)
        out[f"{layer}_gap"] = gap.round(9)
    return out


def published_precision(*frames: pd.DataFrame, max_decimals: int = 4) -> dict[str, float]:
    """The rounding step of each column's published figures: ``10 ** -d`` with ``d`` the most
    decimals any value has (0 when the values carry more than ``max_decimals``: computed, not
    rounded figures).

    Examples
    --------
    >>> published_precision(pd.DataFrame({"a": [12.3, 4.0], "b": [1.0, 2.0], "c": [1 / 3, 0.5]}))
    {'a': 0.1, 'b': 1.0, 'c': 0.0}
    """
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    out = {}
    for col in columns:
        values = np.concatenate([f[col].to_numpy(dtype=float) for f in frames if col in f.columns])
        values = np.abs(values[np.isfinite(values)])
        step = 0.0
        for d in range(max_decimals + 1):
            scaled = values * 10.0 ** d
            if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, scaled)):
                step = 10.0 ** -d
                break
        out[col] = round(step, max_decimals)
    return out


def left_behind(changes: pd.DataFrame, *, tolerance: float | Mapping[str, float] = 0.0,
                min_layers: int | None = None) -> pd.DataFrame:
    """Count, per district, the layers on which it fell further behind the national trend.

    Parameters
    ----------
    changes : pandas.DataFrame
        Output of :func:`change_table` (``<layer>_vs_national`` and ``<layer>_gap`` per layer).
    tolerance : float or Mapping[str, float]
        How much worse than the national change counts (in each layer's unit): one number for
        every layer, or one per layer (e.g. :func:`published_precision`).
    min_layers : int, optional
        Layers needed to call a district left behind; default: half of the layers compared for
        that district, rounded up.

    Returns
    -------
    pandas.DataFrame
        ``behind_on`` (number of layers), ``layers_compared``, ``needed`` and ``left_behind``.

    Examples
    --------
    The gap widened in ``a`` and ``d``, but ``d`` is still better than the country:

    >>> c = pd.DataFrame({"x_vs_national": [2.0, -1.0, None, 2.0],
    ...                   "x_gap": [1.5, 3.0, None, -4.0]}, index=list("abcd"))
    >>> left_behind(c)["left_behind"].tolist()
    [True, False, False, False]
    """
    layers = [c.removesuffix("_vs_national") for c in changes.columns if c.endswith("_vs_national")]
    rel = changes[[f"{l}_vs_national" for l in layers]].to_numpy(dtype=float)
    gap = changes[[f"{l}_gap" for l in layers]].to_numpy(dtype=float)
    if isinstance(tolerance, Mapping):
        tol = np.array([float(tolerance.get(l, 0.0)) for l in layers])
    else:
        tol = np.full(len(layers), float(tolerance))
    # published figures are rounded: compare with a hair of slack so that 0.1 - 0.0 = 0.1 is "within 0.1"
    behind = ((rel > tol[None, :] + 1e-9) & (gap > 0)).sum(axis=1)
    compared = np.isfinite(rel).sum(axis=1)
    needed = np.ceil(compared / 2).astype(int) if min_layers is None else np.full(len(compared), int(min_layers))
    return pd.DataFrame({"behind_on": behind, "layers_compared": compared, "needed": needed,
                         "left_behind": (behind >= needed) & (compared > 0)}, index=changes.index)


@dataclass(frozen=True)
class ChangeResult:
    """Two vintages of the comparable layers of one level, and what changed.

    Attributes
    ----------
    labels : tuple of str
        Names of the two vintages (e.g. ``("2014", "2024")``).
    layers : tuple of Layer
        The layers compared: read from the later table, with every column they need present in
        the earlier one.
    skipped : Mapping[str, str]
        Layers not compared, with the reason.
    before, after : pandas.DataFrame
        Layer values per district in each vintage.
    national : pandas.DataFrame
        Per layer (rows): ``before``, ``after``, ``change``.
    table : pandas.DataFrame
        Per district: ``behind_on``, ``layers_compared``, ``left_behind``, then per layer
        ``<layer>_before``, ``<layer>_after``, ``<layer>_change``, ``<layer>_vs_national``,
        ``<layer>_gap``.
    report : tuple of str
        How the earlier vintage was joined (unmatched rows included).
    tolerance : Mapping[str, float]
        Per layer, how much the gap had to widen to count.
    min_layers : int or None
        Layers to fall behind on; ``None``: half of those compared for each district.
    precision : Mapping[str, float]
        Per layer, the published precision of its figures (the default tolerance).
    """

    labels: tuple[str, str]
    layers: tuple[Any, ...]
    skipped: Mapping[str, str]
    before: pd.DataFrame
    after: pd.DataFrame
    national: pd.DataFrame
    table: pd.DataFrame
    report: tuple[str, ...]
    tolerance: Mapping[str, float]
    min_layers: int | None
    precision: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def describe_tolerance(self) -> str:
        """The tolerance in words, e.g. ``"0.1 (the published precision)"``."""
        values = sorted(set(self.tolerance.values()))
        shown = (", ".join(format_spec(v, "g") for v in values) if len(values) <= 3
                 else _("{low} to {high}").format(
                     low=format_spec(values[0], "g"), high=format_spec(values[-1], "g")))
        same = dict(self.tolerance) == dict(self.precision)
        return shown + (_(" (the published precision of the figures)") if same else "")

    def describe_rule(self) -> str:
        """Who is left behind, in words."""
        k = _("half of the layers compared for the district") if self.min_layers is None else \
            ngettext("{n} layer", "{n} layers", self.min_layers).format(n=self.min_layers)
        return (_("left behind = worse than the country and the gap widened by more than the tolerance "
                "({describe_tolerance}) on at least {k}").format(
                    describe_tolerance=self.describe_tolerance(), k=k))


def compare_vintages(
    config: "Config", data: "LevelData", *, tolerance: float | None = None, min_layers: int | None = None
) -> ChangeResult:
    """Compare the configured earlier vintage (``[change]``) with the level as loaded.

    Every layer that reads the later table (``change.after``) and whose columns all exist in
    the earlier table (``change.before``) is loaded a second time from the earlier table,
    joined to the same districts (rolled up from the level below where that table has no rows
    of its own for the level). National figures come from the tables' national rows
    (``change.national``), else from the districts aggregated like a roll-up; a layer whose
    roll-up weight (``rollup_weight``) is not in the earlier table then cannot be aggregated and is
    listed in ``skipped`` with the reason.

    Parameters
    ----------
    config : Config
        With a ``[change]`` section.
    data : LevelData
        The level, loaded from ``config`` (the later vintage).
    tolerance : float, optional
        How much worse than the national change counts as falling behind (layer units); default:
        the configuration's ``change.tolerance``, else each layer's published precision
        (:func:`published_precision` of both vintages).
    min_layers : int, optional
        Layers on which a district must fall behind to be *left behind*; default: half of the
        layers compared for that district, rounded up.

    Raises
    ------
    ConfigError
        No ``[change]`` section, or no layer comparable between the two tables.
    TargetingError
        Any problem reading or joining the earlier table.
    """
    from geo.dataset import load_level, reference_values
    from geo.io import read_table

    spec = config.change
    if spec is None:
        raise ConfigError(
            _("{path}: no [change] section; add one with before = \"<earlier table>\" to compare two vintages.").format(
                path=config.path)
        )
    before_cfg = config.tables[spec.before]
    before_table = read_table(before_cfg.path, key=before_cfg.key, sheet=before_cfg.sheet)
    layers, skipped = [], {}
    for layer in data.layers:
        needs = tuple(getattr(layer.loader, "columns", ()))
        absent = [c for c in needs if c not in before_table.columns]
        if layer.table != spec.after or not needs:
            skipped[layer.id] = _("not read from the {after} table").format(after=spec.after)
        elif absent:
            skipped[layer.id] = f"{before_cfg.path.name} has no {', '.join(absent)}"
        elif not spec.national and layer.rollup_weight and layer.rollup_weight not in before_table.columns:
            # no denominator: no national figure can be aggregated for the earlier vintage
            skipped[layer.id] = (_("{name} has no {rollup_weight} to weight its national "
                                 "figure (set change.national to use the tables' national rows)").format(
                                     name=before_cfg.path.name, rollup_weight=layer.rollup_weight))
        else:
            layers.append(layer)
    if not layers:
        raise ConfigError(
            _("{path}: no layer can be compared: none of the columns the layers read from "
            "tables.{after} is in it ({join}). "
            "Give the earlier table the same column names as the later one.").format(
                path=before_cfg.path, after=spec.after, join='; '.join((f'{k}: {v}' for k, v in skipped.items())))
        )
    ids = [l.id for l in layers]
    earlier = dataclasses.replace(
        config,
        tables={**config.tables, spec.after: dataclasses.replace(before_cfg, name=spec.after)},
        layers=tuple(layers),
        change=None,
    )
    old = load_level(earlier, data.level)
    before = old.values[ids].reindex(data.values.index)
    after = data.values[ids]
    if spec.national:
        after_cfg = config.tables[spec.after]
        nat_before = _national_row(before_table, before_cfg, spec.national, layers, spec.after, config.base_dir)
        nat_after = _national_row(read_table(after_cfg.path, key=after_cfg.key, sheet=after_cfg.sheet),
                                  after_cfg, spec.national, layers, spec.after, config.base_dir)
    else:
        nat_before = reference_values(old).iloc[0][ids]
        nat_after = reference_values(data).iloc[0][ids]
    national = pd.DataFrame({"before": nat_before, "after": nat_after})
    national["change"] = national["after"] - national["before"]

    changes = change_table(before, after, higher_is_worse={l.id: l.higher_is_worse for l in layers},
                           national_before=nat_before.to_dict(), national_after=nat_after.to_dict())
    per_layer = {}
    for lid in ids:
        per_layer[f"{lid}_before"] = before[lid]
        per_layer[f"{lid}_after"] = after[lid]
        per_layer[f"{lid}_change"] = changes[f"{lid}_change"]
        per_layer[f"{lid}_vs_national"] = changes[f"{lid}_vs_national"]
        per_layer[f"{lid}_gap"] = changes[f"{lid}_gap"]
    table = pd.DataFrame(per_layer, index=after.index)
    report = tuple(f"{spec.labels[0]}: {line}" for line in old.report_lines())
    precision = published_precision(before, after)
    if tolerance is None and spec.tolerance is not None:
        tolerance = spec.tolerance
    result = ChangeResult(labels=spec.labels, layers=tuple(layers), skipped=skipped, before=before, after=after,
                          national=national, table=table, report=report, tolerance=precision, min_layers=None,
                          precision=precision)
    return with_threshold(result, tolerance=tolerance, min_layers=min_layers)


def with_threshold(result: ChangeResult, *, tolerance: float | None = None,
                   min_layers: int | None = None) -> ChangeResult:
    """The same comparison with another rule for *left behind* (cheap: nothing is read again).

    Parameters as in :func:`compare_vintages` (``tolerance=None``: the published precision).

    Raises
    ------
    TargetingError
        ``min_layers`` outside 1 to the number of layers compared, or a negative tolerance.
    """
    n = len(result.layers)
    if min_layers is not None and not 1 <= int(min_layers) <= n:
        raise TargetingError(_("min_layers = {min_layers}: must be between 1 and the {n} layers compared.").format(
            min_layers=min_layers, n=n))
    if tolerance is not None and (not np.isfinite(tolerance) or tolerance < 0):
        raise TargetingError(_("tolerance = {tolerance!r}: must be a number >= 0 (in each layer's unit).").format(
            tolerance=tolerance))
    tol = dict(result.precision) if tolerance is None else {l.id: float(tolerance) for l in result.layers}
    per_layer = result.table.drop(columns=list(CHANGE_STATUS_COLUMNS), errors="ignore")
    table = left_behind(per_layer, tolerance=tol, min_layers=min_layers).join(per_layer)
    return dataclasses.replace(result, table=table, tolerance=tol,
                               min_layers=None if min_layers is None else int(min_layers))


def _national_row(table: pd.DataFrame, tcfg: Any, value: str, layers: list, as_table: str, base_dir: Any
                  ) -> pd.Series:
    """The layers' values on the national row (``level_column == value``) of a table."""
    from layers.base import LayerInputs

    rows = table[table[tcfg.level_column].astype(str) == value] if tcfg.level_column in table else table.iloc[:0]
    if len(rows) != 1:
        raise ConfigError(
            _("{path}: {n_rows} rows with {level_column} = {value!r}; change.national needs exactly "
            "one national row there (or remove change.national to aggregate the districts).").format(
                path=tcfg.path, n_rows=len(rows), level_column=tcfg.level_column, value=value)
        )
    rows = rows.set_index(pd.Index(["national"]))
    inputs = LayerInputs(level="national", districts=rows, tables={as_table: rows},
                         table_paths={as_table: tcfg.path}, base_dir=base_dir)
    return pd.Series({l.id: float(l.load(inputs).iloc[0]) for l in layers})


def change_export(data: "LevelData", result: ChangeResult) -> pd.DataFrame:
    """The change table laid out for export: the districts left behind first.

    Columns: ``code, name, parent_code, parent_name, population``, then ``behind_on,
    layers_compared, left_behind`` and, per layer compared, its two values, change, change
    against the national change and gap to the country. Every district is a row.
    """
    from geo.dataset import district_columns

    out = district_columns(data).join(result.table.rename_axis(None))
    out = out.sort_values(["left_behind", "behind_on", "code"], ascending=[False, False, True], kind="mergesort")
    return out.reset_index(drop=True)


def change_metadata(data: "LevelData", result: ChangeResult) -> dict[str, str]:
    """The settings and national figures of a change export."""
    before, after = result.labels
    meta = {
        "level": data.level,
        "vintages": f"{before} -> {after}",
        "tolerance": result.describe_tolerance(),
        "min_layers": _("half of the layers compared for each district") if result.min_layers is None
        else str(result.min_layers),
        "left_behind": str(int(result.table["left_behind"].sum())),
        "rule": result.describe_rule(),
    }
    for lid, tol in result.tolerance.items():
        meta[f"tolerance.{lid}"] = f"{tol:g}"
    for lid, row in result.national.iterrows():
        meta[f"national.{lid}"] = f"{row['before']:g} -> {row['after']:g}"
    for lid, why in result.skipped.items():
        meta[f"not_compared.{lid}"] = why
    return meta


def status_classes(status: pd.DataFrame, k: int | None) -> tuple[pd.Series, dict[str, str]]:
    """Each district's map class by the number of layers it fell further behind on, and the legend colours.

    With a fixed ``k``: left behind (``k`` or more), about half-way there, on a few layers, on none.
    With ``k=None`` (half of each district's own layers, the ``needed`` column): left behind, on
    at least a quarter of its layers, on fewer, on none. Districts with no layer compared are
    left out ("no data").

    Examples
    --------
    >>> s = pd.DataFrame({"behind_on": [7, 4, 1, 0, 0], "layers_compared": [13, 13, 13, 13, 0]})
    >>> status_classes(s, 7)[0].tolist()
    ['left behind (7 or more layers)', 'on 4 to 6 layers', 'on 1 to 3 layers', 'on no layer', None]
    >>> s["needed"] = [7, 7, 7, 7, 0]
    >>> status_classes(s, None)[0].tolist()[:3]
    ['left behind (half of its layers or more)', 'on a quarter of its layers or more', 'on fewer']
    """
    n = status["behind_on"]
    if k is None:
        needed = status["needed"].clip(lower=1)
        names = [_("left behind (half of its layers or more)"), _("on a quarter of its layers or more"), _("on fewer"),
                 _("on no layer")]
        bins = [n >= needed, (n >= needed / 2) & (n < needed), (n >= 1) & (n < needed / 2), n == 0]
    else:
        half = max(1, (k + 1) // 2)
        names = [_("left behind ({k} or more layers)").format(
            k=k), _span(half, k - 1), _span(1, half - 1), _("on no layer")]
        bins = [n >= k, (n >= half) & (n < k), (n >= 1) & (n < half), n == 0]
    out = pd.Series(None, index=status.index, dtype=object)
    for name, hit in zip(names, bins):
        out[hit & out.isna()] = name
    out[status["layers_compared"] == 0] = None
    colours = {name: colour for name, colour in zip(names, STATUS_COLOURS) if name}
    return out, colours


def _span(low: int, high: int) -> str:
    if high < low:
        return ""
    return f"on {low} layer" + ("s" if low > 1 else "") if low == high else _("on {low} to {high} layers").format(
        low=low, high=high)
