"""Layers added in the browser: reading an uploaded table, reading its numbers, joining it.

An uploaded file is parsed from its bytes in memory; nothing is written to
disk. Only two formats are read, and only as data:

* CSV text in UTF-8 (with or without a byte-order mark), UTF-16 with a mark,
  or Windows-1252/Latin-1, separated by ``,`` ``;`` or tabs;
* Excel ``.xlsx`` workbooks through openpyxl, values only: formulas are never
  evaluated and macros never run (a formula cell gives the result the
  spreadsheet program saved with the file, see :func:`read_upload`).

Every cell is read as text, so district codes keep their leading zeros;
:func:`to_number` turns the chosen value column into numbers afterwards and
refuses (with the row numbers) anything it cannot read, rather than turning
it into "no data". :func:`uploaded_layer` checks the user's choices, joins the
values to the districts with :func:`geo.join.join_table` and returns a
:class:`layers.base.Layer` that behaves like any configured layer.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import warnings
import zipfile
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Collection, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from geo.errors import ConfigError, JoinError, LayerDataError
from geo.join import JoinReport, join_table
from geo.text import normalise_code
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
            f"POCKETS_MAX_UPLOAD_MB={value!r}: must be a whole number of MB between 1 and 1000; "
            "fix or unset the environment variable (and keep server.maxUploadSize in "
            ".streamlit/config.toml at least as large)."
        )
    return mb


MAX_UPLOAD_MB = _max_upload_mb(os.environ.get("POCKETS_MAX_UPLOAD_MB"))
"""Size limit of an uploaded file, in MB (2**20 bytes): 20, or the environment variable
``POCKETS_MAX_UPLOAD_MB`` (read at start-up; Streamlit's own ``server.maxUploadSize`` in
``.streamlit/config.toml`` must be at least as large)."""

MISSING_TOKENS = frozenset(
    {"", "n/a", "na", "nan", "null", "none", "-", "--", "\u2013", "\u2014", "..", "...", "\u2026", "#n/a"}
)
"""Cell texts read as "no data" (compared after stripping spaces, ignoring case)."""

MAX_CELLS = 2_000_000
"""Most cells an uploaded table may have (it is held in memory as text)."""

RESERVED_IDS = frozenset(
    {"code", "name", "parent_code", "parent_name", "population", "score", "rank", "decile", "data_coverage"}
)
"""Column names of the ranked export that a layer id must not take."""

_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
_EXCEL_SUFFIXES = (".xlsx",)
_REFUSED_SUFFIXES = {
    ".xlsm": "it is a macro-enabled workbook; save it as a plain Excel workbook (.xlsx) or as CSV",
    ".xltm": "it is a macro-enabled template; save it as a plain Excel workbook (.xlsx) or as CSV",
    ".xls": "the old Excel 97-2003 format is not read; save it as .xlsx or CSV",
    ".xlsb": "binary Excel workbooks are not read; save it as .xlsx or CSV",
    ".ods": "OpenDocument spreadsheets are not read; save it as .xlsx or CSV",
}
# An .xlsx is a zip archive: refuse one that unpacks to more than this many times the size limit.
_UNZIPPED_FACTOR = 10
_MAX_ZIP_MEMBERS = 10_000
_MAX_LABEL = 80
_MAX_UNIT = 30
_FORMULA_START = ("=", "+", "-", "@")
_SPACES = " \u00a0\u202f\u2009\u2007"
_SPACE_RE = re.compile(f"[{_SPACES}]")
_SCIENTIFIC = re.compile(r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)|[0-9]+\.[eE][+-]?[0-9]+")
_ID_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


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
        One column per header cell (text or ``None`` for an empty or missing
        cell, see :data:`MISSING_TOKENS`), indexed by the row number in the
        file (the header is row 1, or the first non-empty row), so messages
        can point at the cell to fix. ``attrs`` records how it was read:
        ``source`` (file name), ``format`` (``"csv"`` or ``"xlsx"``); for CSV
        ``encoding``, ``separator`` and ``decimal`` (``","`` for a
        ``;``-separated file, ``"."`` for a ``,``-separated one, else
        ``None``), which :func:`to_number` uses for values such as ``1,234``;
        for Excel ``sheet`` (the first worksheet, the one read), ``sheets``
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
    (['001', '002'], ['12,5', None], ',')
    >>> table.index.tolist()
    [2, 3]
    """
    name = _display_name(filename)
    data = bytes(data)
    if len(data) > max_bytes:
        raise LayerDataError(
            f"{name}: the file is {_size(len(data))}, larger than the limit of {_size(max_bytes)}. "
            "Keep only the district key and the value columns you need, or split the file."
        )
    if not data.strip():
        raise LayerDataError(
            f"{name}: the file is empty; upload a table with a header row and one row per district."
        )
    suffix = _suffix(name)
    if suffix in _EXCEL_SUFFIXES:
        rows, attrs = _xlsx_rows(data, name, max_bytes)
    elif suffix in _TEXT_SUFFIXES:
        if data[:4] == b"PK\x03\x04":
            raise LayerDataError(
                f"{name}: this is a zip archive (an Excel workbook?), not CSV text. "
                "Upload the workbook with its .xlsx name, or export the sheet as CSV."
            )
        rows, attrs = _csv_rows(data, name)
    elif suffix in _REFUSED_SUFFIXES:
        raise LayerDataError(f"{name}: {_REFUSED_SUFFIXES[suffix]}.")
    else:
        raise LayerDataError(
            f"{name}: unsupported file type {suffix or '(no suffix)'!r}; upload a CSV file (.csv) "
            "or an Excel workbook (.xlsx)."
        )
    return _frame(_bounded(rows, name), name, attrs, strict_width=attrs["format"] == "csv")


