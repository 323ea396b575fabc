"""Joining indicator tables to districts, with a report of what did not match.

A table joins by district code, or by name within the parent district (names
compared after :func:`geo.text.normalise_name`), with an optional explicit
crosswalk from the table's keys to district codes for the rest. Nothing is
dropped silently: :class:`JoinReport` lists unmatched rows on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from geo.errors import JoinError
from geo.text import normalise_code, normalise_name

__all__ = ["JoinReport", "join_table", "zeros_hint"]


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
        Number of table rows considered.
    matched_by_code, matched_by_name, matched_by_crosswalk : int
        Districts matched by each rule.
    unmatched_districts : list of (code, name)
        Districts without a table row: they get "no data".
    unmatched_rows : list of str
        Table keys that matched no district: their values are not used.
    """

    table: str
    districts: int
    rows: int
    matched_by_code: int = 0
    matched_by_name: int = 0
    matched_by_crosswalk: int = 0
    unmatched_districts: list[tuple[str, str]] = field(default_factory=list)
    unmatched_rows: list[str] = field(default_factory=list)

    @property
    def matched(self) -> int:
        """Districts matched by any rule."""
        return self.matched_by_code + self.matched_by_name + self.matched_by_crosswalk

    @property
    def complete(self) -> bool:
        """True when every district and every row matched."""
        return not self.unmatched_districts and not self.unmatched_rows

    def lines(self) -> list[str]:
        """Human-readable summary for the command line and the dashboard."""
        out = [
            f"{self.table}: {self.matched} of {self.districts} districts matched "
            f"({self.matched_by_code} by code, {self.matched_by_name} by name, "
            f"{self.matched_by_crosswalk} by crosswalk); {self.rows} table rows"
        ]
        if self.unmatched_districts:
            shown = ", ".join(f"{c} {n}" for c, n in self.unmatched_districts[:10])
            more = len(self.unmatched_districts) - 10
            out.append(
                f"  {len(self.unmatched_districts)} district(s) without a row (no data): {shown}"
                + (f" and {more} more" if more > 0 else "")
            )
        if self.unmatched_rows:
            shown = ", ".join(self.unmatched_rows[:10])
            more = len(self.unmatched_rows) - 10
            out.append(
                f"  {len(self.unmatched_rows)} table row(s) matching no district (not used): {shown}"
                + (f" and {more} more" if more > 0 else "")
            )
        hint = zeros_hint(self.unmatched_rows, [c for c, _ in self.unmatched_districts])
        if hint:
            out.append(f"  {hint}")
        return out

    def as_frame(self) -> pd.DataFrame:
        """Unmatched items as a table (side, key, name)."""
        rows = [("district without data", c, n) for c, n in self.unmatched_districts]
        rows += [("table row not used", k, "") for k in self.unmatched_rows]
        return pd.DataFrame(rows, columns=["side", "key", "name"])


