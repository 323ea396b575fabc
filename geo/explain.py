"""Why a district ranks where it does, in one sentence generated from the numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import pandas as pd

from geo.i18n import DEFAULT_LANGUAGE, N_, _, format_int, format_number, get_language, layer_label, ngettext

__all__ = ["Reason", "ordinal", "figure", "profile_table", "main_reasons", "why_sentence", "district_sentence"]

#: (z threshold, words) from the most above to the most below the national level
_RELATIONS = ((1.0, N_("far above")), (0.25, N_("above")), (-0.25, N_("close to")), (-1.0, N_("below")))


@dataclass(frozen=True)
class Reason:
    """One layer behind a district's score."""

    name: str          # words inside a sentence, e.g. "illiteracy"
    value: float
    national: float | None
    unit: str
    contribution: float  # points of the score
    relation: str        # "far above", "above", "close to", "below" or "far below" the national level


def ordinal(n: int) -> str:
    """``1`` -> ``"1st"``, ``12`` -> ``"12th"``, ``23`` -> ``"23rd"`` (in French ``"1er"``, ``"12e"``).

    Examples
    --------
    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd']
    """
    n = int(n)
    language = get_language()
    if language == "fr":
        return "1er" if n == 1 else f"{n}e"
    if language != "en":
        return str(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def figure(value: float | None, unit: str = "") -> str:
    """A value as a reader wants it: no spurious decimals, the unit after it.

    Examples
    --------
    >>> figure(39.12, "%"), figure(1.74, "people per room"), figure(float("nan"), "%")
    ('39 %', '1.7 people per room', 'no data')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("no data")
    value = float(value)
    text = format_number(value, 0 if abs(value) >= 10 else 1)
    if not unit:
        return text
    space = " " if get_language() == DEFAULT_LANGUAGE else "\u00a0"  # French 24,8 % (no break before the unit)
    return f"{text}{space}{_(unit)}".strip()


def profile_table(data, result, code: str, national: pd.DataFrame, regional: pd.DataFrame,
                  region: str | None, theme_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per scored layer of district ``code``: value, national and regional figures, score parts.

    Parameters
    ----------
    data : geo.dataset.LevelData
    result : geo.scoring.ScoreResult
    code : str
        The district.
    national, regional : pandas.DataFrame
        :func:`geo.dataset.reference_values` of the whole level (row ``"all"``) and by region.
    region : str or None
        The district's region code (a row of ``regional``).
    theme_labels : mapping, optional
        Theme id -> label, as the configuration declares them (default: the theme id).

    Returns
    -------
    pandas.DataFrame
        Columns ``layer_id``, ``theme_id``, ``theme``, ``layer`` (full label), ``name`` (short, for a sentence),
        ``value``, ``unit``, ``national``, ``regional``, ``spread`` (standard deviation over the
        districts), ``direction``, ``normalised``, ``weight``, ``contribution``, ``source``; sorted
        by contribution, largest first.
    """
    from geo.labels import short_name
    rows = []
    themes = theme_labels or {}
    for layer in data.layers:
        if layer.id not in result.normalised.columns:
            continue
        rows.append({
            "layer_id": layer.id,
            "theme_id": layer.theme,
            "theme": _(themes[layer.theme]) if themes.get(layer.theme) else layer.theme,
            "layer": layer_label(layer),
            "name": short_name(layer),
            "value": data.values.at[code, layer.id],
            "unit": layer.unit,
            "national": national.at["all", layer.id] if layer.id in national else None,
            "regional": regional.at[region, layer.id] if region in regional.index and layer.id in regional else None,
            "spread": float(pd.to_numeric(data.values[layer.id], errors="coerce").std()),
            "direction": layer.direction,
            "normalised": result.normalised.at[code, layer.id],
            "weight": float(result.effective_weights.get(layer.id, 0.0)),
            "contribution": result.contributions.at[code, layer.id],
            "source": f"{layer.source.name}, {layer.source.year} ({layer.source.licence})",
        })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values("contribution", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


def district_sentence(table: pd.DataFrame, code: str, frame: pd.DataFrame,
                      extra: pd.DataFrame | None = None) -> str:
    """:func:`why_sentence` of district ``code`` from the ranked table, its profile table and the analytics.

    Parameters
    ----------
    table : pandas.DataFrame
        The ranked table indexed by code (``rank`` column).
    code : str
    frame : pandas.DataFrame
        :func:`profile_table` of the district.
    extra : pandas.DataFrame, optional
        The analytics columns (``rank_p05``, ``rank_p95``) indexed by code.

    Returns
    -------
    str
    """
    rank = table.at[code, "rank"]
    ranked = int(table["rank"].notna().sum())
    interval = None
    if extra is not None and code in extra.index and {"rank_p05", "rank_p95"} <= set(extra.columns):
        interval = (extra.at[code, "rank_p05"], extra.at[code, "rank_p95"])
    reasons = main_reasons(frame) if len(frame) else []
    return why_sentence(None if pd.isna(rank) else float(rank), ranked, reasons, interval=interval)


def _relation(z: float) -> str:
    for threshold, words in _RELATIONS:
        if z >= threshold:
            return words
    return N_("far below")


def main_reasons(frame: pd.DataFrame, n: int = 3) -> list[Reason]:
    """The ``n`` layers that add most to the score, largest first.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per layer with columns ``name``, ``value``, ``national``,
        ``spread`` (the standard deviation over the districts), ``unit`` and
        ``contribution`` (points of the score), as
        :func:`geo.brief.profile_table` builds.
    n : int
        How many reasons.

    Returns
    -------
    list of Reason
        Only layers with a positive contribution; the relation to the national
        level is measured in standard deviations across districts (1 or more:
        "far above", 0.25 to 1: "above", within 0.25: "close to").

    Examples
    --------
    >>> f = pd.DataFrame({"name": ["a", "b"], "value": [30.0, 5.0], "national": [20.0, 5.0],
    ...                   "spread": [5.0, 2.0], "unit": ["%", "%"], "contribution": [1.0, 3.0]})
    >>> [(r.name, r.relation) for r in main_reasons(f)]
    [('b', 'close to'), ('a', 'far above')]
    """
    rows = frame[frame["contribution"].fillna(0) > 0].sort_values("contribution", ascending=False).head(n)
    reasons = []
    for _code, row in rows.iterrows():
        national = row["national"] if pd.notna(row["national"]) else None
        spread = row.get("spread")
        if national is None or pd.isna(row["value"]) or not spread or pd.isna(spread):
            relation = "close to" if national is not None and row["value"] == national else "above"
        else:
            relation = _relation((float(row["value"]) - float(national)) / float(spread))
        reasons.append(Reason(name=str(row["name"]), value=float(row["value"]), national=national,
                              unit=str(row["unit"] or ""), contribution=float(row["contribution"]),
                              relation=relation))
    return reasons


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else _("{items} and {last}").format(items=", ".join(words[:-1]),
                                                                             last=words[-1])


def why_sentence(rank: float | None, ranked: int, reasons: Sequence[Reason], *,
                 interval: tuple[float, float] | None = None) -> str:
    """The profile's headline: the rank, its likely range and the main reasons.

    Parameters
    ----------
    rank : float or None
        The district's rank (1 = most in need); ``None`` or NaN when it has no score.
    ranked : int
        How many districts have a rank.
    reasons : sequence of Reason
        From :func:`main_reasons`, largest contribution first.
    interval : (float, float), optional
        The 5th and 95th percentiles of the rank over the Monte Carlo draws.

    Returns
    -------
    str

    Examples
    --------
    >>> r = [Reason("illiteracy", 39.1, 25.2, "%", 4.1, "far above"),
    ...      Reason("children out of school", 11.8, 3.3, "%", 4.0, "far above"),
    ...      Reason("no toilet", 28.1, 6.0, "%", 3.9, "far above")]
    >>> why_sentence(3, 75, r, interval=(2, 6))
    'Ranks 3rd of 75 (likely between 2nd and 6th): illiteracy (39 %, country 25 %), children out of school (12 %, country 3.3 %) and no toilet (28 %, country 6.0 %) are far above the national level.'
    >>> why_sentence(None, 75, [])
    'Not ranked: too little data for a score.'
    """
    if rank is None or (isinstance(rank, float) and math.isnan(rank)):
        return _("Not ranked: too little data for a score.")
    head = _("Ranks {rank} of {ranked}").format(rank=ordinal(int(rank)), ranked=format_int(ranked))
    if interval is not None and not any(pd.isna(v) for v in interval):
        low, high = (int(round(v)) for v in interval)
        head += " " + (_("(in nearly every draw of the weights and methods)") if low == high
                       else _("(likely between {low} and {high})").format(
                           low=ordinal(low), high=ordinal(high)))
    if not reasons:
        return head + "."
    clauses: list[tuple[str, list[str]]] = []
    for r in reasons:
        country = figure(r.national, r.unit if r.unit == "%" else "")  # a long unit is said once
        text = r.name + " " + (_("({value}, country {country})").format(value=figure(r.value, r.unit),
                                                                          country=country)
                               if r.national is not None else f"({figure(r.value, r.unit)})")
        if clauses and clauses[-1][0] == r.relation:
            clauses[-1][1].append(text)
        else:
            clauses.append((r.relation, [text]))
    parts = [(ngettext("{items} is {relation} the national level", "{items} are {relation} the national level",
                       len(items)) if i == 0 else
              ngettext("{items} is {relation} it", "{items} are {relation} it", len(items))).format(
                  items=_join(items), relation=_(relation)) for i, (relation, items) in enumerate(clauses)]
    return _("{head}: {reasons}.").format(head=head, reasons="; ".join(parts))