def _display_name(filename: str) -> str:
    """The file's base name, without folders or control characters, at most 100 characters."""
    base = re.split(r"[\\/]", str(filename))[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base[:97] + "...") if len(base) > 100 else (base or "uploaded file")


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MB"
    if n >= 2**10:
        return f"{n / 2**10:.1f} KB"
    return f"{n} bytes"


def _bounded(
    rows: Iterable[tuple[int, list[str | None]]], name: str
) -> Iterator[tuple[int, list[str | None]]]:
    """Pass rows through, refusing a table with more than :data:`MAX_CELLS` cells."""
    seen = 0
    for line, cells in rows:
        seen += len(cells)
        if seen > MAX_CELLS:
            raise LayerDataError(
                f"{name}: more than {MAX_CELLS:,} cells (row {line}); a layer needs one row per district "
                "and a few columns. Keep only the key and value columns, or split the file."
            )
        yield line, cells


def _cell(text: str) -> str | None:
    """A stripped cell text, or ``None`` for an empty cell or a missing-value token."""
    text = text.strip(_SPACES + "\t\r\n")
    return None if text.lower() in MISSING_TOKENS else text


# -- CSV
def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes, trying UTF-8 first, then Windows-1252, then Latin-1."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates: tuple[str, ...] = ("utf-16",)
    elif data[:3] == b"\xef\xbb\xbf":
        candidates = ("utf-8-sig",)
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
            f"{name}: the text cannot be decoded as {candidates[0].upper()} although the file starts "
            "with its byte-order mark; the file is damaged. Save it again as CSV (UTF-8)."
        )
    sample = text[:100_000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in sample or controls > max(10, len(sample) // 100):
        raise LayerDataError(
            f"{name}: this is not a text file (it holds binary data). Upload a CSV file saved as text "
            "(UTF-8, or your spreadsheet's 'CSV' format), or an Excel .xlsx workbook."
        )
    return text, encoding


def _separator(text: str) -> str:
    """The separator among ``,`` ``;`` and tab that splits the first rows most consistently."""
    sample = text[:65_536]

    def score(sep: str) -> tuple[bool, float, int]:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=sep)
        try:
            widths = [len(r) for _, r in zip(range(50), reader) if r]
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
        # A semicolon-separated file is the spreadsheet convention of decimal-comma locales;
        # in a comma-separated one an unquoted comma cannot be a decimal mark.
        "decimal": {";": ",", ",": "."}.get(sep),
    }

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        line = 1
        try:
            for record in reader:
                yield line, [_cell(c) for c in record]
                line = reader.line_num + 1
        except csv.Error as exc:
            raise LayerDataError(
                f"{name}: line {reader.line_num + 1} cannot be read as CSV ({exc}); check the quotes "
                "around that line, or save the file again as CSV."
            ) from None

    return rows(), attrs


