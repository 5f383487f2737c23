"""The `memory` source: DataFrames and arrays passed in Python, typed as a CSV's columns are."""

import numpy as np
import pandas as pd
import pytest

from snn.config import parse_config
from snn.data import load_dataset
from snn.data.memory import load_memory
from snn.data.tables import load_csv
from snn.errors import ConfigError, DataError


def _table():
    return pd.DataFrame({"size": [1.5, np.nan, 2.5, 4.0], "color": ["blue", "red", None, "red"],
                         "year": [2007, 2008, 2009, 2007], "ok": [True, False, True, True]})


def test_a_dataframe_is_typed_as_the_same_table_read_from_csv(tmp_path):
    table = _table().assign(kind=["a", "b", "a", "b"])
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    from_csv, labels = load_csv(path, label="kind")
    x, y = load_memory((table.drop(columns="kind"), table["kind"]))
    pd.testing.assert_frame_equal(x, from_csv, check_dtype=False)
    assert [str(dtype) for dtype in x.dtypes] == [str(dtype) for dtype in from_csv.dtypes]
    assert list(y) == list(labels)


def test_the_callers_dataframe_is_left_as_it_was():
    table = _table().set_index(pd.Index([10, 11, 12, 13]))
    before = table.copy()
    x, _ = load_memory((table, [0, 1, 0, 1]))
    pd.testing.assert_frame_equal(table, before)
    assert x["year"].dtype == np.float64 and list(x.index) == [0, 1, 2, 3]


def test_pandas_category_and_listed_columns_are_categorical_and_names_become_text():
    table = pd.DataFrame({0: pd.Categorical([1, 2, 1]), "grade": [3, 4, 3], "z": [0.5, 1, 2]})
    x, _ = load_memory((table, [0, 1, 0]), categorical=["grade"])
    assert list(x.columns) == ["0", "grade", "z"]
    assert list(x["0"]) == ["1", "2", "1"] and list(x["grade"]) == ["3", "4", "3"]
    assert x["z"].dtype == np.float64


def test_an_object_array_or_list_of_numbers_is_taken_as_numbers():
    x, _ = load_memory(([[1, 2.5], [3, 4]], [0, 1]))
    np.testing.assert_array_equal(x, np.array([[1, 2.5], [3, 4]], dtype=np.float32))
    x, _ = load_memory((np.array([[1, 2.5]], dtype=object), [0]))
    assert x.dtype == np.float32


def test_an_array_becomes_float32_and_targets_an_array():
    x, y = load_memory((np.arange(6, dtype=np.int64).reshape(3, 2), pd.Series(["a", "b", "a"])))
    assert x.dtype == np.float32 and x.shape == (3, 2)
    assert isinstance(y, np.ndarray) and list(y) == ["a", "b", "a"]


@pytest.mark.parametrize("rows, message", [
    (None, "data.source: 'memory' takes rows passed in Python, and none were passed"),
    ((np.zeros((3, 2)), [0, 1]), "data: x has 3 rows but y has 2"),
    ((np.zeros((3, 2)), ["a", None, "b"]), r"data: y\[1\] is missing"),
    ((np.zeros(3), [0, 1, 0]), r"data: x has shape \(3,\); expected \(rows, features\)"),
    ((np.array([[1.5, 2], [3, "a"]], dtype=object), [0, 1]),
     r"^x\[1, 1\]: got 'a'; expected a number \(or a DataFrame"),
    (([[1, 2], [3, "b"]], [0, 1]), r"^x\[1, 1\]: got np.str_\('b'\); expected a number"),
    ((pd.DataFrame({"a": ["1", "2", "3x", "4"]}), [0, 1, 0, 1]),
     r"^x.iloc\[2\], column 'a': got '3x'; expected a number"),
    ((pd.DataFrame({"a": [1.0, np.inf]}), [0, 1]),
     r"^x.iloc\[1\], column 'a': got 'inf'; features must be finite"),
    ((pd.DataFrame([[1, 2]], columns=["a", "a"]), [0]),
     "data: x: column name 'a' appears 2 times; expected unique column names"),
])
def test_unusable_rows_are_refused_naming_what_is_wrong(rows, message):
    with pytest.raises(DataError, match=message):
        load_memory(rows)


def test_a_listed_categorical_column_that_x_lacks_is_refused():
    with pytest.raises(ConfigError, match="data.categorical: x has no column 'colour'"):
        load_memory((_table(), [0, 1, 0, 1]), categorical=["colour"])


def test_rows_passed_for_another_source_are_refused():
    data = parse_config({"name": "t", "data": {"source": "sklearn", "name": "iris"}}).data
    with pytest.raises(ConfigError, match="data.source: got 'sklearn', but rows were passed"):
        load_dataset(data, "softmax", rows=(np.zeros((3, 2)), [0, 1, 0]))


def test_rows_is_not_a_config_option_of_the_memory_source():
    with pytest.raises(ConfigError, match="rows"):
        parse_config({"name": "t", "data": {"source": "memory", "rows": [1, 2]}})
