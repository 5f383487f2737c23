"""The SNN paper's feed-forward competitors (Section 4), each a registered builder.

They share `snn_mlp`'s interface (depth, units, dropout_rate, output_activation, seed) and
differ only in the hidden block: ReLU with He initialization, plus batch, layer or weight
normalization, highway gates or residual connections. Dropout here is plain dropout, as
in the paper's baselines.
"""

from snn.models.registry import MODELS
from snn.models.spec import InputShape, OutputActivation, Seed, Width
from snn.schema import PositiveInt, UnitInterval


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
        # Keras only when a model is built: configs and `snn models` read the signature.
        from snn.models.baseline_blocks import baseline_network

        return baseline_network(name, block, input_shape, num_outputs, depth, units,
                                dropout_rate, output_activation, seed)

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
    return MODELS.register(builder, name=name, kind="baseline")


msra_mlp = _register(
    "msra_mlp", "msra",
    "ReLU with He (MSRA) initialization, no normalization. He et al., \"Delving Deep into "
    "Rectifiers\", ICCV 2015.")
batchnorm_mlp = _register(
    "batchnorm_mlp", "batchnorm",
    "Dense, batch normalization, ReLU. Ioffe & Szegedy, \"Batch Normalization\", ICML 2015.")
layernorm_mlp = _register(
    "layernorm_mlp", "layernorm",
    "Dense, layer normalization, ReLU. Ba, Kiros & Hinton, \"Layer Normalization\", 2016.")
weightnorm_mlp = _register(
    "weightnorm_mlp", "weightnorm",
    "weight-normalized Dense layers with ReLU. Salimans & Kingma, \"Weight Normalization\", "
    "NeurIPS 2016.")
highway_mlp = _register(
    "highway_mlp", "highway",
    "highway layers y = H(x) T(x) + x (1 - T(x)) with ReLU H and sigmoid gates T. "
    "Srivastava, Greff & Schmidhuber, \"Training Very Deep Networks\", NeurIPS 2015.")
resnet_mlp = _register(
    "resnet_mlp", "resnet",
    "residual blocks of two batch-normalized Dense layers with ReLU. He et al., \"Deep "
    "Residual Learning for Image Recognition\", CVPR 2016.")
