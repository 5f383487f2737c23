"""The SNN recipe: LeCun kernels, zero biases, alpha dropout, and self-normalization at init."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from snn.data import Standardization
from snn.layers import SELU, FixedPointAlphaDropout, SeedStream
from snn.layers.alpha_dropout import alpha_dropout_mask, mask_rate
from snn.models import build_model
from snn.theory import alpha_dropout_affine, selu_parameters


def _kernels(model):
    return {layer.name: layer.kernel.numpy() for layer in model.layers
            if hasattr(layer, "kernel")}


def _fan_in(kernel):
    # Dense: (in, out); Conv2D: (kh, kw, in_channels, filters).
    return int(np.prod(kernel.shape[:-1]))


def _variance_tolerance(kernel, relative_variance_of_square):
    """3% as asked, or 3 standard errors of the sample variance for small kernels.

    For N weights, the sample mean of w^2 has relative standard error
    sqrt(Var(w^2) / E[w^2]^2 / N); for U(-l, l) Var(w^2) / E[w^2]^2 = 4/5.
    """
    return max(0.03, 3 * np.sqrt(relative_variance_of_square / kernel.size))


@pytest.fixture(scope="module")
def builder_models():
    return [
        build_model("snn_mlp", input_shape=(64,), num_outputs=10, depth=3, units=512, seed=0),
        build_model("snn_cnn", input_shape=(8, 8, 1), num_outputs=10, filters=[32, 64],
                    dense_units=[256], seed=0),
    ]


def test_lecun_uniform_kernels_are_bounded_with_variance_one_over_fan_in(builder_models):
    for model in builder_models:
        for name, kernel in _kernels(model).items():
            fan_in = _fan_in(kernel)
            assert np.abs(kernel).max() <= np.sqrt(3 / fan_in), name
            scaled_variance = kernel.var() * fan_in
            assert scaled_variance == pytest.approx(1, abs=_variance_tolerance(kernel, 0.8)), name


def test_lecun_normal_kernels_have_variance_one_over_fan_in():
    model = build_model("snn_mlp", input_shape=(64,), num_outputs=10, depth=2, units=512,
                        kernel_initializer="lecun_normal", seed=0)
    for name, kernel in _kernels(model).items():
        # Var(w^2) / E[w^2]^2 is 2 for a normal; truncation at 2 sigma only lowers it.
        tolerance = _variance_tolerance(kernel, 2.0)
        assert kernel.var() * _fan_in(kernel) == pytest.approx(1, abs=tolerance), name


def test_biases_start_at_zero(builder_models):
    for model in builder_models:
        for layer in model.layers:
            if hasattr(layer, "bias"):
                assert not np.any(layer.bias.numpy()), layer.name


def test_every_hidden_layer_feeds_a_standard_selu_and_head_is_softmax(builder_models):
    for model in builder_models:
        for layer in model.layers:
            if not hasattr(layer, "kernel"):
                continue
            if layer.name == "output":
                assert layer.activation.__name__ == "softmax"
                continue
            assert layer.activation.__name__ == "linear", layer.name
            selu = model.get_layer(f"{layer.name}_selu")
            assert isinstance(selu, SELU) and selu.input is layer.output, layer.name
            assert (selu.alpha, selu.scale) == pytest.approx((1.6732632423543772,
                                                               1.0507009873554805))


def test_same_shape_kernels_differ_and_seed_fixes_them():
    def kernels(seed):
        model = build_model("snn_mlp", input_shape=(64,), num_outputs=10, depth=3,
                            units=256, seed=seed)
        return _kernels(model)

    first = kernels(0)
    assert first["dense_2"].shape == first["dense_3"].shape
    assert not np.array_equal(first["dense_2"], first["dense_3"])
    again = kernels(0)
    assert all(np.array_equal(first[name], again[name]) for name in first)
    assert not np.array_equal(first["dense_2"], kernels(1)["dense_2"])


def test_seed_stream_gives_distinct_reproducible_seeds():
    seeds = [SeedStream(7).next() for _ in range(2)]
    assert seeds[0] == seeds[1]
    stream = SeedStream(7)
    assert len({stream.next() for _ in range(100)}) == 100
    assert SeedStream(None).next() is None


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.2, 0.5])
def test_alpha_dropout_keeps_zero_mean_and_unit_variance(rate):
    # 10^6 samples: the standard error of the mean is ~0.001 and of the variance ~0.002 even
    # at rate 0.5 (fourth moment ~5), so 0.01 is a margin of about 5 standard errors.
    x = np.random.default_rng(0).standard_normal((1000, 1000)).astype("float32")
    layer = FixedPointAlphaDropout(rate, seed=1)
    y = keras.ops.convert_to_numpy(layer(x, training=True))
    # Dropped units sit at the saturation value a * alpha' + b, alpha' = -scale * alpha
    # (paper, Section 3, "Alpha-dropout"); the fraction's standard error is <= 0.0005, and
    # the 16-bit masks move the rate by less than 1e-5.
    alpha_prime = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_prime**2)) ** -0.5
    saturated = np.isclose(y, a * alpha_prime - a * alpha_prime * rate, atol=1e-6)
    assert saturated.mean() == pytest.approx(rate, abs=0.005)
    assert y.mean() == pytest.approx(0.0, abs=0.01)
    assert y.var() == pytest.approx(1.0, abs=0.01)
    assert np.array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)


def test_alpha_dropout_trains_with_a_ragged_last_batch():
    # 10 examples in batches of 4: the last batch has 2 rows, so the dropout mask must take
    # its shape from the runtime batch (Keras >= 3.15, see pyproject.toml).
    model = build_model("snn_mlp", input_shape=(3,), num_outputs=2, depth=2, units=8,
                        dropout_rate=0.2, seed=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((10, 3)).astype("float32")
    history = model.fit(x, np.arange(10) % 2, batch_size=4, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_recipe_puts_alpha_dropout_after_every_hidden_layer_only_when_rate_positive():
    model = build_model("snn_mlp", input_shape=(8,), num_outputs=3, depth=3, units=16,
                        dropout_rate=0.1, seed=0)
    dropouts = [layer for layer in model.layers if isinstance(layer, FixedPointAlphaDropout)]
    assert [layer.name for layer in dropouts] == ["dense_1_dropout", "dense_2_dropout",
                                                  "dense_3_dropout"]
    assert all(layer.rate == 0.1 for layer in dropouts)
    assert all(layer.input is model.get_layer(f"dense_{i}_selu").output
               for i, layer in enumerate(dropouts, start=1))
    plain = build_model("snn_mlp", input_shape=(8,), num_outputs=3, depth=3, units=16, seed=0)
    assert not any(isinstance(layer, FixedPointAlphaDropout) for layer in plain.layers)


def test_32_layer_snn_keeps_activations_near_zero_mean_unit_variance_at_init():
    # Paper, Theorem 1: with omega ~ 0 and tau ~ 1 (LeCun init) the SELU moment mapping has
    # an attracting fixed point at (0, 1), so the statistics stay there at every depth.
    x = load_digits().data.astype("float32")
    x = Standardization.fit(x).apply(x)  # real, standardized inputs
    model = build_model("snn_mlp", input_shape=(64,), num_outputs=10, depth=32, units=256,
                        seed=0)
    hidden = [model.get_layer(f"dense_{i}_selu").output for i in range(1, 33)]
    activations = keras.Model(model.inputs, hidden).predict(x, verbose=0)
    for depth, values in enumerate(activations, start=1):
        assert values.mean() == pytest.approx(0.0, abs=0.1), f"layer {depth} mean"
        assert values.var() == pytest.approx(1.0, abs=0.15), f"layer {depth} variance"


def test_selu_layer_with_default_constants_is_keras_selu():
    x = np.linspace(-20, 20, 4001, dtype="float32").reshape(-1, 1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(SELU()(x)),
                               keras.ops.convert_to_numpy(keras.activations.selu(x)),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("constants", [(), (2.3, 0.98)])
def test_selu_layer_computes_bfloat16_inputs_in_float32(constants):
    x = np.linspace(-6, 6, 4001, dtype="float32").reshape(-1, 1)
    half = keras.ops.cast(x, "bfloat16")
    out = SELU(*constants, dtype="mixed_bfloat16")(half)
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"
    # The float32 SELU of the bfloat16 inputs, rounded once: bfloat16 arithmetic inside
    # would round exp and the products too (up to 2^-8 relative each).
    expected = SELU(*constants)(keras.ops.cast(half, "float32"))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(keras.ops.cast(out, "float32")),
        keras.ops.convert_to_numpy(keras.ops.cast(keras.ops.cast(expected, "bfloat16"),
                                                  "float32")))


def test_selu_layer_has_finite_gradients_for_large_inputs():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones"),
                              SELU(2.0, 0.9)])
    model.compile(optimizer=keras.optimizers.SGD(1e-6), loss="mse")
    model.train_on_batch(np.array([[200.0], [-200.0]], "float32"), np.zeros((2, 1)))
    # A NaN gradient would have turned the weights into NaN.
    assert all(np.all(np.isfinite(w.numpy())) for w in model.trainable_weights)


def test_fixed_point_alpha_dropout_with_defaults_is_keras_alpha_dropout_given_its_mask():
    # Keras' layer draws its mask from uniform floats, ours from 16-bit integers: with the
    # mask ours drew, Keras' formula (x kept, else alpha'; then a x + b for Keras' rate 0.2,
    # which differs from the 16-bit rate by 3e-6) gives our outputs within float rounding.
    x = np.random.default_rng(0).standard_normal((64, 32)).astype("float32")
    ours = keras.ops.convert_to_numpy(FixedPointAlphaDropout(0.2, seed=5)(x, training=True))
    kept = keras.ops.convert_to_numpy(alpha_dropout_mask(x.shape, 0.2, 5))
    alpha_prime = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_prime**2)) ** -0.5
    np.testing.assert_allclose(ours, a * np.where(kept, x, alpha_prime) - a * alpha_prime * 0.2,
                               rtol=1e-5, atol=1e-5)
    assert 0 < (~kept).sum() < kept.size


@pytest.mark.parametrize("seed", [0, 1])
def test_alpha_dropout_masks_drop_the_rate_with_independent_halves_of_each_word(seed):
    # 4 x 10^6 draws: the dropped fraction's standard error at rate 0.05 is 1.1e-4, so 5e-4
    # is 4.5 of them, and 7e-4 for each half (2 x 10^6 draws, SE 1.5e-4).
    kept = keras.ops.convert_to_numpy(alpha_dropout_mask((2000, 2001), 0.05, seed))
    assert kept.shape == (2000, 2001)
    assert 1 - kept.mean() == pytest.approx(0.05, abs=5e-4)
    low, high = kept[:, :1000], kept[:, 1001:]  # unit j and j + 1001: one 32-bit word
    assert 1 - low.mean() == pytest.approx(0.05, abs=7e-4)
    assert 1 - high.mean() == pytest.approx(0.05, abs=7e-4)
    # Both halves dropped with probability rate^2 = 0.0025 (SE 3.5e-5 over 2 x 10^6
    # pairs); halves that were one draw would give 0.05.
    assert (~low & ~high).mean() == pytest.approx(0.05**2, abs=2e-4)
    assert mask_rate(0.05) == 3277 / 2**16
    assert mask_rate(0.0) == 0.0 and mask_rate(0.9999999) == (2**16 - 1) / 2**16


def _dropout_moments(rate, mean, variance, saturation, a, b):
    """Mean, variance and kurtosis of a * z + b, where z ~ N(mean, variance) is kept with
    probability 1 - rate and otherwise set to `saturation` (closed form of the mixture)."""
    keep = 1 - rate
    z_mean = keep * mean + rate * saturation
    shift = mean - z_mean
    z_variance = keep * (variance + shift**2) + rate * (saturation - z_mean) ** 2
    fourth = (keep * (shift**4 + 6 * shift**2 * variance + 3 * variance**2)
              + rate * (saturation - z_mean) ** 4)
    return a * z_mean + b, a * a * z_variance, fourth / z_variance**2


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.2])
def test_fixed_point_alpha_dropout_keeps_mean_minus_0_1_and_variance_2(rate):
    mean, variance = -0.1, 2.0
    alpha, scale = selu_parameters(mean, variance)
    x = np.random.default_rng(0).normal(mean, np.sqrt(variance), (1000, 1000)).astype("float32")
    layer = FixedPointAlphaDropout(rate, mean, variance, alpha, scale, seed=1)
    y = keras.ops.convert_to_numpy(layer(x, training=True)).astype(np.float64)
    # N = 10^6: SE(mean) = sqrt(2 / N) = 0.0014; SE(variance) = variance * sqrt((k - 1) / N)
    # with the output's kurtosis k = 2.4-2.8 here (mixture of a normal and a point mass, in
    # closed form), at most 0.0027. Tolerances: 5 standard errors.
    kurtosis = _dropout_moments(rate, mean, variance, -scale * alpha,
                                *alpha_dropout_affine(rate, mean, variance, alpha, scale))[2]
    mean_tolerance = 5 * np.sqrt(variance / y.size)
    variance_tolerance = 5 * variance * np.sqrt((kurtosis - 1) / y.size)
    assert y.mean() == pytest.approx(mean, abs=mean_tolerance)
    assert y.var() == pytest.approx(variance, abs=variance_tolerance)
    # The (0, 1) correction a layer might wrongly apply gives, in closed form, a mean 9-26
    # and a variance 85-235 standard errors away: these tolerances exclude it.
    wrong = _dropout_moments(rate, mean, variance, -scale * alpha,
                             *alpha_dropout_affine(rate, 0.0, 1.0, alpha, scale))
    assert abs(wrong[0] - mean) > 1.5 * mean_tolerance
    assert abs(wrong[1] - variance) > 10 * variance_tolerance


def test_16_layer_fixed_point_network_with_dropout_stays_at_minus_0_1_and_2():
    model = build_model("snn_mlp", input_shape=(512,), num_outputs=2, seed=0, depth=16,
                        units=512, dropout_rate=0.1, fixed_point=[-0.1, 2.0])
    assert isinstance(model.get_layer("dense_1_dropout"), FixedPointAlphaDropout)
    (inputs,) = model.inputs
    probe = keras.Model(inputs, [model.get_layer(f"dense_{i}_dropout").output
                                 for i in range(1, 17)])
    x = np.random.default_rng(0).normal(-0.1, np.sqrt(2), (1000, 512)).astype("float32")
    outputs = probe(x, training=True)  # dropout active
    # Sampling error is small (512,000 values per layer), but one set of random 512-wide
    # weights shifts each layer's moments by O(1/sqrt(512)): seeds 0-3 stay within 0.015
    # of the mean and 0.035 of the variance, so the 50-layer test's 0.05 and 0.1 hold on
    # every backend. A (0, 1) correction in the dropout would give a variance of 1.63 at
    # layer 1 and 1.23 from layer 8 on (moment map and dropout iterated, snn.theory).
    for depth, values in enumerate(outputs, start=1):
        values = keras.ops.convert_to_numpy(values).astype(np.float64)
        assert values.mean() == pytest.approx(-0.1, abs=0.05), f"layer {depth} mean"
        assert values.var() == pytest.approx(2.0, abs=0.1), f"layer {depth} variance"


def _rebuilt(layer):
    """`layer` rebuilt from its config, directly and through Keras' registered serialization."""
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == f"snn>{type(layer).__name__}"
    return [type(layer).from_config(layer.get_config()),
            keras.saving.deserialize_keras_object(serialized)]


