"""Choosing the Keras backend from a config: before Keras loads, and checked after."""

import json
import signal

import keras
import pytest

from conftest import ROOT, run_cli, run_cli_stopped_at
from snn.config.backend import BACKENDS, configured_backend, use_backend
from snn.errors import ConfigError


def test_the_config_file_names_the_backend_and_set_overrides_it(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text("name: e\ntraining: {backend: jax, epochs: 2}\n")
    assert configured_backend(path) == "jax"
    assert configured_backend(path, ["training.epochs=3", "training.backend= torch"]) == "torch"
    path.write_text("name: e\n")
    assert configured_backend(path) == "auto"


def test_the_backend_is_read_as_the_config_reads_every_override(tmp_path):
    # A whole section set at once, as load_config reads it: once the backend reader saw
    # only `training.backend=...` and Keras started on TensorFlow.
    path = tmp_path / "e.yaml"
    path.write_text("name: e\ntraining: {backend: torch}\n")
    assert configured_backend(path, ["training={backend: jax, epochs: 1}"]) == "jax"
    assert configured_backend(path, ["training={epochs: 1}"]) == "auto"
    assert configured_backend(path, ["training=[1, 2]"]) == "auto"  # the full parse says why


def test_an_unreadable_config_leaves_the_backend_to_the_full_parse(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text("training: [unclosed\n")
    assert configured_backend(path) == "auto"
    assert configured_backend(tmp_path / "missing.yaml") == "auto"


def test_another_backend_than_the_running_one_is_refused():
    running = keras.backend.backend()
    use_backend(running)
    use_backend("auto")
    other = next(name for name in BACKENDS if name != running)
    with pytest.raises(ConfigError, match=f"e.yaml: training.backend: got '{other}', but Keras "
                                          f"already runs on '{running}'.*KERAS_BACKEND={other}"):
        use_backend(other, "e.yaml")
    with pytest.raises(ConfigError, match="got 'theano'; expected one of auto, tensorflow"):
        use_backend("theano")


def test_the_cli_trains_and_resumes_on_the_backend_its_training_section_names(tmp_path):
    # Subprocesses: each imports Keras after reading the config, KERAS_BACKEND saying jax.
    # The backend comes in a whole training section set on the command line, as
    # load_config reads it: once the backend reader saw only `training.backend=...`.
    config = tmp_path / "e.yaml"
    config.write_text("name: e\nseed: 0\ndata: {source: sklearn, name: iris}\n"
                      "model: {name: snn_mlp, depth: 2, units: 8}\n")
    run = tmp_path / "run"
    stopped = run_cli_stopped_at(
        2, 1, "train", config, "--set",
        "training={backend: torch, epochs: 2, batch_size: 32, early_stopping: null}",
        "--run-dir", run, cwd=ROOT, env={"KERAS_BACKEND": "jax"})
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr
    assert stopped.stderr.endswith(f"snn: interrupted: {run}: stopped by SIGTERM in epoch 2, "
                                   f"after step 1; checkpoint written. Resume with: snn train "
                                   f"--resume {run}\n")
    environment = json.loads((run / "environment.json").read_text())
    assert environment["backend"] == "torch"
    # The resumed process reads the backend from the run's config, not from KERAS_BACKEND:
    # on jax it would be refused.
    done = run_cli("train", "--resume", run, cwd=ROOT, env={"KERAS_BACKEND": "jax"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no TensorFlow start-up lines on another backend either
    assert "resuming in epoch 2, after step 1" in done.stdout.splitlines()
    assert json.loads((run / "metrics.json").read_text())["epochs_run"] == 2
    done = run_cli("evaluate", run, cwd=ROOT, env={"KERAS_BACKEND": "jax"})
    assert done.returncode == 0, done.stderr
