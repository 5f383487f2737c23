"""Table 1 of the SNN paper: select, evaluate and rank methods on the UCI-121 data sets.

For each data set and each method config (`configs/paper/uci/*.yaml`, each a nested sweep),
the method's grid is trained on each fixed fold's training rows; in each fold the best
setting by validation accuracy on 15% of those rows (the paper's tie rules breaking ties)
is scored on the fold's test rows, and the mean over folds is the method's score
(`SweepResult.estimate`). The methods are then ranked per data set (`snn.comparison`). All
runs of all sweeps share one pool of workers, and every run directory is reused when the
reproduction is started again, so an interrupted reproduction resumes.

Layout of the output directory: `<data set>/<method>/` (a sweep directory each),
`results.csv` (one row per data set and method), `comparison.json` and `comparison.md`.
"""

import csv
import io
from importlib import resources
from pathlib import Path

import numpy as np

from snn.comparison import MethodComparison, compare_methods, complete_datasets
from snn.data import resolve_data_path
from snn.data.uci121 import list_datasets
from snn.errors import ConfigError, DataError
from snn.paper.results import METHOD_NAMES, UCI_RANK_DIFFERENCE
from snn.sweeps import plan_sweep, require_a_completed_run, run_sweeps
from snn.paper.outputs import write_comparison

REFERENCE = "snn_mlp"

# Table A11's column for each network, by builder name.
TABLE_A11_COLUMNS = {"snn_mlp": "SNN", "msra_mlp": "MS", "highway_mlp": "HW",
                     "resnet_mlp": "ResNet", "batchnorm_mlp": "BN", "weightnorm_mlp": "WN",
                     "layernorm_mlp": "LN"}


def select_datasets(root, names=None, count=None, max_rows=None):
    """Choose UCI-121 data sets by name, or a spread of `count` sets over all sizes.

    Args:
        root: Path of the UCI-121 directory.
        names: list of set names, or None.
        count: int or None; without `names`, this many complete sets evenly spaced in
            order of size (smallest to largest), so a small run still covers small and
            large sets. None takes every complete set.
        max_rows: int or None; leave out sets with more rows (for quick runs).

    Returns:
        list of set names.

    Raises:
        DataError: a named set does not exist or is incomplete, or `root` is not a
            directory.
    """
    available = {d.name: d for d in list_datasets(root)}
    if names:
        for name in names:
            if name not in available:
                raise DataError(f"--datasets: no UCI-121 set {name!r} in {root}")
            if not available[name].available:
                raise DataError(f"--datasets: {name!r} is incomplete "
                                f"({available[name].missing} is missing)")
        return list(names)
    complete = sorted((d for d in available.values() if d.available and
                       (max_rows is None or d.samples <= max_rows)),
                      key=lambda d: (d.samples, d.name))
    if count is None or count >= len(complete):
        return [d.name for d in complete]
    picks = np.unique(np.linspace(0, len(complete) - 1, count).round().astype(int))
    return [complete[i].name for i in picks]


def reproduce_uci(methods, datasets, out_dir, workers=None, verbose=1, executor="local",
                  address=None, stack=1):
    """Run every method's sweep on every data set, then rank the methods.

    Args:
        methods: list of (config path, overrides): each config a method's sweep, nested
            or with `sweep.final`; its "key=value" overrides apply to that method's sweeps
            (e.g. a smaller grid). One method must be `snn_mlp`, the reference of the
            tests.
        datasets: list of UCI-121 set names.
        out_dir: str or Path of the output directory.
        workers: parallel worker processes (default: one per CPU core).
        verbose: 1 prints one line per finished run.
        executor, address: where the runs train, as for `snn.sweeps.run_sweeps`.
        stack: int, the most runs trained together as one stacked model, as for
            `snn.sweeps.run_sweeps` (the same results, sooner on small sets).

    Returns:
        dict: "scores" {method: {data set: test accuracy}}, "comparison" (list of
        `snn.comparison.MethodComparison`), "datasets" (the sets compared) and "skipped"
        ({data set: reason} for sets where a method has no final result).

    Raises:
        ConfigError: a config or override is invalid, or no method is `snn_mlp`.
        RunDirError: the output directory cannot be created.
        TrainingError: no run of any method completed (nothing is compared or written).
    """
    out_dir = Path(out_dir)
    planned = []
    for dataset in datasets:
        for config, overrides in methods:
            sweep = plan_sweep(config, [*overrides, f"data.name={dataset}"])
            method = sweep.config.model.name
            planned.append((dataset, method, sweep, out_dir / dataset / method))
    if REFERENCE not in {method for _, method, _, _ in planned}:
        raise ConfigError(f"methods: none is {REFERENCE}, the reference every other method "
                          "is tested against; add the SNN config")
    results = run_sweeps([(sweep, path) for _, _, sweep, path in planned], workers, verbose,
                         executor, address, stack)
    require_a_completed_run(results)
    rows, scores = [], {}
    for (dataset, method, _, _), result in zip(planned, results):
        accuracy = result.estimate and result.estimate["accuracy"]
        if accuracy is not None:
            scores.setdefault(method, {})[dataset] = accuracy
        rows.append({"dataset": dataset, "method": method, **_selected(result),
                     "test_accuracy": accuracy,
                     "reason": None if accuracy is not None else _reason(result)})
    methods = list(dict.fromkeys(method for _, method, _, _ in planned))
    scores = {method: scores.get(method, {}) for method in methods}
    skipped = {row["dataset"]: f"{row['method']}: {row['reason']}" for row in rows
               if row["test_accuracy"] is None}
    tables = comparison_tables(scores)
    write_comparison(out_dir, rows, {**tables, "skipped": skipped},
                     format_comparison(tables))
    return {"scores": scores, "datasets": tables["datasets"], "skipped": skipped,
            "comparison": [MethodComparison(**row) for row in tables["comparison"]],
            "tables": tables}


