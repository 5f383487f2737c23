"""Table 2 of the SNN paper: Tox21 mean AUC per method and number of layers.

Each method config (`configs/paper/tox21/*.yaml`) is a sweep over its own grid (Tables
A14-A20) with the seed as a grid key and one holdout split for every seed
(`evaluation.split_seed`). For each number of layers, the setting with the best
validation AUC, averaged over the 12 assays and over its seeds, is chosen
(`snn.sweeps.selection.select_within`), and its test AUC is reported as the mean and
standard deviation over those seeds, beside Table 2's. All methods share one pool of
workers, and a reproduction started again resumes.

Layout of the output directory: `<method>/` (a sweep directory each), `results.csv` (one
row per method and depth: the chosen setting, its seeds, validation and test AUC),
`comparison.json` and `comparison.md`.
"""

from pathlib import Path

from snn.paper.results import METHOD_NAMES, TOX21_AUC, TOX21_DEPTHS
from snn.sweeps import plan_sweep, require_a_completed_run, run_sweeps
from snn.sweeps.selection import select_within
from snn.paper.outputs import write_comparison

METRIC = "auc"
DEPTH = "model.depth"


def reproduce_tox21(methods, out_dir, workers=None, verbose=1, executor="local",
                    address=None, stack=1):
    """Run every method's sweep on Tox21 and tabulate the best setting per depth.

    Args:
        methods: list of (config path, overrides): each config a method's sweep with
            `seed` in its grid; its "key=value" overrides apply to it alone.
        out_dir: str or Path of the output directory.
        workers: parallel worker processes (default: one per CPU core).
        verbose: 1 prints one line per finished run.
        executor, address: where the runs train, as for `snn.sweeps.run_sweeps`.
        stack: int, the most runs trained together as one stacked model, as for
            `snn.sweeps.run_sweeps` (the same results, sooner).

    Returns:
        dict, the content of comparison.json: "split" (the evaluation split) and "cells",
        one per method and depth with a chosen setting: "method", "depth", "selected"
        (the setting's run names, one per seed), "seeds", "validation_auc" (mean over
        seeds), "test_auc" and "test_std" (mean and standard deviation over seeds), and
        Table 2's "paper_auc" and "paper_std" (None where it has no number).

    Raises:
        ConfigError: a config or override is invalid.
        RunDirError: the output directory cannot be created.
        TrainingError: no run of any method completed (nothing is written).
    """
    out_dir = Path(out_dir)
    sweeps = [plan_sweep(config, overrides) for config, overrides in methods]
    names = [sweep.config.model.name for sweep in sweeps]
    results = run_sweeps([(sweep, out_dir / name) for sweep, name in zip(sweeps, names)],
                         workers, verbose, executor, address, stack)
    require_a_completed_run(results)
    cells = []
    for name, sweep, result in zip(names, sweeps, results):
        for depth, choice in select_within(sweep, result.outcomes, DEPTH).items():
            if choice is None:
                continue
            mean, std = choice.test_summary
            paper = _paper_cell(name, depth)
            cells.append({"method": name, "depth": depth,
                          "selected": [run.name for run in choice.runs],
                          "seeds": len(choice.runs), "validation_auc": choice.value,
                          "test_auc": mean[METRIC], "test_std": std[METRIC],
                          "paper_auc": paper and paper[0] / 100,
                          "paper_std": paper and paper[1] / 100})
    comparison = {"split": sweeps[0].config.evaluation.split, "cells": cells}
    write_comparison(out_dir, [{**cell, "selected": ";".join(cell["selected"])}
                               for cell in cells], comparison, format_table(comparison))
    return comparison


def _paper_cell(method, depth):
    """Table 2's (AUC, std) in percent, or None (not in the table, or "na")."""
    row = TOX21_AUC.get(method)
    if row is None or depth not in TOX21_DEPTHS:
        return None
    return row[TOX21_DEPTHS.index(depth)]


def format_table(comparison):
    """`reproduce_tox21`'s cells as Markdown lines: methods by depth, ours beside Table 2's.

    Args:
        comparison: dict returned by `reproduce_tox21` (or read from comparison.json).

    Returns:
        list of str.
    """
    cells = {(cell["method"], cell["depth"]): cell for cell in comparison["cells"]}
    depths = sorted({depth for _, depth in cells})
    methods = list(dict.fromkeys(method for method, _ in cells))
    lines = ["| method | " + " | ".join(f"{depth} layers" for depth in depths) + " |",
             "|---|" + "---:|" * len(depths)]
    for method in methods:
        lines.append(f"| {METHOD_NAMES.get(method, method)} | " + " | ".join(
            _format_cell(cells.get((method, depth))) for depth in depths) + " |")
    seeds = sorted({cell["seeds"] for cell in comparison["cells"]})
    lines += ["", f"Test ROC AUC (x 100, mean over the 12 assays) of the setting chosen per "
              f"depth on validation AUC, mean +/- standard deviation over "
              f"{'/'.join(map(str, seeds))} seeds on the {comparison['split']} split; in "
              "parentheses Table 2 of arXiv:1706.02515v5 (DeepTox features, the challenge "
              "split, 5 repetitions)."]
    return lines


def _format_cell(cell):
    if cell is None:
        return "-"
    ours = f"{100 * cell['test_auc']:.1f} +/- {100 * cell['test_std']:.1f}"
    if cell["paper_auc"] is None:
        return ours
    return f"{ours} ({100 * cell['paper_auc']:.1f} +/- {100 * cell['paper_std']:.1f})"