# -- Excel
def _xlsx_rows(data: bytes, name: str, max_bytes: int) -> tuple[list[tuple[int, list[str | None]]], dict]:
    archive = _check_xlsx_archive(data, name, max_bytes)
    import openpyxl  # an optional import cost only for Excel files

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
            try:
                sheets = [ws.title for ws in book.worksheets]
                if not sheets:
                    raise LayerDataError(f"{name}: the workbook has no worksheet; put the table on a sheet.")
                sheet = book.worksheets[0]
                sheet.reset_dimensions()  # do not trust the size recorded in the file
                rows = list(_bounded(((i, [_excel_text(c) for c in row])
                                      for i, row in enumerate(sheet.iter_rows(min_row=1), 1)), name))
                path = getattr(sheet, "_worksheet_path", None)
            finally:
                book.close()
            formulas = _formula_cells(data, archive, path) if _may_hold_formulas(archive, path) else set()
    except LayerDataError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise LayerDataError(
            f"{name}: the Excel workbook cannot be read ({type(exc).__name__}: {exc}); it may be damaged. "
            "Open it in a spreadsheet program and save it again as .xlsx, or export the sheet as CSV."
        ) from None
    uncached = {(r, c) for r, c in formulas if _saved_without_result(rows, r, c)}
    attrs = {"source": name, "format": "xlsx", "sheet": sheets[0], "sheets": sheets, "decimal": None,
             "_uncached": uncached}
    return rows, attrs


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
            f"{name}: not an Excel .xlsx workbook (the file is not a zip container; an old .xls or a "
            "renamed CSV?). Save it as an Excel workbook (.xlsx), or upload it as CSV."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise LayerDataError(
            f"{name}: the Excel workbook is damaged ({exc}); save it again as .xlsx, or export it as CSV."
        ) from None
    unpacked = sum(i.file_size for i in infos)
    limit = _UNZIPPED_FACTOR * max_bytes
    if unpacked > limit or len(infos) > _MAX_ZIP_MEMBERS:
        raise LayerDataError(
            f"{name}: the workbook unpacks to {_size(unpacked)} in {len(infos)} parts, more than the "
            f"{_size(limit)} allowed; refusing to open it (it may be damaged or built to exhaust memory). "
            "Export the sheet you need as CSV."
        )
    names = {i.filename for i in infos}
    if "xl/vbaProject.bin" in names:
        raise LayerDataError(
            f"{name}: the workbook contains macros (a .xlsm renamed .xlsx?); save it as a plain Excel "
            "workbook (.xlsx) or as CSV."
        )
    if "xl/workbook.bin" in names:
        raise LayerDataError(f"{name}: {_REFUSED_SUFFIXES['.xlsb']}.")
    if "xl/workbook.xml" not in names:
        raise LayerDataError(
            f"{name}: a zip archive without an Excel workbook inside; upload an .xlsx workbook or a CSV file."
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


def _formula_cells(data: bytes, archive: zipfile.ZipFile, path: str | None) -> set[tuple[int, int]]:
    """Positions (row from 1, column from 0) of the first worksheet's formula cells."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    try:
        sheet = book.worksheets[0]
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
        raise LayerDataError(f"{name}: the file holds no cells; upload a table with a header row.")
    if all(c is None or _looks_numeric(c) for c in header):
        raise LayerDataError(
            f"{name}: the first row ({line}) holds numbers, not column names; add a header row "
            "naming the columns (e.g. code, value)."
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
                    f"{name}: row {line} has {len(cells)} fields but the header (row {header_line}) has "
                    f"{len(header)}. A value with a decimal comma must be quoted (\"12,5\") in a "
                    "comma-separated file; or save the file with ; as the separator."
                )
            width = max(width, len(cells))
        index.append(line)
        body.append(cells)
    if not body:
        raise LayerDataError(
            f"{name}: the file has a header (row {header_line}) but no data rows; add one row per district."
        )
    names = _column_names(header + [None] * (width - len(header)))
    columns = {}
    for j, col in enumerate(names):
        cells = [row[j] if j < len(row) else None for row in body]
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
    convention, see :func:`read_upload`) and refused when neither helps.

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
        numbers in the file for a table from :func:`read_upload`.

    Examples
    --------
    >>> s = pd.Series(["1 234,5", "12 %", "n/a", "-0,5"], index=[2, 3, 4, 5])
    >>> to_number(s, column="v", filename="f.csv").tolist()
    [1234.5, 12.0, nan, -0.5]
    >>> to_number(pd.Series(["1,234", "0.5"]), column="v", filename="f.csv").tolist()
    [1234.0, 0.5]
    """
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.', ',' or None, got {decimal!r}")
    out = np.full(len(values), np.nan)
    pending: list[tuple[int, object, str, str, str]] = []  # (position, row, original, sign, body)
    bad: list[tuple[int, object, str]] = []
    for i, (row, raw) in enumerate(values.items()):
        number = _direct_number(raw)
        if number is not None:
            if math.isfinite(number) or math.isnan(number):
                out[i] = number
            else:
                bad.append((i, row, str(raw)))
            continue
        text = str(raw).strip(_SPACES + "\t\r\n").replace("\u2212", "-")
        if text.lower() in MISSING_TOKENS:
            continue
        body = text[:-1].rstrip(_SPACES) if text.endswith("%") else text
        sign = ""
        if body[:1] in "+-":
            sign, body = body[0], body[1:].lstrip(_SPACES)
        pending.append((i, row, str(raw), sign, body))

    mark = _decimal_mark([(row, raw, body) for _, row, raw, _, body in pending], column, filename, decimal)
    for i, row, raw, sign, body in pending:
        number = _parse(body, mark)
        if number is None:
            bad.append((i, row, raw))
        else:
            out[i] = -number if sign == "-" else number
    if bad:
        bad.sort()
        raise LayerDataError(
            f"{filename}: column {column!r} has {len(bad)} value(s) that are not numbers: "
            f"{_examples([(row, raw) for _, row, raw in bad])}. Fix these cells (numbers such as 12.5, "
            "12,5, 1 234 or 12 %), or leave them empty or write n/a for 'no data'."
        )
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
                  decimal: str | None) -> str:
    """The column's decimal mark, from the values that can only be read one way."""
    seen: dict[str, list[tuple[object, str]]] = {".": [], ",": [], "?": []}
    for row, raw, body in pending:
        ev = _evidence(body)
        if ev:
            seen[ev].append((row, raw))
    if seen["."] and seen[","]:
        raise LayerDataError(
            f"{filename}: column {column!r} mixes decimal points ({_examples(seen['.'])}) and decimal "
            f"commas ({_examples(seen[','])}). Use one convention in the whole column."
        )
    mark = "." if seen["."] else "," if seen[","] else decimal
    if mark is None and seen["?"]:
        raise LayerDataError(
            f"{filename}: column {column!r} has value(s) that read two ways, e.g. {_examples(seen['?'])}: "
            "a thousands separator or a decimal mark? Write them without the separator (1234) or with "
            "more decimals (1.2340), or use the same decimal mark elsewhere in the column."
        )
    return mark or "."


