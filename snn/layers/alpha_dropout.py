"""Alpha dropout that keeps an arbitrary fixed point (mean, variance) of a SELU network."""

import keras
from keras import ops

from snn.theory import ALPHA, SCALE, alpha_dropout_affine


@keras.saving.register_keras_serializable(package="snn")
class FixedPointAlphaDropout(keras.layers.Layer):
    """Alpha dropout for activations held at the fixed point (mean, variance).

    In training, each unit is kept with probability 1 - rate and otherwise set to the SELU
    saturation value alpha' = -scale * alpha; the affine map a * x + b from
    `snn.theory.alpha_dropout_affine` then restores the mean and variance. With the default
    arguments it computes exactly what `keras.layers.AlphaDropout` computes.

    Args:
        rate: float in [0, 1), the probability of dropping a unit.
        mean: float, the fixed point's mean.
        variance: float > 0, the fixed point's variance.
        alpha, scale: the SELU constants of the preceding layer.
        noise_shape: None, or a tuple with None for axes that take the input's size: the
            shape of the dropout mask, e.g. (None, 1, features) to share it across time.
        seed: int or None, the mask's random seed.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`).

    Call arguments:
        inputs: tensor of any shape.
        training: bool; without training the layer is the identity.

    Raises:
        ValueError: `rate` is outside [0, 1) or `variance` is not > 0.

    Reference:
        Klambauer et al. 2017, Section 3, "New Dropout Technique" ((a, b) for the fixed
        point (0, 1); the general form solves the same moment conditions).
    """

    def __init__(self, rate, mean=0.0, variance=1.0, alpha=ALPHA, scale=SCALE,
                 noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.a, self.b = alpha_dropout_affine(rate, mean, variance, alpha, scale)
        self.rate = float(rate)
        self.mean = float(mean)
        self.variance = float(variance)
        self.alpha = float(alpha)
        self.scale = float(scale)
        self.noise_shape = noise_shape
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = ops.shape(inputs)
        if self.noise_shape is not None:
            shape = [s if n is None else n for s, n in zip(shape, self.noise_shape)]
        kept = ops.greater_equal(keras.random.uniform(shape, seed=self.seed_generator),
                                 self.rate)
        # a * (x * kept + alpha' * (1 - kept)) + b, selected rather than multiplied out:
        # the same values in two element-wise passes over the activations instead of six.
        dropped = self.a * (-self.scale * self.alpha) + self.b
        return ops.where(kept, self.a * inputs + self.b, ops.cast(dropped, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "mean": self.mean,
                "variance": self.variance, "alpha": self.alpha, "scale": self.scale,
                "noise_shape": self.noise_shape, "seed": self.seed}
