"""The feed-forward skeleton of the MLP builders: inputs, hidden blocks, a head, and the
L2 penalty on their kernels."""

import keras

from snn.layers import WeightNormDense


def feed_forward(name, input_shape, widths, block, head, l2=0.0):
    """Inputs (flattened when they are images), one hidden block per width, then the head.

    Args:
        name: the model's name.
        input_shape: tuple of ints, one example's shape.
        widths: list of ints, one per hidden block.
        block: callable `(x, width, index) -> tensor`, `index` counting from 1.
        head: callable `(x) -> tensor`, the output layer.
        l2: float >= 0; with l2 > 0, `l2 * sum(w ** 2)` of every kernel (a weight-normalized
            layer's kernel w = g v / ||v||: sum(g ** 2)) is added to the loss; biases and
            normalization parameters are not penalized.

    Returns:
        keras.Model.
    """
    inputs = keras.Input(shape=tuple(input_shape), name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for index, width in enumerate(widths, start=1):
        x = block(x, width, index)
    model = keras.Model(inputs, head(x), name=name)
    if l2:
        penalty = keras.regularizers.L2(l2)
        for layer in model.layers:
            if isinstance(layer, WeightNormDense):
                layer.g.regularizer = penalty  # ||w_j|| = g_j
            elif getattr(layer, "kernel", None) is not None:
                layer.kernel_regularizer = layer.kernel.regularizer = penalty
    return model
