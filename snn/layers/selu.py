"""A SELU activation layer with configurable constants, for fixed points other than (0, 1)."""

import keras
from keras import ops

from snn.theory import ALPHA, SCALE


@keras.saving.register_keras_serializable(package="snn")
class SELU(keras.layers.Layer):
    """Scaled exponential linear unit with constants `alpha` and `scale`.

    SELU(x) = scale * x for x > 0 and scale * alpha * (exp(x) - 1) otherwise. With the
    default constants it equals `keras.activations.selu` (fixed point (0, 1)); use
    `snn.theory.selu_parameters(mean, variance)` for the constants of another fixed point.

    Args:
        alpha: float > 0, the negative saturation is -scale * alpha.
        scale: float > 0, the slope for positive inputs (the paper's lambda).
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`).

    Call arguments:
        inputs: tensor of any shape.

    Returns:
        Tensor of the same shape and dtype.

    Raises:
        ValueError: `alpha` or `scale` is not > 0.

    Reference:
        Klambauer et al. 2017, eq. (2) and Section 3, "Constructing Self-Normalizing Neural
        Networks".
    """

    def __init__(self, alpha=ALPHA, scale=SCALE, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("alpha", alpha), ("scale", scale)):
            if not value > 0:
                raise ValueError(f"{name}: got {value}; expected a number > 0")
        self.alpha = float(alpha)
        self.scale = float(scale)
        self.supports_masking = True

    def call(self, inputs):
        # expm1 of min(x, 0) rather than ops.where: the unused branch of a where would
        # still overflow for large x and turn the gradient into NaN.
        negative = self.alpha * ops.expm1(ops.minimum(inputs, 0.0))
        return self.scale * (ops.maximum(inputs, 0.0) + negative)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "scale": self.scale}
