"""Work done in fresh Python processes: one sweep job (a run, or stacked runs) per call.

This module imports no Keras at the top, so a worker process can start (and silence
TensorFlow's start-up messages) before anything imports Keras.
"""

import dataclasses
import os
import signal
import sys
import time

from snn.sweeps.outcome import RunOutcome
from snn.util.console import import_keras_quietly, log_warnings_to_stderr, quiet_backend_logs

# Set in local sweep worker processes by `start_worker`.
_worker = False
# Set by `prepare_worker` once it has prepared this process.
_prepared = False


def start_worker(threads):
    """Initialize a local sweep worker process: `prepare_worker`, and tie it to its parent.

    Args:
        threads: int, the CPU threads this worker's backend may use.
    """
    global _worker
    _worker = True
    # Ctrl-C in a terminal reaches every process of the group: the parent alone handles it
    # (it stops the workers with SIGTERM), so workers print no tracebacks of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
    prepare_worker(threads)


def prepare_worker(threads):
    """Prepare a process to train sweep runs: quiet Keras, and its share of the CPU cores.

    Shared by local worker processes (`start_worker`) and Ray workers (`train_run_in_ray`).
    Only the first call in a process does anything: a Ray worker runs many tasks, and the
    backend's thread pools are fixed once it has run an operation.

    Args:
        threads: int, the CPU threads this process's backend may use.
    """
    global _prepared
    if _prepared:
        return
    _prepared = True
    # Children inherit the parent's TF_CPP_MIN_LOG_LEVEL, which would skip the redirect.
    os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
    import_keras_quietly()
    quiet_backend_logs()
    log_warnings_to_stderr()
    from snn.distributed import limit_cpu_threads

    limit_cpu_threads(threads)


def train_runs_in_ray(raw_configs, run_dirs, threads, trial=None):
    """The Ray task of a sweep job: `prepare_worker`, then `train_runs`.

    Unlike a local worker, a Ray worker keeps its SIGINT handling and its parent: Ray does
    not send it the terminal's Ctrl-C, `ray.cancel` interrupts a task with SIGINT's handler
    (training then checkpoints after the current step), and Ray ends its workers itself.
    Here, not in `snn.sweeps`, so that loading the task imports no Keras before the quiet
    import.

    Args:
        raw_configs: list of dicts, as for `train_runs`.
        run_dirs: list of str, the run directories, paths the Ray worker's machine can
            write.
        threads: int, the CPU threads the backend may use (the CPUs the task asked for).
        trial: as for `train_runs`.

    Returns:
        list of dicts, as for `train_runs`.

    Raises:
        RunInterrupted: the task was cancelled (or its worker got SIGTERM) during training;
            the run is checkpointed.
    """
    prepare_worker(threads)
    return train_runs(raw_configs, run_dirs, trial)


