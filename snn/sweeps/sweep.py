"""Hyperparameter sweeps: expand a config's grid (or search its space) into runs, train
them in parallel, select.

`plan_sweep(path)` reads an experiment file with a `sweep:` section and makes one run per
combination of its grid, each a complete experiment config (a combination the config
rules reject becomes a failed run with the reason). A sweep with `sweep.search` instead
makes its runs as an Optuna study asks for trials (`snn.sweeps.search`), one run directory
`trial_<number>` each, and some may end "pruned". `run_sweep(sweep, sweep_dir)` trains
the runs in worker processes, one run directory each under `sweep_dir`, named by its
settings (`depth=8,learning_rate=0.01`). A run directory that already holds a completed
run is reused, and one holding an interrupted run resumes from its checkpoint, so running
the same sweep again resumes an interrupted sweep. Every finished
run updates `sweep.csv`; at the end the best run by `sweep.select` (`snn.sweeps.selection`)
is written to `selected.yaml` and the summary to `sweep.json`, last, so a sweep without it
is unfinished. A nested sweep (`sweep.nested`) also selects in each fold on that fold's
validation rows and reports the selected runs' test metrics there: its estimate.
With `executor="ray"` the runs are tasks on a Ray cluster instead of local processes.

Example:
>>> sweep = plan_sweep("configs/digits_sweep.yaml")
>>> result = run_sweep(sweep, "runs/digits-sweep", workers=2)
>>> result.selected
'depth=4,learning_rate=0.01'
"""

import copy
import csv
import dataclasses
import io
import itertools
import json
import os
import re
import signal
import time
from pathlib import Path

from snn import runs
from snn.config import ExperimentConfig, load_config, parse_config, read_config, set_key
from snn.config import apply_overrides, get_key, save_config, to_dict
from snn.errors import ConfigError, RunDirError, RunInterrupted, TrainingError
from snn.errors import did_you_mean
from snn.sweeps.executors import LocalWorkers, RayWorkers
from snn.sweeps.outcome import RunOutcome, recorded_outcome
from snn.sweeps.search import Search, check_resumable
from snn.sweeps.selection import nested_estimate, select, select_per_fold
from snn.util.console import remaining
from snn.util.interrupts import sigterm_as_interrupt
from snn.metrics import metric_names
from snn.util.files import write_atomic, write_json


SWEEP_CSV = "sweep.csv"
SWEEP_JSON = "sweep.json"
SWEEP_CONFIG = "sweep.yaml"
SELECTED = "selected.yaml"
FINAL = "final"


@dataclasses.dataclass
class SweepRun:
    """One combination of the grid.

    Attributes:
        name: the run directory's name, from its settings.
        settings: {grid key: value}.
        config: the run's `ExperimentConfig` (without a sweep section), or None when the
            combination is invalid.
        error: why the combination is invalid, or None.
    """

    name: str
    settings: dict
    config: ExperimentConfig | None
    error: str | None = None


@dataclasses.dataclass
class Sweep:
    """A planned sweep: the base config (with its `sweep` section) and its runs.

    Attributes:
        config: the base `ExperimentConfig`, with its `sweep` section.
        runs: list of `SweepRun`: a grid's every combination, in grid order; a search's
            trials so far, in trial order (it grows as the search asks for trials).
        template: dict, the file's config with the overrides, without its `sweep`
            section: what each run's settings are applied to.
        source: str, the file, for error messages.
    """

    config: ExperimentConfig
    runs: list
    template: dict
    source: str

    def combination(self, settings):
        """The raw config of a run: `template` with `settings` ({dotted key: value})."""
        combination = copy.deepcopy(self.template)
        section = "space" if self.config.sweep.search else "grid"
        for key, value in settings.items():
            set_key(combination, key, value, f"{self.source}: sweep.{section}.{key}")
        return combination

    def make_run(self, name, settings):
        """The `SweepRun` of `settings`; invalid when the config rules reject them."""
        try:
            return SweepRun(name, settings,
                            parse_config(self.combination(settings), self.source))
        except ConfigError as error:
            return SweepRun(name, settings, None, str(error))


@dataclasses.dataclass
class SweepResult:
    """What `run_sweep` did.

    Attributes:
        sweep_dir: Path of the sweep directory.
        outcomes: {run name: `RunOutcome`}, in grid order.
        selected: the name of the best completed run (by the mean over folds).
        value: its validation value of the selection metric.
        final: the `RunOutcome` of the `sweep.final` run of the selected settings, or None.
        folds: in a nested sweep, one `snn.sweeps.selection.Choice` per fold (None where
            no run completed); else None.
    """

    sweep_dir: Path
    outcomes: dict
    selected: str | None
    value: float | None
    final: RunOutcome | None = None
    folds: list | None = None

    @property
    def estimate(self):
        """The sweep's test metrics {name: value}: the mean over folds of each fold's
        selected run (nested), else the final run's; None without either."""
        if self.folds and all(self.folds):
            return nested_estimate(self.folds)[0]
        if self.final is not None and self.final.status == "completed":
            return self.final.metrics["test"]
        return None


def plan_sweep(path, overrides=()):
    """Expand an experiment file's `sweep.grid` into one config per combination.

    Args:
        path: str or Path of a YAML experiment file with a `sweep:` section.
        overrides: "dotted.key=value" strings applied to every run (as `snn train --set`).

    Returns:
        `Sweep`, runs in grid order (the last grid key varies fastest); for a search, no
        runs yet: `run_sweep` makes them as the study asks for trials.

    Raises:
        ConfigError: the file (or an override) is invalid, has no `sweep:` section, a grid
            or space key names no config key, `sweep.select` names a metric the model's
            task does not report, or a run would need `multi_worker` distribution.
    """
    base = load_config(path, overrides)
    if base.sweep is None:
        raise ConfigError(f"{path}: sweep: missing; expected a sweep section with a grid, "
                          "e.g. sweep: {grid: {model.depth: [2, 4, 8]}}", key="sweep")
    for grid in base.sweep.grids or [base.sweep.space]:
        _check_grid_keys(grid, base, path)
    _check_selection(base, path)
    if base.sweep.final is not None:
        try:
            final_config(base, base.sweep.final)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}", key=error.key) from None
    raw = read_config(path)
    apply_overrides(raw, overrides)
    raw.pop("sweep")
    sweep = Sweep(base, [], raw, str(path))
    combinations = [dict(zip(grid, values)) for grid in base.sweep.grids
                    for values in itertools.product(*grid.values())]
    for settings, name in zip(combinations, _run_names(combinations, base.sweep.keys)):
        sweep.runs.append(sweep.make_run(name, settings))
    if base.sweep.search:
        _check_space_ends(sweep)
    if any(run.config and run.config.training.distribution == "multi_worker"
           for run in sweep.runs) or base.training.distribution == "multi_worker":
        raise ConfigError(f"{path}: training.distribution: got 'multi_worker', which trains "
                          "one run over several processes started together; a sweep starts "
                          "its own: expected none or mirrored", key="training.distribution")
    return sweep


def _check_grid_keys(grid, base, path):
    """A grid (or space) key must name a config key; under `model`/`data` it may also
    belong to a builder or source that the grid itself switches to."""
    resolved = to_dict(base)
    section = "space" if base.sweep.search else "grid"
    for key in grid:
        top = key.split(".")[0]
        switched = {"model": "model.name", "data": "data.source"}.get(top) in grid
        if not (_has_path(resolved, key) or switched):
            hint = did_you_mean(key, _paths(resolved)).strip() or \
                "expected a dotted key of the experiment, e.g. model.depth"
            raise ConfigError(f"{path}: sweep.{section}.{key}: no such config key; {hint}",
                              key=f"sweep.{section}.{key}")


def _check_space_ends(sweep):
    """A numeric range's ends must be values its key accepts (a dropout rate below 1, say):
    else trials would fail one by one, mid-sweep. Each end is tried alone in the template;
    an error about another key is a combination the search may still make valid."""
    for key, bounds in sweep.config.sweep.space.items():
        (kind, values), = bounds.items()
        if kind == "choice":
            continue  # like a grid's values, valid or not in combination
        for end in values:
            try:
                parse_config(sweep.combination({key: end}), sweep.source)
            except ConfigError as error:
                if error.key != key:
                    continue
                detail = str(error).split(f"{key}: ", 1)[-1]
                raise ConfigError(f"{sweep.source}: sweep.space.{key}.{kind}: the range "
                                  f"{values} ends outside the key's values: {detail}",
                                  key=f"sweep.space.{key}") from None


def _paths(mapping, prefix=""):
    """Every dotted key path of a nested mapping (sections and their keys)."""
    paths = []
    for key, value in mapping.items():
        paths.append(prefix + key)
        if isinstance(value, dict):
            paths += _paths(value, f"{prefix}{key}.")
    return paths


def _has_path(mapping, key):
    return get_key(mapping, key, _MISSING) is not _MISSING


_MISSING = object()


def _check_selection(base, path):
    metric, _ = base.sweep.selection
    known = metric_names(base.model.arguments["output_activation"])
    if metric not in known:
        raise ConfigError(f"{path}: sweep.select: got metric {metric!r}; this model's runs "
                          f"report {', '.join(known)}", key="sweep.select")
    resolved = to_dict(base)
    for key, _ in base.sweep.ties:
        if not _has_path(resolved, key):
            raise ConfigError(f"{path}: sweep.select: tie-break {key!r} names no config "
                              "key; expected a dotted key such as model.depth",
                              key="sweep.select")


def _run_names(combinations, keys):
    """Directory names like "depth=8,learning_rate=0.01", one per combination, unique.

    Keys are shortened to their last part unless two grid keys share it.
    """
    leaves = [key.rsplit(".", 1)[-1] for key in keys]
    labels = {key: leaf if leaves.count(leaf) == 1 else key
              for key, leaf in zip(keys, leaves)}
    names, seen = [], set()
    for settings in combinations:
        name = ",".join(f"{labels[key]}={_format_value(value)}"
                        for key, value in settings.items())
        unique, number = name, 1
        while unique in seen:
            number += 1
            unique = f"{name}~{number}"
        seen.add(unique)
        names.append(unique)
    return names


def _format_value(value):
    if isinstance(value, (list, tuple)):
        return "x".join(_format_value(v) for v in value)
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return re.sub(r"[^A-Za-z0-9_.+-]", "-", str(value))


def run_sweep(sweep, sweep_dir=None, workers=None, verbose=1, executor="local",
              address=None, stack=1):
    """Train every run of a sweep that has not completed yet, record them, select the best.

    Args:
        sweep: `Sweep` from `plan_sweep`.
        sweep_dir: str, Path or None; None uses `<output.dir>/<name>-sweep`, so running the
            same sweep again finds and resumes it.
        workers: int, parallel worker processes (default: one per CPU core); each gets an
            equal share of the cores. 1 trains in this process. Worker processes are
            spawned, so, as with any `multiprocessing` code, call this from a script file
            under `if __name__ == "__main__":` (not from standard input). With `executor="ray"`, the
            most runs in flight at once (default: all; Ray starts as many as the cluster
            has CPUs, one CPU and one backend thread per run).
        verbose: 1 prints one line per finished run; 0 is silent.
        executor: "local" trains in processes of this machine; "ray" as Ray tasks, on the
            cluster of `address`. Run directories are paths that every Ray worker and this
            process use, so on a cluster of several machines the sweep directory must be
            on storage they share (NFS, say).
        address: str or None, with `executor="ray"`: passed to `ray.init(address=...)`,
            e.g. "auto", "ray://host:10001", or "local" for a new local Ray runtime; None
            is Ray's default (the cluster in `$RAY_ADDRESS`, else a new local runtime).
            Unused when this process has already initialized Ray: that connection is used.
        stack: int >= 1, the most grid runs trained together as one stacked model
            (`snn.training.stacked`): runs whose configs differ only in what members may
            (model, learning rate, seed, early stopping) and that have no checkpoint to
            resume from. 1 trains every run alone.

    Returns:
        `SweepResult`.

    Raises:
        ConfigError: `workers` is below 1, `executor` is unknown, `address` is given
            without `executor="ray"`, Ray is not installed, or `ray.init` failed.
        RunDirError: `sweep_dir` cannot be created.
        TrainingError: no run completed (the reasons are in `sweep.csv`).
    """
    result = run_sweeps([(sweep, sweep_dir)], workers, verbose, executor, address, stack)[0]
    if result.selected is None:
        raise TrainingError(f"sweep: none of the {len(result.outcomes)} runs completed with "
                            f"a validation {sweep.config.sweep.selection[0]}; the reasons "
                            f"are in {result.sweep_dir / SWEEP_CSV}")
    return result


def require_a_completed_run(results):
    """Refuse to compare sweeps none of whose runs completed (a wrong data path, say).

    Args:
        results: list of `SweepResult`.

    Raises:
        TrainingError: no run of any of them completed; names the first failure.
    """
    outcomes = [(result.sweep_dir / name, outcome) for result in results
                for name, outcome in result.outcomes.items() if outcome is not None]
    if any(outcome.status == "completed" for _, outcome in outcomes):
        return
    path, first = next(((path, outcome) for path, outcome in outcomes if outcome.reason),
                       (None, None))
    raise TrainingError(f"none of the {len(outcomes)} runs completed" + (
        f"; the first failure, {path}: {first.reason}" if first else ""))


def run_sweeps(sweeps, workers=None, verbose=1, executor="local", address=None, stack=1):
    """Run several sweeps with one pool of workers, e.g. one sweep per data set and method.

    First every pending grid run (or search trial) of every sweep, then each sweep's
    selection, then the `sweep.final` runs of the selected settings; see `run_sweep` for
    one sweep.

    Args:
        sweeps: list of (`Sweep`, sweep directory or None).
        workers: int or None, as for `run_sweep`.
        verbose: 1 prints one line per finished run, labelled by its path below the sweeps'
            common directory.
        executor: "local" or "ray", as for `run_sweep`.
        address: str or None, the Ray cluster, as for `run_sweep`.
        stack: int, as for `run_sweep`; runs of different sweeps stack too (the same
            data and training settings, say, for two networks).

    Returns:
        list of `SweepResult`, in the order of `sweeps`; `selected` and `value` are None
        for a sweep none of whose runs completed.

    Raises:
        ConfigError: as for `run_sweep`; all but a failing `ray.init` before anything is
            written.
        RunDirError: a sweep directory cannot be created.
    """
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers: got {workers}; expected an integer >= 1")
    if executor not in ("local", "ray"):
        raise ConfigError(f"--executor: got {executor!r}; expected 'local' or 'ray'")
    if stack < 1:
        raise ConfigError(f"--stack: got {stack}; expected an integer >= 1 (1 trains every "
                          "run alone)")
    if address is not None and executor != "ray":
        raise ConfigError(f"--address: got {address!r}; it names a Ray cluster, so it needs "
                          "--executor ray")
    pool = RayWorkers(workers, address) if executor == "ray" else LocalWorkers(workers)
    dirs = [_make_sweep_dir(sweep, sweep_dir) for sweep, sweep_dir in sweeps]
    root = Path(os.path.commonpath(dirs)) if len(dirs) > 1 else dirs[0]
    outcomes, jobs, searches = _done_and_pending(sweeps, dirs, stack)
    total = sum(max(sweep.config.sweep.trials or 0, len(sweep.runs)) for sweep, _ in sweeps)
    final_runs = sum(sweep.config.sweep.final is not None for sweep, _ in sweeps)
    progress = _Progress(total + final_runs, root, verbose)
    for index, ((sweep, _), sweep_dir) in enumerate(zip(sweeps, dirs)):
        for run in sweep.runs:
            if (outcome := outcomes[index][run.name]) is not None:
                progress.report(sweep_dir / run.name, outcome,
                                "invalid" if run.error else "already done")
        _write_csv(sweep, outcomes[index], sweep_dir / SWEEP_CSV)
    stopped = f"{root}: completed runs are kept and running ones checkpointed; run the " \
        "same command again to resume"
    try:
        with sigterm_as_interrupt(stopped), pool:
            for (index, name), outcome in pool.run(jobs):
                outcomes[index][name] = outcome
                if searches[index]:
                    searches[index].tell(name, outcome)
                progress.report(dirs[index] / name, outcome)
                _write_csv(sweeps[index][0], outcomes[index], dirs[index] / SWEEP_CSV)
            selections = [select(sweep, outcome)
                          for (sweep, _), outcome in zip(sweeps, outcomes)]
            finals = _run_finals(sweeps, dirs, selections, pool, progress)
    except KeyboardInterrupt as interrupt:
        _record_finished(sweeps, dirs, outcomes)
        raise RunInterrupted(stopped, getattr(interrupt, "signum", signal.SIGINT)) from None
    return [_summarize(sweep, sweep_dir, outcomes[index], selections[index], finals.get(index))
            for index, ((sweep, _), sweep_dir) in enumerate(zip(sweeps, dirs))]