def comparison_tables(scores):
    """Everything the comparison reports, as plain data (the content of comparison.json).

    The paper's networks are ranked among themselves (Table 1, left), on all sets and
    apart on the small (N < 1000) and large ones (Tables A12/A13); reference methods
    (SVM, random forest, gradient boosting) are ranked with the SNN in a table of their
    own; and each network's accuracy is set beside Table A11's.

    Args:
        scores: {builder name: {data set: test accuracy}}; must include `snn_mlp`.

    Returns:
        dict: "datasets" (the sets every network has a score for), "comparison" (the
        networks' rank table, a list of `MethodComparison` fields), "by_size" ({group:
        {"datasets", "comparison"}}), "references" (the SNN and the reference methods'
        rank table, [] without reference methods), "paper" (`paper_agreement`) and
        "per_set" ({data set: {"rows": N, builder: [ours, paper]}}).
    """
    networks = {method: by_set for method, by_set in scores.items()
                if method in UCI_RANK_DIFFERENCE}
    references = {method: by_set for method, by_set in scores.items()
                  if method not in UCI_RANK_DIFFERENCE}
    paper = table_a11()
    compared = complete_datasets(networks)
    groups = {"small (N < 1000)": [d for d in compared if paper[d]["rows"] < 1000],
              "large (N >= 1000)": [d for d in compared if paper[d]["rows"] >= 1000]}
    return {
        "datasets": compared,
        "comparison": _ranks(networks, compared),
        "by_size": {name: {"datasets": sets, "comparison": _ranks(networks, sets)}
                    for name, sets in groups.items()},
        "references": _ranks({REFERENCE: scores[REFERENCE], **references},
                             complete_datasets({REFERENCE: scores[REFERENCE],
                                                **references})) if references else [],
        "paper": paper_agreement(networks, paper),
        "per_set": {name: {"rows": paper[name]["rows"],
                           **{method: [networks[method][name], paper[name][method]]
                              for method in networks}} for name in compared},
    }


def _ranks(scores, datasets):
    """`compare_methods` on `datasets` only, as dicts; [] without a set or second method."""
    if not datasets or len(scores) < 2:
        return []
    subset = {method: {name: by_set[name] for name in datasets}
              for method, by_set in scores.items()}
    return [row.__dict__ for row in compare_methods(subset, REFERENCE)]


def table_a11():
    """Table A11 of the SNN paper: each network's test accuracy on each UCI set.

    Returns:
        {data set: {"rows": N, "features": M, builder name: accuracy or None}}; None where
        the table prints NA.

    Reference:
        Klambauer et al. 2017, arXiv:1706.02515v5, Table A11 (`snn/paper/table_a11.csv`,
        copied from the transcription in ../shared/paper).
    """
    text = resources.files("snn.paper").joinpath("table_a11.csv").read_text()
    table = {}
    for row in csv.DictReader(io.StringIO(text)):
        table[row["dataset"]] = {"rows": int(row["N"]), "features": int(row["M"]), **{
            builder: None if row[column] == "NA" else float(row[column])
            for builder, column in TABLE_A11_COLUMNS.items()}}
    return table


def paper_agreement(scores, paper):
    """How close each network's accuracies are to Table A11's, over the sets both have.

    Args:
        scores: {builder name: {data set: our test accuracy}}.
        paper: `table_a11()`.

    Returns:
        {builder name: {"sets": n, "pearson": correlation of ours with the paper's (None
        for fewer than 3 sets or a constant column), "mean_absolute_difference": mean of
        |ours - paper|}}.
    """
    agreement = {}
    for method, by_set in scores.items():
        pairs = np.array([(ours, paper[name][method]) for name, ours in by_set.items()
                          if name in paper and paper[name][method] is not None])
        if not len(pairs):
            continue
        constant = len(pairs) < 3 or np.ptp(pairs[:, 0]) == 0 or np.ptp(pairs[:, 1]) == 0
        agreement[method] = {
            "sets": len(pairs),
            "pearson": None if constant else float(np.corrcoef(pairs.T)[0, 1]),
            "mean_absolute_difference": float(np.abs(pairs[:, 0] - pairs[:, 1]).mean())}
    return agreement