def test_selu_rebuilt_from_its_config_computes_the_same_outputs():
    x = np.linspace(-5, 5, 2001, dtype="float32").reshape(-1, 1)  # both branches of SELU
    layer = SELU(2.3, 0.98, name="s")
    expected = keras.ops.convert_to_numpy(layer(x))
    for clone in _rebuilt(layer):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(clone(x)), expected)
    # A rebuild that lost the constants would be the standard SELU, which differs here.
    assert not np.allclose(keras.ops.convert_to_numpy(SELU()(x)), expected, atol=1e-3)


def test_fixed_point_alpha_dropout_rebuilt_from_its_config_draws_the_same_masks():
    x = np.random.default_rng(0).standard_normal((64, 32)).astype("float32")

    def output(layer):
        return keras.ops.convert_to_numpy(layer(x, training=True))

    def layer(**changes):
        arguments = dict(rate=0.1, mean=-0.1, variance=2.0, alpha=2.3, scale=0.98, seed=3)
        return FixedPointAlphaDropout(**{**arguments, **changes}, name="d")

    original = layer()
    clones = _rebuilt(original)  # from the config of a fresh layer: same seed, same state
    expected = output(original)
    for clone in clones:
        np.testing.assert_array_equal(output(clone), expected)
    # Another seed draws another mask, another fixed point another affine map: a rebuild
    # that lost either (seed=None, or the defaults (0, 1)) would fail the equality above.
    for changed in (layer(seed=4), layer(mean=0.0, variance=1.0), layer(alpha=1.9)):
        assert not np.allclose(output(changed), expected, atol=1e-3)


