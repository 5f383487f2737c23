"""Tables to numbers: categorical columns one-hot encoded, numeric ones passed on.

A `TableEncoder` is fitted on a fold's training rows and saved with the run, so that
evaluation, `snn predict` and exports encode new rows exactly as training did. It wraps
scikit-learn's `ColumnTransformer` and `OneHotEncoder` and saves them with skops, which
loads without executing code. The encoded matrix is standardized afterwards, one-hot
columns included, by `snn.data.Standardization`: SNNs assume zero-mean, unit-variance
inputs to the first SELU layer.
"""

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder

from snn.errors import DataError, did_you_mean

logger = logging.getLogger("snn")

# What a saved encoder may contain: the scikit-learn types `fit` builds, nothing else.
TRUSTED_TYPES = [
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.utils._bunch.Bunch",
    "builtins.slice",
    "numpy.dtypes.Float64DType",
    "numpy.dtypes.ObjectDType",
]


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where rows come from, for messages: a file, whose rows are named by line, or a
    Python object, whose rows are named by position as `.iloc` takes them.

    Attributes:
        name: the file's path, or the object's name (e.g. "x").
        first_line: the file line of the first row (2 below a header line); None for a
            Python object.
        index: for some rows of a larger object (a split of the data), each row's
            position in it (a sequence of ints, e.g. the split's index array); None when
            the rows are the whole object.

    Example:
    >>> Origin("rows.csv", first_line=2).row(5), Origin("x").row(5)
    ('rows.csv: line 7', 'x.iloc[5]')
    >>> Origin("data", index=(3, 17, 40)).row(1)
    'data.iloc[17]'
    """

    name: str
    first_line: int | None = None
    index: object = dataclasses.field(default=None, compare=False)

    def __str__(self):
        return self.name

    def row(self, position):
        """The row at `position` (from 0), named for a message."""
        if self.index is not None:
            position = int(self.index[position])
        if self.first_line is None:
            return f"{self.name}.iloc[{position}]"
        return f"{self.name}: line {self.first_line + position}"


ROWS_OF_X = Origin("x")
"""Rows passed in Python as `x`, the name the API's arguments give them."""


class TableEncoder:
    """Feature columns by name to a float32 matrix, as learnt from training rows.

    Numeric columns pass through (NaN stays NaN, for standardization to impute the training
    mean); each categorical column becomes one 0/1 column per category seen in training,
    a missing cell being a category of its own when training had one.

    Attributes:
        columns: list of the feature column names, in the order the model sees them.
        categorical: list of the categorical ones among them.
        unseen_categories: "ignore" (a category not seen in training encodes as all zeros)
            or "reject" (it is an error).
    """

    def __init__(self, transformer, unseen_categories):
        self.transformer = transformer
        self.unseen_categories = unseen_categories
        self.columns = [str(name) for name in transformer.feature_names_in_]
        self.categorical = [name for kind, _, names in transformer.transformers_
                            if kind == "categorical" for name in names]

    @classmethod
    def fit(cls, table, unseen_categories="ignore"):
        """Fit on training rows.

        Args:
            table: pandas DataFrame (n, columns): numeric columns pass through, every other
                column (text, pandas category, mixed objects) is categorical, its values
                named as `as_categories` names them.
            unseen_categories: "ignore" or "reject" (see the class).

        Returns:
            TableEncoder.
        """
        categorical = [name for name in table.columns
                       if not pd.api.types.is_numeric_dtype(table[name])]
        numeric = [name for name in table.columns if name not in categorical]
        table = _typed(table, categorical)
        transformer = ColumnTransformer(
            [("numeric", "passthrough", numeric),
             ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False,
                                           dtype=np.float64), categorical)],
            verbose_feature_names_out=False)
        return cls(transformer.fit(table), unseen_categories)

    @property
    def encoded_names(self):
        """Names of the encoded columns: numeric column names, then `column_category`."""
        return [str(name) for name in self.transformer.get_feature_names_out()]

    def apply(self, table, source=ROWS_OF_X):
        """Encode rows.

        Args:
            table: pandas DataFrame with (at least) the fitted columns, matched by name.
            source: `Origin` of the rows, for messages.

        Returns:
            float32 array (n, len(encoded_names)).

        Raises:
            DataError: a fitted column is missing, a numeric column holds text, or (with
                "reject") a categorical column holds a category not seen in training.
        """
        missing = [name for name in self.columns if name not in table.columns]
        if missing:
            hint = did_you_mean(missing[0], [n for n in table.columns if n not in self.columns])
            raise DataError(f"{source}: no column {missing[0]!r}; {hint}the model was trained "
                            f"on the columns {', '.join(self.columns)}")
        table = table[self.columns]
        for name in self.columns:
            if name not in self.categorical and not pd.api.types.is_numeric_dtype(table[name]):
                self._check_numbers(table[name], name, source)
        typed = _typed(table, self.categorical)  # once: category names are made per cell
        for name in self.categorical:
            self._check_seen(typed[name], name, source)
        return self.transformer.transform(typed).astype(np.float32)

    def _check_seen(self, column, name, source):
        """Refuse a category training did not see ("reject"), or say how many rows have
        one ("ignore"): they are encoded as none of the known categories."""
        encoder = self.transformer.named_transformers_["categorical"]
        known = encoder.categories_[self.categorical.index(name)]
        unseen = ~column.isin(known) & ~(column.isna() & pd.isna(known).any())
        if not unseen.any():
            return
        row = int(np.flatnonzero(unseen.to_numpy())[0])
        if self.unseen_categories == "ignore":
            logger.warning("%s: %d row(s) with a category of column %r not seen in training "
                           "(first: %s, %r); encoded as none of the known categories "
                           "(data.unseen_categories: ignore)", source, int(unseen.sum()),
                           name, source.row(row), str(column.iloc[row]))
            return
        shown = ", ".join(repr(value) for value in known[:8])
        raise DataError(f"{source.row(row)}, column {name!r}: category "
                        f"{str(column.iloc[row])!r} was not seen in training (data."
                        f"unseen_categories: reject); expected one of {shown}")

    @staticmethod
    def _check_numbers(column, name, source):
        text = text_cells(column)
        if text.any():
            row = int(np.flatnonzero(text.to_numpy())[0])
            raise DataError(f"{source.row(row)}, column {name!r}: got "
                            f"{str(column.iloc[row])!r}; expected a number")

    def save(self, path):
        """Write the encoder to a skops file."""
        import skops.io

        skops.io.dump({"transformer": self.transformer,
                       "unseen_categories": self.unseen_categories}, path)

    @classmethod
    def load(cls, path):
        """Read an encoder that `save` wrote, trusting only the types `fit` builds.

        Raises:
            DataError: the file is missing or holds other types.
        """
        import skops.io
        import skops.io.exceptions

        try:
            saved = skops.io.load(Path(path), trusted=TRUSTED_TYPES)
        except (OSError, ValueError, skops.io.exceptions.UntrustedTypesFoundException) as error:
            raise DataError(f"{path}: cannot load the table encoder safely ({error})") \
                from None
        return cls(saved["transformer"], saved["unseen_categories"])


