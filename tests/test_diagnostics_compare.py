"""The same architecture with ReLU + He and tanh + Glorot, for comparison with the SNN."""

import numpy as np

from snn.diagnostics import compare_activations, with_activation
from snn.diagnostics.compare import ALTERNATIVES
from snn.models import build_model


def test_with_activation_keeps_the_architecture_and_replaces_hidden_activations():
    model = build_model("snn_mlp", input_shape=(8,), num_outputs=3, depth=3, units=16,
                        dropout_rate=0.1, seed=0)
    relu = with_activation(model, "relu", ALTERNATIVES["ReLU + He"][1])
    assert [layer.name for layer in relu.layers] == [layer.name for layer in model.layers]
    assert [relu.get_layer(f"dense_{i}").activation.__name__ for i in (1, 2, 3)] == ["relu"] * 3
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
