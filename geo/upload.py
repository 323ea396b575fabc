"""Layers added in the browser: reading an uploaded table, reading its numbers, joining it.

An uploaded file is parsed from its bytes in memory; nothing is written to
disk. Only two formats are read, and only as data:

* CSV text in UTF-8 (with or without a byte-order mark), UTF-16, or
  Windows-1252/Latin-1, separated by ``,`` ``;`` or tabs;
* Excel ``.xlsx`` workbooks through openpyxl, values only: formulas are never
  evaluated and macros never run (a formula cell gives the result the
  spreadsheet program saved with the file, see :func:`read_upload`).

The rules are those of every table (:mod:`geo.tables`, shared with the
configuration's tables). Every cell is read as text, so district codes keep
their leading zeros;
:func:`to_number` turns the chosen value column into numbers afterwards and
refuses (with the row numbers) anything it cannot read, rather than turning
it into "no data". :func:`uploaded_layer` checks the user's choices, joins the
values to the districts with :func:`geo.join.join_table` and returns a
:class:`layers.base.Layer` that behaves like any configured layer.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Collection, Mapping

import numpy as np
import pandas as pd

from geo.i18n import _, format_spec
from geo.errors import ConfigError, JoinError, LayerDataError
from geo.identifiers import RESERVED_IDS, check_layer_id, is_reserved
from geo.join import JoinReport, join_table
from geo.tables import MAX_CELLS, MISSING_TOKENS, read_text_table, to_number
from geo.text import name_words, normalise_code
from layers.base import Layer, LayerInputs, Source

__all__ = [
    "MAX_UPLOAD_MB",
    "MAX_CELLS",
    "MISSING_TOKENS",
    "RESERVED_IDS",
    "StoredValues",
    "UploadReport",
    "read_upload",
    "to_number",
    "uploaded_layer",
    "slug",
]

def _max_upload_mb(value: str | None, default: int = 20) -> int:
    """The upload size limit in MB: ``value`` (from ``POCKETS_MAX_UPLOAD_MB``) or ``default``.

    Raises
    ------
    ConfigError
        ``value`` is not a whole number between 1 and 1000.

    Examples
    --------
    >>> _max_upload_mb(None), _max_upload_mb(" 50 ")
    (20, 50)
    """
    if value is None or not value.strip():
        return default
    try:
        mb = int(value.strip())
    except ValueError:
        mb = 0
    if not 1 <= mb <= 1000:
        raise ConfigError(
            _("POCKETS_MAX_UPLOAD_MB={value!r}: must be a whole number of MB between 1 and 1000; "
            "fix or unset the environment variable (and keep server.maxUploadSize in "
            ".streamlit/config.toml at least as large).").format(value=value)
        )
    return mb


MAX_UPLOAD_MB = _max_upload_mb(os.environ.get("POCKETS_MAX_UPLOAD_MB"))
"""Size limit of an uploaded file, in MB (2**20 bytes): 20, or the environment variable
``POCKETS_MAX_UPLOAD_MB`` (read at start-up; Streamlit's own ``server.maxUploadSize`` in
``.streamlit/config.toml`` must be at least as large)."""


_MAX_LABEL = 80
_MAX_UNIT = 30
_FORMULA_START = ("=", "+", "-", "@")


# ----------------------------------------------------------------------------- reading a file
def read_upload(data: bytes, filename: str, *, max_bytes: int = MAX_UPLOAD_MB * 2**20) -> pd.DataFrame:
    """Read an uploaded CSV or Excel file into a table of text cells.

    Parameters
    ----------
    data : bytes
        The file's content, as received from the browser.
    filename : str
        The name the file was uploaded with; its suffix chooses the format
        (``.csv``, ``.tsv``, ``.txt`` or ``.xlsx``) and it names the file in
        messages.
    max_bytes : int
        Size limit (default :data:`MAX_UPLOAD_MB` MB).

    Returns
    -------
    pandas.DataFrame
        One column per header cell (text, ``None`` for an empty cell;
        missing-value tokens such as ``n/a`` are kept as written and read as
        "no data" by :func:`to_number` in value columns only), indexed by the
        row number in the file (the header is row 1, or the first non-empty
        row), so messages can point at the cell to fix. ``attrs`` records how
        it was read: ``source`` (file name), ``format`` (``"csv"`` or
        ``"xlsx"``); for CSV ``encoding``, ``separator`` and ``decimal``
        (``"."`` for a ``,``-separated file, else the mark the file's values
        show, see :func:`geo.tables.file_decimal`), which :func:`to_number`
        uses for values such as ``1.234`` that read two ways; for Excel ``sheet`` (the first worksheet, the one read), ``sheets``
        (all of them) and ``uncached_formulas``: ``{column: [row, ...]}``
        for formula cells saved without a result.

    Raises
    ------
    LayerDataError
        The file is larger than ``max_bytes``, empty, not in a readable format
        or encoding, damaged, unpacks to far more than its size (an ``.xlsx``
        is a zip archive), has more than :data:`MAX_CELLS` cells, has no header
        row or no data rows, or a CSV row has more fields than the header.

    Notes
    -----
    Excel cells: a formula cell gives the value the spreadsheet program
    computed when it last saved the file; a workbook written by a script
    that never opened it in a spreadsheet program (e.g. openpyxl) has no
    saved results, so such a cell reads as missing and is listed in
    ``attrs["uncached_formulas"]`` (:func:`uploaded_layer` refuses a key or
    value column holding one). A whole number shown with a zero-padded
    number format (``000``) is read with its zeros (``"007"``); dates read as
    ISO text. Only the first worksheet is read.

    Examples
    --------
    >>> table = read_upload(b"code;share\\n001;12,5\\n002;n/a\\n", "survey.csv")
    >>> table["code"].tolist(), table["share"].tolist(), table.attrs["decimal"]
    (['001', '002'], ['12,5', 'n/a'], ',')
    >>> table.index.tolist()
    [2, 3]
    """
    return read_text_table(data, _display_name(filename), max_bytes=max_bytes, max_cells=MAX_CELLS)


def _display_name(filename: str) -> str:
    """The file's base name, without folders or control characters, at most 100 characters."""
    base = re.split(r"[\\/]", str(filename))[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base[:97] + "...") if len(base) > 100 else (base or "uploaded file")



