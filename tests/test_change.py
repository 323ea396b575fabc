import pandas as pd
import pytest

from geo.change import change_table, left_behind
from geo.errors import TargetingError


def test_change_and_left_behind_by_hand():
    before = pd.DataFrame({"illiteracy": [40.0, 30.0, 20.0], "activity": [40.0, 50.0, 45.0]}, index=list("abc"))
    after = pd.DataFrame({"illiteracy": [30.0, 29.0, 15.0], "activity": [38.0, 52.0, 45.0]}, index=list("abc"))
    t = change_table(before, after, higher_is_worse={"illiteracy": True, "activity": False},
                     national_before={"illiteracy": 32.0, "activity": 46.0},
                     national_after={"illiteracy": 26.0, "activity": 47.0})
    # national: illiteracy -6 points, activity +1 point
    assert t["illiteracy_change"].tolist() == [-10, -1, -5]
    assert t["illiteracy_vs_national"].tolist() == [-4, 5, 1]
    assert t["activity_vs_national"].tolist() == [3, -1, 1]  # lower is worse: falling 2 vs +1 is 3 behind
    lb = left_behind(t, min_layers=2)
    assert lb["behind_on"].tolist() == [1, 1, 2]
    assert lb["left_behind"].tolist() == [False, False, True]
    assert left_behind(t, tolerance=2)["behind_on"].tolist() == [1, 1, 0]


def test_no_common_layer_is_an_error():
    with pytest.raises(TargetingError, match="No layer in both vintages"):
        change_table(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [1.0]}), higher_is_worse={},
                     national_before={}, national_after={})
