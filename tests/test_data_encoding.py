"""The table encoder: categorical columns one-hot, numeric ones passed on, whatever pandas
dtypes the columns come in."""

import numpy as np
import pandas as pd

from snn.data.encoding import TableEncoder


def test_pandas_nullable_and_category_dtypes_encode_as_their_plain_counterparts():
    # The same table twice: pandas' nullable dtypes (pd.NA) and category dtype, as
    # convert_dtypes() or a pandas-written Parquet file give them, and plain float64 /
    # object columns with NaN. Both must encode to the same matrix.
    nullable = pd.DataFrame({
        "count": pd.Series([1, pd.NA, 3], dtype="Int64"),
        "flag": pd.Series([True, pd.NA, False], dtype="boolean"),
        "color": pd.Series(["red", pd.NA, "blue"], dtype="string"),
        "size": pd.Categorical(["s", "m", "s"])})
    plain = pd.DataFrame({
        "count": [1.0, np.nan, 3.0], "flag": [1.0, np.nan, 0.0],
        "color": pd.Series(["red", np.nan, "blue"], dtype=object),
        "size": pd.Series(["s", "m", "s"], dtype=object)})
    encoder = TableEncoder.fit(nullable)
    assert encoder.encoded_names == ["count", "flag", "color_blue", "color_red", "color_nan",
                                     "size_m", "size_s"]
    expected = np.array([[1, 1, 0, 1, 0, 0, 1],
                         [np.nan, np.nan, 0, 0, 1, 1, 0],
                         [3, 0, 1, 0, 0, 0, 1]], dtype=np.float32)
    np.testing.assert_array_equal(encoder.apply(nullable), expected)
    np.testing.assert_array_equal(encoder.apply(plain), expected)
    np.testing.assert_array_equal(TableEncoder.fit(plain).apply(nullable), expected)
