"""Standardization with fixed statistics as a layer, so an exported model takes raw rows."""

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="snn")
class Standardize(keras.layers.Layer):
    """Standardize features with a training split's statistics, or restore standardized values.

    Forward: `(x - mean) / scale`, a missing value (NaN) becoming 0, the standardized
    training mean: exactly `snn.data.Standardization.apply`, which an SNN needs in front of
    its first SELU layer. With `invert=True`: `x * scale + mean`, as
    `Standardization.invert` restores regression targets to their units.

    Args:
        mean: float array broadcastable to one example's shape (e.g. (features,), or (1,)
            for one global statistic): the training mean, in the data's units.
        scale: float array of the same shape: the training standard deviation (1 where a
            feature was constant).
        invert: bool, restore instead of standardize.
        **kwargs: standard `keras.layers.Layer` arguments (e.g. `name`).

    Input shape:
        (batch, ...) float tensor.

    Output shape:
        Same as the input.
    """

    def __init__(self, mean, scale, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.mean = np.asarray(mean, dtype=np.float32)
        self.scale = np.asarray(scale, dtype=np.float32)
        self.invert = invert

    def call(self, inputs):
        mean = ops.convert_to_tensor(self.mean, dtype=inputs.dtype)
        scale = ops.convert_to_tensor(self.scale, dtype=inputs.dtype)
        if self.invert:
            return inputs * scale + mean
        standardized = (inputs - mean) / scale
        return ops.where(ops.isnan(standardized), ops.zeros_like(standardized), standardized)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "invert": self.invert}
