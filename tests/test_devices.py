"""Placing training on devices: data parallelism over several replicas."""

import contextlib
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from snn.config import load_config
from snn.devices import distribution_scope
from snn.errors import ConfigError
from snn.training import train

# Trains the same small SNN (no dropout, so both see the same function) on one device and
# data-parallel on two CPU devices, from the same initial weights; prints what differs.
_COMPARE = """
import json, sys
import numpy as np
if sys.argv[1] == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from snn.config import load_config
from snn.training import train
weights = {}
for distribution in ("none", "mirrored"):
    config = load_config(sys.argv[2], [f"training.distribution={distribution}",
                                       f"training.backend={sys.argv[1]}"])
    run = f"{sys.argv[3]}/{distribution}"
    train(config, run, verbose=0)
    replicas = json.load(open(f"{run}/environment.json"))["replicas"]
    weights[distribution] = (replicas, keras.saving.load_model(f"{run}/model.keras").get_weights())
from snn.training import prepare
initial = prepare(load_config(sys.argv[2])).model.get_weights()
def largest_change(before, after):
    return max(float(np.abs(a - b).max()) for a, b in zip(before, after))
print(json.dumps({
    "replicas": [weights[d][0] for d in ("none", "mirrored")],
    "difference": largest_change(weights["none"][1], weights["mirrored"][1]),
    "update": largest_change(initial, weights["none"][1]),
}))
"""

_CONFIG = """name: parallel
seed: 3
data: {source: sklearn, name: digits, validation_fraction: 0.2, test_fraction: 0.2,
       standardize: global}
model: {name: snn_mlp, depth: 3, units: 64, dropout_rate: 0.0}
training: {optimizer: sgd, learning_rate: 0.05, batch_size: 64, epochs: 2,
           early_stopping: null}
"""


@pytest.mark.parametrize("backend, environment", [
    ("tensorflow", {}),
    ("jax", {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}),
])
def test_mirrored_training_on_two_devices_matches_one_device(tmp_path, backend, environment):
    config = _write(tmp_path, _CONFIG)
    done = subprocess.run(
        [sys.executable, "-c", _COMPARE, backend, str(config), str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, **environment, "KERAS_BACKEND": backend})
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == [1, 2]
    # Averaging the replicas' gradients of half batches gives the full batch's gradient:
    # the runs differ only by float32 summation order (measured: 0.2% of the largest weight
    # change on TensorFlow, 0.7% on JAX, after 28 steps). Summing instead of averaging
    # would double every step: a difference of the order of the change itself.
    assert result["difference"] < 0.05 * result["update"]


def test_data_parallelism_is_refused_where_keras_has_none(monkeypatch):
    monkeypatch.setattr("keras.backend.backend", lambda: "torch")
    with pytest.raises(ConfigError, match="'mirrored', which needs the tensorflow or jax"):
        with distribution_scope("mirrored"):
            pass


def test_a_batch_that_does_not_split_over_the_replicas_is_refused(tmp_path, monkeypatch):
    # One replica here: a batch size is always a multiple of it, so ask for three.
    monkeypatch.setattr("snn.training.distribution_scope", _replicas(3))
    config = load_config(_write(tmp_path, _CONFIG), ["training.batch_size=64"])
    with pytest.raises(ConfigError, match="batch_size: got 64; .* multiple of 3"):
        train(config, tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()


def _write(directory, text):
    path = directory / "parallel.yaml"
    path.write_text(text)
    return path


def _replicas(count):
    @contextlib.contextmanager
    def scope(distribution):
        yield count
    return scope
