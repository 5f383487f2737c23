"""Searches: a sweep's trials asked from an Optuna study, pruned, resumed after Ctrl-C."""

import json
import math

import numpy as np
import optuna
import pytest
import yaml

from snn import runs
from snn.config import load_config, to_dict
from snn.errors import ConfigError, RunPruned
from snn.sweeps import plan_sweep, run_sweep
from snn.sweeps.search import TrialPruning, decode, distributions, storage
from snn.sweeps.worker import train_run
from snn.util.files import read_json
from conftest import ROOT, file_identity, sweep_rows, sweep_stopped_when

BASE = {
    "name": "iris",
    "data": {"source": "sklearn", "name": "iris"},
    "model": {"name": "snn_mlp", "depth": 2, "units": 8},
    "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.05},
}
SPACE = {"training.learning_rate": {"log_float": [0.001, 0.3]},
         "model.depth": {"int": [1, 3]},
         "model.units": {"choice": [8, [16, 8]]}}


def _write(tmp_path, search, space=SPACE, select="validation accuracy max", **sections):
    config = {**BASE, **sections,
              "sweep": {"search": search, "space": space, "select": select}}
    path = tmp_path / "search.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _study(sweep_dir):
    return optuna.load_study(study_name="snn", storage=storage(sweep_dir))


def test_each_trial_is_a_run_of_the_template_with_the_trials_parameters(tmp_path):
    path = _write(tmp_path, {"method": "random", "trials": 4})
    result = run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    trials = _study(tmp_path / "out").trials
    assert [trial.user_attrs["run"] for trial in trials] == [f"trial_00{i}" for i in range(4)]
    for trial in trials:
        if trial.state == optuna.trial.TrialState.FAIL:
            continue  # no run directory: the config rules refused the settings
        config = load_config(tmp_path / "out" / trial.user_attrs["run"] / "config.yaml")
        assert config.training.learning_rate == trial.params["training.learning_rate"]
        assert config.model.arguments["depth"] == trial.params["model.depth"]
        # A list is a category as its JSON text, and a config value as the list.
        units = trial.params["model.units"]
        assert config.model.arguments["units"] == (json.loads(units)
                                                   if isinstance(units, str) else units)
        assert config.training.batch_size == 16  # the template's
    completed = {name: o for name, o in result.outcomes.items() if o.status == "completed"}
    assert completed, [o.reason for o in result.outcomes.values()]
    for trial in trials:  # the study holds what the runs measured
        outcome = result.outcomes[trial.user_attrs["run"]]
        if outcome.status == "completed":
            assert trial.value == outcome.metrics["validation"]["accuracy"]
        else:  # [16, 8] with depth other than 2 is no valid network
            assert trial.state == optuna.trial.TrialState.FAIL
            assert trial.user_attrs["reason"] == outcome.reason
    best = max(completed.values(), key=lambda o: o.metrics["validation"]["accuracy"])
    assert result.value == best.metrics["validation"]["accuracy"]
    rows = sweep_rows(tmp_path / "out")
    assert [row["run"] for row in rows] == [f"trial_00{i}" for i in range(4)]
    assert list(rows[0])[2:5] == list(SPACE)
    summary = read_json(tmp_path / "out" / "sweep.json")
    assert summary["completed"] + summary["failed"] + summary["pruned"] == 4


def test_the_grid_method_tries_every_combination_once(tmp_path):
    space = {"model.depth": {"int": [1, 2]}, "training.learning_rate": {"choice": [0.05, 0.1]}}
    path = _write(tmp_path, {"method": "grid"}, space)
    result = run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    assert len(result.outcomes) == 4
    settings = sorted(tuple(trial.params.values()) for trial in _study(tmp_path / "out").trials)
    assert settings == [(1, 0.05), (1, 0.1), (2, 0.05), (2, 0.1)]


def test_a_hyperband_search_reports_every_epoch_and_ends_every_trial(tmp_path):
    path = _write(tmp_path, {"method": "random", "trials": 3, "pruner": "hyperband"},
                  {"training.learning_rate": {"log_float": [0.01, 0.1]}})
    result = run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    trials = _study(tmp_path / "out").trials
    assert {t.state for t in trials} <= {optuna.trial.TrialState.COMPLETE,
                                         optuna.trial.TrialState.PRUNED}
    assert trials[0].state == optuna.trial.TrialState.COMPLETE  # nothing to compare with
    assert sorted(trials[0].intermediate_values) == [0, 1]
    assert result.outcomes["trial_000"].status == "completed"


