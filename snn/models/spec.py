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
LayerForm = Literal["rectangular", "conic"]
# L2 penalty factor: l2 * sum(w ** 2) over every kernel is added to the loss.
L2 = Annotated[float, Range(0.0)]
"""How hidden widths change with depth (`layer_widths`)."""


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


def layer_widths(units, depth, layer_form, num_outputs):
    """The width of each hidden layer, for a layer form.

    "rectangular" layers all have `units` (or one width each, from a list). "conic"
    layers start with `units` and shrink by a constant factor towards the output layer's
    size: layer i (from 0) of `depth` has round(units * (num_outputs / units) ** (i /
    depth)) units, so the output layer would be the progression's next term.

    Args:
        units: int, or a list of `depth` ints (rectangular only).
        depth: int, number of hidden layers.
        layer_form: "rectangular" or "conic".
        num_outputs: int, the output layer's size.

    Returns:
        list[int] of length `depth`.

    Raises:
        ConfigError: `units` is a list whose length is not `depth`, or a list with the
            conic form, which starts from one width.

    Reference:
        Klambauer et al. 2017, arXiv:1706.02515v5, Appendix A4.1 ("rectangular" and
        "conic" layers, geometric progression).
    """
    if layer_form == "rectangular":
        return check_widths("units", units, depth)
    if not isinstance(units, int):
        raise ConfigError(f"model.units: got {units}; a conic layer form starts from one "
                          "width: expected an int", key="model.units")
    ratio = num_outputs / units
    return [max(1, round(units * ratio ** (i / depth))) for i in range(depth)]
