"""Figure 1's training curves: one loss per SGD step, and the curve summaries."""

import keras
import numpy as np
import pytest

from snn.models import build_model
from snn.paper.figure1 import Curve, plot_curves, training_curves, write_curves_csv


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((200, 12)).astype("float32"), rng.integers(0, 3, 200)


def test_each_step_records_that_steps_loss_not_a_running_mean():
    x, y = _data()
    curves = training_curves(x, y, 3, depths=(2,), methods=("snn_mlp", "batchnorm_mlp"),
                             epochs=2, learning_rate=0.1, batch_size=64, progress=None)
    assert [(c.method, c.depth) for c in curves] == [("snn_mlp", 2), ("batchnorm_mlp", 2)]
    assert all(len(c.losses) == 2 * 4 for c in curves)  # ceil(200 / 64) = 4 steps per epoch
    # The first step's loss is the untrained network's loss on the first batch: rebuild the
    # same network (same seed) and evaluate it there.
    first = np.random.default_rng(0).permutation(200)[:64]
    keras.utils.set_random_seed(0)
    model = build_model("snn_mlp", input_shape=(12,), num_outputs=3, depth=2, units=12,
                        dropout_rate=0.0, seed=0)
    model.compile(loss="sparse_categorical_crossentropy")
    expected = model.evaluate(x[first], y[first], batch_size=64, verbose=0)
    assert curves[0].losses[0] == pytest.approx(expected, rel=1e-5)
    assert len(set(curves[0].losses)) == len(curves[0].losses)  # every step differs


def test_final_loss_is_the_mean_of_the_last_tenth_of_the_steps():
    assert Curve("snn_mlp", 8, np.array([5.0, 4, 3, 2, 1, 10, 1, 10])).final_loss == 10.0
    assert Curve("snn_mlp", 8, np.arange(20.0)).final_loss == 18.5  # steps 19 and 20


def test_the_figure_and_the_csv_are_written(tmp_path):
    curves = [Curve("snn_mlp", 8, np.array([2.0, 1.0])), Curve("batchnorm_mlp", 8,
                                                               np.array([2.0, 1.5]))]
    plot_curves({"MNIST": curves}, tmp_path / "f.png", "title")
    write_curves_csv({"MNIST": curves}, tmp_path / "f.csv")
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "f.csv").read_text().splitlines() == [
        "dataset,method,depth,step,loss", "MNIST,snn_mlp,8,1,2", "MNIST,snn_mlp,8,2,1",
        "MNIST,batchnorm_mlp,8,1,2", "MNIST,batchnorm_mlp,8,2,1.5"]
