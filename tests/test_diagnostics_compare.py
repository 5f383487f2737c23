"""The same architecture with ReLU + He and tanh + Glorot, for comparison with the SNN."""

import numpy as np
import pytest

from conftest import ROOT
from snn.config import load_config
from snn.diagnostics import compare_activations, with_activation
from snn.diagnostics.compare import ALTERNATIVES
from snn.models import build_model
from snn.training import prepare


def test_with_activation_keeps_the_architecture_and_replaces_hidden_activations():
    model = build_model("snn_mlp", input_shape=(8,), num_outputs=3, depth=3, units=16,
                        dropout_rate=0.1, seed=0)
    relu = with_activation(model, "relu", ALTERNATIVES["ReLU + He"][1])
    assert [layer.name for layer in relu.layers] == [layer.name for layer in model.layers]
    assert [relu.get_layer(f"dense_{i}_selu").get_config()["activation"]
            for i in (1, 2, 3)] == ["relu"] * 3
    assert relu.get_layer("output").activation.__name__ == "softmax"
    kernel = relu.get_layer("dense_2").kernel.numpy()
    assert kernel.var() * 16 > 1.5  # He: variance 2 / fan_in


def test_with_activation_replaces_custom_selu_layers():
    model = build_model("snn_mlp", input_shape=(8,), num_outputs=3, depth=2, units=16,
                        fixed_point=[-0.1, 2.0], seed=0)
    tanh = with_activation(model, "tanh", ALTERNATIVES["tanh + Glorot"][1])
    assert tanh.get_layer("dense_1_selu").get_config()["activation"] == "tanh"


def test_only_the_snn_keeps_its_statistics_over_32_layers():
    x = np.random.default_rng(0).standard_normal((500, 64)).astype("float32")
    model = build_model("snn_mlp", input_shape=(64,), num_outputs=3, depth=32, units=256,
                        seed=0)
    series = compare_activations(model, x)
    assert list(series) == ["SELU + LeCun", "ReLU + He", "tanh + Glorot"]
    snn, relu, tanh = (series[label][-1] for label in series)
    assert abs(snn.mean) < 0.1 and abs(snn.variance - 1) < 0.15
    assert relu.mean > 0.3      # ReLU outputs are non-negative: the mean drifts up
    assert tanh.variance < 0.1  # tanh with Glorot shrinks the signal layer by layer


def _tanh_glorot_variances(q, fan_in, depth, width):
    """Mean-field variances of a tanh + Glorot network's activations, layer by layer: the
    pre-activation variance is fan_in * Var(w) * E[x^2], with Var(w) = 2 / (fan_in + fan_out)
    (Glorot), and the activation variance E[tanh(z)^2] for z ~ N(0, q) (Gauss-Hermite)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(101)
    weights = weights / weights.sum()
    variances = []
    for layer in range(depth):
        fan = fan_in if layer == 0 else width
        q = fan * 2 / (fan + width) * q
        variances.append(float(weights @ np.tanh(np.sqrt(q) * nodes) ** 2))
        q = variances[-1]
    return variances


def test_64_layer_digits_relu_mean_stays_near_0_56_and_tanh_variance_decays_to_0_008():
    # README: `snn diagnose configs/digits_snn.yaml --compare --set model.depth=64`, on the
    # first 250 of its 1000 training examples (the statistics of one network barely change).
    experiment = prepare(load_config(ROOT / "configs/digits_snn.yaml", ["model.depth=64"]))
    x = experiment.splits["train"][0][:250]
    series = compare_activations(experiment.model, x)
    snn, relu, tanh = series.values()
    assert len(snn) == len(relu) == len(tanh) == 64
    for depth, record in enumerate(snn, start=1):  # as over 32 layers, at every layer
        assert abs(record.mean) < 0.1 and abs(record.variance - 1) < 0.15, f"layer {depth}"
    # Globally standardized inputs have E[x^2] = 1. Each backend draws other weights from
    # seed 0, and a width-256 layer rescales the variance by a random factor of relative
    # SD sqrt(2/256); these add up over the layers, so the tolerances are the mean field's
    # (infinite width) value times a factor of e^(3 SD of log variance).
    # ReLU + He keeps the pre-activation variance at 2 * E[x^2] = 2 (mean field), so its
    # non-negative outputs have mean sqrt(2 / 2 pi) = 0.56 at every depth, never 0; over
    # 64 layers log(variance) has SD sqrt(64 * 2/256) = 0.71: the mean is within e^(3*0.35).
    assert 0.56 / np.exp(3 * 0.35) < relu[-1].mean < 0.56 * np.exp(3 * 0.35)
    # tanh + Glorot at fan_in = fan_out is critical: 1/variance grows by ~2 a layer, so the
    # variance decays like 1/(2 * depth), 0.0078 at layer 64; this decay damps earlier
    # fluctuations, and log(variance) has SD ~0.41 (sum of (2/256) * (k/64)^2 over k).
    expected = _tanh_glorot_variances(1.0, 64, 64, 256)
    assert expected[0] > 0.2 and expected[-1] == pytest.approx(0.0078, abs=5e-5)
    assert expected[-1] / np.exp(3 * 0.41) < tanh[-1].variance < expected[-1] * np.exp(3 * 0.41)
