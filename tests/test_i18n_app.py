"""The dashboard in French and Arabic with Streamlit's AppTest: the language from the link and the
switch, French texts and numbers, names in both scripts, a search in Arabic."""

from __future__ import annotations

import pytest


pytest.importorskip("streamlit")

from .apptest import page, ranking  # noqa: E402


@pytest.fixture(scope="module")
def french(default_config):
    return page("overview", lang="fr")


def test_french_from_the_link(french):
    assert french.title[0].value == "Poches de pauvreté au Maroc : recensement 2024"
    assert french.radio(key="w_level").label == "Niveau administratif"
    assert french.selectbox(key="w_lang").value == "fr"
    assert french.multiselect(key="w_layers").label == "Couches du score"
    assert any(s.value.startswith("Classement : 75 unités") for s in french.subheader)
    caption = french.caption[0].value
    assert caption.startswith("Provinces et préfectures : 75 sur 75 affichées")
    assert french.query_params["lang"] == ["fr"] or french.query_params["lang"] == "fr"


def test_french_layer_labels_come_from_hcp(french):
    labels = list(french.multiselect(key="w_layers").options)
    assert "Taux de chômage" in labels
    assert "Type de logement : Maison sommaire / Bidonville" in labels


def test_switching_language_keeps_the_view(default_config):
    at = page("overview", normalisation="rank")
    assert at.radio(key="w_level").label == "Admin level"
    at.selectbox(key="w_lang").set_value("fr").run()
    assert at.radio(key="w_level").label == "Niveau administratif"
    assert at.selectbox(key="w_normalisation").value == "rank"
    at.button(key="reset_view").click().run()
    assert at.selectbox(key="w_normalisation").value == "minmax"
    assert at.radio(key="w_level").label == "Niveau administratif"  # a reset keeps the language


def test_arabic_names_in_the_table_and_search(default_config):
    at = page("overview", lang="ar")
    table = ranking(at)
    assert "name_ar" in table.columns
    assert table.set_index("name").at["Figuig", "name_ar"] == "فجيج"
    at.text_input(key="w_search").set_value("فجيج").run()
    found = ranking(at)
    assert found["name"].tolist() == ["Figuig"]


def test_arabic_search_ignores_hamza_forms(default_config):
    at = page("overview", level="communes")
    table = ranking(at)
    target = table[table["name_ar"].astype(str).str.contains("أ")].iloc[0]
    at.text_input(key="w_search").set_value(target["name_ar"].replace("أ", "ا")).run()
    assert target["code"] in ranking(at)["code"].tolist()


def test_profile_names_the_district_in_both_scripts(default_config):
    at = page("overview", lang="fr", selected="02.251")
    assert any("\u2068Figuig\u2069 · \u2068فجيج\u2069" in h.value for h in at.subheader)
    assert any(m.label == "Rang" for m in at.metric)


@pytest.mark.parametrize("name", ["targeting", "change", "compare", "method", "workshop"])
def test_other_pages_in_french(default_config, name):
    at = page(name, lang="fr")
    assert not at.error
    assert at.sidebar.radio(key="w_level").label == "Niveau administratif"



def test_method_page_names_its_choices_and_treatments_in_french(default_config):
    at = page("method", lang="fr")
    frames = [d.value for d in at.dataframe]
    sensitivity = next(f for f in frames if f.index.name == "choix")
    assert "normalisation et agrégation" in sensitivity.index
    assert any(str(i).startswith("poids de ") for i in sensitivity.index)
    checks = next(f for f in frames if "treatment" in f.columns)
    assert set(checks["treatment"]) <= {"aucun", "aucune", "transformé en logarithme"} | {
        t for t in checks["treatment"] if "écrêté" in t}
    assert not {"none", "log-transformed"} & set(checks["treatment"])
