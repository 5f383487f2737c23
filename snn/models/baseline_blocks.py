"""The hidden blocks of the SNN paper's feed-forward competitors, in Keras.

`snn.models.baselines` registers one builder per block; this module is imported only when
one of them builds a model.
"""

import functools

import keras

from snn.layers import SeedStream, WeightNormDense
from snn.models.feed_forward import feed_forward
from snn.models.spec import layer_widths


def baseline_network(name, block, input_shape, num_outputs, depth, units, layer_form,
                     dropout_rate, output_activation, l2, seed, block_options=None):
    """`depth` hidden blocks, each followed by plain dropout, then a Glorot output layer.

    Args:
        name: the model's name.
        block: a key of `BLOCKS`, the hidden block.
        input_shape, num_outputs, depth, units, layer_form, dropout_rate,
            output_activation, l2, seed: as the baseline builders take them
            (`snn.models.baselines`).
        block_options: dict of keyword arguments of the block, or None.

    Returns:
        keras.Model, not compiled.
    """
    seeds = SeedStream(seed)
    block = functools.partial(BLOCKS[block], **(block_options or {}))

    def block_with_dropout(x, width, i):
        x = block(x, width, f"block_{i}", seeds)
        if dropout_rate == 0:
            return x
        return keras.layers.Dropout(dropout_rate, seed=seeds.next(), name=f"block_{i}_dropout")(x)

    def head(x):
        return keras.layers.Dense(
            num_outputs, activation=output_activation, name="output", dtype="float32",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seeds.next()))(x)

    return feed_forward(name, input_shape,
                        layer_widths(units, depth, layer_form, num_outputs),
                        block_with_dropout, head, l2)


def _he(seeds):
    return keras.initializers.HeNormal(seed=seeds.next())


def _dense(x, width, name, seeds, activation=None, bias_initializer="zeros"):
    return keras.layers.Dense(width, activation=activation, name=name,
                              kernel_initializer=_he(seeds),
                              bias_initializer=bias_initializer)(x)


def _normalized_relu(normalization):
    """Dense, normalization and ReLU, the normalization before or after the activation."""
    def block(x, width, name, seeds, norm_position="before_activation"):
        if norm_position == "after_activation":
            x = _dense(x, width, name, seeds, activation="relu")
            return normalization(name=f"{name}_norm")(x)
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


def _residual(x, width, name, seeds, form="rectangular", bottleneck=0.5):
    """Batch-normalized Dense layers with ReLU between them, added to the input: two of
    `width` ("rectangular"), or `width`, `bottleneck * width`, `width` ("diavolo")."""
    x = _match_width(x, width, name, seeds)
    widths = [width] * 2 if form == "rectangular" else \
        [width, max(1, round(bottleneck * width)), width]
    y = x
    for layer, inner in enumerate(widths):
        label = f"{name}_{'abc'[layer]}"
        y = _dense(y, inner, label, seeds)
        y = keras.layers.BatchNormalization(name=f"{label}_norm")(y)
        if layer < len(widths) - 1:
            y = keras.layers.ReLU(name=f"{label}_relu")(y)
    return keras.layers.ReLU(name=f"{name}_relu")(keras.layers.Add(name=f"{name}_add")([x, y]))


# Block names -> (x, width, name, seeds) -> tensor.
BLOCKS = {
    "msra": _msra,
    "batchnorm": _normalized_relu(keras.layers.BatchNormalization),
    "layernorm": _normalized_relu(keras.layers.LayerNormalization),
    "weightnorm": _weight_norm,
    "highway": _highway,
    "resnet": _residual,
}
