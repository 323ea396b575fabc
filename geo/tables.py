"""Reading tables: one reader, with one set of rules, for the configuration's tables and the uploads.

Only data is read, from two formats:

* CSV text in UTF-8 (with or without a byte-order mark), UTF-16 (with a mark,
  or without one when the text shows it), or Windows-1252/Latin-1, separated
  by ``,`` ``;`` or tabs;
* Excel ``.xlsx`` workbooks through openpyxl, values only: formulas are never
  evaluated and macros never run; a formula cell saved without its result is
  refused with its rows, never read as "no data".

Every cell is first read as text (:func:`read_text_table`), so codes keep their
leading zeros; a file larger than the size limit or with more cells than
:data:`MAX_CELLS` is refused before it is read further. :func:`to_number`
then reads a column as numbers with the rules below, and refuses (naming the
rows) anything it cannot read rather than turning it into "no data":

* plain numbers, decimal commas, thousands separators (``1 234``,
  ``1.234,5``, ``1,234.5``), percentages (``12 %`` is 12);
* the decimal mark is decided per column by the values that read only one way,
  else by the rest of the file (a ``;``-separated file writing ``0,5``
  elsewhere uses ``.`` for thousands); a column whose values all read two ways
  (``1.125``: a decimal, or 1125?) with nothing in the file to decide is refused;
* :data:`MISSING_TOKENS` (``n/a``, ``-``, ``..``, empty) are "no data" in
  value columns only, never in a key or name column (``NA`` is a district
  code in many countries);
* infinite values and values beyond :data:`MAX_MAGNITUDE` are refused.

A fast path reads a column of plain numbers with one vectorised conversion;
the per-cell rules run only for the columns it cannot read (same results).
:func:`read_table` applies all of this to a configured table file.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from geo.i18n import N_, _, format_spec
from geo.errors import LayerDataError
from geo.text import normalise_code

__all__ = [
    "MISSING_TOKENS",
    "MAX_CELLS",
    "MAX_TABLE_MB",
    "MAX_MAGNITUDE",
    "TEXT_SUFFIXES",
    "EXCEL_SUFFIXES",
    "REFUSED_SUFFIXES",
    "read_text_table",
    "read_table",
    "to_number",
    "file_decimal",
    "size_text",
]

MISSING_TOKENS = frozenset(
    {"", "n/a", "na", "nan", "null", "none", "-", "--", "\u2013", "\u2014", "..", "...", "\u2026", "#n/a"}
)
"""Cell texts read as "no data" (compared after stripping spaces, ignoring case)."""

MAX_CELLS = 2_000_000
"""Most cells an uploaded table may have (it is held in memory as text)."""

MAX_TABLE_MB = 512
"""Size limit of a configured table file, in MB (2**20 bytes); a larger file is refused before it is read."""

MAX_TABLE_CELLS = 20_000_000
"""Most cells a configured table may have."""

MAX_MAGNITUDE = 1e200
"""Largest absolute value a table cell may hold: beyond it sums and weighted averages overflow."""

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx",)
REFUSED_SUFFIXES = {
    ".xlsm": N_("it is a macro-enabled workbook; save it as a plain Excel workbook (.xlsx) or as CSV"),
    ".xltm": N_("it is a macro-enabled template; save it as a plain Excel workbook (.xlsx) or as CSV"),
    ".xls": N_("the old Excel 97-2003 format is not read; save it as .xlsx or CSV"),
    ".xlsb": N_("binary Excel workbooks are not read; save it as .xlsx or CSV"),
    ".ods": N_("OpenDocument spreadsheets are not read; save it as .xlsx or CSV"),
}
# An .xlsx is a zip archive: refuse one that unpacks to more than this many times the size limit.
_UNZIPPED_FACTOR = 10
_MAX_ZIP_MEMBERS = 10_000
_SPACES = " \u00a0\u202f\u2009\u2007"
_SPACE_RE = re.compile(f"[{_SPACES}]")
_SCIENTIFIC = re.compile(r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)|[0-9]+\.[eE][+-]?[0-9]+")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")

# ----------------------------------------------------------------------------- reading a file
def read_text_table(
    data: bytes,
    name: str,
    *,
    suffix: str | None = None,
    max_bytes: int,
    max_cells: int = MAX_CELLS,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read CSV or Excel bytes into a table of text cells.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        Names the file in messages; its suffix chooses the format unless ``suffix`` is given.
    suffix : str, optional
        ``.csv``, ``.tsv``, ``.txt`` or ``.xlsx``.
    max_bytes : int
        Size limit; an ``.xlsx`` may unpack to ten times as much.
    max_cells : int
        Most cells the table may have.
    sheet : str or int, optional
        The worksheet of an Excel file, by name or position (default: the first).

    Returns
    -------
    pandas.DataFrame
        One column per header cell (stripped text, ``None`` for an empty
        cell; missing-value tokens are kept as written), indexed by the row
        number in the file (the header is row 1, or the first non-empty row),
        so messages can point at the cell to fix. ``attrs`` records how it was
        read: ``source``, ``format`` (``"csv"`` or ``"xlsx"``); for CSV
        ``encoding``, ``separator`` and ``decimal`` (``"."`` for a
        ``,``-separated file, else what the file's values show, see
        :func:`file_decimal`); for Excel ``sheet``, ``sheets`` and
        ``uncached_formulas``: ``{column: [row, ...]}`` for formula cells
        saved without a result.

    Raises
    ------
    LayerDataError
        Larger than ``max_bytes``, empty, not in a readable format or encoding,
        damaged, unpacks to far more than its size, more than ``max_cells``
        cells, no header row or no data rows, a CSV row with more fields than
        the header, an unknown worksheet (the message lists the sheets).

    Examples
    --------
    >>> table = read_text_table(b"code;share\\nNA;12,5\\n002;n/a\\n", "survey.csv", max_bytes=2**20)
    >>> table["code"].tolist(), table["share"].tolist(), table.attrs["decimal"]
    (['NA', '002'], ['12,5', 'n/a'], ',')
    >>> table.index.tolist()
    [2, 3]
    """
    data = bytes(data)
    if len(data) > max_bytes:
        raise LayerDataError(
            _("{name}: the file is {size_text}, larger than the limit of {size_text2}. "
            "Keep only the district key and the value columns you need, or split the file.").format(
                name=name, size_text=size_text(len(data)), size_text2=size_text(max_bytes))
        )
    if not data.strip():
        raise LayerDataError(_("{name}: the file is empty; give a table with a header row and one row per district.").format(
            name=name))
    suffix = (suffix or _suffix(name)).lower()
    if suffix in EXCEL_SUFFIXES:
        rows, attrs = _xlsx_rows(data, name, max_bytes, max_cells, sheet)
    elif suffix in TEXT_SUFFIXES:
        if data[:4] == b"PK\x03\x04":
            raise LayerDataError(
                _("{name}: this is a zip archive (an Excel workbook?), not CSV text. "
                "Give the workbook its .xlsx name, or export the sheet as CSV.").format(name=name)
            )
        rows, attrs = _csv_rows(data, name)
    elif suffix in REFUSED_SUFFIXES:
        raise LayerDataError(f"{name}: {_(REFUSED_SUFFIXES[suffix])}.")
    else:
        raise LayerDataError(
            _("{name}: unsupported file type {value!r}; use a CSV file (.csv) "
            "or an Excel workbook (.xlsx).").format(name=name, value=suffix or '(no suffix)')
        )
    frame = _frame(_bounded(rows, name, max_cells), name, attrs, strict_width=attrs["format"] == "csv")
    if attrs["format"] == "csv" and attrs["separator"] != ",":
        frame.attrs["decimal"] = file_decimal(frame)
    return frame


