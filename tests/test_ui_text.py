"""Every text that reaches Streamlit's Markdown from data, files or the URL goes through ``ui.text.plain``.

``st.markdown``, ``st.warning``, ``st.info``, ``st.error``, ``st.caption`` (and the other calls that
render Markdown) interpret ``![x](http://host/t.png)`` as an image the visitor's browser fetches and
``[t](javascript:...)`` as a link. This test reads the dashboard's source and accepts, as the text of
such a call, only a literal, ``plain(...)``, or an f-string whose every value is ``plain(...)``, a
number format (``{x:,}``), a count (``len(...)``), or a catalogue text ``_("...")`` formatted with such
values.
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


def _safe(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, int, float))
    if ast.unparse(node) in TRUSTED:
        return True
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name == "_":  # the translation catalogue: texts shipped with the dashboard
            return len(node.args) == 1 and _safe(node.args[0])
        if name == "format" and isinstance(node.func, ast.Attribute):
            return (_safe(node.func.value) and all(_safe(a) for a in node.args)
                    and all(_safe(k.value) for k in node.keywords))
        if name in ("strip", "rstrip", "lstrip") and isinstance(node.func, ast.Attribute) and not node.args:
            return _safe(node.func.value)
        if name == "join" and isinstance(node.func, ast.Attribute) and len(node.args) == 1:
            items = node.args[0]
            return _safe(node.func.value) and isinstance(items, (ast.GeneratorExp, ast.ListComp)) and _safe(items.elt)
        return name == "plain" or name in NUMERIC_CALLS
    if isinstance(node, ast.JoinedStr):
        return all(_safe(v) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return node.format_spec is not None or _safe(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _safe(node.left) and _safe(node.right)
    if isinstance(node, ast.IfExp):
        return _safe(node.body) and _safe(node.orelse)
    return False


def unsafe_calls(path: Path) -> list[str]:
    """``file:line call`` of every Markdown call fed with text that is not known to be literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
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
        if not all(_safe(t) for t in texts):
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
