"""Networks of one architecture on one member axis: grouped by architecture, each member
computing what its own model computes."""

import keras
import numpy as np
import pytest

from snn.layers import FixedPointAlphaDropout
from snn.models import build_model
from snn.models.member_axis import MemberAxisNetwork, member_axis_groups


def _mlp(**arguments):
    return build_model("snn_mlp", **{"input_shape": (5,), "num_outputs": 3, "depth": 3,
                                     "units": 8, **arguments})


def test_models_differing_in_seed_and_dropout_rate_share_an_architecture():
    models = [_mlp(dropout_rate=0.05, seed=0), _mlp(seed=1), _mlp(dropout_rate=0.1, seed=2),
              _mlp(depth=2, seed=3),                        # another depth
              _mlp(fixed_point=[0.0, 2.0], seed=4),         # another SELU
              _mlp(l2=0.01, seed=5),                        # another penalty
              build_model("msra_mlp", input_shape=(5,), num_outputs=3, depth=3, units=8),
              build_model("snn_cnn", input_shape=(8, 8, 1), num_outputs=3),  # Conv2D
              _mlp(l2=0.01, dropout_rate=0.2, seed=6)]
    assert member_axis_groups(models) == [[0, 1, 2], [3], [4], [5, 8], [6], [7]]


def test_alpha_dropout_restoring_another_fixed_point_does_not_share_a_member_axis():
    # The same layers, one model with dropout that restores (0, 1) and one with dropout
    # that restores (-0.1, 2): one MemberAlphaDropout cannot do both. Without dropout, a
    # model joins either. Keras' AlphaDropout draws other masks than the member axis: its
    # model trains on its own.
    dropouts = [FixedPointAlphaDropout(0.1),
                FixedPointAlphaDropout(0.1, -0.1, 2.0),
                None,
                keras.layers.AlphaDropout(0.1)]
    models = []
    for dropout in dropouts:
        inputs = keras.Input((5,))
        x = keras.layers.Dense(8, activation="selu")(inputs)
        x = dropout(x) if dropout else x
        models.append(keras.Model(inputs, keras.layers.Dense(3)(x)))
    assert member_axis_groups(models) == [[0, 2], [1], [3]]


@pytest.fixture
def members():
    """Three models of one architecture, their network and inputs (one per member)."""
    models = [_mlp(dropout_rate=0.05, seed=0), _mlp(seed=1), _mlp(dropout_rate=0.1, seed=2)]
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((7, 5)).astype("float32") for _ in models]
    network = MemberAxisNetwork(models, "members")
    network(inputs)  # builds its layers
    network.load()
    return models, network, inputs


def test_each_member_computes_what_its_own_model_computes(members):
    models, network, inputs = members
    for model, x, y in zip(models, inputs, network(inputs)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(y),
                                   keras.ops.convert_to_numpy(model(x)), rtol=1e-6, atol=1e-6)


def test_each_member_drops_the_units_its_own_model_drops_in_training(members):
    models, network, inputs = members
    # Fresh models seeded alike: their dropout layers draw the masks from the start.
    fresh = [_mlp(dropout_rate=0.05, seed=0), _mlp(seed=1), _mlp(dropout_rate=0.1, seed=2)]
    x = keras.ops.stack(inputs)
    for layer in network.layers:
        x = layer(x, training=True) if "dropout" in layer.name else layer(x)
    for k, (model, x_k) in enumerate(zip(fresh, inputs)):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(x[k]),
                                   keras.ops.convert_to_numpy(model(x_k, training=True)),
                                   rtol=1e-5, atol=1e-6)


def test_unload_copies_only_the_given_members_slices_back(members):
    models, network, _ = members
    before = [model.get_weights() for model in models]
    for variable in network.trainable_variables:
        variable.assign(variable + 1.0)
    network.unload([1])
    for mine, theirs in zip(models[1].get_weights(), before[1]):
        np.testing.assert_allclose(mine, theirs + 1.0, rtol=1e-6)
    for k in (0, 2):
        for mine, theirs in zip(models[k].get_weights(), before[k]):
            np.testing.assert_array_equal(mine, theirs)


def test_a_members_penalty_is_its_own_models_l2_penalty():
    models = [_mlp(l2=0.01, seed=0), _mlp(l2=0.01, seed=1)]
    network = MemberAxisNetwork(models, "members")
    network([np.zeros((1, 5), "float32")] * 2)
    network.load()
    for k, model in enumerate(models):
        kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
        by_hand = 0.01 * sum(np.sum(keras.ops.convert_to_numpy(w) ** 2) for w in kernels)
        assert float(network.penalty(k)()) == pytest.approx(by_hand, rel=1e-5)
    assert MemberAxisNetwork([_mlp(), _mlp(seed=1)], "plain").penalty(0) is None


def test_members_built_in_mixed_bfloat16_compute_in_bfloat16_with_a_float32_head():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        models = [_mlp(seed=0), _mlp(seed=1)]
    finally:
        keras.config.set_dtype_policy(previous)
    network = MemberAxisNetwork(models, "members")
    x = np.random.default_rng(3).standard_normal((7, 5)).astype("float32")
    outputs = network([x, x])
    network.load()
    outputs = network([x, x])
    policies = [layer.dtype_policy.name for layer in network.layers]
    assert policies == ["mixed_bfloat16"] * (len(policies) - 1) + ["float32"]
    assert len(policies) > 2
    for model, y in zip(models, outputs):
        assert keras.backend.standardize_dtype(y.dtype) == "float32"
        # The same bfloat16 products, summed in another order: bfloat16's 2^-8 rounding.
        np.testing.assert_allclose(keras.ops.convert_to_numpy(y),
                                   keras.ops.convert_to_numpy(model(x)), atol=2e-2)
