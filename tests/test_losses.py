"""The masked binary cross-entropy for multi-task targets with missing labels."""

import keras
import numpy as np
import pytest

from snn.losses import masked_binary_crossentropy


def _bce(y, p):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_missing_labels_are_left_out_of_the_mean():
    y = np.array([[1.0, np.nan, 0.0], [np.nan, np.nan, np.nan]], "float32")
    p = np.array([[0.8, 0.5, 0.3], [0.5, 0.5, 0.5]], "float32")
    loss = keras.ops.convert_to_numpy(masked_binary_crossentropy(y, p))
    assert loss[0] == pytest.approx((_bce(1, 0.8) + _bce(0, 0.3)) / 2, rel=1e-5)
    assert loss[1] == 0.0


def test_without_missing_labels_it_is_keras_binary_crossentropy():
    rng = np.random.default_rng(0)
    y = (rng.uniform(size=(8, 4)) > 0.5).astype("float32")
    p = rng.uniform(0.05, 0.95, size=(8, 4)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(masked_binary_crossentropy(y, p)),
        keras.ops.convert_to_numpy(keras.losses.binary_crossentropy(y, p)), rtol=1e-5)
