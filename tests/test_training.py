"""The trainer: complete run directories, reproducible evaluation, nothing left on errors."""

import csv
import json
import logging
import signal
import socket
import subprocess

import keras
import numpy as np
import pytest
import yaml
from sklearn.datasets import load_iris

from conftest import file_identity, snn_messages
from snn import runs
from snn.training.checkpoints import Checkpointing
from snn.config import load_config, parse_config
from snn.errors import AuditError, ConfigError, DataError, DeviceError, RunDirError
from snn.errors import RunInterrupted, TrainingError
from snn.distributed import Topology, visible_gpus
from snn.diagnostics import layer_statistics
from snn.training import evaluate, prepare, resume, train
from snn.training import trainer
from snn.training.trainer import compile_model

RUN_FILES = {"config.yaml", "data.json", "environment.json", "history.csv", "metrics.json",
             "model.keras", "splits.npz", "standardization.npz", "status.json", "fold.json"}


REMOVE = object()


def _config(**sections):
    raw = {"name": "t", "seed": 0,
           "data": {"source": "sklearn", "name": "iris"},
           "model": {"name": "snn_mlp", "depth": 2, "units": 16, "dropout_rate": 0.05},
           "training": {"epochs": 3, "batch_size": 16, "learning_rate": 0.05}}
    for section, values in sections.items():  # merge; the value REMOVE drops the key
        merged = {**raw.get(section, {}), **values}
        raw[section] = {key: value for key, value in merged.items() if value is not REMOVE}
    return parse_config(raw)


def test_train_set_loss_is_the_saved_models_loss_on_every_training_row(tmp_path):
    # No early stopping: the model saved is the last epoch's. Its log loss on the run's
    # training rows, recomputed here with scikit-learn, is that epoch's train_set_loss;
    # Keras' own training loss (a mean over the epoch's steps, with alpha dropout) is not.
    from sklearn.metrics import log_loss

    from snn.data import Standardization

    run = tmp_path / "run"
    train(_config(training={"early_stopping": None, "train_set_loss": "inference"}), run,
          verbose=0)
    with open(run / "history.csv") as handle:
        history = list(csv.DictReader(handle))
    assert len(history) == 3 and all(float(row["train_set_loss"]) > 0 for row in history)
    x, y = load_iris(return_X_y=True)
    rows = np.load(run / "splits.npz")["train"]
    inputs = Standardization.load(run / "standardization.npz").apply(x[rows].astype("float32"))
    outputs = keras.saving.load_model(run / "model.keras").predict(inputs, verbose=0)
    expected = log_loss(y[rows], outputs, labels=[0, 1, 2])
    assert float(history[-1]["train_set_loss"]) == pytest.approx(expected, rel=1e-4)
    assert float(history[-1]["loss"]) != pytest.approx(expected, rel=1e-3)


def test_train_writes_a_complete_run_and_evaluate_reproduces_it(tmp_path):
    metrics = train(_config(), tmp_path / "run", verbose=0)
    run = tmp_path / "run"
    assert {p.name for p in run.iterdir()} == RUN_FILES
    saved = json.loads((run / "metrics.json").read_text())
    assert set(saved) == {"protocol", "test", "test_std", "validation", "folds",
                          "epochs_run", "train_seconds", "samples_per_second", "audit"}
    assert saved["protocol"] == "holdout" and len(saved["folds"]) == 1
    assert saved["folds"][0]["test"] == saved["test"] and saved["test_std"]["loss"] == 0
    assert saved["audit"] == []  # the builders make correct SNNs
    assert set(saved["test"]) == {"loss", "accuracy"}
    assert saved["epochs_run"] == 3
    history = (run / "history.csv").read_text().splitlines()
    assert history[0].split(",") == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history) == 4
    assert yaml.safe_load((run / "config.yaml").read_text())["training"]["epochs"] == 3
    assert json.loads((run / "environment.json").read_text())["backend"] == \
        keras.backend.backend()
    # iris, 150 rows; scikit-learn rounds held-out sizes up: test ceil(0.2 * 150) = 30,
    # validation ceil(0.15 / 0.8 * 120) = ceil(22.5) = 23, training the remaining 97.
    assert [len(np.load(run / "splits.npz")[s]) for s in ("train", "validation", "test")] \
        == [97, 23, 30]
    assert saved["samples_per_second"] == pytest.approx(
        3 * 97 / saved["train_seconds"], rel=0.01)
    assert evaluate(run) == metrics["test"] == saved["test"]


