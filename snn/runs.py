"""Run directories: their file names, status, creation, loading, environment record, and
whether a run was trained with a given config.

Every run directory holds `status.json`: "running" from the moment it is created, then
"completed" (after `metrics.json`), "failed" (with the reason), "interrupted" (with where,
so `snn train --resume` can go on from the last checkpoint) or "pruned" (a search stopped it
early as unpromising; it too can be resumed, to train it to its end).
"""

import dataclasses
import datetime
import hashlib
import os
import platform
import shlex
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from snn.config import load_config, to_dict
from snn.errors import ConfigError, DataError, RunDirError
from snn.util.files import TEMPORARY_PREFIX, read_json, write_json
from snn.version import __version__

CONFIG = "config.yaml"
HISTORY = "history.csv"
TENSORBOARD = "tensorboard"  # event files, with training.tensorboard
METRICS = "metrics.json"
MODEL = "model.keras"
REFERENCE_MODEL = "model.skops"  # a scikit-learn reference method (SVM, random forest)
SPLITS = "splits.npz"
ENVIRONMENT = "environment.json"
DATA = "data.json"  # what the model takes and gives, and a fingerprint of the data
STATUS = "status.json"
CHECKPOINT = "checkpoint.npz"  # a fold's resumable training state (`snn.training.checkpoints`)
FOLD_RESULTS = "fold.json"  # a finished fold's metrics, so a resumed run skips the fold
ERROR_LOG = "error.log"  # a sweep run's unexpected error, with its traceback


def create_run_dir(config, run_dir=None, overwrite=False, resume=False):
    """Create (or reopen, to resume) the directory a training run writes to.

    Args:
        config: ExperimentConfig; without `run_dir` the run goes to
            `<output.dir>/<name>-<YYYYmmdd-HHMMSS>` (with a numeric suffix if taken).
        run_dir: str, Path or None, an explicit directory.
        overwrite: bool, delete a run already in `run_dir` (not one still running).
        resume: bool, reopen the unfinished run in `run_dir` (interrupted, failed, or
            killed while running), removing the temporary files of writes it left
            unfinished.

    Returns:
        Path of the (now existing) directory.

    Raises:
        RunDirError: `run_dir` holds a run and neither flag allows it (or the flag does not
            fit the run: resuming a completed run, replacing a running one), is a non-empty
            directory that holds no run, or cannot be created.
    """
    if run_dir is None:
        if resume:
            raise RunDirError("--resume needs the run directory of the run to continue")
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path(config.output.dir) / f"{config.name}-{stamp}"
        run_dir, suffix = base, 1
        while run_dir.exists():
            suffix += 1
            run_dir = base.with_name(f"{base.name}-{suffix}")
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    if resume:
        check_resumable(run_dir)
        _write_status_or_fail(run_dir)
        remove_temporaries(run_dir)
        return run_dir
    if status is not None:
        _check_replaceable(run_dir, status, overwrite)
        shutil.rmtree(run_dir)
    elif run_dir.is_dir() and any(run_dir.iterdir()):
        raise RunDirError(f"{run_dir}: not empty and holds no run ({STATUS} missing); "
                          "choose a new or empty --run-dir")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"{run_dir}: cannot create the run directory ({error.strerror})") \
            from None
    _write_status_or_fail(run_dir)
    return run_dir


def remove_temporaries(run_dir):
    """Remove the temporary files of `write_atomic` calls that never finished: a process
    killed while writing a checkpoint leaves one as large as the checkpoint.

    Call only on a run no process is writing to.

    Args:
        run_dir: Path of the run directory; its fold directories are searched too.
    """
    for temporary in Path(run_dir).rglob(f"{TEMPORARY_PREFIX}*"):
        temporary.unlink(missing_ok=True)


def _write_status_or_fail(run_dir):
    try:
        write_status(run_dir, "running")
    except OSError as error:
        raise RunDirError(f"{run_dir}: cannot write to the run directory "
                          f"({error.strerror})") from None


def check_resumable(run_dir):
    """Refuse to resume `run_dir` unless it holds an unfinished run that is not running.

    Raises:
        RunDirError: it holds no run, a completed one, or one whose process is alive.
    """
    if not Path(run_dir).is_dir():
        raise RunDirError(f"{run_dir}: no such run directory")
    status = read_status(run_dir)
    if status is None:
        raise RunDirError(f"{run_dir}: holds no run to resume ({STATUS} missing)")
    if status["status"] == "completed":
        raise RunDirError(f"{run_dir}: the run has completed; nothing to resume "
                          f"(`snn train CONFIG --run-dir {run_dir} --overwrite` trains it "
                          "again)")
    _check_not_running(run_dir, status)


def check_complete(run_dir):
    """Refuse a directory that holds no completed run (to evaluate it, say).

    Raises:
        RunDirError: no such directory, or its run has not completed.
    """
    if not Path(run_dir).is_dir():
        raise RunDirError(f"{run_dir}: no such run directory")
    if not is_complete(run_dir):
        raise RunDirError(f"{run_dir}: not a completed run ({STATUS} does not say "
                          "completed); train it with `snn train` first")


def _check_replaceable(run_dir, status, overwrite):
    _check_not_running(run_dir, status)
    if overwrite:
        return
    if status["status"] == "completed":
        raise RunDirError(f"{run_dir}: already holds a completed run; choose another "
                          "--run-dir, or --overwrite to replace it")
    raise RunDirError(f"{run_dir}: holds an unfinished run ({status['status']}); --resume to "
                      "continue it, or --overwrite to start again")


