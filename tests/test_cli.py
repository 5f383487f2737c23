"""The `snn` command end to end, as a user runs it.

What only a whole process shows (the main job's clean output, signals, the console script)
runs in fresh processes (`run_cli`); the other commands run through the same entry point in
this process (`snn_cli`), which saves the suite seconds of imports per command.
"""

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import snn
from conftest import ROOT, file_identity, run_cli
from snn.training.checkpoints import position, previous_path
from snn.config import load_config
from snn.training import train


def test_penguins_example_then_predict_on_raw_rows_gives_species_names(tmp_path, snn_cli,
                                                                        shared_data):
    # Issue 18's bar: categorical columns found and missing cells imputed by the example
    # config, then `snn predict` on all 344 raw rows without the label: accuracy >= 0.95.
    import pandas as pd

    run = tmp_path / "penguins"
    result = snn_cli("train", ROOT / "configs" / "penguins_snn.yaml", "--run-dir", run,
                     "--set", f"data.data_dir={shared_data}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(shared_data / "tabular" / "penguins.csv")
    assert table.isna().any().any()  # the rows keep their missing cells
    table.drop(columns="species").to_csv(tmp_path / "rows.csv", index=False)
    predicted = snn_cli("predict", run, tmp_path / "rows.csv", "-o", tmp_path / "out.csv",
                        cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    names = pd.read_csv(tmp_path / "out.csv")["prediction"]
    assert set(names) == {"Adelie", "Chinstrap", "Gentoo"}
    assert np.mean(names.to_numpy() == table["species"].to_numpy()) >= 0.95
    assert json.loads((run / "data.json").read_text())["categorical"] == ["island", "sex"]


def test_train_digits_then_evaluate_reproduces_the_test_accuracy(tmp_path, snn_cli):
    run = tmp_path / "digits"
    result = run_cli("train", ROOT / "configs" / "digits_snn.yaml", "--run-dir", run,
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Run saved to {run}" in result.stdout
    table = result.stdout.splitlines()
    assert table[-4].split() == ["loss", "accuracy"]
    assert table[-2].startswith("test")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.96  # the bar; ~0.97 measured
    assert float(table[-2].split()[2]) == pytest.approx(metrics["test"]["accuracy"], abs=5e-5)
    for name in ("config.yaml", "history.csv", "model.keras", "standardization.npz",
                 "environment.json"):
        assert (run / name).is_file(), name
    assert result.stderr == ""  # TensorFlow's start-up chatter is silenced

    evaluated = snn_cli("evaluate", run, cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    test_row, recorded_row = evaluated.stdout.splitlines()[1:3]
    assert test_row.split()[1:] == recorded_row.split()[1:]
    assert float(test_row.split()[2]) == pytest.approx(metrics["test"]["accuracy"], abs=5e-5)


@pytest.mark.parametrize("config, overrides, message", [
    ("name: x\nmodel: {dropout_rate: 1.0}\n", [],
     "model.dropout_rate: got 1.0 (number); expected a number in [0.0, 1.0)"),
    ("name: x\n", ["model.depth=0"], "--set: model.depth: got 0"),
    ("name: x\ndata: {source: csv, path: nowhere.csv}\n", [],
     "data.path: not found:"),
    ("name: x\ntraining: {device: gpu}\n", [], "training.device: got 'gpu'"),
])
def test_user_errors_print_one_line_and_exit_2(tmp_path, snn_cli, config, overrides, message):
    path = tmp_path / "bad.yaml"
    path.write_text(config + f"output: {{dir: {tmp_path / 'runs'}}}\n")
    sets = [arg for override in overrides for arg in ("--set", override)]
    result = snn_cli("train", path, *sets, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("snn: error: ") and message in lines[0]
    assert not (tmp_path / "runs").exists()  # nothing half-written


def test_debug_shows_the_errors_traceback_and_keeps_its_line_and_status(tmp_path, snn_cli):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nseed: -1\n")
    result = snn_cli("--debug", "train", path, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "snn.errors.ConfigError" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"snn: error: {path}: seed: got -1")


def test_a_reader_that_stops_reading_ends_the_command_quietly_with_sigpipes_status():
    # As `snn predict RUN rows.csv | head -1` does: the pipe closes while output is written.
    script = ("import sys; from snn.cli import run_reporting_errors\n"
              "def write():\n"
              "    for i in range(10 ** 6):\n"
              "        print(i)\n"
              "    return 0\n"
              "sys.exit(run_reporting_errors(write))")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "0\n"
    process.stdout.close()
    assert process.wait(timeout=60) == 128 + signal.SIGPIPE == 141
    assert process.stderr.read() == ""


def test_missing_config_file_and_unfinished_run_are_user_errors(tmp_path, snn_cli):
    result = snn_cli("train", "nope.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "nope.yaml: config file not found" in result.stderr
    (tmp_path / "half").mkdir()
    result = snn_cli("evaluate", "half", cwd=tmp_path)
    assert result.returncode == 2 and "half: not a completed run" in result.stderr


# Digits in steps of 8 examples: 146 steps, about half a second per epoch.
RESUMABLE = """name: resumable
seed: 3
data: {source: sklearn, name: digits}
model: {name: snn_mlp, depth: 4, units: 64, dropout_rate: 0.05}
training: {epochs: 4, batch_size: 8, learning_rate: 0.01, early_stopping: {patience: 2},
           steps_per_execution: 1, device: cpu}
"""


@pytest.fixture(scope="module")
def left_alone(tmp_path_factory):
    """The resumable config, trained without interruption: (config path, run directory)."""
    root = tmp_path_factory.mktemp("resumable")
    config = root / "resumable.yaml"
    config.write_text(RESUMABLE)
    train(load_config(config), root / "alone", verbose=0)
    return config, root / "alone"


def _saved_position(run):
    """Where the run's newest readable checkpoint stands, as the resume message says it. A
    SIGKILL may land while a checkpoint is written: then the previous one is the newest."""
    newest = run / "checkpoint.npz"
    path = newest if newest.is_file() else previous_path(newest)
    with np.load(path) as saved:
        meta = json.loads(str(saved["meta"]))
    return position(meta["epoch"], meta["step"])


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_a_run_stopped_by_a_signal_resumes_where_it_stopped_to_the_same_metrics(
        tmp_path, left_alone, snn_cli, stop):
    config, alone = left_alone
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "snn", "train", str(config),
                                "--run-dir", str(run)], cwd=tmp_path, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (run / "checkpoint.npz").exists():  # the first epoch is over
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.01)
        process.send_signal(stop)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert not (run / "metrics.json").exists()
    status = json.loads((run / "status.json").read_text())
    where = _saved_position(run)
    if stop == signal.SIGKILL:  # no chance to say anything: the run still reads "running"
        assert process.returncode == -signal.SIGKILL and status["status"] == "running"
    else:
        assert process.returncode == 128 + stop
        assert status["status"] == "interrupted"
        # Mid-epoch, or after an epoch's last step where the process was slow to see it.
        assert stderr.strip().splitlines()[-1] == (
            f"snn: interrupted: {run}: stopped by {signal.Signals(stop).name} {where}; "
            f"checkpoint written. Resume with: snn train --resume {run}")
        assert "Traceback" not in stderr
    started = {name: file_identity(run / name)
               for name in ("config.yaml", "environment.json")}

    resumed = snn_cli("train", "--resume", run, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {where}" in resumed.stdout.splitlines()
    assert {name: file_identity(run / name) for name in started} == started
    assert json.loads((run / "metrics.json").read_text())["test"] == \
        json.loads((alone / "metrics.json").read_text())["test"]
    assert (run / "history.csv").read_bytes() == (alone / "history.csv").read_bytes()
    assert not list(run.glob(".tmp-*")) and not list(run.glob("checkpoint*"))
    if stop != signal.SIGKILL:
        return
    again = snn_cli("train", config, "--run-dir", run, cwd=tmp_path)
    assert again.returncode == 2 and again.stderr == (
        f"snn: error: {run}: already holds a completed run; choose another --run-dir, or "
        "--overwrite to replace it\n")


def test_resume_takes_no_config_and_needs_a_run(tmp_path, snn_cli):
    result = snn_cli("train", "x.yaml", "--resume", tmp_path, cwd=tmp_path)
    assert result.returncode == 2 and "a resumed run keeps its own config" in result.stderr
    result = snn_cli("train", "--resume", tmp_path / "nothing", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr == (
        f"snn: error: {tmp_path / 'nothing'}: no such run directory\n")
    result = snn_cli("train", "--resume", tmp_path, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr == (
        f"snn: error: {tmp_path}: holds no run to resume (status.json missing)\n")


def test_console_script_lists_models():
    # `pip install` puts the `snn` entry point beside the interpreter running the tests.
    script = Path(sys.executable).parent / "snn"
    result = subprocess.run([script, "models"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    names = [line.split("(")[0] for line in lines]
    assert names == sorted(names) and {"snn_cnn", "snn_mlp", "msra_mlp"} <= set(names)
    assert lines[names.index("snn_mlp")] == (
        "snn_mlp(depth=8, units=256, layer_form='rectangular', dropout_rate=0.0, "
        "kernel_initializer='lecun_uniform', output_activation='softmax', "
        "fixed_point=[0.0, 1.0], l2=0.0)")


def test_diagnose_compare_writes_table_and_png(tmp_path, snn_cli):
    out = tmp_path / "diag"
    result = snn_cli("diagnose", ROOT / "configs" / "digits_snn.yaml", "--compare",
                     "--set", "model.depth=16", "--out-dir", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    header, columns, *rows = result.stdout.split("\n\n")[0].splitlines()
    assert header.split() == ["layer", "SELU", "+", "LeCun", "ReLU", "+", "He", "tanh", "+",
                              "Glorot"]
    assert len(rows) == 16 and rows[-1].startswith("dense_16")
    snn_mean, snn_variance = map(float, rows[-1].split()[1:3])
    assert abs(snn_mean) < 0.1 and abs(snn_variance - 1) < 0.15
    table = (out / "layer_statistics.csv").read_text().splitlines()
    assert len(table) == 1 + 3 * 16
    assert (out / "layer_statistics.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_audit_exit_status_says_whether_anything_was_found(tmp_path, snn_cli):
    clean = snn_cli("audit", ROOT / "configs" / "digits_snn.yaml", cwd=tmp_path)
    assert clean.returncode == 0 and "no findings" in clean.stdout
    raw = snn_cli("audit", ROOT / "configs" / "digits_snn.yaml", "--set",
                  "data.standardize=none", cwd=tmp_path)
    assert raw.returncode == 1
    assert raw.stdout.splitlines()[0].startswith("[input-scale] inputs: inputs have mean")


def test_audit_and_diagnose_a_saved_keras_model(tmp_path, snn_cli):
    import keras

    model = keras.Sequential([keras.Input((16,)),
                              keras.layers.Dense(32, activation="relu", name="hidden"),
                              keras.layers.Dense(2, activation="softmax", name="output")])
    model.save(tmp_path / "relu.keras")
    result = snn_cli("audit", tmp_path / "relu.keras", cwd=tmp_path)
    assert result.returncode == 1
    assert [line.split("]")[0] for line in result.stdout.splitlines()] == [
        "[activation", "[kernel-variance"]
    result = snn_cli("diagnose", tmp_path / "relu.keras", "--out-dir", tmp_path / "d",
                     cwd=tmp_path)
    assert result.returncode == 0 and "hidden" in result.stdout


def test_training_prints_audit_findings_as_warnings(tmp_path, snn_cli):
    result = snn_cli("train", ROOT / "configs" / "digits_snn.yaml", "--set",
                     "data.standardize=none", "--set", "training.epochs=1",
                     "--run-dir", tmp_path / "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.splitlines()
    assert warnings[0].startswith("snn: warning: [input-scale] inputs:")
    stopped = snn_cli("train", ROOT / "configs" / "digits_snn.yaml", "--set",
                      "data.standardize=none", "--set", "training.audit=error",
                      "--run-dir", tmp_path / "stopped", cwd=tmp_path)
    assert stopped.returncode == 2 and not (tmp_path / "stopped").exists()
    assert stopped.stderr.startswith("snn: error: training.audit: 2 finding(s)")


def test_theory_commands_print_the_papers_numbers(tmp_path, snn_cli):
    params = snn_cli("theory", "selu-params", cwd=tmp_path)
    assert params.stdout.split() == ["alpha", "=", "1.673263242354377", "scale", "=",
                                     "1.05070098735548"]
    notebook = snn_cli("theory", "selu-params", "--mean", "-0.1", "--variance", "2",
                       "--omega", "1", cwd=tmp_path)
    assert notebook.stdout.splitlines()[0].startswith("alpha = 1.97690219542")
    affine = snn_cli("theory", "dropout-affine", "--rate", "0.05", cwd=tmp_path)
    assert affine.stdout.split() == ["a", "=", "0.954844476", "b", "=", "0.08393557219"]
    bad = snn_cli("theory", "dropout-affine", "--rate", "1", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "snn: error: rate: got 1.0; expected a number in [0, 1)"


def test_a_truncated_idx_file_is_one_line_naming_the_file(tmp_path, snn_cli):
    images = tmp_path / "images-idx3-ubyte"
    images.write_bytes((2051).to_bytes(4, "big") + b"".join(
        n.to_bytes(4, "big") for n in (10, 28, 28)) + bytes(1000))
    (tmp_path / "labels").write_bytes((2049).to_bytes(4, "big") + (10).to_bytes(4, "big")
                                      + bytes(10))
    config = tmp_path / "mnist.yaml"
    config.write_text(f"name: m\ndata: {{source: mnist_idx, images: {images}, "
                      f"labels: {tmp_path / 'labels'}}}\n")
    result = snn_cli("train", config, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"snn: error: {images}: truncated: the header declares (10, 28, 28) = 7840 values, "
        "the file holds 1000")


# In a fresh interpreter: the `snn` command's ARGS, then which heavy modules were imported.
_IMPORTED = """
import sys
from snn.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(sorted(name for name in ("keras", "tensorflow", "jax", "torch") if name in sys.modules))
"""


@pytest.mark.parametrize("args, output", [
    (["--version"], f"snn {snn.__version__}\n"),
    (["--help"], "usage: snn [-h] [--debug] [--version] COMMAND ..."),
    (["theory", "selu-params", "--mean", "0", "--variance", "1"], "alpha = 1.67326"),
    (["models"], "snn_mlp(depth=8, units=256"),
    (["completion", "bash"], "complete -o filenames -F _snn snn"),
    (["report", "nowhere"], "snn: error: nowhere: no such directory"),
    (["train", "typo.yaml"], "snn: error: typo.yaml: trainning: unknown key; did you mean "
                             "'training'?"),
])
def test_commands_that_train_nothing_import_no_keras(tmp_path, args, output):
    (tmp_path / "typo.yaml").write_text("name: t\ntrainning: {epochs: 1}\n")
    done = subprocess.run([sys.executable, "-c", _IMPORTED, *args], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert output in done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_output_to_a_file_is_plain_lines_one_per_epoch_and_fold(tmp_path, snn_cli):
    result = snn_cli("train", ROOT / "configs" / "digits_snn.yaml", "--run-dir", "run",
                     "--set", "training.epochs=3", "--set", "training.early_stopping=null",
                     "--set", "evaluation={protocol: kfold, folds: 3}", cwd=tmp_path)
    assert result.returncode == 0
    assert not set(result.stdout) & {"\r", "\b", "\x1b"}  # no bar, no colour codes
    lines = result.stdout.splitlines()
    assert sum(bool(re.fullmatch(r"epoch 2/3 - .*\bloss: [\d.]+ - .* - [\d.]+ s", line))
               for line in lines) == 3  # one per fold
    assert re.search(r"^fold 1/3 done; 2 to go, about \d+ s left$", result.stdout, re.M)
    assert re.search(r"^fold 2/3 done; 1 to go, about \d+ s left$", result.stdout, re.M)


def test_quiet_prints_the_results_table_only(tmp_path, snn_cli):
    result = snn_cli("train", ROOT / "configs" / "digits_snn.yaml", "--run-dir", "run",
                     "--set", "training.epochs=2", "--quiet", cwd=tmp_path)
    assert result.returncode == 0 and "epoch" not in result.stdout.split("Run saved")[0]
    assert "test " in result.stdout and "accuracy" in result.stdout


@pytest.mark.parametrize("words,expected", [
    ("snn tr", "train"),
    ("snn train --qu", "--quiet"),
    ("snn export run --fo", "--format --fold"),
    ("snn theory sel", "selu-params"),
])
def test_bash_completion_completes_commands_and_their_options(tmp_path, snn_cli, words,
                                                              expected):
    script = snn_cli("completion", "bash", cwd=tmp_path).stdout
    (tmp_path / "completion.bash").write_text(script)
    completed = subprocess.run(
        ["bash", "-c", f'source completion.bash; COMP_WORDS=({words}); '
                       f'COMP_CWORD={len(words.split()) - 1}; _snn; echo "${{COMPREPLY[@]}}"'],
        cwd=tmp_path, capture_output=True, text=True, check=True)
    assert sorted(completed.stdout.split()) == sorted(expected.split())