def test_binary_classification_reports_auc(tmp_path):
    config = _config(data={"name": "breast_cancer"},
                     model={"output_activation": "sigmoid"})
    metrics = train(config, tmp_path / "run", verbose=0)
    assert set(metrics["test"]) == {"loss", "accuracy", "auc"}
    assert 0.5 < metrics["test"]["auc"] <= 1.0


def test_regression_trains_on_standardized_targets_and_reports_errors_in_their_units(
        tmp_path):
    metrics = train(_config(model={"output_activation": "linear"}), tmp_path / "r", verbose=0)
    assert set(metrics["test"]) == {"loss", "mse", "mae", "r2"}
    targets = np.load(tmp_path / "r" / "target_standardization.npz")
    y_train = load_iris().target[np.load(tmp_path / "r" / "splits.npz")["train"]]
    assert targets["mean"] == pytest.approx([y_train.mean()], rel=1e-5)
    assert targets["scale"] == pytest.approx([y_train.std()], rel=1e-5)
    # The loss is the mean squared error of standardized targets: mse / scale^2.
    assert metrics["test"]["loss"] == pytest.approx(
        metrics["test"]["mse"] / targets["scale"][0] ** 2, rel=1e-4)
    assert evaluate(tmp_path / "r") == metrics["test"]


def test_a_model_for_another_fixed_point_trains_from_the_config(tmp_path):
    config = _config(model={"fixed_point": [-0.1, 2.0], "dropout_rate": 0.1},
                     training={"activation_statistics": True})
    metrics = train(config, tmp_path / "run", verbose=0)
    assert metrics["audit"] == [] and metrics["epochs_run"] == 3
    assert evaluate(tmp_path / "run") == metrics["test"]


def test_kfold_trains_every_fold_and_reports_mean_and_std(tmp_path):
    config = _config(evaluation={"protocol": "kfold", "folds": 3}, training={"epochs": 2})
    metrics = train(config, tmp_path / "run", verbose=0)
    run = tmp_path / "run"
    assert sorted(p.name for p in run.glob("fold_*")) == ["fold_1", "fold_2", "fold_3"]
    assert all((run / f"fold_{k}" / "model.keras").is_file() for k in (1, 2, 3))
    accuracies = [fold["test"]["accuracy"] for fold in metrics["folds"]]
    assert metrics["test"]["accuracy"] == pytest.approx(np.mean(accuracies))
    assert metrics["test_std"]["accuracy"] == pytest.approx(np.std(accuracies, ddof=1))
    assert metrics["epochs_run"] == 6
    assert evaluate(run) == pytest.approx(metrics["test"], rel=1e-6)


def test_uci121_protocol_on_a_real_set(shared_data, tmp_path):
    config = _config(data={"source": "uci121", "name": "iris", "root": str(shared_data / "uci121"),
                           "standardize": "none"},
                     evaluation={"protocol": "uci121"}, training={"epochs": 2})
    metrics = train(config, tmp_path / "run", verbose=0)
    assert metrics["protocol"] == "uci121" and len(metrics["folds"]) == 4
    with np.load(tmp_path / "run" / "fold_1" / "splits.npz") as splits:
        assert len(splits["test"]) == 37  # conxuntos_kfold.dat: 113 training, 37 test rows


def test_multitask_with_missing_labels_reports_mean_auc(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 6)).astype("float32")
    y = (x[:, :3] > 0).astype("float32")
    y[rng.uniform(size=y.shape) < 0.3] = np.nan  # 30% of labels missing
    np.savez(tmp_path / "d.npz", x=x, y=y)
    config = _config(data={"source": "npz", "path": str(tmp_path / "d.npz"), "name": REMOVE},
                     model={"output_activation": "sigmoid"},
                     training={"epochs": 20, "learning_rate": 0.05})
    metrics = train(config, tmp_path / "run", verbose=0)
    assert set(metrics["test"]) == {"loss", "accuracy", "auc"}
    assert metrics["test"]["auc"] > 0.9  # each task is a sign of one input


def test_balanced_class_weights_need_single_label_classification(tmp_path):
    config = _config(data={"name": "breast_cancer"}, model={"output_activation": "sigmoid"},
                     training={"class_weight": "balanced"})
    assert train(config, tmp_path / "run", verbose=0)["epochs_run"] == 3
    regression = _config(model={"output_activation": "linear"},
                         training={"class_weight": "balanced"})
    with pytest.raises(ConfigError, match="training.class_weight: 'balanced' needs"):
        train(regression, tmp_path / "r", verbose=0)
    assert not (tmp_path / "r").exists()