def file_decimal(table: pd.DataFrame, *, sample: int = 1000) -> str | None:
    """The decimal mark a table's values show: ``","``, ``"."``, or ``None`` when none or both.

    Looks at up to ``sample`` cells with a ``,`` or ``.`` in each column; a
    value that reads only one way (``0,5``, ``1.234,5``, ``0.25``) votes for
    its mark. Used for values such as ``1.125`` that read two ways in a
    ``;``-separated file.

    Examples
    --------
    >>> file_decimal(pd.DataFrame({"a": ["1.000", "2.000"], "b": ["0,10", None]}))
    ','
    >>> file_decimal(pd.DataFrame({"a": ["1.125", "2.250"]})) is None
    True
    """
    votes = set()
    for col in table.columns:
        cells = table[col]
        texts = cells[cells.map(lambda v: isinstance(v, str))]
        texts = texts[texts.str.contains(r"[0-9][.,]|[.,][0-9]", regex=True)].head(sample)
        for text in texts:
            body = text.strip(_SPACES + "\t\r\n%").lstrip("+-\u2212")
            ev = _evidence(body)
            if ev in (".", ","):
                votes.add(ev)
                break
    return votes.pop() if len(votes) == 1 else None


def read_table(path: str | Path, *, key: str, sheet: str | int | None = None,
               max_mb: int = MAX_TABLE_MB) -> pd.DataFrame:
    """Read a configured indicator table (CSV, Excel or Parquet) with its key column as text.

    The rules of :func:`read_text_table` and :func:`to_number` apply, as for
    an uploaded table: the key column is never converted to numbers (leading
    zeros survive) and never holds missing-value tokens (``NA`` is a code);
    every other column whose cells all read as numbers becomes numeric; a
    column holding codes with leading zeros (``01``) stays text; a column
    with text, or with numbers that cannot be read, stays text and the reason
    is kept in ``attrs["unreadable"]`` (``{column: message}``), shown when a
    layer uses it. Notes on how numbers were read are in ``attrs["notes"]``.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (or ``.txt``/``.tsv``), ``.xlsx`` or ``.parquet`` file (e.g. the district table
        ``python -m geo prepare`` writes; a GeoParquet file's geometry is ignored, Parquet's own
        column types are kept).
    key : str
        The column with the district codes or names.
    sheet : str or int, optional
        The worksheet of an Excel file (default: the first).
    max_mb : int
        Size limit in MB (default :data:`MAX_TABLE_MB`): a larger file is
        refused before it is read further (``/dev/zero`` is refused, not read).

    Returns
    -------
    pandas.DataFrame
        The key column as text (``None`` where empty), the other columns as
        numbers or text, indexed by the row number in the file.

    Raises
    ------
    LayerDataError
        File missing, a folder, too large or unreadable, the key column absent,
        or an Excel formula cell saved without its result.

    Examples
    --------
    >>> read_table("tests/data/own_data/indicators.csv", key="DISTRICT_CODE")["poor_share"].tolist()[:2]
    [0.1, 0.3]
    """
    path = Path(path)
    if not path.exists():
        raise LayerDataError(_("{path}: file not found; check the path in the configuration.").format(
            path=path))
    if path.is_dir():
        raise LayerDataError(_("{path}: is a folder, not a table file; give the path of a .csv or .xlsx file.").format(
            path=path))
    if not path.is_file():
        raise LayerDataError(
            _("{path}: not a regular file (a device or a pipe?); give the path of a .csv or .xlsx file.").format(
                path=path)
        )
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return _read_parquet(path, key)
    limit = max_mb * 2**20
    try:
        if path.stat().st_size > limit:
            raise LayerDataError(
                _("{path}: the file is {size_text}, larger than the limit of {max_mb} MB for "
                "a table. Keep only the key and the columns the layers use, or split the file.").format(
                    path=path, size_text=size_text(path.stat().st_size), max_mb=max_mb)
            )
        with path.open("rb") as fh:
            chunks, size = [], 0
            while size <= limit and (chunk := fh.read(2**20)):
                chunks.append(chunk)
                size += len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise LayerDataError(_("{path}: cannot read the file ({value}); check its permissions.").format(
            path=path, value=exc.strerror or exc)) from None
    if len(data) > limit:
        raise LayerDataError(
            _("{path}: larger than the limit of {max_mb} MB for a table (reading stopped there). Keep only the "
            "key and the columns the layers use, or split the file.").format(path=path, max_mb=max_mb)
        )
    suffix = path.suffix.lower() if path.suffix.lower() in (*TEXT_SUFFIXES, *EXCEL_SUFFIXES, *REFUSED_SUFFIXES) \
        else ".csv"
    frame = read_text_table(data, str(path), suffix=suffix, max_bytes=limit, max_cells=MAX_TABLE_CELLS,
                            sheet=sheet)
    _refuse_uncached_formulas(frame, str(path))
    if key not in frame.columns:
        raise LayerDataError(
            _("{path}: key column {key!r} not found; available columns: {list}. "
            "Fix the key name in the configuration.").format(path=path, key=key, list=list(frame.columns))
        )
    return typed_table(frame, key=key, name=str(path))


