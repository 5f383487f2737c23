"""Placing training on devices: data parallelism over several replicas."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT
from snn.config import load_config
from snn.distributed import (WORKER_VARIABLES, Topology, WorkerTopology, bfloat16_in_hardware,
                             cpu_flags, distribution_scope)
from snn.errors import ConfigError, DeviceError
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


# In a JAX process: trains the config (argv[1]) on one device into argv[2]; prints the
# initial weights, then those of each run (argv[2], then the others) once trained.
_WEIGHTS = """
import json, sys
import keras
from snn.config import load_config
from snn.training import prepare, train
train(load_config(sys.argv[1], ["training.distribution=none"]), sys.argv[2], verbose=0)
models = [prepare(load_config(sys.argv[1])).model]
models += [keras.saving.load_model(f"{run}/model.keras") for run in sys.argv[2:]]
print(json.dumps([[w.tolist() for w in model.get_weights()] for model in models]))
"""


def test_two_workers_stopped_on_one_stop_together_and_resume_to_one_devices_result(tmp_path):
    config = _write(tmp_path, _CONFIG.replace("batch_size: 64, epochs: 2", "batch_size: 16, "
                                              "epochs: 3, backend: jax,\n           "
                                              "distribution: multi_worker"))
    processes = []

    def snn(*args, worker=None):
        variables = {} if worker is None else {
            "KERAS_DISTRIBUTION_JOB_ADDRESSES": addresses,
            "KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": str(worker)}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "snn", *map(str, args)], cwd=tmp_path,
            env={**os.environ, **variables}, text=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE))
        return processes[-1]

    runs = [tmp_path / f"worker{index}" for index in (0, 1)]
    with _reserved_ports(2) as ports, _ending(processes):
        addresses = ",".join(f"localhost:{port}" for port in ports)
        started = [snn("train", config, "--run-dir", run, worker=index)
                   for index, run in enumerate(runs)]
        deadline = time.monotonic() + 180
        while not (runs[0] / "checkpoint.npz").exists():  # the first epoch is over
            assert time.monotonic() < deadline and started[0].poll() is None
            time.sleep(0.01)
        started[0].send_signal(signal.SIGINT)  # worker 0 alone is told to stop
        lines = [process.communicate(timeout=120)[1].strip().splitlines()[-1]
                 for process in started]
        assert [process.returncode for process in started] == [130, 130], lines
        # Mid-epoch, or after an epoch's last step where worker 0 was slow to see it.
        where = [re.search(r"stopped by (SIGINT[a-z ]*) (in epoch \d+, after step \d+|after "
                           r"epoch \d+);", line) for line in lines]
        assert [match[1] for match in where] == ["SIGINT", "SIGINT to another worker"], lines
        assert where[0][2] == where[1][2]  # the same step
        resumed = [snn("train", "--resume", run, worker=index)
                   for index, run in enumerate(runs)]
        for process in resumed:
            _, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr[-2000:]

    assert (runs[0] / "history.csv").read_bytes() == (runs[1] / "history.csv").read_bytes()
    assert json.loads((runs[0] / "environment.json").read_text())["workers"] == 2
    loaded = subprocess.run(
        [sys.executable, "-c", _WEIGHTS, config, tmp_path / "alone", *runs],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": "jax"})
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    initial, one, worker0, worker1 = ([np.array(w) for w in weights]
                                      for weights in json.loads(loaded.stdout.splitlines()[-1]))
    assert all(np.array_equal(a, b) for a, b in zip(worker0, worker1))
    # The workers average the gradients of their half batches: as on one device, up to
    # float rounding and the one row of the 1078 training rows that two replicas leave out
    # each epoch. Bound: 5% of the largest weight change, as for mirrored above.
    update = max(float(np.abs(a - b).max()) for a, b in zip(initial, one))
    assert max(float(np.abs(a - b).max()) for a, b in zip(worker0, one)) < 0.05 * update


def test_multi_worker_needs_jax(monkeypatch):
    with pytest.raises(ConfigError, match="'multi_worker', which needs the jax backend.*"
                                          "keras-team/keras#20585"):
        with distribution_scope("multi_worker"):
            pass
    monkeypatch.setattr("keras.backend.backend", lambda: "torch")
    with pytest.raises(ConfigError, match="'multi_worker', which needs the jax backend; "
                                          "this process runs torch"):
        with distribution_scope("multi_worker"):
            pass


@pytest.mark.parametrize("addresses, count, index, message", [
    (None, "2", None, "KERAS_DISTRIBUTION_JOB_ADDRESSES, KERAS_DISTRIBUTION_PROCESS_ID are "
                      "not set; expected KERAS_DISTRIBUTION_JOB_ADDRESSES=host:port"),
    ("localhost,localhost", "2", "0", "JOB_ADDRESSES: got 'localhost'; expected host:port"),
    ("a:1,b:2", "two", "0", "NUM_PROCESSES: got 'two'; expected the number of workers"),
    ("a:1,b:2", "2", "2", "PROCESS_ID: got '2'; expected this worker's index, an integer "
                          "from 0 to 1"),
])
def test_wrong_worker_variables_are_named_before_joining(monkeypatch, addresses, count, index,
                                                         message):
    monkeypatch.setattr("keras.backend.backend", lambda: "jax")
    for name, value in zip(WORKER_VARIABLES, (addresses, count, index)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        with distribution_scope("multi_worker"):
            pass


def test_a_single_process_answers_every_agreement_itself():
    alone, model = Topology(), object()
    assert alone.agree(15) == 15 and alone.agree(None) is None
    assert alone.same_on_every_worker([3, 1]) and (alone.worker, alone.workers) == (0, 1)
    with alone.local_model(model) as local, alone.connected():
        assert local is model


def test_a_failed_exchange_with_a_worker_is_one_line_and_our_errors_pass():
    worker = WorkerTopology(replicas=2, batch_multiple=2, worker=0, workers=2)
    nested = "Error dispatching computation: " * 3
    with pytest.raises(DeviceError) as raised, worker.connected():
        raise ValueError(f"INTERNAL: {nested}Gloo all-reduce failed: Connection reset\nmore")
    assert str(raised.value) == (
        "training.distribution: lost the other workers (INTERNAL: Error dispatching "
        "computation: Gloo all-reduce failed: Connection reset); a worker stopped or died: "
        "resume every worker with snn train --resume")
    with pytest.raises(ConfigError, match="^x$"), worker.connected():
        raise ConfigError("x")


def test_data_parallelism_is_refused_where_keras_has_none(monkeypatch):
    monkeypatch.setattr("keras.backend.backend", lambda: "torch")
    with pytest.raises(ConfigError, match="'mirrored', which needs the tensorflow or jax"):
        with distribution_scope("mirrored"):
            pass


def test_a_batch_that_does_not_split_over_the_replicas_is_refused(tmp_path, monkeypatch):
    # One replica here: a batch size is always a multiple of it, so ask for three.
    monkeypatch.setattr("snn.training.trainer.distribution_scope", _replicas(3))
    config = load_config(_write(tmp_path, _CONFIG), ["training.batch_size=64"])
    with pytest.raises(ConfigError, match="batch_size: got 64; .* multiple of 3"):
        train(config, tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()


@contextlib.contextmanager
def _reserved_ports(count):
    """Free localhost ports, held for the test: each stays bound, so that no other process
    is given it meanwhile, with SO_REUSEPORT, so that the workers' coordinator can bind it
    (its gRPC server sets SO_REUSEPORT too)."""
    with contextlib.ExitStack() as sockets:
        ports = []
        for _ in range(count):
            reserved = sockets.enter_context(socket.socket())
            reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            reserved.bind(("localhost", 0))
            ports.append(reserved.getsockname()[1])
        yield ports


@contextlib.contextmanager
def _ending(processes):
    """Kill the test's processes still running when it ends, also when it failed."""
    try:
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()


def _write(directory, text):
    path = directory / "parallel.yaml"
    path.write_text(text)
    return path


def _replicas(count):
    @contextlib.contextmanager
    def scope(distribution):
        yield Topology(replicas=count)
    return scope


def test_cpu_flags_come_from_the_flags_line_of_cpuinfo(tmp_path):
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nmodel name\t: Some CPU\n"
                                      "flags\t\t: fpu sse avx2 fma amx_bf16 amx_tile\n")
    assert cpu_flags(tmp_path / "cpuinfo") == {"fpu", "sse", "avx2", "fma", "amx_bf16",
                                               "amx_tile"}
    assert cpu_flags(tmp_path / "absent") is None


@pytest.mark.parametrize("flags, expected", [
    ({"avx2", "fma"}, False),  # the AMD EPYC: bfloat16 trained at 0.66x float32
    ({"avx2", "avx512f", "avx512_bf16"}, True),
    ({"avx2", "amx_bf16", "amx_tile"}, True),
])
def test_bfloat16_counts_as_hardware_with_amx_or_avx512_bf16(flags, expected):
    assert bfloat16_in_hardware(flags) is expected  # no GPU on the test machine