def _check_not_running(run_dir, status):
    """A run whose process is alive on this machine must not be resumed or replaced."""
    pid = status.get("pid")
    if status["status"] != "running" or status.get("host") != socket.gethostname() or \
            pid == os.getpid():
        return
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError, TypeError):
        return  # the process is gone: the run was killed
    raise RunDirError(f"{run_dir}: the run is still running (process {pid}); stop it first")


def write_status(run_dir, status, **details):
    """Record a run's state in `status.json`, atomically.

    Args:
        run_dir: Path of the run directory.
        status: "running", "completed", "failed", "interrupted" or "pruned".
        **details: JSON values to record with it, e.g. `reason` for a failed run.
    """
    write_json(Path(run_dir) / STATUS, {
        "status": status, **details, "pid": os.getpid(), "host": socket.gethostname(),
        "updated": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    })


def read_status(run_dir):
    """The content of a run's `status.json`, or None when it has none."""
    path = Path(run_dir) / STATUS
    return read_json(path) if path.is_file() else None


def is_complete(run_dir):
    """Whether `run_dir` holds a finished run: its status is "completed"."""
    status = read_status(run_dir)
    return status is not None and status["status"] == "completed"


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
    # Here, so that reading run directories (`snn report`) needs neither Keras nor skops
    # (whose import scans every installed estimator library: seconds); snn.layers
    # registers the layers of snn's models for loading.
    import keras
    import skops.io
    import skops.io.exceptions

    import snn.layers  # noqa: F401

    if not Path(path).is_file():
        raise DataError(f"{path}: model file not found")
    if not zipfile.is_zipfile(path):  # both formats are zip archives
        raise DataError(f"{path}: not a saved model (not a zip archive, or cut short); "
                        f"expected a {Path(path).suffix or '.keras'} file as saved by snn")
    try:
        if Path(path).suffix == ".skops":
            from snn.models.reference import TRUSTED_TYPES

            return skops.io.load(path, trusted=TRUSTED_TYPES)
        return keras.saving.load_model(path, safe_mode=True)
    except (OSError, ValueError, TypeError, KeyError, zipfile.BadZipFile,
            skops.io.exceptions.UntrustedTypesFoundException) as error:
        # Keras' refusals run to several sentences: the first says what was refused.
        reason = str(error).split(". ")[0] if str(error) else type(error).__name__
        raise DataError(f"{path}: cannot load the model safely ({reason.splitlines()[0]}); "
                        "expected a model of snn's own layers, loaded without running code "
                        "from the file") from None


def environment(config=None):
    """What a run's results depend on besides its config, for `environment.json`.

    Args:
        config: the run's `snn.config.ExperimentConfig`, for its seed and data files; None
            records the software and machine only.

    Returns:
        dict: versions (snn, Python, Keras and its backend, NumPy, scikit-learn, SciPy),
        platform, CPU count and GPUs, the command line, the code's git commit and whether
        the checkout had uncommitted changes (None outside a git checkout), and with
        `config`: the seed and a SHA-256 of the data file named by `data.path`.
    """
    import keras
    import scipy
    import sklearn

    from snn.distributed import visible_gpus

    backend = keras.backend.backend()
    record = {
        "snn": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "keras": keras.__version__,
        "backend": backend,
        "backend_version": getattr(sys.modules.get(backend), "__version__", None),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
        "cpu_count": os.cpu_count(),
        "gpus": visible_gpus(),
        "command": shlex.join(sys.argv),
        "git": _git_state(Path(__file__).resolve().parents[1]),
    }
    if config is not None:
        record["seed"] = config.seed
        record["data_files"] = _data_file_hashes(config.data)
    return record


def _git_state(directory):
    """{"commit", "dirty"} of the git checkout holding `directory`, or None."""
    def git(*args):
        return subprocess.run(["git", "-C", str(directory), *args], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()

    try:
        if git("rev-parse", "--show-toplevel") != str(directory):
            return None  # snn installed inside some other repository
        return {"commit": git("rev-parse", "HEAD"),
                "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return None  # no git, or not a checkout (an installed wheel)


def _data_file_hashes(data):
    """{path: SHA-256 hex digest} of the file `data.path` names, if it is one."""
    from snn.data import resolve_data_path

    path = data.options.get("path")
    if not path:
        return {}
    path = resolve_data_path(path, data.data_dir)
    if not path.is_file():
        return {}
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return {str(path): digest.hexdigest()}


def run_config(run_dir):
    """A run's config, with relative data paths meaning what they meant when it started.

    Args:
        run_dir: str or Path of a run directory.

    Returns:
        `snn.config.ExperimentConfig`; `data.data_dir` is the directory the run resolved
        relative paths against (recorded in `environment.json`) unless the config sets it.

    Raises:
        ConfigError: `config.yaml` is missing or invalid.
    """
    config = load_config(Path(run_dir) / CONFIG)
    environment = Path(run_dir) / ENVIRONMENT
    started_in = environment.is_file() and read_json(environment).get("data_dir")
    if config.data.data_dir is None and started_in:
        config = dataclasses.replace(config, data=dataclasses.replace(config.data,
                                                                      data_dir=started_in))
    return config


def trained_with(run_dir, raw_config):
    """Whether the run in `run_dir` was started with this config.

    Args:
        run_dir: str or Path of a run directory.
        raw_config: dict, a config as `snn.config.to_dict` writes it.

    Returns:
        bool; False when the run has no readable `config.yaml`.
    """
    try:
        return to_dict(load_config(Path(run_dir) / CONFIG)) == raw_config
    except ConfigError:
        return False