def _refuse_uncached_formulas(frame: pd.DataFrame, name: str) -> None:
    for col, rows in (frame.attrs.get("uncached_formulas") or {}).items():
        if rows:
            shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
            raise LayerDataError(
                _("{name}: column {col!r} has {n_rows} formula cell(s) saved without their result "
                "(rows {shown}); formulas are never computed here. Open the file in a spreadsheet "
                "program and save it again (or paste the column as values).").format(
                    name=name, col=col, n_rows=len(rows), shown=shown)
            )


def typed_table(frame: pd.DataFrame, *, key: str, name: str) -> pd.DataFrame:
    """A text table (from :func:`read_text_table`) with its key as codes and number columns as numbers.

    Parameters
    ----------
    frame : pandas.DataFrame
        Text cells.
    key : str
        The key column: stripped text, never a missing-value token.
    name : str
        The file, for messages.

    Returns
    -------
    pandas.DataFrame
        Same index and columns; ``attrs`` gains ``unreadable`` and ``notes`` (see :func:`read_table`).

    Examples
    --------
    >>> t = pd.DataFrame({"k": ["NA", "02"], "v": ["1", "n/a"], "w": ["01", "02"]})
    >>> out = typed_table(t, key="k", name="f.csv")
    >>> out["k"].tolist(), out["v"].tolist(), out["w"].tolist()
    (['NA', '02'], [1.0, nan], ['01', '02'])
    """
    decimal = frame.attrs.get("decimal")
    out, unreadable, notes = {}, {}, []
    for col in frame.columns:
        cells = frame[col]
        if col == key:
            out[col] = normalise_code(cells)
            continue
        numbers, reason = _column_numbers(cells, str(col), name, decimal)
        if numbers is None:
            out[col] = cells.astype(object)
            if reason:
                unreadable[col] = reason
        else:
            out[col] = numbers
            if numbers.attrs.get("decimal_note"):
                notes.append(numbers.attrs["decimal_note"])
    result = pd.DataFrame(out, index=frame.index)
    result.attrs.update({k: v for k, v in frame.attrs.items() if k not in ("unreadable", "notes")})
    result.attrs["unreadable"] = unreadable
    result.attrs["notes"] = [*frame.attrs.get("notes", ()), *notes]
    return result


_WORD_LINE = re.compile(r"(?m)^(?=[^\n]*[^\W\d_eE])[^\n]*$")  # a cell with a letter other than e or E
_CODE_LIKE = re.compile(r"(?m)^[^\S\n]*[+-]?0[0-9]")