def test_a_baseline_trains_from_the_config_without_audit_warnings(tmp_path, caplog):
    config = _config(model={"name": "batchnorm_mlp", "dropout_rate": 0.1},
                     training={"activation_statistics": True})
    metrics = train(config, tmp_path / "run", verbose=0)
    assert metrics["audit"] == [] and snn_messages(caplog) == []
    assert (tmp_path / "run" / "activation_stats.png").is_file()


def test_cnn_on_digits_images(tmp_path):
    config = _config(data={"name": "digits", "reshape": [8, 8, 1], "standardize": "global"},
                     model={"name": "snn_cnn", "filters": [8], "dense_units": [16],
                            "dropout_rate": 0.0, "depth": REMOVE, "units": REMOVE})
    metrics = train(config, tmp_path / "cnn", verbose=0)
    assert metrics["test"]["accuracy"] > 0.5  # 10 classes: chance is 0.1


def test_early_stopping_restores_the_best_epoch(tmp_path):
    config = _config(training={"epochs": 40, "learning_rate": 0.5,
                               "early_stopping": {"patience": 2}})
    metrics = train(config, tmp_path / "run", verbose=0)
    history = np.genfromtxt(tmp_path / "run" / "history.csv", delimiter=",", names=True)
    assert metrics["epochs_run"] == len(history) < 40
    assert metrics["validation"]["loss"] == pytest.approx(history["val_loss"].min(), rel=1e-4)
    # The kept epoch, from 1: the first with the least validation loss.
    assert metrics["folds"][0]["best_epoch"] == np.argmin(history["val_loss"]) + 1