def _end_with_parent():
    """Ask Linux to send this worker SIGTERM when its parent dies (say, `snn sweep` killed
    with SIGKILL): it then checkpoints its run and ends instead of training on, orphaned.
    Elsewhere nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    set_parent_death_signal = 1  # PR_SET_PDEATHSIG, from <sys/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGTERM)


def train_runs(raw_configs, run_dirs, trial=None):
    """Train the runs of one job: one run (`train_run`), or several together as the
    members of one stacked model (`snn.training.stacked.train_stacked`).

    Args:
        raw_configs: list of dicts, as for `train_run`; several must have equal
            `snn.training.stacked.stack_key`s.
        run_dirs: list of str, their run directories.
        trial: as for `train_run`, with one run only.

    Returns:
        list of dicts, `RunOutcome.to_dict()` per run, in order. Stacked runs are trained
        from their first epoch (they keep no checkpoints); an error of the whole stack
        (not one member's) fails every run, with the same reason.

    Raises:
        RunInterrupted: as for `train_run`; stacked runs are marked interrupted.
    """
    if len(raw_configs) == 1:
        return [train_run(raw_configs[0], run_dirs[0], trial)]
    from snn.config import parse_config
    from snn.training.stacked import train_stacked

    def work():
        configs = [parse_config(raw, run_dir) for raw, run_dir in zip(raw_configs, run_dirs)]
        return [RunOutcome.failed(result.error) if result.error else
                RunOutcome("completed", result.metrics)
                for result in train_stacked(configs, run_dirs)]

    return _reported(work, run_dirs)


def train_run(raw_config, run_dir, trial=None):
    """Train one run of a sweep, or resume it, and report how it ended.

    A run directory holding an unfinished run of the same config (the sweep was stopped
    during it) resumes from its checkpoint; any other run in it is replaced.

    Args:
        raw_config: dict, the run's full config as `snn.config.to_dict` writes it (plain
            data, so it crosses process boundaries without pickling classes).
        run_dir: str, the run directory.
        trial: None, or for a search trial with a pruner the plain dict that
            `snn.sweeps.search.TrialPruning` takes: the run reports its per-epoch
            validation value to the study and ends "pruned" when the pruner says so.

    Returns:
        dict, `RunOutcome.to_dict()` (plain data, to cross the process boundary): status
        "completed", "failed" or "pruned"; for an unexpected error, which is not the
        user's, the reason names the run's `error.log` holding the traceback.

    Raises:
        RunInterrupted: SIGINT or SIGTERM stopped the run (checkpointed). A worker process
            then ends as the signal would have ended it, so its pool hands it no more runs.
    """
    from snn.config import parse_config
    from snn.errors import RunPruned
    from snn.sweeps.search import TrialPruning
    from snn.training import train

    def work():
        resuming = _holds_unfinished(run_dir, raw_config)
        observers = [TrialPruning(trial)] if trial else []
        try:
            metrics = train(parse_config(raw_config, run_dir), run_dir, verbose=0,
                            overwrite=not resuming, resume=resuming, observers=observers)
        except RunPruned as pruned:
            return [RunOutcome("pruned", reason=str(pruned))]
        return [RunOutcome("completed", metrics)]

    return _reported(work, [run_dir])[0]


def _reported(work, run_dirs):
    """Call `work()`, which trains the runs in `run_dirs` and returns their `RunOutcome`s,
    and return them as plain dicts with the seconds it took; an error fails every run."""
    import keras

    from snn.errors import RunInterrupted, SNNError, describe

    started = time.perf_counter()
    try:
        outcomes = work()
    except RunInterrupted as stopped:
        if _worker:
            signal.signal(stopped.signum, signal.SIG_DFL)
            os.kill(os.getpid(), stopped.signum)
        raise
    except Exception as error:  # noqa: BLE001  one broken combination must not stop a sweep
        reason = describe(error)
        if not isinstance(error, SNNError):  # a bug, not the user's: keep the traceback
            reason += "; traceback in " + ", ".join(
                str(_write_traceback(run_dir)) for run_dir in run_dirs)
        outcomes = [RunOutcome.failed(reason)] * len(run_dirs)
    finally:
        keras.backend.clear_session()  # a long-lived worker must not accumulate graphs
    seconds = round(time.perf_counter() - started, 3)
    return [dataclasses.replace(outcome, seconds=seconds).to_dict() for outcome in outcomes]


def _write_traceback(run_dir):
    """Write the exception being handled, with its traceback, to the run's `error.log`
    (the one line of the sweep's report cannot hold it); return the file's path."""
    import traceback
    from pathlib import Path

    from snn import runs
    from snn.util.files import write_atomic

    path = Path(run_dir) / runs.ERROR_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    text = traceback.format_exc()
    write_atomic(path, lambda temporary: Path(temporary).write_text(text))
    return path


def _holds_unfinished(run_dir, raw_config):
    """Whether `run_dir` holds an unfinished, resumable run of exactly this config."""
    from snn import runs
    from snn.errors import RunDirError

    try:
        runs.check_resumable(run_dir)
    except RunDirError:
        return False
    return runs.trained_with(run_dir, raw_config)
