"""The SNN recipe, in one place: SELU + LeCun init + zero bias + alpha dropout.

Every builder in `snn.models` stacks the layers `SNNRecipe` makes, so a model built by this package
is a correct self-normalizing network by construction (Klambauer et al. 2017,
arXiv:1706.02515, Section 3 "Initialization" and "New Dropout Technique").
"""

import keras
import numpy as np

from snn.errors import ConfigError
from snn.layers.alpha_dropout import FixedPointAlphaDropout
from snn.layers.selu import SELU
from snn.theory import selu_parameters

_INITIALIZERS = {
    # VarianceScaling(scale=1, mode="fan_in"): Var(w) = 1/fan_in, so omega ~ 0 and tau ~ 1
    # per unit, the precondition of the paper's fixed point (0, 1) (Theorem 1).
    "lecun_uniform": keras.initializers.LecunUniform,  # U(-sqrt(3/fan_in), +sqrt(3/fan_in))
    "lecun_normal": keras.initializers.LecunNormal,    # truncated normal, Var = 1/fan_in
}


class SeedStream:
    """Independent integer seeds derived from one experiment seed.

    Each call to `next()` gives a new seed, so two layers of the same shape never draw the
    same kernel, while the whole model is still fixed by the experiment seed.

    Args:
        seed: int or None. With None every `next()` returns None (unseeded, random layers).

    Example:
    >>> stream = SeedStream(0)
    >>> stream.next() != stream.next()
    True
    """

    def __init__(self, seed):
        self._seed = seed
        self._count = 0

    def next(self):
        if self._seed is None:
            return None
        self._count += 1
        state = np.random.SeedSequence([self._seed, self._count]).generate_state(1)
        return int(state[0] % (2**31 - 1))


def kernel_initializer(name, seed):
    """A LeCun initializer by name, with its own seed.

    Args:
        name: "lecun_uniform" (limit sqrt(3 / fan_in)) or "lecun_normal".
        seed: int or None.

    Returns:
        keras.initializers.Initializer.

    Raises:
        ValueError: `name` is not one of the two LeCun initializers.
    """
    if name not in _INITIALIZERS:
        raise ValueError(
            f"kernel_initializer: got {name!r}; expected one of {', '.join(_INITIALIZERS)}"
        )
    return _INITIALIZERS[name](seed=seed)


class SNNRecipe:
    """The layers of one self-normalizing network, all made the same way.

    Every hidden layer gets a seeded LeCun kernel (Var(w) = 1/fan_in, so omega ~ 0 and
    tau ~ 1) and a zero bias, then `snn.layers.SELU`, then `snn.layers.FixedPointAlphaDropout`
    when `dropout_rate` > 0. The SELU constants and the dropout's affine correction come
    from the fixed point (`snn.theory.selu_parameters`; for (0, 1) they are Keras' `selu`
    and `AlphaDropout`'s). Own layers rather than Keras' `Dense(activation="selu")` and
    `AlphaDropout`: the SELU computes in float32 under mixed precision and the masks draw
    half the random numbers, which took 8% (float32) and 17% (bfloat16) off the CPU time
    of a TensorFlow training step outside its matrix products (benchmarks/RESULTS.md,
    "Where a training step's time goes").

    Args:
        dropout_rate: float in [0, 1), alpha dropout rate after every hidden layer.
        kernel_initializer: "lecun_uniform" (limit sqrt(3 / fan_in)) or "lecun_normal".
        fixed_point: (mean, variance) at which activations should settle.
        seed: int or None; each layer draws its own seed from it (`SeedStream`).

    Raises:
        ConfigError: `fixed_point` is not two numbers with variance > 0, or no SELU has it.

    Reference:
        Klambauer et al. 2017, Section 3 and Theorem 1.
    """

    def __init__(self, dropout_rate=0.0, kernel_initializer="lecun_uniform",
                 fixed_point=(0.0, 1.0), seed=None):
        self.dropout_rate = dropout_rate
        self.initializer = kernel_initializer
        self.seeds = SeedStream(seed)
        self.mean, self.variance = _check_fixed_point(fixed_point)
        try:
            self.alpha, self.scale = selu_parameters(self.mean, self.variance)
        except ValueError as error:
            raise ConfigError(f"model.fixed_point: {error}", key="model.fixed_point") \
                from None

    def dense(self, x, units, name):
        """Apply one SNN Dense layer (then alpha dropout) to `x` of shape (batch, features).

        Args:
            x: symbolic Keras tensor.
            units: int, output width.
            name: the Dense layer's name; its activation and dropout layers are
                `{name}_selu` and `{name}_dropout`.

        Returns:
            Tensor of shape (batch, units).
        """
        x = keras.layers.Dense(units, name=name, **self._layer_arguments())(x)
        return self._activate_and_drop(x, name)

    def conv2d(self, x, filters, kernel_size, name):
        """Apply one SNN Conv2D layer ("same" padding), then alpha dropout.

        Keras' LeCun initializers use fan_in = kernel_h * kernel_w * in_channels for a
        Conv2D kernel: the number of inputs summed into one output unit.

        Args:
            x: symbolic Keras tensor of shape (batch, height, width, channels).
            filters: int, output channels.
            kernel_size: int, height and width of the square kernel.
            name: the Conv2D layer's name.

        Returns:
            Tensor of shape (batch, height, width, filters).
        """
        x = keras.layers.Conv2D(filters, kernel_size, padding="same", name=name,
                                **self._layer_arguments())(x)
        return self._activate_and_drop(x, name)

    def head(self, x, num_outputs, activation):
        """The output layer: Dense with a seeded LeCun kernel, zero bias and `activation`.

        It computes in float32 under a mixed-precision policy too, so softmax and the loss
        see full-precision logits.

        Args:
            x: symbolic Keras tensor of rank 2.
            num_outputs: int, number of classes (softmax) or outputs (sigmoid, linear).
            activation: "softmax", "sigmoid" or "linear".

        Returns:
            The model's output tensor, shape (batch, num_outputs).
        """
        return keras.layers.Dense(
            num_outputs, activation=activation, bias_initializer="zeros", name="output",
            kernel_initializer=kernel_initializer(self.initializer, self.seeds.next()),
            dtype="float32",
        )(x)

    def _layer_arguments(self):
        return dict(
            kernel_initializer=kernel_initializer(self.initializer, self.seeds.next()),
            bias_initializer="zeros",
        )

    def _activate_and_drop(self, x, name):
        x = SELU(self.alpha, self.scale, name=f"{name}_selu")(x)
        if self.dropout_rate == 0:
            return x
        # Dropped units take the SELU saturation value; an affine map restores the
        # fixed point (paper, Section 3, "New Dropout Technique").
        return FixedPointAlphaDropout(self.dropout_rate, self.mean, self.variance, self.alpha,
                                      self.scale, seed=self.seeds.next(),
                                      name=f"{name}_dropout")(x)


def _check_fixed_point(fixed_point):
    if len(fixed_point) != 2 or not fixed_point[1] > 0:
        raise ConfigError(f"model.fixed_point: got {list(fixed_point)}; expected "
                          "[mean, variance] with variance > 0", key="model.fixed_point")
    return float(fixed_point[0]), float(fixed_point[1])