def format_comparison(tables, per_set=True):
    """`comparison_tables`' content as Markdown lines (comparison.md and the report).

    Args:
        tables: dict from `comparison_tables` (or read back from comparison.json).
        per_set: bool, end with the table of every set's accuracies.

    Returns:
        list of str.
    """
    def rows(data):
        return [MethodComparison(**row) for row in data]

    lines = [format_rank_table(rows(tables["comparison"]), len(tables["datasets"])), ""] \
        if tables["comparison"] else []
    for group, part in tables["by_size"].items():
        if part["comparison"]:
            lines += [f"### {group[0].upper()}{group[1:]}: {len(part['datasets'])} sets", "",
                      format_rank_table(rows(part["comparison"]), len(part["datasets"])), ""]
    if tables["references"]:
        lines += ["### The SNN against reference methods (not in the paper's 7-network "
                  "table)", "", format_rank_table(rows(tables["references"]),
                                                  len(tables["datasets"]), paper=False), ""]
    if not tables["paper"]:
        return lines
    lines += ["### Against Table A11, set by set", "",
              "| method | sets | correlation (Pearson) | mean absolute difference |",
              "|---|---:|---:|---:|"]
    for method, agreement in tables["paper"].items():
        r = agreement["pearson"]
        lines.append(f"| {METHOD_NAMES.get(method, method)} | {agreement['sets']} | "
                     f"{'' if r is None else f'{r:.3f}'} | "
                     f"{agreement['mean_absolute_difference']:.4f} |")
    methods = list(tables["paper"])
    if not per_set:
        return lines
    lines += ["", "| data set | N | " + " | ".join(
        f"{METHOD_NAMES.get(m, m)}: ours / paper" for m in methods) + " |",
        "|---|---:|" + "---:|" * len(methods)]
    for name, entry in tables["per_set"].items():
        cells = [f"{entry[m][0]:.4f} / " + ("NA" if entry[m][1] is None
                                            else f"{entry[m][1]:.4f}") for m in methods]
        lines.append(f"| {name} | {entry['rows']} | " + " | ".join(cells) + " |")
    return lines


def _selected(result):
    """The selected settings and their validation accuracy: one per fold (";"-separated
    names, the mean value) in a nested sweep."""
    if result.folds is None:
        return {"selected": result.selected, "validation_accuracy": result.value}
    chosen = [choice for choice in result.folds if choice is not None]
    return {"selected": ";".join(choice.run.name for choice in chosen),
            "validation_accuracy": (sum(choice.value for choice in chosen) / len(chosen)
                                    if chosen else None)}


def _reason(result):
    if result.selected is None:
        return "no run of the grid completed"
    return result.final and result.final.reason or "the final run did not complete"


def format_rank_table(comparison, datasets, paper=True):
    """Table 1 as Markdown: our mean rank, rank difference and p-value beside the paper's.

    Args:
        comparison: list of `snn.comparison.MethodComparison`.
        datasets: int, how many data sets were compared.
        paper: bool, add Table 1's columns (only for the paper's seven networks: its
            numbers rank those seven).

    Returns:
        str, a Markdown table and a line on what the columns mean.
    """
    methods = len(comparison)
    head = "| method | mean accuracy | mean rank | rank difference | p (Wilcoxon vs SNN) |"
    lines = [head + (" paper: rank difference | paper: p |" if paper else ""),
             "|---|---:|---:|---:|---:|" + ("---:|---:|" if paper else "")]
    for row in comparison:
        cells = [METHOD_NAMES.get(row.method, row.method), f"{row.mean_score:.4f}",
                 f"{row.mean_rank:.3f}", f"{row.rank_difference:+.3f}", _p(row.p_value)]
        if paper:
            paper_difference, paper_p = UCI_RANK_DIFFERENCE.get(row.method, (None, None))
            cells += ["" if paper_difference is None else f"{paper_difference:+.3f}",
                      _p(paper_p)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(f"\n{datasets} data set(s), {methods} methods; rank difference = mean rank "
                 f"- {(methods + 1) / 2:g} (the mean rank of {methods} methods guessing at "
                 "random); negative is better." + (
                     " The paper's columns: Table 1, 121 data sets, 7 FNNs "
                     "(arXiv:1706.02515v5)." if paper else ""))
    return "\n".join(lines)


def _p(value):
    return "" if value is None else f"{value:.2g}"


def default_root():
    """The UCI-121 directory under `$SNN_DATA_DIR` (or the current directory)."""
    return resolve_data_path("uci121")
