"""The SNN paper's feed-forward competitors (Section 4), each a registered builder.

They share `snn_mlp`'s interface (depth, units, dropout_rate, output_activation, seed) and
differ only in the hidden block: ReLU with He initialization, plus batch, layer or weight
normalization, highway gates or residual connections. Dropout here is plain dropout, as
in the paper's baselines.
"""

import inspect
from typing import Annotated, Literal

from snn.models.registry import MODELS
from snn.models.spec import L2, InputShape, LayerForm, OutputActivation, Seed, Width
from snn.schema import PositiveInt, Range, UnitInterval

_ARGUMENTS = """input_shape: tuple of ints, one example's shape (images are flattened).
        num_outputs: int, number of classes (softmax) or outputs (sigmoid, linear).
        depth: int >= 1, number of hidden blocks.
        units: int, or a list of `depth` ints.
        layer_form: "rectangular" or "conic" (widths shrinking geometrically towards
            `num_outputs`; `snn.models.spec.layer_widths`).
        dropout_rate: float in [0, 1), plain dropout after each block.
        output_activation: "softmax", "sigmoid" or "linear".
        l2: float >= 0: `l2 * sum(w ** 2)` over every kernel is added to the loss (the
            paper's Tox21 grids, Tables A15-A20).
        seed: int or None; fixes every kernel and dropout mask."""

_RETURNS_AND_RAISES = """Returns:
        keras.Model, not compiled.

    Raises:
        ConfigError: `units` is a list whose length is not `depth`, or a list with the
            conic form."""


def _register(name, block, reference, options=()):
    """Register a baseline builder with `snn_mlp`'s arguments, plus the block's `options`:
    (inspect.Parameter, its Args line) pairs, keyword parameters of the block function."""
    def builder(
        input_shape: InputShape,
        num_outputs: PositiveInt,
        depth: PositiveInt = 8,
        units: Width = 256,
        layer_form: LayerForm = "rectangular",
        dropout_rate: UnitInterval = 0.0,
        output_activation: OutputActivation = "softmax",
        l2: L2 = 0.0,
        seed: Seed = None,
        **block_options,
    ):
        # Keras only when a model is built: configs and `snn models` read the signature.
        from snn.models.baseline_blocks import baseline_network

        unknown = sorted(set(block_options) - {parameter.name for parameter, _ in options})
        if unknown:
            raise TypeError(f"{name}() got an unexpected keyword argument {unknown[0]!r}")
        return baseline_network(name, block, input_shape, num_outputs, depth, units,
                                layer_form, dropout_rate, output_activation, l2, seed,
                                block_options)

    # The config schema reads the signature: the options appear as ordinary arguments.
    shared = list(inspect.signature(builder).parameters.values())[:-1]
    builder.__signature__ = inspect.Signature(shared + [parameter for parameter, _ in options])
    builder.__annotations__ = {**builder.__annotations__,
                               **{parameter.name: parameter.annotation
                                  for parameter, _ in options}}
    option_lines = "".join(f"\n        {line}" for _, line in options)
    builder.__doc__ = f"""A baseline feed-forward network: {reference}

    Args:
        {_ARGUMENTS}{option_lines}

    {_RETURNS_AND_RAISES}
    """
    return MODELS.register(builder, name=name, kind="baseline")


# Where the normalization sits in a normalized ReLU block.
NORM_POSITION = (
    inspect.Parameter("norm_position", inspect.Parameter.KEYWORD_ONLY,
                      default="before_activation",
                      annotation=Literal["before_activation", "after_activation"]),
    'norm_position: "before_activation" (Dense, normalization, ReLU, as Ioffe and\n'
    '            Szegedy place it) or "after_activation" (Dense with ReLU, then\n'
    "            normalization: the SNN authors' Figure 1 networks, bioinf-jku/SNNs\n"
    "            figure1/run.py).",
)


msra_mlp = _register(
    "msra_mlp", "msra",
    "ReLU with He (MSRA) initialization, no normalization. He et al., \"Delving Deep into "
    "Rectifiers\", ICCV 2015.")
batchnorm_mlp = _register(
    "batchnorm_mlp", "batchnorm",
    "Dense, batch normalization, ReLU. Ioffe & Szegedy, \"Batch Normalization\", ICML 2015.",
    [NORM_POSITION])
layernorm_mlp = _register(
    "layernorm_mlp", "layernorm",
    "Dense, layer normalization, ReLU. Ba, Kiros & Hinton, \"Layer Normalization\", 2016.",
    [NORM_POSITION])
weightnorm_mlp = _register(
    "weightnorm_mlp", "weightnorm",
    "weight-normalized Dense layers with ReLU. Salimans & Kingma, \"Weight Normalization\", "
    "NeurIPS 2016.")
highway_mlp = _register(
    "highway_mlp", "highway",
    "highway layers y = H(x) T(x) + x (1 - T(x)) with ReLU H and sigmoid gates T. "
    "Srivastava, Greff & Schmidhuber, \"Training Very Deep Networks\", NeurIPS 2015.")


@MODELS.register(kind="baseline")
def resnet_mlp(
    input_shape: InputShape,
    num_outputs: PositiveInt,
    depth: PositiveInt = 8,
    units: Width = 256,
    layer_form: LayerForm = "rectangular",
    dropout_rate: UnitInterval = 0.0,
    output_activation: OutputActivation = "softmax",
    l2: L2 = 0.0,
    seed: Seed = None,
    block_form: Literal["rectangular", "diavolo"] = "rectangular",
    bottleneck: Annotated[float, Range(0.0, 1.0, low_open=True)] = 0.5,
):
    """A baseline feed-forward network of residual blocks of batch-normalized Dense layers
    with ReLU (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016).

    A "rectangular" block is two layers of the block's width; a "diavolo" block is three,
    wide, narrow, wide: the middle one `bottleneck` times the block's width. The input is
    added to the block's output (through a Dense projection where widths differ).

    Args:
        {arguments}
        block_form: "rectangular" or "diavolo".
        bottleneck: float in (0, 1], the narrow layer's share of the block's width in a
            diavolo block (unused by a rectangular one).

    {returns_and_raises}

    Reference:
        Klambauer et al. 2017, arXiv:1706.02515v5, Table A10 (block form, bottleneck). The
        paper does not define the forms; the definition above is this package's.
    """
    from snn.models.baseline_blocks import baseline_network

    return baseline_network("resnet_mlp", "resnet", input_shape, num_outputs, depth, units,
                            layer_form, dropout_rate, output_activation, l2, seed,
                            {"form": block_form, "bottleneck": bottleneck})


resnet_mlp.__doc__ = resnet_mlp.__doc__.format(arguments=_ARGUMENTS,
                                               returns_and_raises=_RETURNS_AND_RAISES)
