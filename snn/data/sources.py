"""Data sources: where examples come from, registered by the name used in `data.source`.

A source is a function whose annotated keyword arguments are its config keys and which
returns raw `(x, y)` numpy arrays: features of shape (n, ...) and targets of shape (n,) or
(n, k), optionally followed by the `PredefinedSplits` the data set comes with. Label
encoding, splitting and standardization happen later, the same for every source
(`snn.data`).
"""

import csv
import dataclasses
import gzip
from pathlib import Path
from typing import Literal

import numpy as np

from snn.errors import ConfigError, DataError
from snn.registry import Registry

SOURCES = Registry("source", "data.source")
"""The data sources: functions `(**options) -> (x, y[, classes[, PredefinedSplits]])`
registered under the name `data.source` gives them; their annotated arguments are the
section's options."""


@dataclasses.dataclass
class PredefinedSplits:
    """Splits that come with a data set, for the evaluation protocols that use them.

    Attributes:
        selection: (train, validation) row indices for model selection, or None.
        folds: list of (train, test) row indices for the final estimate, or None.
        scaffolds: one group label per row (Tox21: each molecule's Bemis-Murcko
            scaffold) for the scaffold split, or None.
    """

    selection: tuple | None = None
    folds: list | None = None
    scaffolds: np.ndarray | None = None


def list_sources():
    """The names of all registered data sources, sorted."""
    return SOURCES.names()


def source_options(name):
    """A source's config options: {name: (annotation, default)}.

    A source argument named `data_dir` is not an option of its own: it receives the
    section's `data.data_dir`.
    """
    return SOURCES.arguments(name, exclude=("data_dir",))


def get_source(name):
    """The source function registered as `name`.

    Raises:
        ConfigError: unknown source (the message lists the known ones).
    """
    return SOURCES.get(name)


@SOURCES.register(name="sklearn")
def load_sklearn(name: Literal["digits", "breast_cancer", "wine", "iris"] = "digits"):
    """A real data set that scikit-learn ships, so it works offline.

    Args:
        name: "digits" (1,797 8x8 images, 10 classes), "breast_cancer" (569 x 30, 2 classes),
            "wine" (178 x 13, 3 classes) or "iris" (150 x 4, 3 classes).

    Returns:
        (x, y): float32 array (n, features) and int array (n,) of class indices.
    """
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{name}")()
    return bunch.data.astype(np.float32), bunch.target


@SOURCES.register(name="htru2")
def load_htru2(path: Path = Path("htru2/HTRU_2.csv")):
    """HTRU2 pulsar candidates (Lyon et al. 2016), one of the SNN paper's benchmarks.

    Args:
        path: `HTRU_2.csv`, with or without its header line `M1,ST1,...,C`.

    Returns:
        (x, y): float32 array (n, 8) of the profile and DM-SNR statistics, int labels (n,)
        with 1 for a pulsar.

    Raises:
        DataError: the file is not a CSV of 9 numeric columns.

    Reference:
        Lyon et al., "Fifty years of pulsar candidate selection", MNRAS 459, 2016;
        Klambauer et al. 2017, Section 4.3.
    """
    x, y = load_csv(path, label=-1)
    if x.shape[1] != 8:
        raise DataError(f"{path}: {x.shape[1] + 1} columns; HTRU2 has 9 (8 features, class)")
    return x, y


@SOURCES.register(name="npz")
def load_npz(path: Path, x_key: str = "x", y_key: str = "y"):
    """Arrays from a NumPy `.npz` file (read without pickle).

    Args:
        path: the `.npz` file.
        x_key: name of the feature array, shape (n, ...).
        y_key: name of the target array, shape (n,) or (n, k).

    Returns:
        (x, y): float32 features and the targets as stored.

    Raises:
        DataError: the file is not a readable `.npz`, a key is missing, or the arrays do not
            have the same number of rows.
    """
    try:
        with np.load(path, allow_pickle=False) as arrays:
            missing = [key for key in (x_key, y_key) if key not in arrays]
            if missing:
                raise DataError(
                    f"{path}: no array named {missing[0]!r}; arrays in the file: "
                    f"{', '.join(arrays.files)} (set data.x_key / data.y_key)"
                )
            x, y = arrays[x_key], arrays[y_key]
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: not a readable .npz file ({error})") from None
    if len(x) != len(y):
        raise DataError(f"{path}: {x_key!r} has {len(x)} rows but {y_key!r} has {len(y)}")
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{path}: {x_key!r} has dtype {x.dtype}; expected numbers")
    return x.astype(np.float32), y


