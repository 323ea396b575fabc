"""Reading uploaded tables, their numbers, and making a layer of them (geo/upload.py)."""

from __future__ import annotations

import dataclasses
import io
import math
import re
import zipfile
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import JoinError, LayerDataError, TargetingError
from geo.join import JoinReport
from geo.upload import (
    MAX_UPLOAD_MB,
    StoredValues,
    read_upload,
    slug,
    to_number,
    uploaded_layer,
)
from layers.base import Layer, LayerInputs

from .conftest import OWN


# ----------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def districts() -> pd.DataFrame:
    """The six example districts (code, name with accents, parent code)."""
    return pd.DataFrame(
        {
            "name": ["Aïn Nord", "Bélvédère", "Cap Est", "Dune", "Erg Sud", "Falaise"],
            "parent_code": ["01", "01", "01", "02", "02", "02"],
        },
        index=pd.Index(["001", "002", "003", "004", "005", "006"], name="code"),
    )


def xlsx(rows: list[list[object]], *, formats: dict[str, str] | None = None, sheets: int = 1) -> bytes:
    """A tiny workbook written in memory."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    for row in rows:
        sheet.append(row)
    for cell, fmt in (formats or {}).items():
        sheet[cell].number_format = fmt
    for i in range(1, sheets):
        book.create_sheet(f"notes {i}").append(["ignored"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_member(data: bytes, member: str, change) -> bytes:
    """A copy of a zip archive with one member's bytes changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, change(body) if info.filename == member else body)
    return out.getvalue()


def layer_from(text: str, districts: pd.DataFrame, filename: str = "upload.csv", **kwargs):
    table = read_upload(text.encode("utf-8"), filename)
    args = dict(filename=filename, key="code", value="v", label="Literacy", unit="%", theme="poverty",
                higher_is_worse=True)
    args.update(kwargs)
    return uploaded_layer(table, districts, **args)


# ----------------------------------------------------------------------------- read_upload: CSV
def test_csv_keeps_leading_zeros_and_reads_text_only():
    table = read_upload(b"code,v\n001,12\n010,3\n", "t.csv")
    assert table["code"].tolist() == ["001", "010"]
    assert table["v"].tolist() == ["12", "3"]  # numbers are converted later, per chosen column
    assert table.index.tolist() == [2, 3] and table.index.name == "row"
    assert table.attrs["separator"] == "," and table.attrs["decimal"] == "."


def test_example_indicators_semicolons_and_decimal_commas():
    table = read_upload((OWN / "indicators.csv").read_bytes(), "indicators.csv")
    assert table.attrs["separator"] == ";" and table.attrs["decimal"] == ","
    assert table["DISTRICT_CODE"].tolist() == ["001", "002", "003", "004", "005", "006"]
    share = to_number(table["poor_share"], column="poor_share", filename="indicators.csv",
                      decimal=table.attrs["decimal"])
    assert share.tolist()[:5] == [0.10, 0.30, 0.20, 0.50, 0.40] and math.isnan(share.iloc[5])


@pytest.mark.parametrize(
    "encoding, expected",
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("latin-1", "cp1252"),
     ("utf-16", "utf-16")],
)
def test_csv_encodings(encoding, expected):
    text = "code;nom;v\n001;Aïn Sebaâ – Est;1\n002;Bélvédère;2\n"
    if encoding == "latin-1":
        text = text.replace("–", "-")  # not a Latin-1 character
    table = read_upload(text.encode(encoding), "t.csv")
    assert table.attrs["encoding"] == expected
    assert list(table.columns) == ["code", "nom", "v"]  # no BOM glued to the first name
    assert table["nom"].iloc[0].startswith("Aïn Sebaâ")
    assert table["nom"].iloc[1] == "Bélvédère"


def test_csv_tab_separator_and_quoted_commas():
    table = read_upload(b'code\tname\tv\n001\t"Dune, Nord"\t1\n', "t.tsv")
    assert table.attrs["separator"] == "\t" and table["name"].tolist() == ["Dune, Nord"]
    table = read_upload(b'code,v\n001,"1,5"\n', "t.csv")
    assert table["v"].tolist() == ["1,5"]


def test_missing_tokens_become_missing_in_values_only():
    table = read_upload("code;v\n001;n/a\n002;-\n003;..\n004;\n005; N/A \n006;…\n007;3\n".encode(), "t.csv")
    assert table["v"].tolist() == ["n/a", "-", "..", None, "N/A", "…", "3"]  # text as written
    numbers = to_number(table["v"], column="v", filename="t.csv")
    assert numbers.isna().sum() == 6 and numbers.iloc[-1] == 3