# ----------------------------------------------------------------------------- the layer
@dataclass(frozen=True)
class StoredValues:
    """A loader that returns values stored with the layer (an uploaded column).

    Values are kept as tuples, so the loader (and the :class:`Layer`) stays
    immutable and hashable.

    Attributes
    ----------
    codes : tuple of str
        District codes.
    values : tuple of float
        One value per code (NaN for no data).
    origin : str
        Where the values came from, for the Data & method page.

    Examples
    --------
    >>> loader = StoredValues.from_series(pd.Series([1.5, None], index=["01", "02"]), origin="v of f.csv")
    >>> d = pd.DataFrame(index=pd.Index(["02", "01", "03"], name="code"))
    >>> loader(LayerInputs(level="x", districts=d, tables={})).tolist()
    [nan, 1.5, nan]
    """

    codes: tuple[str, ...]
    values: tuple[float, ...]
    origin: str = ""

    def __post_init__(self) -> None:
        if len(self.codes) != len(self.values):
            raise ValueError(_("StoredValues: {n_codes} codes but {n_values} values").format(
                n_codes=len(self.codes), n_values=len(self.values)))

    @classmethod
    def from_series(cls, values: pd.Series, *, origin: str = "") -> "StoredValues":
        """Store a Series of numbers indexed by district code."""
        numbers = pd.to_numeric(values, errors="raise").astype(float)
        return cls(tuple(map(str, numbers.index)), tuple(float(v) for v in numbers), origin)

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        series = pd.Series(self.values, index=pd.Index(self.codes, dtype=object), dtype=float)
        return series.reindex(inputs.districts.index.astype(str)).set_axis(inputs.districts.index)

    @property
    def describe(self) -> str:
        """One line for the Data & method page."""
        return self.origin or "uploaded values"


