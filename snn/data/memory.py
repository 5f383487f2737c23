"""The `memory` source: rows a Python caller passes in, a pandas DataFrame or NumPy arrays,
instead of a file the config names.

`snn.training.train(config, data=(x, y))` trains on them with `data.source: memory`; the
run records a fingerprint of the rows, so `evaluate(run_dir, data=(x, y))` and
`resume(run_dir, data=(x, y))` take the same rows again and refuse others. `snn predict`
and `snn.load_run` need no data and work on such a run as on any other.
"""

import numpy as np
import pandas as pd

from snn.data.sources import SOURCES
from snn.data.encoding import ROWS_OF_X
from snn.data.tables import (Categorical, check_listed_columns, check_unique_names,
                              typed_columns)
from snn.errors import DataError

MEMORY = "memory"


@SOURCES.register(name=MEMORY)
def load_memory(rows=None, categorical: Categorical = "auto"):
    """Rows passed in Python: a table as a DataFrame, or features as an array.

    Args:
        rows: (x, y), given by the caller (`train(config, data=(x, y))`), not by the config:
            x a pandas DataFrame (n, columns) of numeric and categorical columns (text,
            bool or pandas category; NaN or None where missing), or a numeric array
            (n, ...); y the targets (n,) or (n, k): an array, list or pandas Series or
            DataFrame, of numbers or class names.
        categorical: for a DataFrame, "auto" (text, bool and pandas-category columns are
            categorical) or the list of categorical columns, as for the `csv` source.

    Returns:
        (x, y): a DataFrame with str column names (numeric columns float64, categorical
        ones str with NaN when missing) or a float32 array, and the targets as a NumPy
        array.

    Raises:
        DataError: no rows were passed (a config with `data.source: memory` run from the
            command line), x and y differ in length, a label is missing, or x holds text
            where numbers are expected.
        ConfigError: `categorical` names no column of x.
    """
    if rows is None:
        raise DataError("data.source: 'memory' takes rows passed in Python, and none were "
                        "passed; expected train(config, data=(x, y)), or "
                        "evaluate/resume(run_dir, data=(x, y)) with the rows the run was "
                        "trained on")
    x, y = rows
    y = y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else np.asarray(y)
    if len(x) != len(y):
        raise DataError(f"data: x has {len(x)} rows but y has {len(y)}; expected one target "
                        "per row")
    if y.ndim == 1 and pd.isna(y).any():
        row = int(np.flatnonzero(pd.isna(y))[0])
        raise DataError(f"data: y[{row}] is missing; expected a target in every row "
                        "(remove such rows)")
    if isinstance(x, pd.DataFrame):
        return _table(x, categorical), y
    return _array(np.asarray(x)), y


def _table(x, categorical):
    table = x.reset_index(drop=True)  # a new frame: typing replaces its columns, not x's
    table.columns = [str(name) for name in table.columns]
    names = list(table.columns)
    check_unique_names(names, "data: x")
    check_listed_columns("data.categorical", [] if categorical == "auto" else categorical,
                         names, "x")
    return typed_columns(table, categorical, ROWS_OF_X)


def _array(x):
    if x.ndim < 2:
        raise DataError(f"data: x has shape {x.shape}; expected (rows, features), one row "
                        "per example")
    try:
        return x.astype(np.float32)
    except (ValueError, TypeError):
        # Only on this error path: find the first cell that is not a number, to name it.
        index = next(i for i, value in np.ndenumerate(x) if not _is_number(value))
        raise DataError(f"x[{', '.join(map(str, index))}]: got {x[index]!r}; expected a "
                        "number (or a DataFrame, whose text columns are encoded as "
                        "categories)") from None


def _is_number(value):
    try:
        np.float32(value)
    except (ValueError, TypeError):
        return False
    return True
