"""Invest: split a budget between districts, compare with the usual rules, save and compare scenarios,
and monitor the districts that received an intervention."""

from __future__ import annotations

import dataclasses
import json

import altair as alt
import pandas as pd
import streamlit as st

from geo.allocate import COMPOSITE, OBJECTIVES, AllocationSettings, invest, investment_metadata
from geo.dataset import export_metadata
from geo.errors import TargetingError
from geo.i18n import _, format_number, format_percent, get_language, layer_label, ngettext
from geo.monitor import matched_change
from geo.scenario import Scenario, compare_allocations, compare_rankings, read_scenario, scenario_text
from geo.classify import category_classes, map_classes
from ui import maps, mapview, sidebar, state
from ui.exports import MIME, table_bytes
from ui.livemap import live_map
from ui.text import plain

OBJECTIVE_LABELS = {
    "reach": "reach: most people in need reached",
    "need": "need-weighted, diminishing returns (money spreads)",
    "formula": "formula: in proportion to the people in need",
}
ALLOCATION_KEY = "invest_settings"
SHIFT_COLOURS = {"up 10 ranks or more": "#b2182b", "up 1-9 ranks": "#ef8a62", "unchanged": "#e0e0e0",
                 "down 1-9 ranks": "#67a9cf", "down 10 ranks or more": "#2166ac"}  # colour-blind-safe diverging


def _map(view, table: pd.DataFrame, values: pd.Series, label: str, key: str, *, categories=None) -> None:
    """A map of one value per district (numbers classed like the home map, or named categories)."""
    codes = values.dropna().index.intersection(table.index)
    shown = table.loc[codes, ["name", "rank", "score"]].copy()
    shown["value"] = values.reindex(codes)
    classes = (category_classes(shown["value"], categories, {c: _(c) for c in categories}) if categories is not None
               else map_classes(shown["value"], scheme=view.scheme, k=view.classes, palette="YlGnBu"))
    geometry, geometry_url = mapview.level_map(view.level)
    keep = pd.Series(table.index.isin(codes), index=table.index)
    style = maps.map_style(geometry["codes"], shown, classes, column="value", label=label, shown=keep)
    style["text"] = mapview.client_text()  # the search box and tooltips in the page's language
    live_map(geometry_url, style, key=key, height=460)


def _shift_class(shift: pd.Series) -> pd.Series:
    out = pd.Series("unchanged", index=shift.index, dtype=object)
    s = shift.astype(float)
    out[s >= 10] = "up 10 ranks or more"
    out[(s >= 1) & (s < 10)] = "up 1-9 ranks"
    out[(s <= -1) & (s > -10)] = "down 1-9 ranks"
    out[s <= -10] = "down 10 ranks or more"
    return out.where(s.notna())


@st.cache_data(show_spinner=False, max_entries=16)
def _invest(level: str, key: tuple, allocation_json: str, data_key: tuple, _data, _result, _unc, lang: str):
    view_weights, view_theme_weights = dict(key[2]), dict(key[3])
    settings = _settings_from_json(allocation_json)
    return invest(_data, _result, settings, roles=state.config().roles, uncertainty=_unc if settings.draws else None,
                  weights=view_weights,
                  theme_weights=view_theme_weights)


def _settings_from_json(text: str) -> AllocationSettings:
    raw = json.loads(text)
    raw["excluded"], raw["forced"] = tuple(raw["excluded"]), tuple(raw["forced"])
    return AllocationSettings(**raw)


def _pairs(text: str, what: str) -> dict[str, float]:
    out = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
            if not sep:
                raise ValueError
        except ValueError:
            raise TargetingError(f"{what}: {item!r} is not code=number; write e.g. 01.051=1000000") from None
    return out


