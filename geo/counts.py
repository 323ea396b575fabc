"""People as well as rates: how many people a rate layer concerns, and population-weighted deciles.

A share only says which districts are worst off; a planner deciding where to invest also
needs to know how many people that is. For every *rate layer with a known denominator* —
a percentage (unit ``%``) whose declaration names its denominator (``rollup_weight``, a
column of the layer's table, e.g. the labour force for the unemployment rate) — the number
of people (or households) concerned is

``count = value / 100 x denominator``

(e.g. unemployment rate x labour force = unemployed people). A count layer (``kind =
"count"``) is its own count. Other layers (people per room, kilometres, a rate per 1,000
people) give no count; :func:`uncounted_layers` says why for each.

:func:`pop_decile` cuts a ranking into ten groups of equal *population* rather than equal
numbers of districts: decile 1 holds the most deprived districts that together hold the
first 10 % of the people.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from geo.i18n import _
from geo.errors import LayerDataError, TargetingError

__all__ = ["denominators", "layer_counts", "uncounted_layers", "pop_decile", "count_column"]


def count_column(layer_id: str) -> str:
    """Name of a layer's count column in the exports (``<layer>_count``).

    Examples
    --------
    >>> count_column("unemployment")
    'unemployment_count'
    """
    return f"{layer_id}_count"


def _denominator_column(layer: Any, tables: Mapping[str, pd.DataFrame]) -> str | None:
    """Why not: ``None`` when the layer is a percentage of a denominator found in its table."""
    if layer.kind != "rate":
        return "a count layer"
    if layer.unit != "%":
        return _("in {unit!r}, not a percentage of a group of people").format(unit=layer.unit)
    if not layer.rollup_weight:
        return _("no denominator declared (rollup_weight)")
    table = tables.get(layer.table) if layer.table else None
    if table is None:
        return _("its table {table!r} is not loaded at this level").format(table=layer.table)
    if layer.rollup_weight not in table.columns:
        return _("denominator column {rollup_weight!r} not in table {table!r}").format(
            rollup_weight=layer.rollup_weight, table=layer.table)
    return None


def uncounted_layers(layers: Sequence[Any], tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """Layers that give no count of people, each with the reason (count layers are counted).

    Examples
    --------
    >>> from layers import get_layer
    >>> uncounted_layers([get_layer("crowding")], {"census": pd.DataFrame()})
    {'crowding': "in 'people per room', not a percentage of a group of people"}
    """
    out = {}
    for layer in layers:
        reason = _denominator_column(layer, tables)
        if reason is not None and layer.kind != "count":
            out[layer.id] = reason
    return out


def denominators(
    layers: Sequence[Any],
    tables: Mapping[str, pd.DataFrame],
    *,
    table_paths: Mapping[str, Path] | None = None,
) -> dict[str, pd.Series]:
    """The denominator of every rate layer with a known one (people or households), by layer id.

    Parameters
    ----------
    layers : sequence of Layer
    tables : Mapping[str, pandas.DataFrame]
        The tables joined at the level (``LevelData.tables``).
    table_paths : Mapping[str, Path], optional
        The file of each table, for messages.

    Returns
    -------
    dict
        Layer id -> float Series indexed like the table (missing where the table has no figure).

    Raises
    ------
    LayerDataError
        A denominator that is non-numeric or negative, naming the file and column.
    """
    out = {}
    paths = table_paths or {}
    for layer in layers:
        if _denominator_column(layer, tables) is not None:
            continue
        column = layer.rollup_weight
        raw = tables[layer.table][column]
        where = paths.get(layer.table, layer.table)
        den = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = den.isna() & raw.notna()
        if bad.any():
            raise LayerDataError(
                _("{where}: column {column!r} (denominator of layer {id!r}) has {int} "
                "non-numeric value(s), e.g. {list}; write numbers or leave "
                "the cells empty for 'no data'.").format(
                    where=where, column=column, id=layer.id, int=int(bad.sum()), list=list(raw[bad].astype(str).unique()[:3]))
            )
        negative = den < 0
        if negative.any():
            raise LayerDataError(
                _("{where}: column {column!r} (denominator of layer {id!r}) is negative for "
                "{int} district(s) {list}; a number of "
                "people or households is >= 0. Fix these cells.").format(
                    where=where, column=column, id=layer.id, int=int(negative.sum()), list=list(map(str, den.index[negative][:5])))
            )
        out[layer.id] = den.rename(column)
    return out


def layer_counts(
    values: pd.DataFrame,
    layers: Sequence[Any],
    tables: Mapping[str, pd.DataFrame],
    *,
    table_paths: Mapping[str, Path] | None = None,
) -> pd.DataFrame:
    """People (or households) concerned by each layer that has a count, per district.

    Parameters
    ----------
    values : pandas.DataFrame
        Raw layer values (``LevelData.values``), in the layers' units.
    layers : sequence of Layer
        The layers (``LevelData.layers``); those without a count are left out
        (see :func:`uncounted_layers`).
    tables : Mapping[str, pandas.DataFrame]
        The tables joined at the level, indexed like ``values``.
    table_paths : Mapping[str, Path], optional
        The file of each table, for messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``<layer>_count`` in the layers' order, indexed like ``values``:
        ``value / 100 x denominator`` for a percentage, the value for a count layer;
        missing where the value or the denominator is.

    Raises
    ------
    LayerDataError
        A non-numeric or negative denominator.

    Examples
    --------
    >>> from layers import get_layer
    >>> v = pd.DataFrame({"unemployment": [10.0, 25.0]}, index=["a", "b"])
    >>> t = {"census": pd.DataFrame({"labour_active": [1000, 200]}, index=["a", "b"])}
    >>> layer_counts(v, [get_layer("unemployment")], t)["unemployment_count"].tolist()
    [100.0, 50.0]
    """
    dens = denominators(layers, tables, table_paths=table_paths)
    out = pd.DataFrame(index=values.index)
    for layer in layers:
        if layer.id not in values.columns:
            continue
        if layer.kind == "count":
            out[count_column(layer.id)] = values[layer.id].astype(float)
        elif layer.id in dens:
            den = dens[layer.id].reindex(values.index)
            out[count_column(layer.id)] = values[layer.id].astype(float) / 100.0 * den
    return out


def pop_decile(rank: pd.Series, population: pd.Series) -> pd.Series:
    """Population-weighted decile of a ranking: ten groups of about equal population.

    Districts are taken from the most deprived (rank 1; ties in code order) and each falls in
    the decile where its first inhabitant falls: ``floor(10 x P_before / P) + 1``, with
    ``P_before`` the population of the districts ranked before it and ``P`` the population of
    all ranked districts. Decile 1 thus holds the most deprived districts that together hold
    the first 10 % of the people (the district straddling 10 % included). A district larger
    than a tenth of the population can leave a decile empty.

    Parameters
    ----------
    rank : pandas.Series
        Rank per district (1 = most deprived); missing = unranked.
    population : pandas.Series
        Population per district (same index); missing = left out, like an unranked district.

    Returns
    -------
    pandas.Series
        ``Int64`` decile 1-10, named ``pop_decile``, indexed like ``rank``; missing for
        unranked districts and districts without population.

    Raises
    ------
    TargetingError
        Negative population, or no ranked district with population.

    Examples
    --------
    >>> r = pd.Series([1, 2, 3, 4], index=list("abcd"))
    >>> pop_decile(r, pd.Series([5, 5, 40, 50], index=list("abcd"))).tolist()
    [1, 1, 2, 6]
    """
    pop = pd.to_numeric(population.reindex(rank.index), errors="coerce").astype(float)
    if (pop < 0).any():
        raise TargetingError(
            _("Invalid population: negative for {list}; population must be "
            ">= 0. Fix the population column.").format(list=list(map(str, pop.index[pop < 0][:5])))
        )
    r = pd.to_numeric(rank, errors="coerce").astype(float)
    used = r.notna() & pop.notna()
    out = pd.Series(pd.NA, index=rank.index, dtype="Int64", name="pop_decile")
    if not used.any() or float(pop[used].sum()) <= 0:
        return out
    frame = pd.DataFrame({"rank": r[used].to_numpy(), "pop": pop[used].to_numpy(),
                          "_code": rank.index[used].astype(str)}, index=rank.index[used].rename(None))
    frame = frame.sort_values(["rank", "_code"], kind="mergesort")
    before = frame["pop"].cumsum().to_numpy() - frame["pop"].to_numpy()
    share = before / float(frame["pop"].sum())
    decile = np.minimum(np.floor(np.round(share * 10.0, 12)).astype(int) + 1, 10)
    out.loc[frame.index] = decile
    return out
