"""The `snn` command end to end, in fresh processes, as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli


def test_train_digits_then_evaluate_reproduces_the_test_accuracy(tmp_path):
    run = tmp_path / "digits"
    result = run_cli("train", ROOT / "configs" / "digits_snn.yaml", "--run-dir", run,
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Run saved to {run}" in result.stdout
    table = result.stdout.splitlines()
    assert table[-4].split() == ["accuracy", "loss"]
    assert table[-2].startswith("test")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.96  # the bar; ~0.97 measured
    assert float(table[-2].split()[1]) == pytest.approx(metrics["test"]["accuracy"], abs=5e-5)
    for name in ("config.yaml", "history.csv", "model.keras", "standardization.npz",
                 "environment.json"):
        assert (run / name).is_file(), name
    assert result.stderr == ""  # TensorFlow's start-up chatter is silenced

    evaluated = run_cli("evaluate", run, cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    test_row, recorded_row = evaluated.stdout.splitlines()[1:3]
    assert test_row.split()[1:] == recorded_row.split()[1:]
    assert float(test_row.split()[1]) == pytest.approx(metrics["test"]["accuracy"], abs=5e-5)


@pytest.mark.parametrize("config, overrides, message", [
    ("name: x\nmodel: {dropout_rate: 1.0}\n", [],
     "model.dropout_rate: got 1.0 (number); expected a number in [0.0, 1.0)"),
    ("name: x\n", ["model.depth=0"], "--set: model.depth: got 0"),
    ("name: x\ndata: {source: csv, path: nowhere.csv}\n", [],
     "data.path: file not found:"),
    ("name: x\ntraining: {device: gpu}\n", [], "training.device: got 'gpu'"),
])
def test_user_errors_print_one_line_and_exit_2(tmp_path, config, overrides, message):
    path = tmp_path / "bad.yaml"
    path.write_text(config + f"output: {{dir: {tmp_path / 'runs'}}}\n")
    sets = [arg for override in overrides for arg in ("--set", override)]
    result = run_cli("train", path, *sets, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("snn: error: ") and message in lines[0]
    assert not (tmp_path / "runs").exists()  # nothing half-written


def test_debug_shows_the_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nseed: -1\n")
    result = run_cli("--debug", "train", path, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "seed: got -1" in result.stderr


def test_missing_config_file_and_unfinished_run_are_user_errors(tmp_path):
    result = run_cli("train", "nope.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "nope.yaml: config file not found" in result.stderr
    (tmp_path / "half").mkdir()
    result = run_cli("evaluate", "half", cwd=tmp_path)
    assert result.returncode == 2 and "half: not a completed run" in result.stderr


def test_console_script_lists_models():
    # `pip install` puts the `snn` entry point beside the interpreter running the tests.
    script = Path(sys.executable).parent / "snn"
    result = subprocess.run([script, "models"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line.split("(")[0] for line in lines] == ["snn_cnn", "snn_mlp"]
    assert lines[1] == ("snn_mlp(depth=8, units=256, dropout_rate=0.0, kernel_initializer="
                        "'lecun_uniform', output_activation='softmax', fixed_point=[0.0, 1.0])")
