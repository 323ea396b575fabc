"""The "Add a layer" page (ui/upload.py) driven with Streamlit's AppTest, on the own-data example."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from .conftest import OWN, ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

PAGE = str(ROOT / "ui" / "upload.py")
CSV = "code;literacy;note\n001;12,5;a\n002;20;b\n003;n/a;c\n009;7;d\n".encode()


@pytest.fixture
def state(dashboard_config):
    """ui.state reading the own-data example configuration."""
    return dashboard_config(OWN / "config.toml")


@pytest.fixture
def page(state):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, data: bytes = CSV, name: str = "literacy.csv") -> AppTest:
    at.file_uploader(key="upload_file").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def check(at: AppTest, label: str = "Literacy") -> AppTest:
    at.text_input(key="upload_label").input(label).run()
    at.button(key="upload_check_button").click().run()
    assert not at.exception, at.exception
    return at


def button_keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button]


def test_page_opens_without_a_file(page):
    assert page.title[0].value == "Add a layer"
    level = page.selectbox(key="upload_level")
    assert level.options == ["Districts", "Provinces"] and level.value == "districts"
    assert page.file_uploader(key="upload_file").allowed_type == [".csv", ".xlsx"]
    assert "upload_check_button" not in button_keys(page)
    assert any("None yet" in c.value for c in page.caption)


def test_upload_check_add_and_remove(page, state):
    upload(page)
    preview = page.dataframe[0].value
    assert list(preview.columns) == ["code", "literacy", "note"] and preview["code"].iloc[0] == "001"
    assert page.selectbox(key="upload_key").value == "code"
    assert page.selectbox(key="upload_value").value == "literacy"  # the first numeric column
    assert "upload_add" not in button_keys(page)  # nothing is added before the join is checked

    check(page)
    report = page.code[0].value
    assert "3 of 6 districts matched" in report and "009" in report and "min 12.5" in report
    unmatched = page.dataframe[1].value
    assert set(unmatched["key"]) == {"004", "005", "006", "009"}
    summary = page.dataframe[2].value
    assert summary["with a value"].iloc[0] == 2 and summary["max"].iloc[0] == 20
    assert state.UPLOADS_KEY not in page.session_state or not page.session_state[state.UPLOADS_KEY]

    page.button(key="upload_add").click().run()
    assert not page.exception, page.exception
    stored = page.session_state[state.UPLOADS_KEY]
    layer, values = stored["districts"]["literacy"]
    assert layer.label == "Literacy" and layer.theme == "poverty" and layer.higher_is_worse
    assert "literacy.csv" in layer.source.name
    assert isinstance(values, pd.Series) and values.name == "literacy"
    assert list(values.index) == ["001", "002", "003", "004", "005", "006"]
    assert values.tolist()[:2] == [12.5, 20.0] and values.iloc[2:].isna().all()
    assert any("Added" in s.value and "Literacy" in s.value for s in page.success)
    assert "upload_add" not in button_keys(page)
    assert any("Literacy" in m.value for m in page.markdown)

    page.button(key="upload_remove_districts_literacy").click().run()
    assert not page.exception, page.exception
    assert "literacy" not in page.session_state[state.UPLOADS_KEY].get("districts", {})
    assert "upload_remove_districts_literacy" not in button_keys(page)


def test_second_upload_with_the_same_label_gets_a_new_id(page, state):
    upload(page)
    check(page)
    page.button(key="upload_add").click().run()
    check(page)
    page.button(key="upload_add").click().run()
    assert set(page.session_state[state.UPLOADS_KEY]["districts"]) == {"literacy", "literacy_2"}


def test_settings_changed_after_the_check_must_be_checked_again(page):
    upload(page)
    check(page)
    assert "upload_add" in button_keys(page)
    page.radio(key="upload_direction").set_value("lower is worse").run()
    assert "upload_add" not in button_keys(page)
    assert any("check the join again" in i.value for i in page.info)


def test_a_bad_value_is_shown_as_an_error_and_nothing_is_added(page, state):
    upload(page)
    page.selectbox(key="upload_value").set_value("note").run()
    check(page, "Notes")
    assert page.error, "expected an error message"
    assert "not numbers" in page.error[0].value and "row 2" in page.error[0].value
    assert "upload_add" not in button_keys(page)
    assert not page.session_state[state.UPLOADS_KEY]


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "empty.csv", "empty"),
        (b"001;1\n002;2\n", "noheader.csv", "not column names"),
        (b"PK\x03\x04" + b"\x00" * 64, "broken.xlsx", "damaged"),
    ],
)
def test_unusable_files_are_errors_not_exceptions(page, data, name, message):
    upload(page, data, name)
    assert page.error and message in page.error[0].value
    assert name.split(".")[0] in page.error[0].value
    assert "upload_check_button" not in button_keys(page)


def test_too_large_file(page):
    from geo.upload import MAX_UPLOAD_MB

    data = b"code;v\n" + b"001;1\n" * (MAX_UPLOAD_MB * 2**20 // 6 + 1)
    upload(page, data, "big.csv")
    assert page.error and "larger than the limit of 20.0 MB" in page.error[0].value


def test_unknown_codes_are_an_error(page):
    upload(page, b"code,v\n1,1\n2,2\n", "zeros.csv")
    check(page)
    assert page.error and "leading zeros" in page.error[0].value


def test_duplicate_keys_are_an_error(page):
    upload(page, b"code,v\n001,1\n001,2\n", "dup.csv")
    check(page)
    assert page.error and "001" in page.error[0].value and "share a key" in page.error[0].value


def test_join_by_name_within_parent(page, state):
    rows = ["nom;prov;taux", "AIN NORD;01;1", "BÉLVÉDÈRE;01;2", "cap-est;01;3", "DUNE;02;4", "erg sud;02;5",
            "Falaise;02;6"]
    data = "\n".join(rows) + "\n"
    upload(page, data.encode("cp1252"), "noms.csv")
    page.radio(key="upload_by").set_value("name").run()
    page.selectbox(key="upload_key").set_value("nom").run()
    page.selectbox(key="upload_parent").set_value("prov").run()
    assert page.selectbox(key="upload_value").value == "taux"
    page.text_input(key="upload_unit").input("%").run()
    page.selectbox(key="upload_theme").set_value("infrastructure").run()
    check(page, "Taux d'accès")
    assert not page.error, [e.value for e in page.error]
    assert "6 of 6 districts matched (0 by code, 6 by name" in page.code[0].value
    page.button(key="upload_add").click().run()
    layer, values = page.session_state[state.UPLOADS_KEY]["districts"]["taux_d_acces"]
    assert layer.theme == "infrastructure" and layer.unit == "%" and values.tolist() == [1, 2, 3, 4, 5, 6]


def test_excel_upload_at_province_level(page, state):
    book = openpyxl.Workbook()
    for row in (["PROV", "value"], ["01", 3.5], ["02", 7]):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    page.selectbox(key="upload_level").set_value("provinces").run()
    upload(page, out.getvalue(), "provinces.xlsx")
    check(page, "Access")
    assert "2 of 2 districts matched" in page.code[0].value
    page.button(key="upload_add").click().run()
    layer, values = page.session_state[state.UPLOADS_KEY]["provinces"]["access"]
    assert values.to_dict() == {"01": 3.5, "02": 7.0}


def test_messages_show_file_text_literally(page):
    upload(page, b"code,v\n001,$5 [x](y)\n", "t.csv")
    check(page)
    shown = page.error[0].value
    assert r"\$5 \[x\](y)" in shown  # escaped for Markdown: no maths, no link


def test_changing_the_level_invalidates_the_check(page):
    upload(page)
    check(page)
    page.selectbox(key="upload_level").set_value("provinces").run()
    assert "upload_add" not in button_keys(page)


def test_removing_the_file_clears_the_page(page):
    upload(page)
    check(page)
    page.file_uploader(key="upload_file").clear().run()
    assert not page.exception
    assert "upload_check_button" not in button_keys(page) and not page.code
