"""Data & method: every layer's source, the join reports, and the exact formula in use."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.errors import TargetingError
from geo.i18n import _, format_int, format_number, format_percent, layer_label, licence_text, ngettext, source_text
from geo.io import neutralise_formulas
from geo.labels import column_label
from ui import lang, sidebar, state
from ui.sidebar import AGGREGATION_LABELS, MISSING_LABELS, NORMALISATION_LABELS
from ui.text import plain

NORM_FORMULA = {
    "minmax": r"x'_{ij} = 100\,\frac{\tilde x_{ij} - \min_i \tilde x_{ij}}{\max_i \tilde x_{ij} - \min_i \tilde x_{ij}}",
    "zscore": r"x'_{ij} = \frac{\tilde x_{ij} - \bar{\tilde x}_j}{s_j}",
    "rank": r"x'_{ij} = 100\,\frac{\operatorname{rank}_i(\tilde x_{ij})}{N}",
}
AGG_FORMULA = {
    "arithmetic": r"S_i = \frac{\sum_{j \in A_i} w_j\, x'_{ij}}{\sum_{j \in A_i} w_j}",
    "geometric": r"S_i = \exp\!\left(\frac{\sum_{j \in A_i} w_j \ln x'_{ij}}{\sum_{j \in A_i} w_j}\right)",
}


def render() -> None:
    view = sidebar.render_sidebar(map_controls=False)
    st.title(_("Data & method"))
    scored = state.scored_or_error(view)
    if scored is None:
        return
    data, table, result = scored
    st.subheader(_("Layers"))
    rows = [{
        _("layer"): layer_label(l), "id": l.id, _("theme"): _(state.config().theme_label(l.theme)), _("unit"): _(l.unit),
        _("direction"): _(l.direction), _("kind"): _(l.kind),
        _("effective weight"): float(result.effective_weights.get(l.id, 0.0)),
        _("districts with data"): f"{int(data.values[l.id].notna().sum())} / {len(data.values)}",
        _("source"): source_text(l.source), _("year"): l.source.year, _("licence"): licence_text(l.source),
        _("description"): _(l.description) if l.description else "",
    } for l in data.layers]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={_("effective weight"): st.column_config.NumberColumn(format="%.3f")})

    st.subheader(_("Data checks (JRC/OECD handbook, as in A2SIT)"))
    from geo.quality import indicator_checks

    chosen = [l for l in data.layers if l.id in result.normalised.columns]
    checks = indicator_checks(data.values[[l.id for l in chosen]], {l.id: l.theme for l in chosen},
                              {l.id: l.higher_is_worse for l in chosen})
    st.caption(_("Flags: availability below {low}, more than {same} identical values, |correlation| above {high} "
                 "with another layer (double counting), correlation below {negative} with the rest of its "
                 "theme.").format(low=format_percent(66, 0), same=format_percent(50, 0),
                                  high=format_number(0.9, 1), negative=format_number(-0.4, 1)))
    checks = checks.rename(index={l.id: layer_label(l) for l in chosen})
    checks = checks.assign(most_correlated_with=checks["most_correlated_with"].map(
        lambda i: next((layer_label(l) for l in chosen if l.id == i), i)))
    st.dataframe(checks.rename_axis(column_label("layer")), width="stretch",
                 column_config=lang.headers(checks.columns))

    st.subheader(_("Index checks: does the score hold up?"))
    from geo.quality import index_checks

    cfg = state.config()
    th = cfg.checks
    try:
        ichecks = index_checks(data.values[[l.id for l in chosen]], result, {l.id: l.theme for l in chosen},
                               {l.id: l.higher_is_worse for l in chosen}, population=data.population,
                               names=data.districts["name"].astype(str).to_dict(), thresholds=th)
    except TargetingError as exc:
        st.error(plain(exc))
    else:
        st.caption(_(
            "Per layer: its effective weight (flag above {max_weight}), its share of the score's variance "
            "(cov(contribution, score) / var(score); flag above {max_variance_share}), its first-order "
            "importance (the squared correlation ratio of the score on the layer, Paruolo, Saisana & Saltelli "
            "2013) as a share beside its weight (flag under {importance_ratio} of it), the interquartile "
            "range and median of its normalised values (squashed: IQR under {squashed_iqr} points with a "
            "median above {squashed_median}), and the COINr outlier rule (|skewness| > 2 and kurtosis > "
            "3.5) with the treatment applied (outliers = {outliers}). Per theme: Cronbach's alpha "
            "(flag under {min_alpha}) and the most correlated theme (flag above {max_theme_corr})."
        ).format(max_weight=format_percent(100 * th.max_weight, 0),
                 max_variance_share=format_percent(100 * th.max_variance_share, 0),
                 importance_ratio=format_number(th.importance_ratio, None),
                 squashed_iqr=format_number(th.squashed_iqr, None), squashed_median=format_number(th.squashed_median, None),
                 outliers=plain(result.method.outliers), min_alpha=format_number(th.min_alpha, None),
                 max_theme_corr=format_number(th.max_theme_corr, None))
        )
        for message in ichecks.messages:
            st.warning(plain(message))
        if not ichecks.messages:
            st.success(_("No flag raised."))
        labels = {l.id: layer_label(l) for l in chosen}
        shown = ichecks.layers.assign(layer=[labels.get(i, i) for i in ichecks.layers.index],
                                      theme=[_(cfg.theme_label(t)) for t in ichecks.layers["theme"]],
                                      treatment=ichecks.layers["treatment"].map(treatment_label))
        shown = shown.set_index("layer").rename_axis(column_label("layer"))
        st.dataframe(shown, width="stretch", column_config=lang.headers(shown.columns, config={
            c: st.column_config.NumberColumn(format="%.3f") for c in
            ("weight", "variance_share", "importance", "importance_share", "iqr", "median", "skewness", "kurtosis")}))
        themes = ichecks.themes.rename(index=lambda t: _(cfg.theme_label(t)))
        if "most_correlated_theme" in themes:
            themes["most_correlated_theme"] = themes["most_correlated_theme"].map(
                lambda t: _(cfg.theme_label(t)) if isinstance(t, str) else t)
        st.dataframe(themes.rename_axis(column_label("theme")), width="stretch",
                     column_config=lang.headers(themes.columns))

    st.subheader(_("The formula with the current settings"))
    lower = _(" (1-100 with geometric aggregation, so that no value is 0)") if view.aggregation == "geometric" else ""
    st.markdown(
        _("1. **Direction**: $\\tilde x_{{ij}} = x_{{ij}}$ when higher is worse, $-x_{{ij}}$ otherwise.\n"
          "   **Outliers** ({outliers}): a layer meeting the COINr rule (|skewness| > 2 and kurtosis > 3.5) "
          "has its most extreme values set to the next one, up to 5 points, else is log-transformed; the treated "
          "layers are listed in the index checks above.\n"
          "2. **Normalisation** ({normalisation}){lower}:").format(
            normalisation=plain(_(NORMALISATION_LABELS.get(view.normalisation, view.normalisation))),
            lower=plain(lower), outliers=plain(result.method.outliers))
    )
    st.latex(NORM_FORMULA[view.normalisation])
    st.markdown(
        _("3. **Weights**: a layer's weight $v_j$ is divided by the sum of its theme's weights, and the theme's "
          "weight $u_t$ by the sum of the themes' weights: $w_j = \\frac{{u_{{t(j)}}}}{{\\sum_t u_t}} \\cdot "
          "\\frac{{v_j}}{{\\sum_{{k \\in t(j)}} v_k}}$ (the effective weights above).\n"
          "4. **Aggregation** ({aggregation}) over the layers $A_i$ district $i$ has:").format(
            aggregation=plain(_(AGGREGATION_LABELS.get(view.aggregation, view.aggregation))))
    )
    st.latex(AGG_FORMULA[view.aggregation])
    coverage = state.config().method.min_coverage
    missing = (_("districts with data for less than {coverage} of the effective weight get no score").format(
                   coverage=format_percent(100 * coverage, 0)) if view.missing == "renormalise"
               else _("only districts with every layer get a score"))
    st.markdown(
        _("5. **Missing data** ({missing_policy}): data coverage $c_i = \\sum_{{j \\in A_i}} w_j$; {missing}; "
          "unscored districts are listed, never dropped.\n"
          "6. **Rank** 1 = highest score; ties share the best rank; decile "
          "$= \\lfloor (r_i - 1) \\cdot 10 / N \\rfloor + 1$.\n\n"
          "Method: JRC/OECD *Handbook on Constructing Composite Indicators* (2008), as implemented by COINr.").format(
            missing_policy=plain(_(MISSING_LABELS.get(view.missing, view.missing))), missing=plain(missing))
    )
    for note in result.notes:
        st.info(plain(note))

    st.subheader(_("Sensitivity: which choice moves the ranking"))
    st.caption(_("Over the 1,000 Monte Carlo draws behind the rank intervals (each weight x U(0.75, 1.25), "
                 "normalisation and aggregation drawn among the valid pairs): the share of the variance of the "
                 "ranks each choice explains alone (first-order, variance-based; the rest comes from "
                 "interactions). A large share for the method means the ranking depends more on how indicators "
                 "are normalised and combined than on the exact weights."))
    try:
        sens = state.sensitivity(view, data, result)
    except TargetingError as exc:
        st.error(plain(exc))
    else:
        share = _("share of rank variance")
        sens = sens.rename(index=lambda f: factor_label(f, data.layers), columns={"first_order": share})
        sens.index.name = _("choice")
        st.dataframe(sens, width="stretch",
                     column_config={share: st.column_config.ProgressColumn(
                         format="percent", min_value=0.0, max_value=1.0)})

    st.subheader(_("Join reports"))
    st.text("\n".join(data.report_lines(full=True)))
    unmatched = state.reports_frame(data)
    if len(unmatched):
        st.dataframe(unmatched, hide_index=True, width="stretch")
        st.download_button(
            _("Download the join report (CSV)"), neutralise_formulas(unmatched).to_csv(index=False).encode("utf-8"),
            file_name=f"join_report_{data.level}.csv", mime="text/csv",
            help=_("Every district without data, table row not used, merge, split, suggested crosswalk line and "
                   "point not counted; accepted suggestions go into the table's crosswalk file."),
        )
    else:
        st.success(_("Every district matched a row, every row matched a district and every point lies in one."))


def treatment_label(treatment: str) -> str:
    """An outlier treatment (``"none"``, ``"winsorised 2 point(s)"``, ``"log-transformed"``) in the page's language."""
    kind, _sep, rest = treatment.partition(" ")
    if kind == "winsorised" and rest.split(" ")[0].isdigit():
        n = int(rest.split(" ")[0])
        return ngettext("winsorised {n} point", "winsorised {n} points", n).format(n=format_int(n))
    return {"none": _("none"), "log-transformed": _("log-transformed")}.get(treatment, treatment)


def factor_label(factor: str, layers) -> str:
    """A sensitivity factor (``"weight: illiteracy"``, ``"method"``...) as the page's language says it."""
    by_id = {layer.id: layer for layer in layers}
    kind, _sep, name = factor.partition(": ")
    if kind == "weight" and name in by_id:
        return _("weight of {layer}").format(layer=layer_label(by_id[name]))
    if kind == "theme weight":
        return _("weight of the theme {theme}").format(theme=state.theme_labels().get(name, name))
    return {"method": _("normalisation and aggregation"), "left out": _("layer left out"),
            "data": _("data drawn within their margins of error")}.get(factor, factor)


render()