def test_choices_and_ranges_become_optuna_distributions_and_back():
    space = {"a": {"float": [0.0, 1.0]}, "b": {"log_float": [1e-3, 1.0]},
             "c": {"int": [2, 8]}, "d": {"choice": [64, [32, 16], "x"]}}
    made = distributions(space)
    assert made["a"] == optuna.distributions.FloatDistribution(0.0, 1.0)
    assert made["b"] == optuna.distributions.FloatDistribution(1e-3, 1.0, log=True)
    assert made["c"] == optuna.distributions.IntDistribution(2, 8)
    assert made["d"].choices == (64, "[32, 16]", "x")
    assert decode(space["d"], "[32, 16]") == [32, 16] and decode(space["d"], 64) == 64
    assert decode(space["c"], 3.0) == 3 and isinstance(decode(space["c"], 3.0), int)


def _study_with_finished_trials(tmp_path, values, epochs):
    """A study whose finished trials each reported `values[i]` at every epoch."""
    study = optuna.create_study(study_name="snn", storage=storage(tmp_path),
                                direction="maximize")
    for value in values:
        trial = study.ask()
        for step in range(epochs):
            trial.report(value, step)
        study.tell(trial, value)
    return study


def test_the_median_pruner_stops_a_trial_below_the_median_at_an_epoch(tmp_path):
    # Five finished trials at 0.5-0.9: the median at every epoch is 0.7 (Optuna starts
    # pruning once 5 trials have finished, from the first epoch).
    study = _study_with_finished_trials(tmp_path, [0.5, 0.6, 0.7, 0.8, 0.9], epochs=3)

    def pruning():
        return TrialPruning({"storage": storage(tmp_path), "study": "snn",
                             "trial_id": study.ask()._trial_id, "pruner": "median",
                             "metric": "accuracy", "epochs": 3})

    above, below = pruning(), pruning()
    above.report(0, 0, "", {"val_accuracy": 0.75, "val_loss": 1.0})  # goes on
    with pytest.raises(RunPruned, match=r"^pruned after epoch 1: val_accuracy 0\.65$"):
        below.report(0, 0, "", {"val_accuracy": 0.65, "val_loss": 1.0})
    assert [t.intermediate_values for t in study.trials[-2:]] == [{0: 0.75}, {0: 0.65}]


def test_a_k_fold_runs_epochs_are_reported_as_consecutive_steps(tmp_path):
    study = _study_with_finished_trials(tmp_path, [], epochs=0)
    trial = study.ask()
    pruning = TrialPruning({"storage": storage(tmp_path), "study": "snn",
                            "trial_id": trial._trial_id, "pruner": "median",
                            "metric": "mae", "epochs": 10})
    callback = pruning.callback(3, 5)  # the third of five folds, epochs 20-29
    callback.on_epoch_end(4, {"val_mean_absolute_error": 0.25})
    assert study.trials[-1].intermediate_values == {24: 0.25}


def test_a_pruner_on_a_metric_the_runs_do_not_log_is_refused_by_name(tmp_path):
    study = _study_with_finished_trials(tmp_path, [], epochs=0)
    pruning = TrialPruning({"storage": storage(tmp_path), "study": "snn",
                            "trial_id": study.ask()._trial_id, "pruner": "median",
                            "metric": "auc", "epochs": 3})
    with pytest.raises(ConfigError, match="sweep.search.pruner: 'median' prunes on the "
                       r"per-epoch val_auc, which these runs do not log \(loss, val_loss\); "
                       "expected training.metrics to include 'auc', or pruner: none"):
        pruning.report(0, 0, "", {"loss": 1.0, "val_loss": 1.0})