def test_an_early_stopping_monitor_that_is_never_logged_is_refused(tmp_path):
    config = _config(training={"early_stopping": {"monitor": "val_acc"}})
    with pytest.raises(ConfigError, match="monitor: got 'val_acc'; expected one of the logged "
                                          "values: loss, accuracy, val_loss, val_accuracy"):
        train(config, tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()


def test_data_errors_leave_no_run_directory(tmp_path):
    config = _config(data={"source": "csv", "path": str(tmp_path / "missing.csv"),
                           "name": REMOVE})
    with pytest.raises(DataError, match="missing.csv"):
        train(config, tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()


def test_a_diverged_run_is_marked_failed_with_the_epoch_and_step(tmp_path):
    # At 1e12 the weights only saturate the softmax on JAX and PyTorch (the clipped
    # cross-entropy stays finite); 1e30 overflows to NaN on every backend.
    with pytest.raises(TrainingError, match=r"the loss became (nan|inf) in epoch 1, step \d+ at "
                                            r"learning rate 1e\+30 \(training diverged; no "
                                            r"checkpoint was written\)"):
        train(_config(training={"learning_rate": 1e30}), tmp_path / "run", verbose=0)
    status = runs.read_status(tmp_path / "run")
    assert status["status"] == "failed" and "training diverged" in status["reason"]
    assert not runs.is_complete(tmp_path / "run")
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_training_on_the_cpu_device_places_the_model_there(tmp_path, monkeypatch):
    entered, device = [], keras.device

    def recording(name):
        entered.append(name)
        return device(name)

    monkeypatch.setattr(keras, "device", recording)
    metrics = train(_config(training={"device": "cpu"}), tmp_path / "run", verbose=0)
    assert entered == ["cpu"] and metrics["epochs_run"] == 3
    monkeypatch.undo()
    if not visible_gpus():  # the default device is the CPU too: pinning it changes nothing
        assert metrics["test"] == train(_config(), tmp_path / "auto", verbose=0)["test"]


def test_activation_statistics_are_recorded_every_epoch(tmp_path):
    config = _config(training={"activation_statistics": True})
    train(config, tmp_path / "run", verbose=0)
    rows = (tmp_path / "run" / "activation_stats.csv").read_text().splitlines()
    assert rows[0] == "label,depth,layer,mean,variance,saturation"
    assert len(rows) == 1 + 4 * 2  # epochs 0 (initialization) to 3, two hidden layers
    assert rows[1].startswith("0,1,dense_1_selu,")
    png = (tmp_path / "run" / "activation_stats.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_audit_findings_are_logged_and_recorded(tmp_path, caplog):
    config = _config(data={"standardize": "none"})  # iris in centimetres: mean ~3.5
    metrics = train(config, tmp_path / "run", verbose=0)
    assert [f.split("]")[0] for f in metrics["audit"]] == ["[input-scale", "[input-feature"]
    assert "[input-scale] inputs: inputs have mean" in caplog.text


def test_audit_error_mode_stops_before_anything_is_written(tmp_path):
    config = _config(data={"standardize": "none"}, training={"audit": "error"})
    with pytest.raises(AuditError, match=r"training.audit: 2 finding\(s\), first: "
                                         r"\[input-scale\]"):
        train(config, tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()


def test_a_completed_run_is_replaced_only_with_overwrite(tmp_path):
    train(_config(), tmp_path / "run", verbose=0)
    with pytest.raises(RunDirError, match="run: already holds a completed run; choose another "
                                          "--run-dir, or --overwrite to replace it"):
        train(_config(), tmp_path / "run", verbose=0)
    with pytest.raises(RunDirError, match="the run has completed; nothing to resume"):
        resume(tmp_path / "run", verbose=0)
    (tmp_path / "run" / "stray.txt").write_text("")
    train(_config(), tmp_path / "run", verbose=0, overwrite=True)
    assert runs.is_complete(tmp_path / "run") and not (tmp_path / "run" / "stray.txt").exists()


def test_the_same_config_and_seed_give_identical_metrics(tmp_path):
    # Bit for bit on the CPU; GPU kernels may differ in the last bits between runs.
    first = train(_config(training={"device": "cpu"}), tmp_path / "a", verbose=0)
    second = train(_config(training={"device": "cpu"}), tmp_path / "b", verbose=0)
    assert first["test"] == second["test"] and first["validation"] == second["validation"]


def _stop_at(monkeypatch, fold_dir_name, epoch, step):
    """Deliver a stop request (as SIGTERM would) after `step` of `epoch` (1-based) there;
    with several steps per call into the backend, `step` must end a call."""
    original = Checkpointing.on_train_batch_end

    def on_train_batch_end(self, batch, logs=None):
        if self.path.parent.name == fold_dir_name and \
                (self.epoch + 1, self._first_step + batch + 1) == (epoch, step):
            self.stop.signum = signal.SIGTERM
        original(self, batch, logs)

    monkeypatch.setattr(Checkpointing, "on_train_batch_end", on_train_batch_end)


def _counting_steps(monkeypatch):
    """Count the steps trained from now on, per fold directory name (one step per call into
    the backend: `steps_per_execution: 1`)."""
    steps = {}
    original = Checkpointing.on_train_batch_end

    def on_train_batch_end(self, batch, logs=None):
        steps[self.path.parent.name] = steps.get(self.path.parent.name, 0) + 1
        original(self, batch, logs)

    monkeypatch.setattr(Checkpointing, "on_train_batch_end", on_train_batch_end)
    return steps


def test_a_run_stopped_mid_epoch_resumes_where_it_stopped_to_exactly_the_uninterrupted_result(
        tmp_path, monkeypatch, capsys):
    config = _config(evaluation={"protocol": "kfold", "folds": 3},
                     training={"epochs": 5, "early_stopping": {"patience": 1},
                               "activation_statistics": True, "steps_per_execution": 1,
                               "device": "cpu"})
    alone = train(config, tmp_path / "alone", verbose=0)
    _stop_at(monkeypatch, "fold_2", epoch=2, step=3)
    with pytest.raises(RunInterrupted, match=r"stopped by SIGTERM in epoch 2, after step 3; "
                                             r"checkpoint written. Resume with: snn train "
                                             r"--resume .*stopped") as caught:
        train(config, tmp_path / "stopped", verbose=0)
    assert caught.value.signum == signal.SIGTERM
    stopped = tmp_path / "stopped"
    assert runs.read_status(stopped)["status"] == "interrupted"
    assert (stopped / "fold_1" / "fold.json").is_file()  # finished before the stop
    assert (stopped / "fold_2" / "checkpoint.npz").is_file()
    assert not (stopped / "fold_3").exists()
    monkeypatch.undo()
    kept = [*(stopped / "fold_1").iterdir(), stopped / "config.yaml",
            stopped / "environment.json"]
    before = {path: file_identity(path) for path in kept}
    steps = _counting_steps(monkeypatch)
    capsys.readouterr()
    resumed = resume(stopped, verbose=1)
    assert "fold 2/3: resuming in epoch 2, after step 3" in capsys.readouterr().out.splitlines()
    # Only the steps left: fold 2 after its first epoch and 3 steps, all of fold 3.
    per_epoch = [-(-len(np.load(tmp_path / "alone" / f"fold_{k}" / "splits.npz")["train"])
                   // config.training.batch_size) for k in (1, 2, 3)]
    epochs = [fold["epochs_run"] for fold in alone["folds"]]
    assert steps == {"fold_2": per_epoch[1] * (epochs[1] - 1) - 3,
                     "fold_3": per_epoch[2] * epochs[2]}
    assert {path: file_identity(path) for path in kept} == before  # fold 1 untouched
    for key in ("test", "validation", "folds", "epochs_run"):
        assert resumed[key] == alone[key]
    for fold in ("fold_1", "fold_2", "fold_3"):
        for name in ("history.csv", "activation_stats.csv"):
            assert (stopped / fold / name).read_bytes() == \
                (tmp_path / "alone" / fold / name).read_bytes()
        assert not (stopped / fold / "checkpoint.npz").exists()
    assert runs.is_complete(stopped)


def test_a_damaged_checkpoint_resumes_from_the_previous_one_to_the_uninterrupted_result(
        tmp_path, monkeypatch, caplog):
    config = _config(training={"epochs": 4, "early_stopping": None, "steps_per_execution": 1,
                               "activation_statistics": True, "device": "cpu"})
    alone = train(config, tmp_path / "alone", verbose=0)
    _stop_at(monkeypatch, "stopped", epoch=3, step=2)  # checkpoints: epoch 2, then the stop
    with pytest.raises(RunInterrupted, match="in epoch 3, after step 2"):
        train(config, tmp_path / "stopped", verbose=0)
    monkeypatch.undo()
    run, newest = tmp_path / "stopped", tmp_path / "stopped" / "checkpoint.npz"
    newest.write_bytes(newest.read_bytes()[:1000])  # cut short, as by a bad disk or copy
    (run / ".tmp-x8k2p1.npz").write_bytes(bytes(4096))  # a write a SIGKILL cut short
    steps = _counting_steps(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="snn"):
        resumed = resume(run, verbose=0)
    assert snn_messages(caplog) == [
        f"{newest}: cannot read the checkpoint (File is not a zip file); resuming from the "
        "previous one, checkpoint.previous.npz, written after epoch 2"]
    per_epoch = -(-len(np.load(run / "splits.npz")["train"]) // config.training.batch_size)
    assert steps == {"stopped": 2 * per_epoch}  # epochs 3 and 4 in full
    for key in ("test", "validation", "epochs_run"):
        assert resumed[key] == alone[key]
    for name in ("history.csv", "activation_stats.csv"):
        assert (run / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()
    # No checkpoint and no temporary file is left: the same files as the run left alone.
    assert sorted(p.name for p in run.iterdir()) == \
        sorted(p.name for p in (tmp_path / "alone").iterdir())


def test_a_run_whose_checkpoints_are_gone_says_so_and_trains_the_fold_again(tmp_path,
                                                                            monkeypatch, caplog):
    config = _config(training={"epochs": 3, "early_stopping": None, "device": "cpu",
                               "steps_per_execution": 1})
    alone = train(config, tmp_path / "alone", verbose=0)
    _stop_at(monkeypatch, "stopped", epoch=3, step=1)
    with pytest.raises(RunInterrupted):
        train(config, tmp_path / "stopped", verbose=0)
    monkeypatch.undo()
    run = tmp_path / "stopped"
    for name in ("checkpoint.npz", "checkpoint.previous.npz"):
        (run / name).unlink()
    with caplog.at_level(logging.WARNING, logger="snn"):
        resumed = resume(run, verbose=0)
    assert snn_messages(caplog) == [f"{run}: no checkpoint to resume from, though 2 epochs were "
                               "logged; training the fold again from its first epoch"]
    assert resumed["test"] == alone["test"] and resumed["epochs_run"] == 3
    assert (run / "history.csv").read_bytes() == (tmp_path / "alone" / "history.csv").read_bytes()


def test_a_stop_after_an_epochs_last_step_ends_the_epoch_and_resumes_after_it(tmp_path,
                                                                               monkeypatch):
    config = _config(training={"epochs": 3, "early_stopping": None, "device": "cpu"})
    alone = train(config, tmp_path / "alone", verbose=0)
    steps = -(-len(prepare(config).splits["train"][0]) // config.training.batch_size)
    _stop_at(monkeypatch, "stopped", epoch=2, step=steps)
    with pytest.raises(RunInterrupted, match="stopped by SIGTERM after epoch 2; checkpoint "
                                             "written"):
        train(config, tmp_path / "stopped", verbose=0)
    monkeypatch.undo()
    resumed = resume(tmp_path / "stopped", verbose=0)
    assert resumed["test"] == alone["test"] and resumed["epochs_run"] == 3
    assert (tmp_path / "stopped" / "history.csv").read_bytes() == \
        (tmp_path / "alone" / "history.csv").read_bytes()


def test_with_several_steps_per_call_a_stop_lands_between_calls_and_resumes_exactly(
        tmp_path, monkeypatch):
    # 25 steps per epoch at batch 4: the largest divisor not above 6 is 5 steps per call.
    config = _config(training={"epochs": 3, "batch_size": 4, "steps_per_execution": 6,
                               "early_stopping": None, "device": "cpu"})
    assert -(-len(prepare(config).splits["train"][0]) // 4) == 25
    alone = train(config, tmp_path / "alone", verbose=0)
    _stop_at(monkeypatch, "stopped", epoch=2, step=10)
    with pytest.raises(RunInterrupted, match="SIGTERM in epoch 2, after step 10; checkpoint"):
        train(config, tmp_path / "stopped", verbose=0)
    monkeypatch.undo()
    resumed = resume(tmp_path / "stopped", verbose=0)
    assert resumed["test"] == alone["test"] and resumed["validation"] == alone["validation"]
    assert (tmp_path / "stopped" / "history.csv").read_bytes() == \
        (tmp_path / "alone" / "history.csv").read_bytes()


def test_checkpoints_follow_the_configured_interval(tmp_path, monkeypatch):
    saved = []
    monkeypatch.setattr(Checkpointing, "save", lambda self: saved.append(self.epoch))
    train(_config(training={"epochs": 5, "checkpoint_interval": 2, "early_stopping": None}),
          tmp_path / "run", verbose=0)
    assert saved == [2, 4]


def test_an_unfinished_run_is_resumed_or_replaced_but_not_trained_over(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    runs.write_status(run, "interrupted")
    with pytest.raises(RunDirError, match="run: holds an unfinished run \\(interrupted\\); "
                                          "--resume to continue it, or --overwrite"):
        train(_config(), run, verbose=0)
    with pytest.raises(RunDirError, match="not empty and holds no run"):
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "notes.txt").write_text("mine")
        train(_config(), tmp_path / "other", verbose=0)


def test_a_run_whose_process_is_alive_is_neither_resumed_nor_replaced(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    other = subprocess.Popen(["sleep", "30"])
    try:
        (run / "status.json").write_text(json.dumps(
            {"status": "running", "pid": other.pid, "host": socket.gethostname()}))
        with pytest.raises(RunDirError, match=f"the run is still running \\(process "
                                              f"{other.pid}\\); stop it first"):
            train(_config(), run, verbose=0, overwrite=True)
    finally:
        other.kill()
        other.wait()


def test_evaluate_refuses_an_unfinished_or_missing_run(tmp_path):
    (tmp_path / "half").mkdir()
    with pytest.raises(RunDirError, match="not a completed run"):
        evaluate(tmp_path / "half")
    with pytest.raises(RunDirError, match="nowhere: no such run directory"):
        evaluate(tmp_path / "nowhere")


def test_without_early_stopping_every_epoch_runs(tmp_path):
    config = _config(training={"epochs": 4, "early_stopping": None})
    assert config.training.early_stopping is None
    assert train(config, tmp_path / "run", verbose=0)["epochs_run"] == 4


def test_asking_for_a_gpu_without_one_is_a_clear_error(tmp_path):
    with pytest.raises(DeviceError, match=f"training.device: got 'gpu', but the "
                                          f"{keras.backend.backend()} backend sees no GPU"):
        train(_config(training={"device": "gpu"}), tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()


def test_default_run_directory_is_named_after_the_experiment(tmp_path):
    config = _config(output={"dir": str(tmp_path / "runs")})
    first = runs.create_run_dir(config)
    second = runs.create_run_dir(config)
    assert first.parent == tmp_path / "runs" and first.name.startswith("t-")
    assert first != second


def test_bfloat16_precision_computes_in_bfloat16_and_keeps_the_fixed_point():
    x = np.random.default_rng(0).standard_normal((1000, 4)).astype("float32")

    def deepest(precision):
        config = _config(model={"depth": 8, "units": 128},
                         training={"precision": precision})
        model = prepare(config).model
        return model, layer_statistics(model, x)[-1]

    model, bf16 = deepest("bfloat16")
    assert model.get_layer("dense_1").dtype_policy.name == "mixed_bfloat16"
    assert model.get_layer("dense_1").kernel.dtype == "float32"  # float32 weights
    assert model.get_layer("output").dtype_policy.name == "float32"
    _, f32 = deepest("float32")
    # bfloat16 keeps 8 significant bits (relative rounding 2^-9 per operation): after
    # 8 layers the moments move by a few hundredths, far less than a broken SNN's drift.
    assert abs(bf16.mean - f32.mean) < 0.03 and abs(bf16.variance - f32.variance) < 0.05


@pytest.mark.parametrize("in_hardware", [False, True])
def test_bfloat16_warns_where_the_cpu_has_no_bfloat16_instructions(tmp_path, caplog,
                                                                   monkeypatch, in_hardware):
    monkeypatch.setattr(trainer, "bfloat16_in_hardware", lambda: in_hardware)
    train(_config(training={"precision": "bfloat16", "epochs": 1}), tmp_path / "run",
          verbose=0)
    warned = "bfloat16 on a CPU without bfloat16 instructions" in caplog.text
    assert warned is not in_hardware


def test_mixed_float16_precision_adds_loss_scaling():
    experiment = prepare(_config(training={"precision": "mixed_float16"}))
    compile_model(experiment, Topology())
    assert isinstance(experiment.model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored


def _csv_run_stopped_mid_way(tmp_path, monkeypatch):
    """A run on ./table.csv (a relative path), stopped in epoch 2; returns its directory."""
    rows = np.random.default_rng(0).standard_normal((60, 3)).round(3)
    table = "a,b,c,label\n" + "".join(f"{a},{b},{c},{i % 2}\n"
                                      for i, (a, b, c) in enumerate(rows))
    started_in = tmp_path / "project"
    started_in.mkdir()
    (started_in / "table.csv").write_text(table)
    monkeypatch.chdir(started_in)
    config = _config(data={"source": "csv", "path": "table.csv", "name": REMOVE},
                     training={"epochs": 3, "early_stopping": None, "steps_per_execution": 1})
    _stop_at(monkeypatch, "run", epoch=2, step=1)
    with pytest.raises(RunInterrupted):
        train(config, tmp_path / "run", verbose=0)
    monkeypatch.undo()  # back in the original directory, with the real callback
    return tmp_path / "run", started_in / "table.csv"


def test_a_run_on_a_relative_data_path_resumes_from_any_directory(tmp_path, monkeypatch):
    run, _ = _csv_run_stopped_mid_way(tmp_path, monkeypatch)
    assert resume(run, verbose=0)["epochs_run"] == 3
    assert runs.is_complete(run)


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_resuming_on_a_changed_row_of_any_split_is_refused(tmp_path, monkeypatch, split):
    run, table = _csv_run_stopped_mid_way(tmp_path, monkeypatch)
    # The fold's splits are saved when it ends: recompute which rows are in the split.
    config = load_config(run / "config.yaml", [f"data.data_dir={table.parent}"])
    row = int(prepare(config).indices[split][0])
    lines = table.read_text().splitlines(keepends=True)
    lines[1 + row] = "9.9,9.9,9.9," + lines[1 + row].rsplit(",", 1)[1]
    table.write_text("".join(lines))
    with pytest.raises(DataError, match="checkpoint.npz: the data differ from those the run "
                                        "started with"):
        resume(run, verbose=0)


def _penguins_config(shared_data, source):
    """The penguins example, 3 epochs, reading its CSV file or taking rows in memory."""
    data = ({"source": "csv", "path": str(shared_data / "tabular/penguins.csv"),
             "label": "species"} if source == "csv" else {"source": "memory"})
    return _config(data={**data, "name": REMOVE, "missing": "impute"},
                   training={"early_stopping": None, "steps_per_execution": 1})


def _penguins_rows(shared_data):
    import pandas as pd

    table = pd.read_csv(shared_data / "tabular/penguins.csv")
    return table.drop(columns="species"), table["species"]


def test_a_dataframe_trains_to_the_run_its_csv_file_gives(tmp_path, shared_data):
    import snn

    from_file = train(_penguins_config(shared_data, "csv"), tmp_path / "file", verbose=0)
    rows = _penguins_rows(shared_data)
    in_memory = train(_penguins_config(shared_data, "memory"), tmp_path / "memory", verbose=0,
                      data=rows)
    assert in_memory["test"] == pytest.approx(from_file["test"], rel=1e-6)
    assert in_memory["test"] == evaluate(tmp_path / "memory", data=rows)
    predicted = snn.load_run(tmp_path / "memory").predict_proba(rows[0])
    np.testing.assert_allclose(predicted, snn.load_run(tmp_path / "file").predict_proba(rows[0]),
                               atol=1e-6)
    assert json.loads((tmp_path / "memory/data.json").read_text())["classes"] == \
        ["Adelie", "Chinstrap", "Gentoo"]


def test_a_run_on_rows_in_memory_is_evaluated_only_on_the_same_rows(tmp_path, shared_data,
                                                                     snn_cli):
    x, y = _penguins_rows(shared_data)
    run = tmp_path / "run"
    train(_penguins_config(shared_data, "memory"), run, verbose=0, data=(x, y))
    with pytest.raises(DataError, match="differs from the data .* was trained on"):
        evaluate(run, data=(x.assign(year=x["year"] + 1), y))
    result = snn_cli("evaluate", run, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"snn: error: {run}: trained on rows passed in Python (data.source: memory), which the "
        "command line cannot pass; expected evaluate from Python with the same rows: "
        "snn.training.evaluate(run_dir, data=(x, y))"]


def test_a_run_on_rows_in_memory_resumes_with_them_to_the_uninterrupted_result(
        tmp_path, shared_data, monkeypatch):
    rows = _penguins_rows(shared_data)
    config = _penguins_config(shared_data, "memory")
    whole = train(config, tmp_path / "whole", verbose=0, data=rows)
    _stop_at(monkeypatch, "stopped", epoch=2, step=3)
    with pytest.raises(RunInterrupted):
        train(config, tmp_path / "stopped", verbose=0, data=rows)
    monkeypatch.undo()
    with pytest.raises(DataError, match=r"expected resume from Python with the same rows: "
                                        r"snn.training.resume\(run_dir, data=\(x, y\)\)"):
        resume(tmp_path / "stopped", verbose=0)
    resumed = resume(tmp_path / "stopped", verbose=0, data=rows)
    assert resumed["test"] == whole["test"] and resumed["epochs_run"] == 3


def test_a_category_only_in_held_out_rows_is_named_by_its_row_in_the_data(tmp_path, caplog):
    rng = np.random.default_rng(0)
    colors = ["red", "blue"] * 30

    def write(colors):
        (tmp_path / "t.csv").write_text("x,color,label\n" + "".join(
            f"{rng.normal():.3f},{color},{i % 2}\n" for i, color in enumerate(colors)))

    write(colors)
    data = {"source": "csv", "path": str(tmp_path / "t.csv"), "label": "label",
            "name": REMOVE}
    row = int(prepare(_config(data=data)).indices["test"][0])
    colors[row] = "green"  # a category no training row has
    write(colors)
    caplog.clear()
    train(_config(data=data, training={"epochs": 1}), tmp_path / "run", verbose=0)
    assert ("data: 1 row(s) with a category of column 'color' not seen in training (first: "
            f"data.iloc[{row}], 'green'); encoded as none of the known categories "
            "(data.unseen_categories: ignore)") in snn_messages(caplog)
    with pytest.raises(DataError, match=rf"^data.iloc\[{row}\], column 'color': category "
                                        "'green' was not seen in training"):
        train(_config(data={**data, "unseen_categories": "reject"}), tmp_path / "reject",
              verbose=0)
    assert not (tmp_path / "reject").exists()


def test_a_pruned_run_keeps_its_history_but_no_checkpoint(tmp_path):
    # A pruned run is final (a search never resumes it): its checkpoints would only take
    # disk space. Pruned after epoch 2, so epoch 1's checkpoint had been written.
    from types import SimpleNamespace

    from snn.errors import RunPruned

    class PruneAfterTwoEpochs(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RunPruned("pruned after epoch 2")

    observer = SimpleNamespace(callback=lambda fold, folds: PruneAfterTwoEpochs())
    run = tmp_path / "run"
    with pytest.raises(RunPruned):
        train(_config(training={"epochs": 4, "early_stopping": None}), run, verbose=0,
              observers=[observer])
    assert runs.read_status(run)["status"] == "pruned"
    assert len(list(csv.DictReader(open(run / "history.csv")))) >= 1
    assert sorted(path.name for path in run.glob("checkpoint*")) == []
