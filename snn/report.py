"""Markdown reports with PNG plots of a run, a sweep or a paper comparison (`snn report`).

`write_report(directory)` recognizes what the directory holds:

- a run (`metrics.json`): its settings, test and validation metrics (mean and standard
  deviation over folds, and each fold), and its training curves;
- a sweep (`sweep.csv`): every run sorted by the selection metric, the selected settings and
  their final run, and the selection metric against each swept setting;
- a UCI-121 comparison (`comparison.json`, from `scripts/reproduce_uci.py`): the rank table
  of Table 1 with the paper's numbers, and each method's accuracy per data set;
- an HTRU2 comparison (`comparison.json` with each method's fold scores, from
  `scripts/reproduce_htru2.py`): Table 3, ours beside the paper's, and each fold's AUC;
- a Tox21 comparison (`comparison.json` with cells per method and depth, from
  `scripts/reproduce_tox21.py`): Table 2, ours beside the paper's.

The report is `report.md` beside its PNGs in the same directory.
"""

import csv
import math
from pathlib import Path

import numpy as np
import yaml

from snn import runs
from snn.config import SweepConfig
from snn.errors import RunDirError
from snn.paper.results import METHOD_NAMES
from snn.util.plotting import pyplot, save_figure
from snn.util.files import read_json, write_atomic

REPORT = "report.md"


def write_report(directory):
    """Write `report.md` (and its PNG plots) for a run, sweep or comparison directory.

    Args:
        directory: str or Path.

    Returns:
        Path of `report.md`.

    Raises:
        RunDirError: the directory does not exist or holds no finished run, sweep or
            comparison.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise RunDirError(f"{directory}: no such directory")
    if (directory / "comparison.json").is_file():
        lines = _comparison_report(directory)
    elif (directory / "sweep.csv").is_file():
        lines = _sweep_report(directory)
    elif runs.is_complete(directory):
        lines = _run_report(directory)
    else:
        raise RunDirError(f"{directory}: holds no finished run ({runs.METRICS}), sweep "
                          "(sweep.csv) or paper comparison (comparison.json)")
    path = directory / REPORT
    write_atomic(path, lambda tmp: Path(tmp).write_text("\n".join(lines) + "\n"))
    return path


# --- a run ------------------------------------------------------------------------------

def _run_report(directory):
    metrics = read_json(directory / runs.METRICS)
    config = (directory / runs.CONFIG).read_text()
    lines = [f"# Run {directory.name}", "",
             f"Protocol {metrics['protocol']}, {len(metrics['folds'])} fold(s), "
             f"{metrics['epochs_run']} epochs in {metrics['train_seconds']:.1f} s "
             f"({metrics['samples_per_second']:,.0f} samples/s).", "",
             "| split | " + " | ".join(metrics["test"]) + " |",
             "|---|" + "---:|" * len(metrics["test"])]
    folds = len(metrics["folds"])
    lines.append("| test | " + " | ".join(
        f"{value:.4f}" + (f" ± {metrics['test_std'][name]:.4f}" if folds > 1 else "")
        for name, value in metrics["test"].items()) + " |")
    lines.append("| validation | " + " | ".join(
        _number(metrics["validation"].get(name)) for name in metrics["test"]) + " |")
    if len(metrics["folds"]) > 1:
        for number, fold in enumerate(metrics["folds"], start=1):
            lines.append(f"| test, fold {number} | " + " | ".join(
                _number(fold["test"].get(name)) for name in metrics["test"]) + " |")
    if metrics["audit"]:
        lines += ["", "Audit findings:", *(f"- {finding}" for finding in metrics["audit"])]
    # Networks log every epoch; the scikit-learn reference methods have no history.
    histories = sorted(directory.glob(f"fold_*/{runs.HISTORY}"),
                       key=lambda p: int(p.parent.name.split("_")[1])) \
        or [path for path in [directory / runs.HISTORY] if path.is_file()]
    if histories:
        _plot_history(histories, directory / "report_history.png", directory.name)
        lines += ["", "![training curves](report_history.png)"]
    lines.append("")
    for statistics in sorted(directory.glob("**/activation_stats.png")):
        relative = statistics.relative_to(directory)
        lines += [f"![activation statistics, {relative.parent}]({relative})", ""]
    lines += ["## Config", "", "```yaml", config.rstrip(), "```"]
    return lines


def _plot_history(paths, png, title):
    """Training and validation loss per epoch, one colour per fold."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7, 4), constrained_layout=True)
    colors = plt.get_cmap("tab10")(np.arange(len(paths)) % 10)
    for color, path in zip(colors, paths):
        history = _read_csv(path)
        label = path.parent.name.replace("_", " ") if len(paths) > 1 else ""
        epochs = [int(row["epoch"]) + 1 for row in history]
        axis.plot(epochs, [float(row["loss"]) for row in history], color=color,
                  label=f"{label} training".strip())
        if history and "val_loss" in history[0]:
            axis.plot(epochs, [float(row["val_loss"]) for row in history], color=color,
                      linestyle="--", label=f"{label} validation".strip())
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss")
    axis.set_yscale("log")
    axis.set_title(f"{title}: loss (solid: training, dashed: validation)")
    if len(paths) <= 3:
        axis.legend(fontsize="small")
    save_figure(figure, png)


