"""Selecting a sweep's run: tie-breaks by settings, and one choice per fold (nested).

The outcomes are written by hand, so each expected choice is known without training.
"""

import pytest
import yaml

from snn.errors import ConfigError
from snn.sweeps import plan_sweep
from snn.sweeps.outcome import RunOutcome
from snn.sweeps.selection import nested_estimate, select, select_per_fold, select_within

# The SNN paper's rule on the UCI sets (Appendix A4.1).
PAPER_RULE = ["validation accuracy max", "model.depth max", "training.learning_rate min",
              "model.dropout_rate max"]


def _sweep(tmp_path, grid, select_rule=PAPER_RULE, **sweep):
    config = {"name": "s", "data": {"source": "sklearn", "name": "iris"},
              "model": {"name": "snn_mlp", "depth": 2, "units": 8},
              "sweep": {"grid": grid, "select": select_rule, **sweep}}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return plan_sweep(path)


def _outcomes(sweep, validation, test=None):
    """Completed outcomes: per run (grid order), one validation accuracy per fold (and test
    accuracies, default 0.5)."""
    outcomes = {}
    for index, run in enumerate(sweep.runs):
        values = validation[index]
        tests = test[index] if test else [0.5] * len(values)
        folds = [{"validation": {"accuracy": v}, "test": {"accuracy": t}}
                 for v, t in zip(values, tests)]
        outcomes[run.name] = RunOutcome("completed", {
            "validation": {"accuracy": sum(values) / len(values)},
            "test": {"accuracy": sum(tests) / len(tests)}, "folds": folds})
    return outcomes


def test_ties_go_to_more_layers_then_lower_learning_rate_then_higher_dropout(tmp_path):
    sweep = _sweep(tmp_path, {"model.depth": [2, 8], "training.learning_rate": [0.01, 0.1],
                              "model.dropout_rate": [0.0, 0.05]})
    names = [run.name for run in sweep.runs]
    # All eight runs tie at 0.9 except the first: depth 8 wins, then learning rate 0.01,
    # then dropout 0.05.
    outcomes = _outcomes(sweep, [[0.8]] + [[0.9]] * 7)
    choice = select(sweep, outcomes)
    assert choice.run.name == "depth=8,learning_rate=0.01,dropout_rate=0.05"
    assert choice.value == 0.9
    # A strictly better run wins whatever its settings.
    outcomes = _outcomes(sweep, [[0.95]] + [[0.9]] * 7)
    assert select(sweep, outcomes).run.name == names[0]
    # Without tie-breaks the first of the tied runs in grid order wins.
    plain = _sweep(tmp_path, {"model.depth": [2, 8]}, "validation accuracy max")
    assert select(plain, _outcomes(plain, [[0.9], [0.9]])).run.name == "depth=2"


def test_a_min_tie_break_keeps_the_least_value_and_failed_runs_never_win(tmp_path):
    sweep = _sweep(tmp_path, {"training.learning_rate": [0.1, 1.0, 0.01]},
                   ["validation accuracy max", "training.learning_rate max"])
    outcomes = _outcomes(sweep, [[0.7], [0.7], [0.7]])
    assert select(sweep, outcomes).run.name == "learning_rate=1"
    outcomes[sweep.runs[1].name] = RunOutcome.failed("the loss became nan")
    assert select(sweep, outcomes).run.name == "learning_rate=0.1"