def _parse(body: str, mark: str) -> float | None:
    """A number without sign or percent, given the decimal mark; ``None`` when unreadable."""
    if mark == "." and _SCIENTIFIC.fullmatch(body):
        return float(body)
    whole, _, frac = body.partition(mark)
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
        rows = ", ".join(str(r) for r, _ in items[k : k + 10])
        more = len(items) - k - 10
        shown += f"; also rows {rows}" + (f" and {more} more" if more > 0 else "")
    return shown


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
            raise ValueError(f"StoredValues: {len(self.codes)} codes but {len(self.values)} values")

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
        summary = f"  values: {self.with_value} of {self.districts} districts have one"
        if self.with_value:
            summary += f" (min {self.minimum:g}, median {self.median:g}, max {self.maximum:g})"
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
    from geo.text import normalise_name

    out = normalise_name(text).replace(" ", "_")[:40].strip("_")
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
    source: str = "uploaded by the user",
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
    label = _checked_text(label, "label", _MAX_LABEL, required=True)
    unit = _checked_text(unit, "unit", _MAX_UNIT, required=False)
    source = _checked_text(source, "source", 120, required=False) or "uploaded by the user"
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
            f"{name}: column {value!r} has no numbers (every cell is empty or marked missing); "
            "choose the column that holds the values."
        )
    keys = table[key]
    no_key = keys.isna() | (keys.astype(str).str.strip() == "")
    if no_key.all():
        raise LayerDataError(
            f"{name}: key column {key!r} is empty; choose the column with the district {by}s."
        )
    frame = pd.DataFrame({key: keys[~no_key], "__value__": numbers[~no_key]})
    if parent_key:
        if "parent_code" not in districts.columns or districts["parent_code"].isna().all():
            raise JoinError(
                f"{name}: the districts of this level have no parent district, so names cannot be "
                f"matched within a parent; join by name without the parent column {parent_key!r}."
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
                f"{name}: column {value!r} has {len(outside)} value(s) outside 0-100 ({shown}) but the unit is %; "
                "fix these values, or choose another unit if the column is not a percentage."
            )

    notes = _notes(name, table, no_key, key, values, report, districts, by)
    present = values.dropna()
    upload_report = UploadReport(
        **{f.name: getattr(report, f.name) for f in fields(JoinReport)},
        with_value=int(present.size),
        minimum=float(present.min()) if present.size else math.nan,
        median=float(present.median()) if present.size else math.nan,
        maximum=float(present.max()) if present.size else math.nan,
        notes=tuple(notes),
    )
    rule = "code" if by == "code" else ("name within parent" if parent_key else "name")
    origin = f"column {value!r} of {name}, joined by {rule} on {key!r}, uploaded {today.isoformat()}"
    layer = Layer(
        id=lid,
        label=label,
        theme=theme,
        unit=unit,
        higher_is_worse=bool(higher_is_worse),
        kind=kind,  # type: ignore[arg-type]
        source=Source(name=f"{source} ({name}, uploaded {today.isoformat()})", year=year,
                      licence="not stated (uploaded file)"),
        loader=StoredValues.from_series(values, origin=origin),
        description=f"Added in the browser from {origin}.",
    )
    return layer, values, upload_report


