"""Sweeps: grid expansion, failure isolation, selection, resume, parallel workers."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

from snn import runs
from snn.errors import ConfigError
from snn.sweeps import plan_sweep, run_sweep
from conftest import ROOT, file_identity, sweep_rows, sweep_stopped_when
from snn.util.files import read_json

BASE = {
    "name": "iris",
    "data": {"source": "sklearn", "name": "iris"},
    "model": {"name": "snn_mlp", "depth": 2, "units": 8},
    "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.05},
}


def _write(tmp_path, grid, select="validation accuracy max", **sections):
    config = {**BASE, **sections, "sweep": {"grid": grid, "select": select}}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_the_grid_expands_to_its_cartesian_product_in_order(tmp_path):
    path = _write(tmp_path, {"model.depth": [1, 2, 4], "training.learning_rate": [0.1, 1e-3],
                             "model.units": [8, [16, 8]]})
    sweep = plan_sweep(path, overrides=["training.epochs=7"])
    assert len(sweep.runs) == 3 * 2 * 2
    assert [run.name for run in sweep.runs[:4]] == [
        "depth=1,learning_rate=0.1,units=8", "depth=1,learning_rate=0.1,units=16x8",
        "depth=1,learning_rate=0.001,units=8", "depth=1,learning_rate=0.001,units=16x8"]
    last = sweep.runs[-1]
    assert last.settings == {"model.depth": 4, "training.learning_rate": 1e-3,
                             "model.units": [16, 8]}
    assert last.config.model.arguments["depth"] == 4
    assert last.config.training.learning_rate == 1e-3
    assert last.config.training.epochs == 7  # --set applies to every run
    assert last.config.sweep is None  # a run is a plain experiment
    assert len({run.name for run in sweep.runs}) == 12


def test_keys_sharing_a_last_part_keep_their_full_path_in_run_names(tmp_path):
    path = _write(tmp_path, {"training.early_stopping.patience": [3],
                             "data.name": ["iris", "wine"], "model.name": ["snn_mlp"]})
    names = [run.name for run in plan_sweep(path).runs]
    assert names == ["patience=3,data.name=iris,model.name=snn_mlp",
                     "patience=3,data.name=wine,model.name=snn_mlp"]


def test_an_invalid_combination_is_planned_as_a_failed_run(tmp_path):
    path = _write(tmp_path, {"model.dropout_rate": [0.05, 1.0]})
    ok, bad = plan_sweep(path).runs
    assert ok.error is None and ok.config.model.arguments["dropout_rate"] == 0.05
    assert bad.config is None and "model.dropout_rate: got 1.0" in bad.error


@pytest.mark.parametrize("grid, select, message", [
    ({"model.deepth": [1, 2]}, "validation accuracy max",
     "sweep.grid.model.deepth: no such config key; did you mean 'model.depth'"),
    ({"model.depth": []}, "validation accuracy max", "sweep.grid.model.depth: got an empty"),
    ({"model.depth": [1]}, "validation auc max", "sweep.select: got metric 'auc'"),
    ({"model.depth": [1]}, "test accuracy max", "sweep.select: got 'test accuracy max'"),
    ({"sweep.select": ["x"]}, "validation loss min", "cannot vary its own section"),
    ({"training.distribution": ["none", "multi_worker"]}, "validation loss min",
     "training.distribution: got 'multi_worker', which trains one run over several"),
])
def test_sweep_mistakes_name_the_key(tmp_path, grid, select, message):
    with pytest.raises(ConfigError, match=message):
        plan_sweep(_write(tmp_path, grid, select))


def test_a_config_without_a_sweep_section_is_refused():
    with pytest.raises(ConfigError, match="sweep: missing"):
        plan_sweep(ROOT / "configs" / "digits_snn.yaml")


def test_failed_runs_are_recorded_and_the_best_completed_run_is_selected(tmp_path):
    # lr 1e6 makes the loss NaN in the first epoch; units [8, 8] does not fit depth 1.
    path = _write(tmp_path, {"model.depth": [1], "training.learning_rate": [1e6, 0.05],
                             "model.units": [[8, 8], 8]})
    result = run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    rows = {row["run"]: row for row in sweep_rows(tmp_path / "out")}
    assert [row["status"] for row in rows.values()] == ["failed", "failed", "failed",
                                                        "completed"]
    assert "diverged" in rows["depth=1,learning_rate=1e+06,units=8"]["reason"]
    assert "expected 1, one per layer" in rows["depth=1,learning_rate=0.05,units=8x8"]["reason"]
    winner = "depth=1,learning_rate=0.05,units=8"
    assert result.selected == winner
    metrics = read_json(tmp_path / "out" / winner / "metrics.json")
    assert result.value == metrics["validation"]["accuracy"]
    assert float(rows[winner]["test_accuracy"]) == metrics["test"]["accuracy"]
    summary = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert summary["completed"] == 1 and summary["failed"] == 3
    selected = yaml.safe_load((tmp_path / "out" / "selected.yaml").read_text())
    assert selected["model"]["units"] == 8 and selected["training"]["learning_rate"] == 0.05
    assert "sweep" not in selected


def test_selection_takes_the_minimum_for_min_and_the_first_run_on_ties(tmp_path):
    path = _write(tmp_path, {"training.learning_rate": [0.0001, 0.1], "seed": [0, 0]},
                  select="validation loss min")
    result = run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    losses = {name: o.metrics["validation"]["loss"] for name, o in result.outcomes.items()}
    assert result.value == min(losses.values())
    best = [name for name, loss in losses.items() if loss == result.value]
    assert len(best) == 2 and result.selected == best[0]  # two identical runs (same seed)


def test_a_rerun_resumes_skipping_completed_runs_and_redoing_unfinished_ones(tmp_path):
    path = _write(tmp_path, {"model.depth": [1, 2]})
    sweep = plan_sweep(path)
    first = run_sweep(sweep, tmp_path / "out", workers=1, verbose=0)
    done, unfinished = (tmp_path / "out" / run.name for run in sweep.runs)
    stamp = (done / "metrics.json").stat().st_mtime_ns
    for name in ("metrics.json", "fold.json"):  # as if the sweep was stopped during this run
        (unfinished / name).unlink()
    runs.write_status(unfinished, "interrupted")
    again = run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    assert (done / "metrics.json").stat().st_mtime_ns == stamp
    assert again.outcomes[done.name].seconds == 0.0  # not trained again
    assert again.outcomes[unfinished.name].seconds > 0
    assert again.outcomes[unfinished.name].metrics["test"] == \
        first.outcomes[unfinished.name].metrics["test"]  # same seed, same result


def test_a_rerun_with_other_settings_trains_the_runs_again(tmp_path):
    path = _write(tmp_path, {"model.depth": [1]})
    run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    again = run_sweep(plan_sweep(path, ["training.epochs=1"]), tmp_path / "out", workers=1,
                      verbose=0)
    outcome = again.outcomes["depth=1"]
    assert outcome.seconds > 0 and outcome.metrics["epochs_run"] == 1


def test_workers_of_a_killed_sweep_checkpoint_their_runs_and_end(tmp_path):
    path = _write(tmp_path, {"seed": [0, 1]},
                  training={**BASE["training"], "epochs": 200, "early_stopping": None})
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "snn", "sweep", str(path), "--run-dir",
                                str(out), "--workers", "2"], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        deadline = time.monotonic() + 180
        while len(list(out.glob("*/checkpoint.npz"))) < 2:  # both workers are training
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.1)
        workers = [runs.read_status(run)["pid"] for run in (out / "seed=0", out / "seed=1")]
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 60
        while any(_alive(pid) for pid in workers):  # told by the system that the parent died
            assert time.monotonic() < deadline, "orphaned workers kept running"
            time.sleep(0.1)
    finally:
        _kill(process, *workers)
    assert [runs.read_status(out / run)["status"] for run in ("seed=0", "seed=1")] == \
        ["interrupted", "interrupted"]


def _kill(process, *pids):
    """End a test's process and any of its workers still running, also when it failed."""
    process.kill()
    process.wait()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has ended; only its entry is left
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_a_killed_sweep_resumes_where_it_stopped(tmp_path, snn_cli):
    path = _write(tmp_path, {"seed": [0, 1, 2]}, training={**BASE["training"], "epochs": 15})
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "snn", "sweep", str(path), "--run-dir",
                                str(out), "--workers", "1"], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out / "seed=0" / "metrics.json").exists():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.2)
    finally:
        _kill(process)
    assert not (out / "sweep.json").exists()  # the sweep is visibly unfinished
    result = snn_cli("sweep", path, "--run-dir", out, "--workers", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"\[1/3\] seed=0: completed \(already done\): [^;]*", lines[0])
    # The estimate comes from the runs this invocation trained; the last run has none.
    assert re.fullmatch(r"\[2/3\] seed=\d: completed in .*; 1 to go, about \d+ s left",
                        next(line for line in lines if line.startswith("[2/3]")))
    assert re.fullmatch(r"\[3/3\] seed=\d: completed in [^;]*",
                        next(line for line in lines if line.startswith("[3/3]")))
    assert [row["status"] for row in sweep_rows(out)] == ["completed"] * 3


