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
