"""Properties of the engine on arbitrary tables and settings (hypothesis).

Whatever the values (missing patterns, duplicates, extremes such as 1e300,
-0.0, subnormals or infinities) and the settings (normalisation, aggregation,
missing-data policy, outlier rule, weights including zeros), the engine either
raises a :class:`~geo.errors.TargetingError` or returns:

- every input district, in order, scored or listed in ``unscored`` with a reason;
- competition ranks (1 + the number of higher scores), so a permutation of 1..N
  when there are no ties;
- scores and theme sub-indices in the documented range of the normalisation;
- joins in which every district and every table row is matched or reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import TargetingError
from geo.join import join_table
from geo.scoring import AGGREGATIONS, MISSING_POLICIES, NORMALISATIONS, OUTLIER_TREATMENTS, Method, score

PROPERTY = settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

EXTREMES = [0.0, -0.0, 1.0, -1.0, 1e300, -1e300, 1.7e308, 5e-324, 1e-300, 100.0, np.nan]
cell = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.none(),
)
RANGES = {"minmax": (0.0, 100.0), "rank": (0.0, 100.0), "zscore": (-np.inf, np.inf)}


@st.composite
def tables(draw):
    n = draw(st.integers(1, 25))
    layers = [f"l{i}" for i in range(draw(st.integers(1, 4)))]
    values = pd.DataFrame(
        {lid: [draw(cell) for _ in range(n)] for lid in layers},
        index=pd.Index([f"{i:03d}" for i in range(n)], name="code"),
        dtype=float,
    )
    if draw(st.integers(0, 9)) == 0:
        values.iloc[draw(st.integers(0, n - 1)), 0] = draw(st.sampled_from([np.inf, -np.inf]))
    themes = {lid: draw(st.sampled_from(["need_a", "need_b", "ready"])) for lid in layers}
    direction = {lid: draw(st.booleans()) for lid in layers}
    weights = {lid: draw(st.sampled_from([0.0, 0.0, 0.5, 1.0, 3.0, 1e-12, 1e12])) for lid in layers}
    theme_weights = {t: draw(st.sampled_from([0.0, 1.0, 2.0])) for t in set(themes.values())}
    return values, themes, direction, weights, theme_weights


methods = st.builds(
    Method,
    normalisation=st.sampled_from(NORMALISATIONS),
    aggregation=st.sampled_from(AGGREGATIONS),
    missing=st.sampled_from(MISSING_POLICIES),
    min_coverage=st.sampled_from([0.0, 0.5, 1.0]),
    outliers=st.sampled_from(OUTLIER_TREATMENTS),
)


@PROPERTY
@given(case=tables(), data=st.data())
def test_score_is_total_ranked_and_in_range(case, data):
    values, themes, direction, weights, theme_weights = case
    try:
        method = data.draw(methods)
    except TargetingError:
        return  # e.g. geometric aggregation of z-scores: refused with a clear message
    try:
        result = score(values, higher_is_worse=direction, themes=themes, weights=weights,
                       theme_weights=theme_weights, method=method)
    except TargetingError as exc:
        if np.isinf(values.to_numpy()).any():
            assert "infinite values" in str(exc)
        return
    assert not np.isinf(values.to_numpy()).any()
    table = result.table
    # every district, in order; unscored exactly those without a score, each with a reason
    assert table.index.equals(values.index)
    missing = table.index[table["score"].isna()]
    assert result.unscored.index.sort_values().equals(missing.sort_values())
    assert (result.unscored["reason"].str.len() > 0).all()
    # scores finite and in range
    scored = table["score"].dropna()
    assert np.isfinite(scored).all()
    lo, hi = RANGES[method.normalisation]
    if method.aggregation == "geometric":
        lo = 0.0 if method.normalisation == "rank" else 1.0
    tol = 1e-9 * max(1.0, abs(hi) if np.isfinite(hi) else 1.0)
    assert ((scored >= lo - tol) & (scored <= hi + tol)).all(), scored
    for col in [c for c in table.columns if c.startswith("theme_")]:
        sub = table[col].dropna()
        assert np.isfinite(sub).all() and ((sub >= lo - tol) & (sub <= hi + tol)).all()
    # competition ranks of the scores rounded to 1e-9: 1 + number of strictly higher ones;
    # a permutation without ties
    ranks = table["rank"].dropna().astype(int)
    assert ranks.index.equals(scored.index)
    rounded = scored.round(9)
    expected = rounded.map(lambda s: 1 + int((rounded > s).sum()))
    assert ranks.tolist() == expected.tolist()
    if rounded.is_unique:
        assert sorted(ranks) == list(range(1, len(scored) + 1))
    # each layer that carries information is normalised as documented, whatever its magnitude
    for col in result.normalised.columns:
        norm = result.normalised[col].dropna()
        if values[col].nunique() < 2:
            assert norm.empty
            continue
        assert np.isfinite(norm).all() and len(norm) == values[col].notna().sum()
        if method.normalisation == "minmax":
            lower = 1.0 if method.aggregation == "geometric" else 0.0
            assert norm.min() == pytest.approx(lower) and norm.max() == pytest.approx(100.0)
        elif method.normalisation == "zscore":
            assert norm.mean() == pytest.approx(0.0, abs=1e-9) and norm.std() == pytest.approx(1.0)
        else:
            assert norm.max() <= 100.0 and norm.min() > 0  # ties share their average percentile
    # coverage is a share; effective weights sum to one
    assert ((table["data_coverage"] >= 0) & (table["data_coverage"] <= 1)).all()
    assert result.effective_weights.sum() == pytest.approx(1.0)


@PROPERTY
@given(case=tables())
def test_monotone_rescaling_keeps_ranks(case):
    values, themes, direction, weights, theme_weights = case
    finite = values.where(np.isfinite(values) & (values.abs() < 1e6)).round(3)
    method = Method(normalisation="minmax")
    try:
        a = score(finite, higher_is_worse=direction, themes=themes, weights=weights,
                  theme_weights=theme_weights, method=method)
    except TargetingError:
        return
    b = score(finite * 3.0 + 7.0, higher_is_worse=direction, themes=themes, weights=weights,
              theme_weights=theme_weights, method=method)
    np.testing.assert_allclose(a.table["score"], b.table["score"], rtol=1e-7, atol=1e-7)


keys = st.one_of(st.sampled_from(["001", "1", "01", "002", "2", " 003 ", "", "n/a"]), st.none(),
                 st.integers(0, 5))


@PROPERTY
@given(
    codes=st.lists(st.sampled_from(["001", "002", "003", "01", "1", "010"]), min_size=1, max_size=6, unique=True),
    table_keys=st.lists(keys, min_size=0, max_size=10),
)
def test_join_reports_every_district_and_row(codes, table_keys):
    districts = pd.DataFrame({"name": [f"D{c}" for c in codes]}, index=pd.Index(codes, name="code"))
    table = pd.DataFrame({"key": pd.Series(table_keys, dtype=object), "v": np.arange(len(table_keys), dtype=float)})
    try:
        joined, report = join_table(districts, table, key="key", require_match=False)
    except TargetingError:
        return
    assert joined.index.equals(districts.index)
    unmatched = {c for c, _ in report.unmatched_districts}
    assert report.matched + len(unmatched) == len(districts)
    assert set(joined.index[joined["v"].isna()]) == unmatched
    used = set(joined["v"].dropna().astype(int))
    assert len(used) + len(report.unmatched_rows) == len(table)
    for i in used:  # a matched row lands on the district with its code
        code = joined.index[joined["v"] == i][0]
        assert str(table["key"].iloc[i]).strip() == code


@PROPERTY
@given(codes=st.lists(st.sampled_from(["001", "002", "003"]), min_size=2, max_size=6))
def test_duplicate_keys_are_refused_not_dropped(codes):
    districts = pd.DataFrame({"name": ["A", "B", "C"]}, index=pd.Index(["001", "002", "003"], name="code"))
    table = pd.DataFrame({"key": codes, "v": np.arange(len(codes), dtype=float)})
    if len(set(codes)) < len(codes):
        with pytest.raises(TargetingError, match="share a key"):
            join_table(districts, table, key="key")
    else:
        joined, report = join_table(districts, table, key="key")
        assert report.matched == len(codes)


csv_cells = st.one_of(
    st.sampled_from(["001", "01", "1", "n/a", "-", "..", "", "1,5", "1.234,5", "1 000", "12 %", "-3", "=1+2",
                     "é", "\u00a0", "1e300", "inf", "NaN", "a;b", "x,y"]),
    st.text(st.characters(exclude_characters="\n\r\"", exclude_categories=("Cs",)), max_size=6),
)


@PROPERTY
@given(
    rows=st.lists(st.lists(csv_cells, min_size=1, max_size=4), min_size=0, max_size=8),
    sep=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]),
)
def test_read_table_any_text_gives_a_table_or_a_clear_error(tmp_path_factory, rows, sep, encoding):
    from geo.io import read_table

    text = "\n".join(sep.join(r) for r in [["code", "v"]] + rows)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    path = tmp_path_factory.mktemp("t") / "table.csv"
    path.write_bytes(data)
    try:
        table = read_table(path, key="code")
    except TargetingError:
        return
    assert len(table) <= len(rows)
    assert all(v is None or isinstance(v, str) for v in table["code"])


@PROPERTY
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".txt", ".zip"]))
def test_upload_any_bytes_gives_a_table_or_a_clear_error(data, suffix):
    from geo.upload import read_upload

    try:
        read_upload(data, f"file{suffix}")
    except TargetingError:
        pass


@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".gpkg", ".geojson", ".zip", ".fgb", ".shp"]))
def test_boundaries_any_bytes_give_a_clear_error(tmp_path_factory, data, suffix):
    from geo.io import read_boundaries

    path = tmp_path_factory.mktemp("b") / f"districts{suffix}"
    path.write_bytes(data)
    with pytest.raises(TargetingError):
        read_boundaries(path, id_field="id")
