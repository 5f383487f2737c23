"""Table 3 of the SNN paper: methods on HTRU2, each selected by nested cross-validation.

Each method config (`configs/paper/htru2/*.yaml`) is a nested sweep over 10 folds in which
fold M-1 validates when fold M tests (`evaluation.validation: previous_fold`, Appendix
A4.4). In each fold the setting with the best validation AUC is scored on the fold's test
rows; a method's result is the mean and standard deviation of those 10 test AUCs, and a
two-sided paired Wilcoxon test over the folds compares it with the SNN's, as Table 3 does.
Every config has the same seed, so all methods see the same folds. All runs share one pool
of workers, and a reproduction started again resumes.

Layout of the output directory: `<method>/` (a sweep directory each), `results.csv` (one
row per method and fold: the chosen setting, its validation and test AUC),
`comparison.json` and `comparison.md`.
"""

from pathlib import Path

import numpy as np

from snn.comparison import compare_methods
from snn.errors import ConfigError
from snn.paper.results import HTRU2_AUC, HTRU2_P_VALUE, HTRU2_REFERENCE_AUC, METHOD_NAMES
from snn.sweeps import plan_sweep, require_a_completed_run, run_sweeps
from snn.paper.outputs import write_comparison

REFERENCE = "snn_mlp"
METRIC = "auc"


def reproduce_htru2(methods, out_dir, workers=None, verbose=1, executor="local",
                    address=None):
    """Run every method's nested sweep on HTRU2 and compare the methods over the folds.

    Args:
        methods: list of (config path, overrides): each config a method's nested sweep;
            its "key=value" overrides apply to it alone (e.g. a smaller grid). One method
            must be `snn_mlp`, the reference of the Wilcoxon tests.
        out_dir: str or Path of the output directory.
        workers: parallel worker processes (default: one per CPU core).
        verbose: 1 prints one line per finished run.
        executor, address: where the runs train, as for `snn.sweeps.run_sweeps`.

    Returns:
        dict, the content of comparison.json: "methods" (one entry per method, best mean
        test AUC first: "method", "auc", "std", "p_value" against the SNN, "folds" (the
        number of folds with a chosen run) and the paper's "paper_auc", "paper_std",
        "paper_p_value", each None where Table 3 has no number) and "folds" ({method:
        [test AUC of each fold, None where no run completed]}) and "incomplete"
        ({method: why a fold has no chosen run}; those folds are left out for every
        method).

    Raises:
        ConfigError: a config or override is invalid, a config is not a nested sweep, or
            no method is `snn_mlp`.
        RunDirError: the output directory cannot be created.
        TrainingError: no run of any method completed (nothing is compared or written).
    """
    out_dir = Path(out_dir)
    sweeps = [plan_sweep(config, overrides) for config, overrides in methods]
    for (config, _), sweep in zip(methods, sweeps):
        if not sweep.config.sweep.nested:
            raise ConfigError(f"{config}: sweep.nested is false; a Table 3 method is chosen "
                              "in each fold on that fold's validation rows: expected "
                              "sweep.nested: true", key="sweep.nested")
    names = [sweep.config.model.name for sweep in sweeps]
    if REFERENCE not in names:
        raise ConfigError(f"methods: none is {REFERENCE}, the reference every other method "
                          "is tested against; add the SNN config")
    results = run_sweeps([(sweep, out_dir / name) for sweep, name in zip(sweeps, names)],
                         workers, verbose, executor, address)
    require_a_completed_run(results)
    folds = {name: [None if choice is None else choice.test[METRIC]
                    for choice in result.folds] for name, result in zip(names, results)}
    incomplete = {name: _reason(result) for name, result in zip(names, results)
                  if None in result.folds}
    comparison = {"methods": _summaries(folds), "folds": folds, "incomplete": incomplete}
    write_comparison(out_dir, [
        {"method": name, "fold": index, "selected": choice and choice.run.name,
         "validation_auc": choice and choice.value,
         "test_auc": choice and choice.test[METRIC]}
        for name, result in zip(names, results)
        for index, choice in enumerate(result.folds, 1)], comparison,
        format_comparison(comparison))
    return comparison


def _reason(result):
    """Why a fold has no chosen run: the first failed run's reason."""
    failed = (outcome.reason for outcome in result.outcomes.values()
              if outcome is not None and outcome.status != "completed")
    return next(failed, "no run of the grid completed")


def _summaries(folds):
    """Each method's mean, standard deviation and Wilcoxon p-value against the SNN over
    the folds where every method has a chosen run, beside Table 3's numbers."""
    complete = [i for i in range(len(folds[REFERENCE]))
                if all(scores[i] is not None for scores in folds.values())]
    by_fold = {name: {i: scores[i] for i in complete} for name, scores in folds.items()}
    tests = {row.method: row.p_value for row in compare_methods(by_fold, REFERENCE)} \
        if complete else {}
    rows = []
    for name, scores in by_fold.items():
        values = np.array(list(scores.values()), dtype=float)
        paper = HTRU2_AUC.get(name) or (HTRU2_REFERENCE_AUC.get(name), None)
        rows.append({"method": name, "auc": float(values.mean()) if complete else None,
                     "std": float(values.std(ddof=1)) if len(complete) > 1 else None,
                     "p_value": tests.get(name), "folds": len(complete),
                     "paper_auc": paper[0], "paper_std": paper[1],
                     "paper_p_value": HTRU2_P_VALUE.get(name)})
    return sorted(rows, key=lambda row: -(row["auc"] or 0))


def format_comparison(comparison):
    """`reproduce_htru2`'s comparison as Markdown lines: our AUC beside Table 3's.

    Args:
        comparison: dict returned by `reproduce_htru2` (or read from comparison.json).

    Returns:
        list of str.
    """
    lines = ["| method | AUC | std | p (Wilcoxon vs SNN) | paper: AUC | paper: std | "
             "paper: p |", "|---|---:|---:|---:|---:|---:|---:|"]
    for row in comparison["methods"]:
        lines.append("| " + " | ".join([
            METHOD_NAMES.get(row["method"], row["method"]), _number(row["auc"], ".4f"),
            _number(row["std"], ".4f"), _number(row["p_value"], ".2g"),
            _number(row["paper_auc"], ".4f"), _number(row["paper_std"], ".3f"),
            _number(row["paper_p_value"], ".2g")]) + " |")
    folds = comparison["methods"][0]["folds"] if comparison["methods"] else 0
    lines += ["", f"Test ROC AUC over {folds} folds, each method's setting chosen in each "
              "fold on the fold before it; p: two-sided paired Wilcoxon signed-rank test "
              "against the SNN over the folds. The paper's columns: Table 3 "
              "(arXiv:1706.02515v5), whose NB, C4.5 and SVM values come from the literature "
              "(no std or p there)."]
    lines += [f"Left out: {METHOD_NAMES.get(name, name)} has a fold without a completed run "
              f"({reason})." for name, reason in comparison["incomplete"].items()]
    return lines


def _number(value, spec):
    return "" if value is None else format(value, spec)
