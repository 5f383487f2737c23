"""MLflow tracking, read back from a SQLite store the test creates: the config as
parameters, each epoch's logs as metric histories, the final metrics, the run directory
as artifacts, tags; a resumed run logs to the same MLflow run."""

import json

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from snn.config import parse_config
from snn.training import train


def _config(uri, training=None, **evaluation):
    return parse_config({
        "name": "t", "seed": 0, "data": {"source": "sklearn", "name": "iris"},
        "model": {"name": "snn_mlp", "depth": 2, "units": 8},
        "training": {"epochs": 3, "early_stopping": None, **(training or {})},
        "evaluation": evaluation or {"protocol": "holdout"},
        "output": {"mlflow": {"tracking_uri": uri, "experiment": "iris"}}})


def _only_run(client):
    experiment = client.get_experiment_by_name("iris")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    return runs[0]


def test_a_run_is_logged_with_params_epoch_metrics_final_metrics_and_artifacts(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact location: ./mlruns
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    metrics = train(_config(uri), tmp_path / "run", verbose=0)
    client = MlflowClient(uri)
    run = _only_run(client)
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    assert run.data.params["training.learning_rate"] == "0.01"
    assert run.data.params["model.depth"] == "2"
    assert run.data.tags["backend"] and run.data.tags["snn_version"]
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    logged = client.get_metric_history(run.info.run_id, "val_loss")
    assert [m.step for m in logged] == list(history.epoch)
    assert [m.value for m in logged] == pytest.approx(list(history.val_loss))
    assert run.data.metrics["test_accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    artifacts = {artifact.path for artifact in client.list_artifacts(run.info.run_id)}
    assert {"model.keras", "metrics.json", "config.yaml", "history.csv"} <= artifacts
    record = json.loads((tmp_path / "run" / "mlflow.json").read_text())
    assert record["run_id"] == run.info.run_id


def test_kfold_epochs_are_logged_per_fold(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    train(_config(uri, protocol="kfold", folds=2), tmp_path / "run", verbose=0)
    client = MlflowClient(uri)
    run = _only_run(client)
    for fold in (1, 2):
        history = pd.read_csv(tmp_path / "run" / f"fold_{fold}" / "history.csv")
        logged = client.get_metric_history(run.info.run_id, f"fold_{fold}/loss")
        assert [m.value for m in logged] == pytest.approx(list(history.loss))
    assert "test_std_accuracy" in run.data.metrics


def test_an_interrupted_run_is_killed_in_mlflow_and_its_resume_logs_to_the_same_run(
        tmp_path, monkeypatch):
    from test_training import _stop_at

    from snn.errors import RunInterrupted
    from snn.training import resume

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with monkeypatch.context() as patch:
        _stop_at(patch, "run", epoch=2, step=1)
        with pytest.raises(RunInterrupted):
            train(_config(uri, {"steps_per_execution": 1}), tmp_path / "run", verbose=0)
    client = MlflowClient(uri)
    assert _only_run(client).info.status == "KILLED"
    resume(tmp_path / "run", verbose=0)
    run = _only_run(client)  # still one MLflow run
    assert run.info.status == "FINISHED"
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "loss")]
    assert sorted(set(steps)) == list(history.epoch) == [0, 1, 2]
