"""Joining indicator tables to districts, with a report of what did not match.

A table joins by district code, or by name within the parent district (names
compared after :func:`geo.text.normalise_name`). A crosswalk (lines of
``table_key, district_code[, share]``) models what changed between the table
and the boundaries: a key given to another district, several rows merged into
one district (counts summed, rates averaged with their weights) and one row
split over several districts (counts divided by the shares, rates copied). A
table finer than the boundaries is first grouped by the column naming its
district (:func:`group_rows`). Nothing is dropped silently: :class:`JoinReport`
lists unmatched rows on both sides, and :func:`check_join` turns a report that
loses too much into an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from geo.i18n import _, format_spec
from geo.errors import JoinError
from geo.text import normalise_code, normalise_name

__all__ = ["AGGREGATIONS", "JoinReport", "check_join", "group_rows", "join_table", "pad_codes",
           "suggest_matches", "zeros_hint"]

#: How ``aggregate`` may combine the rows of a group (besides a ratio or a weighted mean).
AGGREGATIONS = ("sum", "mean", "min", "max", "first")

#: How many unmatched items a report line shows before "... and N more" (``--full`` shows all).
SHOWN = 10

#: Shares of one crosswalk key must sum to 1 within this tolerance.
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class JoinReport:
    """Outcome of one join.

    Attributes
    ----------
    table : str
        Name (or path) of the joined table.
    districts : int
        Number of districts.
    rows : int
        Number of table rows considered (groups, for a grouped table).
    matched_by_code, matched_by_name, matched_by_crosswalk : int
        Districts matched by each rule (a district reached through a crosswalk
        line counts as matched by crosswalk).
    unmatched_districts : list of (code, name)
        Districts without a table row: they get "no data".
    unmatched_rows : list of str
        Table keys that matched no district: their values are not used.
    merged : tuple of (code, tuple of str)
        Districts made of several table rows, with the rows' keys.
    split : tuple of (key, tuple of (code, share))
        Table rows divided over several districts.
    details : tuple of str
        Further report lines (grouping, crosswalk lines not used, columns combined).
    suggestions : tuple of (key, code, name, score)
        Near matches of unmatched names (score 0-100), as crosswalk lines to accept.
    config_key : str
        The table's key in the configuration (``tables.<name>``), for hints.
    """

    table: str
    districts: int
    rows: int
    matched_by_code: int = 0
    matched_by_name: int = 0
    matched_by_crosswalk: int = 0
    unmatched_districts: list[tuple[str, str]] = field(default_factory=list)
    unmatched_rows: list[str] = field(default_factory=list)
    merged: tuple[tuple[str, tuple[str, ...]], ...] = ()
    split: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    details: tuple[str, ...] = ()
    suggestions: tuple[tuple[str, str, str, float], ...] = ()
    config_key: str = ""

    @property
    def matched(self) -> int:
        """Districts matched by any rule."""
        return self.matched_by_code + self.matched_by_name + self.matched_by_crosswalk

    @property
    def complete(self) -> bool:
        """True when every district and every row matched."""
        return not self.unmatched_districts and not self.unmatched_rows

    @property
    def unmatched_share(self) -> float:
        """Share of the districts without a row (0 when there are no districts)."""
        return len(self.unmatched_districts) / self.districts if self.districts else 0.0

    def lines(self, full: bool = False) -> list[str]:
        """Human-readable summary for the command line and the dashboard.

        Parameters
        ----------
        full : bool, default False
            List every unmatched item instead of the first ten.
        """
        out = [
            _("{table}: {matched} of {districts} districts matched "
            "({matched_by_code} by code, {matched_by_name} by name, "
            "{matched_by_crosswalk} by crosswalk); {rows} table rows").format(
                table=self.table, matched=self.matched, districts=self.districts, matched_by_code=self.matched_by_code, matched_by_name=self.matched_by_name, matched_by_crosswalk=self.matched_by_crosswalk, rows=self.rows)
        ]
        out += [f"  {d}" for d in self.details]
        if self.merged:
            shown = "; ".join(f"{c} <- {', '.join(keys)}" for c, keys in _cut(self.merged, full))
            out.append(_("  {n_merged} district(s) merged from several rows (counts summed, rates "
                       "averaged by their weights): {shown}{more}").format(
                           n_merged=len(self.merged), shown=shown, more=_more(self.merged, full)))
        if self.split:
            shown = "; ".join(f"{k} -> " + ", ".join(f"{c} ({s:.4g})" for c, s in parts)
                              for k, parts in _cut(self.split, full))
            out.append(_("  {n_split} row(s) split over several districts (counts divided by the shares, "
                       "rates copied): {shown}{more}").format(
                           n_split=len(self.split), shown=shown, more=_more(self.split, full)))
        if self.unmatched_districts:
            shown = ", ".join(f"{c} {n}" for c, n in _cut(self.unmatched_districts, full))
            out.append(_("  {n_unmatched_districts} district(s) without a row (no data): {shown}").format(
                n_unmatched_districts=len(self.unmatched_districts), shown=shown)
                       + _more(self.unmatched_districts, full))
        if self.unmatched_rows:
            shown = ", ".join(_cut(self.unmatched_rows, full))
            out.append(_("  {n_unmatched_rows} table row(s) matching no district (not used): {shown}").format(
                n_unmatched_rows=len(self.unmatched_rows), shown=shown)
                       + _more(self.unmatched_rows, full))
        hint = zeros_hint(self.unmatched_rows, [c for c, _unused in self.unmatched_districts], self.config_key)
        if hint:
            out.append(f"  {hint}")
        if self.suggestions:
            out.append(_("  {n_suggestions} near match(es) of unmatched names; if right, add these "
                       "lines to the table's crosswalk file (table_key,district_code):").format(
                           n_suggestions=len(self.suggestions)))
            out += [f"    {_csv_cell(k)},{_csv_cell(c)}    # {n}, similarity {s:.0f}"
                    for k, c, n, s in _cut(self.suggestions, full)]
            if not full and len(self.suggestions) > SHOWN:
                out.append(_("    ... and {value} more (check --full lists them all)").format(
                    value=len(self.suggestions) - SHOWN))
        return out

    def as_frame(self) -> pd.DataFrame:
        """Every unmatched item, merge, split and suggestion as a table (table, side, key, name, detail)."""
        rows = [(_("district without data"), c, n, "") for c, n in self.unmatched_districts]
        rows += [(_("table row not used"), k, "", "") for k in self.unmatched_rows]
        rows += [(_("district merged from rows"), c, "", ", ".join(keys)) for c, keys in self.merged]
        rows += [(_("row split over districts"), k, "", ", ".join(f"{c} ({s:.4g})" for c, s in parts))
                 for k, parts in self.split]
        rows += [(_("suggested crosswalk line"), k, n, f"{k},{c} (similarity {s:.0f})")
                 for k, c, n, s in self.suggestions]
        frame = pd.DataFrame(rows, columns=["side", "key", "name", "detail"])
        frame.insert(0, "table", self.table)
        return frame


def _cut(items: Sequence[Any], full: bool) -> Sequence[Any]:
    return items if full else items[:SHOWN]


def _more(items: Sequence[Any], full: bool) -> str:
    more = len(items) - SHOWN
    return f" and {more} more" if more > 0 and not full else ""


def _csv_cell(text: str) -> str:
    return f'"{text}"' if any(ch in text for ch in ',"\n') else text


def join_table(
    districts: pd.DataFrame,
    table: pd.DataFrame,
    *,
    key: str,
    by: str = "code",
    name: str = "table",
    parent_key: str | None = None,
    crosswalk: Mapping[str, str] | pd.DataFrame | None = None,
    crosswalk_source: str = "crosswalk",
    split: str | None = None,
    split_weights: pd.Series | None = None,
    counts: Sequence[str] = (),
    rates: Mapping[str, str | None] | None = None,
    require_match: bool = True,
    config_key: str = "",
    details: Sequence[str] = (),
) -> tuple[pd.DataFrame, JoinReport]:
    """Align a table's rows to the districts.

    Parameters
    ----------
    districts : pandas.DataFrame
        Indexed by district code, with a ``name`` column (and ``parent_code``
        for joins by name within parent).
    table : pandas.DataFrame
        The indicator table.
    key : str
        Table column with the district code (``by="code"``) or name (``by="name"``).
    by : {"code", "name"}
        Join rule. By name, names are normalised (accents, case, spacing and
        punctuation ignored) and compared within the parent district when
        ``parent_key`` is given, so two districts with the same name in
        different provinces do not collide.
    name : str
        Table name for the report.
    parent_key : str, optional
        Table column with the parent district's code, for joins by name.
    crosswalk : Mapping[str, str] or pandas.DataFrame, optional
        Table key -> district code; or a frame of ``table_key``,
        ``district_code``, optional ``share`` and ``line`` (its line in the
        file). A row whose key is in the crosswalk goes where the crosswalk
        says; the others follow the rule. Several lines of one key split that
        row (``share`` per line, summing to 1, or ``split``); several keys on
        one district merge those rows.
    crosswalk_source : str, default "crosswalk"
        The crosswalk's file, for messages.
    split : {"area", "population"}, optional
        Shares of a split row without a ``share``: proportional to
        ``split_weights`` of the target districts.
    split_weights : pandas.Series, optional
        Area or population per district (index = district codes), for ``split``.
    counts : sequence of str
        Columns that are counts: summed over merged rows, divided by the shares of a split row.
    rates : Mapping[str, str or None], optional
        Columns that are rates, each with the column that weights its average
        over merged rows (``None``: no weight known, the merged value is left
        empty and reported); a split row's rate is copied.
    require_match : bool, default True
        Raise when the table has keyed rows but none matches a district (the
        wrong key column, level or join rule, or codes that lost their leading
        zeros); ``False`` returns the report instead.
    config_key : str, optional
        The table's key in the configuration (e.g. ``tables.census``), for hints.
    details : sequence of str, optional
        Lines to carry in the report (e.g. how the rows were grouped).

    Returns
    -------
    (pandas.DataFrame, JoinReport)
        The table's columns, one row per district (same index, same order),
        missing where no row matched.

    Raises
    ------
    JoinError
        Unknown key column, a key (after normalisation) present more than once,
        a crosswalk line whose district does not exist or whose key repeats
        without shares, or (with ``require_match``) no row matching any district.

    Examples
    --------
    >>> d = pd.DataFrame({"name": ["Alpha", "Beta"]}, index=pd.Index(["01", "02"], name="code"))
    >>> t = pd.DataFrame({"id": ["01", "03"], "v": [1.0, 3.0]})
    >>> joined, report = join_table(d, t, key="id")
    >>> joined["v"].tolist(), report.unmatched_rows
    ([1.0, nan], ['03'])

    A row split over two districts by shares: the count is divided, the rate copied.

    >>> t = pd.DataFrame({"id": ["X"], "people": [100.0], "rate": [20.0]})
    >>> cw = pd.DataFrame({"table_key": ["X", "X"], "district_code": ["01", "02"], "share": [0.25, 0.75]})
    >>> joined, report = join_table(d, t, key="id", crosswalk=cw, counts=["people"], rates={"rate": None})
    >>> joined[["people", "rate"]].to_dict("list")
    {'people': [25.0, 75.0], 'rate': [20.0, 20.0]}
    """
    if by not in ("code", "name"):
        raise JoinError(_("Invalid join rule {by!r}; must be 'code' or 'name'.").format(by=by))
    for col in (key, parent_key):
        if col and col not in table.columns:
            raise JoinError(
                _("{name}: column {col!r} not found; available columns: {list}. "
                "Fix the key in the configuration.").format(name=name, col=col, list=list(table.columns))
            )
    table_keys = _table_keys(table, key, by, parent_key)
    district_keys = _district_keys(districts, by, parent_key is not None)
    raw_keys = normalise_code(table[key]).reset_index(drop=True)
    lines = _crosswalk_frame(crosswalk)
    in_crosswalk = raw_keys.isin(set(lines["table_key"])).to_numpy() if len(lines) else np.zeros(len(table), bool)
    _check_duplicates(table_keys[~in_crosswalk], table[key].reset_index(drop=True)[~in_crosswalk], name, key)
    _check_duplicates(raw_keys[in_crosswalk], table[key].reset_index(drop=True)[in_crosswalk], name, key)
    _check_duplicates(district_keys, districts["name"] if by == "name" else districts.index.to_series(),
                      f"{name} (districts)", "name" if by == "name" else "code")

    keyed = (table_keys.notna() & (table_keys.astype(str) != "")).to_numpy() & ~in_crosswalk
    lookup = pd.Series(np.flatnonzero(keyed), index=table_keys[keyed].to_numpy())
    by_rule = district_keys.map(lookup)
    parts = [pd.DataFrame({"row": by_rule.dropna().astype(int).to_numpy(),
                           "district": by_rule.dropna().index.astype(str), "share": 1.0, "via": by})]
    extra: list[str] = list(details)
    if len(lines):
        assigned, unused = _crosswalk_assignments(lines, raw_keys, districts, crosswalk_source, split,
                                                  split_weights, config_key)
        parts.append(assigned)
        if unused:
            extra.append(_("{n_unused} crosswalk line(s) name a key that is not in the table (not used): ").format(
                n_unused=len(unused))
                         + ", ".join(unused[:SHOWN]) + (f" and {len(unused) - SHOWN} more" if len(unused) > SHOWN
                                                        else ""))
    links = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else parts[0]
    links = links.astype({"row": "int64", "share": "float64"})

    joined, merged, split_rows, combine_notes = _combine(table.reset_index(drop=True), links, districts.index,
                                                         key, table[key].reset_index(drop=True), counts,
                                                         dict(rates or {}))
    extra += combine_notes
    got = pd.Index(links["district"].unique())
    via_cw = set(links.loc[links["via"] == "crosswalk", "district"])
    unmatched_d = [(str(c), str(districts.at[c, "name"])) for c in districts.index if str(c) not in got]
    used = set(links["row"])
    unmatched_r = [_shown_key(table[key].iloc[i]) for i in range(len(table)) if i not in used]
    n_rule = sum(1 for c in got if c not in via_cw)
    suggestions = suggest_matches(unmatched_r, unmatched_d) if by == "name" else ()
    report = JoinReport(
        table=name,
        districts=len(districts),
        rows=len(table),
        matched_by_code=n_rule if by == "code" else 0,
        matched_by_name=n_rule if by == "name" else 0,
        matched_by_crosswalk=len(via_cw),
        unmatched_districts=unmatched_d,
        unmatched_rows=unmatched_r,
        merged=merged,
        split=split_rows,
        details=tuple(extra),
        suggestions=tuple(suggestions),
        config_key=config_key,
    )
    if require_match and report.matched == 0 and table_keys.notna().any():
        raise JoinError(_no_match_message(name, key, by, report, districts))
    return joined, report


def _crosswalk_frame(crosswalk: Mapping[str, str] | pd.DataFrame | None) -> pd.DataFrame:
    """The crosswalk as a frame of table_key, district_code, share (NaN if not given) and line."""
    if crosswalk is None or len(crosswalk) == 0:
        return pd.DataFrame({"table_key": [], "district_code": [], "share": [], "line": []})
    if isinstance(crosswalk, pd.DataFrame):
        frame = crosswalk.reset_index(drop=True)
        out = pd.DataFrame({
            "table_key": normalise_code(frame["table_key"]),
            "district_code": normalise_code(frame["district_code"]),
            "share": pd.to_numeric(frame["share"], errors="coerce") if "share" in frame else np.nan,
            "line": frame["line"] if "line" in frame else np.arange(len(frame)) + 2,
        })
    else:
        out = pd.DataFrame({"table_key": [str(k) for k in crosswalk], "district_code": [str(v) for v in
                                                                                       crosswalk.values()]})
        out["share"] = np.nan
        out["line"] = np.arange(len(out)) + 2
    return out[out["table_key"].notna() & (out["table_key"].astype(str) != "")]


def _crosswalk_assignments(
    lines: pd.DataFrame, raw_keys: pd.Series, districts: pd.DataFrame, source: str, split: str | None,
    split_weights: pd.Series | None, config_key: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Validate crosswalk lines against the table and the districts; (row, district, share) per line used."""
    present = raw_keys.notna().to_numpy()
    position = pd.Series(np.flatnonzero(present), index=raw_keys[present].to_numpy())
    codes = set(map(str, districts.index))
    rows, unused = [], []
    for tkey, group in lines.groupby("table_key", sort=False):
        if tkey not in position.index:
            unused.append(str(tkey))
            continue
        for _unused, ln in group.iterrows():
            if ln["district_code"] is None or str(ln["district_code"]) not in codes:
                sample = ", ".join(sorted(codes)[:5])
                raise JoinError(
                    _("{source} line {ln}: district_code {ln2!r} (for table key {tkey!r}) "
                    "is not a district of these boundaries (codes such as {sample}); fix the crosswalk file.").format(
                        source=source, ln=ln['line'], ln2=ln['district_code'], tkey=tkey, sample=sample)
                )
        shares = _shares(group, str(tkey), source, split, split_weights, config_key)
        for (_unused, ln), share in zip(group.iterrows(), shares):
            rows.append((int(position[tkey]), str(ln["district_code"]), float(share), "crosswalk"))
    frame = pd.DataFrame(rows, columns=["row", "district", "share", "via"])
    return frame, unused