def test_each_fold_is_chosen_on_its_own_validation_rows_and_scored_on_its_test_rows(
        tmp_path):
    sweep = _sweep(tmp_path, {"model.depth": [2, 4, 8]}, "validation accuracy max",
                   nested=True)
    # Validation per fold (3 folds) and test accuracies that favour other runs: a choice
    # that looked at test rows would pick differently.
    validation = [[0.9, 0.5, 0.6], [0.8, 0.7, 0.6], [0.1, 0.6, 0.9]]
    test = [[0.1, 0.99, 0.99], [0.99, 0.2, 0.99], [0.99, 0.99, 0.3]]
    choices = select_per_fold(sweep, _outcomes(sweep, validation, test))
    assert [choice.run.name for choice in choices] == ["depth=2", "depth=4", "depth=8"]
    assert [choice.value for choice in choices] == [0.9, 0.7, 0.9]
    assert [choice.test["accuracy"] for choice in choices] == [0.1, 0.2, 0.3]
    mean, std = nested_estimate(choices)
    assert mean["accuracy"] == pytest.approx(0.2)
    assert std["accuracy"] == pytest.approx(0.1)  # sample standard deviation of 0.1, 0.2, 0.3
    # By the mean over folds instead, depth=4 (0.70 against 0.67 and 0.53) is the one
    # choice for every fold.
    assert select(sweep, _outcomes(sweep, validation, test)).run.name == "depth=4"


def test_a_grid_list_runs_each_grids_combinations_once(tmp_path):
    sweep = _sweep(tmp_path, [{"model.depth": [2, 4]},
                              {"model.depth": [8], "model.dropout_rate": [0.0, 0.05]}],
                   "validation accuracy max")
    assert [run.name for run in sweep.runs] == [
        "depth=2", "depth=4", "depth=8,dropout_rate=0", "depth=8,dropout_rate=0.05"]
    assert sweep.runs[3].config.model.arguments["dropout_rate"] == 0.05
    assert sweep.config.sweep.keys == ["model.depth", "model.dropout_rate"]


@pytest.mark.parametrize("rule, sweep, message", [
    (["validation accuracy max", "model.deepth max"], {},
     "tie-break 'model.deepth' names no config key"),
    (["validation accuracy max", "model.depth"], {}, "got tie-break 'model.depth'"),
    (["model.depth max"], {}, "sweep.select: got 'model.depth max'"),
    ("validation accuracy max", {"nested": True, "final": {"seed": 1}},
     "a nested sweep's estimate is each fold's selected run"),
    ("validation accuracy max", {"grid": [{"model.depth": [2]}, {}]},
     "sweep.grid: got an empty mapping"),
])
def test_a_bad_selection_rule_is_named_before_anything_runs(tmp_path, rule, sweep, message):
    grid = sweep.pop("grid", {"model.depth": [2, 4]})
    with pytest.raises(ConfigError, match=message):
        _sweep(tmp_path, grid, rule, **sweep)


def test_select_within_picks_per_depth_on_the_mean_over_seeds(tmp_path):
    # Grid order: depth, learning rate, seed. At depth 2, lr 0.01 has the better mean over
    # its seeds (0.85 against 0.8) though lr 0.1 has the single best run (0.9); at depth 8
    # lr 0.01 lost a seed (failed), so lr 0.1 is chosen even with a lower mean.
    sweep = _sweep(tmp_path, {"model.depth": [2, 8], "training.learning_rate": [0.01, 0.1],
                              "seed": [0, 1]}, "validation accuracy max")
    validation = [0.84, 0.86, 0.9, 0.7, 0.95, 0.95, 0.6, 0.62]
    tests = [0.5, 0.7, 0.1, 0.1, 0.9, 0.9, 0.3, 0.5]
    outcomes = _outcomes(sweep, [[v] for v in validation], [[t] for t in tests])
    outcomes[sweep.runs[5].name] = RunOutcome("failed", {}, "the loss became nan")
    choices = select_within(sweep, outcomes, "model.depth")
    assert list(choices) == [2, 8]
    assert [run.name for run in choices[2].runs] == [
        "depth=2,learning_rate=0.01,seed=0", "depth=2,learning_rate=0.01,seed=1"]
    assert choices[2].value == pytest.approx(0.85)
    mean, std = choices[2].test_summary
    assert mean["accuracy"] == pytest.approx(0.6) and std["accuracy"] == pytest.approx(
        0.1414213, rel=1e-5)  # the sample standard deviation of 0.5 and 0.7
    assert [run.settings["training.learning_rate"] for run in choices[8].runs] == [0.1, 0.1]
    assert choices[8].value == pytest.approx(0.61)
