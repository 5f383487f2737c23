"""The self-normalizing multilayer perceptron of the SNN paper."""

from snn.models.registry import MODELS
from snn.models.spec import L2, FixedPoint, InputShape, KernelInitializer, LayerForm
from snn.models.spec import OutputActivation, Seed, Width, layer_widths
from snn.schema import PositiveInt, UnitInterval


@MODELS.register(kind="snn")
def snn_mlp(
    input_shape: InputShape,
    num_outputs: PositiveInt,
    depth: PositiveInt = 8,
    units: Width = 256,
    layer_form: LayerForm = "rectangular",
    dropout_rate: UnitInterval = 0.0,
    kernel_initializer: KernelInitializer = "lecun_uniform",
    output_activation: OutputActivation = "softmax",
    fixed_point: FixedPoint = (0.0, 1.0),
    l2: L2 = 0.0,
    seed: Seed = None,
):
    """A feed-forward SNN: `depth` SELU Dense layers, then the output layer.

    Inputs with more than one dimension (images) are flattened first. Every hidden layer
    follows the SNN recipe (`snn.layers.SNNRecipe`).

    Args:
        input_shape: tuple of ints, one example's shape without the batch dimension.
        num_outputs: int, number of classes (softmax) or outputs (sigmoid, linear).
        depth: int >= 1, number of hidden SELU layers.
        units: int, or a list of `depth` ints (one width per hidden layer).
        layer_form: "rectangular" (every layer `units` wide) or "conic" (from `units`
            down towards `num_outputs` in a geometric progression; `snn.models.spec.
            layer_widths`).
        dropout_rate: float in [0, 1), alpha dropout rate after each hidden layer.
        kernel_initializer: "lecun_uniform" (default) or "lecun_normal".
        output_activation: "softmax" (multi-class), "sigmoid" (binary, multi-label) or
            "linear" (regression).
        fixed_point: [mean, variance] at which hidden activations settle; other than
            [0, 1], the SELU constants come from `snn.theory.selu_parameters`.
        l2: float >= 0, the L2 penalty: `l2 * sum(w ** 2)` over every kernel is added to
            the loss (the SNN paper's Tox21 grid, Table A14).
        seed: int or None; fixes every kernel and dropout mask (each layer its own seed).

    Returns:
        keras.Model mapping (batch, *input_shape) float32 to (batch, num_outputs).

    Raises:
        ConfigError: `units` is a list whose length is not `depth` (or a list with the
            conic form), or no SELU has the fixed point.

    Reference:
        Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017, Section 3.
    """
    # Keras only when a model is built: configs and `snn models` read the signature alone.
    from snn.layers import SNNRecipe
    from snn.models.feed_forward import feed_forward

    recipe = SNNRecipe(dropout_rate, kernel_initializer, fixed_point, seed)
    return feed_forward(
        "snn_mlp", input_shape, layer_widths(units, depth, layer_form, num_outputs),
        block=lambda x, width, i: recipe.dense(x, width, name=f"dense_{i}"),
        head=lambda x: recipe.head(x, num_outputs, output_activation), l2=l2)