def test_missing_tokens_are_codes_in_the_key_column(districts):
    """'NA' (Namibia, a district of many countries), 'none', 'null', '-' are codes in a key column."""
    table = read_upload(b"code,v\nNA,1\nnull,2\n001,3\n", "t.csv")
    assert table["code"].tolist() == ["NA", "null", "001"]


def test_blank_lines_are_skipped_and_rows_keep_their_file_numbers():
    table = read_upload(b"code,v\n\n001,1\n\n002,2\n", "t.csv")
    assert table.index.tolist() == [3, 5]


def test_header_names_blank_and_repeated():
    table = read_upload(b"code,v,v,\n001,1,2,3\n", "t.csv")
    assert list(table.columns) == ["code", "v", "v (2)", "column D"]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"code,v\n", "no data rows"),
        (b"001,12\n002,13\n", "not column names"),
        (b"code,v\n001,12,5\n", "row 2 has 3 fields"),
        (b"\x00\x01\x02\x03" * 50, "not a text file"),
        (b"PK\x03\x04rest", "zip archive"),
    ],
)
def test_unusable_csv_files(data, message):
    with pytest.raises(LayerDataError, match=message) as info:
        read_upload(data, "bad.csv")
    assert "bad.csv" in str(info.value)


def test_too_large_names_size_and_limit():
    with pytest.raises(LayerDataError) as info:
        read_upload(b"code,v\n" + b"001,1\n" * 300, "big.csv", max_bytes=1024)
    msg = str(info.value)
    assert "big.csv" in msg and "1.8 KB" in msg and "limit of 1.0 KB" in msg
    assert MAX_UPLOAD_MB == 20


@pytest.mark.parametrize("name", ["many.csv", "many.xlsx"])
def test_too_many_cells(monkeypatch, name):
    import geo.upload

    monkeypatch.setattr(geo.upload, "MAX_CELLS", 10)
    rows = [["code", "v"]] + [[f"{i:03d}", i] for i in range(10)]
    data = xlsx(rows) if name.endswith("xlsx") else "\n".join(f"{a},{b}" for a, b in rows).encode()
    with pytest.raises(LayerDataError, match=rf"{name}: more than 10 cells \(row 6\)"):
        read_upload(data, name)


@pytest.mark.parametrize("name", ["macro.xlsm", "old.xls", "bin.xlsb", "doc.ods", "data.pkl", "noext"])
def test_other_formats_refused(name):
    with pytest.raises(LayerDataError, match=re.escape(name)):
        read_upload(b"whatever", name)


def test_filename_folders_are_not_shown():
    with pytest.raises(LayerDataError) as info:
        read_upload(b"", "C:\\Users\\me\\secret\\t.csv")
    assert str(info.value).startswith("t.csv:")


# ----------------------------------------------------------------------------- read_upload: Excel
def test_xlsx_values_as_text_and_zero_padded_codes():
    data = xlsx([["code", "v", "when"], ["001", 12.5, date(2024, 1, 31)], [7, 3, None]],
                formats={"A3": "000"}, sheets=2)
    table = read_upload(data, "t.xlsx")
    assert table["code"].tolist() == ["001", "007"]  # text kept; a number shown as 000 regains its zeros
    assert table["v"].tolist() == ["12.5", "3"]
    assert table["when"].tolist() == ["2024-01-31T00:00:00", None]
    assert table.attrs["sheet"] == "data" and table.attrs["sheets"] == ["data", "notes 1"]
    assert table.index.tolist() == [2, 3]


def test_xlsx_formula_is_never_evaluated():
    # openpyxl writes "=1+1" as a formula without a saved result: read with data_only=True it
    # gives None, so the cell is missing and recorded as a formula saved without its result.
    data = xlsx([["code", "v"], ["001", "=1+1"], ["002", 5]])
    table = read_upload(data, "f.xlsx")
    assert table["v"].tolist() == [None, "5"]
    assert table.attrs["uncached_formulas"] == {"v": [2]}


def test_xlsx_formula_gives_the_saved_result_only(districts):
    # A spreadsheet program saves the formula with its result; only that result is read, so
    # a result that disagrees with the formula shows the formula was not computed here.
    data = xlsx([["code", "v"], ["001", "=1+1"], ["002", 5]])
    data = rewrite_member(data, "xl/worksheets/sheet1.xml",
                          lambda xml: re.sub(rb"<f>1\+1</f>(<v\s*/>|<v></v>)?", b"<f>1+1</f><v>41</v>", xml))
    table = read_upload(data, "f.xlsx")
    assert table["v"].tolist() == ["41", "5"]
    assert table.attrs["uncached_formulas"] == {}


