"""Every registered builder: builds, runs, trains every weight, and survives save/load."""

import subprocess
import sys

import keras
import numpy as np
import pytest

from snn.errors import ConfigError
from snn.models import build_model, list_models, model_arguments

# (8, 8, 1) fits every builder: the MLP flattens images, the CNN convolves them.
INPUT_SHAPE = (8, 8, 1)


# The neural networks; the scikit-learn reference methods have their own tests.
NETWORKS = list_models("snn") + list_models("baseline")


def _small(name, **extra):
    return build_model(name, input_shape=INPUT_SHAPE, num_outputs=3, seed=0,
                       dropout_rate=0.05, **extra)


def _batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((16, *INPUT_SHAPE)).astype("float32"), rng.integers(0, 3, 16)


def test_registry_lists_snn_builders_the_papers_baselines_and_reference_methods():
    assert list_models("snn") == ["snn_cnn", "snn_mlp"]
    assert list_models("baseline") == ["batchnorm_mlp", "highway_mlp", "layernorm_mlp",
                                       "msra_mlp", "resnet_mlp", "weightnorm_mlp"]
    assert list_models("reference") == ["decision_tree", "gradient_boosting", "naive_bayes",
                                        "random_forest", "svm"]
    assert list_models() == sorted(NETWORKS + list_models("reference"))


@pytest.mark.parametrize("name", NETWORKS)
def test_builder_runs_forward_without_nan(name):
    x, _ = _batch()
    y = keras.ops.convert_to_numpy(_small(name)(x, training=True))
    assert y.shape == (16, 3)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)  # softmax head


@pytest.mark.parametrize("name", NETWORKS)
def test_one_training_step_updates_every_weight(name):
    model = _small(name)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    before = [w.numpy().copy() for w in model.trainable_weights]
    model.train_on_batch(*_batch())
    for weight, old in zip(model.trainable_weights, before):
        # Plain SGD changes a weight exactly when its gradient is non-zero.
        assert not np.array_equal(weight.numpy(), old), f"{weight.path} got no gradient"


@pytest.mark.parametrize("name", list_models("snn"))
def test_builder_offers_the_snn_recipe_arguments_with_snn_defaults(name):
    defaults = {argument: default for argument, (_, default) in model_arguments(name).items()}
    assert defaults["dropout_rate"] == 0.0
    assert defaults["kernel_initializer"] == "lecun_uniform"
    assert defaults["output_activation"] == "softmax"
    assert tuple(defaults["fixed_point"]) == (0.0, 1.0)
    assert not {"input_shape", "num_outputs", "seed"} & set(defaults)  # the trainer's


def test_saved_models_load_in_a_fresh_process_with_identical_predictions(tmp_path):
    x, _ = _batch()
    np.save(tmp_path / "x.npy", x)
    models = {name: _small(name) for name in NETWORKS}
    models["custom_fixed_point"] = _small("snn_mlp", fixed_point=[-0.1, 2.0])
    for name, model in models.items():
        model.save(tmp_path / f"{name}.keras")
        np.save(tmp_path / f"{name}.expected.npy", model.predict(x, verbose=0))
    # No custom_objects and safe mode: importing snn.layers registers SELU,
    # FixedPointAlphaDropout and WeightNormDense (README).
    script = (
        "import sys, numpy as np, keras, snn.layers\n"
        "x = np.load(sys.argv[1] + '/x.npy')\n"
        "for name in sys.argv[2:]:\n"
        "    model = keras.saving.load_model(f'{sys.argv[1]}/{name}.keras', safe_mode=True)\n"
        "    np.save(f'{sys.argv[1]}/{name}.loaded.npy', model.predict(x, verbose=0))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path), *models], check=True,
                   capture_output=True, timeout=300)
    for name in models:
        expected = np.load(tmp_path / f"{name}.expected.npy")
        assert np.array_equal(np.load(tmp_path / f"{name}.loaded.npy"), expected), name