def _allocation_form(data, names: dict[str, str]) -> AllocationSettings | None:
    saved: AllocationSettings = st.session_state.get(ALLOCATION_KEY) or AllocationSettings(budget=0.0)
    pct = [l for l in data.layers if l.unit == "%" and l.higher_is_worse]
    targets = [COMPOSITE] + [l.id for l in pct]
    labels = {COMPOSITE: _("composite: population x weighted mean of the need rates"),
              **{l.id: _("{layer} (rate x its denominator)").format(layer=layer_label(l)) for l in pct}}
    with st.form("allocation_form"):
        c1, c2, c3 = st.columns(3)
        budget = c1.number_input(_("Budget"), min_value=0.0, value=float(saved.budget or 0.0), step=1e6, format="%.0f")
        per_person = c2.number_input(_("Cost per person reached"), min_value=0.0, value=float(saved.per_person),
                                     format="%.2f")
        fixed = c3.number_input(_("Fixed cost per funded district"), min_value=0.0, value=float(saved.fixed),
                                format="%.0f")
        c1, c2, c3 = st.columns(3)
        objective = c1.selectbox(_("Objective"), OBJECTIVES, index=OBJECTIVES.index(saved.objective),
                                 format_func=OBJECTIVE_LABELS.get)
        target = c2.selectbox(_("People in need"), targets, format_func=labels.get,
                              index=targets.index(saved.target) if saved.target in targets else 0)
        deciles = c3.slider(_("Deciles classified in need (for the errors)"), 1, 9, int(saved.need_deciles))
        with st.expander(_("Floors, caps, regional shares, excluded and forced districts")):
            floors = st.text_input(_("Floors (code=amount, comma-separated)"),
                                   ",".join(f"{k}={v:g}" for k, v in saved.floors.items()))
            caps = st.text_input(_("Caps (code=amount)"), ",".join(f"{k}={v:g}" for k, v in saved.caps.items()))
            shares = st.text_input(_("Minimum share of the budget per region (region code=share 0-1)"),
                                   ",".join(f"{k}={v:g}" for k, v in saved.region_shares.items()))
            options = list(names)
            excluded = st.multiselect(_("Excluded"), options, [c for c in saved.excluded if c in names],
                                      format_func=lambda c: f"{names[c]} ({c})")
            forced = st.multiselect(_("Forced in"), options, [c for c in saved.forced if c in names],
                                    format_func=lambda c: f"{names[c]} ({c})")
        robust = st.checkbox(_("Robustness over the 1,000 Monte Carlo draws of the weights"), value=saved.draws > 0)
        submitted = st.form_submit_button(_("Allocate"), type="primary")
    if not submitted and saved.budget <= 0:
        st.info(_("Enter a budget and press Allocate."))
        return None
    if submitted:
        try:
            saved = AllocationSettings(
                budget=budget, objective=objective, per_person=per_person, fixed=fixed, target=target,
                need_deciles=deciles, floors=_pairs(floors, "Floors"), caps=_pairs(caps, "Caps"),
                region_shares=_pairs(shares, "Regional shares"), excluded=tuple(excluded), forced=tuple(forced),
                draws=1000 if robust else 0,
            )
        except TargetingError as exc:
            st.error(plain(exc))
            return None
        st.session_state[ALLOCATION_KEY] = saved
    if saved.budget <= 0:
        st.error(_("Budget: give a budget above 0."))
        return None
    return saved


def _coverage_chart(curve: pd.DataFrame) -> alt.Chart:
    return alt.Chart(curve).mark_line(point=True).encode(
        x=alt.X("budget:Q", title=_("budget spent")),
        y=alt.Y("coverage:Q", title=_("share of the people in need reached"), axis=alt.Axis(format="%")),
        color=alt.Color("rule:N", title=None),
        tooltip=["rule:N", alt.Tooltip("budget:Q", format=",.0f"), alt.Tooltip("coverage:Q", format=".1%")],
    )


def _downloads(investment, meta: dict[str, str], level: str) -> None:
    cols = st.columns(4)
    for col, (frame, stem) in zip((cols[:2], cols[2:]), ((investment.table, "plan"),
                                                         (investment.comparison.reset_index(), "comparison"))):
        for c, suffix, label in zip(col, (".csv", ".xlsx"), ("CSV", _("Excel"))):
            what = _("plan") if stem == "plan" else _("comparison")
            c.download_button(f"⬇ {what} {label}", data=lambda f=frame, s=suffix: table_bytes(f, s, meta),
                              file_name=f"{stem}_{level}{suffix}", mime=MIME[suffix], width="stretch",
                              key=f"dl_{stem}{suffix}", on_click="ignore")


