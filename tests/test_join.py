import pandas as pd
import pytest

from geo.errors import JoinError
from geo.join import join_table

DISTRICTS = pd.DataFrame(
    {"name": ["Aïn Chock", "Sidi Moumen", "Anfa", "Anfa"], "parent_code": ["P1", "P1", "P1", "P2"]},
    index=pd.Index(["001", "002", "003", "004"], name="code"),
)


def test_join_by_code_keeps_leading_zeros_and_reports_both_sides():
    table = pd.DataFrame({"code": ["001", "002", "9"], "v": [1.0, 2.0, 9.0]})
    joined, rep = join_table(DISTRICTS, table, key="code")
    assert joined["v"].tolist()[:2] == [1.0, 2.0]
    assert joined.index.tolist() == DISTRICTS.index.tolist()
    assert rep.matched_by_code == 2
    assert rep.unmatched_districts == [("003", "Anfa"), ("004", "Anfa")]
    assert rep.unmatched_rows == ["9"]
    assert not rep.complete
    assert "2 of 4 districts matched" in rep.lines()[0]


def test_join_by_name_within_parent_ignores_accents_case_spacing():
    table = pd.DataFrame(
        {"nm": ["AIN  CHOCK", "sidi-moumen", "anfa", "ANFA"], "prov": ["P1", "P1", "P1", "P2"], "v": [1, 2, 3, 4]}
    )
    joined, rep = join_table(DISTRICTS, table, key="nm", by="name", parent_key="prov")
    assert joined["v"].tolist() == [1, 2, 3, 4]
    assert rep.matched_by_name == 4 and rep.complete


def test_same_name_in_two_parents_without_parent_key_is_an_error():
    table = pd.DataFrame({"nm": ["Anfa"], "v": [1]})
    with pytest.raises(JoinError, match="share a key"):
        join_table(DISTRICTS, table, key="nm", by="name")


def test_duplicate_table_keys_are_an_error_naming_them():
    table = pd.DataFrame({"code": ["001", "001"], "v": [1, 2]})
    with pytest.raises(JoinError, match=r"rows share a key in column 'code' \(e.g. \['001'\]\)"):
        join_table(DISTRICTS, table, key="code")


def test_crosswalk_matches_the_rest():
    table = pd.DataFrame({"code": ["001", "OLD-3"], "v": [1.0, 3.0]})
    joined, rep = join_table(DISTRICTS, table, key="code", crosswalk={"OLD-3": "003"})
    assert joined.loc["003", "v"] == 3.0
    assert rep.matched_by_crosswalk == 1 and rep.unmatched_rows == []


def test_missing_key_column_names_available_columns():
    with pytest.raises(JoinError, match=r"column 'id' not found; available columns: \['code', 'v'\]"):
        join_table(DISTRICTS, pd.DataFrame({"code": ["1"], "v": [1]}), key="id")


# --- crosswalks that model reality: merges, splits, errors naming the line ------------------------------------

CW_DISTRICTS = pd.DataFrame({"name": ["Alpha", "Beta", "Gamma"]}, index=pd.Index(["01", "02", "03"], name="code"))


def _cw(rows):
    return pd.DataFrame(rows, columns=["table_key", "district_code", "share"]).assign(
        line=lambda f: range(2, len(f) + 2))


def test_split_by_area_weights_divides_counts_and_copies_rates():
    table = pd.DataFrame({"k": ["X", "03"], "people": [90.0, 5.0], "rate": [30.0, 7.0]})
    cw = _cw([("X", "01", None), ("X", "02", None)])
    joined, rep = join_table(CW_DISTRICTS, table, key="k", crosswalk=cw, split="area",
                             split_weights=pd.Series({"01": 1.0, "02": 2.0, "03": 1.0}), counts=["people"],
                             rates={"rate": None})
    assert joined["people"].tolist() == [30.0, 60.0, 5.0]
    assert joined["rate"].tolist() == [30.0, 30.0, 7.0]
    assert rep.split == (("X", (("01", 1 / 3), ("02", 2 / 3))),)
    assert rep.matched_by_crosswalk == 2 and rep.matched_by_code == 1 and rep.complete


def test_merge_sums_counts_and_weights_rates():
    table = pd.DataFrame({"k": ["A1", "A2", "02", "03"], "people": [10, 30, 1, 1], "rate": [10.0, 30.0, 1, 1],
                          "label": ["a", "b", "c", "d"]})
    cw = _cw([("A1", "01", None), ("A2", "01", None)])
    joined, rep = join_table(CW_DISTRICTS, table, key="k", crosswalk=cw, counts=["people"],
                             rates={"rate": "people"})
    assert joined.loc["01", "people"] == 40
    assert joined.loc["01", "rate"] == pytest.approx((10 * 10 + 30 * 30) / 40)
    assert joined.loc["01", "label"] == "a + b"
    assert rep.merged == (("01", ("A1", "A2")),)
    assert "1 district(s) merged from several rows" in rep.lines()[1]


def test_merged_rate_without_weight_is_left_empty_and_said():
    table = pd.DataFrame({"k": ["A1", "A2"], "rate": [10.0, 30.0]})
    joined, rep = join_table(CW_DISTRICTS, table, key="k", crosswalk=_cw([("A1", "01", None), ("A2", "01", None)]),
                             rates={"rate": None}, require_match=False)
    assert pd.isna(joined.loc["01", "rate"])
    assert any("have no weight column to average merged rows" in d for d in rep.details)


