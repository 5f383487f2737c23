"""Data fingerprints: equal for equal data, different for any change."""

import numpy as np
import pandas as pd

from snn.data.fingerprints import fingerprint


def test_the_fingerprint_changes_with_values_shape_or_dtype():
    x = np.arange(6, dtype="float32")
    prints = {fingerprint(x), fingerprint(x.reshape(2, 3)), fingerprint(x.astype("float64")),
              fingerprint(x + 1)}
    assert len(prints) == 4 and fingerprint(x.copy()) == fingerprint(x)


def test_a_tables_fingerprint_changes_with_a_cell_a_column_name_or_a_type():
    table = pd.DataFrame({"size": [1.0, 2.0, np.nan], "color": ["blue", "red", np.nan]})
    changed_cell = table.assign(color=["blue", "green", np.nan])
    renamed = table.rename(columns={"size": "width"})
    retyped = table.assign(size=table["size"].astype("float32"))
    prints = {fingerprint(t) for t in (table, changed_cell, renamed, retyped)}
    assert len(prints) == 4
    assert fingerprint(table.copy().set_axis([7, 8, 9])) == fingerprint(table)  # not the index
