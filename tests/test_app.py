"""Dashboard logic with Streamlit's AppTest (no browser): pages, widgets, URL state, errors."""

import pytest

from .conftest import ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from .apptest import open_weights, page, ranked_count, ranking  # noqa: E402


@pytest.fixture(scope="module")
def home(default_config):
    return page("overview")


def test_home_shows_real_ranking(home):
    assert "Morocco" in home.title[0].value
    table = ranking(home)
    assert ranked_count(home) == 75 and len(table) == 50 and table["rank"].min() == 1  # a page of 50
    assert table.iloc[0]["name"] == "Figuig"


def test_app_navigation_runs(default_config):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception


def test_weight_change_changes_ranking(default_config):
    at = open_weights(page("overview"))
    before = ranking(at)["code"].tolist()
    at.slider(key="w_theme_poverty").set_value(5.0)
    at.slider(key="w_theme_infrastructure").set_value(0.0)
    at.run()
    after = ranking(at)["code"].tolist()
    assert after != before and len(after) == len(before) == 50 and ranked_count(at) == 75
    assert at.query_params["theme_weights"]  # the URL follows


def test_level_switch_and_filters(default_config):
    at = page("overview")
    at.radio(key="w_level").set_value("communes").run()
    assert ranked_count(at) == 1503
    at.radio(key="w_area").set_value("urban").run()
    assert ranked_count(at) == 242  # urban communes (HCP type)
    at.number_input(key="w_min_population").set_value(100_000).run()
    assert (ranking(at)["population"] >= 100_000).all()


def test_ranking_table_is_sent_a_page_at_a_time(default_config):
    """50 rows at a time; a search or filter starts again at page 1; a selected district turns the
    table to its page once, and the page can then be turned away from it."""
    from geo.dataset import load_level, ranked_table, score_level

    at = page("overview", level="communes")
    first = ranking(at)
    assert len(first) == 50 and first["rank"].tolist() == list(range(1, 51))
    assert any("Rows 1-50 of 1,503, page 1 of 31" in c.value for c in at.caption)
    at.button(key="pk_page_next").click().run()
    assert ranking(at)["rank"].tolist() == list(range(51, 101))
    at.number_input(key="w_table_page").set_value(31).run()
    assert len(ranking(at)) == 3  # 1,503 = 30 x 50 + 3
    at.radio(key="w_area").set_value("urban").run()
    assert at.number_input(key="w_table_page").value == 1 and len(ranking(at)) == 50 and ranked_count(at) == 242

    data = load_level(default_config, "communes")
    table = ranked_table(data, score_level(data, method=default_config.method)).set_index("code")
    code = table.index[table["rank"] == 120][0]
    at = page("overview", level="communes", selected=code)
    assert at.number_input(key="w_table_page").value == 3 and code in ranking(at)["code"].tolist()
    at.button(key="pk_page_prev").click().run()
    assert at.number_input(key="w_table_page").value == 2  # not turned back to the selected district


def test_url_restores_the_view(default_config):
    at = page("overview", level="communes", selected="02.251.01.03", normalisation="rank",
              weights="illiteracy:3", top_n="5")
    open_weights(at)
    assert at.radio(key="w_level").value == "communes"
    assert at.selectbox(key="w_normalisation").value == "rank"
    assert at.slider(key="w_weight_illiteracy").value == 3.0
    assert at.slider(key="w_top_n").value == 5


def test_bad_url_values_warn_and_fall_back(default_config):
    at = page("overview", level="moon", classes="eleven")
    assert any("Unknown level" in w.value for w in at.warning)
    assert at.radio(key="w_level").value == "provinces"


def test_zero_weights_show_an_error_not_a_traceback(default_config):
    at = open_weights(page("overview"))
    themes = [s for s in at.slider if (s.key or "").startswith("w_theme_")]
    assert len(themes) >= 2
    for slider in themes:
        slider.set_value(0.0)
    at.run()
    assert not at.exception
    assert any("weights are zero" in e.value.lower() for e in at.error)


def test_reset_returns_to_defaults(default_config):
    at = page("overview", normalisation="rank")
    at.button(key="reset_view").click().run()
    assert at.selectbox(key="w_normalisation").value == "minmax"


@pytest.mark.parametrize("name", ["compare", "method", "workshop", "targeting", "change"])
def test_other_pages_render(default_config, name):
    at = page(name)
    assert not at.error


def test_workshop_steps_through_top_n(default_config):
    at = page("workshop")
    assert any(m.value == "### 1 of 10" for m in at.markdown)
    assert any(m.value == "# Figuig" for m in at.markdown)
    assert any(m.value.startswith("**Rank 1st of 75") for m in at.markdown)
    at.button(key="ws_next").click().run()
    assert any(m.value == "### 2 of 10" for m in at.markdown)
    assert any(m.value == "# Taounate" for m in at.markdown)