def test_duplicate_crosswalk_key_without_shares_names_the_lines():
    table = pd.DataFrame({"k": ["X"], "v": [1.0]})
    with pytest.raises(JoinError, match=r"cw.csv lines 2, 3: table key 'X' appears on 2 lines without a share; .*"
                                        r"tables.t.split = \"area\" or \"population\""):
        join_table(CW_DISTRICTS, table, key="k", crosswalk=_cw([("X", "01", None), ("X", "02", None)]),
                   crosswalk_source="cw.csv", config_key="tables.t")


def test_crosswalk_target_that_does_not_exist_names_the_line():
    table = pd.DataFrame({"k": ["X"], "v": [1.0]})
    with pytest.raises(JoinError, match=r"cw.csv line 3: district_code '09' \(for table key 'X'\) is not a district "
                                        r"of these boundaries .*; fix the crosswalk file."):
        join_table(CW_DISTRICTS, table, key="k", crosswalk=_cw([("X", "01", 0.5), ("X", "09", 0.5)]),
                   crosswalk_source="cw.csv")


def test_shares_must_sum_to_one():
    table = pd.DataFrame({"k": ["X"], "v": [1.0]})
    with pytest.raises(JoinError, match=r"lines 2, 3: the shares of table key 'X' sum to 0.9, not 1"):
        join_table(CW_DISTRICTS, table, key="k", crosswalk=_cw([("X", "01", 0.5), ("X", "02", 0.4)]),
                   crosswalk_source="cw.csv")


def test_unused_crosswalk_lines_are_reported():
    table = pd.DataFrame({"k": ["01", "02", "03"], "v": [1.0, 2.0, 3.0]})
    _, rep = join_table(CW_DISTRICTS, table, key="k", crosswalk=_cw([("OLD", "01", None)]))
    assert rep.details == ("1 crosswalk line(s) name a key that is not in the table (not used): OLD",)


# --- strictness, padding, suggestions, grouping --------------------------------------------------------------

def test_check_join_threshold_and_strict():
    from geo.join import check_join

    table = pd.DataFrame({"k": ["01", "02", "99"], "v": [1.0, 2.0, 9.0]})
    _, rep = join_table(CW_DISTRICTS, table, key="k")
    check_join(rep, 0.34)
    with pytest.raises(JoinError, match=r"1 of 3 districts \(33.3%\) have no row, more than joins.max_unmatched = "
                                        r"0.1 allows \(e.g. 03 Gamma\)"):
        check_join(rep, 0.1)
    with pytest.raises(JoinError, match="--strict allows none"):
        check_join(rep, 1.0, strict=True)
    _, full = join_table(CW_DISTRICTS, pd.DataFrame({"k": ["01", "02", "03", "99"], "v": [1, 2, 3, 9]}), key="k")
    with pytest.raises(JoinError, match=r"1 table row\(s\) match no district, --strict allows none \(e.g. 99\)"):
        check_join(full, 0.0, strict=True)


def test_pad_restores_leading_zeros():
    from geo.join import pad_codes

    assert pad_codes(pd.Series([1, 1.0, "2", "AB1", None]), 2).tolist() == ["01", "01", "02", "AB1", None]


def test_name_join_suggests_crosswalk_lines():
    districts = pd.DataFrame({"name": ["ILAM", "DHANUSA", "SANKHUWASABHA", "Jhapa"]},
                             index=pd.Index(["1", "2", "3", "4"], name="code"))
    table = pd.DataFrame({"n": ["ILLAM", "DHANUSHA", "Sankhuwa Sabha", "Jhapa", "Nowhere"], "v": [1, 2, 3, 4, 5]})
    _, rep = join_table(districts, table, key="n", by="name")
    assert rep.matched_by_name == 2  # Jhapa, and Sankhuwa Sabha: spaces inside a name do not count
    assert [(k, c) for k, c, _, _ in rep.suggestions] == [("ILLAM", "1"), ("DHANUSHA", "2")]
    lines = rep.lines()
    assert "    ILLAM,1    # ILAM, similarity 89" in lines
    assert rep.as_frame().query("side == 'suggested crosswalk line'")["key"].tolist() == ["ILLAM", "DHANUSHA"]


def test_report_lines_are_cut_unless_full():
    districts = pd.DataFrame({"name": [f"D{i}" for i in range(12)]},
                             index=pd.Index([f"{i:02d}" for i in range(12)], name="code"))
    _, rep = join_table(districts, pd.DataFrame({"k": ["00"], "v": [1]}), key="k")
    assert rep.lines()[1].endswith("and 1 more")
    assert "11 D11" in rep.lines(full=True)[1] and "more" not in rep.lines(full=True)[1]


def test_group_rows_sums_and_recomputes_rates():
    from geo.join import group_rows

    t = pd.DataFrame({"D": ["a", "A ", "b", None], "hh": [10, 30, 5, 9], "poor": [1, 3, 4, 9],
                      "pct": [10.0, 20.0, 80.0, 1.0]})
    g, lines = group_rows(t, "D", {"hh": "sum", "rate": {"numerator": "poor", "denominator": "hh", "per": 100},
                                   "pct": {"mean_weighted_by": "hh"}}, by="name")
    assert g.to_dict("list") == {"D": ["a", "b"], "hh": [40.0, 5.0], "rate": [10.0, 80.0],
                                 "pct": [17.5, 80.0]}
    assert lines[1] == "1 row(s) without a value in D (not used): line(s) 5"
    with pytest.raises(JoinError, match=r"column\(s\) \['people'\] named by group_by/aggregate not found"):
        group_rows(t, "D", {"people": "sum"})