@SOURCES.register(name="csv")
def load_csv(
    path: Path,
    label: str | int = -1,
    header: Literal["auto"] | bool = "auto",
    delimiter: str = ",",
):
    """A table from a CSV file (optionally gzip-compressed, `.gz`): one row per example.

    Args:
        path: the CSV file.
        label: the target column, by header name or by 0-based index (negative counts from
            the end; default: the last column). Every other column is a feature.
        header: whether the first line names the columns; "auto" treats it as a header when
            any of its cells is not a number.
        delimiter: the column separator.

    Returns:
        (x, y): float32 array (n, columns - 1) and the label column (n,): integers or
        floats when every label is a number, else strings.

    Raises:
        DataError: empty file, rows of unequal length, an unknown label column, a feature
            cell that is not a number, or an infinite feature. The message names the file,
            the line and the column. Empty and "nan" cells are missing values (NaN), handled
            by `data.missing`.
    """
    rows = _read_rows(path, delimiter)
    if header == "auto":
        header = not all(_is_number(cell) for cell in rows[0])
    names = rows[0] if header else [str(i) for i in range(len(rows[0]))]
    body, first_line = (rows[1:], 2) if header else (rows, 1)
    if not body:
        raise DataError(f"{path}: has a header but no data rows")
    for offset, row in enumerate(body):
        if len(row) != len(names):
            raise DataError(f"{path}: line {first_line + offset} has {len(row)} columns; "
                            f"expected {len(names)}")
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if header and repeated:
        raise DataError(f"{path}: line 1: column name {repeated[0]!r} appears "
                        f"{names.count(repeated[0])} times; expected unique column names")
    label_index = _column_index(path, names, label, header)
    table = np.asarray(body, dtype=str)
    labels = table[:, label_index]
    features = np.delete(table, label_index, axis=1)
    feature_names = [n for i, n in enumerate(names) if i != label_index]
    features = np.where(features == "", "nan", features)  # an empty cell is a missing value
    try:
        x = features.astype(np.float32)
    except ValueError:
        row, column = _first_non_number(features)
        raise DataError(
            f"{path}: line {first_line + row}, column {feature_names[column]!r}: got "
            f"{str(features[row, column])!r}; expected a number"
        ) from None
    bad = np.isinf(x)  # NaN is a missing value, for data.missing to handle
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise DataError(
            f"{path}: line {first_line + row}, column {feature_names[column]!r}: got "
            f"{str(features[row, column])!r}; features must be finite numbers"
        )
    return x, _numbers_if_possible(labels)


def _numbers_if_possible(labels):
    """Numeric label columns become numbers, so classes sort as 0, 1, 2, ..., 10."""
    try:
        values = labels.astype(np.float64)
    except ValueError:
        return labels
    return values.astype(np.int64) if np.all(values == np.round(values)) else values


def _read_rows(path, delimiter):
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", newline="") as handle:
            rows = [row for row in csv.reader(handle, delimiter=delimiter) if row]
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: not a readable CSV file ({error})") from None
    if not rows:
        raise DataError(f"{path}: the file is empty; expected a CSV table")
    return rows


def _column_index(path, names, label, header):
    if isinstance(label, int):
        if not -len(names) <= label < len(names):
            raise ConfigError(f"data.label: got column {label}; {path} has {len(names)} "
                              f"columns (0 to {len(names) - 1}, or negative from the end)",
                              key="data.label")
        return label % len(names)
    if not header:
        raise ConfigError(f"data.label: got {label!r}, but {path} has no header line; "
                          "give the label column's index instead", key="data.label")
    if label not in names:
        raise ConfigError(f"data.label: {path} has no column {label!r}; "
                          f"columns: {', '.join(names)}", key="data.label")
    return names.index(label)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_non_number(cells):
    for row, values in enumerate(cells):
        for column, text in enumerate(values):
            if not _is_number(text):
                return row, column
    raise AssertionError("every cell parsed as a number")
