"""Run directories: their file names, creation, atomic writes and the environment record."""

import datetime
import json
import os
import platform
import sys
import tempfile
import zipfile
from pathlib import Path

import keras
import numpy as np
import skops.io
import skops.io.exceptions

import snn
from snn.devices import visible_gpus
from snn.errors import DataError, RunDirError

CONFIG = "config.yaml"
HISTORY = "history.csv"
METRICS = "metrics.json"
MODEL = "model.keras"
REFERENCE_MODEL = "model.skops"  # a scikit-learn reference method (SVM, random forest)
STANDARDIZATION = "standardization.npz"
SPLITS = "splits.npz"
ENVIRONMENT = "environment.json"


def create_run_dir(config, run_dir=None):
    """Create the directory a training run writes to.

    Args:
        config: ExperimentConfig; without `run_dir` the run goes to
            `<output.dir>/<name>-<YYYYmmdd-HHMMSS>` (with a numeric suffix if taken).
        run_dir: str, Path or None, an explicit directory.

    Returns:
        Path of the (now existing) directory.

    Raises:
        RunDirError: `run_dir` already holds a completed run, or cannot be created.
    """
    if run_dir is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path(config.output.dir) / f"{config.name}-{stamp}"
        run_dir, suffix = base, 1
        while run_dir.exists():
            suffix += 1
            run_dir = base.with_name(f"{base.name}-{suffix}")
    run_dir = Path(run_dir)
    if is_complete(run_dir):
        raise RunDirError(f"{run_dir}: already holds a completed run ({METRICS} exists); "
                          "choose another --run-dir")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"{run_dir}: cannot create the run directory ({error.strerror})") \
            from None
    return run_dir


def is_complete(run_dir):
    """Whether `run_dir` holds a finished run: `metrics.json` is written last, atomically."""
    return (Path(run_dir) / METRICS).is_file()


def write_atomic(path, write):
    """Write a file so that it is either complete or absent, never half-written.

    Args:
        path: the final path.
        write: callable taking a temporary path (same directory, same suffix) to write to.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 would hide results
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path, data):
    """Write `data` as indented JSON, atomically."""
    write_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2) + "\n"))


def read_json(path):
    return json.loads(Path(path).read_text())


def model_path(fold_dir):
    """The saved model of a run or fold directory: `model.keras` or `model.skops`.

    Raises:
        RunDirError: neither exists.
    """
    for name in (MODEL, REFERENCE_MODEL):
        if (Path(fold_dir) / name).is_file():
            return Path(fold_dir) / name
    raise RunDirError(f"{fold_dir}: no saved model ({MODEL} or {REFERENCE_MODEL})")


def load_model(path):
    """Load a saved model without executing code from the file.

    A `.keras` file loads in Keras safe mode (a Lambda layer is refused); a `.skops` file
    (a scikit-learn reference method) loads with skops, trusting only the scikit-learn
    types the reference builders produce.

    Args:
        path: str or Path of a `.keras` or `.skops` file.

    Returns:
        keras.Model (compiled if it was saved compiled), or a fitted scikit-learn
        estimator.

    Raises:
        DataError: the file is missing, malformed, or needs unsafe deserialization.
    """
    try:
        if Path(path).suffix == ".skops":
            from snn.models.reference import TRUSTED_TYPES

            return skops.io.load(path, trusted=TRUSTED_TYPES)
        return keras.saving.load_model(path, safe_mode=True)
    except FileNotFoundError:
        raise DataError(f"{path}: model file not found") from None
    except (OSError, ValueError, TypeError, KeyError, zipfile.BadZipFile,
            skops.io.exceptions.UntrustedTypesFoundException) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{path}: cannot load the model safely ({reason})") from None


def environment():
    """Versions and devices a run used, for `environment.json`.

    Returns:
        dict of str / list values.
    """
    backend = keras.backend.backend()
    return {
        "snn": snn.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "keras": keras.__version__,
        "backend": backend,
        "backend_version": getattr(sys.modules.get(backend), "__version__", None),
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "gpus": visible_gpus(),
    }
