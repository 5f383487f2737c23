"""Choosing a sweep's run: the best validation value, ties broken by settings, per fold.

`select` picks one run by the mean validation value over its folds. `select_per_fold`
picks one run per fold from that fold's validation value alone and reports the picked
run's test metrics in that fold (nested selection): a fold's test rows never inform its
choice, since the trainer computes a fold's validation metrics on rows taken from its
training rows only (`snn.evaluation`). `select_within` picks one setting per value of a
grid key (e.g. per depth), each on the mean validation value over its seeds.

Runs of equal validation value are told apart by `sweep.select`'s tie-breaks, in order:
each keeps the runs whose config value of a dotted key is the least ("min") or the
greatest ("max"); the first remaining run in grid order wins. The SNN paper's rule for the
UCI sets is `[validation accuracy max, model.depth max, training.learning_rate min,
model.dropout_rate max]` (Klambauer et al. 2017, arXiv:1706.02515v5, Appendix A4.1).
"""

import dataclasses
import math

from snn.config import get_key, to_dict
from snn.metrics import summarize


@dataclasses.dataclass
class Choice:
    """The run a selection picked.

    Attributes:
        run: the `SweepRun`.
        value: its validation value of the selection metric (in the fold, when per fold).
        test: in a per-fold selection, the run's test metrics in that fold; else None.
    """

    run: object
    value: float
    test: dict | None = None


def select(sweep, outcomes):
    """The best completed run by its mean validation value over folds.

    Args:
        sweep: `snn.sweeps.Sweep`.
        outcomes: {run name: `RunOutcome` or None}.

    Returns:
        `Choice`, or None when no completed run reports a finite value.
    """
    metric, _ = sweep.config.sweep.selection
    return _best(sweep, [(run, outcome.metrics["validation"].get(metric, math.nan))
                         for run, outcome in _completed(sweep, outcomes)])


def select_per_fold(sweep, outcomes):
    """One choice per fold, each on that fold's validation value alone.

    Args:
        sweep: `snn.sweeps.Sweep`.
        outcomes: {run name: `RunOutcome` or None}.

    Returns:
        list of `Choice` (None for a fold where no completed run reports a finite value),
        one per fold of the runs' evaluation protocol; [] when no run completed.
    """
    metric, _ = sweep.config.sweep.selection
    completed = _completed(sweep, outcomes)
    folds = max((len(outcome.metrics["folds"]) for _, outcome in completed), default=0)
    choices = []
    for fold in range(folds):
        choice = _best(sweep, [(run, outcome.metrics["folds"][fold]["validation"]
                                .get(metric, math.nan)) for run, outcome in completed])
        if choice is not None:
            choice.test = outcomes[choice.run.name].metrics["folds"][fold]["test"]
        choices.append(choice)
    return choices


@dataclasses.dataclass
class ReplicatedChoice:
    """A setting picked on the mean validation value of its replicates.

    Attributes:
        runs: the setting's runs, one per replicate (e.g. per seed), in grid order.
        value: their mean validation value of the selection metric.
        test: each run's test metrics {name: value}, in the order of `runs`.
    """

    runs: list
    value: float
    test: list

    @property
    def test_summary(self):
        """({metric: mean}, {metric: standard deviation, ddof=1}) over the replicates."""
        return summarize(self.test)


def select_within(sweep, outcomes, key, replicates=("seed",)):
    """For each value of the config key `key`, the best setting by the mean validation value
    of its replicates: runs whose settings differ only in the `replicates` keys.

    A setting competes only when every one of its replicates completed with a finite
    value (a seed that diverged counts against its setting rather than being left out);
    ties are broken by `sweep.select`'s rules, as in `select`. A table of the SNN paper
    with one best setting per number of layers (Table 2) is `select_within(..., key=
    "model.depth")`.

    Args:
        sweep: `snn.sweeps.Sweep` whose grid has the `replicates` keys.
        outcomes: {run name: `RunOutcome` or None}.
        key: a dotted config key, e.g. "model.depth".
        replicates: dotted grid keys whose values repeat a setting, e.g. ("seed",).

    Returns:
        {value of `key` (hashable, e.g. an int): `ReplicatedChoice`, or None where no
        setting competes}, in grid order.
    """
    metric, _ = sweep.config.sweep.selection
    settings = {}  # the settings apart from the replicate keys -> their runs
    for run in sweep.runs:
        if run.config is not None:
            other = repr({k: v for k, v in run.settings.items() if k not in replicates})
            settings.setdefault(other, []).append(run)
    candidates = {}  # value of `key` -> [(runs, mean validation value)]
    for runs in settings.values():
        values = [_validation_value(outcomes.get(run.name), metric) for run in runs]
        entry = candidates.setdefault(get_key(to_dict(runs[0].config), key), [])
        if all(math.isfinite(value) for value in values):
            entry.append((runs, sum(values) / len(values)))
    choices = {}
    for value, settings_of_value in candidates.items():
        best = _best(sweep, [(runs[0], mean) for runs, mean in settings_of_value])
        runs = next((runs for runs, _ in settings_of_value
                     if best is not None and runs[0] is best.run), None)
        choices[value] = runs and ReplicatedChoice(
            runs, best.value, [outcomes[run.name].metrics["test"] for run in runs])
    return choices


def _validation_value(outcome, metric):
    if outcome is None or outcome.status != "completed":
        return math.nan
    return outcome.metrics["validation"].get(metric, math.nan)


def nested_estimate(choices):
    """The mean and standard deviation over folds of the chosen runs' test metrics.

    Args:
        choices: list of `Choice` from `select_per_fold`, none of them None.

    Returns:
        ({metric: mean}, {metric: standard deviation}), as `snn.metrics.summarize`.
    """
    return summarize([choice.test for choice in choices])


def _completed(sweep, outcomes):
    return [(run, outcomes[run.name]) for run in sweep.runs
            if outcomes[run.name] is not None and outcomes[run.name].status == "completed"]


def _best(sweep, candidates):
    """The `Choice` among (run, value) pairs, in grid order, by the selection rules."""
    _, direction = sweep.config.sweep.selection
    candidates = [(run, value) for run, value in candidates if math.isfinite(value)]
    if not candidates:
        return None
    pick = min if direction == "min" else max
    best = pick(value for _, value in candidates)
    tied = [(run, value) for run, value in candidates if value == best]
    for key, order in sweep.config.sweep.ties:
        values = [get_key(to_dict(run.config), key) for run, _ in tied]
        if not all(isinstance(value, (int, float)) for value in values):
            continue  # not a number in every run (a list of widths, say): no order
        target = (min if order == "min" else max)(values)
        tied = [item for item, value in zip(tied, values) if value == target]
    run, value = tied[0]
    return Choice(run, value)
