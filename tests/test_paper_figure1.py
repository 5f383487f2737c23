"""Figure 1: the figure's sweep logs the training-set loss that the authors plot, and the
curves are read back, drawn and tabulated."""

import csv

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from conftest import forward_in_training_mode
from snn.data import Standardization
from snn.errors import ConfigError
from snn.paper.figure1 import Curve, format_summary, reproduce_figure1, write_curves

CONFIG = "configs/paper/figure1.yaml"
# The figure's config on scikit-learn's digits (64 inputs, so 64 units), two epochs at
# depth 2: every training setting is the figure's own (SGD 1e-5, batch 128, the partial
# batch dropped, per-feature standardization, train_set_loss in training mode).
SMALL = ["data={source: sklearn, name: digits, validation_fraction: 0.1, "
         "test_fraction: 0.1, standardize: per_feature}", "model.units=64",
         "training.epochs=2",
         "sweep.grid=[{model.name: [snn_mlp], model.kernel_initializer: [lecun_normal], "
         "model.depth: [2]}, {model.name: [batchnorm_mlp], "
         "model.norm_position: [after_activation], model.depth: [2]}]"]


def test_each_runs_last_logged_loss_is_its_saved_models_loss_on_the_training_batches(
        tmp_path):
    # The independent check of the plotted quantity: the saved model (the last epoch's
    # weights: no early stopping), applied with NumPy to the run's training rows in order,
    # in full batches of 128 (the remainder left out), gives the last train_set_loss.
    curves = reproduce_figure1(CONFIG, SMALL, tmp_path, workers=1, verbose=0)
    assert [(c.method, c.depth, len(c.losses)) for c in curves] == [
        ("snn_mlp", 2, 2), ("batchnorm_mlp", 2, 2)]
    x, y = load_digits(return_X_y=True)
    for curve in curves:
        model = keras.saving.load_model(curve.run_dir / "model.keras")
        rows = np.load(curve.run_dir / "splits.npz")["train"]
        inputs = Standardization.load(curve.run_dir / "standardization.npz").apply(
            x[rows].astype("float32"))
        full = len(rows) - len(rows) % 128  # 1,437 training rows: 11 full batches
        probabilities = np.concatenate([
            forward_in_training_mode(model, inputs[start:start + 128])
            for start in range(0, full, 128)])
        expected = -np.mean(np.log(probabilities[np.arange(full), y[rows][:full]]))
        assert curve.final_loss == pytest.approx(expected, rel=1e-4), curve.method


def test_a_run_without_the_training_set_loss_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="train_set_loss: got 'off'"):
        reproduce_figure1(CONFIG, [*SMALL, "training.train_set_loss=off"], tmp_path,
                          workers=1, verbose=0)


def test_the_figure_csv_and_report_are_written(tmp_path):
    curves = [Curve("snn_mlp", 8, np.array([2.0, 1.0, 0.5]), tmp_path),
              Curve("batchnorm_mlp", 8, np.array([2.0, 2.5, 1.5]), tmp_path)]
    summary = write_curves(curves, tmp_path, "title")
    assert (tmp_path / "figure1.png").read_bytes().startswith(b"\x89PNG")
    with open(tmp_path / "figure1_curves.csv") as handle:
        rows = [(r["method"], r["depth"], r["epoch"], float(r["train_set_loss"]))
                for r in csv.DictReader(handle)]
    assert rows == [("snn_mlp", "8", "1", 2.0), ("snn_mlp", "8", "2", 1.0),
                    ("snn_mlp", "8", "3", 0.5), ("batchnorm_mlp", "8", "1", 2.0),
                    ("batchnorm_mlp", "8", "2", 2.5), ("batchnorm_mlp", "8", "3", 1.5)]
    assert summary in (tmp_path / "report.md").read_text()


def test_the_summary_counts_the_epochs_whose_loss_rose():
    curves = [Curve("batchnorm_mlp", 16, np.array([3.0, 2.0, 2.5, 1.0, 1.2]), None)]
    assert "| BatchNorm | 16 | 5 | 3.0000 | 1.2000 | 2 |" in format_summary(curves)
