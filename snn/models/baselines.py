"""The SNN paper's feed-forward competitors (Section 4), each a registered builder.

They share `snn_mlp`'s interface (depth, units, dropout_rate, output_activation, seed) and
differ only in the hidden block: ReLU with He initialization, plus batch, layer or weight
normalization, highway gates or residual connections. Dropout here is plain dropout, as
in the paper's baselines.
"""

import keras

from snn.layers import SeedStream
from snn.models.registry import register_model
from snn.models.spec import InputShape, OutputActivation, Seed, Width, check_widths
from snn.models.spec import feed_forward
from snn.models.weight_norm import WeightNormDense
from snn.schema import PositiveInt, UnitInterval


def _baseline(name, block, input_shape, num_outputs, depth, units, dropout_rate,
              output_activation, seed):
    """`depth` hidden blocks, each followed by plain dropout, then a Glorot output layer."""
    seeds = SeedStream(seed)

    def block_with_dropout(x, width, i):
        x = block(x, width, f"block_{i}", seeds)
        if dropout_rate == 0:
            return x
        return keras.layers.Dropout(dropout_rate, seed=seeds.next(), name=f"block_{i}_dropout")(x)

    def head(x):
        return keras.layers.Dense(
            num_outputs, activation=output_activation, name="output", dtype="float32",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seeds.next()))(x)

    return feed_forward(name, input_shape, check_widths("units", units, depth),
                        block_with_dropout, head)


def _he(seeds):
    return keras.initializers.HeNormal(seed=seeds.next())


def _dense(x, width, name, seeds, activation=None, bias_initializer="zeros"):
    return keras.layers.Dense(width, activation=activation, name=name,
                              kernel_initializer=_he(seeds),
                              bias_initializer=bias_initializer)(x)


def _normalized_relu(normalization):
    """Dense, then the normalization layer, then ReLU (normalization before activation)."""
    def block(x, width, name, seeds):
        x = _dense(x, width, name, seeds)
        x = normalization(name=f"{name}_norm")(x)
        return keras.layers.ReLU(name=f"{name}_relu")(x)
    return block


def _msra(x, width, name, seeds):
    return _dense(x, width, name, seeds, activation="relu")


def _weight_norm(x, width, name, seeds):
    return WeightNormDense(width, activation="relu", kernel_initializer=_he(seeds),
                           name=name)(x)


def _match_width(x, width, name, seeds):
    """Gates and skip connections add x to the block's output: project x when widths differ."""
    if x.shape[-1] == width:
        return x
    return _dense(x, width, f"{name}_projection", seeds, activation="relu")


def _highway(x, width, name, seeds):
    x = _match_width(x, width, name, seeds)
    transform = _dense(x, width, f"{name}_h", seeds, activation="relu")
    # Gate bias -2: layers start close to the identity (Srivastava et al. 2015, Section 4).
    gate = _dense(x, width, f"{name}_t", seeds, activation="sigmoid",
                  bias_initializer=keras.initializers.Constant(-2.0))
    return keras.layers.Add(name=f"{name}_out")([
        keras.layers.Multiply(name=f"{name}_transform")([transform, gate]),
        keras.layers.Multiply(name=f"{name}_keep")([x, _one_minus(gate, f"{name}_carry")]),
    ])


def _one_minus(tensor, name):
    # 1 - t as a layer Keras saves and loads in safe mode (a Lambda would be refused).
    return keras.layers.Rescaling(-1.0, offset=1.0, name=name)(tensor)


def _residual(x, width, name, seeds):
    x = _match_width(x, width, name, seeds)
    y = _dense(x, width, f"{name}_a", seeds)
    y = keras.layers.BatchNormalization(name=f"{name}_a_norm")(y)
    y = keras.layers.ReLU(name=f"{name}_a_relu")(y)
    y = _dense(y, width, f"{name}_b", seeds)
    y = keras.layers.BatchNormalization(name=f"{name}_b_norm")(y)
    return keras.layers.ReLU(name=f"{name}_relu")(keras.layers.Add(name=f"{name}_add")([x, y]))


def _register(name, block, reference):
    def builder(
        input_shape: InputShape,
        num_outputs: PositiveInt,
        depth: PositiveInt = 8,
        units: Width = 256,
        dropout_rate: UnitInterval = 0.0,
        output_activation: OutputActivation = "softmax",
        seed: Seed = None,
    ):
        return _baseline(name, block, input_shape, num_outputs, depth, units, dropout_rate,
                         output_activation, seed)

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = f"""A baseline feed-forward network: {reference}

    Args:
        input_shape: tuple of ints, one example's shape (images are flattened).
        num_outputs: int, number of classes (softmax) or outputs (sigmoid, linear).
        depth: int >= 1, number of hidden blocks.
        units: int, or a list of `depth` ints.
        dropout_rate: float in [0, 1), plain dropout after each block.
        output_activation: "softmax", "sigmoid" or "linear".
        seed: int or None; fixes every kernel and dropout mask.

    Returns:
        keras.Model, not compiled.

    Raises:
        ConfigError: `units` is a list whose length is not `depth`.
    """
    return register_model(builder, kind="baseline")


msra_mlp = _register(
    "msra_mlp", _msra,
    "ReLU with He (MSRA) initialization, no normalization. He et al., \"Delving Deep into "
    "Rectifiers\", ICCV 2015.")
batchnorm_mlp = _register(
    "batchnorm_mlp", _normalized_relu(keras.layers.BatchNormalization),
    "Dense, batch normalization, ReLU. Ioffe & Szegedy, \"Batch Normalization\", ICML 2015.")
layernorm_mlp = _register(
    "layernorm_mlp", _normalized_relu(keras.layers.LayerNormalization),
    "Dense, layer normalization, ReLU. Ba, Kiros & Hinton, \"Layer Normalization\", 2016.")
weightnorm_mlp = _register(
    "weightnorm_mlp", _weight_norm,
    "weight-normalized Dense layers with ReLU. Salimans & Kingma, \"Weight Normalization\", "
    "NeurIPS 2016.")
highway_mlp = _register(
    "highway_mlp", _highway,
    "highway layers y = H(x) T(x) + x (1 - T(x)) with ReLU H and sigmoid gates T. "
    "Srivastava, Greff & Schmidhuber, \"Training Very Deep Networks\", NeurIPS 2015.")
resnet_mlp = _register(
    "resnet_mlp", _residual,
    "residual blocks of two batch-normalized Dense layers with ReLU. He et al., \"Deep "
    "Residual Learning for Image Recognition\", CVPR 2016.")
