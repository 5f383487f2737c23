"""A self-normalizing convolutional network: SELU Conv2D blocks, then SELU Dense layers."""

from snn.errors import ConfigError
from snn.models.registry import MODELS
from snn.models.spec import FixedPoint, InputShape, KernelInitializer, OutputActivation, Seed
from snn.schema import PositiveInt, UnitInterval


@MODELS.register(kind="snn")
def snn_cnn(
    input_shape: InputShape,
    num_outputs: PositiveInt,
    filters: list[PositiveInt] = (32, 64),
    kernel_size: PositiveInt = 3,
    pool: PositiveInt = 2,
    dense_units: list[PositiveInt] = (256,),
    dropout_rate: UnitInterval = 0.0,
    kernel_initializer: KernelInitializer = "lecun_uniform",
    output_activation: OutputActivation = "softmax",
    fixed_point: FixedPoint = (0.0, 1.0),
    seed: Seed = None,
):
    """A convolutional SNN: one SELU Conv2D block per entry of `filters`, then Dense layers.

    Each block is a SELU Conv2D ("same" padding, LeCun kernel with
    fan_in = kernel_size**2 * in_channels, zero bias, alpha dropout when `dropout_rate` > 0)
    followed by max pooling of size `pool` (1: no pooling). The feature map is flattened
    and passed through one SELU Dense layer per entry of `dense_units`, then the output
    layer.

    Args:
        input_shape: (height, width, channels), ints.
        num_outputs: int, number of classes (softmax) or outputs (sigmoid, linear).
        filters: list of ints, output channels of each convolution block.
        kernel_size: int, height and width of every convolution kernel.
        pool: int, max-pooling window and stride after each block; 1 disables pooling.
        dense_units: list of ints, widths of the SELU Dense layers after the convolutions
            (may be empty).
        dropout_rate: float in [0, 1), alpha dropout rate after every SELU layer.
        kernel_initializer: "lecun_uniform" (default) or "lecun_normal".
        output_activation: "softmax", "sigmoid" or "linear".
        fixed_point: [mean, variance] at which hidden activations settle (see `snn_mlp`).
        seed: int or None; fixes every kernel and dropout mask (each layer its own seed).

    Returns:
        keras.Model mapping (batch, height, width, channels) float32 to (batch, num_outputs).

    Raises:
        ConfigError: `input_shape` is not (height, width, channels), `filters` is empty, or
            no SELU has the fixed point.

    Reference:
        Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017, Section 3; the
        paper's repository trains SELU CNNs on MNIST and CIFAR-10 this way.
    """
    if len(input_shape) != 3:
        raise ConfigError(
            f"model.input_shape: got {list(input_shape)}; snn_cnn expects "
            "(height, width, channels): set data.reshape, e.g. [8, 8, 1] for digits",
            key="data.reshape",
        )
    if not filters:
        raise ConfigError("model.filters: got []; expected at least one convolution block",
                          key="model.filters")
    # Keras only when a model is built: configs and `snn models` read the signature alone.
    import keras

    from snn.layers import SNNRecipe

    recipe = SNNRecipe(dropout_rate, kernel_initializer, fixed_point, seed)
    inputs = keras.Input(shape=tuple(input_shape), name="inputs")
    x = inputs
    for i, channels in enumerate(filters, start=1):
        x = recipe.conv2d(x, channels, kernel_size, name=f"conv_{i}")
        if pool > 1:
            # "same" padding keeps a 1x1 map at 1x1, so deep stacks on small images still build.
            x = keras.layers.MaxPooling2D(pool, padding="same", name=f"pool_{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for i, width in enumerate(dense_units, start=1):
        x = recipe.dense(x, width, name=f"dense_{i}")
    return keras.Model(inputs, recipe.head(x, num_outputs, output_activation), name="snn_cnn")