def _scenarios(view, settings: AllocationSettings | None, data, result) -> None:
    st.subheader(_("Scenarios"))
    cfg = state.config()
    current = dataclasses.replace(
        Scenario.default(cfg), name=st.text_input(_("Scenario name"), "my scenario"), level=view.level,
        layers=tuple(view.layers), weights=dict(view.weights), theme_weights=dict(view.theme_weights),
        method=view.method, filters={"region": view.region, "area": view.area, "min_population": view.min_population},
        top_k=view.top_n, allocation=settings or AllocationSettings(budget=0.0),
    )
    c1, c2 = st.columns(2)
    c1.download_button(_("⬇ Save this view as a scenario (JSON)"), data=scenario_text(current),
                       file_name=f"{current.name.strip() or 'scenario'}.json".replace("/", "_"),
                       mime="application/json", on_click="ignore", key="dl_scenario")
    uploaded = c2.file_uploader(_("Load a scenario (JSON or TOML)"), type=["json", "toml"], key="scenario_upload")
    if uploaded is None:
        return
    try:
        other = read_scenario(uploaded.getvalue(), cfg, name=uploaded.name)
    except TargetingError as exc:
        st.error(plain(exc))
        return
    if st.button(_("Open scenario '{name}'").format(name=plain(other.name))):
        for key in [k for k in st.session_state if str(k).startswith("w_")]:
            del st.session_state[key]
        sidebar.set_view(view.replace(
            level=other.level, layers=other.layers, weights=dict(other.weights),
            theme_weights=dict(other.theme_weights), normalisation=other.method.normalisation,
            aggregation=other.method.aggregation, missing=other.method.missing,
            region=str(other.filters.get("region", "")), area=str(other.filters.get("area", "all")),
            min_population=int(other.filters.get("min_population", 0)), top_n=int(other.top_k)))
        if other.allocation.budget > 0:
            st.session_state[ALLOCATION_KEY] = other.allocation
        st.rerun()
    _compare_with(other, view, data, result, settings)


def _compare_with(other: Scenario, view, data, result, settings) -> None:
    st.markdown(_("**This view (A) against scenario '{name}' (B)**").format(name=plain(other.name)))
    if other.level != view.level:
        st.info(_("Scenario B is for level {level!r}; switch the level to {level!r} to compare.").format(
            level=plain(other.level)))
        return
    b_view = view.replace(layers=other.layers, weights=dict(other.weights), theme_weights=dict(other.theme_weights),
                          normalisation=other.method.normalisation, aggregation=other.method.aggregation,
                          missing=other.method.missing)
    try:
        _b_data, b_table, b_result = state.scored(b_view)
    except TargetingError as exc:
        st.error(plain(exc))
        return
    k = st.slider(_("Top k"), 1, min(100, len(data.values)), min(view.top_n or 10, len(data.values)), key="cmp_k")
    ranks = compare_rankings(result.table["rank"], b_result.table["rank"], k)
    ranks.insert(0, "name", data.districts["name"].reindex(ranks.index))
    moved = ranks[ranks["change"].isin([f"enters the top {k}", f"leaves the top {k}"])]
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Mean absolute rank shift"), format_number(ranks["shift"].abs().mean(), 1))
    c2.metric(_("Enter the top {k}").format(k=k), int((ranks["change"] == f"enters the top {k}").sum()))
    c3.metric(_("Leave the top {k}").format(k=k), int((ranks["change"] == f"leaves the top {k}").sum()))
    top = ranks[(ranks["rank_a"] <= k) | (ranks["rank_b"] <= k)].reset_index(names="code")
    slope = pd.concat([top.assign(scenario="A", rank=top["rank_a"]), top.assign(scenario="B", rank=top["rank_b"])])
    slope["rank"] = slope["rank"].astype(float)
    chart = alt.Chart(slope).mark_line(point=True).encode(
        x=alt.X("scenario:N", title=None), y=alt.Y("rank:Q", scale=alt.Scale(reverse=True)),
        detail="code:N", color=alt.Color("change:N", title=None), tooltip=["name:N", "code:N", "rank:Q", "change:N"])
    st.altair_chart(chart, width="stretch")
    st.dataframe(moved if len(moved) else ranks.head(0), width="stretch")
    _data, table, _result = state.scored(view)
    _map(view, table, _shift_class(ranks["shift"]), "Rank change from A to B (up = more in need under B)",
         f"shift_map_{view.level}", categories=SHIFT_COLOURS)
    if settings is not None and other.allocation.budget > 0:
        try:
            a = _investment(view, data, result, settings)
            b = _investment(b_view, *state.scored(b_view)[::2], other.allocation)
        except TargetingError as exc:
            st.error(plain(exc))
            return
        diff = compare_allocations(a.plan.table["amount"], b.plan.table["amount"])
        diff.insert(0, "name", data.districts["name"].reindex(diff.index))
        st.markdown(_("Difference in allocation (B - A), largest first"))
        st.dataframe(diff.head(30), width="stretch")


def _investment(view, data, result, settings: AllocationSettings):
    key = state._settings_key(view, data)
    unc = state.monte_carlo(view, data, result) if settings.draws else None
    with st.spinner(_("Allocating the budget…")):
        return _invest(view.level, key, json.dumps(settings.as_dict(), sort_keys=True), state._data_key(view),
                       data, result, unc, get_language())


