"""Sweeps on Ray: runs as Ray tasks on a local Ray runtime, failures, and CLI errors."""

import csv
import json
import os

import optuna
import pytest
import ray
import yaml

from snn import runs
from snn.errors import ConfigError
from snn.sweeps.executors import _ray_outcomes
from snn.sweeps.outcome import RunOutcome
from snn.sweeps.search import storage
from snn.sweeps import plan_sweep, run_sweep
from conftest import run_cli
from snn.util.files import read_json

CONFIG = {
    "name": "iris",
    "seed": 0,
    "data": {"source": "sklearn", "name": "iris"},
    "model": {"name": "snn_mlp", "depth": 1, "units": 8},
    "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.05},
    "sweep": {"grid": {"model.depth": [1, 2]}, "select": "validation accuracy max"},
}


@pytest.fixture(scope="module")
def ray_runtime():
    """A local Ray runtime of two CPUs for this module's tests."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield
    ray.shutdown()


def _write(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    return path


def test_a_sweep_runs_as_ray_tasks_and_selects_the_best_run(tmp_path, ray_runtime):
    out = tmp_path / "out"
    result = run_sweep(plan_sweep(_write(tmp_path)), out, verbose=0, executor="ray")
    assert [outcome.status for outcome in result.outcomes.values()] == ["completed"] * 2
    for name, outcome in result.outcomes.items():
        assert runs.is_complete(out / name)
        assert runs.read_status(out / name)["pid"] != os.getpid()  # trained in a Ray worker
        assert outcome.seconds > 0
        assert read_json(out / name / "metrics.json")["test"] == \
            outcome.metrics["test"]
    with open(out / "sweep.csv") as handle:
        assert [row["status"] for row in csv.DictReader(handle)] == ["completed"] * 2
    accuracy = {name: o.metrics["validation"]["accuracy"]
                for name, o in result.outcomes.items()}
    best = max(accuracy, key=accuracy.get)  # the first in grid order on ties, as max gives
    assert result.selected == best and result.value == accuracy[best]
    selected = yaml.safe_load((out / "selected.yaml").read_text())
    assert selected["model"]["depth"] == int(best.split("=")[1])
    assert json.loads((out / "sweep.json").read_text())["selected"] == best


def test_a_searchs_trials_run_as_ray_tasks_reporting_each_epoch_to_the_study(
        tmp_path, ray_runtime):
    config = {**CONFIG, "sweep": {
        "search": {"method": "random", "trials": 3, "pruner": "median"},
        "space": {"training.learning_rate": {"log_float": [0.01, 0.1]}},
        "select": "validation accuracy max"}}
    path = tmp_path / "search.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    out = tmp_path / "out"
    result = run_sweep(plan_sweep(path), out, workers=2, verbose=0, executor="ray")
    assert [outcome.status for outcome in result.outcomes.values()] == ["completed"] * 3
    study = optuna.load_study(study_name="snn", storage=storage(out))
    for trial in study.trials:  # each Ray worker wrote its run's epochs to the study
        assert sorted(trial.intermediate_values) == [0, 1]  # epochs 1 and 2
        assert runs.read_status(out / trial.user_attrs["run"])["pid"] != os.getpid()


def test_a_task_that_raises_or_whose_worker_dies_fails_each_of_its_runs(ray_runtime):
    raises = ray.remote(max_retries=0)(lambda: 1 / 0).remote().future()
    dies = ray.remote(max_retries=0)(lambda: os._exit(1)).remote().future()
    assert _ray_outcomes(raises, 2) == [RunOutcome(
        "failed", reason="the Ray task raised ZeroDivisionError: division by zero")] * 2
    [outcome] = _ray_outcomes(dies, 1)
    assert outcome.status == "failed"
    assert outcome.reason.startswith("the Ray worker died or was lost (")
    assert outcome.reason.endswith("run the sweep again to retry")


def test_cli_refuses_a_bad_ray_address_in_one_line(tmp_path):
    result = run_cli("sweep", _write(tmp_path), "--run-dir", tmp_path / "out",
                     "--executor", "ray", "--address", "no-such-address", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr
    assert lines[-1].startswith(  # then Ray's reason, in its words
        "snn: error: --address: got 'no-such-address'; ray.init failed: ")
    assert sum(line.startswith("snn: error:") for line in lines) == 1


def test_an_address_without_the_ray_executor_is_refused_before_anything_is_written(
        tmp_path):
    with pytest.raises(ConfigError, match="^--address: got 'auto'; it names a Ray cluster, "
                                          "so it needs --executor ray$"):
        run_sweep(plan_sweep(_write(tmp_path)), tmp_path / "out", verbose=0, address="auto")
    assert not (tmp_path / "out").exists()
