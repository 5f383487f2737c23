"""Per-layer activation statistics, their plot, and the training-time callback."""

import keras
import numpy as np
import pytest

from snn.diagnostics import hidden_activation_layers, layer_statistics, plot_statistics
from snn.models import build_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _identity_relu_model():
    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(2, activation="relu", kernel_initializer="identity", name="hidden"),
        keras.layers.Dense(1, name="output"),
    ])
    return model


def test_statistics_are_computed_by_hand_on_a_tiny_model():
    x = np.array([[1.0, -2.0], [3.0, 4.0]], "float32")
    (stats,) = layer_statistics(_identity_relu_model(), x)
    # relu(x) = [[1, 0], [3, 4]]: mean 2, variance ((1-2)^2 + 4 + 1 + 4) / 4 = 2.5, one zero.
    assert stats.layer == "hidden"
    assert stats.mean == pytest.approx(2.0)
    assert stats.variance == pytest.approx(2.5)
    assert stats.saturation == pytest.approx(0.25)


def test_hidden_layers_exclude_the_output_and_include_custom_selu_layers():
    model = build_model("snn_mlp", input_shape=(4,), num_outputs=2, depth=3, units=8,
                        fixed_point=[-0.1, 2.0], seed=0)
    assert [layer.name for layer in hidden_activation_layers(model)] == [
        "dense_1_selu", "dense_2_selu", "dense_3_selu"]


def test_selu_saturation_counts_units_at_the_negative_bound():
    model = build_model("snn_mlp", input_shape=(4,), num_outputs=2, depth=1, units=8, seed=0)
    weights = model.get_layer("dense_1").get_weights()
    model.get_layer("dense_1").set_weights([np.ones_like(weights[0]), weights[1]])
    (stats,) = layer_statistics(model, np.full((10, 4), -5.0, "float32"))
    # Pre-activation -20: SELU is within 1e-8 of -scale * alpha for every unit.
    assert stats.saturation == 1.0


def test_deep_snn_statistics_stay_near_the_fixed_point():
    x = np.random.default_rng(0).standard_normal((1000, 32)).astype("float32")
    model = build_model("snn_mlp", input_shape=(32,), num_outputs=2, depth=16, units=256,
                        seed=0)
    stats = layer_statistics(model, x)
    assert len(stats) == 16
    assert all(abs(s.mean) < 0.1 and abs(s.variance - 1) < 0.15 for s in stats)


def test_plot_is_a_png(tmp_path):
    x = np.random.default_rng(0).standard_normal((100, 4)).astype("float32")
    stats = layer_statistics(build_model("snn_mlp", input_shape=(4,), num_outputs=2, depth=3,
                                         units=8, seed=0), x)
    plot_statistics({"a": stats, "b": stats}, tmp_path / "p.png", "title")
    assert (tmp_path / "p.png").read_bytes().startswith(PNG_SIGNATURE)
