"""Fuzzing the configuration: any edit of the worked example's config.toml ends in exit 0 or 2, never a
traceback (hypothesis)."""

from __future__ import annotations

import re
import shutil
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.cli import main
from geo.config import parse_config
from geo.errors import TargetingError

from .conftest import OWN

TEXT = (OWN / "config.toml").read_text(encoding="utf-8")
# Every `key = value` line of the example, by position, so an edit can replace one value.
ASSIGNMENTS = [m for m in re.finditer(r"^(\w+) = (.+)$", TEXT, flags=re.M)]

VALUES = st.one_of(
    st.sampled_from(['"score"', '"name"', '"theme_poverty"', '"x_norm"', '"Bad Id"', '""', '"../../etc/passwd"',
                     '"/dev/zero"', '"indicators.csv"', '"districts.geojson"', "inf", "-inf", "nan", "1e308",
                     "-1", "0", "true", "[]", "[100]", "{}", '"abc"', '"provinces"', '"districts"',
                     "2023", '"NA"', '"%"', '"count"', '"rate"']),
    st.integers(min_value=-10**20, max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).replace("nan", "nan").replace("inf", "inf")),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\\n\r'), max_size=12)
    .map(lambda s: f'"{s}"'),
)


def _edited(edits: list[tuple[int, str]], extra: str) -> str:
    text = TEXT
    for index, value in sorted(edits, reverse=True):
        m = ASSIGNMENTS[index % len(ASSIGNMENTS)]
        text = text[: m.start(2)] + value + text[m.end(2):]
    return text + extra


EXTRAS = st.sampled_from([
    "", "[layers.weights]\npoverty_rate = inf\n", "[themes.weights]\npoverty = 1e308\nunemployment = 1e308\n",
    "[layers.weights]\nghost = 1\n", "[engine]\nkind = \"local\"\nworkers = 2\n", "[display]\n",
    "[change]\nbefore = \"survey\"\n", "[boundaries]\npath = 3\n", "title = [1]\n",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), VALUES), max_size=3), EXTRAS)
def test_fuzz_parse_config(edits, extra):
    """Parsing and validating: a Config, or a TargetingError with a message; nothing else escapes."""
    text = _edited(edits, extra)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return  # load_config turns this into a ConfigError (tested in test_bad_input)
    try:
        parse_config(data, OWN / "config.toml")
    except TargetingError as exc:
        assert str(exc).strip()


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 200), VALUES), min_size=1, max_size=2), EXTRAS)
def test_fuzz_check_command(tmp_path_factory, capsys, edits, extra):
    """`python -m geo check` on a fuzzed configuration: exit 0 or 2 with one error line."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(OWN, folder / "case")
    config = folder / "case" / "config.toml"
    config.write_text(_edited(edits, extra), encoding="utf-8")
    code = main(["check", "--config", str(config)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err


@pytest.mark.parametrize("value", ["[]", '""', "{}", "[[1]]"])
def test_every_key_given_a_wrong_kind_is_a_message(value):
    """Each `key = value` of the example in turn set to a list, an empty text or a table: a message, never
    a TypeError or KeyError (a list as a level name once reached a dict lookup)."""
    for index in range(len(ASSIGNMENTS)):
        try:
            parse_config(tomllib.loads(_edited([(index, value)], "")), OWN / "config.toml")
        except TargetingError as exc:
            assert str(exc).strip()