# --- a sweep ----------------------------------------------------------------------------

def _sweep_report(directory):
    rows = _read_csv(directory / "sweep.csv")
    summary = (read_json(directory / "sweep.json")
               if (directory / "sweep.json").is_file() else None)
    sweep = SweepConfig(**yaml.safe_load((directory / "sweep.yaml").read_text())["sweep"])
    metric, direction = sweep.selection
    keys = sweep.keys
    column = f"validation_{metric}"
    done = [row for row in rows if row["status"] == "completed"]
    done.sort(key=lambda row: float(row[column]) * (1 if direction == "min" else -1))
    lines = [f"# Sweep {directory.name}", "",
             f"{len(rows)} runs: {len(done)} completed, "
             f"{sum(row['status'] == 'failed' for row in rows)} failed, "
             f"{sum(row['status'] == 'pending' for row in rows)} not run yet. "
             f"Selection: validation {metric} {direction}" + "".join(
                 f", then {key} {order}" for key, order in sweep.ties) + ".", ""]
    if summary is None:
        lines += ["**The sweep has not finished** (no sweep.json).", ""]
    elif summary["selected"] is not None:
        lines += [f"Selected **{summary['selected']}** (validation {metric} "
                  f"{summary['value']:.4f}).", ""]
        for number, fold in enumerate(summary.get("folds") or [], start=1):
            lines += [f"- fold {number}: " + (
                "no run completed" if fold is None else
                f"selected {fold['selected']} (validation {metric} {fold['value']:.4f}), "
                + ", ".join(f"test {k} {v:.4f}" for k, v in fold["test"].items()))]
        if summary.get("test"):
            lines += ["", "Nested estimate, the mean over folds of each fold's selected "
                      "run: " + ", ".join(f"test {k} {v:.4f}"
                                          for k, v in summary["test"].items()), ""]
        final = summary.get("final")
        if final and final["status"] == "completed":
            lines += ["Final run of the selected settings (`final/`): " + ", ".join(
                f"test {k} {v:.4f}" for k, v in final["metrics"]["test"].items()), ""]
    tests = [name for name in (rows[0] if rows else {}) if name.startswith("test_")
             and not name.startswith("test_std_")]
    lines += ["| run | status | " + " | ".join([column, *tests]) + " |",
              "|---|---|" + "---:|" * (1 + len(tests))]
    for row in done + [row for row in rows if row["status"] != "completed"]:
        status = row["status"] if row["status"] != "failed" else f"failed: {row['reason']}"
        lines.append(f"| {row['run']} | {status} | " + " | ".join(
            _number(row[name]) for name in [column, *tests]) + " |")
    if done:
        _plot_sweep(done, keys, column, directory / "report_sweep.png", directory.name)
        lines += ["", "![selection metric against each setting](report_sweep.png)"]
    # The base settings, overrides included: says how a (quick, reduced) run was made.
    lines += ["", "## Base config", "", "```yaml",
              (directory / "sweep.yaml").read_text().rstrip(), "```"]
    return lines