def _column_numbers(cells: pd.Series, column: str, name: str, decimal: str | None
                    ) -> tuple[pd.Series | None, str]:
    """The column as numbers (``int64`` when all whole), or ``None`` and why it stays text."""
    texts = cells.dropna()
    if texts.empty:
        return pd.Series(np.nan, index=cells.index, dtype=float), ""
    values = texts.to_numpy(dtype=object)
    strings = list(values) if pd.api.types.infer_dtype(values, skipna=False) == "string" else \
        [v for v in values if type(v) is str]  # noqa: E721
    joined = "\n".join(strings)
    if strings and _CODE_LIKE.search(joined):
        return None, ""  # codes such as "01": keep their zeros
    numbers = _plain_numbers(cells, decimal)
    if numbers is None:
        words = [w for w in _WORD_LINE.findall(joined) if w not in _TOKEN_FORMS]
        if len(words) > len(strings) / 2:  # names, labels: text, not numbers with a few typos
            return None, (_("{name}: column {column!r} holds text (e.g. {list}), not "
                          "numbers; choose a column of numbers.").format(
                              name=name, column=column, list=list(dict.fromkeys(words))[:3]))
        try:
            numbers = to_number(cells, column=column, filename=name, decimal=decimal)
        except LayerDataError as exc:
            return None, str(exc)  # numbers that cannot be read: reported when a layer uses the column
    note = numbers.attrs.get("decimal_note")
    whole = numbers.notna().all() and (numbers == np.round(numbers)).all() and (numbers.abs() < 2**53).all()
    if whole:
        numbers = numbers.astype("int64")
        if note:
            numbers.attrs["decimal_note"] = note
    return numbers, ""


