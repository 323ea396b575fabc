"""Add a layer: upload a CSV or Excel table, check how it joins to the districts, use it for the session.

The page walks through four steps: choose the level and the file (a preview
of the first rows follows), choose the key, join rule, value column and the
layer's label, unit, theme and direction, check the join (the report, the
unmatched districts and rows, a summary of the values), and add the layer.
Nothing is used before the join has been checked with the current settings.

Session state
-------------
``st.session_state[state.UPLOADS_KEY]``
    ``{level: {layer_id: (Layer, pandas.Series)}}``: the layers this session
    added; the Series holds one float per district of ``level`` (indexed by
    district code, named by the layer id, NaN for no data).
    :func:`ui.state.session_level` merges them into the level's values, so
    they behave like configured layers. Nothing else is shared with other
    pages or sessions, and nothing is written to disk.
``upload_*`` keys
    Private to this page: the widgets, the parsed file (``upload_table``),
    the last checked join (``upload_check``) and a message after adding
    (``upload_flash``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from geo.errors import TargetingError
from geo.i18n import N_, _, layer_label, set_language
from geo.upload import MAX_UPLOAD_MB, read_upload, to_number, uploaded_layer
from ui import lang, sidebar, state
from ui.text import plain

TABLE_KEY = "upload_table"
CHECK_KEY = "upload_check"
FLASH_KEY = "upload_flash"
_COLUMN_WIDGETS = ("upload_key", "upload_value", "upload_parent", "upload_label")
_DIRECTIONS = ("higher is worse", "lower is worse")
_RULES = {"code": N_("District code"), "name": N_("District name")}


def show_error(exc: TargetingError) -> None:
    """Show an input problem; the page keeps working."""
    st.error(plain(exc))


# ----------------------------------------------------------------------------- the session's layers
def uploads() -> dict[str, dict[str, tuple[Any, pd.Series]]]:
    """The session's uploaded layers, ``{level: {layer_id: (Layer, values)}}``."""
    return st.session_state.setdefault(state.UPLOADS_KEY, {})


def taken_ids() -> set[str]:
    """Layer ids in use: the configured layers and every uploaded layer of the session."""
    ids = {layer.id for layer in state.config().layers}
    for layers in uploads().values():
        ids.update(layers)
    return ids


def add_layer(level: str, layer: Any, values: pd.Series) -> None:
    """Store a checked layer for ``level`` in the session and put it in the score."""
    uploads().setdefault(level, {})[layer.id] = (layer, values)
    sidebar.add_to_score(layer.id)


def remove_layer(level: str, layer_id: str) -> None:
    """Remove an uploaded layer from the session (nothing happens if it is gone already)."""
    layers = uploads().get(level, {})
    layers.pop(layer_id, None)
    sidebar.remove_from_score(layer_id)
    if not layers:
        uploads().pop(level, None)
    check = st.session_state.get(CHECK_KEY)
    if check and check["layer"].id == layer_id:
        st.session_state.pop(CHECK_KEY, None)


# ----------------------------------------------------------------------------- reading the file
def parsed_table(data: bytes, filename: str, file_id: str) -> pd.DataFrame:
    """The uploaded file as a table, parsed once per file and kept in the session.

    Raises
    ------
    TargetingError
        The file cannot be used (the message says why).
    """
    cached = st.session_state.get(TABLE_KEY)
    signature = (file_id, filename, len(data))
    if cached is None or cached["file"] != signature:
        for key in (*_COLUMN_WIDGETS, CHECK_KEY):
            st.session_state.pop(key, None)
        try:
            table = read_upload(data, filename, max_bytes=MAX_UPLOAD_MB * 2**20)
            cached = {"file": signature, "table": table, "error": None, "numeric": _numeric_columns(table)}
        except TargetingError as exc:
            cached = {"file": signature, "table": None, "error": exc, "numeric": []}
        st.session_state[TABLE_KEY] = cached
    if cached["error"] is not None:
        raise cached["error"].with_traceback(None)
    return cached["table"]


def _numeric_columns(table: pd.DataFrame) -> list[str]:
    """Columns whose every cell reads as a number, codes with leading zeros excepted (default choice)."""
    out = []
    for col in table.columns:
        if table[col].dropna().astype(str).str.fullmatch(r"0[0-9]+").any():
            continue  # codes such as 001 are keys, not values
        try:
            numbers = to_number(table[col], column=col, filename="", decimal=table.attrs.get("decimal"))
        except TargetingError:
            continue
        if numbers.notna().any():
            out.append(col)
    return out


