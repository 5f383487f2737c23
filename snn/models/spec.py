"""Argument types and the feed-forward skeleton shared by the model builders."""

from typing import Annotated, Literal

import keras

from snn.errors import ConfigError
from snn.schema import PositiveInt, Range

InputShape = list[PositiveInt]
OutputActivation = Literal["softmax", "sigmoid", "linear"]
Seed = Annotated[int, Range(0)] | None
FixedPoint = list[float]
"""[mean, variance] of the hidden activations' fixed point."""
Width = PositiveInt | list[PositiveInt]
"""One width for every layer, or a list with one width per layer."""


def check_widths(key, widths, count):
    """Expand a `Width` argument to one width per layer.

    Args:
        key: the argument's name, for the error message.
        widths: int, or list of ints.
        count: int, number of layers.

    Returns:
        list[int] of length `count`.

    Raises:
        ConfigError: `widths` is a list whose length is not `count`.
    """
    if isinstance(widths, int):
        return [widths] * count
    if len(widths) != count:
        raise ConfigError(
            f"model.{key}: got {len(widths)} widths {widths}; expected {count}, one per layer",
            key=f"model.{key}",
        )
    return list(widths)


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
