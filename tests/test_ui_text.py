"""Every text that reaches Streamlit's Markdown from data, files or the URL goes through ``ui.text.plain``.

``st.markdown``, ``st.warning``, ``st.info``, ``st.error``, ``st.caption`` (and the other calls that
render Markdown) interpret ``![x](http://host/t.png)`` as an image the visitor's browser fetches and
``[t](javascript:...)`` as a link. This test reads the dashboard's source and accepts, as the text of
such a call, only a literal, ``plain(...)``, or an f-string whose every value is ``plain(...)``, a
number format (``{x:,}``), a count (``len(...)``), or a catalogue text ``_("...")`` formatted with such
values. ``_(TEXT["key"])`` counts as a catalogue text when ``TEXT`` is a module-level dict whose every
value is ``N_("...")``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ui.text import plain

from .conftest import ROOT

MARKDOWN_CALLS = {"markdown", "warning", "info", "error", "caption", "success", "title", "header", "subheader",
                  "toast", "write"}
NUMERIC_CALLS = {"len", "int", "float", "round", "sum", "min", "max", "format_number", "format_percent"}
# Calls whose text is built from constants of the dashboard itself (a style sheet).
TRUSTED = {"rtl_css()"}
SOURCES = sorted((ROOT / "ui").glob("*.py")) + [ROOT / "app.py"]


def catalogue_dicts(tree: ast.Module) -> frozenset[str]:
    """Names of the module-level dicts whose every value is a marked literal ``N_("...")``."""
    names = set()
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and node.value.values):
            continue
        if all(isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "N_"
               and len(v.args) == 1 and isinstance(v.args[0], ast.Constant) and isinstance(v.args[0].value, str)
               for v in node.value.values):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(names)


def _catalogue_lookup(node: ast.AST, dicts: frozenset[str]) -> bool:
    """``TEXT["key"]`` with ``TEXT`` one of ``dicts`` and a literal key."""
    return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in dicts
            and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str))


def _safe(node: ast.AST, dicts: frozenset[str] = frozenset()) -> bool:
    def safe(n: ast.AST) -> bool:
        return _safe(n, dicts)

    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, int, float))
    if ast.unparse(node) in TRUSTED:
        return True
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name == "_":  # the translation catalogue: texts shipped with the dashboard
            return len(node.args) == 1 and (safe(node.args[0]) or _catalogue_lookup(node.args[0], dicts))
        if name == "format" and isinstance(node.func, ast.Attribute):
            return (safe(node.func.value) and all(safe(a) for a in node.args)
                    and all(safe(k.value) for k in node.keywords))
        if name in ("strip", "rstrip", "lstrip") and isinstance(node.func, ast.Attribute) and not node.args:
            return safe(node.func.value)
        if name == "join" and isinstance(node.func, ast.Attribute) and len(node.args) == 1:
            items = node.args[0]
            return safe(node.func.value) and isinstance(items, (ast.GeneratorExp, ast.ListComp)) and safe(items.elt)
        return name == "plain" or name in NUMERIC_CALLS
    if isinstance(node, ast.JoinedStr):
        return all(safe(v) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return node.format_spec is not None or safe(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return safe(node.left) and safe(node.right)
    if isinstance(node, ast.IfExp):
        return safe(node.body) and safe(node.orelse)
    return False


def unsafe_calls(path: Path) -> list[str]:
    """``file:line call`` of every Markdown call fed with text that is not known to be literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    dicts = catalogue_dicts(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in MARKDOWN_CALLS and node.args):
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Name) and owner.id in ("st", "sb")
                or isinstance(owner, ast.Attribute) and owner.attr == "sidebar"):
            continue
        texts = node.args if node.func.attr == "write" else node.args[:1]
        if not all(_safe(t, dicts) for t in texts):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} st.{node.func.attr}({ast.unparse(texts[0])[:60]})")
    return found


def test_every_markdown_call_is_fed_literal_text():
    found = [line for path in SOURCES for line in unsafe_calls(path)]
    assert not found, "Markdown calls fed with text that may come from data or the URL:\n" + "\n".join(found)


@pytest.mark.parametrize("payload", ["![x](http://host/track.png)", "[t](javascript:alert(1))", "<img src=x>",
                                     "`code`", "*bold* _it_ ~~s~~ $x$ | # h"])
def test_plain_leaves_no_markdown(payload):
    """Every character that Markdown gives a meaning to is escaped."""
    out = plain(payload)
    for ch in "[]()<>`*_~$|#!":
        if ch in "()!":
            continue  # harmless without the brackets, which are escaped
        assert all(out[i - 1] == "\\" for i, c in enumerate(out) if c == ch), (ch, out)


def test_only_dicts_of_marked_literals_count_as_catalogue_texts(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('TEXT = {"a": N_("Fine")}\nMIXED = {"a": N_("Fine"), "b": user_text}\n'
                    'st.info(_(TEXT["a"]))\nst.info(_(MIXED["a"]))\nst.info(_(TEXT[key]))\n')
    found = [line.split(" ", 1)[0] for line in unsafe_calls_at(page)]
    assert found == ["page.py:4", "page.py:5"]


def unsafe_calls_at(path: Path) -> list[str]:
    """:func:`unsafe_calls` for a file outside the project (named by its file name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    dicts = catalogue_dicts(tree)
    return [f"{path.name}:{node.lineno} {ast.unparse(node.args[0])}" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in MARKDOWN_CALLS and node.args and not _safe(node.args[0], dicts)]