def render_file_summary(table: pd.DataFrame) -> None:
    """How the file was read, and its first rows (shown as data, never as HTML)."""
    a = table.attrs
    if a.get("format") == "xlsx":
        how = _("Excel sheet “{sheet}”").format(sheet=a.get("sheet"))
        others = [s for s in a.get("sheets", []) if s != a.get("sheet")]
        if others:
            how += _(" (other sheets not read: {sheets})").format(sheets=", ".join(others))
    else:
        sep = {",": _("commas"), ";": _("semicolons"), "\t": _("tabs")}.get(a.get("separator"), "?")
        how = _("CSV text in {encoding}, separated by {separator}").format(encoding=a.get("encoding", "?"),
                                                                          separator=sep)
    st.caption(plain(_("{rows} rows, {columns} columns; read as {how}. First rows:").format(
        rows=len(table), columns=len(table.columns), how=how)))
    st.dataframe(table.head(10).rename_axis(_("row")))  # the file's own line numbers
    formulas = a.get("uncached_formulas") or {}
    if formulas:
        cols = ", ".join(_("{column} (rows {rows})").format(column=c, rows=", ".join(map(str, r[:5])))
                         for c, r in formulas.items())
        st.warning(plain(
            _("Formula cells saved without their result read as empty: {columns}. Formulas are never "
              "computed here; open and save the file in a spreadsheet program first if you need them.").format(
                columns=cols)
        ))


# ----------------------------------------------------------------------------- the choices
def render_choices(table: pd.DataFrame, level: str) -> dict[str, Any]:
    """Widgets for the key, join rule, value column and the layer's description."""
    columns = list(table.columns)
    numeric = st.session_state.get(TABLE_KEY, {}).get("numeric", [])
    left, right = st.columns(2)
    with left:
        by = st.radio(_("Join rule"), list(_RULES), format_func={r: _(t) for r, t in _RULES.items()}.get,
                      key="upload_by", horizontal=True,
                      help=_("By name, accents, case and punctuation are ignored."))
        key = st.selectbox(_("Column with the district code") if by == "code" else _("Column with the district name"),
                           columns, key="upload_key")
        parent = None
        if by == "name":
            options = [""] + [c for c in columns if c != key]
            parent = st.selectbox(
                _("Column with the parent district's code"), options, key="upload_parent",
                format_func={c: c or _("(none: the names are unique)") for c in options}.get,
                help=_("Two districts with the same name in different parents are then told apart."),
            ) or None
        values = [c for c in columns if c not in (key, parent)] or columns
        guess = next((c for c in numeric if c in values), values[0])
        value = st.selectbox(_("Column with the values"), values, index=values.index(guess), key="upload_value")
    with right:
        label = st.text_input(_("Label"), key="upload_label", placeholder=_("e.g. Illiteracy rate"), max_chars=80)
        unit = st.text_input(_("Unit"), key="upload_unit", placeholder=_("e.g. %"), max_chars=30)
        cfg = state.config()
        theme = st.selectbox(_("Theme"), list(cfg.themes), format_func={t: _(cfg.theme_label(t)) for t in cfg.themes}.get,
                             key="upload_theme")
        direction = st.radio(_("Direction"), _DIRECTIONS, key="upload_direction", horizontal=True,
                             format_func={d: _(d) for d in _DIRECTIONS}.get)
        source = st.text_input(_("Source (who published the numbers)"), key="upload_source",
                               placeholder=_("uploaded by the user"), max_chars=120)
        this_year = dt.date.today().year
        year = st.number_input(_("Year of the data"), min_value=1800, max_value=this_year + 1, value=this_year,
                               step=1, key="upload_year")
    return {
        "level": level, "key": key, "by": by, "parent_key": parent, "value": value, "label": label,
        "unit": unit, "theme": theme, "higher_is_worse": direction == _DIRECTIONS[0],
        "source": source or "uploaded by the user", "year": int(year),
    }