def _checked_text(text: object, what: str, limit: int, *, required: bool) -> str:
    out = " ".join(str(text or "").split())
    if required and not out:
        raise LayerDataError(f"The layer's {what} is empty; type a short {what} (e.g. 'Illiteracy rate').")
    if len(out) > limit:
        raise LayerDataError(f"The layer's {what} has {len(out)} characters; keep it to {limit} or fewer.")
    if out.startswith(_FORMULA_START):
        raise LayerDataError(
            f"The layer's {what} {out[:20]!r} starts with {out[0]!r}, which spreadsheets read as a formula "
            "in exports; start it with a letter or a digit."
        )
    return out


def _check_choices(theme: str, kind: str, by: str, higher_is_worse: object,
                   themes: Mapping[str, str] | None) -> None:
    if not isinstance(theme, str) or not theme.strip() or (themes is not None and theme not in themes):
        known = f"; choose one of {sorted(themes)} ({', '.join(themes.values())})" if themes else ""
        raise LayerDataError(f"Unknown theme {theme!r} for the uploaded layer{known}.")
    if kind not in ("rate", "count"):
        raise LayerDataError(f"Unknown kind {kind!r} for the uploaded layer; choose 'rate' or 'count'.")
    if by not in ("code", "name"):
        raise LayerDataError(f"Unknown join rule {by!r}; join by 'code' or by 'name'.")
    if not isinstance(higher_is_worse, (bool, np.bool_)):
        raise LayerDataError(
            "The direction must be True (higher is worse) or False (lower is worse), "
            f"got {higher_is_worse!r}."
        )


def _check_columns(table: pd.DataFrame, name: str, key: str, value: str, parent_key: str | None) -> None:
    for role, col in (("key", key), ("value", value), ("parent", parent_key)):
        if col is not None and col not in table.columns:
            shown = list(map(str, table.columns[:20])) + (["..."] if len(table.columns) > 20 else [])
            raise LayerDataError(
                f"{name}: {role} column {col!r} not found; the file's columns are {shown}. "
                "Choose one of them."
            )
    if value == key:
        raise LayerDataError(
            f"{name}: the value column {value!r} is also the key column; choose the column with the "
            "district codes or names as key and another column as value."
        )
    if parent_key is not None and parent_key in (key, value):
        raise LayerDataError(
            f"{name}: the parent column {parent_key!r} is also the key or value column; choose the "
            "column with the parent districts' codes."
        )