def test_targeting_page(default_config):
    at = page("targeting")
    assert not at.error
    assert any("districts reach 50%" in m.value for m in at.markdown)
    at.slider(key="w_k").set_value(20).run()
    assert at.metric[0].value != "0"


def test_peers_of_the_selected_district(default_config):
    at = page("targeting", selected="02.251")
    assert not at.error
    assert any("most similar districts do clearly better" in m.value for m in at.markdown)


def test_change_page_lists_the_districts_left_behind(default_config):
    at = page("change")
    assert not at.error
    assert any(m.value.startswith("**7** of 75 districts shown fell further behind") and "published precision"
               in m.value for m in at.markdown)
    lagging = next(df.value for df in at.dataframe if "behind_on" in df.value.columns)
    assert len(lagging) == 7 and lagging["name"].iloc[0] == "Al Hoceima"
    at.number_input(key="w_change_tol").set_value(0.0).run()
    assert any(m.value.startswith("**9** of 75") for m in at.markdown)
    at.select_slider(key="w_change_min").set_value(13).run()
    assert any(m.value.startswith("**0** of 75") for m in at.markdown)
    at.selectbox(key="w_change_layer").set_value("unemployment").run()
    at.radio(key="w_change_measure").set_value("change").run()
    assert not at.exception and not at.error


def test_change_page_follows_the_filters(default_config):
    at = page("change", level="communes", region="01")
    assert not at.error
    lagging = next(df.value for df in at.dataframe if "behind_on" in df.value.columns)
    assert lagging["code"].str.startswith("01.").all()


def test_profile_shows_the_rank_distribution(default_config):
    at = page("overview", selected="02.251")
    assert not at.error
    assert any(c.value.startswith("Rank over 1,000 Monte Carlo draws") and "rank with the chosen settings, 1 of 75"
               in c.value for c in at.caption)


def test_rank_histogram_shares():
    import pandas as pd

    from ui.profile import rank_histogram

    hist = rank_histogram(pd.Series([2.0, 1.0, 2.0, None, 5.0]))
    assert hist["rank"].tolist() == [1, 2, 5] and hist["share"].tolist() == [0.25, 0.5, 0.25]


def test_cluster_map_names_its_spatial_weights(default_config):
    at = page("overview", map_layer="cluster")
    assert any("queen contiguity" in c.value and "999 conditional permutations" in c.value for c in at.caption)


def test_method_page_shows_which_choice_moves_the_ranking(default_config):
    at = page("method")
    sens = next(df.value for df in at.dataframe if "share of rank variance" in df.value.columns)
    assert sens.index[0] == "normalisation and aggregation" and sens["share of rank variance"].iloc[0] > 0.5


def test_display_shapes_follow_their_boundary_file_and_survive_an_unwritable_disk_cache(default_config, monkeypatch):
    """The disk copy is keyed by the boundary file (a new file, a new key); without a writable cache
    folder the shapes are still drawn, from memory."""
    import os

    from streamlit.runtime.caching.storage import CacheStorageError

    from ui import state

    path = state.config().levels["regions"].path
    before = state._boundary_source("regions")
    stat = os.stat(path)
    try:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert state._boundary_source("regions") != before
    finally:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    def unwritable(*args):
        raise CacheStorageError("Unable to write to cache")

    monkeypatch.setattr(state, "_display_shapes", unwritable)
    assert len(state.display_shapes("regions")) == 12


def test_display_shapes_are_the_same_fresh_and_from_the_cache(default_config):
    """Otherwise the map's first run differs from the next ones and the map is drawn twice."""
    import shapely

    from ui import state

    state.display_shapes.clear()
    fresh, cached = state.display_shapes("regions"), state.display_shapes("regions")
    assert shapely.equals_exact(shapely.point_on_surface(fresh.to_numpy()),
                                shapely.point_on_surface(cached.to_numpy()), tolerance=0).all()


def test_weights_box_draws_its_sliders_only_when_open_and_keeps_their_values(default_config):
    """Closed, the Weights box sends no slider (they were a sixth of the page's drawing) and the
    score keeps the view's weights; opened again, the sliders show them."""
    from ui.sidebar import WEIGHTS_OPEN

    at = page("overview")
    assert not [s for s in at.slider if (s.key or "").startswith(("w_theme_", "w_weight_"))]
    open_weights(at).slider(key="w_weight_illiteracy").set_value(3.0).run()
    ranked = ranking(at)["code"].tolist()
    at.session_state[WEIGHTS_OPEN] = False
    at.run()
    assert not [s for s in at.slider if (s.key or "").startswith("w_weight_")]
    assert at.session_state["view"].weights["illiteracy"] == 3.0
    assert ranking(at)["code"].tolist() == ranked
    assert open_weights(at).slider(key="w_weight_illiteracy").value == 3.0