# ----------------------------------------------------------------------------- check and add
def check_join(table: pd.DataFrame, filename: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Build the layer with the current settings; the result is kept until the settings change.

    Raises
    ------
    TargetingError
        From :func:`geo.upload.uploaded_layer`.
    """
    districts = state.level_data(settings["level"]).districts
    choices = {k: v for k, v in settings.items() if k != "level"}
    themes = {t.id: t.label for t in state.config().themes.values()}
    layer, values, report = uploaded_layer(table, districts, filename=filename, existing_ids=taken_ids(),
                                           themes=themes, **choices)
    return {"settings": settings, "file": st.session_state[TABLE_KEY]["file"], "layer": layer,
            "values": values, "report": report}


def render_report(check: dict[str, Any]) -> None:
    """The join report, the unmatched lists and the value summary."""
    layer, report, values = check["layer"], check["report"], check["values"]
    st.subheader(_("Join report"))
    st.code("\n".join(report.lines()), language=None, wrap_lines=True)
    unmatched = report.as_frame()
    if len(unmatched):
        st.caption(_("Unmatched districts and rows"))
        st.dataframe(unmatched, hide_index=True)
    st.caption(plain(_("Values of “{label}” ({unit}), layer id {id}").format(
        label=layer.label, unit=layer.unit or _("no unit"), id=layer.id)))
    st.dataframe(report.summary_frame(), hide_index=True)
    with st.expander(_("Value of every district")):
        districts = state.level_data(check["settings"]["level"]).districts
        st.dataframe(pd.DataFrame({_("name"): districts["name"], _("value"): values}))


def render_add(check: dict[str, Any]) -> None:
    """The button that adds the checked layer to the session."""
    level, layer = check["settings"]["level"], check["layer"]
    if st.button(_("Add this layer"), type="primary", key="upload_add"):
        if layer.id in taken_ids():
            st.error(plain(_("A layer with id {id} was added meanwhile; check the join again.").format(id=layer.id)))
            st.session_state.pop(CHECK_KEY, None)
            return
        add_layer(level, layer, check["values"])
        st.session_state.pop(CHECK_KEY, None)
        st.session_state[FLASH_KEY] = _(
            "Added “{label}” (id {id}) to {level}: it is now "
            "in the weights sidebar, the map, the district profile and the exports for this session."
        ).format(label=layer.label, id=layer.id, level=_(state.config().levels[level].label))
        st.rerun()


def render_uploaded_list() -> None:
    """The session's uploaded layers, each with a remove button."""
    st.subheader(_("Layers added in this session"))
    layers = [(lv, lid, layer, values)
              for lv, items in uploads().items() for lid, (layer, values) in items.items()]
    if not layers:
        st.caption(_("None yet. Added layers last until the browser tab is closed; nothing is saved."))
        return
    cfg = state.config()
    for level, lid, layer, values in layers:
        text, button = st.columns([5, 1])
        level_label = _(cfg.levels[level].label) if level in cfg.levels else level
        text.markdown(f"**{plain(layer_label(layer))}** " + plain(
            _("({unit}, {direction}) on {level}: {with_value} of {n} districts with a value; id {id}; "
              "source {source}").format(
                unit=layer.unit or _("no unit"), direction=_(layer.direction), level=level_label,
                with_value=int(values.notna().sum()), n=len(values), id=lid, source=layer.source.name)
        ))
        button.button(_("Remove"), key=f"upload_remove_{level}_{lid}", on_click=remove_layer, args=(level, lid))


# ----------------------------------------------------------------------------- the page
def render_page() -> None:
    """The whole page."""
    set_language(lang.requested())  # this page has no sidebar to set it
    st.title(_("Add a layer"))
    st.markdown(_(
        "Upload a table with one row per district: a column with the district code (or name) and "
        "columns with values. CSV or Excel (.xlsx), up to {max_mb} MB. The file is read in "
        "memory as data only (formulas are not computed, macros never run) and is not stored."
    ).format(max_mb=int(MAX_UPLOAD_MB)))
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(plain(flash))
    try:
        render_steps()
    except TargetingError as exc:
        show_error(exc)
    render_uploaded_list()


def render_steps() -> None:
    """Level, file, choices, check and add."""
    cfg = state.config()
    levels = list(cfg.levels)
    default = levels.index(cfg.display.default_level) if cfg.display.default_level in levels else 0
    level = st.selectbox(_("Level of the districts in the file"), levels, index=default,
                         format_func={l: _(cfg.levels[l].label) for l in levels}.get,
                         key="upload_level")
    uploaded = st.file_uploader(_("CSV or Excel file"), type=["csv", "xlsx"], key="upload_file",
                                max_upload_size=MAX_UPLOAD_MB)
    if uploaded is None:
        st.session_state.pop(TABLE_KEY, None)
        st.session_state.pop(CHECK_KEY, None)
        return
    table = parsed_table(uploaded.getvalue(), uploaded.name, uploaded.file_id)
    render_file_summary(table)
    settings = render_choices(table, level)
    if st.button(_("Check the join"), key="upload_check_button"):
        st.session_state.pop(CHECK_KEY, None)
        st.session_state[CHECK_KEY] = check_join(table, uploaded.name, settings)
    check = st.session_state.get(CHECK_KEY)
    if check is None:
        st.caption(_("Check the join to see how the file matches the districts before adding the layer."))
        return
    if check["settings"] != settings or check["file"] != st.session_state[TABLE_KEY]["file"]:
        st.info(_("The settings changed since the last check: check the join again."))
        return
    render_report(check)
    render_add(check)


render_page()
