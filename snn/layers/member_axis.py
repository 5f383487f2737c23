"""Layers of several networks of one architecture at once, their weights with a leading
member axis: K members' Dense layers become one batched matrix product.

Activations are laid out (members, batch, features), so each layer is one `matmul` over
the member axis and no transpose is needed between layers.
"""

import keras
from keras import ops

from snn.layers.alpha_dropout import alpha_dropout_mask, mask_rate
from snn.theory import alpha_dropout_affine


class MemberDense(keras.layers.Layer):
    """The Dense layers of `members` networks: member k computes
    `activation(x[k] @ kernel[k] + bias[k])`, as its own `keras.layers.Dense` would.

    The weights start at zero: `snn.models.member_axis.MemberAxisNetwork` copies each
    member's own initial weights in, so a member starts where its run alone starts.

    Args:
        members: int, K, the number of networks.
        units: int, each member's output width.
        activation: a Keras activation name or function, applied to the last axis.
        kernel_regularizer: None or a Keras regularizer; it sums over the members, so
            each member's gradient gets its own kernel's penalty.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`).

    Input shape:
        (members, batch, fan_in).

    Output shape:
        (members, batch, units).
    """

    def __init__(self, members, units, activation=None, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.members, self.units = members, units
        self.activation = keras.activations.get(activation)
        self.kernel_regularizer = kernel_regularizer

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.members, input_shape[-1], self.units),
                                      initializer="zeros", name="kernel",
                                      regularizer=self.kernel_regularizer)
        # (members, 1, units): broadcasts over the batch without a reshape per step.
        self.bias = self.add_weight(shape=(self.members, 1, self.units), initializer="zeros",
                                    name="bias")

    def call(self, inputs):
        return self.activation(ops.add(ops.matmul(inputs, self.kernel), self.bias))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)


class MemberAlphaDropout(keras.layers.Layer):
    """Alpha dropout of `len(rates)` networks, each at its own rate with its own masks.

    Member k's mask is drawn by `snn.layers.alpha_dropout.alpha_dropout_mask` from a
    `keras.random.SeedGenerator(seeds[k])` with the shape of its own activations (batch,
    units): the masks its own `snn.layers.FixedPointAlphaDropout`, seeded alike, would draw.
    A member at rate 0 (no dropout layer of its own) passes through.

    Args:
        rates: list of floats in [0, 1), one per member.
        seeds: list of int or None, one per member (its own layer's seed).
        mean, variance: the fixed point the affine correction restores.
        alpha, scale: the SELU constants of the preceding layer.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: tensor of shape (members, batch, units).
        training: bool; without training the layer is the identity.

    Reference:
        Klambauer et al. 2017, Section 3, "New Dropout Technique".
    """

    def __init__(self, rates, seeds, mean, variance, alpha, scale, **kwargs):
        super().__init__(**kwargs)
        self.rates = [float(rate) for rate in rates]
        self.seed_generators = [keras.random.SeedGenerator(seed) if rate else None
                                for rate, seed in zip(self.rates, seeds)]
        # Per member: x -> a x + b where kept, the dropped value where not (a = 1, b = 0
        # and nothing dropped at rate 0).
        affine = [alpha_dropout_affine(mask_rate(rate), mean, variance, alpha, scale) if rate
                  else (1.0, 0.0) for rate in self.rates]
        self.a = [[[a]] for a, _ in affine]
        self.b = [[[b]] for _, b in affine]
        self.dropped = [[[a * (-scale * alpha) + b]] for a, b in affine]

    def call(self, inputs, training=False):
        if not training:
            return inputs
        shape = ops.shape(inputs)[1:]
        kept = ops.stack([
            alpha_dropout_mask(shape, rate, generator) if generator
            else ops.ones(shape, dtype="bool")
            for rate, generator in zip(self.rates, self.seed_generators)])
        dtype = inputs.dtype
        a, b, dropped = (ops.convert_to_tensor(value, dtype=dtype)
                         for value in (self.a, self.b, self.dropped))
        return ops.where(kept, a * inputs + b, dropped)

    def compute_output_shape(self, input_shape):
        return input_shape
