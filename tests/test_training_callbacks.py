import keras
import numpy as np
import pytest

from conftest import forward_in_training_mode

from snn.training.callbacks import ResumableEarlyStopping


def _model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_early_stopping_keeps_its_patience_count_across_fit_calls():
    # The loss of a constant target under a learning rate of 0 never improves: with
    # patience 2, the third epoch after the first stops training, however fit is split.
    model, x, y = _model(), np.ones((8, 2)), np.ones(8)
    model.optimizer.learning_rate = 0.0
    stopping = ResumableEarlyStopping(monitor="loss", patience=2)
    for epoch in range(3):
        model.fit(x, y, initial_epoch=epoch, epochs=epoch + 1, callbacks=[stopping], verbose=0)
        assert stopping.stopped == (epoch == 2)
    assert (stopping.wait, stopping.best_epoch, stopping.stopped_epoch) == (2, 0, 2)


def test_early_stopping_state_round_trips_and_restores_the_best_weights():
    model = _model()
    stopping = ResumableEarlyStopping(monitor="val_loss", patience=3)
    best = [np.full(w.shape, 0.5, "float32") for w in model.get_weights()]
    saved = {"wait": 1, "best": 0.25, "best_epoch": 4, "stopped_epoch": 0,
             "window": [0.3, 0.2]}
    stopping.set_state(saved, best)
    state, arrays = stopping.get_state()
    assert state == saved
    stopping.restore_best(model)
    for weight, value in zip(model.get_weights(), arrays):
        np.testing.assert_array_equal(weight, value)
    # A checkpoint written before smoothing existed resumes with an empty window.
    stopping.set_state({key: saved[key] for key in saved if key != "window"}, best)
    assert stopping.window == []


# Validation accuracies of seven epochs: the raw best is epoch 2 (0.9); averaged over the
# last three epochs (fewer at the start) they are 0.2, 0.55, 0.433, 0.567, 0.467, 0.6,
# 0.467, whose best is epoch 6 (counting from 1).
ACCURACIES = [0.2, 0.9, 0.2, 0.6, 0.6, 0.6, 0.2]


def _epochs(stopping, model, values, start=0):
    """Feed `stopping` one epoch per value; before each, every weight equals the epoch's
    number (from 1), so the kept weights tell which epoch they are from."""
    stopping.set_model(model)
    for epoch, value in enumerate(values, start=start):
        model.set_weights([np.full(w.shape, epoch + 1.0, "float32")
                           for w in model.get_weights()])
        stopping.on_epoch_end(epoch, {"val_accuracy": value})


def test_the_best_epoch_is_read_off_the_moving_average_and_its_weights_restored():
    model = _model()
    stopping = ResumableEarlyStopping(monitor="val_accuracy", mode="max", patience=None,
                                      smoothing=3)
    _epochs(stopping, model, ACCURACIES)
    assert not model.stop_training and not stopping.stopped  # no patience: every epoch
    assert stopping.best_epoch + 1 == 6
    assert stopping.best == np.mean(ACCURACIES[3:6])
    stopping.restore_best(model)
    assert all(np.all(w == 6.0) for w in model.get_weights())
    plain = ResumableEarlyStopping(monitor="val_accuracy", mode="max", patience=None)
    _epochs(plain, _model(), ACCURACIES)
    assert plain.best_epoch + 1 == 2  # smoothing 1: each epoch's own value


def test_a_smoothed_curve_resumes_from_its_checkpoint_state():
    model = _model()
    whole = ResumableEarlyStopping(monitor="val_accuracy", mode="max", patience=None,
                                      smoothing=3)
    _epochs(whole, model, ACCURACIES)
    first = ResumableEarlyStopping(monitor="val_accuracy", mode="max", patience=None,
                                      smoothing=3)
    _epochs(first, model, ACCURACIES[:4])
    resumed = ResumableEarlyStopping(monitor="val_accuracy", mode="max", patience=None,
                                      smoothing=3)
    resumed.set_state(*first.get_state())
    _epochs(resumed, model, ACCURACIES[4:], start=4)
    assert resumed.get_state()[0] == whole.get_state()[0]