def test_fixed_point_alpha_dropout_rejects_a_bad_rate():
    with pytest.raises(ValueError, match=r"rate: got 1.0; expected a number in \[0, 1\)"):
        FixedPointAlphaDropout(1.0)


def _statistics(model, layer_name, x):
    """Mean and variance of one layer's activations on `x`, pooled over examples and units."""
    values = keras.Model(model.inputs, model.get_layer(layer_name).output).predict(
        x, batch_size=500, verbose=0)
    return values.mean(), values.var()


def test_100_layer_snn_pulls_mean_2_variance_9_inputs_to_0_1():
    # Theorem 1: (0, 1) attracts; the moment map needs ~30 layers from (2, 9) (see
    # test_theory), 100 leave finite-width fluctuations only (width 1024: a few 0.01).
    x = np.random.default_rng(0).normal(2.0, 3.0, (1000, 1024)).astype("float32")
    model = build_model("snn_mlp", input_shape=(1024,), num_outputs=2, depth=100, units=1024,
                        seed=0)
    mean, variance = _statistics(model, "dense_100_selu", x)
    assert mean == pytest.approx(0.0, abs=0.05)
    assert variance == pytest.approx(1.0, abs=0.1)


def test_50_layer_network_for_fixed_point_minus_0_1_and_2_settles_there():
    x = np.random.default_rng(0).standard_normal((1000, 1000)).astype("float32")
    model = build_model("snn_mlp", input_shape=(1000,), num_outputs=2, depth=50, units=1000,
                        fixed_point=[-0.1, 2.0], seed=0)
    assert isinstance(model.get_layer("dense_50_selu"), SELU)
    mean, variance = _statistics(model, "dense_50_selu", x)
    assert mean == pytest.approx(-0.1, abs=0.05)
    assert variance == pytest.approx(2.0, abs=0.1)


def test_fixed_point_models_save_and_load_with_dropout(tmp_path):
    model = build_model("snn_mlp", input_shape=(8,), num_outputs=2, depth=2, units=16,
                        dropout_rate=0.1, fixed_point=[-0.1, 2.0], seed=0)
    assert isinstance(model.get_layer("dense_1_dropout"), FixedPointAlphaDropout)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = np.ones((3, 8), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
