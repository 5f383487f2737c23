"""The 121 UCI classification data sets as preprocessed by Fernandez-Delgado et al. (2014).

The benchmark of the SNN paper (Section 4.1). Each set is a folder `<root>/<name>/` with:

- `<name>.txt`: metadata lines `key= value` (`n_entradas` inputs, `n_clases` classes,
  `fich1`/`fich2` data files, `n_patrons1`/`n_patrons2` their row counts);
- the data file(s): tab-separated, a header `f1 .. fN clase`, a row index in the first
  column, features already standardized;
- `conxuntos.dat`: line 1 training, line 2 validation indices for model selection;
- `conxuntos_kfold.dat`: 8 lines, the training and test indices of 4 folds for the final
  estimate. Indices are 0-based into the data files' rows, concatenated.

Reference: Fernandez-Delgado, Cernadas, Barro, Amorim, "Do we need hundreds of classifiers to
solve real world classification problems?", JMLR 15, 2014; Klambauer et al. 2017, Section 4.1.
"""

import dataclasses
from pathlib import Path

import numpy as np

from snn.data.sources import SOURCES, PredefinedSplits
from snn.errors import DataError


@dataclasses.dataclass(frozen=True)
class UCIDataset:
    """One UCI set's metadata.

    Attributes:
        name: the folder name, e.g. "abalone".
        samples: int, rows over all data files (from the metadata).
        features: int, number of inputs.
        classes: int, number of classes.
        available: bool, whether every file is present.
        missing: the first missing file's name, or None.
    """

    name: str
    samples: int
    features: int
    classes: int
    available: bool
    missing: str | None


def read_metadata(folder):
    """Parse `<name>.txt` of a UCI set folder into {key: str}.

    Raises:
        DataError: the metadata file is missing.
    """
    path = folder / f"{folder.name}.txt"
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise DataError(f"{path}: metadata file not found; is {folder.parent} a "
                        "Fernandez-Delgado UCI directory?") from None
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _data_files(meta):
    return [meta[key] for key in ("fich1", "fich2") if key in meta]


def describe(folder):
    """The `UCIDataset` record of one set folder."""
    meta = read_metadata(folder)
    files = _data_files(meta) + ["conxuntos.dat", "conxuntos_kfold.dat"]
    missing = next((name for name in files if not (folder / name).is_file()), None)
    samples = sum(int(meta[key]) for key in ("n_patrons1", "n_patrons2") if key in meta)
    return UCIDataset(folder.name, samples, int(meta["n_entradas"]), int(meta["n_clases"]),
                      missing is None, missing)


def list_datasets(root):
    """Every UCI set under `root`, with its counts and whether it is complete.

    Args:
        root: Path of the directory holding one folder per set.

    Returns:
        list of `UCIDataset`, sorted by name.

    Raises:
        DataError: `root` is not a directory.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a directory; expected the UCI-121 folder (a relative "
                        "root is found under $SNN_DATA_DIR)")
    return [describe(folder) for folder in sorted(root.iterdir()) if folder.is_dir()]


@SOURCES.register(name="uci121")
def load_uci121(name: str, root: Path = Path("uci121")):
    """One UCI-121 set with the paper's fixed splits.

    Args:
        name: the set's folder name, e.g. "abalone" (see `list_datasets`).
        root: the UCI-121 directory (relative paths resolve like every data path).

    Returns:
        (x, y, splits): float32 features (n, features), int class labels (n,), and
        `PredefinedSplits` with the model-selection split and the 4 folds.

    Raises:
        DataError: unknown set, a missing file (the message names it), or files whose
            rows, columns or indices do not match the metadata.
    """
    folder = root / name
    if not folder.is_dir():
        known = [p.name for p in sorted(root.iterdir()) if p.is_dir()] if root.is_dir() else []
        raise DataError(f"data.name: no UCI set {name!r} in {root}"
                        + (f" ({len(known)} sets, e.g. {', '.join(known[:3])})" if known else ""))
    record = describe(folder)
    if not record.available:
        raise DataError(f"{folder / record.missing}: file not found; the set {name!r} is "
                        "incomplete")
    meta = read_metadata(folder)
    tables = [_read_table(folder / file, record.features) for file in _data_files(meta)]
    table = np.concatenate(tables)
    if len(table) != record.samples:
        raise DataError(f"{folder}: {len(table)} rows; the metadata declares {record.samples}")
    x, y = table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)
    selection = _read_indices(folder / "conxuntos.dat", 2, len(table))
    folds = _read_indices(folder / "conxuntos_kfold.dat", 8, len(table))
    return x, y, PredefinedSplits(selection=(selection[0], selection[1]),
                                  folds=list(zip(folds[0::2], folds[1::2])))


def _read_table(path, features):
    try:
        table = np.loadtxt(path, skiprows=1, dtype=np.float64, ndmin=2)[:, 1:]
    except ValueError as error:
        raise DataError(f"{path}: not a numeric table ({error})") from None
    if table.shape[1] != features + 1:
        raise DataError(f"{path}: {table.shape[1] - 1} feature columns; the metadata declares "
                        f"{features}")
    return table


def _read_indices(path, lines, rows):
    text = path.read_text().split("\n")
    indices = [np.array(line.split(), dtype=np.int64) for line in text if line.strip()]
    if len(indices) != lines:
        raise DataError(f"{path}: {len(indices)} lines of indices; expected {lines}")
    for line, values in enumerate(indices, start=1):
        if values.size and (values.min() < 0 or values.max() >= rows):
            raise DataError(f"{path}: line {line} has index {values.max()} outside the "
                            f"{rows} rows")
    return indices
