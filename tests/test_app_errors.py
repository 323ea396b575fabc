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
