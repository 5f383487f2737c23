"""The argument types the model builders share; they are the config schema of `model:`.

No Keras here: configs are validated, and `snn models` lists the builders, without
importing it.
"""

from typing import Annotated, Literal

from snn.errors import ConfigError
from snn.schema import PositiveInt, Range

InputShape = list[PositiveInt]
OutputActivation = Literal["softmax", "sigmoid", "linear"]
Seed = Annotated[int, Range(0)] | None
FixedPoint = list[float]
"""[mean, variance] of the hidden activations' fixed point."""
Width = PositiveInt | list[PositiveInt]
"""One width for every layer, or a list with one width per layer."""
KernelInitializer = Literal["lecun_uniform", "lecun_normal"]
"""The LeCun initializers of the SNN recipe (`snn.layers.kernel_initializer`)."""


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