def _shares(group: pd.DataFrame, tkey: str, source: str, split: str | None, split_weights: pd.Series | None,
            config_key: str) -> np.ndarray:
    """Shares of one table key's crosswalk lines (1 for a single line without a share)."""
    given = group["share"].to_numpy(dtype=float)
    lines = ", ".join(str(x) for x in group["line"])
    targets = group["district_code"].astype(str)
    if targets.duplicated().any():
        raise JoinError(_("{source} lines {lines}: table key {tkey!r} goes to district "
                        "{iloc!r} twice; keep one line per district.").format(
                            source=source, lines=lines, tkey=tkey, iloc=targets[targets.duplicated()].iloc[0]))
    if np.isfinite(given).any():
        bad = ~np.isfinite(given) | (given < 0) | (given > 1)
        if bad.any():
            ln = group["line"].to_numpy()[bad][0]
            raise JoinError(_("{source} line {ln}: table key {tkey!r} has share {to_numpy!r}; "
                            "every line of a split key needs a share between 0 and 1; fix the crosswalk file.").format(
                                source=source, ln=ln, tkey=tkey, to_numpy=group['share'].to_numpy()[bad][0]))
        if abs(given.sum() - 1.0) > SHARE_TOLERANCE:
            raise JoinError(_("{source} lines {lines}: the shares of table key {tkey!r} sum to {sum}, "
                            "not 1; fix the shares in the crosswalk file so that each key's shares sum to 1.").format(
                                source=source, lines=lines, tkey=tkey, sum=format_spec(given.sum(), ".6g")))
        return given
    if len(group) == 1:
        return np.ones(1)
    if split is None:
        where = f"{config_key}.split" if config_key else "split"
        raise JoinError(
            _("{source} lines {lines}: table key {tkey!r} appears on {n_group} lines without a share; a key "
            "split over several districts needs a share column (the shares of a key sum to 1) in the crosswalk "
            "file, or {where} = \"area\" or \"population\" in the configuration.").format(
                source=source, lines=lines, tkey=tkey, n_group=len(group), where=where)
        )
    weights = split_weights.reindex(targets.to_numpy()).to_numpy(dtype=float) if split_weights is not None \
        else np.full(len(group), np.nan)
    if not np.isfinite(weights).all() or weights.sum() <= 0:
        missing = [c for c, w in zip(targets, weights) if not np.isfinite(w)]
        raise JoinError(_("{source} lines {lines}: table key {tkey!r} is split by {split}, but district(s) "
                        "{value} have no {split}; give the shares in a share column instead.").format(
                            source=source, lines=lines, tkey=tkey, split=split, value=missing or list(targets)))
    return weights / weights.sum()