def test_uncached_formula_in_value_column_is_refused(districts):
    data = xlsx([["code", "v"], ["001", "=1+1"], ["002", 5]])
    table = read_upload(data, "f.xlsx")
    with pytest.raises(LayerDataError, match=r"formula cell.*rows 2"):
        uploaded_layer(table, districts, filename="f.xlsx", key="code", value="v", label="L", unit="",
                       theme="poverty", higher_is_worse=True)


def test_corrupt_xlsx():
    good = xlsx([["code", "v"], ["001", 1]])
    for data in (good[: len(good) // 2], b"PK\x03\x04" + b"\x00" * 100, b"not a zip at all"):
        with pytest.raises(LayerDataError, match="broken.xlsx"):
            read_upload(data, "broken.xlsx")
    damaged = rewrite_member(good, "xl/worksheets/sheet1.xml", lambda xml: xml[:-40])
    with pytest.raises(LayerDataError, match=r"broken.xlsx: the Excel workbook cannot be read"):
        read_upload(damaged, "broken.xlsx")


def test_zip_bomb_is_refused_before_parsing():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", b" " * 2_000_000)  # packs to a few KB
    data = out.getvalue()
    assert len(data) < 10_000
    with pytest.raises(LayerDataError, match=r"bomb.xlsx: the workbook unpacks to 1.9 MB"):
        read_upload(data, "bomb.xlsx", max_bytes=50_000)


def test_macros_refused_even_when_renamed():
    data = rewrite_member(xlsx([["code", "v"], ["001", 1]]), "[Content_Types].xml", lambda b: b)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 10)
    with pytest.raises(LayerDataError, match="macros"):
        read_upload(out.getvalue(), "m.xlsx")


# ----------------------------------------------------------------------------- to_number
@pytest.mark.parametrize(
    "cells, expected",
    [
        (["12", "-3.5", "+2", "1e-3"], [12, -3.5, 2, 0.001]),
        (["12,5", "0,1", "-0,25"], [12.5, 0.1, -0.25]),
        (["1 234", "1\u00a0234\u00a0567", "12\u202f000,5"], [1234, 1234567, 12000.5]),
        (["1.234,5", "2,5"], [1234.5, 2.5]),
        (["1,234.5", "1,234", "0.5"], [1234.5, 1234, 0.5]),  # '.' decimals elsewhere: ',' is thousands
        (["1,234,567"], [1234567]),
        (["12 %", "12%", "0,5 %"], [12, 12, 0.5]),
        (["\u22123", "n/a", "", "-", ".."], [-3, None, None, None, None]),
    ],
)
def test_to_number_reads(cells, expected):
    out = to_number(pd.Series(cells, dtype=object), column="v", filename="t.csv")
    assert out.dtype == float
    assert [None if math.isnan(x) else x for x in out] == expected


def test_to_number_ambiguous_uses_the_file_convention_or_refuses():
    s = pd.Series(["1,234", "2,500"])
    assert to_number(s, column="v", filename="t.csv", decimal=",").tolist() == [1.234, 2.5]
    assert to_number(s, column="v", filename="t.csv", decimal=".").tolist() == [1234, 2500]
    with pytest.raises(LayerDataError, match="read two ways"):
        to_number(s, column="v", filename="t.csv")


def test_to_number_refuses_mixed_decimal_marks():
    with pytest.raises(LayerDataError, match=r"mixes decimal points.*row 3.*decimal commas.*row 2"):
        to_number(pd.Series(["12,5", "0.5"], index=[2, 3]), column="v", filename="t.csv")


def test_to_number_bad_values_list_examples_and_rows():
    cells = pd.Series(["1", "12a", "3", "abc", "?", "4", "5 5", "x"], index=range(2, 10))
    with pytest.raises(LayerDataError) as info:
        to_number(cells, column="share", filename="t.csv")
    msg = str(info.value)
    assert "t.csv" in msg and "'share'" in msg and "5 value(s)" in msg
    assert "'12a' (row 3)" in msg and "'abc' (row 5)" in msg and "'?' (row 6)" in msg
    assert "also rows 8, 9" in msg


def test_to_number_never_silently_missing():
    for cell in ["inf", "nan%", "1.2.3", "TRUE", "(12)", "12-", "1 23"]:
        with pytest.raises(LayerDataError):
            to_number(pd.Series([cell, "1"]), column="v", filename="t.csv")


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda x: round(x, 4)))
@settings(max_examples=200, deadline=None)
def test_to_number_round_trips_written_numbers(x):
    dot = f"{x:.4f}"
    comma_grouped = f"{x:,.4f}".replace(",", " ").replace(".", ",")
    assert to_number(pd.Series([dot]), column="v", filename="t").iloc[0] == pytest.approx(x)
    assert to_number(pd.Series([comma_grouped]), column="v", filename="t").iloc[0] == pytest.approx(x)