def _check_formulas(table: pd.DataFrame, name: str, columns: list[str | None]) -> None:
    uncached = table.attrs.get("uncached_formulas") or {}
    for col in columns:
        rows = uncached.get(col) if col else None
        if rows:
            shown = ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
            raise LayerDataError(
                f"{name}: column {col!r} has {len(rows)} formula cell(s) saved without their result "
                f"(rows {shown}); formulas are never computed here. Open the file in a spreadsheet "
                "program and save it again (or paste the column as values), then upload it again."
            )


def _layer_id(layer_id: str | None, label: str, existing: Collection[str]) -> str:
    taken = set(map(str, existing))

    def reserved(lid: str) -> bool:
        return lid in RESERVED_IDS or lid.startswith("theme_") or lid.endswith("_norm")

    if layer_id is not None:
        if not _ID_RE.fullmatch(layer_id) or reserved(layer_id):
            raise LayerDataError(
                f"Invalid layer id {layer_id!r}: use 1 to 40 lower-case letters, digits and underscores, "
                f"starting with a letter, not ending in '_norm' nor starting with 'theme_', and not one "
                f"of {sorted(RESERVED_IDS)}."
            )
        if layer_id in taken:
            raise LayerDataError(
                f"Layer id {layer_id!r} is already used by another layer; choose another id or remove "
                "the other uploaded layer first."
            )
        return layer_id
    base = slug(label)
    lid, n = base, 1
    while lid in taken or reserved(lid):
        n += 1
        lid = f"{base[:36]}_{n}"
    return lid


def _checked_year(year: object, today: date) -> int:
    if year is None:
        return today.year
    is_int = isinstance(year, (int, np.integer)) and not isinstance(year, bool)
    if not is_int or not 1800 <= int(year) <= today.year + 1:
        raise LayerDataError(
            f"Invalid year {year!r} for the uploaded layer; give the year of the data, e.g. 2023."
        )
    return int(year)


def _no_match_message(name: str, keys: pd.Series, districts: pd.DataFrame, key: str, by: str) -> str:
    file_keys = list(dict.fromkeys(map(str, keys.head(50))))[:5]
    if by == "code":
        sample = list(map(str, districts.index[:5]))
        hint = _zeros_hint(keys, districts) or (
            "Choose the column holding the district codes, or join by name."
        )
        return (
            f"{name}: no value of column {key!r} matches a district code (file: {file_keys}; districts: "
            f"{sample}). {hint}"
        )
    sample = list(map(str, districts["name"].head(5)))
    return (
        f"{name}: no value of column {key!r} matches a district name (file: {file_keys}; districts: "
        f"{sample}). Choose the column holding the district names, check the level, or join by code."
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
        f"{len(recovered)} code(s) look like district codes without their leading zeros (e.g. {k!r} for "
        f"{stripped[k]!r}): a spreadsheet probably dropped them. Format the column as text and type the "
        "codes again, or save the file as CSV from the original data."
    )


def _notes(name: str, table: pd.DataFrame, no_key: pd.Series, key: str, values: pd.Series,
           report: JoinReport, districts: pd.DataFrame, by: str) -> list[str]:
    notes = []
    if no_key.any():
        rows = ", ".join(map(str, table.index[no_key.to_numpy()][:10]))
        notes.append(
            f"{int(no_key.sum())} row(s) without a key in column {key!r} are not used (rows {rows})."
        )
    matched_codes = set(districts.index) - {c for c, _ in report.unmatched_districts}
    no_value = [c for c in values.index if c in matched_codes and pd.isna(values[c])]
    if no_value:
        notes.append(f"{len(no_value)} matched district(s) have no value in the file: they get 'no data'.")
    present = values.dropna()
    if present.size and present.nunique() == 1:
        notes.append(
            f"every district with data has the same value ({present.iloc[0]:g}): the layer cannot tell "
            "districts apart, so it is left out of the score (it can still be mapped)."
        )
    if present.size and present.size < len(values) / 2:
        notes.append(
            f"only {present.size} of {len(values)} districts have a value; the others get 'no data' for "
            "this layer, which lowers their data coverage (and may leave them unscored) when it is selected."
        )
    if by == "code" and report.unmatched_rows:
        hint = _zeros_hint(pd.Series(report.unmatched_rows), districts)
        if hint:
            notes.append(hint)
    return notes