def test_a_pruned_trials_run_ends_pruned_with_its_history_kept(tmp_path):
    # Finished trials at validation accuracy 1.0 in every epoch: a two-epoch run at a tiny
    # learning rate is below them after its first epoch.
    study = _study_with_finished_trials(tmp_path, [1.0] * 5, epochs=2)
    trial = study.ask()
    config = to_dict(load_config(_write(tmp_path, {"method": "tpe", "trials": 1})))
    del config["sweep"]
    config["training"]["learning_rate"] = 1e-6
    outcome = train_run(config, str(tmp_path / "run"),
                        {"storage": storage(tmp_path), "study": "snn",
                         "trial_id": trial._trial_id, "pruner": "median",
                         "metric": "accuracy", "epochs": 2})
    assert outcome["status"] == "pruned"
    assert outcome["reason"].startswith("pruned after epoch 1: val_accuracy ")
    assert runs.read_status(tmp_path / "run")["status"] == "pruned"
    assert runs.read_status(tmp_path / "run")["reason"] == outcome["reason"]
    history = np.genfromtxt(tmp_path / "run" / "history.csv", delimiter=",", names=True)
    assert history.size == 1 and history["val_accuracy"] < 1.0
    assert not (tmp_path / "run" / "metrics.json").exists()


@pytest.mark.parametrize("search,space,message", [
    ({"method": "tpe"}, SPACE, "sweep.search.trials: missing"),
    ({"method": "grid", "trials": 7}, {"model.depth": {"int": [1, 3]}},
     "sweep.search.trials: got 7; the space has 3 combinations, expected at most 3"),
    ({"method": "grid"}, {"training.learning_rate": {"float": [0.1, 0.2]}},
     "sweep.space.training.learning_rate.float: method 'grid' needs a finite set of values"),
    ({"method": "tpe", "trials": 3}, {"model.depth": {"int": [1.5, 3]}},
     r"sweep.space.model.depth.int: got \[1.5, 3\]; expected \[low, high\], two integers"),
    ({"method": "tpe", "trials": 3}, {"model.depth": [1, 3]},
     r"sweep.space.model.depth: got \[1, 3\]; expected one of \{float: \[low, high\]\}"),
    ({"method": "tpe", "trials": 3}, {}, "sweep.space: missing or empty"),
    ({"method": "tpe", "trials": 3}, {"model.dropout_rate": {"float": [0.0, 1.5]}},
     r"sweep.space.model.dropout_rate.float: the range \[0.0, 1.5\] ends outside the "
     r"key's values: got 1.5 \(number\); expected a number in \[0.0, 1.0\)"),
])
def test_search_mistakes_name_the_key(tmp_path, search, space, message):
    with pytest.raises(ConfigError, match=message):
        plan_sweep(_write(tmp_path, search, space))


def test_more_trials_on_a_rerun_are_new_settings_not_the_first_ones_again(tmp_path):
    path = _write(tmp_path, {"method": "random", "trials": 2},
                  {"training.learning_rate": {"log_float": [0.01, 0.1]}})
    run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    run_sweep(plan_sweep(path, ["sweep.search.trials=4"]), tmp_path / "out", workers=1,
              verbose=0)
    rates = [t.params["training.learning_rate"] for t in _study(tmp_path / "out").trials]
    assert len(rates) == 4 and len(set(rates)) == 4


def test_a_trial_asked_for_as_a_stop_arrived_is_named_and_trained_by_the_rerun(tmp_path):
    # A stop can land between Optuna's ask and the trial's naming: the study then holds a
    # running trial with parameters but no run.
    space = {"training.learning_rate": {"log_float": [0.01, 0.1]}}
    path = _write(tmp_path, {"method": "random", "trials": 1}, space)
    run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    asked = _study(tmp_path / "out").ask(distributions(space))
    run_sweep(plan_sweep(path, ["sweep.search.trials=2"]), tmp_path / "out", workers=1,
              verbose=0)
    trials = _study(tmp_path / "out").trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 2
    assert trials[1].user_attrs["run"] == "trial_001"
    assert trials[1].params == asked.params
    trained = load_config(tmp_path / "out" / "trial_001" / "config.yaml")
    assert trained.training.learning_rate == pytest.approx(
        asked.params["training.learning_rate"])


def test_a_trial_stopped_before_its_parameters_were_drawn_is_failed_and_replaced(tmp_path):
    # A stop can land inside Optuna's ask, after the trial exists and before its
    # parameters are drawn: no run can be made of it (CI met this once).
    space = {"training.learning_rate": {"log_float": [0.01, 0.1]}}
    path = _write(tmp_path, {"method": "random", "trials": 1}, space)
    run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    _study(tmp_path / "out").ask()  # no distributions: nothing drawn
    run_sweep(plan_sweep(path, ["sweep.search.trials=2"]), tmp_path / "out", workers=1,
              verbose=0)
    states = [t.state for t in _study(tmp_path / "out").trials]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL,
                      optuna.trial.TrialState.COMPLETE]
    assert sorted(p.name for p in (tmp_path / "out").glob("trial_*")) == \
        ["trial_000", "trial_002"]


