"""Stacked training: members train to what they would alone, each in its own run."""

import copy
import csv
import os
import signal
import threading
import time

import numpy as np
import pytest

from snn import runs
from snn.config import parse_config
from snn.errors import ConfigError, RunInterrupted
from snn.training import train
from snn.training.stacked import stack_key, train_stacked
from snn.util.files import read_json

BASE = {
    "name": "iris", "seed": 0,
    "data": {"source": "sklearn", "name": "iris"},
    # 97 training rows in batches of 16: every epoch ends with a batch of one row.
    "model": {"name": "snn_mlp", "depth": 2, "units": 16, "dropout_rate": 0.05},
    "training": {"epochs": 6, "batch_size": 16, "learning_rate": 0.05,
                 "early_stopping": {"monitor": "val_accuracy", "patience": None,
                                    "smoothing": 3}},
}


def _config(**changes):
    """BASE with changes given as section__key=value, or section=value for a whole one."""
    raw = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        section, _, key = dotted.partition("__")
        if key:
            raw.setdefault(section, {})[key] = value
        else:
            raw[section] = value
    return parse_config(raw, "test")


def _history(path):
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return {key: np.array([float(row[key]) for row in rows]) for key in rows[0]}


def _same_run(stacked_dir, alone_dir, tolerance):
    """The two run directories hold the same model, metrics and history, within float
    tolerance (PyTorch sums a step's gradients in another order: ~1e-7 apart there)."""
    mine, theirs = (runs.load_model(path / runs.MODEL) for path in (stacked_dir, alone_dir))
    for mine_weights, their_weights in zip(mine.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine_weights, their_weights, rtol=tolerance, atol=tolerance)
    # The optimizer's state (steps taken, learning rate, moments) as the run saves it.
    assert [v.name for v in mine.optimizer.variables] == \
        [v.name for v in theirs.optimizer.variables]
    for mine_state, their_state in zip(mine.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(np.asarray(mine_state), np.asarray(their_state),
                                   rtol=tolerance, atol=tolerance)
    mine, theirs = read_json(stacked_dir / runs.METRICS), read_json(alone_dir / runs.METRICS)
    for split in ("test", "validation"):
        assert mine[split] == pytest.approx(theirs[split], rel=tolerance, abs=tolerance)
    assert mine["folds"][0]["best_epoch"] == theirs["folds"][0]["best_epoch"]
    assert mine["epochs_run"] == theirs["epochs_run"]
    mine, theirs = _history(stacked_dir / runs.HISTORY), _history(alone_dir / runs.HISTORY)
    assert mine.keys() == theirs.keys()
    for key in mine:
        np.testing.assert_allclose(mine[key], theirs[key], rtol=tolerance, atol=tolerance)


def test_each_member_trains_to_the_weights_metrics_and_history_of_its_run_alone(tmp_path):
    # Members differing in everything a member may: learning rate, depth, architecture,
    # seed (initial weights, alpha dropout masks, batch order), early stopping. With no
    # weight shared and the total loss a sum, each member's step is its own run's step:
    # equal, not only equal in distribution, dropout included.
    configs = [_config(),
               _config(training__learning_rate=0.2, model__depth=3, seed=1),
               _config(model__name="msra_mlp", model__dropout_rate=0.0),
               # No epoch improves on the first by min_delta 1: patience 1 ends it after 2.
               _config(training__early_stopping={"monitor": "val_accuracy", "patience": 1,
                                                 "min_delta": 1.0})]
    results = train_stacked(configs, [tmp_path / f"member_{i}" for i in range(4)])
    assert [result.error for result in results] == [None] * 4
    for index, config in enumerate(configs):
        alone = train(config, tmp_path / f"alone_{index}", verbose=0)
        assert results[index].metrics["test"] == pytest.approx(alone["test"], rel=1e-5)
        _same_run(tmp_path / f"member_{index}", tmp_path / f"alone_{index}", 1e-5)
    # The last member ended after 2 of the 6 epochs, as alone; the others went on.
    assert [result.metrics["epochs_run"] for result in results] == [6, 6, 6, 2]
    environment = read_json(tmp_path / "member_0" / runs.ENVIRONMENT)
    assert environment["stacked_with"] == [str(tmp_path / f"member_{i}") for i in (1, 2, 3)]
    # The first and the last share an architecture: one member axis; the others beside it.
    assert environment["member_axis_with"] == [str(tmp_path / "member_3")]
    assert read_json(tmp_path / "member_1" / runs.ENVIRONMENT)["member_axis_with"] == []


def test_members_of_one_architecture_train_on_a_member_axis_as_they_would_alone(tmp_path):
    # Seeds, learning rates and alpha dropout rates (0 included: no dropout layer) differ;
    # the layers do not. Each member draws the dropout masks its own layers would, so it
    # ends equal to its run alone, not only equal in distribution.
    configs = [_config(), _config(seed=1, training__learning_rate=0.2, model__dropout_rate=0.0),
               _config(seed=2, model__dropout_rate=0.1)]
    results = train_stacked(configs, [tmp_path / f"member_{i}" for i in range(3)])
    assert [result.error for result in results] == [None] * 3
    assert read_json(tmp_path / "member_2" / runs.ENVIRONMENT)["member_axis_with"] == \
        [str(tmp_path / "member_0"), str(tmp_path / "member_1")]
    for index, config in enumerate(configs):
        train(config, tmp_path / f"alone_{index}", verbose=0)
        _same_run(tmp_path / f"member_{index}", tmp_path / f"alone_{index}", 1e-5)


def test_each_members_l2_penalty_and_adamw_weight_decay_are_its_own(tmp_path):
    # A run's loss includes its L2 penalty, and early stopping on the smoothed val_loss
    # chooses its epoch by it; AdamW decays weights at the run's learning rate. Members on
    # a member axis (the first two) and beside it (the third) log and step as alone.
    adamw = {"training__optimizer": "adamw", "model__l2": 0.01,
             "training__early_stopping": {"monitor": "val_loss", "patience": None,
                                          "smoothing": 3}}
    configs = [_config(**adamw), _config(**adamw, seed=4, training__learning_rate=0.01),
               _config(**adamw, model__depth=3)]
    results = train_stacked(configs, [tmp_path / f"member_{i}" for i in range(3)])
    assert [result.error for result in results] == [None] * 3
    for index, config in enumerate(configs):
        train(config, tmp_path / f"alone_{index}", verbose=0)
        _same_run(tmp_path / f"member_{index}", tmp_path / f"alone_{index}", 1e-5)


def test_class_weights_weigh_each_members_loss_as_its_own_run(tmp_path):
    raw = {**BASE, "data": {"source": "sklearn", "name": "breast_cancer"},
           "model": {**BASE["model"], "output_activation": "sigmoid"},
           "training": {**BASE["training"], "class_weight": "balanced", "epochs": 3,
                        "batch_size": 48, "early_stopping": None}}
    configs = [parse_config(raw, "test"),
               parse_config({**raw, "seed": 3, "training": {**raw["training"],
                                                             "learning_rate": 0.01}}, "test")]
    train_stacked(configs, [tmp_path / "member_0", tmp_path / "member_1"])
    for index, config in enumerate(configs):
        train(config, tmp_path / f"alone_{index}", verbose=0)
        _same_run(tmp_path / f"member_{index}", tmp_path / f"alone_{index}", 1e-5)


def test_multi_label_members_with_missing_labels_train_as_their_runs_alone(tmp_path):
    # Tox21's case: several sigmoid outputs, missing labels (NaN) masked out of the loss.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((150, 6)).astype(np.float32)
    y = (x[:, :3] + 0.5 * rng.standard_normal((150, 3)) > 0).astype(np.float32)
    y[rng.random(y.shape) < 0.2] = np.nan
    np.savez(tmp_path / "labels.npz", x=x, y=y)
    raw = {**BASE, "data": {"source": "npz", "path": str(tmp_path / "labels.npz")},
           "model": {**BASE["model"], "output_activation": "sigmoid"},
           "training": {**BASE["training"], "epochs": 4,
                        "early_stopping": {"monitor": "val_loss", "patience": 2}}}
    configs = [parse_config(raw, "test"),
               parse_config({**raw, "seed": 2, "model": {**raw["model"], "depth": 3}}, "test")]
    results = train_stacked(configs, [tmp_path / "member_0", tmp_path / "member_1"])
    assert [result.error for result in results] == [None, None]
    for index, config in enumerate(configs):
        train(config, tmp_path / f"alone_{index}", verbose=0)
        _same_run(tmp_path / f"member_{index}", tmp_path / f"alone_{index}", 1e-5)


def test_a_diverging_member_fails_alone_and_the_others_complete(tmp_path):
    configs = [_config(), _config(training__learning_rate=1e30, model__dropout_rate=0.0)]
    results = train_stacked(configs, [tmp_path / "fine", tmp_path / "diverged"])
    assert results[0].error is None and runs.read_status(tmp_path / "fine")["status"] == \
        "completed"
    assert results[1].metrics is None
    assert "training.learning_rate: the loss became nan" in results[1].error
    status = runs.read_status(tmp_path / "diverged")
    assert status["status"] == "failed" and "diverged" in status["reason"]
    assert not (tmp_path / "diverged" / runs.METRICS).exists()


def test_a_stop_marks_every_member_interrupted_without_a_checkpoint(tmp_path):
    configs = [_config(training__epochs=10_000), _config(training__epochs=10_000, seed=1)]

    def stop_once_training():  # CSVLogger opens the history as `fit` begins
        while not (tmp_path / "a" / runs.HISTORY).exists():
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=stop_once_training, daemon=True).start()
    with pytest.raises(RunInterrupted, match="2 stacked runs stopped by SIGINT; stacked "
                       "runs keep no checkpoint: they train again from their first epoch"):
        train_stacked(configs, [tmp_path / "a", tmp_path / "b"])
    for run in ("a", "b"):
        assert runs.read_status(tmp_path / run)["status"] == "interrupted"
        assert not (tmp_path / run / runs.METRICS).exists()
        assert not (tmp_path / run / runs.CHECKPOINT).exists()


