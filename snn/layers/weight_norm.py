"""A weight-normalized Dense layer (Keras 3 ships none)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="snn")
class WeightNormDense(keras.layers.Layer):
    """Dense layer with weights w = g * v / ||v||, the norm taken per output unit.

    The direction v and the length g are trained separately. g starts at ||v||, so the
    layer starts as a Dense layer with kernel v.

    Args:
        units: int, output width.
        activation: a Keras activation name or None.
        kernel_initializer: initializer of the direction v.
        **kwargs: base `keras.layers.Layer` arguments (e.g. `name`).

    Call arguments:
        inputs: float tensor (batch, features).

    Returns:
        Tensor (batch, units).

    Reference:
        Salimans & Kingma, "Weight Normalization: A Simple Reparameterization to Accelerate
        Training of Deep Neural Networks", NeurIPS 2016, eq. (2).
    """

    def __init__(self, units, activation=None, kernel_initializer="he_normal", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.v = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer=self.kernel_initializer, name="v")
        norms = ops.convert_to_numpy(ops.sqrt(ops.sum(ops.square(self.v), axis=0)))
        self.g = self.add_weight(shape=(self.units,), initializer=keras.initializers.Constant(
            norms), name="g")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        kernel = self.v * (self.g / ops.sqrt(ops.sum(ops.square(self.v), axis=0)))
        return self.activation(ops.matmul(inputs, kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