def _read_parquet(path: Path, key: str) -> pd.DataFrame:
    """A Parquet table as it is typed, without geometry, its key as text."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise LayerDataError(_("{path}: cannot read the Parquet table ({name}: {exc}).").format(
            path=path, name=type(exc).__name__, exc=exc)) from None
    if key not in frame.columns:
        raise LayerDataError(
            _("{path}: key column {key!r} not found; available columns: {list}. "
            "Fix the key name in the configuration.").format(path=path, key=key, list=list(frame.columns))
        )
    binary = [c for c in frame.columns if c != key and frame[c].dtype == object
              and isinstance(next(iter(frame[c].dropna()), None), bytes)]  # geometry as WKB
    frame = frame.drop(columns=binary)
    frame[key] = normalise_code(frame[key].map(lambda v: None if pd.isna(v) else str(v)))
    return frame


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def size_text(n: int) -> str:
    """A byte count for messages: ``"1.5 MB"``, ``"12.0 KB"``, ``"80 bytes"``."""
    if n >= 2**20:
        return f"{n / 2**20:.1f} MB"
    if n >= 2**10:
        return f"{n / 2**10:.1f} KB"
    return f"{n} bytes"


def _bounded(
    rows: Iterable[tuple[int, list[str | None]]], name: str, max_cells: int
) -> Iterator[tuple[int, list[str | None]]]:
    """Pass rows through, refusing a table with more than ``max_cells`` cells."""
    seen = 0
    for line, cells in rows:
        seen += len(cells)
        if seen > max_cells:
            raise LayerDataError(
                _("{name}: more than {max_cells} cells (row {line}), the limit for a table; a layer needs "
                "one row per district and a few columns. Keep only the key and value columns, or split the file.").format(
                    name=name, max_cells=format_spec(max_cells, ","), line=line)
            )
        yield line, cells


_STRIP = _SPACES + "\t\r\n"


def _cell(text: str) -> str | None:
    """A stripped cell text, or ``None`` for an empty cell (missing-value tokens stay text: see
    :func:`to_number`)."""
    text = text.strip(_SPACES + "\t\r\n")
    return text or None


# -- CSV
def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes: by their byte-order mark, as UTF-16 without one when every other byte of
    the start is zero, else trying UTF-8 first, then Windows-1252, then Latin-1."""
    utf16 = _utf16_without_bom(data)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates: tuple[str, ...] = ("utf-16",)
    elif data[:3] == b"\xef\xbb\xbf":
        candidates = ("utf-8-sig",)
    elif utf16:
        candidates = (utf16,)
    else:
        candidates = ("utf-8", "cp1252", "latin-1")
    text = None
    for encoding in candidates:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise LayerDataError(
            _("{name}: the text cannot be decoded as {upper} although it is marked or laid "
            "out as such; the file is damaged. Save it again as CSV (UTF-8).").format(
                name=name, upper=candidates[0].upper())
        )
    sample = text[:100_000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in sample or controls > max(10, len(sample) // 100):
        raise LayerDataError(
            _("{name}: this is not a text file (it holds binary data). Use a CSV file saved as text "
            "(UTF-8, or your spreadsheet's 'CSV' format), or an Excel .xlsx workbook.").format(name=name)
        )
    return text, encoding


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` when the bytes look like UTF-16 text without a mark.

    Text in a Latin script saved as UTF-16 has a zero byte in every other position; which one
    says the byte order.
    """
    head = data[:4096]
    if len(head) < 4 or len(head) % 2:
        head = head[: len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _separator(text: str) -> str:
    """The separator among ``,`` ``;`` and tab that splits the first rows most consistently."""
    sample = text[:65_536]

    def score(sep: str) -> tuple[bool, float, int]:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=sep)
        try:
            widths = [len(r) for _unused, r in zip(range(50), reader) if r]
        except csv.Error:
            return (False, 0.0, 0)
        if len(text) > len(sample) and len(widths) > 1:
            widths = widths[:-1]  # the last row of the sample may be cut
        if not widths:
            return (False, 0.0, 0)
        consistent = sum(w == widths[0] for w in widths) / len(widths)
        return (widths[0] > 1, consistent, widths[0])

    return max((",", ";", "\t"), key=score)


def _csv_rows(data: bytes, name: str) -> tuple[Iterator[tuple[int, list[str | None]]], dict]:
    text, encoding = _decode(data, name)
    sep = _separator(text)
    attrs = {
        "source": name,
        "format": "csv",
        "encoding": encoding,
        "separator": sep,
        # In a comma-separated file an unquoted comma cannot be a decimal mark; in a ;- or
        # tab-separated one the file's own values decide (see file_decimal).
        "decimal": "." if sep == "," else None,
    }

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        line = 1
        try:
            for record in reader:
                yield line, [c.strip(_STRIP) or None for c in record]  # as _cell, inlined for speed
                line = reader.line_num + 1
        except csv.Error as exc:
            raise LayerDataError(
                _("{name}: line {value} cannot be read as CSV ({exc}); check the quotes "
                "around that line, or save the file again as CSV.").format(
                    name=name, value=reader.line_num + 1, exc=exc)
            ) from None

    return rows(), attrs


# -- Excel
def _xlsx_rows(data: bytes, name: str, max_bytes: int, max_cells: int, sheet_name: str | int | None
               ) -> tuple[list[tuple[int, list[str | None]]], dict]:
    archive = _check_xlsx_archive(data, name, max_bytes)
    import openpyxl  # an optional import cost only for Excel files

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
            try:
                sheets = [ws.title for ws in book.worksheets]
                if not sheets:
                    raise LayerDataError(_("{name}: the workbook has no worksheet; put the table on a sheet.").format(
                        name=name))
                position = _sheet_position(sheets, sheet_name, name)
                sheet = book.worksheets[position]
                sheet.reset_dimensions()  # do not trust the size recorded in the file
                rows = list(_bounded(((i, [_excel_text(c) for c in row])
                                      for i, row in enumerate(sheet.iter_rows(min_row=1), 1)), name, max_cells))
                path = getattr(sheet, "_worksheet_path", None)
            finally:
                book.close()
            formulas = (_formula_cells(data, position) if _may_hold_formulas(archive, path) else set())
    except LayerDataError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise LayerDataError(
            _("{name}: the Excel workbook cannot be read ({name2}: {exc}); it may be damaged. "
            "Open it in a spreadsheet program and save it again as .xlsx, or export the sheet as CSV.").format(
                name=name, name2=type(exc).__name__, exc=exc)
        ) from None
    uncached = {(r, c) for r, c in formulas if _saved_without_result(rows, r, c)}
    attrs = {"source": name, "format": "xlsx", "sheet": sheets[position], "sheets": sheets, "decimal": None,
             "_uncached": uncached}
    return rows, attrs


def _sheet_position(sheets: list[str], sheet: str | int | None, name: str) -> int:
    """The position of the worksheet to read (the first by default), or an error listing the sheets."""
    if sheet is None:
        return 0
    if isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(sheets):
        return sheet
    if isinstance(sheet, str) and sheet in sheets:
        return sheets.index(sheet)
    raise LayerDataError(
        _("{name}: no worksheet {sheet!r}; the workbook's sheets are {sheets}. Set sheet to one of these "
        "names (or a position from 0 to {value}).").format(
            name=name, sheet=sheet, sheets=sheets, value=len(sheets) - 1)
    )


def _saved_without_result(rows: list[tuple[int, list[str | None]]], row: int, col: int) -> bool:
    """Whether the formula cell at (row from 1, column from 0) came back without a value."""
    if row - 1 >= len(rows):
        return True
    cells = rows[row - 1][1]
    return col >= len(cells) or cells[col] is None


def _check_xlsx_archive(data: bytes, name: str, max_bytes: int) -> zipfile.ZipFile:
    """Open the workbook's zip container and refuse it before parsing when it is not a plain workbook."""
    if data[:4] != b"PK\x03\x04":
        raise LayerDataError(
            _("{name}: not an Excel .xlsx workbook (the file is not a zip container; an old .xls or a "
            "renamed CSV?). Save it as an Excel workbook (.xlsx), or upload it as CSV.").format(name=name)
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise LayerDataError(
            _("{name}: the Excel workbook is damaged ({exc}); save it again as .xlsx, or export it as CSV.").format(
                name=name, exc=exc)
        ) from None
    unpacked = sum(i.file_size for i in infos)
    limit = _UNZIPPED_FACTOR * max_bytes
    if unpacked > limit or len(infos) > _MAX_ZIP_MEMBERS:
        raise LayerDataError(
            _("{name}: the workbook unpacks to {size_text} in {n_infos} parts, more than the "
            "{size_text2} allowed; refusing to open it (it may be damaged or built to exhaust memory). "
            "Export the sheet you need as CSV.").format(
                name=name, size_text=size_text(unpacked), n_infos=len(infos), size_text2=size_text(limit))
        )
    names = {i.filename for i in infos}
    if "xl/vbaProject.bin" in names:
        raise LayerDataError(
            _("{name}: the workbook contains macros (a .xlsm renamed .xlsx?); save it as a plain Excel "
            "workbook (.xlsx) or as CSV.").format(name=name)
        )
    if "xl/workbook.bin" in names:
        raise LayerDataError(f"{name}: {_(REFUSED_SUFFIXES['.xlsb'])}.")
    if "xl/workbook.xml" not in names:
        raise LayerDataError(
            _("{name}: a zip archive without an Excel workbook inside; upload an .xlsx workbook or a CSV file.").format(
                name=name)
        )
    return archive


def _excel_text(cell: object) -> str | None:
    """The text of one worksheet cell (value only; formulas come as their saved result)."""
    value = getattr(cell, "value", None)
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
            text = str(int(value))
            fmt = getattr(cell, "number_format", None) or ""
            if re.fullmatch(r"0+", fmt) and value >= 0:
                text = text.zfill(len(fmt))  # a code shown with a zero-padded format, e.g. 000
            return text
        return repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return _cell(str(value))


def _may_hold_formulas(archive: zipfile.ZipFile, path: str | None) -> bool:
    if not path:
        return True
    try:
        return bool(_FORMULA_TAG.search(archive.read(path.lstrip("/"))))
    except KeyError:
        return True


def _formula_cells(data: bytes, position: int) -> set[tuple[int, int]]:
    """Positions (row from 1, column from 0) of the worksheet's formula cells."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    try:
        sheet = book.worksheets[position]
        sheet.reset_dimensions()
        return {
            (i, j)
            for i, row in enumerate(sheet.iter_rows(min_row=1), 1)
            for j, c in enumerate(row)
            if getattr(c, "data_type", None) == "f"
        }
    finally:
        book.close()


# -- the table
def _frame(
    rows: Iterable[tuple[int, list[str | None]]], name: str, attrs: dict, *, strict_width: bool
) -> pd.DataFrame:
    """Build the text table: the first non-empty row is the header."""
    it = iter(rows)
    header = None
    for line, cells in it:
        if any(c is not None for c in cells):
            header = cells
            break
    if header is None:
        raise LayerDataError(_("{name}: the file holds no cells; upload a table with a header row.").format(
            name=name))
    if all(c is None or _looks_numeric(c) for c in header):
        raise LayerDataError(
            _("{name}: the first row ({line}) holds numbers, not column names; add a header row "
            "naming the columns (e.g. code, value).").format(name=name, line=line)
        )
    header_line = line
    index: list[int] = []
    body: list[list[str | None]] = []
    width = len(header)
    for line, cells in it:
        if not any(c is not None for c in cells):
            continue
        if len(cells) > len(header):
            if strict_width and any(c is not None for c in cells[len(header):]):
                raise LayerDataError(
                    _("{name}: row {line} has {n_cells} fields but the header (row {header_line}) has "
                    "{n_header}. A value with a decimal comma must be quoted (\"12,5\") in a "
                    "comma-separated file; or save the file with ; as the separator.").format(
                        name=name, line=line, n_cells=len(cells), header_line=header_line, n_header=len(header))
                )
            width = max(width, len(cells))
        index.append(line)
        body.append(cells)
    if not body:
        raise LayerDataError(
            _("{name}: the file has a header (row {header_line}) but no data rows; add one row per district.").format(
                name=name, header_line=header_line)
        )
    names = _column_names(header + [None] * (width - len(header)))
    repeated = [n for n, h in zip(names, header) if h is not None and n != h]
    if repeated:
        attrs["notes"] = [
            _("{name}: the header repeats column name(s) (once spaces are stripped); the repeats are named "
            "{repeated}. Give every column its own name.").format(name=name, repeated=repeated[:5])
        ]
    columns = {}
    padded = (row if len(row) == width else row + [None] * (width - len(row)) for row in body)
    for j, (col, cells) in enumerate(zip(names, zip(*padded))):
        if (j >= len(header) or header[j] is None) and all(c is None for c in cells):
            continue  # an unnamed, empty column (e.g. formatted cells right of the table)
        columns[col] = pd.Series(cells, dtype=object)
    frame = pd.DataFrame(columns)
    frame.index = pd.Index(index, name="row")
    uncached = attrs.pop("_uncached", None)
    if uncached is not None:
        by_column: dict[str, list[int]] = {}
        row_set = set(index)
        for r, c in sorted(uncached):
            if r in row_set and c < len(names) and names[c] in frame.columns:
                by_column.setdefault(names[c], []).append(r)
        attrs["uncached_formulas"] = by_column
    frame.attrs.update(attrs)
    return frame


def _column_names(header: list[str | None]) -> list[str]:
    """Header texts, unnamed columns named by their spreadsheet letter, repeats numbered."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for j, text in enumerate(header):
        col = text if text is not None else f"column {_letter(j)}"
        if col in seen:
            seen[col] += 1
            col = f"{col} ({seen[col]})"
        seen.setdefault(col, 1)
        out.append(col)
    return out


def _letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _looks_numeric(text: str) -> bool:
    body = _SPACE_RE.sub("", text).rstrip("%").lstrip("+-\u2212")
    return bool(body) and bool(re.fullmatch(r"[0-9.,]+|" + _SCIENTIFIC.pattern, body)) and any(
        ch.isdigit() for ch in body
    )


# ----------------------------------------------------------------------------- numbers
def to_number(
    values: pd.Series, *, column: str, filename: str, decimal: str | None = None
) -> pd.Series:
    """Turn a column of text cells into numbers, refusing anything unreadable.

    Read: plain numbers (``12``, ``-3.5``, ``1e-3``), decimal commas
    (``12,5``), thousands separated by spaces, non-breaking spaces or the
    other mark (``1 234``, ``1.234,5``, ``1,234.5``), percentages (``12 %``
    gives 12, not 0.12), and :data:`MISSING_TOKENS` (missing). The decimal
    mark is decided for the whole column: a value that can only be read one
    way (``12,5``, ``0.25``, ``1.234,5``) decides it; a value such as
    ``1,234`` that could be either is read with ``decimal`` (the file's
    convention, see :func:`read_text_table` and :func:`file_decimal`) and
    refused when neither helps. Infinite values and values beyond
    :data:`MAX_MAGNITUDE` are refused. When the file's convention decided,
    ``attrs["decimal_note"]`` of the result says so.

    Columns of plain numbers (``12``, ``-3.5``, ``1e-3``, missing tokens) are
    read by one vectorised conversion; the rules above run cell by cell only
    for the other columns, with the same results.

    Parameters
    ----------
    values : pandas.Series
        Cells as text (or numbers).
    column, filename : str
        Named in messages.
    decimal : {".", ","}, optional
        The file's decimal mark, used only for values that could be read
        either way.

    Returns
    -------
    pandas.Series
        Floats, same index; missing cells are NaN.

    Raises
    ------
    LayerDataError
        A cell is not a number, or the column mixes decimal points and
        decimal commas, or a value is ambiguous. The message shows up to three
        examples and the rows: the Series' index labels, which are the row
        numbers in the file for a table from :func:`read_text_table`.

    Examples
    --------
    >>> s = pd.Series(["1 234,5", "12 %", "n/a", "-0,5"], index=[2, 3, 4, 5])
    >>> to_number(s, column="v", filename="f.csv").tolist()
    [1234.5, 12.0, nan, -0.5]
    >>> to_number(pd.Series(["1,234", "0.5"]), column="v", filename="f.csv").tolist()
    [1234.0, 0.5]
    """
    if decimal not in (None, ".", ","):
        raise ValueError(_("decimal must be '.', ',' or None, got {decimal!r}").format(decimal=decimal))
    fast = _plain_numbers(values, decimal)
    if fast is not None:
        return fast
    out = np.full(len(values), np.nan)
    pending: list[tuple[int, object, str, str, str]] = []  # (position, row, original, sign, body)
    bad: list[tuple[int, object, str]] = []
    too_large: list[tuple[int, object, str]] = []
    for i, (row, raw) in enumerate(values.items()):
        number = _direct_number(raw)
        if number is not None:
            if math.isnan(number) or abs(number) <= MAX_MAGNITUDE:
                out[i] = number
            else:
                too_large.append((i, row, str(raw)))
            continue
        text = str(raw).strip(_SPACES + "\t\r\n").replace("\u2212", "-")
        if text.lower() in MISSING_TOKENS:
            continue
        body = text[:-1].rstrip(_SPACES) if text.endswith("%") else text
        sign = ""
        if body[:1] in "+-":
            sign, body = body[0], body[1:].lstrip(_SPACES)
        pending.append((i, row, str(raw), sign, body))

    mark, by_file = _decimal_mark([(row, raw, body) for _unused, row, raw, _unused, body in pending], column, filename,
                                  decimal)
    for i, row, raw, sign, body in pending:
        number = _parse(body, mark)
        if number is None:
            bad.append((i, row, raw))
        elif not abs(number) <= MAX_MAGNITUDE:
            too_large.append((i, row, raw))
        else:
            out[i] = -number if sign == "-" else number
    if too_large and not bad:
        too_large.sort()
        raise LayerDataError(
            _("{filename}: column {column!r} has {n_too_large} value(s) too large to compute with "
            "(beyond {max_magnitude} in absolute value): {examples}. "
            "Fix these cells (a unit error?), or leave them empty for 'no data'.").format(
                filename=filename, column=column, n_too_large=len(too_large), max_magnitude=format_spec(MAX_MAGNITUDE, "g"), examples=_examples([(row, raw) for _unused, row, raw in too_large]))
        )
    bad += too_large
    if bad:
        bad.sort()
        raise LayerDataError(
            _("{filename}: column {column!r} has {n_bad} value(s) that are not numbers: "
            "{examples}. Fix these cells (numbers such as 12.5, "
            "12,5, 1 234 or 12 %), or leave them empty or write n/a for 'no data'.").format(
                filename=filename, column=column, n_bad=len(bad), examples=_examples([(row, raw) for _unused, row, raw in bad]))
        )
    result = pd.Series(out, index=values.index, dtype=float, name=values.name)
    if by_file and mark == ",":
        result.attrs["decimal_note"] = (
            _("{filename}: column {column!r}: values such as {examples} read with '.' as the "
            "thousands separator (1.125 is 1125), as the file writes its decimals with a comma.").format(
                filename=filename, column=column, examples=_examples(by_file, 2))
        )
    return result


_TWO_WAYS_DOT = r"[+-]?[1-9][0-9]{0,2}\.[0-9]{3}"
_TWO_WAYS_LINE = re.compile(rf"(?m)^{_TWO_WAYS_DOT}$")
_OTHER_DOTTED_LINE = re.compile(rf"(?m)^(?!{_TWO_WAYS_DOT}$)[^\n]*\.")
_NUMBER_CHARS = str.maketrans("", "", "0123456789.eE+-\n")
_TOKEN_FORMS = frozenset(f for t in MISSING_TOKENS for f in (t, t.upper(), t.capitalize(), t.title()))


def _plain_numbers(values: pd.Series, decimal: str | None) -> pd.Series | None:
    """The column read at once when every cell is a plain number or missing, else ``None``.

    Gives exactly what the per-cell rules give for such a column (Python's own float parsing of the
    same text, in one numpy call), and ``None`` whenever a rule could read a cell differently or
    refuse it: separators, spaces, percent signs, a value such as ``1.125`` that reads two ways,
    a value out of range. Checks run on the whole column at once (a set lookup for the missing
    tokens, a character filter and two regular expressions over the joined text).
    """
    if values.dtype != object:
        return None
    cells = values.to_numpy(dtype=object)
    present = pd.notna(cells)
    texts = cells[present]
    if len(texts) and pd.api.types.infer_dtype(texts, skipna=False) != "string":
        return None  # numbers and bools take the per-cell rules
    token = pd.Series(texts, dtype=object).isin(_TOKEN_FORMS).to_numpy()
    texts = texts[~token]
    out = np.full(len(values), np.nan)
    if len(texts):
        joined = "\n".join(texts)
        if joined.translate(_NUMBER_CHARS) or joined.count("\n") != len(texts) - 1:
            return None
        if decimal != "." and "." in joined and _TWO_WAYS_LINE.search(joined) \
                and not _OTHER_DOTTED_LINE.search(joined):
            return None  # only values such as 1.125: the rules decide, or refuse
        try:
            numbers = texts.astype(float)
        except ValueError:
            return None
        if not (np.abs(numbers) <= MAX_MAGNITUDE).all():
            return None
        where = np.flatnonzero(present)[~token]
        out[where] = numbers
    return pd.Series(out, index=values.index, dtype=float, name=values.name)


def _direct_number(raw: object) -> float | None:
    """A value that is already a number (or missing), else ``None``."""
    if raw is None or raw is pd.NA:
        return math.nan
    if isinstance(raw, (bool, np.bool_)):
        return None
    if isinstance(raw, (int, float, np.integer, np.floating)):
        return float(raw)
    return None


def _evidence(body: str) -> str | None:
    """What one value says about the decimal mark: ``"."``, ``","``, ``"?"`` (either) or nothing."""
    b = _SPACE_RE.sub("", body)
    if not re.fullmatch(r"[0-9.,]*[0-9][0-9.,]*", b):
        return "." if _SCIENTIFIC.fullmatch(b) else None
    has_comma, has_dot = "," in b, "." in b
    if has_comma and has_dot:
        return "," if b.rfind(",") > b.rfind(".") else "."
    for mark, other in ((",", "."), (".", ",")):
        if mark in b:
            if b.count(mark) > 1:
                return other  # repeated: a thousands separator
            if re.fullmatch(rf"[1-9][0-9]{{0,2}}{re.escape(mark)}[0-9]{{3}}", b):
                return "?"
            return mark
    return None


def _decimal_mark(pending: list[tuple[object, str, str]], column: str, filename: str,
                  decimal: str | None) -> tuple[str, list[tuple[object, str]]]:
    """The column's decimal mark, from the values that can only be read one way, and the values
    that read two ways when the file's convention (``decimal``) decided."""
    seen: dict[str, list[tuple[object, str]]] = {".": [], ",": [], "?": []}
    for row, raw, body in pending:
        ev = _evidence(body)
        if ev:
            seen[ev].append((row, raw))
    if seen["."] and seen[","]:
        raise LayerDataError(
            _("{filename}: column {column!r} mixes decimal points ({examples}) and decimal "
            "commas ({examples2}). Use one convention in the whole column.").format(
                filename=filename, column=column, examples=_examples(seen['.']), examples2=_examples(seen[',']))
        )
    mark = "." if seen["."] else "," if seen[","] else decimal
    if mark is None and seen["?"]:
        raise LayerDataError(
            _("{filename}: column {column!r} has value(s) that read two ways, e.g. {examples}: "
            "a thousands separator or a decimal mark? Nothing else in the column or the file decides. Write "
            "them without a thousands separator (1234), or with one more decimal (1.2340).").format(
                filename=filename, column=column, examples=_examples(seen['?']))
        )
    decided_by_file = not seen["."] and not seen[","]
    return mark or ".", (seen["?"] if decided_by_file else [])


def _parse(body: str, mark: str) -> float | None:
    """A number without sign or percent, given the decimal mark; ``None`` when unreadable."""
    if mark == "." and _SCIENTIFIC.fullmatch(body):
        return float(body)
    whole, _unused, frac = body.partition(mark)
    if mark in frac or not re.fullmatch(r"[0-9]*", frac):
        return None
    thousands = "," if mark == "." else "."
    separators = f"[{re.escape(thousands)}{_SPACES}]"
    if re.search(separators, whole):
        head, *rest = re.split(separators, whole)
        if not (re.fullmatch(r"[0-9]{1,3}", head) and all(re.fullmatch(r"[0-9]{3}", g) for g in rest)):
            return None
        whole = head + "".join(rest)
    elif not re.fullmatch(r"[0-9]*", whole):
        return None
    if not whole and not frac:
        return None
    return float(f"{whole or 0}.{frac or 0}")


def _examples(items: list[tuple[object, str]], k: int = 3) -> str:
    def short(text: str) -> str:
        return text if len(text) <= 30 else text[:27] + "..."

    shown = ", ".join(f"{short(raw)!r} (row {row})" for row, raw in items[:k])
    if len(items) > k:
        rows = ", ".join(str(r) for r, _unused in items[k : k + 10])
        more = len(items) - k - 10
        shown += f"; also rows {rows}" + (f" and {more} more" if more > 0 else "")
    return shown

