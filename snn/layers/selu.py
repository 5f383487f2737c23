"""The SELU activation layer of every SNN, with the constants of any fixed point."""

import math

import keras
from keras import ops

from snn.theory import ALPHA, SCALE

_HALF_PRECISION = ("bfloat16", "float16")


@keras.saving.register_keras_serializable(package="snn")
class SELU(keras.layers.Layer):
    """Scaled exponential linear unit with constants `alpha` and `scale`.

    SELU(x) = scale * x for x > 0 and scale * alpha * (exp(x) - 1) otherwise. With the
    default constants it is `keras.activations.selu` (fixed point (0, 1)); use
    `snn.theory.selu_parameters(mean, variance)` for the constants of another fixed point.
    16-bit inputs (mixed precision) are computed in float32 and cast back: TensorFlow's
    bfloat16 SELU kernels ran 3.3-3.8x slower on a CPU than its float32 ones, more than
    the two casts cost (benchmarks/RESULTS.md, "Where a training step's time goes").

    Args:
        alpha: float > 0, the negative saturation is -scale * alpha.
        scale: float > 0, the slope for positive inputs (the paper's lambda).
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`).

    Call arguments:
        inputs: tensor of any shape.

    Returns:
        Tensor of the same shape and dtype as `inputs`.

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
        # selu_parameters(0, 1) solves for the constants to within a few ulps of (ALPHA,
        # SCALE); far below float32's resolution, so those compute as the standard SELU.
        self._standard = (math.isclose(self.alpha, ALPHA, rel_tol=1e-12)
                          and math.isclose(self.scale, SCALE, rel_tol=1e-12))
        self.supports_masking = True

    def call(self, inputs):
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        x = ops.cast(inputs, "float32") if dtype in _HALF_PRECISION else inputs
        if self._standard:
            return ops.cast(ops.selu(x), dtype)  # one fused kernel on every backend
        # expm1 of min(x, 0) rather than ops.where: the unused branch of a where would
        # still overflow for large x and turn the gradient into NaN.
        negative = self.alpha * ops.expm1(ops.minimum(x, 0.0))
        return ops.cast(self.scale * (ops.maximum(x, 0.0) + negative), dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "scale": self.scale}
