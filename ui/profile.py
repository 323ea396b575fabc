"""A district's profile: why it ranks where it does. Used by several pages."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from geo.dataset import LevelData, reference_values
from geo.sampling import few_people_note
from geo.scoring import ScoreResult
from ui import state
from geo.i18n import _, format_number, format_percent, layer_label, licence_text, source_text, value_label
from ui import lang
from ui.text import plain


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
    """One row per layer: value, national and regional figures, normalised value, weight, contribution."""
    key = tuple(sorted(data.values.columns))
    national, regional = _references(data.level, data, key)
    region_col = "region_code" if "region_code" in data.districts else "parent_code"
    region = str(data.districts.at[code, region_col])
    rows = []
    for layer in data.layers:
        if layer.id not in result.normalised.columns:
            continue
        rows.append({
            "theme": _(state.config().theme_label(layer.theme)),
            "layer": layer_label(layer),
            "value": data.values.at[code, layer.id],
            "unit": _(layer.unit),
            "national": national.at["all", layer.id] if layer.id in national else None,
            "regional": regional.at[region, layer.id] if region in regional.index else None,
            "direction": _(layer.direction),
            "normalised": result.normalised.at[code, layer.id],
            "weight": result.effective_weights.get(layer.id, 0.0),
            "contribution": result.contributions.at[code, layer.id],
            "source": f"{source_text(layer.source)}, {layer.source.year} ({licence_text(layer.source)})",
        })
    return pd.DataFrame(rows)


def render_profile(data: LevelData, table: pd.DataFrame, result: ScoreResult, code: str, *,
                   large: bool = False, extra: pd.DataFrame | None = None,
                   draws: pd.Series | None = None) -> None:
    """Draw the profile of district ``code``.

    ``extra`` (the analytics table) adds the rank interval, cluster and quadrant; ``draws`` (the
    district's rank in each Monte Carlo draw) adds the rank distribution.
    """
    if code not in table.index:
        st.info(_("Select a district on the map or in the table to see its profile."))
        return
    row = table.loc[code]
    ranked = int(table["rank"].notna().sum())
    title = lang.both_scripts(row["name"], row.get("name_ar")) + (
        f" · {row['parent_name']}" if pd.notna(row["parent_name"]) else "")
    (st.header if large else st.subheader)(plain(title))
    cols = st.columns(4)
    cols[0].metric(_("Rank"), _("not ranked") if pd.isna(row["rank"]) else _("{rank} of {n}").format(
        rank=int(row["rank"]), n=format_number(ranked)))
    cols[1].metric(_("Decile"), "–" if pd.isna(row["decile"]) else _("{decile} (1 = most in need)").format(
        decile=int(row["decile"])))
    cols[2].metric(_("Score"), _("no score") if pd.isna(row["score"]) else format_number(row["score"], 1))
    cols[3].metric(_("Data coverage"), format_percent(100 * row["data_coverage"], 0))
    if extra is not None and code in extra.index:
        a = extra.loc[code]
        c = st.columns(3)
        interval = "–" if pd.isna(a.get("rank_p05")) else f"{a['rank_p05']:.0f} – {a['rank_p95']:.0f}"
        c[0].metric(_("Rank interval (5-95 %)"), interval,
                    help=_("Ranks over 1,000 Monte Carlo draws of weights, normalisation and aggregation"))
        c[1].metric(_("Cluster"), str(value_label(a.get("cluster", "–"))),
                    help=_("Local Moran's I on the score: HH = part of a pocket. Getis-Ord Gi*: {hotspot}").format(
                        hotspot=value_label(a.get("hotspot", "–"))))
        c[2].metric(_("Need x readiness"), str(value_label(a.get("quadrant") or "–")))
    interval = (extra.at[code, "rank_p05"], extra.at[code, "rank_p95"]) \
        if extra is not None and code in extra.index and "rank_p05" in extra else None
    few = few_people_note(data.population, code, interval=interval)
    if few:
        st.info(plain(few))
    if code in result.unscored.index:
        st.warning(_("Not scored: {reason}.").format(reason=plain(result.unscored.at[code, "reason"])))
    if draws is not None and draws.notna().any() and pd.notna(row["rank"]):
        _rank_distribution(draws, int(row["rank"]), ranked)
    frame = profile_frame(data, table, result, code)
    contrib = frame.set_index("layer")["contribution"].dropna()
    if len(contrib):
        st.caption(_("Contribution of each layer to the score (points; they add up to the score)"))
        st.bar_chart(contrib.sort_values(ascending=False), horizontal=True, height=max(200, 24 * len(contrib)))
    st.dataframe(
        frame, hide_index=True, width="stretch",
        column_config=lang.headers(frame.columns, config={
            "theme": st.column_config.TextColumn(_("theme")),
            "layer": st.column_config.TextColumn(_("layer")),
            "value": st.column_config.NumberColumn(_("value"), format="%.2f"),
            "unit": st.column_config.TextColumn(_("unit")),
            "national": st.column_config.NumberColumn(_("national"), format="%.2f"),
            "regional": st.column_config.NumberColumn(_("regional"), format="%.2f"),
            "direction": st.column_config.TextColumn(_("direction")),
            "normalised": st.column_config.NumberColumn(_("normalised"), format="%.1f"),
            "weight": st.column_config.NumberColumn(_("effective weight"), format="%.3f"),
            "contribution": st.column_config.NumberColumn(_("contribution"), format="%.2f"),
            "source": st.column_config.TextColumn(_("source")),
        }),
    )
    st.caption(_("Code {code}. Population {population}. National and regional figures are "
                 "aggregated from this level's districts, rates weighted by their denominators.").format(
        code=plain(code), population=format_number(row["population"])))


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