def _typed(table, categorical):
    """A table's columns as the encoder takes them: categorical ones as category names,
    every other one as float64 with NaN where missing (also pandas' nullable Int64 and
    boolean columns, whose pd.NA scikit-learn refuses)."""
    table = table.copy(deep=False)
    for name in table.columns:
        table[name] = (as_categories(table[name]) if name in categorical else
                       pd.to_numeric(table[name]).astype(np.float64))
    return table


def as_categories(column):
    """A column's values as category names: strings, NaN where missing.

    Numbers become their shortest text with integral values written without a decimal
    point, so that a year reads "2007" whether its column also had missing cells (float)
    or not (integer).

    Args:
        column: pandas Series of any dtype.

    Returns:
        pandas Series of strings (pandas' str dtype from pandas 3, object before), NaN where
        missing.
    """
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.na_value is not pd.NA:
        return column  # text with NaN for missing, stored by pyarrow: no Python strings made
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.map(_number_name, na_action="ignore").astype(object)
    return column.astype(object).where(column.notna(), np.nan).map(str, na_action="ignore")


def text_cells(column):
    """Which cells of a column hold text that does not read as a number.

    Each distinct value is parsed once, so a categorical column costs its categories, not
    its rows, and no Python string is made per row.

    Args:
        column: pandas Series of any dtype.

    Returns:
        pandas Series of bool, True where a cell is present and not a number.
    """
    values = pd.Series(column.dropna().unique())
    text = values[pd.to_numeric(values, errors="coerce").isna()]
    return column.isin(text)


def _number_name(value):
    return str(int(value)) if float(value).is_integer() else repr(float(value))