# ----------------------------------------------------------------------------- uploaded_layer
def test_layer_by_code(districts):
    layer, values, report = layer_from("code,v\n001,10\n002,20.5\n003,n/a\n009,7\n", districts)
    assert isinstance(layer, Layer) and isinstance(report, JoinReport)
    assert layer.id == "literacy" and layer.theme == "poverty" and layer.higher_is_worse
    assert values.index.equals(districts.index) and values.name == "literacy"
    assert values.tolist()[:2] == [10, 20.5] and values.iloc[2:].isna().all()
    assert report.matched_by_code == 3 and report.unmatched_rows == ["009"]
    assert [c for c, _ in report.unmatched_districts] == ["004", "005", "006"]
    assert report.with_value == 2 and report.minimum == 10 and report.maximum == 20.5
    text = "\n".join(report.lines())
    assert "3 of 6 districts matched" in text and "009" in text and "no value in the file" in text
    assert "upload.csv" in layer.source.name and date.today().isoformat() in layer.source.name
    assert layer.source.year == date.today().year


def test_layer_loader_returns_the_stored_values(districts):
    layer, values, _ = layer_from("code,v\n003,3\n001,1\n", districts)
    shuffled = districts.iloc[::-1]
    loaded = layer.load(LayerInputs(level="districts", districts=shuffled, tables={}))
    assert loaded.index.equals(shuffled.index)
    assert loaded.reindex(values.index).equals(values)
    assert hash(layer)  # frozen and hashable, like configured layers
    assert layer.table is None and "upload.csv" in layer.loader.describe


def test_layer_by_name_within_parent_ignores_accents_and_case(districts):
    text = "nom;prov;v\nAIN NORD;01;1\nbelvedere;01;2\nCap-Est;01;3\ndune;02;4\nERG  SUD;02;5\nfalaise;02;6\n"
    layer, values, report = layer_from(text, districts, key="nom", value="v", by="name", parent_key="prov")
    assert values.tolist() == [1, 2, 3, 4, 5, 6]
    assert report.matched_by_name == 6 and report.complete


def test_same_name_in_two_parents_needs_the_parent(districts):
    twins = districts.assign(name=["Centre", "B", "C", "Centre", "E", "F"])
    text = "nom,prov,v\nCentre,01,1\nCentre,02,2\n"
    _, values, _ = layer_from(text, twins, key="nom", by="name", parent_key="prov")
    assert values[["001", "004"]].tolist() == [1, 2]
    with pytest.raises(JoinError, match="Centre"):
        layer_from(text, twins, key="nom", by="name")


def test_duplicate_keys_raise_join_error_with_the_keys(districts):
    with pytest.raises(JoinError) as info:
        layer_from("code,v\n001,1\n002,2\n001,3\n", districts)
    assert "001" in str(info.value) and "upload.csv" in str(info.value)


def test_no_match_says_what_the_keys_look_like_and_spots_lost_zeros(districts):
    with pytest.raises(JoinError) as info:
        layer_from("code,v\n1,1\n2,2\n", districts)
    msg = str(info.value)
    assert "['1', '2']" in msg and "'001'" in msg and "leading zeros" in msg


def test_partial_lost_zeros_is_a_note(districts):
    _, _, report = layer_from("code,v\n001,1\n2,2\n", districts)
    assert any("leading zeros" in n for n in report.notes)


def test_rows_without_key_are_reported(districts):
    _, values, report = layer_from("code,v\n001,1\n,2\n002,3\n", districts)
    assert values.notna().sum() == 2
    assert any("without a key" in n and "rows 3" in n for n in report.notes)


def test_constant_column_is_allowed_with_a_note(districts):
    _, values, report = layer_from("code,v\n001,5\n002,5\n003,5\n004,5\n", districts)
    assert values.notna().sum() == 4
    assert any("same value" in n and "left out of the score" in n for n in report.notes)


