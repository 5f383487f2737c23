"""Where a sweep's runs train: processes of this machine, or tasks on a Ray cluster.

Both executors are context managers with one method, `run(jobs)`, which takes
(keys, raw configs, run directories, trial) jobs, each one run or several stacked ones (as
`snn.sweeps.worker.train_runs` takes them), and yields (key, outcome) per run as jobs
finish; an outcome is a `RunOutcome`: what `train_runs` returned, or a failed one saying
why the run could not finish (its worker died). Jobs are
taken from their iterable only as workers free up, and each outcome is yielded before the
next job is taken, so a search asks for its next trial knowing every finished one.
Leaving the context after an error or Ctrl-C stops the running runs, which checkpoint
after their current step.
"""

import itertools
import multiprocessing
import os
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from snn.data import data_root
from snn.errors import ConfigError, describe
from snn.sweeps.outcome import RunOutcome
from snn.sweeps.worker import start_worker, train_runs, train_runs_in_ray


class LocalWorkers:
    """Trains runs in this process (one worker) or in a pool of spawned processes, created
    on first use and shared by every batch of runs (forking a process that has started
    TensorFlow is unsafe; spawning costs a few seconds per worker)."""

    def __init__(self, workers):
        self.workers = workers or os.cpu_count() or 1
        self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if self.pool is None:
            return
        if kind is None:
            self.pool.shutdown()
            return
        # On an error or Ctrl-C, drop the queued runs and stop the running ones: on SIGTERM
        # a worker checkpoints its run after the current step and ends; a rerun resumes it.
        self.pool.shutdown(wait=False, cancel_futures=True)
        children = multiprocessing.active_children()
        for child in children:
            child.terminate()
        for child in children:
            child.join()

    def run(self, jobs):
        """Yield (key, outcome) per run of (keys, raw configs, run_dirs, trial) jobs, in
        order of completion."""
        queue = iter(jobs)
        first = list(itertools.islice(queue, 1 if self.workers == 1 else 2))
        if self.workers == 1 or len(first) == 1 and self.pool is None:
            # In this process: no worker to spawn for a single job.
            for keys, raws, run_dirs, trial in itertools.chain(first, queue):
                outcomes = train_runs(raws, [str(run_dir) for run_dir in run_dirs], trial)
                yield from zip(keys, map(RunOutcome.from_dict, outcomes))
            return
        if self.pool is None and first:
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker, initargs=(threads,))
        running = {}

        def submit(jobs):
            for keys, raws, run_dirs, trial in jobs:
                future = self.pool.submit(train_runs, raws,
                                          [str(run_dir) for run_dir in run_dirs], trial)
                running[future] = keys

        submit(itertools.chain(first, itertools.islice(queue, self.workers - len(first))))
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                keys = running.pop(future)
                yield from zip(keys, _outcomes(future, len(keys)))
                submit(itertools.islice(queue, 1))


def _outcomes(future, count):
    try:
        return [RunOutcome.from_dict(outcome) for outcome in future.result()]
    except BrokenProcessPool:
        return [RunOutcome.failed("the worker process died (killed, or out of memory); run "
                                  "the sweep again to retry")] * count


