"""The dashboard across pages, with Streamlit's AppTest: what one page does, the next one shows."""

from __future__ import annotations

import pytest

from .conftest import OWN, ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from .apptest import open_weights  # noqa: E402

CSV = "code;literacy\n001;12,5\n002;20\n003;9\n004;30\n005;11\n006;17\n".encode()


@pytest.fixture
def app(dashboard_config):
    dashboard_config(OWN / "config.toml")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_added_layer_is_in_the_score(app):
    app.switch_page("ui/upload.py").run()
    app.file_uploader(key="upload_file").set_value(("literacy.csv", CSV, "text/csv")).run()
    app.text_input(key="upload_label").input("Literacy").run()
    app.button(key="upload_check_button").click().run()
    app.button(key="upload_add").click().run()
    assert not app.exception, app.exception
    assert "literacy" in app.session_state["view"].layers
    app.switch_page("ui/overview.py").run()
    assert not app.exception, app.exception
    assert "literacy" in app.multiselect(key="w_layers").value
    weights = next(h.proto.body for h in app.get("html") if "pk-weights" in h.proto.body)
    assert "<td>Literacy</td>" in weights
    assert open_weights(app).slider(key="w_weight_literacy").value == 1.0


def test_removing_an_added_layer_takes_it_out_of_the_score(app):
    app.switch_page("ui/upload.py").run()
    app.file_uploader(key="upload_file").set_value(("literacy.csv", CSV, "text/csv")).run()
    app.text_input(key="upload_label").input("Literacy").run()
    app.button(key="upload_check_button").click().run()
    app.button(key="upload_add").click().run()
    level = app.selectbox(key="upload_level").value
    app.button(key=f"upload_remove_{level}_literacy").click().run()
    assert "literacy" not in app.session_state["view"].layers
    app.switch_page("ui/overview.py").run()
    assert not app.exception, app.exception
    assert "literacy" not in app.multiselect(key="w_layers").value


def test_the_sidebar_keeps_its_layers_and_weights_across_pages(dashboard_config, default_config):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    every = list(at.multiselect(key="w_layers").value)
    assert len(every) > 1
    open_weights(at).slider(key="w_weight_illiteracy").set_value(3.0).run()
    for name in ("ui/change.py", "ui/overview.py", "ui/targeting.py", "ui/overview.py"):
        at.switch_page(name).run()
        assert not at.exception, at.exception
        assert list(at.multiselect(key="w_layers").value) == every
        assert open_weights(at).slider(key="w_weight_illiteracy").value == 3.0