def test_all_missing_column_is_refused(districts):
    with pytest.raises(LayerDataError, match="no numbers"):
        layer_from("code,v\n001,n/a\n002,\n", districts)


def test_bad_value_names_rows(districts):
    with pytest.raises(LayerDataError, match=r"'twelve' \(row 3\)"):
        layer_from("code,v\n001,1\n002,twelve\n", districts)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(theme="wealth", themes={"poverty": "Poverty"}), r"Unknown theme 'wealth' for the uploaded layer; choose one of \['poverty'\]"),
        (dict(label="   "), "label is empty"),
        (dict(label="=HYPERLINK(1)"), "formula"),
        (dict(label="x" * 81), "81 characters"),
        (dict(kind="mean"), "Unknown kind"),
        (dict(by="centroid"), "Unknown join rule"),
        (dict(value="missing"), r"value column 'missing' not found; the file's columns are \['code', 'v'\]"),
        (dict(value="code"), "also the key column"),
        (dict(layer_id="Bad Id"), "not a valid layer id"),
        (dict(layer_id="score"), "column of the ranked export"),
        (dict(layer_id="theme_poverty"), "column of the ranked export"),
        (dict(layer_id="rank_median"), "column of the ranked export"),
        (dict(year=1066), "Invalid year"),
        (dict(higher_is_worse="yes"), "direction"),
    ],
)
def test_invalid_choices(districts, change, message):
    with pytest.raises(LayerDataError, match=message):
        layer_from("code,v\n001,1\n002,2\n", districts, **change)


def test_id_clash(districts):
    text = "code,v\n001,1\n002,2\n"
    with pytest.raises(LayerDataError, match="already used"):
        layer_from(text, districts, layer_id="unemployment", existing_ids={"unemployment"})
    taken = {"unemployment", "unemployment_2"}
    layer, _, _ = layer_from(text, districts, label="Unemployment", existing_ids=taken)
    assert layer.id == "unemployment_3"
    layer, _, _ = layer_from(text, districts, label="Score")
    assert layer.id == "score_2"  # never a column of the ranked export


def test_slug():
    assert slug("Taux d'analphabétisme (%)") == "taux_d_analphabetisme"
    assert slug("%%%") == "uploaded_layer"
    assert slug("2024") == "layer_2024"
    assert len(slug("a" * 100)) == 40


def test_name_join_within_parent_at_top_level_is_refused(districts):
    top = districts.assign(parent_code=pd.NA)
    with pytest.raises(JoinError, match="no parent district"):
        layer_from("nom,prov,v\nDune,02,1\n", top, key="nom", by="name", parent_key="prov")


def test_errors_are_targeting_errors(districts):
    for text in ("", "code,v\n001,x\n"):
        with pytest.raises(TargetingError):
            layer_from(text, districts)


def test_uploaded_layer_scores_like_any_layer(own_config):
    from geo.dataset import load_level, score_level

    data = load_level(own_config, "districts")
    table = read_upload(b"DIST;illit\n001;30,5\n002;10\n003;20\n004;40\n005;5\n006;25\n", "illit.csv")
    layer, values, report = uploaded_layer(
        table, data.districts, filename="illit.csv", key="DIST", value="illit", label="Illiteracy", unit="%",
        theme="poverty", higher_is_worse=True, existing_ids=[l.id for l in data.layers])
    assert report.complete and values["001"] == 30.5
    merged = dataclasses.replace(data, values=data.values.assign(**{layer.id: values}),
                                 layers=data.layers + (layer,))
    only = score_level(merged, layers=[layer.id])
    assert only.table["rank"].loc["004"] == 1 and only.table["rank"].loc["005"] == 6
    both = score_level(merged, layers=["unemployment", layer.id])
    assert both.table["score"].notna().all()


def test_stored_values_checks_lengths():
    with pytest.raises(ValueError):
        StoredValues(("01",), (1.0, 2.0))
    loader = StoredValues.from_series(pd.Series([np.float32(1.5)], index=["01"]))
    assert loader.values == (1.5,) and loader.describe == "uploaded values"


def test_percentages_outside_0_100_are_refused_unless_the_unit_says_otherwise(districts):
    from geo.errors import LayerDataError

    text = "code,v\n001,12\n002,150\n003,-3\n"
    with pytest.raises(LayerDataError, match=r"upload.csv: column 'v' has 2 value\(s\) outside 0-100 "
                                             r"\('002': 150, '003': -3\) but the unit is %"):
        layer_from(text, districts)
    _, values, _ = layer_from(text, districts, unit="index")
    assert values.loc["002"] == 150.0