class RayWorkers:
    """Trains runs as tasks on a Ray cluster, with the interface of `LocalWorkers`.

    Each task asks Ray for one CPU and trains with one backend thread; `workers` caps the
    tasks in flight (default: every run at once, and Ray starts as many as the cluster has
    free CPUs). Ray is initialized on first use, unless this process already has: then
    that connection is used and left open. A task whose worker dies is not retried: the
    run is recorded as failed, as with local workers, and a rerun of the sweep retries it.

    Args:
        workers: int or None, the most tasks in flight.
        address: str or None, for `ray.init(address=...)`.

    Raises:
        ConfigError: Ray is not installed.
    """

    # CPUs each task asks Ray for, and the backend threads it trains with.
    CPUS = 1
    # Seconds to wait, after Ctrl-C, for cancelled runs to checkpoint and end.
    CANCEL_WAIT = 60

    def __init__(self, workers, address):
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ConfigError("--executor ray needs Ray: pip install 'snn[ray]'") from None
        self.workers, self.address = workers, address
        self.task, self.started = None, False
        self.pending = {}  # {future of a task's result: (key, ObjectRef)}

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        import ray

        try:
            if kind is not None and self.pending:
                # Queued tasks are dropped; running ones get KeyboardInterrupt's handler,
                # so training checkpoints after the current step and ends (a rerun resumes).
                for _, ref in self.pending.values():
                    ray.cancel(ref)
                wait(self.pending, timeout=self.CANCEL_WAIT)
        finally:
            self.pending = {}
            if self.started:
                ray.shutdown()
                self.started = False

    def run(self, jobs):
        """Yield (key, outcome) per run of (keys, raw configs, run_dirs, trial) jobs, in
        order of completion.

        Raises:
            ConfigError: `ray.init` failed (e.g. no cluster at the address).
        """
        queue = iter(jobs)
        first = list(itertools.islice(queue, 1))
        if not first:
            return
        if self.task is None:
            self._connect()
        for job in itertools.chain(first, itertools.islice(
                queue, None if self.workers is None else self.workers - 1)):
            self._submit(*job)
        while self.pending:
            # Waiting on futures, not in `ray.wait`, which turns the RunInterrupted of
            # SIGTERM into a plain KeyboardInterrupt.
            done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in done:
                keys, _ = self.pending.pop(future)
                yield from zip(keys, _ray_outcomes(future, len(keys)))
                for job in itertools.islice(queue, 1):
                    self._submit(*job)

    def _submit(self, keys, raws, run_dirs, trial):
        # Absolute: a Ray worker may run in another directory, or on another machine.
        ref = self.task.remote(raws, [str(Path(run_dir).resolve()) for run_dir in run_dirs],
                               self.CPUS, trial)
        self.pending[ref.future()] = keys, ref

    def _connect(self):
        import ray

        if not ray.is_initialized():
            main = threading.current_thread() is threading.main_thread()
            previous = signal.getsignal(signal.SIGTERM) if main else None
            try:
                ray.init(address=self.address)
            except Exception as error:  # noqa: BLE001  any failure is the address's
                given = "not given (Ray's default: $RAY_ADDRESS, else a new local " \
                    "runtime)" if self.address is None else f"got {self.address!r}"
                raise ConfigError(f"--address: {given}; ray.init failed: "
                                  f"{describe(error)}") from None
            finally:
                if previous is not None:  # ray.init replaces it; SIGTERM must stop the sweep
                    signal.signal(signal.SIGTERM, previous)
            self.started = True
        # Relative data paths and the Keras backend as in this process, on every machine.
        env = {"SNN_DATA_DIR": str(data_root())}
        if "KERAS_BACKEND" in os.environ:
            env["KERAS_BACKEND"] = os.environ["KERAS_BACKEND"]
        self.task = ray.remote(train_runs_in_ray).options(
            num_cpus=self.CPUS, max_retries=0, runtime_env={"env_vars": env})


def _ray_outcomes(future, count):
    """The outcomes of the `count` runs of a finished Ray task (the future of its
    ObjectRef): its result, or failed outcomes saying why."""
    import ray

    try:
        return [RunOutcome.from_dict(outcome) for outcome in future.result()]
    except ray.exceptions.TaskCancelledError:  # before RayTaskError: a running one is both
        failed = RunOutcome.failed("the Ray task was cancelled; run the sweep again to "
                                   "resume the run")
    except ray.exceptions.RayTaskError as error:
        failed = RunOutcome.failed(f"the Ray task raised {describe(error.cause)}")
    except ray.exceptions.RayError as error:
        failed = RunOutcome.failed(f"the Ray worker died or was lost ("
                                   f"{type(error).__name__}: killed, out of memory, or its "
                                   "machine left the cluster); run the sweep again to retry")
    return [failed] * count
