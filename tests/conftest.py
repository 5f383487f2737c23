"""Shared fixtures: the project root, the real data in ../shared/data, and the CLI; and
which tests make up the core that runs under every Keras backend."""

import csv
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

# The core: layers, theory, models, in-memory training, diagnostics. CI runs these again
# with KERAS_BACKEND=jax and =torch (`pytest -m core`); the rest (CLI processes, sweeps,
# reproductions, notebooks) runs on the default backend, TensorFlow.
CORE = {"test_layers", "test_theory", "test_models", "test_losses", "test_metrics",
        "test_training", "test_training_checkpoints", "test_training_callbacks",
        "test_training_stacked", "test_layers_member_axis", "test_models_member_axis",
        "test_data_batches", "test_util_interrupts", "test_evaluation",
        "test_diagnostics_statistics", "test_diagnostics_audit", "test_diagnostics_compare"}


def pytest_configure(config):
    # JAX compiles every new model's steps (seconds each), and many tests train the same
    # model again: a compilation cache shared by this session and the processes it starts
    # halves the time JAX spends in the suite (measured: tests/test_training.py, 226 s to
    # 126 s). It starts empty and is removed at the end: no test sees another session's.
    config.jax_cache = tempfile.mkdtemp(prefix="snn-tests-jax-cache-")
    os.environ.update(JAX_COMPILATION_CACHE_DIR=config.jax_cache,
                      JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                      JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")


def pytest_unconfigure(config):
    shutil.rmtree(config.jax_cache, ignore_errors=True)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.module.__name__ in CORE:
            item.add_marker(pytest.mark.core)


@pytest.fixture
def shared_data():
    """The real data sets of ../shared/data (see its README); CI has a copy beside the clone.

    Skipped on a machine without them, but never in CI, where a missing copy is a failure.
    """
    if not SHARED_DATA.is_dir():
        message = f"real data not found at {SHARED_DATA}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


def snn_messages(caplog):
    """What `snn` itself logged: a backend's own warnings (TensorFlow's retracing notice,
    say) depend on which tests ran before in the same process."""
    return [record.getMessage() for record in caplog.records if record.name == "snn"]


def file_identity(path):
    """A file's inode and bytes: to tell that a file was not written again. A rewrite
    through `snn.util.files.write_atomic` gets a new inode even with the same bytes; a
    modification time may not change within its clock's resolution."""
    return path.stat().st_ino, path.read_bytes()


def sweep_rows(sweep_dir):
    """The rows of a sweep's `sweep.csv`, as dicts of strings."""
    with open(Path(sweep_dir) / "sweep.csv") as handle:
        return list(csv.DictReader(handle))


def sweep_stopped_when(ready, config, out, cwd, workers=2, wait=180):
    """Run `snn sweep CONFIG --run-dir OUT --workers N` in a process of its own and send
    it SIGINT (Ctrl-C) once `ready(out)` holds.

    Returns:
        (exit status, stderr) of the stopped sweep.
    """
    process = subprocess.Popen([sys.executable, "-m", "snn", "sweep", str(config),
                                "--run-dir", str(out), "--workers", str(workers)], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + wait
        while not ready(out):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)  # the running workers stop after a step
    finally:
        process.kill()
        process.wait()
    return process.returncode, stderr


def run_cli(*args, cwd, env=None):
    """Run `python -m snn ARGS` in a fresh process; returns the CompletedProcess.

    For what only a whole process shows: signals, start-up output, another backend. A
    fresh process costs seconds of imports; the `snn_cli` fixture runs a command in this
    one.
    """
    return subprocess.run(
        [sys.executable, "-m", "snn", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=600,
        env={**os.environ, **(env or {})},
    )


# `snn ARGS` as the console script runs it, except that the process sends itself SIGTERM
# after step argv[2] of epoch argv[1] (from 1): a stop at a known place, however loaded
# the machine. Checkpointing is patched once Keras is imported on the config's backend.
_STOPPING = """
import os, signal, sys
import snn.cli

def prepare_console(prepare=snn.cli.prepare_console):
    prepare()
    from snn.training.checkpoints import Checkpointing
    original, where = Checkpointing.on_train_batch_end, (int(sys.argv[1]), int(sys.argv[2]))

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch + 1, self._first_step + batch + 1) == where:
            os.kill(os.getpid(), signal.SIGTERM)
        original(self, batch, logs)

    Checkpointing.on_train_batch_end = on_train_batch_end

snn.cli.prepare_console = prepare_console
sys.exit(snn.cli.main(sys.argv[3:]))
"""


def run_cli_stopped_at(epoch, step, *args, cwd, env=None):
    """`run_cli(*args)`, stopped by SIGTERM after `step` of `epoch` (both from 1; with
    several steps per call into the backend, `step` must end a call)."""
    return subprocess.run(
        [sys.executable, "-c", _STOPPING, str(epoch), str(step), *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=600,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def snn_cli(capfd, monkeypatch):
    """Run `snn ARGS` through `snn.cli.main`, the console script's entry point, in this
    process: `snn_cli(*args, cwd=DIR)` returns a CompletedProcess like `run_cli`'s, its
    stdout and stderr read from file descriptors 1 and 2."""
    import keras

    from snn.cli import main

    # TensorFlow writes its device probing to stderr on first use in a process: get it over
    # with before a command's stderr is read.
    keras.ops.convert_to_numpy(keras.ops.zeros(1))
    # The CLI sets up the process (a stderr handler on the "snn" logger, TensorFlow's log
    # level in the environment): undo it after each command, for what follows, processes
    # the test starts included.
    logger = logging.getLogger("snn")

    def run(*args, cwd):
        with monkeypatch.context() as patch:
            patch.setattr(logger, "handlers", [])
            patch.setattr(logger, "propagate", logger.propagate)
            patch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
            patch.chdir(cwd)
            capfd.readouterr()
            status = main([str(arg) for arg in args])
            output = capfd.readouterr()
        return subprocess.CompletedProcess(args, status, output.out, output.err)

    return run


@pytest.fixture(autouse=True)
def _environment_of_a_users_shell(monkeypatch):
    """Child processes see the environment a user's shell would give them: importing JAX
    or TensorFlow here sets TF_CPP_MIN_LOG_LEVEL in this process, which the `snn` command
    would take for the user's choice and show TensorFlow's log lines."""
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)


def forward_in_training_mode(model, x):
    """A Keras MLP's outputs, recomputed in float64 with NumPy, independently of Keras:
    Dense layers with their activation (SELU, ReLU, linear, softmax), and batch
    normalization on the batch's own mean and biased variance, as in a training step;
    `snn.layers.SELU` layers with their constants."""
    def softmax(h):
        e = np.exp(h - h.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def selu(h, alpha=1.6732632423543772, scale=1.0507009873554805):
        return scale * np.where(h > 0, h, alpha * np.expm1(np.minimum(h, 0)))

    activations = {"selu": selu, "relu": lambda h: np.maximum(h, 0), "linear": lambda h: h,
                   "softmax": softmax}
    h = x.astype("float64")
    for layer in model.layers[1:]:
        weights = [w.astype("float64") for w in layer.get_weights()]
        if type(layer).__name__ == "SELU":
            h = selu(h, layer.alpha, layer.scale)
        elif type(layer).__name__ == "BatchNormalization":
            gamma, beta = weights[:2]
            h = gamma * (h - h.mean(0)) / np.sqrt(h.var(0) + layer.epsilon) + beta
        else:
            h = activations[layer.activation.__name__](h @ weights[0] + weights[1])
    return h
