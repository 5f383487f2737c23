"""Data for experiments: sources, target encoding, splits and standardization.

`load_dataset` turns a `data:` config section into features and encoded targets for the
model's output layer; `snn.data.splits` splits them and standardizes inputs with training
statistics only.
"""

import dataclasses
import os
from pathlib import Path

import numpy as np
from sklearn.preprocessing import LabelEncoder

from snn.data import htru2, idx, memory, tables, tfds, tox21, uci121  # noqa: F401
from snn.data.sources import SOURCES, PredefinedSplits, get_source, list_sources
from snn.data.encoding import TableEncoder
from snn.data.preprocessing import Preprocessing, missing_cells, take_rows
from snn.data.splits import SPLITS, Standardization, split_indices
from snn.errors import ConfigError, DataError
from snn.schema import signature_spec

__all__ = ["Dataset", "PredefinedSplits", "Preprocessing", "SOURCES", "SPLITS",
           "Standardization", "TableEncoder", "data_root", "get_source", "list_sources",
           "load_dataset", "resolve_data_path", "split_indices", "take_rows"]

DATA_DIR_VARIABLE = "SNN_DATA_DIR"


@dataclasses.dataclass
class Dataset:
    """Features and targets ready for a model head.

    Attributes:
        x: features not yet standardized: float32 array (n, ...), or a pandas DataFrame
            (n, columns) for a table (numeric and categorical columns).
        y: targets: int32 class indices (n,) for softmax, float32 0/1 of shape (n, 1) or
            (n, k) for sigmoid, float32 (n, k) for linear.
        num_outputs: int, width of the output layer.
        classes: list of the original class labels in index order, or None (regression,
            multi-label).
        predefined: the splits the data set comes with (UCI-121), else empty.
    """

    x: np.ndarray
    y: np.ndarray
    num_outputs: int
    classes: list | None
    predefined: PredefinedSplits = dataclasses.field(default_factory=PredefinedSplits)

    @property
    def stratify(self):
        """Class index per row for stratified splits, or None when there are no classes."""
        if self.classes is None:
            return None
        return self.y.reshape(len(self.y))


def resolve_data_path(path, data_dir=None):
    """Resolve a data file path from a config.

    Relative paths are taken relative to `data_dir` when given, else to the directory in the
    `SNN_DATA_DIR` environment variable when set, else to the current directory.

    Args:
        path: str or Path.
        data_dir: str, Path or None (the config's `data.data_dir`).

    Returns:
        Path, absolute.
    """
    return (data_root(data_dir) / Path(path).expanduser()).resolve()


def data_root(data_dir=None):
    """The directory relative data paths are resolved against: `data_dir` when given, else
    `$SNN_DATA_DIR` when set, else the current directory.

    Returns:
        Path, absolute.
    """
    return Path(data_dir or os.environ.get(DATA_DIR_VARIABLE) or ".").expanduser().resolve()


