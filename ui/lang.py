"""The dashboard's language: the switch, the ``?lang=`` link parameter and right-to-left layout.

The language is part of the view (``View.lang``, ``?lang=fr|ar|en`` in the URL). ``app.py``
calls :func:`apply` first on every run, so page titles and every ``_()`` of the run use it.
"""

from __future__ import annotations

import streamlit as st

from geo.i18n import (DEFAULT_LANGUAGE, LANGUAGES, _, direction, district_name, is_language,
                      set_language)

VIEW_KEY = "view"  # the session's view (ui.sidebar keeps it there)
#: Noto Naskh Arabic, installed by ``make assets`` (scripts/fetch_assets.py), served by Streamlit.
FONT_URL = "app/static/fonts/noto-naskh-arabic-arabic-{weight}-normal.woff2"

#: Streamlit elements that stay left-to-right in an Arabic page: the data grid (canvas), charts,
#: code, number inputs and sliders, whose layout Streamlit fixes, and the map's frame.
_LTR_ELEMENTS = ('[data-testid="stDataFrame"]', '[data-testid="stTable"]', '[data-testid="stVegaLiteChart"]',
                 '[data-testid="stCode"]', '[data-testid="stSlider"]', '[data-testid="stNumberInput"]',
                 '[data-testid="stIFrame"]', "iframe", '[data-testid="stCustomComponentV1"]')


def requested() -> str:
    """The language of this run: the session's view, else the link's ``?lang=``, else English."""
    view = st.session_state.get(VIEW_KEY)
    lang = getattr(view, "lang", None)
    if not is_language(lang):
        lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
    return lang if is_language(lang) else DEFAULT_LANGUAGE


def rtl_css() -> str:
    """The style sheet of a right-to-left page: the Arabic font, text blocks right to left, and
    the elements whose layout Streamlit fixes left to right."""
    faces = "".join(
        f"@font-face {{font-family: 'Noto Naskh Arabic'; font-weight: {w}; "
        f"src: url('{FONT_URL.format(weight=w)}') format('woff2'); font-display: swap;}}"
        for w in (400, 700))
    blocks = '[data-testid="stMain"], [data-testid="stSidebar"]'
    # every element but Streamlit's icons, which are glyphs of their own font (Material Symbols)
    text = ", ".join(f'{area} *:not([data-testid="stIconMaterial"])'
                     for area in ('[data-testid="stMain"]', '[data-testid="stSidebar"]'))
    return (f"{faces}{blocks} {{direction: rtl; text-align: right;}}"
            f"{text} {{font-family: 'Noto Naskh Arabic', 'Source Sans Pro', sans-serif;}}"
            f"{', '.join(_LTR_ELEMENTS)} {{direction: ltr; text-align: left;}}")


def apply() -> str:
    """Set this run's language and, for Arabic, the right-to-left layout; return the language."""
    lang = set_language(requested())
    if direction(lang) == "rtl":
        st.markdown(f"<style>{rtl_css()}</style>", unsafe_allow_html=True)  # not text
    return lang


def _switched() -> None:
    """Widget callback: put the chosen language into the view before the next run starts."""
    lang = st.session_state.get("w_lang", DEFAULT_LANGUAGE)
    view = st.session_state.get(VIEW_KEY)
    if view is not None:
        st.session_state[VIEW_KEY] = view.replace(lang=lang)
    params = dict(st.query_params)
    if lang == DEFAULT_LANGUAGE:
        params.pop("lang", None)
    else:
        params["lang"] = lang
    st.query_params.from_dict(params)


def switch(container=None) -> str:
    """Draw the language switch (sidebar by default) and return the language in force."""
    box = container if container is not None else st.sidebar
    current = set_language(requested())
    if st.session_state.get("w_lang") != current:
        st.session_state["w_lang"] = current
    options = list(LANGUAGES)
    box.selectbox(_("Language"), options, key="w_lang", format_func=LANGUAGES.get, on_change=_switched)
    return current


def headers(columns, layers=(), config: dict | None = None) -> dict:
    """A ``column_config`` for ``st.dataframe`` that labels every column in the current language.

    The ids stay the columns of the frame (and of the exports); only the headers shown change.
    An entry already in ``config`` keeps its settings and gets the label unless it has one.
    """
    from geo.labels import column_labels
    from ui import state

    out = dict(config or {})
    for column, label in column_labels(columns, layers, themes=state.theme_labels()).items():
        entry = out.get(column)
        if isinstance(entry, str) or entry is None and label == column:
            continue
        entry = dict(entry or {})
        entry.setdefault("label", label)
        if entry.get("label") is None:
            entry["label"] = label
        out[column] = entry
    return out


# ----------------------------------------------------------------------------- names in both scripts
def both_scripts(name: object, name_ar: object = None) -> str:
    """A name in both scripts, the current language's first (see :func:`geo.i18n.district_name`)."""
    return district_name(name, name_ar)