def test_mlp_takes_one_width_per_layer():
    model = build_model("snn_mlp", input_shape=(4,), num_outputs=2, depth=3,
                        units=[32, 16, 8])
    assert [model.get_layer(f"dense_{i}").units for i in (1, 2, 3)] == [32, 16, 8]
    with pytest.raises(ConfigError, match=r"model.units: got 2 widths \[32, 16\]; expected "
                                          r"3, one per layer"):
        build_model("snn_mlp", input_shape=(4,), num_outputs=2, depth=3, units=[32, 16])


def _kernel_widths(model):
    """The output width of every Dense kernel, in order (the head last)."""
    return [layer.kernel.shape[1] for layer in model.layers if hasattr(layer, "kernel")]


@pytest.mark.parametrize("name", ["snn_mlp", "msra_mlp"])
def test_conic_layers_shrink_geometrically_from_units_towards_the_outputs(name):
    # 256 * (3 / 256) ** (i / 4) for i = 0..3: 256, 84.23, 27.71, 9.12 (ratio 0.329), and
    # the output layer, 3, would be the next term.
    model = build_model(name, input_shape=(5,), num_outputs=3, depth=4, units=256,
                        layer_form="conic", seed=0)
    assert _kernel_widths(model) == [256, 84, 28, 9, 3]
    with pytest.raises(ConfigError, match=r"model.units: got \[8, 4\]; a conic layer form "
                                          "starts from one width"):
        build_model(name, input_shape=(5,), num_outputs=3, depth=2, units=[8, 4],
                    layer_form="conic")


def test_a_diavolo_residual_block_narrows_its_middle_layer_by_the_bottleneck():
    model = build_model("resnet_mlp", input_shape=(64,), num_outputs=2, depth=2, units=64,
                        block_form="diavolo", bottleneck=0.25, seed=0)
    assert _kernel_widths(model) == [64, 16, 64, 64, 16, 64, 2]  # wide, narrow, wide
    rectangular = build_model("resnet_mlp", input_shape=(64,), num_outputs=2, depth=2,
                              units=64, bottleneck=0.25, seed=0)
    assert _kernel_widths(rectangular) == [64, 64, 64, 64, 2]  # no bottleneck


@pytest.mark.parametrize("name, normalization", [("batchnorm_mlp", "BatchNormalization"),
                                                 ("layernorm_mlp", "LayerNormalization")])
def test_normalization_sits_before_relu_or_after_it(name, normalization):
    # Before: Dense (linear), normalization, ReLU. After (the SNN authors' Figure 1
    # block): Dense with ReLU, then normalization; the output's input is normalized.
    x = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
    before = build_model(name, input_shape=(6,), num_outputs=2, depth=1, units=8, seed=0)
    after = build_model(name, input_shape=(6,), num_outputs=2, depth=1, units=8, seed=0,
                        norm_position="after_activation")
    assert [type(layer).__name__ for layer in before.layers[1:4]] == [
        "Dense", normalization, "ReLU"]
    assert before.layers[1].activation.__name__ == "linear"
    assert [type(layer).__name__ for layer in after.layers[1:3]] == ["Dense", normalization]
    assert after.layers[1].activation.__name__ == "relu"
    hidden = keras.Model(after.inputs, after.layers[2].output)(x, training=True)
    assert np.min(keras.ops.convert_to_numpy(hidden)) < 0  # normalized after the ReLU


@pytest.mark.parametrize("activation", ["sigmoid", "linear"])
def test_output_activation_sets_the_head(activation):
    model = build_model("snn_mlp", input_shape=(4,), num_outputs=2, depth=1, units=8,
                        output_activation=activation)
    assert model.get_layer("output").activation.__name__ == activation


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown model 'snn_mpl'; did you mean 'snn_mlp'\\? "
                                          "known models: "
                                          "batchnorm_mlp, .*, snn_mlp, svm, weightnorm_mlp"):
        build_model("snn_mpl", input_shape=(4,), num_outputs=2)


