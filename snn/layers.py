"""The SNN recipe, in one place: SELU + LeCun init + zero bias + alpha dropout.

Every builder in `snn.models` stacks the blocks made here, so a model built by this package
is a correct self-normalizing network by construction (Klambauer et al. 2017,
arXiv:1706.02515, Section 3 "Initialization" and "New Dropout Technique").
"""

from typing import Literal

import keras
import numpy as np

KernelInitializer = Literal["lecun_uniform", "lecun_normal"]

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


def _selu_layer_arguments(initializer, seeds):
    """The recipe's layer arguments: SELU activation, seeded LeCun kernel, zero bias."""
    return dict(
        activation="selu",
        kernel_initializer=kernel_initializer(initializer, seeds.next()),
        bias_initializer="zeros",
    )


def _alpha_dropout(x, rate, seeds, name):
    if rate == 0:
        return x
    # Alpha dropout sets dropped units to the SELU saturation value -scale*alpha and applies
    # the affine correction that restores mean 0 / variance 1 (paper, Section 3).
    return keras.layers.AlphaDropout(rate, seed=seeds.next(), name=f"{name}_dropout")(x)


def selu_dense(x, units, *, dropout_rate, initializer, seeds, name):
    """Apply one SNN Dense layer: SELU, LeCun kernel, zero bias, then alpha dropout.

    Args:
        x: symbolic Keras tensor of shape (batch, features).
        units: int, number of output units.
        dropout_rate: float in [0, 1); alpha dropout follows the layer when > 0.
        initializer: "lecun_uniform" (limit sqrt(3 / fan_in)) or "lecun_normal".
        seeds: `SeedStream` giving the kernel and dropout seeds.
        name: name of the Dense layer; its dropout is `{name}_dropout`.

    Returns:
        Tensor of shape (batch, units).
    """
    x = keras.layers.Dense(units, name=name, **_selu_layer_arguments(initializer, seeds))(x)
    return _alpha_dropout(x, dropout_rate, seeds, name)


def selu_conv2d(x, filters, kernel_size, *, dropout_rate, initializer, seeds, name):
    """Apply one SNN Conv2D layer ("same" padding): SELU, LeCun kernel, zero bias, alpha dropout.

    Keras' LeCun initializers use fan_in = kernel_h * kernel_w * in_channels for a Conv2D
    kernel, which is the number of inputs summed into one output unit.

    Args:
        x: symbolic Keras tensor of shape (batch, height, width, channels).
        filters: int, number of output channels.
        kernel_size: int, height and width of the square kernel.
        dropout_rate: float in [0, 1); alpha dropout follows the layer when > 0.
        initializer: "lecun_uniform" or "lecun_normal".
        seeds: `SeedStream` giving the kernel and dropout seeds.
        name: name of the Conv2D layer; its dropout is `{name}_dropout`.

    Returns:
        Tensor of shape (batch, height, width, filters).
    """
    x = keras.layers.Conv2D(
        filters, kernel_size, padding="same", name=name,
        **_selu_layer_arguments(initializer, seeds),
    )(x)
    return _alpha_dropout(x, dropout_rate, seeds, name)


def output_head(x, num_outputs, activation, initializer, seeds):
    """The output layer: Dense with LeCun kernel, zero bias and the task's activation.

    Args:
        x: symbolic Keras tensor of rank 2.
        num_outputs: int, number of classes (softmax) or outputs (sigmoid, linear).
        activation: "softmax", "sigmoid" or "linear".
        initializer: "lecun_uniform" or "lecun_normal".
        seeds: `SeedStream`.

    Returns:
        The model's output tensor, shape (batch, num_outputs).
    """
    return keras.layers.Dense(
        num_outputs,
        activation=activation,
        kernel_initializer=kernel_initializer(initializer, seeds.next()),
        bias_initializer="zeros",
        name="output",
    )(x)
