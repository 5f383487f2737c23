"""The feed-forward skeleton of the MLP builders: inputs, hidden blocks, a head."""

import keras


def feed_forward(name, input_shape, widths, block, head):
    """Inputs (flattened when they are images), one hidden block per width, then the head.

    Args:
        name: the model's name.
        input_shape: tuple of ints, one example's shape.
        widths: list of ints, one per hidden block.
        block: callable `(x, width, index) -> tensor`, `index` counting from 1.
        head: callable `(x) -> tensor`, the output layer.

    Returns:
        keras.Model.
    """
    inputs = keras.Input(shape=tuple(input_shape), name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for index, width in enumerate(widths, start=1):
        x = block(x, width, index)
    return keras.Model(inputs, head(x), name=name)
