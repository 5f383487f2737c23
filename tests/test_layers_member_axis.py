"""Member-axis layers: K networks' Dense layers and alpha dropout computed at once."""

import keras
import numpy as np
import pytest

from snn.layers import FixedPointAlphaDropout
from snn.layers.alpha_dropout import mask_rate
from snn.layers.member_axis import MemberAlphaDropout, MemberDense
from snn.theory import ALPHA, SCALE, alpha_dropout_affine


def test_member_dense_computes_each_members_own_affine_map_and_activation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 4)).astype("float32")  # 3 members, 5 rows, fan_in 4
    layer = MemberDense(3, 2, activation="selu")
    layer.build(x.shape)
    kernel = rng.standard_normal((3, 4, 2)).astype("float32")
    bias = rng.standard_normal((3, 1, 2)).astype("float32")
    layer.kernel.assign(kernel)
    layer.bias.assign(bias)
    y = keras.ops.convert_to_numpy(layer(x))
    assert y.shape == (3, 5, 2)
    for k in range(3):  # by hand: SELU(x_k W_k + b_k), eq. (2) of the paper
        z = x[k].astype(np.float64) @ kernel[k] + bias[k]
        expected = SCALE * np.where(z > 0, z, ALPHA * np.expm1(np.minimum(z, 0)))
        np.testing.assert_allclose(y[k], expected, rtol=1e-5, atol=1e-6)


def test_member_dense_penalizes_the_sum_of_its_members_kernels():
    layer = MemberDense(2, 3, kernel_regularizer=keras.regularizers.L2(0.5))
    layer.build((2, 1, 4))
    kernel = np.arange(24, dtype="float32").reshape(2, 4, 3) / 10
    layer.kernel.assign(kernel)
    assert float(sum(layer.losses)) == pytest.approx(0.5 * np.sum(kernel ** 2), rel=1e-6)


def test_member_alpha_dropout_keeps_each_members_fixed_point_at_its_own_rate():
    # Two members of 500,000 units each: SE(mean) = 0.0014 and SE(variance) <= 0.0019
    # (the output's kurtosis is 2.3-2.7 at these rates, in closed form), so 0.01 is at
    # least 5 standard errors. The dropped fraction's standard error is <= 0.0006.
    rates = [0.05, 0.2]
    x = np.random.default_rng(0).standard_normal((2, 500, 1000)).astype("float32")
    layer = MemberAlphaDropout(rates, [1, 2], 0.0, 1.0, ALPHA, SCALE)
    y = keras.ops.convert_to_numpy(layer(x, training=True))
    for k, rate in enumerate(rates):
        a, b = alpha_dropout_affine(mask_rate(rate))
        dropped = np.isclose(y[k], a * -SCALE * ALPHA + b, atol=1e-6)
        assert dropped.mean() == pytest.approx(rate, abs=0.005)
        assert y[k].mean() == pytest.approx(0.0, abs=0.01)
        assert y[k].var() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)


def test_a_member_at_rate_zero_passes_through_in_training():
    x = np.random.default_rng(1).standard_normal((2, 8, 16)).astype("float32")
    layer = MemberAlphaDropout([0.5, 0.0], [3, None], 0.0, 1.0, ALPHA, SCALE)
    y = keras.ops.convert_to_numpy(layer(x, training=True))
    np.testing.assert_array_equal(y[1], x[1])
    assert not np.allclose(y[0], x[0])


def test_each_member_draws_the_masks_of_its_own_alpha_dropout_layer_seeded_alike():
    x = np.random.default_rng(2).standard_normal((2, 6, 32)).astype("float32")
    layer = MemberAlphaDropout([0.1, 0.3], [7, 8], 0.0, 1.0, ALPHA, SCALE)
    own = [FixedPointAlphaDropout(0.1, seed=7), FixedPointAlphaDropout(0.3, seed=8)]
    for _ in range(2):  # the second call draws the second masks of each generator
        y = keras.ops.convert_to_numpy(layer(x, training=True))
        for k in range(2):
            expected = keras.ops.convert_to_numpy(own[k](x[k], training=True))
            np.testing.assert_allclose(y[k], expected, rtol=1e-6, atol=1e-6)
