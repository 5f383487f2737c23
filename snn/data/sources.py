"""Data sources: where examples come from, registered by the name used in `data.source`.

A source is a function whose annotated keyword arguments are its config keys and which
returns raw `(x, y)` numpy arrays: features of shape (n, ...) and targets of shape (n,) or
(n, k), optionally followed by the `PredefinedSplits` the data set comes with. Label
encoding, splitting and standardization happen later, the same for every source
(`snn.data`).
"""

import dataclasses
from pathlib import Path
from typing import Literal

import numpy as np

from snn.errors import DataError
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


CALLER_ARGUMENTS = ("data_dir", "rows")
"""Source arguments that `snn.data.load_dataset` supplies, not the config: `data_dir` (the
section's `data.data_dir`) and `rows` (data passed in Python, for the `memory` source)."""


def list_sources():
    """The names of all registered data sources, sorted."""
    return SOURCES.names()


def source_options(name):
    """A source's config options: {name: (annotation, default)}.

    Source arguments named in `CALLER_ARGUMENTS` are not options of their own: the loader
    supplies them.
    """
    return SOURCES.arguments(name, exclude=CALLER_ARGUMENTS)


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