@pytest.mark.parametrize("arguments, message", [
    ({"depth": 0}, r"model.depth: got 0 \(integer\); expected an integer >= 1"),
    ({"dropout_rate": 1.0}, r"model.dropout_rate: got 1.0 \(number\); expected a number in "
                            r"\[0.0, 1.0\)"),
    ({"dept": 2}, "model.dept: unknown key; did you mean 'depth'"),
    ({"kernel_initializer": "glorot_uniform"},
     "model.kernel_initializer: got 'glorot_uniform'.*'lecun_uniform', 'lecun_normal'"),
])
def test_builder_arguments_are_validated(arguments, message):
    with pytest.raises(ConfigError, match=message):
        build_model("snn_mlp", input_shape=(4,), num_outputs=2, **arguments)


def test_cnn_explains_a_flat_input_shape():
    with pytest.raises(ConfigError, match=r"snn_cnn expects \(height, width, channels\): "
                                          "set data.reshape"):
        build_model("snn_cnn", input_shape=(64,), num_outputs=10)


@pytest.mark.parametrize("name", ["snn_mlp", "msra_mlp", "batchnorm_mlp", "weightnorm_mlp",
                                  "resnet_mlp"])
def test_l2_adds_l2_times_the_squared_kernels_to_the_loss(name):
    # By hand: every Dense kernel's squares (a weight-normalized layer's kernel has row
    # norms g, so its squares sum to sum(g ** 2)); no bias, no normalization parameter.
    model = build_model(name, input_shape=(5,), num_outputs=3, depth=2, units=4, l2=0.01,
                        seed=0)
    expected = 0.0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            expected += np.sum(np.square(layer.kernel.numpy()))
        elif type(layer).__name__ == "WeightNormDense":
            expected += np.sum(np.square(layer.g.numpy()))
    assert expected > 0
    penalty = sum(float(keras.ops.convert_to_numpy(loss)) for loss in model.losses)
    assert penalty == pytest.approx(0.01 * expected, rel=1e-5)
    unpenalized = build_model(name, input_shape=(5,), num_outputs=3, depth=2, units=4, seed=0)
    assert unpenalized.losses == []


def test_weight_norm_kernel_has_length_g_per_unit():
    from snn.layers import WeightNormDense

    layer = WeightNormDense(3, kernel_initializer=keras.initializers.HeNormal(seed=0))
    x = np.eye(4, dtype="float32")  # rows of the identity: outputs are the kernel's rows
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), layer.v.numpy(),
                               rtol=1e-5)  # g starts at ||v||: the kernel starts as v
    layer.g.assign(np.array([1.0, 2.0, 3.0], "float32"))
    kernel = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(np.linalg.norm(kernel, axis=0), [1.0, 2.0, 3.0], rtol=1e-5)


def test_highway_gates_start_closed_and_carry_is_one_minus_gate():
    model = build_model("highway_mlp", input_shape=(4,), num_outputs=2, depth=2, units=8,
                        seed=0)
    assert np.all(model.get_layer("block_2_t").bias.numpy() == -2.0)
    gate = np.array([[0.1, 0.7]], "float32")
    carry = keras.ops.convert_to_numpy(model.get_layer("block_2_carry")(gate))
    np.testing.assert_allclose(carry, [[0.9, 0.3]], rtol=1e-6)


@pytest.mark.parametrize("name, layer_type, count", [
    ("batchnorm_mlp", keras.layers.BatchNormalization, 3),
    ("layernorm_mlp", keras.layers.LayerNormalization, 3),
    ("resnet_mlp", keras.layers.Add, 3),
])
def test_baselines_have_one_such_layer_per_block(name, layer_type, count):
    model = build_model(name, input_shape=(4,), num_outputs=2, depth=3, units=8, seed=0)
    assert sum(isinstance(layer, layer_type) for layer in model.layers) == count