@dataclass(frozen=True)
class UploadReport(JoinReport):
    """A :class:`~geo.join.JoinReport` with what else the upload found.

    Attributes
    ----------
    with_value : int
        Districts that got a number.
    minimum, median, maximum : float
        Of the districts' values (NaN when none).
    notes : tuple of str
        Rows without a key, matched districts without a value, a constant
        column, likely lost leading zeros.
    """

    with_value: int = 0
    minimum: float = math.nan
    median: float = math.nan
    maximum: float = math.nan
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The join summary, the value summary and the notes."""
        out = super().lines()
        summary = _("  values: {with_value} of {districts} districts have one").format(
            with_value=self.with_value, districts=self.districts)
        if self.with_value:
            summary += _(" (min {minimum}, median {median}, max {maximum})").format(
                minimum=format_spec(self.minimum, "g"), median=format_spec(self.median, "g"), maximum=format_spec(self.maximum, "g"))
        out.append(summary)
        out.extend(f"  note: {n}" for n in self.notes)
        return out

    def summary_frame(self) -> pd.DataFrame:
        """The value summary as a one-row table."""
        return pd.DataFrame(
            [{"districts": self.districts, "with a value": self.with_value,
              "no data": self.districts - self.with_value, "min": self.minimum, "median": self.median,
              "max": self.maximum}]
        )


def slug(text: str) -> str:
    """A layer id from a label: lower-case ASCII letters, digits and underscores.

    Examples
    --------
    >>> slug("Taux d'analphabétisme (%)")
    'taux_d_analphabetisme'
    >>> slug("2024 literacy")
    'layer_2024_literacy'
    """
    words = ["".join(ch for ch in w if "a" <= ch <= "z" or ch.isdigit() and ch.isascii()) for w in name_words(text)]
    out = "_".join(w for w in words if w)[:40].strip("_")
    if not out:
        return "uploaded_layer"
    return out if out[0].isalpha() else ("layer_" + out)[:40].strip("_")


def uploaded_layer(
    table: pd.DataFrame,
    districts: pd.DataFrame,
    *,
    filename: str,
    key: str,
    value: str,
    by: str = "code",
    parent_key: str | None = None,
    layer_id: str | None = None,
    label: str,
    unit: str,
    theme: str,
    higher_is_worse: bool,
    kind: str = "rate",
    source: str = _("uploaded by the user"),
    year: int | None = None,
    existing_ids: Collection[str] = (),
    themes: Mapping[str, str] | None = None,
) -> tuple[Layer, pd.Series, UploadReport]:
    """Check an uploaded table and the user's choices, join it, and make a layer of it.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`read_upload` (text cells, index = row numbers).
    districts : pandas.DataFrame
        The level's districts: indexed by code, with ``name`` (and
        ``parent_code`` for a join by name within parent).
    filename : str
        The uploaded file's name, for messages and the layer's source.
    key : str
        Column with the district code (``by="code"``) or name (``by="name"``).
    value : str
        Column with the values.
    by : {"code", "name"}
        Join rule; names are compared ignoring accents, case and punctuation.
    parent_key : str, optional
        For ``by="name"``: column with the parent district's code, so equal
        names in different parents do not collide. Ignored for ``by="code"``.
    layer_id : str, optional
        Defaults to :func:`slug` of the label, numbered (``_2``) if taken.
    label, unit : str
        Shown in the dashboard; the label is required, the unit may be empty.
    theme : str
        The id of a theme of the configuration (a key of ``themes``).
    higher_is_worse : bool
        Direction.
    kind : {"rate", "count"}
    source : str
        Who published the numbers; the file name and upload date are added.
    year : int, optional
        Year of the data (defaults to the upload year).
    themes : Mapping[str, str], optional
        The configuration's themes, id -> label; when given, ``theme`` must be one
        of them.
    existing_ids : collection of str
        Layer ids already in use (configured and uploaded).

    Returns
    -------
    (Layer, pandas.Series, UploadReport)
        The layer (its loader returns the stored values), the values as
        floats indexed exactly like ``districts`` and named by the layer id
        (NaN for no data), and the join report.

    Raises
    ------
    LayerDataError
        Empty or too long label, unknown theme or kind, id taken or invalid,
        unknown column, a value that is not a number, no number at all, a key
        or value cell holding a formula saved without its result.
    JoinError
        A key present twice (the message lists the keys), no row matching any
        district, or a name join within parent on districts without parents.

    Examples
    --------
    >>> d = pd.DataFrame({"name": ["Alpha", "Beta"]}, index=pd.Index(["01", "02"], name="code"))
    >>> t = read_upload(b"id,v\\n01,3.5\\n02,n/a\\n", "f.csv")
    >>> layer, values, report = uploaded_layer(t, d, filename="f.csv", key="id", value="v", label="Literacy",
    ...                                        unit="%", theme="poverty", higher_is_worse=True)
    >>> layer.id, values.tolist(), report.matched
    ('literacy', [3.5, nan], 2)
    """
    name = _display_name(filename)
    label = _checked_text(label, _("label"), _MAX_LABEL, required=True)
    unit = _checked_text(unit, _("unit"), _MAX_UNIT, required=False)
    source = _checked_text(source, _("source"), 120, required=False) or _("uploaded by the user")
    _check_choices(theme, kind, by, higher_is_worse, themes)
    _check_columns(table, name, key, value, parent_key if by == "name" else None)
    parent_key = parent_key if by == "name" else None
    _check_formulas(table, name, [key, value, parent_key])
    lid = _layer_id(layer_id, label, existing_ids)
    today = date.today()
    year = _checked_year(year, today)

    numbers = to_number(table[value], column=value, filename=name, decimal=table.attrs.get("decimal"))
    if not numbers.notna().any():
        raise LayerDataError(
            _("{name}: column {value!r} has no numbers (every cell is empty or marked missing); "
            "choose the column that holds the values.").format(name=name, value=value)
        )
    keys = table[key]
    no_key = keys.isna() | (keys.astype(str).str.strip() == "")
    if no_key.all():
        raise LayerDataError(
            _("{name}: key column {key!r} is empty; choose the column with the district {by}s.").format(
                name=name, key=key, by=by)
        )
    frame = pd.DataFrame({key: keys[~no_key], "__value__": numbers[~no_key]})
    if parent_key:
        if "parent_code" not in districts.columns or districts["parent_code"].isna().all():
            raise JoinError(
                _("{name}: the districts of this level have no parent district, so names cannot be "
                "matched within a parent; join by name without the parent column {parent_key!r}.").format(
                    name=name, parent_key=parent_key)
            )
        frame.insert(1, parent_key, table.loc[~no_key, parent_key])
    joined, report = join_table(districts, frame, key=key, by=by, name=name, parent_key=parent_key,
                                 require_match=False)
    if report.matched == 0:
        raise JoinError(_no_match_message(name, frame[key], districts, key, by))
    values = joined["__value__"].astype(float).rename(lid)
    values.index = districts.index
    if unit.strip() == "%":
        outside = values[(values < 0) | (values > 100)]
        if len(outside):
            shown = ", ".join(f"{code!r}: {v:g}" for code, v in outside.head(5).items())
            raise LayerDataError(
                _("{name}: column {value!r} has {n_outside} value(s) outside 0-100 ({shown}) but the unit is %; "
                "fix these values, or choose another unit if the column is not a percentage.").format(
                    name=name, value=value, n_outside=len(outside), shown=shown)
            )

    notes = _notes(name, table, no_key, key, values, report, districts, by)
    if numbers.attrs.get("decimal_note"):
        notes.insert(0, numbers.attrs["decimal_note"].split(": ", 1)[1])
    present = values.dropna()
    upload_report = UploadReport(
        **{f.name: getattr(report, f.name) for f in fields(JoinReport)},
        with_value=int(present.size),
        minimum=float(present.min()) if present.size else math.nan,
        median=float(present.median()) if present.size else math.nan,
        maximum=float(present.max()) if present.size else math.nan,
        notes=tuple(notes),
    )
    rule = "code" if by == "code" else (_("name within parent") if parent_key else "name")
    origin = _("column {value!r} of {name}, joined by {rule} on {key!r}, uploaded {isoformat}").format(
        value=value, name=name, rule=rule, key=key, isoformat=today.isoformat())
    layer = Layer(
        id=lid,
        label=label,
        theme=theme,
        unit=unit,
        higher_is_worse=bool(higher_is_worse),
        kind=kind,  # type: ignore[arg-type]
        source=Source(name=f"{source} ({name}, uploaded {today.isoformat()})", year=year,
                      licence=_("not stated (uploaded file)")),
        loader=StoredValues.from_series(values, origin=origin),
        description=_("Added in the browser from {origin}.").format(origin=origin),
    )
    return layer, values, upload_report


def _checked_text(text: object, what: str, limit: int, *, required: bool) -> str:
    out = " ".join(str(text or "").split())
    if required and not out:
        raise LayerDataError(_("The layer's {what} is empty; type a short {what} (e.g. 'Illiteracy rate').").format(
            what=what))
    if len(out) > limit:
        raise LayerDataError(_("The layer's {what} has {n_out} characters; keep it to {limit} or fewer.").format(
            what=what, n_out=len(out), limit=limit))
    if out.startswith(_FORMULA_START):
        raise LayerDataError(
            _("The layer's {what} {out!r} starts with {out2!r}, which spreadsheets read as a formula "
            "in exports; start it with a letter or a digit.").format(what=what, out=out[:20], out2=out[0])
        )
    return out


def _check_choices(theme: str, kind: str, by: str, higher_is_worse: object,
                   themes: Mapping[str, str] | None) -> None:
    if not isinstance(theme, str) or not theme.strip() or (themes is not None and theme not in themes):
        known = _("; choose one of {sorted} ({join})").format(
            sorted=sorted(themes), join=', '.join(themes.values())) if themes else ""
        raise LayerDataError(_("Unknown theme {theme!r} for the uploaded layer{known}.").format(
            theme=theme, known=known))
    if kind not in ("rate", "count"):
        raise LayerDataError(_("Unknown kind {kind!r} for the uploaded layer; choose 'rate' or 'count'.").format(
            kind=kind))
    if by not in ("code", "name"):
        raise LayerDataError(_("Unknown join rule {by!r}; join by 'code' or by 'name'.").format(by=by))
    if not isinstance(higher_is_worse, (bool, np.bool_)):
        raise LayerDataError(
            _("The direction must be True (higher is worse) or False (lower is worse), "
            "got {higher_is_worse!r}.").format(higher_is_worse=higher_is_worse)
        )


def _check_columns(table: pd.DataFrame, name: str, key: str, value: str, parent_key: str | None) -> None:
    for role, col in (("key", key), ("value", value), ("parent", parent_key)):
        if col is not None and col not in table.columns:
            shown = list(map(str, table.columns[:20])) + (["..."] if len(table.columns) > 20 else [])
            raise LayerDataError(
                _("{name}: {role} column {col!r} not found; the file's columns are {shown}. "
                "Choose one of them.").format(name=name, role=role, col=col, shown=shown)
            )
    if value == key:
        raise LayerDataError(
            _("{name}: the value column {value!r} is also the key column; choose the column with the "
            "district codes or names as key and another column as value.").format(name=name, value=value)
        )
    if parent_key is not None and parent_key in (key, value):
        raise LayerDataError(
            _("{name}: the parent column {parent_key!r} is also the key or value column; choose the "
            "column with the parent districts' codes.").format(name=name, parent_key=parent_key)
        )


def _check_formulas(table: pd.DataFrame, name: str, columns: list[str | None]) -> None:
    uncached = table.attrs.get("uncached_formulas") or {}
    for col in columns:
        rows = uncached.get(col) if col else None
        if rows:
            shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
            raise LayerDataError(
                _("{name}: column {col!r} has {n_rows} formula cell(s) saved without their result "
                "(rows {shown}); formulas are never computed here. Open the file in a spreadsheet "
                "program and save it again (or paste the column as values), then upload it again.").format(
                    name=name, col=col, n_rows=len(rows), shown=shown)
            )


def _layer_id(layer_id: str | None, label: str, existing: Collection[str]) -> str:
    taken = set(map(str, existing))

    if layer_id is not None:
        return check_layer_id(layer_id, where=_("The layer id"), taken=taken, error=LayerDataError)
    base = slug(label)
    lid, n = base, 1
    while lid in taken or is_reserved(lid):
        n += 1
        lid = f"{base[:36]}_{n}"
    return lid


def _checked_year(year: object, today: date) -> int:
    if year is None:
        return today.year
    is_int = isinstance(year, (int, np.integer)) and not isinstance(year, bool)
    if not is_int or not 1800 <= int(year) <= today.year + 1:
        raise LayerDataError(
            _("Invalid year {year!r} for the uploaded layer; give the year of the data, e.g. 2023.").format(
                year=year)
        )
    return int(year)


def _no_match_message(name: str, keys: pd.Series, districts: pd.DataFrame, key: str, by: str) -> str:
    file_keys = list(dict.fromkeys(map(str, keys.head(50))))[:5]
    if by == "code":
        sample = list(map(str, districts.index[:5]))
        hint = _zeros_hint(keys, districts) or (
            _("Choose the column holding the district codes, or join by name.")
        )
        return (
            _("{name}: no value of column {key!r} matches a district code (file: {file_keys}; districts: "
            "{sample}). {hint}").format(name=name, key=key, file_keys=file_keys, sample=sample, hint=hint)
        )
    sample = list(map(str, districts["name"].head(5)))
    return (
        _("{name}: no value of column {key!r} matches a district name (file: {file_keys}; districts: "
        "{sample}). Choose the column holding the district names, check the level, or join by code.").format(
            name=name, key=key, file_keys=file_keys, sample=sample)
    )


def _zeros_hint(keys: pd.Series, districts: pd.DataFrame) -> str:
    """A hint when the file's codes are the district codes without their leading zeros."""
    file_codes = set(normalise_code(keys).dropna())
    codes = set(map(str, districts.index))
    stripped = {c.lstrip("0") or "0": c for c in codes}
    recovered = [k for k in file_codes - codes if k.isdigit() and k in stripped]
    if not recovered:
        return ""
    k = recovered[0]
    return (
        _("{n_recovered} code(s) look like district codes without their leading zeros (e.g. {k!r} for "
        "{stripped!r}): a spreadsheet probably dropped them. Format the column as text and type the "
        "codes again, or save the file as CSV from the original data.").format(
            n_recovered=len(recovered), k=k, stripped=stripped[k])
    )


