"""Logging a run to MLflow (`output.mlflow`), beside what its run directory holds.

One MLflow run per `snn` run: the resolved config as parameters (dotted keys), the
per-epoch logs as metric histories (a k-fold run's prefixed `fold_<k>/`), the final
validation and test metrics, the run directory as artifacts, and tags for the snn
version, the Keras backend and the code's git commit. The MLflow run's id is kept in the
run directory (`mlflow.json`), so a resumed run goes on logging to the same MLflow run.
"""

import time

import keras

from snn.config import to_dict
from snn.errors import ConfigError
from snn.util.files import read_json, write_json

RECORD = "mlflow.json"


class MLflowTracking:
    """An open MLflow run of a training run.

    Create with `connect` (before the run directory is written, so that an unreachable
    store leaves nothing behind), then `begin`, then `finish` or `end`.

    Args:
        client: `mlflow.tracking.MlflowClient` of the store.
        experiment_id: str, the MLflow experiment's id.
        settings: `snn.config.MLflowConfig`.
    """

    def __init__(self, client, experiment_id, settings):
        self.client, self.experiment_id, self.settings = client, experiment_id, settings
        self.run_id = None

    @classmethod
    def connect(cls, settings):
        """Open the store and find or create the experiment.

        Args:
            settings: `snn.config.MLflowConfig`.

        Returns:
            MLflowTracking.

        Raises:
            ConfigError: MLflow is not installed, or the store cannot be opened or written.
        """
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise ConfigError("output.mlflow: MLflow is not installed; expected "
                              "`pip install -e '.[mlflow]'`, or no output.mlflow",
                              key="output.mlflow") from None
        try:
            client = MlflowClient(settings.tracking_uri)
            experiment = client.get_experiment_by_name(settings.experiment)
            experiment_id = experiment.experiment_id if experiment else \
                client.create_experiment(settings.experiment)
        except Exception as error:  # MLflow raises its own and its stores' (SQL, HTTP) errors
            reason = str(error).strip().splitlines()[0] if str(error).strip() else \
                type(error).__name__
            raise ConfigError(f"output.mlflow.tracking_uri: cannot open or write "
                              f"{settings.tracking_uri!r} ({reason}); expected a writable "
                              "store, e.g. sqlite:///mlflow.db",
                              key="output.mlflow.tracking_uri") from None
        return cls(client, experiment_id, settings)

    def begin(self, config, run_dir, environment):
        """Start the MLflow run (or reopen the one a resumed run started).

        Args:
            config: the run's `snn.config.ExperimentConfig`.
            run_dir: Path of the run directory.
            environment: dict, the run's `environment.json`.
        """
        record = run_dir / RECORD
        if record.is_file():
            self.run_id = read_json(record)["run_id"]
            self.client.update_run(self.run_id, status="RUNNING")
            return
        git = environment.get("git") or {}
        tags = {"snn_version": environment["snn"], "backend": environment["backend"],
                "run_dir": str(run_dir.resolve()),
                **({"git_commit": git["commit"], "git_dirty": str(git["dirty"])}
                   if git else {})}
        run = self.client.create_run(self.experiment_id, run_name=run_dir.name, tags=tags)
        self.run_id = run.info.run_id
        from mlflow.entities import Param

        self.client.log_batch(self.run_id, params=[
            Param(key, str(value)) for key, value in _flatten(to_dict(config)).items()])
        write_json(record, {"tracking_uri": self.settings.tracking_uri,
                            "experiment": self.settings.experiment, "run_id": self.run_id})

    def callback(self, fold, folds):
        """A Keras callback logging every epoch's logs as metrics, step = epoch from 0.

        Args:
            fold: int, the fold about to train, from 1.
            folds: int, the run's number of folds; with more than one, each metric's
                name starts with "fold_<fold>/".
        """
        return _EpochMetrics(self.client, self.run_id, f"fold_{fold}/" if folds > 1 else "")

    def finish(self, metrics, run_dir):
        """Log the final metrics and the run directory's files; end the MLflow run.

        Args:
            metrics: dict, the run's `metrics.json`.
            run_dir: Path of the run directory.
        """
        final = {f"{split}_{name}": value for split in ("validation", "test")
                 for name, value in metrics[split].items()}
        final.update({f"test_std_{name}": value for name, value in metrics["test_std"].items()})
        final.update({"epochs_run": metrics["epochs_run"],
                      "train_seconds": metrics["train_seconds"]})
        for name, value in final.items():
            self.client.log_metric(self.run_id, name, float(value))
        self.client.log_artifacts(self.run_id, str(run_dir))
        self.client.set_terminated(self.run_id, "FINISHED")

    def end(self, status):
        """End the MLflow run early: "FAILED" or "KILLED" (interrupted, resumable)."""
        if self.run_id is not None:
            self.client.set_terminated(self.run_id, status)


class _EpochMetrics(keras.callbacks.Callback):
    def __init__(self, client, run_id, prefix):
        super().__init__()
        self.client, self.run_id, self.prefix = client, run_id, prefix

    def on_epoch_end(self, epoch, logs=None):
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[
            Metric(f"{self.prefix}{name}", float(value), now, epoch)
            for name, value in (logs or {}).items()])


def _flatten(data, prefix=""):
    """{dotted key: value} of a nested mapping's leaves."""
    flat = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat
