"""Hyperparameter sweeps: expand a config's grid into runs, train them in parallel, select.

`plan_sweep(path)` reads an experiment file with a `sweep:` section and makes one run per
combination of its grid, each a complete experiment config (a combination the config
rules reject becomes a failed run with the reason). `run_sweep(sweep, sweep_dir)` trains
the runs in worker processes, one run directory each under `sweep_dir`, named by its
settings (`depth=8,learning_rate=0.01`). A run directory that already holds a completed
run is reused, so running the same sweep again resumes an interrupted one. Every finished
run updates `sweep.csv`; at the end the best run by `sweep.select` is written to
`selected.yaml` and the summary to `sweep.json`, last, so a sweep without it is unfinished.

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
import math
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from snn import runs
from snn.config import ExperimentConfig, load_config, parse_config, read_config, set_key
from snn.config import apply_overrides, save_config, to_dict
from snn.errors import ConfigError, RunDirError, TrainingError
from snn.metrics import metric_names
from snn.processes import start_worker, train_run

SWEEP_CSV = "sweep.csv"
SWEEP_JSON = "sweep.json"
SWEEP_CONFIG = "sweep.yaml"
SELECTED = "selected.yaml"


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
    """A planned sweep: the base config (with its `sweep` section) and its runs."""

    config: ExperimentConfig
    runs: list


@dataclasses.dataclass
class SweepResult:
    """What `run_sweep` did.

    Attributes:
        sweep_dir: Path of the sweep directory.
        outcomes: {run name: {"status", "metrics", "reason", "seconds"}}, in grid order;
            status is "completed" or "failed".
        selected: the name of the best completed run.
        value: its validation value of the selection metric.
    """

    sweep_dir: Path
    outcomes: dict
    selected: str
    value: float


def plan_sweep(path, overrides=()):
    """Expand an experiment file's `sweep.grid` into one config per combination.

    Args:
        path: str or Path of a YAML experiment file with a `sweep:` section.
        overrides: "dotted.key=value" strings applied to every run (as `snn train --set`).

    Returns:
        `Sweep`, runs in grid order (the last grid key varies fastest).

    Raises:
        ConfigError: the file (or an override) is invalid, has no `sweep:` section, a grid
            key names no config key, or `sweep.select` names a metric the model's task
            does not report.
    """
    base = load_config(path, overrides)
    if base.sweep is None:
        raise ConfigError(f"{path}: sweep: missing; expected a sweep section with a grid, "
                          "e.g. sweep: {grid: {model.depth: [2, 4, 8]}}", key="sweep")
    grid = base.sweep.grid
    _check_grid_keys(grid, base, path)
    _check_selection(base, path)
    raw = read_config(path)
    apply_overrides(raw, overrides)
    raw.pop("sweep")
    names = _run_names(grid)
    planned = []
    for values, name in zip(itertools.product(*grid.values()), names):
        settings = dict(zip(grid, values))
        combination = copy.deepcopy(raw)
        for key, value in settings.items():
            set_key(combination, key, value, f"{path}: sweep.grid.{key}")
        try:
            planned.append(SweepRun(name, settings, parse_config(combination, str(path))))
        except ConfigError as error:
            planned.append(SweepRun(name, settings, None, str(error)))
    return Sweep(base, planned)


def _check_grid_keys(grid, base, path):
    """A grid key must name a config key; under `model`/`data` it may also belong to a
    builder or source that the grid itself switches to."""
    resolved = to_dict(base)
    for key in grid:
        section = key.split(".")[0]
        switched = {"model": "model.name", "data": "data.source"}.get(section) in grid
        if not (_has_path(resolved, key) or switched):
            raise ConfigError(f"{path}: sweep.grid.{key}: no such config key; expected a "
                              "dotted key of the experiment, e.g. model.depth",
                              key=f"sweep.grid.{key}")


def _has_path(mapping, key):
    node = mapping
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _check_selection(base, path):
    metric, _ = base.sweep.selection
    known = metric_names(base.model.arguments["output_activation"])
    if metric not in known:
        raise ConfigError(f"{path}: sweep.select: got metric {metric!r}; this model's runs "
                          f"report {', '.join(known)}", key="sweep.select")


def _run_names(grid):
    """Directory names like "depth=8,learning_rate=0.01", one per combination, unique.

    Keys are shortened to their last part unless two grid keys share it.
    """
    leaves = [key.rsplit(".", 1)[-1] for key in grid]
    labels = [leaf if leaves.count(leaf) == 1 else key for key, leaf in zip(grid, leaves)]
    names, seen = [], set()
    for values in itertools.product(*grid.values()):
        name = ",".join(f"{label}={_format_value(value)}" for label, value in zip(labels,
                                                                                values))
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


def run_sweep(sweep, sweep_dir=None, workers=None, verbose=1):
    """Train every run of a sweep that has not completed yet, record them, select the best.

    Args:
        sweep: `Sweep` from `plan_sweep`.
        sweep_dir: str, Path or None; None uses `<output.dir>/<name>-sweep`, so running the
            same sweep again finds and resumes it.
        workers: int, parallel worker processes (default: one per CPU core); each gets an
            equal share of the cores. 1 trains in this process.
        verbose: 1 prints one line per finished run; 0 is silent.

    Returns:
        `SweepResult`.

    Raises:
        RunDirError: `sweep_dir` cannot be created.
        TrainingError: no run completed (the reasons are in `sweep.csv`).
    """
    base = sweep.config
    sweep_dir = Path(sweep_dir or Path(base.output.dir) / f"{base.name}-sweep")
    try:
        sweep_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"{sweep_dir}: cannot create the sweep directory "
                          f"({error.strerror})") from None
    save_config(base, sweep_dir / SWEEP_CONFIG)
    outcomes = {run.name: None for run in sweep.runs}
    pending = []
    for run in sweep.runs:
        if run.error is not None:
            outcomes[run.name] = {"status": "failed", "metrics": None, "reason": run.error,
                                  "seconds": 0.0}
        elif runs.is_complete(sweep_dir / run.name):
            metrics = runs.read_json(sweep_dir / run.name / runs.METRICS)
            outcomes[run.name] = {"status": "completed", "metrics": metrics, "reason": None,
                                  "seconds": 0.0}
        else:
            pending.append(run)
    progress = _Progress(len(sweep.runs), verbose)
    for name, outcome in outcomes.items():
        if outcome is not None:
            progress.report(name, outcome, "already done" if outcome["status"] ==
                            "completed" else "invalid")
    _write_csv(sweep, outcomes, sweep_dir / SWEEP_CSV)
    for run, outcome in _execute(pending, sweep_dir, workers):
        outcomes[run.name] = outcome
        progress.report(run.name, outcome)
        _write_csv(sweep, outcomes, sweep_dir / SWEEP_CSV)
    selected, value = _select(sweep, outcomes)
    winner = next(run for run in sweep.runs if run.name == selected)
    save_config(winner.config, sweep_dir / SELECTED)
    metric, direction = base.sweep.selection
    statuses = [outcome["status"] for outcome in outcomes.values()]
    runs.write_json(sweep_dir / SWEEP_JSON, {
        "select": base.sweep.select,
        "selected": selected,
        "value": value,
        "settings": winner.settings,
        "completed": statuses.count("completed"),
        "failed": statuses.count("failed"),
    })
    return SweepResult(sweep_dir, outcomes, selected, value)


def _execute(pending, sweep_dir, workers):
    """Yield (run, outcome) as runs finish: in this process for one worker, else in a pool
    of spawned processes (forking a process that has started TensorFlow is unsafe)."""
    if not pending:
        return
    workers = min(workers or os.cpu_count() or 1, len(pending))
    if workers == 1:
        for run in pending:
            yield run, train_run(to_dict(run.config), str(sweep_dir / run.name))
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(
            "spawn"), initializer=start_worker, initargs=(threads,)) as pool:
        futures = {pool.submit(train_run, to_dict(run.config), str(sweep_dir / run.name)): run
                   for run in pending}
        try:
            for future in as_completed(futures):
                yield futures[future], _outcome(future)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _outcome(future):
    try:
        return future.result()
    except BrokenProcessPool:
        return {"status": "failed", "metrics": None, "seconds": 0.0,
                "reason": "the worker process died (killed, or out of memory); run the "
                          "sweep again to retry"}


class _Progress:
    """One line per finished run: "[3/12] depth=8: completed, validation accuracy 0.9612"."""

    def __init__(self, total, verbose):
        self.total, self.done, self.verbose = total, 0, verbose

    def report(self, name, outcome, note=""):
        self.done += 1
        if not self.verbose:
            return
        if outcome["status"] == "completed":
            validation = outcome["metrics"]["validation"]
            detail = ", ".join(f"validation {k} {v:.4f}" for k, v in validation.items()
                               if k != "loss")
            detail = detail or f"validation loss {validation['loss']:.4f}"
            when = f" ({note})" if note else f" in {outcome['seconds']:.1f} s"
            line = f"completed{when}: {detail}"
        else:
            line = f"failed{f' ({note})' if note else ''}: {outcome['reason']}"
        print(f"[{self.done}/{self.total}] {name}: {line}", flush=True)


def _select(sweep, outcomes):
    """The completed run with the best validation value; the first in grid order on ties."""
    metric, direction = sweep.config.sweep.selection
    candidates = [(name, outcome["metrics"]["validation"].get(metric, math.nan))
                  for name, outcome in outcomes.items() if outcome["status"] == "completed"]
    candidates = [(name, value) for name, value in candidates if math.isfinite(value)]
    if not candidates:
        raise TrainingError(f"sweep: none of the {len(outcomes)} runs completed with a "
                            f"validation {metric}; the reasons are in {SWEEP_CSV}")
    sign = 1 if direction == "min" else -1
    return min(candidates, key=lambda item: sign * item[1])


def _write_csv(sweep, outcomes, path):
    """One row per run in grid order: settings, status, metrics, time, failure reason."""
    columns = _metric_columns(outcomes)
    header = ["run", "status", *sweep.config.sweep.grid,
              *(f"{split}_{name}" for split, name in columns), "epochs_run",
              "train_seconds", "seconds", "reason"]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for run in sweep.runs:
        outcome = outcomes[run.name] or {"status": "pending", "metrics": None,
                                         "reason": None, "seconds": None}
        result = outcome["metrics"] or {}
        writer.writerow([run.name, outcome["status"],
                         *(json.dumps(v) if isinstance(v, list) else v
                           for v in run.settings.values()),
                         *(result.get(split, {}).get(name) for split, name in columns),
                         result.get("epochs_run"), result.get("train_seconds"),
                         outcome["seconds"], outcome["reason"]])
    runs.write_atomic(path, lambda tmp: Path(tmp).write_text(text.getvalue()))


def _metric_columns(outcomes):
    """(split, metric) for the validation and test means and the test standard deviation
    of every metric a completed run reports."""
    names = []
    for outcome in outcomes.values():
        if outcome and outcome["status"] == "completed":
            names += [name for name in outcome["metrics"]["test"] if name not in names]
    return [(split, name) for split in ("validation", "test", "test_std") for name in names]
