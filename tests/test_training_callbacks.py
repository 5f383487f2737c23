import keras
import numpy as np

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
    stopping.set_state({"wait": 1, "best": 0.25, "best_epoch": 4, "stopped_epoch": 0}, best)
    state, arrays = stopping.get_state()
    assert state == {"wait": 1, "best": 0.25, "best_epoch": 4, "stopped_epoch": 0}
    stopping.restore_best(model)
    for weight, value in zip(model.get_weights(), arrays):
        np.testing.assert_array_equal(weight, value)