def _notes(name: str, table: pd.DataFrame, no_key: pd.Series, key: str, values: pd.Series,
           report: JoinReport, districts: pd.DataFrame, by: str) -> list[str]:
    notes = []
    if no_key.any():
        rows = ", ".join(map(str, table.index[no_key.to_numpy()][:10]))
        notes.append(
            _("{int} row(s) without a key in column {key!r} are not used (rows {rows}).").format(
                int=int(no_key.sum()), key=key, rows=rows)
        )
    matched_codes = set(districts.index) - {c for c, _unused in report.unmatched_districts}
    no_value = [c for c in values.index if c in matched_codes and pd.isna(values[c])]
    if no_value:
        notes.append(_("{n_no_value} matched district(s) have no value in the file: they get 'no data'.").format(
            n_no_value=len(no_value)))
    present = values.dropna()
    if present.size and present.nunique() == 1:
        notes.append(
            _("every district with data has the same value ({iloc}): the layer cannot tell "
            "districts apart, so it is left out of the score (it can still be mapped).").format(
                iloc=format_spec(present.iloc[0], "g"))
        )
    if present.size and present.size < len(values) / 2:
        notes.append(
            _("only {size} of {n_values} districts have a value; the others get 'no data' for "
            "this layer, which lowers their data coverage (and may leave them unscored) when it is selected.").format(
                size=present.size, n_values=len(values))
        )
    if by == "code" and report.unmatched_rows:
        hint = _zeros_hint(pd.Series(report.unmatched_rows), districts)
        if hint:
            notes.append(hint)
    return notes