def _done_and_pending(sweeps, dirs, stack):
    """Per sweep, {run name: outcome of a run that needs no training, or None}; the jobs
    ((sweep index, run name) keys, raw configs, run directories, trial) of the others:
    first the grid runs, up to `stack` per job, then the searches' trials, one per job, an
    iterator that a search extends as it is consumed; and per sweep its `Search` or None.
    """
    outcomes, pending, trials, searches = [], [], [], []
    for index, ((sweep, _), sweep_dir) in enumerate(zip(sweeps, dirs)):
        search = Search(sweep, sweep_dir) if sweep.config.sweep.search else None
        if search:
            outcomes.append(search.restore())
            trials.append(search.jobs(index))
        else:
            done = {run.name: _finished_outcome(run.error, sweep_dir / run.name, run.config)
                    for run in sweep.runs}
            outcomes.append(done)
            pending += [((index, run.name), run.config, sweep_dir / run.name)
                        for run in sweep.runs if done[run.name] is None]
        searches.append(search)
    return outcomes, itertools.chain(_grid_jobs(pending, stack), *trials), searches


def _grid_jobs(pending, stack):
    """Jobs of pending (key, config, run directory) grid runs: runs that can train as one
    stacked model in groups of at most `stack`, split evenly (12 runs at most 8 per job:
    two jobs of 6), in order of each group's first run; every other run alone."""
    groups = {}
    for key, config, run_dir in pending:
        group = _stack_key(config, run_dir) if stack > 1 else None
        groups.setdefault(group or key, []).append((key, config, run_dir))
    for group in groups.values():
        count = -(-len(group) // stack)
        for part in range(count):
            members = group[part * len(group) // count:(part + 1) * len(group) // count]
            keys, configs, run_dirs = zip(*members)
            yield keys, [to_dict(config) for config in configs], list(run_dirs), None


def _stack_key(config, run_dir):
    """What the run must share with others to train stacked, or None: it trains alone, or
    it has a checkpoint to resume from (stacked runs keep none)."""
    from snn.training.stacked import stack_key  # imports Keras: only when stacking

    key = None if (Path(run_dir) / runs.CHECKPOINT).is_file() else stack_key(config)
    return key and ("stack", key)


def _record_finished(sweeps, dirs, outcomes):
    """After an interruption: runs that finished while it arrived are complete on disk,
    so `sweep.csv` records them."""
    for index, ((sweep, _), sweep_dir) in enumerate(zip(sweeps, dirs)):
        for run in sweep.runs:
            outcomes[index][run.name] = outcomes[index][run.name] or \
                _finished_outcome(run.error, sweep_dir / run.name, run.config)
        _write_csv(sweep, outcomes[index], sweep_dir / SWEEP_CSV)


def _summarize(sweep, sweep_dir, outcomes, choice, final):
    """Write the selected config and `sweep.json` (last: a sweep without it is unfinished);
    return the `SweepResult`."""
    if choice is not None:
        save_config(choice.run.config, sweep_dir / SELECTED)
    folds = select_per_fold(sweep, outcomes) if sweep.config.sweep.nested else None
    statuses = [outcome and outcome.status for outcome in outcomes.values()]
    result = SweepResult(sweep_dir, outcomes, choice and choice.run.name,
                         choice and choice.value, final, folds)
    write_json(sweep_dir / SWEEP_JSON, {
        "select": sweep.config.sweep.select,
        "selected": result.selected,
        "value": result.value,
        "settings": choice and choice.run.settings,
        "completed": statuses.count("completed"),
        "pruned": statuses.count("pruned"),
        "failed": statuses.count("failed"),
        "final": final and {"status": final.status, "reason": final.reason,
                            "metrics": final.metrics},
        "folds": folds and [fold and {"selected": fold.run.name,
                                      "settings": fold.run.settings,
                                      "value": fold.value, "test": fold.test}
                            for fold in folds],
        "test": result.estimate if folds else None,
    })
    return result


def _make_sweep_dir(sweep, sweep_dir):
    base = sweep.config
    sweep_dir = Path(sweep_dir or Path(base.output.dir) / f"{base.name}-sweep")
    try:
        sweep_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"{sweep_dir}: cannot create the sweep directory "
                          f"({error.strerror})") from None
    if base.sweep.search:
        check_resumable(base, sweep_dir, sweep_dir / SWEEP_CONFIG)
    save_config(base, sweep_dir / SWEEP_CONFIG)
    return sweep_dir


def _finished_outcome(error, run_dir, config):
    """The outcome of a run that needs no training (invalid, or ended before with this
    very config; a rerun with other --set values trains its runs again), else None."""
    if error is not None:
        return RunOutcome.failed(error)
    return recorded_outcome(run_dir, to_dict(config))


def _run_finals(sweeps, dirs, selections, pool, progress):
    """Train the selected settings of each sweep with `sweep.final` into `<dir>/final`."""
    finals, jobs = {}, []
    for index, ((sweep, _), sweep_dir) in enumerate(zip(sweeps, dirs)):
        choice = selections[index]
        if sweep.config.sweep.final is None or choice is None:
            continue
        config = final_config(choice.run.config, sweep.config.sweep.final)
        finals[index] = _finished_outcome(None, sweep_dir / FINAL, config)
        if finals[index] is None:
            jobs.append(((index,), [to_dict(config)], [sweep_dir / FINAL], None))
        else:
            progress.report(sweep_dir / FINAL, finals[index], "already done")
    for index, outcome in pool.run(jobs):
        finals[index] = outcome
        progress.report(dirs[index] / FINAL, outcome)
    return finals


def final_config(config, final):
    """A run's config with the `sweep.final` overrides applied.

    Args:
        config: `ExperimentConfig` of the selected run.
        final: {dotted key: value}.

    Returns:
        `ExperimentConfig`.

    Raises:
        ConfigError: the overrides make the config invalid (the key is named).
    """
    raw = to_dict(config)
    for key, value in final.items():
        set_key(raw, key, value, f"sweep.final.{key}")
    try:
        return parse_config(raw, "sweep.final")
    except ConfigError as error:
        raise ConfigError(str(error), key=error.key) from None


class _Progress:
    """One line per finished run: "[3/12] depth=8: completed in 4.1 s: validation ...;
    9 to go, about 40 s left" (the estimate from the runs this invocation trained, workers
    in parallel included)."""

    def __init__(self, total, root, verbose):
        self.total, self.root, self.done, self.verbose = total, root, 0, verbose
        self.trained, self.started = 0, time.perf_counter()

    def report(self, run_dir, outcome, note=""):
        self.done += 1
        self.trained += not note  # a note marks a run finished before this invocation
        if not self.verbose:
            return
        if outcome.status == "completed":
            validation = outcome.metrics["validation"]
            detail = ", ".join(f"validation {k} {v:.4f}" for k, v in validation.items()
                               if k != "loss")
            detail = detail or f"validation loss {validation['loss']:.4f}"
            when = f" ({note})" if note else f" in {outcome.seconds:.1f} s"
            line = f"completed{when}: {detail}"
        else:
            line = f"{outcome.status}{f' ({note})' if note else ''}: {outcome.reason}"
        name = Path(run_dir).relative_to(self.root)
        left = self.total - self.done
        to_go = remaining(self.trained, self.trained + left,
                          time.perf_counter() - self.started) if self.trained else ""
        print(f"[{self.done}/{self.total}] {name}: {line}" + (f"; {to_go}" if to_go else ""),
              flush=True)


def _write_csv(sweep, outcomes, path):
    """One row per run in grid order: settings, status, metrics, time, failure reason."""
    columns = _metric_columns(outcomes)
    header = ["run", "status", *sweep.config.sweep.keys,
              *(f"{split}_{name}" for split, name in columns), "epochs_run",
              "train_seconds", "seconds", "reason"]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for run in sweep.runs:
        outcome = outcomes.get(run.name) or RunOutcome(_unfinished(path.parent / run.name),
                                                       seconds=None)
        result = outcome.metrics or {}
        settings = [run.settings.get(key, "") for key in sweep.config.sweep.keys]
        writer.writerow([run.name, outcome.status,
                         *(json.dumps(v) if isinstance(v, list) else v for v in settings),
                         *(result.get(split, {}).get(name) for split, name in columns),
                         result.get("epochs_run"), result.get("train_seconds"),
                         outcome.seconds, outcome.reason])
    write_atomic(path, lambda tmp: Path(tmp).write_text(text.getvalue()))


def _unfinished(run_dir):
    """"interrupted" for a run stopped during training (it resumes), else "pending"."""
    status = runs.read_status(run_dir)
    return "interrupted" if status and status["status"] == "interrupted" else "pending"


def _metric_columns(outcomes):
    """(split, metric) for the validation and test means and the test standard deviation
    of every metric a completed run reports."""
    names = []
    for outcome in outcomes.values():
        if outcome and outcome.status == "completed":
            names += [name for name in outcome.metrics["test"] if name not in names]
    return [(split, name) for split in ("validation", "test", "test_std") for name in names]