def test_a_study_of_another_config_is_not_resumed(tmp_path):
    path = _write(tmp_path, {"method": "random", "trials": 1})
    run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    # More trials are fine; other runs are not.
    run_sweep(plan_sweep(path, ["sweep.search.trials=2"]), tmp_path / "out", workers=1,
              verbose=0)
    assert len(_study(tmp_path / "out").trials) == 2
    with pytest.raises(ConfigError, match=r"holds a search run with another config "
                       r"\(training.epochs differs\)"):
        run_sweep(plan_sweep(path, ["training.epochs=3"]), tmp_path / "out", workers=1,
                  verbose=0)


def _early_checkpoint(out):
    """Whether a run under `out` has a checkpoint and has logged fewer than 20 epochs."""
    return any(len((path.parent / "history.csv").read_text().splitlines()) <= 20
               for path in out.glob("trial_*/checkpoint.npz")
               if (path.parent / "history.csv").is_file())


def test_ctrl_c_keeps_finished_trials_and_a_rerun_resumes_without_repeating_them(
        tmp_path, snn_cli):
    # Five trials on two workers with no pruning and no early stopping: the stop finds
    # some finished and some running.
    space = {"training.learning_rate": {"log_float": [0.01, 0.1]}}
    path = _write(tmp_path, {"method": "tpe", "trials": 5}, space,
                  training={**BASE["training"], "epochs": 40, "early_stopping": None})
    out = tmp_path / "out"
    # Stopped once a trial has finished and another is early in its 40 epochs (not one
    # about to finish as the stop arrives).
    status, stderr = sweep_stopped_when(
        lambda out: list(out.glob("trial_*/metrics.json")) and _early_checkpoint(out),
        path, out, tmp_path, wait=240)
    assert status == 130, stderr
    finished = {p.parent.name: file_identity(p) for p in out.glob("trial_*/metrics.json")}
    interrupted = {p.parent.name: file_identity(p.parent / "config.yaml")
                   for p in out.glob("trial_*/checkpoint.npz")}
    assert finished and interrupted
    statuses = {row["run"]: row["status"] for row in sweep_rows(out)}
    assert all(statuses[run] == "completed" for run in finished)
    assert all(statuses[run] == "interrupted" for run in interrupted)
    # Keyed by number: a trial asked for as the stop arrived has no run name yet (the
    # rerun names it), but it has its parameters.
    params = {trial.number: trial.params for trial in _study(out).trials}

    result = snn_cli("sweep", path, "--run-dir", out, "--workers", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    trials = _study(out).trials
    assert len(trials) == 5 and all(t.state == optuna.trial.TrialState.COMPLETE
                                    for t in trials)
    assert sorted(p.name for p in out.glob("trial_*")) == [f"trial_00{i}" for i in range(5)]
    # Finished trials were not trained again; interrupted ones resumed their own run
    # (same parameters, config not rewritten) rather than starting over.
    assert {run: file_identity(out / run / "metrics.json") for run in finished} == finished
    assert {run: file_identity(out / run / "config.yaml") for run in interrupted} == \
        interrupted
    assert {t.number: t.params for t in trials if t.number in params} == params
    assert [t.user_attrs["run"] for t in trials] == [f"trial_00{i}" for i in range(5)]
    for run in finished:
        assert f"{run}: completed (already done)" in result.stdout
    assert [row["status"] for row in sweep_rows(out)] == ["completed"] * 5
    assert math.isfinite(read_json(out / "sweep.json")["value"])


@pytest.mark.slow
def test_the_digits_search_prunes_some_of_its_24_trials(tmp_path, snn_cli):
    # configs/digits_search.yaml's header: 24 trials, about half pruned. (Its time is
    # measured, not asserted: timed tests measure the machine's load.)
    result = snn_cli("sweep", ROOT / "configs" / "digits_search.yaml", "--workers", "2",
                     "--run-dir", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    statuses = [row["status"] for row in sweep_rows(tmp_path / "out")]
    assert len(statuses) == 24 and "failed" not in statuses
    assert 0 < statuses.count("pruned") < 24
    assert read_json(tmp_path / "out" / "sweep.json")["value"] > 0.95