def test_patience_counts_epochs_without_a_better_moving_average():
    # Averages 0.2, 0.55, 0.433, 0.567, 0.467, ...: with patience 1 the third epoch (no
    # better than the second) stops training.
    model = _model()
    stopping = ResumableEarlyStopping(monitor="val_accuracy", mode="max", patience=1,
                                      smoothing=3)
    _epochs(stopping, model, ACCURACIES[:3])
    assert stopping.stopped and stopping.stopped_epoch == 2 and stopping.best_epoch == 1


def test_training_mode_loss_uses_each_full_batchs_statistics_and_changes_no_state():
    # 50 rows in batches of 16, the remainder dropped: the loss is the mean over rows
    # 0-47 of three forward passes, each normalized by its own batch's statistics
    # (recomputed in float64 by `forward_in_training_mode`); the moving statistics and
    # weights stay as they were.
    from snn.models import build_model
    from snn.training.callbacks import TrainingSetLoss

    rng = np.random.default_rng(0)
    x, y = rng.normal(1.0, 2.0, (50, 4)).astype("float32"), rng.integers(0, 3, 50)
    model = build_model("batchnorm_mlp", input_shape=[4], num_outputs=3, depth=2, units=5,
                        norm_position="after_activation", seed=0)
    model.compile(loss="sparse_categorical_crossentropy")
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            # gamma and beta away from the identity; moving statistics far from any
            # batch's, so that inference mode would give another loss.
            gamma, beta = (rng.uniform(0.5, 2.0, 5).astype("float32") for _ in range(2))
            layer.set_weights([gamma, beta, np.full(5, 3.0, "float32"),
                               np.full(5, 0.05, "float32")])
    before = model.get_weights()
    logs = {}
    callback = TrainingSetLoss(x, y, 16, mode="training", drop_remainder=True)
    callback.set_model(model)
    callback.on_epoch_end(0, logs)
    probabilities = np.concatenate([forward_in_training_mode(model, x[start:start + 16])
                                    for start in (0, 16, 32)])
    expected = -np.mean(np.log(probabilities[np.arange(48), y[:48]]))
    assert logs["train_set_loss"] == pytest.approx(expected, rel=1e-5)
    for weight, kept in zip(model.get_weights(), before):
        np.testing.assert_array_equal(weight, kept)
    inference = {}
    callback = TrainingSetLoss(x, y, 16, mode="inference")
    callback.set_model(model)
    callback.on_epoch_end(0, inference)
    assert inference["train_set_loss"] > 2 * expected


def _scalars(directory):
    """{tag: {step: value}} of the TensorBoard event files in `directory`."""
    import tensorflow as tf

    scalars = {}
    for path in sorted(directory.glob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "scalars":
                    scalars.setdefault(value.tag, {})[event.step] = float(
                        tf.make_ndarray(value.tensor))
    return scalars


def test_tensorboard_logs_the_epoch_metrics_and_each_layers_activation_statistics(tmp_path):
    import pandas as pd

    from snn.config import parse_config
    from snn.training import train

    config = parse_config({
        "name": "t", "seed": 0, "data": {"source": "sklearn", "name": "iris"},
        "model": {"name": "snn_mlp", "depth": 3, "units": 8},
        "training": {"epochs": 3, "early_stopping": None, "tensorboard": True,
                     "activation_statistics": True}})
    train(config, tmp_path / "run", verbose=0)
    board = tmp_path / "run" / "tensorboard"
    # Against the run's own CSV records: Keras counts epochs from 0 (history.csv's
    # "epoch"), the activation summaries by epochs done (activation_stats.csv's "label").
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    train_scalars, validation = _scalars(board / "train"), _scalars(board / "validation")
    assert train_scalars["epoch_loss"] == pytest.approx(dict(zip(history.epoch, history.loss)))
    assert validation["epoch_loss"] == pytest.approx(dict(zip(history.epoch,
                                                              history.val_loss)))
    recorded = pd.read_csv(tmp_path / "run" / "activation_stats.csv")
    activations = _scalars(board / "activations")
    assert len(activations) == 2 * 3  # mean and variance of 3 hidden layers
    for row in recorded.itertuples():
        name = f"{row.depth:02d}_{row.layer}"
        assert activations[f"activation_mean/{name}"][row.label] == pytest.approx(row.mean,
                                                                                  rel=1e-5)
        assert activations[f"activation_variance/{name}"][row.label] == pytest.approx(
            row.variance, rel=1e-5)
    assert sorted(activations["activation_mean/01_dense_1_selu"]) == [0, 1, 2, 3]
