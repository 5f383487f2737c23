"""Alpha dropout that keeps an arbitrary fixed point (mean, variance) of a SELU network, and
the mask it draws."""

import keras
from keras import ops

from snn.theory import ALPHA, SCALE, alpha_dropout_affine

# Masks compare 16-bit draws with the rate: two draws per 32-bit random word.
_MASK_LEVELS = 2**16


def mask_rate(rate):
    """The drop probability an alpha dropout mask realizes for `rate`.

    `alpha_dropout_mask` draws 16-bit integers, so `rate` is rounded to the nearest multiple
    of 2^-16 (at most 7.6e-6 away, and below 1); the layers compute their affine correction
    for this rounded rate, so the fixed point holds exactly.

    Args:
        rate: float in [0, 1).

    Returns:
        float in [0, 1), a multiple of 2^-16.

    Raises:
        ValueError: `rate` is outside [0, 1).
    """
    if not 0 <= rate < 1:
        raise ValueError(f"rate: got {rate}; expected a number in [0, 1)")
    return min(round(rate * _MASK_LEVELS), _MASK_LEVELS - 1) / _MASK_LEVELS


def alpha_dropout_mask(shape, rate, seed):
    """Where alpha dropout keeps a unit: True with probability 1 - `mask_rate(rate)`.

    Each unit compares one 16-bit draw with the rate, two draws taken from each 32-bit
    random word: half the random numbers of a float per unit. Drawing the uniform floats of
    Keras' `AlphaDropout` took 12% of the CPU time of a training step of an 8 x 512 SNN on
    TensorFlow (benchmarks/RESULTS.md, "Where a training step's time goes").

    Args:
        shape: tuple of ints (or scalar tensors), the mask's shape; the last one static.
        rate: float in [0, 1), the drop probability.
        seed: a `keras.random.SeedGenerator` (a new mask per call) or an int.

    Returns:
        bool tensor of `shape`.
    """
    *outer, units = shape
    threshold = round(mask_rate(rate) * _MASK_LEVELS)
    # randint's maxval is exclusive: every 32-bit word but one can occur (bias 2^-32).
    words = keras.random.randint((*outer, (units + 1) // 2), -(2**31), 2**31 - 1,
                                 dtype="int32", seed=seed)
    low = ops.greater_equal(ops.bitwise_and(words, _MASK_LEVELS - 1), threshold)
    # The high 16 bits as a signed draw h in [-2^15, 2^15) keep a unit when
    # h >= threshold - 2^15, that is when the whole word is >= (threshold - 2^15) * 2^16.
    high = ops.greater_equal(words, (threshold - 2**15) * _MASK_LEVELS)
    return ops.concatenate([low, high], axis=-1)[..., :units]


@keras.saving.register_keras_serializable(package="snn")
class FixedPointAlphaDropout(keras.layers.Layer):
    """Alpha dropout for activations held at the fixed point (mean, variance).

    In training, each unit is kept with probability 1 - rate and otherwise set to the SELU
    saturation value alpha' = -scale * alpha; the affine map a * x + b from
    `snn.theory.alpha_dropout_affine` then restores the mean and variance. With the default
    arguments it computes what `keras.layers.AlphaDropout` computes, with masks drawn by
    `alpha_dropout_mask` (the rate rounded to a multiple of 2^-16, `mask_rate`).

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
        self.a, self.b = alpha_dropout_affine(mask_rate(rate), mean, variance, alpha, scale)
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
        kept = alpha_dropout_mask(shape, self.rate, self.seed_generator)
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
