"""Compare methods over many data sets: ranks, average rank difference, Wilcoxon tests.

The SNN paper's Table 1 ranks the methods by test accuracy on each UCI data set, reports
each method's average rank minus the average rank of random guessing ((k + 1) / 2 for k
methods, e.g. 4 for seven methods), and tests with a paired Wilcoxon signed-rank test
whether a method's accuracies differ from the best method's.

Example:
>>> scores = {"snn": {"a": 0.9, "b": 0.8, "c": 0.7}, "relu": {"a": 0.8, "b": 0.8, "c": 0.6}}
>>> [(row.method, row.mean_rank) for row in compare_methods(scores, "snn")]
[('snn', 1.25), ('relu', 1.75)]
"""

import dataclasses

import numpy as np
from scipy.stats import rankdata, wilcoxon


@dataclasses.dataclass(frozen=True)
class MethodComparison:
    """One method's row of the comparison table.

    Attributes:
        method: its name.
        mean_rank: average rank over the data sets (1 is best; ties share the mean rank).
        rank_difference: `mean_rank - (k + 1) / 2` for k methods: negative is better than
            the average method.
        p_value: two-sided paired Wilcoxon signed-rank p-value of this method's scores
            against the reference method's (None for the reference itself).
        mean_score: average score over the data sets.
    """

    method: str
    mean_rank: float
    rank_difference: float
    p_value: float | None
    mean_score: float


def rank_methods(scores, higher_is_better=True):
    """Rank methods on each data set.

    Args:
        scores: float array (data sets, methods).
        higher_is_better: whether a larger score ranks first (accuracy, AUC) or a smaller
            one (loss, error).

    Returns:
        float array of the same shape: rank 1 for the best method of each data set; tied
        methods share the average of their ranks.
    """
    scores = np.asarray(scores, dtype=float)
    return rankdata(-scores if higher_is_better else scores, axis=1, method="average")


def complete_datasets(scores):
    """The data sets every method has a score for, in order of first appearance.

    Args:
        scores: {method: {data set: score}}.

    Returns:
        list of data set names.
    """
    methods = list(scores.values())
    return [name for name in dict.fromkeys(n for method in methods for n in method)
            if all(name in method and np.isfinite(method[name]) for method in methods)]


def compare_methods(scores, reference, higher_is_better=True):
    """The SNN paper's Table 1 statistics for methods scored on the same data sets.

    Args:
        scores: {method: {data set: score}}; only the data sets every method has a finite
            score for are compared (see `complete_datasets`).
        reference: the method the others are tested against (the paper's SNN).
        higher_is_better: whether larger scores are better.

    Returns:
        list of `MethodComparison`, best mean rank first.

    Raises:
        ValueError: `reference` is not among the methods, or fewer than 2 methods or 1 data
            set remain.

    Reference:
        Klambauer et al. 2017, Section 4.1 and Table 1 (average rank difference to the
        rank of random predictions; paired Wilcoxon test).
    """
    if reference not in scores:
        raise ValueError(f"reference method {reference!r} not among {sorted(scores)}")
    datasets = complete_datasets(scores)
    methods = list(scores)
    if len(methods) < 2 or not datasets:
        raise ValueError(f"need at least 2 methods and 1 complete data set; got "
                         f"{len(methods)} methods and {len(datasets)} data sets")
    table = np.array([[scores[m][d] for m in methods] for d in datasets])
    mean_ranks = rank_methods(table, higher_is_better).mean(axis=0)
    chance = (len(methods) + 1) / 2
    ours = table[:, methods.index(reference)]
    rows = [MethodComparison(method, float(rank), float(rank - chance),
                             None if method == reference else _wilcoxon(ours, column),
                             float(column.mean()))
            for method, rank, column in zip(methods, mean_ranks, table.T)]
    return sorted(rows, key=lambda row: row.mean_rank)


def _wilcoxon(a, b):
    """Two-sided paired Wilcoxon signed-rank p-value; 1.0 when every pair is equal (the
    test is undefined then, and there is no evidence of a difference)."""
    if np.all(a == b):
        return 1.0
    return float(wilcoxon(a, b).pvalue)