def test_runs_differing_only_in_member_settings_share_a_stack_key():
    key = stack_key(_config())
    assert key is not None
    assert stack_key(_config(training__learning_rate=0.3, model__depth=5, seed=4,
                             model__name="msra_mlp")) == key
    assert stack_key(_config(training__batch_size=32)) != key
    assert stack_key(_config(model__output_activation="sigmoid")) != key


@pytest.mark.parametrize("changes", [
    {"evaluation__protocol": "kfold"},  # several folds
    {"training__activation_statistics": True},  # observes one model
    {"training__precision": "mixed_float16"},  # loss scaling wraps one model's optimizer
    {"model": {"name": "random_forest"}},  # a scikit-learn reference method
], ids=["kfold", "activation_statistics", "mixed_float16", "reference"])
def test_what_observes_one_run_or_several_folds_trains_alone(changes):
    assert stack_key(_config(**changes)) is None


def test_members_that_cannot_stack_are_refused_by_key_before_anything_is_written(tmp_path):
    with pytest.raises(ConfigError, match=r"differs from iris in training\.batch_size; "
                       r"members may differ only in name, seed, model"):
        train_stacked([_config(), _config(training__batch_size=32)],
                      [tmp_path / "a", tmp_path / "b"])
    assert not list(tmp_path.iterdir())