def load_dataset(data, output_activation, rows=None):
    """Load a `data:` config section and encode its targets for the output layer.

    Args:
        data: `snn.config.DataConfig`.
        output_activation: "softmax" (targets become class indices), "sigmoid" (binary 0/1,
            or a 0/1 matrix for multi-label) or "linear" (regression, float targets).
        rows: (x, y) passed in Python for `data.source: memory` (see
            `snn.data.memory.load_memory`), else None.

    Returns:
        `Dataset`, with `data.reshape` applied to the features.

    Raises:
        DataError: the source fails, or the targets do not fit the output activation.
        ConfigError: rows are passed but `data.source` is not "memory".
    """
    if rows is not None and data.source != memory.MEMORY:
        raise ConfigError(f"data.source: got {data.source!r}, but rows were passed in Python "
                          f"(data=(x, y)); expected {memory.MEMORY!r}, or no rows",
                          key="data.source")
    source = get_source(data.source)
    arguments = _source_arguments(source, data, rows)
    x, y, *predefined = source(**arguments)
    if len(x) == 0:
        raise DataError(f"data: source {data.source!r} returned no examples")
    missing = missing_cells(x)
    if data.missing == "reject" and missing.any():
        row, feature = np.argwhere(missing)[0]
        where = f" of {arguments['path']}" if "path" in arguments else ""
        first = (f"row {row + 1}, column {x.columns[feature]!r}" if hasattr(x, "columns") else
                 f"example {row + 1}, feature {feature + 1}, counting from 1 without the "
                 "label")
        raise DataError(f"data.missing: {int(missing.sum())} feature values{where} are missing "
                        f"(first: {first}); set data.missing: impute to fill them in from the "
                        "training rows, or clean the data")
    if data.reshape is not None:
        if hasattr(x, "columns"):
            raise ConfigError("data.reshape: a table's rows have no shape; expected null "
                              f"with source {data.source!r}", key="data.reshape")
        x = _reshape(x, data.reshape)
    return Dataset(x, *_encode_targets(np.asarray(y), output_activation), *predefined)


def _source_arguments(source, data, rows):
    """The source's options with file paths resolved (and checked), and `data_dir` and
    `rows` passed on."""
    spec = signature_spec(source)
    arguments = dict(data.options)
    for name, value in (("data_dir", data.data_dir), ("rows", rows)):
        if name in spec:
            arguments[name] = value
    for name, (annotation, _) in spec.items():
        if annotation is Path and arguments.get(name) is not None:
            arguments[name] = resolve_data_path(arguments[name], data.data_dir)
            if not arguments[name].exists():
                raise DataError(f"data.{name}: not found: {arguments[name]} (relative paths "
                                f"are resolved against data.data_dir, ${DATA_DIR_VARIABLE} or "
                                "the current directory)")
    return arguments


def _reshape(x, shape):
    size = int(np.prod(shape))
    per_example = int(np.prod(x.shape[1:]))
    if size != per_example:
        raise ConfigError(f"data.reshape: got {shape} ({size} values); expected a shape of "
                          f"{per_example} values, the size of one example", key="data.reshape")
    return x.reshape(len(x), *shape)


def _encode_targets(y, output_activation):
    """Return (targets, num_outputs, classes) for the output layer."""
    if output_activation == "linear":
        y = _as_float(y, "regression targets")
        y = y.reshape(len(y), -1)
        return y, y.shape[1], None
    if output_activation == "sigmoid" and y.ndim == 2:
        y = _as_float(y, "multi-label targets")
        if not np.isin(y[~np.isnan(y)], (0.0, 1.0)).all():  # NaN: a missing label
            raise DataError("data: multi-label targets for a sigmoid output must be 0, 1 or "
                            "missing")
        return y, y.shape[1], None
    if y.ndim != 1:
        raise DataError(f"data: targets have shape {y.shape}; a {output_activation} output "
                        "needs one class label per example")
    encoder = LabelEncoder().fit(y)
    classes = encoder.classes_.tolist()
    if len(classes) < 2:
        raise DataError(f"data: all targets are the same class ({classes[0]!r}); "
                        "classification needs at least 2 classes")
    codes = encoder.transform(y)
    if output_activation == "sigmoid":
        if len(classes) != 2:
            shown = ", ".join(map(repr, classes[:5])) + (", ..." if len(classes) > 5 else "")
            raise ConfigError(f"model.output_activation: got 'sigmoid', but the targets have "
                              f"{len(classes)} classes ({shown}); expected 2 classes, or "
                              "'softmax'", key="model.output_activation")
        return codes.astype(np.float32).reshape(-1, 1), 1, classes
    return codes.astype(np.int32), len(classes), classes


def _as_float(y, what):
    try:
        return y.astype(np.float32)
    except ValueError:
        raise DataError(f"data: {what} must be numbers; got values like {y.flat[0]!r}") from None