def test_cli_sweep_in_parallel_workers(tmp_path, snn_cli):
    path = _write(tmp_path, {"model.depth": [1, 2], "training.learning_rate": [0.05, 1e6]})
    result = snn_cli("sweep", path, "--run-dir", tmp_path / "out", "--workers", "2",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 of 4 runs completed, 2 failed" in result.stdout
    assert "Selected depth=" in result.stdout
    assert "Traceback" not in result.stderr and "oneDNN" not in result.stderr
    assert [row["status"] for row in sweep_rows(tmp_path / "out")] == [
        "completed", "failed", "completed", "failed"]


def test_stacked_runs_reach_the_results_of_runs_alone_in_jobs_split_evenly(tmp_path):
    path = _write(tmp_path, {"model.depth": [1, 2], "training.learning_rate": [0.05, 0.2]})
    alone = run_sweep(plan_sweep(path), tmp_path / "alone", workers=1, verbose=0)
    # At most 3 per job: the 4 runs train as two stacked models of 2, in grid order.
    stacked = run_sweep(plan_sweep(path), tmp_path / "stacked", workers=1, verbose=0,
                        stack=3)
    names = list(alone.outcomes)
    for name in names:
        assert stacked.outcomes[name].metrics["test"] == pytest.approx(
            alone.outcomes[name].metrics["test"], rel=1e-5)
    partners = {name: [os.path.basename(path) for path in read_json(
        tmp_path / "stacked" / name / runs.ENVIRONMENT)["stacked_with"]] for name in names}
    assert partners == {names[0]: [names[1]], names[1]: [names[0]],
                        names[2]: [names[3]], names[3]: [names[2]]}
    assert stacked.selected == alone.selected


def test_cli_stacks_runs_in_workers_and_a_diverging_run_fails_alone(tmp_path, snn_cli):
    path = _write(tmp_path, {"model.depth": [1, 2], "training.learning_rate": [0.05, 1e30]})
    result = snn_cli("sweep", path, "--run-dir", tmp_path / "out", "--workers", "2",
                     "--stack", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 of 4 runs completed, 2 failed" in result.stdout
    assert [row["status"] for row in sweep_rows(tmp_path / "out")] == [
        "completed", "failed", "completed", "failed"]
    assert runs.read_status(tmp_path / "out" / "depth=1,learning_rate=0.05")["pid"] != \
        os.getpid()


def test_the_selected_settings_get_a_final_run_with_the_final_overrides(tmp_path, snn_cli):
    path = _write(tmp_path, {"model.depth": [1, 2]})
    raw = yaml.safe_load(path.read_text())
    raw["sweep"]["final"] = {"evaluation.protocol": "kfold", "evaluation.folds": 3}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    result = run_sweep(plan_sweep(path), tmp_path / "out", workers=1, verbose=0)
    final_dir = tmp_path / "out" / "final"
    saved = read_json(final_dir / "metrics.json")
    assert saved["protocol"] == "kfold" and len(saved["folds"]) == 3
    assert sorted(p.name for p in final_dir.glob("fold_*")) == ["fold_1", "fold_2", "fold_3"]
    config = yaml.safe_load((final_dir / "config.yaml").read_text())
    assert config["model"]["depth"] == int(result.selected.split("=")[1])
    summary = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert summary["final"]["status"] == "completed"
    assert summary["final"]["metrics"]["test"] == saved["test"] == result.final.metrics["test"]
    cli = snn_cli("sweep", path, "--run-dir", tmp_path / "out", "--workers", "1", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr  # everything done: the rerun only reports
    assert (f"Final run of the selected settings: test loss {saved['test']['loss']:.4f}"
            in cli.stdout)


def test_a_final_override_that_breaks_the_config_is_refused_before_training(tmp_path):
    path = _write(tmp_path, {"model.depth": [1, 2]})
    raw = yaml.safe_load(path.read_text())
    raw["sweep"]["final"] = {"evaluation.protocol": "nested"}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ConfigError, match="evaluation.protocol: got 'nested'"):
        plan_sweep(path)


def test_ctrl_c_checkpoints_running_runs_exits_130_and_a_rerun_resumes_them(tmp_path, snn_cli):
    # Three runs on two workers: one is still waiting when the stop comes.
    path = _write(tmp_path, {"seed": [0, 1, 2]},
                  training={**BASE["training"], "epochs": 30, "early_stopping": None})
    out = tmp_path / "out"
    # Stopped once a run has trained its first epoch.
    status, stderr = sweep_stopped_when(lambda out: list(out.glob("*/checkpoint.npz")), path,
                                        out, tmp_path)
    assert status == 130
    assert "Traceback" not in stderr and "oneDNN" not in stderr  # workers start quietly
    assert stderr.strip().splitlines()[-1] == (
        f"snn: interrupted: {out}: completed runs are kept and running ones checkpointed; "
        "run the same command again to resume")
    finished = {p.parent.name for p in out.glob("*/metrics.json")}
    rows = sweep_rows(out)
    assert {row["run"] for row in rows if row["status"] == "completed"} == finished
    interrupted = {row["run"] for row in rows if row["status"] == "interrupted"}
    assert interrupted and all((out / run / "checkpoint.npz").is_file() for run in interrupted)
    assert not (out / "sweep.json").exists()
    started = {run: file_identity(out / run / "config.yaml") for run in interrupted}
    result = snn_cli("sweep", path, "--run-dir", out, "--workers", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [row["status"] for row in sweep_rows(out)] == ["completed"] * 3
    # Resumed from their checkpoints, not started again (which would rewrite the config).
    assert {run: file_identity(out / run / "config.yaml") for run in interrupted} == started


def test_fewer_than_one_worker_is_refused_before_anything_is_written(tmp_path):
    path = _write(tmp_path, {"model.depth": [1]})
    with pytest.raises(ConfigError, match="--workers: got 0; expected an integer >= 1"):
        run_sweep(plan_sweep(path), tmp_path / "out", workers=0, verbose=0)
    with pytest.raises(ConfigError, match="--stack: got 0; expected an integer >= 1"):
        run_sweep(plan_sweep(path), tmp_path / "out", verbose=0, stack=0)
    assert not (tmp_path / "out").exists()
