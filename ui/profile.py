"""A district's profile: why it ranks where it does. Used by several pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from geo.dataset import LevelData, reference_values
from geo.sampling import few_people_note
from geo.explain import district_sentence, profile_table
from geo.labels import category_label, column_help, column_label, theme_colour, value_label
from geo.scoring import ScoreResult
from ui import state
from geo.i18n import N_, _, direction, format_int, format_number, format_percent
from ui import lang
from ui.text import plain

if TYPE_CHECKING:  # altair takes a while to import: only when a district's charts are drawn
    import altair as alt


@st.cache_data(show_spinner=False, max_entries=16)
def _references(level: str, _data: LevelData, data_key: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    national = reference_values(_data)
    region_col = "region_code" if "region_code" in _data.districts else "parent_code"
    regional = reference_values(_data, _data.districts[region_col].astype(str))
    return national, regional


def top_contributions(result: ScoreResult, labels: dict[str, str], n: int = 3) -> pd.Series:
    """Per district, its ``n`` largest layer contributions as text (vectorised: one sort for all)."""
    contrib = result.contributions.fillna(0.0)
    values = contrib.to_numpy()
    names = np.array([labels.get(c, c) for c in contrib.columns], dtype=object)
    order = np.argsort(-values, axis=1)[:, :n]
    top = np.take_along_axis(values, order, axis=1)
    texts = [
        ", ".join(f"{names[j]} ({format_number(v, 1)})" for j, v in zip(idx, vals) if v > 0) or _("none")
        for idx, vals in zip(order, top)
    ]
    return pd.Series(texts, index=contrib.index, dtype=object)


def profile_frame(data: LevelData, table: pd.DataFrame, result: ScoreResult, code: str) -> pd.DataFrame:
    """One row per layer, largest contribution first (see :func:`geo.explain.profile_table`)."""
    key = tuple(sorted(data.values.columns))
    national, regional = _references(data.level, data, key)
    region_col = "region_code" if "region_code" in data.districts else "parent_code"
    themes = {l.theme: state.config().theme_label(l.theme) for l in data.layers}
    return profile_table(data, result, code, national, regional, str(data.districts.at[code, region_col]),
                         theme_labels=themes)


# Words of the profile, in one place.
TEXT = {
    "pick": N_("Select a district on the map or in the table to see its profile."),
    "rank": N_("Rank"),
    "score": N_("Need score"),
    "tenth": N_("Tenth"),
    "coverage": N_("Data available"),
    "likely": N_("Likely rank"),
    "likely_help": N_("5th to 95th percentile of the rank over 1,000 Monte Carlo draws of weights, "
                   "normalisation and aggregation"),
    "tenth_help": N_("Decile of the score: 1 = the tenth of districts most in need"),
    "contrib": N_("What adds up to the score (points), largest first, coloured by theme"),
    "table": N_("Every indicator against the country and the region"),
    "note": N_("National and regional figures are aggregated from this level's districts, rates weighted "
            "by their denominators."),
}


def _contribution_chart(frame: pd.DataFrame) -> alt.Chart:
    """Horizontal bars of the contributions, largest first, coloured by theme, full labels."""
    import altair as alt

    bars = frame.dropna(subset=["contribution"]).copy()
    bars["label"] = bars["layer"].astype(str)
    themes = list(dict.fromkeys(bars["theme"]))
    colours = [theme_colour(t) for t in dict.fromkeys(bars["theme_id"])]
    return alt.Chart(bars).mark_bar().encode(
        x=alt.X("contribution:Q", title=_("points of the score")),
        y=alt.Y("label:N", sort=bars["label"].tolist(), title=None,
                axis=alt.Axis(labelLimit=0, labelFontSize=12, labelColor="#222")),
        color=alt.Color("theme:N", scale=alt.Scale(domain=themes, range=colours),
                        legend=alt.Legend(title=None, orient="bottom", direction="vertical", labelLimit=0)),
        tooltip=[alt.Tooltip("label:N", title=_("layer")), alt.Tooltip("theme:N"),
                 alt.Tooltip("contribution:Q", format=".2f")],
    ).properties(height=22 * len(bars) + 10)


def render_profile(data: LevelData, table: pd.DataFrame, result: ScoreResult, code: str, *,
                   large: bool = False, extra: pd.DataFrame | None = None,
                   draws: pd.Series | None = None, compact: bool = False) -> None:
    """Draw the profile of district ``code``.

    ``extra`` (the analytics table) adds the rank interval, pocket and need x readiness; ``draws``
    (the district's rank in each Monte Carlo draw) adds the rank distribution. ``compact`` keeps
    the long parts (rank distribution, indicator table) in expanders, for a profile beside the map.
    """
    if code not in table.index:
        st.info(_(TEXT["pick"]))
        return
    row = table.loc[code]
    ranked = int(table["rank"].notna().sum())
    title = lang.both_scripts(row["name"], row.get("name_ar")) + (
        (f" · \u2068{row['parent_name']}\u2069" if direction() == "rtl" else f" · {row['parent_name']}")
        if pd.notna(row["parent_name"]) else "")  # isolated in a right-to-left page: the scripts keep their order
    (st.header if large else st.subheader)(plain(title))
    frame = profile_frame(data, table, result, code)
    st.markdown(f"**{plain(district_sentence(table, code, frame, extra))}**")
    cols = st.columns(2 if compact else 4)
    cols = cols * 2 if compact else cols
    cols[0].metric(_(TEXT["rank"]), "–" if pd.isna(row["rank"]) else _("{rank} of {ranked}").format(rank=int(row["rank"]), ranked=format_int(ranked)))
    cols[1].metric(_(TEXT["score"]), "–" if pd.isna(row["score"]) else format_number(row["score"], 1))
    cols[2].metric(_(TEXT["tenth"]), "–" if pd.isna(row["decile"]) else _("{decile} of 10").format(decile=int(row["decile"])),
                   help=_(TEXT["tenth_help"]))
    cols[3].metric(_(TEXT["coverage"]), format_percent(100 * row["data_coverage"], 0), help=column_help("data_coverage"))
    if extra is not None and code in extra.index:
        a = extra.loc[code]
        facts = []  # (label, value) pairs, shown as "**label:** value"
        if pd.notna(a.get("rank_p05")):
            facts.append((_(TEXT["likely"]), _("{low} to {high}").format(low=f"{a['rank_p05']:.0f}",
                                                                          high=f"{a['rank_p95']:.0f}")))
        if isinstance(a.get("cluster"), str):
            facts.append((column_label("cluster"), category_label("cluster", a["cluster"])))
        if isinstance(a.get("quadrant"), str):
            facts.append((column_label("quadrant"), value_label(a["quadrant"])))
        if facts:
            st.markdown(" · ".join(f"**{plain(label)}:** {plain(value)}" for label, value in facts), help=f"{_(TEXT['likely_help'])}. {column_help('cluster')}")
    interval = (extra.at[code, "rank_p05"], extra.at[code, "rank_p95"]) \
        if extra is not None and code in extra.index and "rank_p05" in extra else None
    few = few_people_note(data.population, code, interval=interval)
    if few:
        st.info(plain(few))
    if code in result.unscored.index:
        st.warning(plain(_("Not scored: {reason}.").format(reason=result.unscored.at[code, "reason"])))
    if len(frame) and frame["contribution"].notna().any():
        st.caption(_(TEXT["contrib"]))
        st.altair_chart(_contribution_chart(frame), width="stretch")
    if draws is not None and draws.notna().any() and pd.notna(row["rank"]):
        if compact:
            with st.expander(_("How sure is the rank?")):
                _rank_distribution(draws, int(row["rank"]), ranked)
        else:
            _rank_distribution(draws, int(row["rank"]), ranked)
    if compact:
        with st.expander(_(TEXT["table"])):
            _indicator_table(frame, code, row)
    else:
        st.caption(_(TEXT["table"]))
        _indicator_table(frame, code, row)


def _indicator_table(frame: pd.DataFrame, code: str, row: pd.Series) -> None:
    shown = frame[["layer", "value", "unit", "national", "regional", "contribution", "weight", "normalised",
                   "direction", "theme", "source"]] if len(frame) else frame
    st.dataframe(
        shown, hide_index=True, width="stretch",
        column_config={
            "layer": st.column_config.TextColumn(_("indicator"), width="large"),
            "value": st.column_config.NumberColumn(_("value"), format="%.2f"),
            "unit": st.column_config.TextColumn(_("unit")),
            "national": st.column_config.NumberColumn(_("country"), format="%.2f"),
            "regional": st.column_config.NumberColumn(_("region"), format="%.2f"),
            "normalised": st.column_config.NumberColumn(_("need score (0-100)"), format="%.1f",
                                                        help=_("The value rescaled to 0-100 (normalisation)")),
            "weight": st.column_config.NumberColumn(_("weight"), format="%.3f",
                                                    help=_("Effective weight, after rescaling within and across themes")),
            "contribution": st.column_config.NumberColumn(_("points"), format="%.2f",
                                                          help=_("Contribution to the score: weight x need score")),
            "direction": st.column_config.TextColumn(_("direction")),
        },
    )
    st.caption(_("Code {code}. Population {population}.").format(code=plain(code), population=format_number(row["population"], 0))
               + " " + _(TEXT["note"]))


def rank_histogram(draws: pd.Series) -> pd.DataFrame:
    """Share of the draws giving each rank (ranks never reached are left out).

    Examples
    --------
    >>> rank_histogram(pd.Series([2.0, 1.0, 2.0, None]))
       rank  share
    0     1  0.333
    1     2  0.667
    """
    ranks = draws.dropna().astype(int)
    counts = ranks.value_counts().sort_index()
    return pd.DataFrame({"rank": counts.index.to_numpy(), "share": (counts / len(ranks)).round(3).to_numpy()})


def _rank_distribution(draws: pd.Series, rank: int, ranked: int) -> None:
    import altair as alt

    hist = rank_histogram(draws)
    n = int(draws.notna().sum())
    st.caption(_("Rank over {n} Monte Carlo draws of weights, normalisation and aggregation "
                 "(line: rank with the chosen settings, {rank} of {ranked})").format(
        n=format_number(n), rank=int(rank), ranked=format_number(ranked)))
    bars = alt.Chart(hist).mark_bar(color="#bd0026").encode(
        x=alt.X("rank:Q", title=_("rank (1 = most in need)"), scale=alt.Scale(domain=[0.5, ranked + 0.5], nice=False)),
        y=alt.Y("share:Q", title=_("share of draws"), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("rank:Q", title=_("rank")), alt.Tooltip("share:Q", format=".1%", title=_("share of draws"))],
    )
    rule = alt.Chart(pd.DataFrame({"rank": [rank]})).mark_rule(color="#111", strokeDash=[4, 3]).encode(x="rank:Q")
    st.altair_chart(bars + rule, width="stretch", height=160)