def _combine(
    table: pd.DataFrame, links: pd.DataFrame, index: pd.Index, key: str, shown_keys: pd.Series,
    counts: Sequence[str], rates: Mapping[str, str | None],
) -> tuple[pd.DataFrame, tuple, tuple, list[str]]:
    """One row per district: a row as it is, or merged / split rows combined column by column."""
    per_district = links.groupby("district")
    size = per_district["row"].transform("size")
    simple = links[(size == 1) & (links["share"] == 1.0)]
    position = pd.Series(simple["row"].to_numpy(dtype=np.int64), index=simple["district"].to_numpy(),
                         dtype="float64")
    codes = pd.Index(index.astype(str))
    joined = table.reindex(np.nan_to_num(position.reindex(codes).to_numpy(), nan=-1).astype(int))
    joined.index = index
    joined = joined.drop(columns=[key], errors="ignore")

    complex_links = links[~links.index.isin(simple.index)]
    if len(complex_links):
        numeric = [c for c in joined.columns if pd.api.types.is_numeric_dtype(joined[c])]
        joined[numeric] = joined[numeric].astype(float)
    by_row = links.groupby("row")
    split = (by_row.size() > 1) | (links["share"] < 1).groupby(links["row"]).any()
    split_links = links[links["row"].isin(split.index[split])]  # only these rows are listed, row by row
    split_rows = tuple(
        (_shown_key(shown_keys.iloc[r]), tuple((d, s) for d, s in zip(g["district"], g["share"])))
        for r, g in split_links.groupby("row", sort=True)
    )
    merged, notes, empty_rates, unknown = [], [], set(), set()
    columns = [c for c in joined.columns]
    for code, group in complex_links.groupby("district", sort=False):
        rows = table.iloc[group["row"].to_numpy()]
        share = group["share"].to_numpy(dtype=float)
        if len(group) > 1:
            merged.append((code, tuple(_shown_key(shown_keys.iloc[r]) for r in group["row"])))
        at = index[codes.get_loc(code)]
        for col in columns:
            values = rows[col]
            if col in counts:
                x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
                joined.at[at, col] = float(np.nansum(x * share)) if np.isfinite(x).any() else np.nan
            elif col not in rates and pd.api.types.is_numeric_dtype(table[col]):
                joined.at[at, col] = np.nan  # neither a count nor a rate: dividing or copying could be wrong
                unknown.add(col)
            elif len(group) == 1:  # a split row's rate (or text) is copied
                joined.at[at, col] = values.iloc[0]
            elif col in rates and rates[col] is not None and rates[col] in table.columns:
                x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
                w = pd.to_numeric(rows[rates[col]], errors="coerce").to_numpy(dtype=float) * share
                ok = np.isfinite(x) & np.isfinite(w)
                joined.at[at, col] = float((x[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() and w[ok].sum() > 0 \
                    else np.nan
            elif pd.api.types.is_numeric_dtype(table[col]):
                joined.at[at, col] = np.nan
                if col in rates:
                    empty_rates.add(col)
            else:
                joined.at[at, col] = " + ".join(dict.fromkeys(map(str, values.dropna())))
    if unknown:
        notes.append(_("column(s) {sorted} are read by no layer, so neither counts nor rates: left empty "
                     "for merged and split districts; list the counts among them in the table's counts = [...].").format(
                         sorted=sorted(unknown)))
    if empty_rates:
        notes.append(_("rate column(s) {sorted} have no weight column to average merged rows: left "
                     "empty for merged districts; give the layer a rollup_weight column of this table.").format(
                         sorted=sorted(empty_rates)))
    return joined, tuple(sorted(merged)), split_rows, notes


def group_rows(
    table: pd.DataFrame,
    column: str,
    aggregate: Mapping[str, Any],
    *,
    name: str = "table",
    by: str = "code",
) -> tuple[pd.DataFrame, list[str]]:
    """Combine the rows of a table finer than the districts: one row per value of ``column``.

    Parameters
    ----------
    table : pandas.DataFrame
        The rows (e.g. villages), with ``column`` naming the district each lies in.
    column : str
        The column naming the district (its code, or its name for a join by name).
    aggregate : Mapping[str, str or Mapping]
        Per output column: ``"sum"`` (counts), ``"mean"``, ``"min"``, ``"max"``,
        ``"first"``; ``{"numerator": a, "denominator": b, "per": 100}`` (a rate
        recomputed as ``sum(a) / sum(b) * per``); or ``{"mean_weighted_by": w}``
        (``sum(x * w) / sum(w)`` over the rows with both). Columns not listed are
        left out (and reported).
    name : str, default "table"
        For messages and the report.
    by : {"code", "name"}, default "code"
        With ``"name"``, rows whose district names differ only by accents, case,
        spaces or punctuation (:func:`geo.text.normalise_name`) form one group,
        shown with its first spelling.

    Returns
    -------
    (pandas.DataFrame, list of str)
        One row per group (``column`` first, then the aggregated columns, in
        the order of ``aggregate``) and the report lines.

    Raises
    ------
    JoinError
        ``column`` or an aggregated column is missing, or a summed column is not numeric.

    Examples
    --------
    >>> t = pd.DataFrame({"D": ["a", "a", "b"], "pop": [10, 30, 5], "poor": [1, 3, 4]})
    >>> g, lines = group_rows(t, "D", {"pop": "sum", "rate": {"numerator": "poor", "denominator": "pop",
    ...                                                        "per": 100}})
    >>> g.to_dict("list")
    {'D': ['a', 'b'], 'pop': [40.0, 5.0], 'rate': [10.0, 80.0]}
    >>> lines[0]
    '3 rows grouped by D into 2 groups (1-2 rows per group)'
    """
    needed = {column}
    for out, rule in aggregate.items():
        if isinstance(rule, Mapping):
            needed |= {v for k, v in rule.items() if k in ("numerator", "denominator", "mean_weighted_by")}
            if "mean_weighted_by" in rule:
                needed.add(out)
        else:
            needed.add(out)
    missing = sorted(c for c in needed if c not in table.columns)
    if missing:
        raise JoinError(_("{name}: column(s) {missing} named by group_by/aggregate not found; available columns: "
                        "{list}. Fix group_by or aggregate in the configuration.").format(
                            name=name, missing=missing, list=list(table.columns)))
    keys = normalise_code(table[column])
    has_key = (keys.notna() & (keys.astype(str) != "")).to_numpy()
    rows = table[has_key]
    shown = keys[has_key]
    group = shown.map(normalise_name) if by == "name" else shown
    order = pd.Index(pd.unique(group.to_numpy()))
    out = {column: shown.groupby(group.to_numpy()).first().reindex(order).to_numpy()}
    for col, rule in aggregate.items():
        out[col] = _aggregate_one(rows, group, col, rule, name).reindex(order).to_numpy()
    frame = pd.DataFrame(out)
    sizes = group.value_counts()
    lines = [_("{n_table} rows grouped by {column} into {n_frame} groups "
             "({value}-{value2} rows per group)").format(
                 n_table=len(table), column=column, n_frame=len(frame), value=int(sizes.min()) if len(sizes) else 0, value2=int(sizes.max()) if len(sizes) else 0)]
    if (~has_key).any():
        lines.append(_("{int} row(s) without a value in {column} (not used): line(s) ").format(
            int=int((~has_key).sum()), column=column)
                     + ", ".join(str(int(i) + 2) for i in np.flatnonzero(~has_key)[:SHOWN])
                     + (" ..." if (~has_key).sum() > SHOWN else ""))
    lines.append("columns: " + "; ".join(_describe_rule(c, r) for c, r in aggregate.items()))
    left = [c for c in table.columns if c not in aggregate and c != column]
    if left:
        lines.append(_("columns without an aggregate rule (not used): {left}").format(left=left))
    return frame, lines


def _aggregate_one(rows: pd.DataFrame, group: pd.Series, col: str, rule: Any, name: str) -> pd.Series:
    def numbers(c: str) -> pd.Series:
        x = pd.to_numeric(rows[c], errors="coerce")
        bad = x.isna() & rows[c].notna() & (rows[c].astype(str).str.strip() != "")
        if bad.any():
            raise JoinError(_("{name}: column {c!r} has non-numeric value(s) such as "
                            "{list}; aggregate can only add numbers.").format(
                                name=name, c=c, list=list(rows.loc[bad, c].astype(str).unique()[:3])))
        return x.astype(float)

    if isinstance(rule, Mapping) and "numerator" in rule:
        num = numbers(rule["numerator"]).groupby(group.to_numpy()).sum(min_count=1)
        den = numbers(rule["denominator"]).groupby(group.to_numpy()).sum(min_count=1)
        return num / den.where(den > 0) * float(rule.get("per", 1.0))
    if isinstance(rule, Mapping):
        x, w = numbers(col), numbers(rule["mean_weighted_by"])
        ok = x.notna() & w.notna()
        num = (x * w).where(ok).groupby(group.to_numpy()).sum(min_count=1)
        den = w.where(ok).groupby(group.to_numpy()).sum(min_count=1)
        return num / den.where(den > 0)
    if rule == "first":
        return rows[col].groupby(group.to_numpy()).first()
    x = numbers(col).groupby(group.to_numpy())
    return x.sum(min_count=1) if rule == "sum" else getattr(x, rule)()


def _describe_rule(col: str, rule: Any) -> str:
    if isinstance(rule, Mapping) and "numerator" in rule:
        return _("{col} = sum of {rule} / sum of {rule2} x {float}").format(
            col=col, rule=rule['numerator'], rule2=rule['denominator'], float=format_spec(float(rule.get('per', 1)), "g"))
    if isinstance(rule, Mapping):
        return _("{col} averaged weighted by {rule}").format(col=col, rule=rule['mean_weighted_by'])
    return f"{col} {'summed' if rule == 'sum' else rule}"


def check_join(report: JoinReport, max_unmatched: float, *, strict: bool = False) -> None:
    """Stop when a join leaves more districts without data than allowed.

    Parameters
    ----------
    report : JoinReport
    max_unmatched : float
        Share (0-1) of the districts allowed to have no row (``[joins] max_unmatched``).
    strict : bool, default False
        Allow nothing: no district without a row and no table row unused.

    Raises
    ------
    JoinError
        Naming the table, the count and a hint (leading zeros, spelling, crosswalk).

    Examples
    --------
    >>> r = JoinReport("t.csv", districts=4, rows=4, matched_by_code=3, unmatched_districts=[("04", "D")],
    ...                unmatched_rows=["4"])
    >>> check_join(r, 0.5)
    >>> check_join(r, 0.1)
    Traceback (most recent call last):
    ...
    geo.errors.JoinError: t.csv: 1 of 4 districts (25.0%) have no row, more than joins.max_unmatched = 0.1 allows ...
    """
    limit = 0.0 if strict else max_unmatched
    n = len(report.unmatched_districts)
    over = report.unmatched_share > limit if not strict else n > 0
    if over:
        allowed = _("--strict allows none") if strict else _("more than joins.max_unmatched = {max_unmatched} allows").format(
            max_unmatched=format_spec(max_unmatched, "g"))
        shown = ", ".join(f"{c} {nm}" for c, nm in report.unmatched_districts[:5])
        raise JoinError(_("{table}: {n} of {districts} districts ({unmatched_share}) have "
                        "no row, {allowed} (e.g. {shown}). {fix_hint}").format(
                            table=report.table, n=n, districts=report.districts, unmatched_share=format_spec(report.unmatched_share, ".1%"), allowed=allowed, shown=shown, fix_hint=_fix_hint(report)))
    if strict and report.unmatched_rows:
        shown = ", ".join(report.unmatched_rows[:5])
        raise JoinError(_("{table}: {n_unmatched_rows} table row(s) match no district, --strict "
                        "allows none (e.g. {shown}). {fix_hint}").format(
                            table=report.table, n_unmatched_rows=len(report.unmatched_rows), shown=shown, fix_hint=_fix_hint(report)))


def _fix_hint(report: JoinReport) -> str:
    hint = zeros_hint(report.unmatched_rows, [c for c, _unused in report.unmatched_districts], report.config_key)
    if hint:
        return hint
    if report.suggestions:
        k, c, n, _unused = report.suggestions[0]
        return (_("Names are spelt differently (e.g. {k!r} in the table, {n!r} in the boundaries): accept the "
                "suggested crosswalk lines that `check --full` prints, or fix the names.").format(k=k, n=n))
    return (_("Check the key column and the level of the table, add crosswalk lines for renamed or split "
            "districts (`check --full` lists every item), or raise [joins] max_unmatched."))


def pad_codes(values: pd.Series, width: int) -> pd.Series:
    """Codes made only of digits, left-padded with zeros to ``width`` (codes that lost their zeros).

    Parameters
    ----------
    values : pandas.Series
        Codes as read (text, or numbers from a spreadsheet).
    width : int
        Number of digits of a full code.

    Returns
    -------
    pandas.Series
        Text codes; other codes and missing values unchanged.

    Examples
    --------
    >>> pad_codes(pd.Series([1001, "01003", "AK-1", None]), 5).tolist()
    ['01001', '01003', 'AK-1', None]
    """
    codes = normalise_code(values)
    return codes.map(lambda c: c.zfill(width) if isinstance(c, str) and c.isdigit() else c).astype(object)


def suggest_matches(
    table_names: Sequence[str], districts: Sequence[tuple[str, str]], *, cutoff: float = 80.0
) -> list[tuple[str, str, str, float]]:
    """Near matches between unmatched table names and unmatched districts.

    Names are compared after :func:`geo.text.normalise_name` with rapidfuzz's
    ``WRatio`` (0-100); each district is proposed at most once, best pairs first.

    Parameters
    ----------
    table_names : sequence of str
        Keys of table rows that matched no district.
    districts : sequence of (code, name)
        Districts without a row.
    cutoff : float, default 80
        Lowest similarity proposed.

    Returns
    -------
    list of (table key, district code, district name, similarity)

    Examples
    --------
    >>> suggest_matches(["ILLAM", "Zzz"], [("05", "ILAM"), ("07", "Jhapa")])
    [('ILLAM', '05', 'ILAM', 88.9)]
    """
    from rapidfuzz import fuzz, process

    if not table_names or not districts:
        return []
    choices = [normalise_name(n) for _unused, n in districts]
    scores = process.cdist([normalise_name(k) for k in table_names], choices, scorer=fuzz.WRatio)
    pairs = sorted(((float(scores[i, j]), i, j) for i in range(len(table_names)) for j in range(len(districts))
                    if scores[i, j] >= cutoff), key=lambda p: (-p[0], p[1], p[2]))
    out, used_rows, used_districts = [], set(), set()
    for s, i, j in pairs:
        if i in used_rows or j in used_districts:
            continue
        used_rows.add(i)
        used_districts.add(j)
        out.append((str(table_names[i]), districts[j][0], districts[j][1], round(s, 1)))
    return sorted(out, key=lambda p: table_names.index(p[0]))


def zeros_hint(table_keys: Sequence[str], district_codes: Sequence[str], config_key: str = "") -> str:
    """A hint when codes on the two sides differ only by leading zeros, else ``""``.

    Examples
    --------
    >>> zeros_hint(["001", "002"], ["1", "2"])[:45]
    '2 key(s) match a district code once leading z'
    """
    def strip(code: str) -> str:
        return code.lstrip("0") or "0"

    districts = {strip(str(c)): str(c) for c in district_codes if str(c).isdigit()}
    pairs = [(str(k), districts[strip(str(k))]) for k in table_keys
             if str(k).isdigit() and strip(str(k)) in districts and districts[strip(str(k))] != str(k)]
    if not pairs:
        return ""
    k, c = pairs[0]
    fix = _("Store the codes as text with their leading zeros in both files")
    if len(c) > len(k):
        where = f"{config_key}.pad" if config_key else _("the table's pad")
        fix += _(", or set {where} = {n_c} in the configuration").format(where=where, n_c=len(c))
    return (
        _("{n_pairs} key(s) match a district code once leading zeros are ignored (e.g. {k!r} in the table, "
        "{c!r} in the boundaries): a spreadsheet or a numeric field dropped them. {fix}.").format(
            n_pairs=len(pairs), k=k, c=c, fix=fix)
    )


def _no_match_message(name: str, key: str, by: str, report: JoinReport, districts: pd.DataFrame) -> str:
    table_sample = report.unmatched_rows[:5]
    if by == "code":
        hint = zeros_hint(report.unmatched_rows, list(map(str, districts.index)), report.config_key) or (
            _("Check the key column, the level of the table and the boundary file's id field.")
        )
        return (
            _("{name}: no key matches a district: column {key!r} holds {table_sample}, the districts' codes "
            "are {list}. {hint}").format(
                name=name, key=key, table_sample=table_sample, list=list(map(str, districts.index[:5])), hint=hint)
        )
    return (
        _("{name}: no name in column {key!r} matches a district name (table: {table_sample}; districts: "
        "{list}). Choose the column with the district names, check "
        "the level of the table, or join by code; a table finer than the districts needs group_by.").format(
            name=name, key=key, table_sample=table_sample, list=list(map(str, districts['name'].head(5))))
    )


def _shown_key(value: object) -> str:
    """A table key as listed in the report; a missing key is shown as such."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value) or not str(value).strip():
        return "(no key)"
    return str(value)


def _table_keys(table: pd.DataFrame, key: str, by: str, parent_key: str | None) -> pd.Series:
    if by == "code":
        return normalise_code(table[key]).reset_index(drop=True)
    names = table[key].map(normalise_name)
    if parent_key:
        names = normalise_code(table[parent_key]).astype(str) + "|" + names
    return names.reset_index(drop=True)


def _district_keys(districts: pd.DataFrame, by: str, within_parent: bool) -> pd.Series:
    if by == "code":
        return pd.Series(districts.index.astype(str), index=districts.index)
    names = districts["name"].map(normalise_name)
    if within_parent:
        if "parent_code" not in districts.columns:
            raise JoinError(_("A join by name within parent needs the districts' parent codes (parent_code)."))
        names = districts["parent_code"].astype(str) + "|" + names
    return pd.Series(names.to_numpy(), index=districts.index)


def _check_duplicates(keys: pd.Series, shown: pd.Series, name: str, column: str) -> None:
    dup = keys.duplicated(keep=False).to_numpy()
    valid = (keys.notna() & (keys.astype(str) != "")).to_numpy()
    dup &= valid
    if dup.any():
        examples = sorted(set(map(str, shown.to_numpy()[dup])))[:10]
        raise JoinError(
            _("{name}: {int} rows share a key in column {column!r} (e.g. {examples}); "
            "each district must appear once. Remove or merge the duplicate rows, join by code, or, for a "
            "table finer than the districts, set group_by to the column naming the district.").format(
                name=name, int=int(dup.sum()), column=column, examples=examples)
        )
