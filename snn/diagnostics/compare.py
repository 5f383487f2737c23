"""The same architecture with other activations: what an SNN does that others do not."""

import keras

from snn.diagnostics.statistics import activation_name, layer_statistics
from snn.layers import SELU

# The usual alternatives, each with the initializer made for it.
ALTERNATIVES = {
    "ReLU + He": ("relu", keras.initializers.HeNormal),
    "tanh + Glorot": ("tanh", keras.initializers.GlorotUniform),
}


def with_activation(model, activation, initializer, seed=0):
    """A copy of `model` whose hidden SELU layers use another activation and initializer.

    The copy has fresh weights; the output layer, dropout and pooling are kept as they are
    (dropout is off at inference anyway).

    Args:
        model: keras.Model with SELU hidden layers (e.g. from `snn.models.build_model`).
        activation: str, a Keras activation name such as "relu" or "tanh".
        initializer: a keras.initializers class, e.g. `keras.initializers.HeNormal`.
        seed: int; the i-th replaced kernel uses seed + i.

    Returns:
        keras.Model with the same layer names and shapes.
    """
    outputs = {id(tensor) for tensor in keras.tree.flatten(model.outputs)}
    counter = iter(range(seed, seed + len(model.layers)))

    def clone(layer):
        if isinstance(layer, SELU):
            return keras.layers.Activation(activation, name=layer.name)
        config = layer.get_config()
        if hasattr(layer, "kernel") and id(layer.output) not in outputs:
            if activation_name(layer) == "selu":
                config["activation"] = activation
            config["kernel_initializer"] = keras.initializers.serialize(
                initializer(seed=next(counter)))
        return layer.__class__.from_config(config)

    return keras.models.clone_model(model, clone_function=clone)


def compare_activations(model, x, label="SELU + LeCun"):
    """Per-layer statistics of `model` and of the same architecture with ReLU and tanh.

    Args:
        model: keras.Model, usually built as an SNN.
        x: float array (n, *input_shape), standardized inputs.
        label: the name of `model`'s own series.

    Returns:
        dict {label: list of `LayerStatistics`}, `model` first, then the entries of
        `ALTERNATIVES`.
    """
    series = {label: layer_statistics(model, x)}
    for label, (activation, initializer) in ALTERNATIVES.items():
        series[label] = layer_statistics(with_activation(model, activation, initializer), x)
    return series
