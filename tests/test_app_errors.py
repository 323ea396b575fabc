"""Bad data behind the dashboard: a clear message naming the file and the fix, never a traceback."""

import pytest

from .conftest import OWN, ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402


@pytest.fixture
def broken(dashboard_config, tmp_path):
    """The worked example with one unemployment rate of 150 %, as the dashboard's configuration."""
    for f in ("config.toml", "districts.geojson", "provinces.geojson", "sites.csv"):
        (tmp_path / f).write_bytes((OWN / f).read_bytes())
    table = (OWN / "indicators.csv").read_text(encoding="utf-8").splitlines()
    header = table[0].split(";")
    col = header.index("unemp_pct")
    row = table[2].split(";")
    row[col] = "150"
    table[2] = ";".join(row)
    (tmp_path / "indicators.csv").write_text("\n".join(table) + "\n", encoding="utf-8")
    dashboard_config(tmp_path / "config.toml")
    return tmp_path


@pytest.mark.parametrize("page", ["overview", "targeting", "method"])
def test_out_of_range_percentage_is_a_message_not_a_traceback(broken, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if page != "overview":
        at.switch_page(f"ui/{page}.py")
    at.run()
    assert not at.exception, at.exception
    message = at.error[0].value.replace("\\", "")  # shown literally: Markdown characters are escaped
    assert "indicators.csv" in message and "'unemp_pct'" in message and "150" in message
    assert "between 0 and 100" in message


@pytest.mark.parametrize("change, message", [
    (('role = "readiness"', 'role = "outcome"'), "themes.infrastructure.role = 'outcome' is not a role"),
    (('[themes.displacement]', '[themes.health]\nlabel = "Health"\n\n[themes.displacement]'),
     "[themes.health] has no layers"),
])
def test_bad_theme_is_the_same_sentence_as_the_command_line(dashboard_config, tmp_path, change, message, capsys):
    from geo.cli import main

    for f in ("config.toml", "districts.geojson", "provinces.geojson", "sites.csv", "indicators.csv"):
        (tmp_path / f).write_bytes((OWN / f).read_bytes())
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert change[0] in text
    (tmp_path / "config.toml").write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    assert main(["check", "--config", str(tmp_path / "config.toml")]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert message in line and str(tmp_path / "config.toml") in line
    dashboard_config(tmp_path / "config.toml")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(at.error[0].value.replace("\\", "").split())  # shown literally: Markdown characters escaped
    assert line.removeprefix("error: ") in shown