def join_table(
    districts: pd.DataFrame,
    table: pd.DataFrame,
    *,
    key: str,
    by: str = "code",
    name: str = "table",
    parent_key: str | None = None,
    crosswalk: Mapping[str, str] | None = None,
    require_match: bool = True,
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
    crosswalk : Mapping[str, str], optional
        Table key -> district code, tried for keys the rule did not match.
    require_match : bool, default True
        Raise when the table has keyed rows but none matches a district (the
        wrong key column, level or join rule, or codes that lost their leading
        zeros); ``False`` returns the report instead.

    Returns
    -------
    (pandas.DataFrame, JoinReport)
        The table's columns, one row per district (same index, same order),
        missing where no row matched.

    Raises
    ------
    JoinError
        Unknown key column, a key (after normalisation) present more than once,
        or (with ``require_match``) no row matching any district.

    Examples
    --------
    >>> d = pd.DataFrame({"name": ["Alpha", "Beta"]}, index=pd.Index(["01", "02"], name="code"))
    >>> t = pd.DataFrame({"id": ["01", "03"], "v": [1.0, 3.0]})
    >>> joined, report = join_table(d, t, key="id")
    >>> joined["v"].tolist(), report.unmatched_rows
    ([1.0, nan], ['03'])
    """
    if by not in ("code", "name"):
        raise JoinError(f"Invalid join rule {by!r}; must be 'code' or 'name'.")
    for col in (key, parent_key):
        if col and col not in table.columns:
            raise JoinError(
                f"{name}: column {col!r} not found; available columns: {list(table.columns)}. "
                "Fix the key in the configuration."
            )
    table_keys = _table_keys(table, key, by, parent_key)
    district_keys = _district_keys(districts, by, parent_key is not None)
    _check_duplicates(table_keys, table[key], name, key)
    _check_duplicates(district_keys, districts["name"] if by == "name" else districts.index.to_series(),
                      f"{name} (districts)", "name" if by == "name" else "code")

    keyed = (table_keys.notna() & (table_keys.astype(str) != "")).to_numpy()
    lookup = pd.Series(np.flatnonzero(keyed), index=table_keys[keyed].to_numpy())
    position = district_keys.map(lookup)
    matched_rule = position.notna()

    crosswalk_hits = pd.Series(False, index=districts.index)
    if crosswalk:
        inverse = {str(v): str(k) for k, v in crosswalk.items()}
        raw_keys = normalise_code(table[key]).reset_index(drop=True)
        present = (raw_keys.notna() & (raw_keys.astype(str) != "")).to_numpy()
        key_pos = pd.Series(np.flatnonzero(present), index=raw_keys[present].to_numpy())
        key_pos = key_pos[~key_pos.index.duplicated()]
        for code in districts.index[~matched_rule.to_numpy()]:
            tkey = inverse.get(str(code))
            if tkey is not None and tkey in key_pos.index:
                position[code] = key_pos[tkey]
                crosswalk_hits[code] = True

    used = set(position.dropna().astype(int))
    joined = table.reset_index(drop=True).reindex(position.fillna(-1).astype(int).to_numpy())
    joined.index = districts.index
    joined = joined.drop(columns=[key], errors="ignore")

    unmatched_d = [(str(c), str(districts.at[c, "name"])) for c in districts.index[position.isna().to_numpy()]]
    unmatched_r = [_shown_key(table[key].iloc[i]) for i in range(len(table)) if i not in used]
    n_rule = int(matched_rule.sum())
    report = JoinReport(
        table=name,
        districts=len(districts),
        rows=len(table),
        matched_by_code=n_rule if by == "code" else 0,
        matched_by_name=n_rule if by == "name" else 0,
        matched_by_crosswalk=int(crosswalk_hits.sum()),
        unmatched_districts=unmatched_d,
        unmatched_rows=unmatched_r,
    )
    if require_match and report.matched == 0 and table_keys.notna().any():
        raise JoinError(_no_match_message(name, key, by, report, districts))
    return joined, report


def zeros_hint(table_keys: Sequence[str], district_codes: Sequence[str]) -> str:
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
    return (
        f"{len(pairs)} key(s) match a district code once leading zeros are ignored (e.g. {k!r} in the table, "
        f"{c!r} in the boundaries): a spreadsheet or a numeric field dropped them. Store the codes as text "
        "with their leading zeros in both files."
    )


def _no_match_message(name: str, key: str, by: str, report: JoinReport, districts: pd.DataFrame) -> str:
    table_sample = report.unmatched_rows[:5]
    if by == "code":
        hint = zeros_hint(report.unmatched_rows, list(map(str, districts.index))) or (
            "Check the key column, the level of the table and the boundary file's id field."
        )
        return (
            f"{name}: no key matches a district: column {key!r} holds {table_sample}, the districts' codes "
            f"are {list(map(str, districts.index[:5]))}. {hint}"
        )
    return (
        f"{name}: no name in column {key!r} matches a district name (table: {table_sample}; districts: "
        f"{list(map(str, districts['name'].head(5)))}). Choose the column with the district names, check "
        "the level of the table, or join by code."
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
            raise JoinError("A join by name within parent needs the districts' parent codes (parent_code).")
        names = districts["parent_code"].astype(str) + "|" + names
    return pd.Series(names.to_numpy(), index=districts.index)


def _check_duplicates(keys: pd.Series, shown: pd.Series, name: str, column: str) -> None:
    dup = keys.duplicated(keep=False).to_numpy()
    valid = (keys.notna() & (keys.astype(str) != "")).to_numpy()
    dup &= valid
    if dup.any():
        examples = sorted(set(map(str, shown.to_numpy()[dup])))[:10]
        raise JoinError(
            f"{name}: {int(dup.sum())} rows share a key in column {column!r} (e.g. {examples}); "
            "each district must appear once. Remove or merge the duplicate rows, or join by code."
        )