def _monitoring(view, data, plan_codes: list[str]) -> None:
    st.subheader(_("Monitoring: the funded districts against similar ones"))
    cfg = state.config()
    if cfg.change is None:
        st.info(_("No earlier vintage is configured ([change] section): monitoring compares two vintages."))
        return
    before_label, after_label = cfg.change.labels
    sources = {"the plan above": _("the plan above"), "a list (CSV with a code column)": _("a list (CSV with a code column)")}
    source = st.radio(_("Districts that received the intervention"), list(sources), format_func=sources.get,
                      horizontal=True, key="monitor_source")
    codes = plan_codes
    if source.startswith("a list"):
        up = st.file_uploader(_("List of districts"), type=["csv"], key="monitor_upload")
        if up is None:
            return
        try:
            frame = pd.read_csv(up, dtype=str)
        except (ValueError, UnicodeDecodeError) as exc:
            st.error(_("{file}: not a readable CSV file ({error}).").format(file=plain(up.name), error=plain(exc)))
            return
        if "code" not in frame.columns:
            st.error(_("{file}: no column 'code'; columns: {columns}. Name the column of district "
                       "codes 'code'.").format(file=plain(up.name), columns=plain(list(frame.columns))))
            return
        codes = [c.strip() for c in frame["code"].dropna()]
    if not codes:
        st.info(_("No district to monitor."))
        return
    k = st.slider(_("Matches per district"), 1, 10, 3, key="monitor_k")
    try:
        change = state.change(view.level, 0.0, None)
        hiw = {l.id: l.higher_is_worse for l in change.layers}
        result = matched_change(change.before, change.after, codes, higher_is_worse=hiw, k=k)
    except TargetingError as exc:
        st.error(plain(exc))
        return
    st.caption(_("{before} -> {after}. Matching: {matching}. **{caveat}**").format(
        before=plain(before_label), after=plain(after_label), matching=plain(result.matching),
        caveat=plain(_(result.caveat))))
    labels = {l.id: layer_label(l) for l in change.layers}
    table = result.table.rename(index=labels)
    st.dataframe(table.style.format("{:.2f}"), width="stretch")


def render() -> None:
    view = sidebar.render_sidebar(map_controls=False)
    st.title(_("Invest"))
    st.caption(_("From a ranking to a budget: who gets how much, how that compares with the usual rules, and how "
               "firm it is under other weights."))
    scored = state.scored_or_error(view)
    if scored is None:
        return
    data, table, result = scored
    names = data.districts["name"].astype(str).to_dict()
    settings = _allocation_form(data, names)
    investment = None
    if settings is not None:
        try:
            investment = _investment(view, data, result, settings)
        except TargetingError as exc:
            st.error(plain(exc))
    if investment is not None:
        plan = investment.plan
        c1, c2, c3, c4 = st.columns(4)
        row = investment.comparison.iloc[-1]
        c1.metric(_("Districts funded"), _("{funded} of {n}").format(
            funded=int(plan.table["funded"].sum()), n=len(plan.table)))
        c2.metric(_("People in need reached"), format_number(row["in_need_reached"], 0))
        c3.metric(_("Coverage of the people in need"), format_percent(100 * row["coverage"], 1))
        c4.metric(_("Budget to the top decile"), format_percent(100 * row["top_decile_share"], 1))
        st.caption(_("Solver: {solver}.").format(solver=plain(plan.solver)) + " "
                   + " ".join(plain(n) for n in investment.notes))
        shown = investment.table[investment.table["amount"] > 0]
        st.dataframe(shown, width="stretch", hide_index=True)
        per_person = plan.table["amount"] / data.population.reindex(plan.table.index)
        _map(view, table, per_person, _("Amount per person (0: not funded)"), f"plan_map_{view.level}")
        fragile = investment.table[investment.table["fragile"]]
        if len(fragile):
            st.warning(plain(ngettext("{n} funded district is funded in fewer than half of the Monte Carlo draws: ",
                                      "{n} funded districts are funded in fewer than half of the Monte Carlo draws: ",
                                      len(fragile)).format(n=len(fragile)))
                       + ", ".join(plain(n) for n in fragile["name"].head(15)))
        st.subheader(_("Against the usual rules"))
        st.dataframe(investment.comparison, width="stretch")
        st.altair_chart(_coverage_chart(investment.curve), width="stretch")
        meta = export_metadata(state.config(), data, result, weights=view.weights, theme_weights=view.theme_weights)
        meta.update(investment_metadata(settings, investment))
        _downloads(investment, meta, view.level)
    _scenarios(view, settings, data, result)
    funded = [] if investment is None else investment.plan.table.index[investment.plan.table["funded"]].tolist()
    _monitoring(view, data, [str(c) for c in funded])


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it (tests) draws nothing
    render()
