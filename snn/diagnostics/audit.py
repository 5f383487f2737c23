"""An audit of what silently breaks self-normalization in a model meant to be an SNN."""

import dataclasses

import keras
import numpy as np

from snn.diagnostics.statistics import activation_name

# Dropout variants that do not keep mean and variance of SELU activations.
_PLAIN_DROPOUT = (keras.layers.Dropout, keras.layers.GaussianDropout,
                  keras.layers.GaussianNoise)
_NORMALIZATION = (keras.layers.BatchNormalization, keras.layers.LayerNormalization,
                  keras.layers.GroupNormalization, keras.layers.UnitNormalization)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem found by `audit`.

    Attributes:
        code: short identifier: "kernel-variance", "depthwise-fan-in", "activation",
            "dropout", "normalization", "bias-init", "input-scale" or "input-feature".
        layer: the layer's name, or "inputs" for findings about the data.
        message: one line saying what is wrong and how to fix it.
    """

    code: str
    layer: str
    message: str

    def __str__(self):
        return f"[{self.code}] {self.layer}: {self.message}"


def audit(model, x=None):
    """Check a model (and optionally its inputs) against the SNN requirements.

    Flags kernels whose variance * fan_in is far from 1 (He init gives ~2, PyTorch's
    `calculate_gain('selu')` = 3/4 gives ~0.56, PyTorch's default uniform init ~1/3),
    depthwise kernels initialized with the wrong fan_in, hidden activations other than
    SELU, plain or Gaussian dropout, normalization layers, non-zero bias initializers and,
    when `x` is given, inputs that are not standardized.

    Args:
        model: keras.Model, as initialized (kernels are measured, so audit before training).
        x: None, or float array (n, *input_shape) of the inputs the model will see.

    Returns:
        list of `Finding`, empty for a correct SNN.

    Reference:
        Klambauer et al. 2017, Section 3: Theorem 1 assumes omega ~ 0 and tau ~ 1
        (Var(w) = 1/fan_in), SELU activations, alpha dropout and normalized inputs.
    """
    outputs = {id(tensor) for tensor in keras.tree.flatten(model.outputs)}
    findings = []
    for layer in _all_layers(model):
        findings += _layer_findings(layer, hidden=not _is_output(layer, outputs))
    if x is not None:
        findings += _input_findings(np.asarray(x, dtype=np.float64))
    return findings


def _all_layers(model):
    """Layers of the model, descending into nested models (e.g. a Sequential inside)."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        else:
            yield layer


def _is_output(layer, outputs):
    try:
        return id(layer.output) in outputs
    except (AttributeError, ValueError):  # layers of nested models may have no single output
        return False


def _layer_findings(layer, hidden):
    name = layer.name
    if isinstance(layer, _PLAIN_DROPOUT):
        yield Finding("dropout", name, f"{type(layer).__name__} changes the mean and variance "
                      "of SELU activations; use alpha dropout (keras.layers.AlphaDropout)")
    if isinstance(layer, _NORMALIZATION):
        yield Finding("normalization", name, f"{type(layer).__name__} is not needed in an SNN "
                      "and overrides self-normalization; remove it")
    activation = activation_name(layer)
    if hidden and activation not in (None, "selu"):
        yield Finding("activation", name, f"hidden activation is {activation}; an SNN needs "
                      "SELU (activation='selu')")
    if isinstance(layer, _DEPTHWISE) or isinstance(layer, keras.layers.SeparableConv2D):
        yield from _depthwise_finding(layer)
    elif hidden and getattr(layer, "kernel", None) is not None:
        yield from _kernel_finding(name, layer.kernel, _fan_in(layer.kernel.shape),
                                   "kernel-variance", "kernel", _LECUN)
    if getattr(layer, "use_bias", False) and layer.bias is not None:
        bias_class = keras.initializers.serialize(layer.bias_initializer)["class_name"]
        if bias_class != "Zeros":
            yield Finding("bias-init", name, f"bias initializer is {bias_class}; an SNN starts "
                          "from zero biases (bias_initializer='zeros')")


def _fan_in(shape):
    # Dense: (in, out); ConvND: (*kernel, in_channels, filters).
    return int(np.prod(shape[:-1]))


_LECUN = "use LeCun initialization (kernel_initializer='lecun_uniform' or 'lecun_normal')"


def _kernel_finding(name, kernel, fan_in, code, what, fix):
    weights = keras.ops.convert_to_numpy(kernel)
    scaled = float(weights.var() * fan_in)
    # Four standard errors of the sample variance (normal weights: relative SE
    # sqrt(2 / n)), and never tighter than 25%: He init (2) and a 3/4 gain (0.56) stay out.
    tolerance = max(0.25, 4 * np.sqrt(2 / weights.size))
    if abs(scaled - 1) > tolerance:
        yield Finding(code, name, f"{what} variance * fan_in = {scaled:.3g} (fan_in {fan_in}); "
                      f"an SNN needs 1: {fix}")


def _depthwise_finding(layer):
    # A depthwise output unit sums kernel_h * kernel_w inputs of one channel; Keras'
    # VarianceScaling counts the input channels too, giving variance 1/(k*k*channels).
    kernel = layer.depthwise_kernel if hasattr(layer, "depthwise_kernel") else layer.kernel
    yield from _kernel_finding(
        layer.name, kernel, int(np.prod(kernel.shape[:-2])), "depthwise-fan-in",
        "depthwise kernel", "a depthwise unit's fan_in is kernel_h * kernel_w, so use "
        "VarianceScaling(scale=in_channels, mode='fan_in') for LeCun initialization")


def _input_findings(x):
    flat = x.reshape(len(x), -1)
    mean, second_moment = float(flat.mean()), float(np.mean(flat**2))
    if abs(mean) > 0.5 or not 0.5 <= second_moment <= 2.0:
        yield Finding("input-scale", "inputs", f"inputs have mean {mean:.3g} and mean square "
                      f"{second_moment:.3g}; an SNN expects standardized inputs (about 0 and "
                      "1): set data.standardize")
    means, variances = flat.mean(axis=0), flat.var(axis=0)
    # Generous bounds: globally standardized pixels are fine, raw units are not.
    bad = np.flatnonzero((np.abs(means) > 2.0) | (variances > 4.0))
    if bad.size:
        worst = bad[np.argmax(np.abs(means[bad]) + variances[bad])]
        yield Finding("input-feature", "inputs", f"{bad.size} of {flat.shape[1]} features are "
                      f"far from mean 0 / variance 1 (feature {worst}: mean {means[worst]:.3g}, "
                      f"variance {variances[worst]:.3g}); standardize them")