def _plot_sweep(rows, keys, column, png, title):
    """The selection metric against each swept setting: one panel per grid key."""
    plt = pyplot()
    figure, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.5), squeeze=False,
                                constrained_layout=True)
    values = [float(row[column]) for row in rows]
    for axis, key in zip(axes[0], keys):
        settings = [row[key] for row in rows]
        labels = sorted(set(settings), key=_sort_key)
        positions = [labels.index(setting) for setting in settings]
        axis.scatter(positions, values, alpha=0.7)
        axis.set_xticks(range(len(labels)), labels, rotation=30, fontsize="small")
        axis.set_xlabel(key)
        axis.set_ylabel(column.replace("_", " "))
    figure.suptitle(title)
    save_figure(figure, png)


def _sort_key(text):
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


# --- a paper comparison ------------------------------------------------------------------

def _comparison_report(directory):
    saved = read_json(directory / "comparison.json")
    if "folds" in saved:  # methods compared over the folds of one data set
        return _fold_comparison_report(directory, saved)
    if "cells" in saved:  # methods by depth, each cell over seeds
        from snn.paper.tox21 import format_table

        return ["# Tox21 (Table 2 of the SNN paper)", "", *format_table(saved)]
    from snn.paper.uci import format_comparison

    lines = ["# UCI-121 comparison (Table 1 of the SNN paper)", "",
             *format_comparison(saved), ""]
    if saved["skipped"]:
        lines += ["Left out (a method has no result):",
                  *(f"- {name}: {reason}" for name, reason in saved["skipped"].items()), ""]
    results = _read_csv(directory / "results.csv")
    if saved["comparison"]:
        _plot_accuracies(results, [row["method"] for row in saved["comparison"]],
                         saved["datasets"], directory / "report_accuracy.png")
        lines += ["![test accuracy per data set and method](report_accuracy.png)"]
    return lines


def _fold_comparison_report(directory, saved):
    from snn.paper.htru2 import format_comparison

    methods = [row["method"] for row in saved["methods"]]
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(max(6, 0.8 * len(methods)), 4),
                                constrained_layout=True)
    for position, method in enumerate(methods):
        scores = [score for score in saved["folds"][method] if score is not None]
        axis.plot([position] * len(scores), scores, marker="o", linestyle="none",
                  alpha=0.6, color="tab:blue")
    axis.set_xticks(range(len(methods)), [METHOD_NAMES.get(m, m) for m in methods],
                    rotation=30)
    axis.set_ylabel("test ROC AUC of each fold")
    save_figure(figure, directory / "report_folds.png")
    return ["# HTRU2 comparison (Table 3 of the SNN paper)", "", *format_comparison(saved),
            "", "![each fold's test AUC per method](report_folds.png)"]


def _plot_accuracies(results, methods, datasets, png):
    """Each method's test accuracy per data set, data sets in order of the SNN's accuracy."""
    accuracy = {(row["dataset"], row["method"]): float(row["test_accuracy"])
                for row in results if row["test_accuracy"]}
    order = sorted(datasets, key=lambda name: accuracy.get((name, methods[0]), 0.0))
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(max(6, 0.35 * len(order)), 4),
                                constrained_layout=True)
    for method in methods:
        axis.plot(range(len(order)), [accuracy.get((name, method), math.nan)
                                      for name in order],
                  marker="o", linestyle="none", label=METHOD_NAMES.get(method, method))
    axis.set_xticks(range(len(order)), order, rotation=90, fontsize="small")
    axis.set_ylabel("test accuracy (mean over the folds run)")
    axis.legend(fontsize="small")
    save_figure(figure, png)


# --- helpers ----------------------------------------------------------------------------

def _read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _number(value):
    if value in (None, ""):
        return ""
    return f"{float(value):.4f}"
