"""Train an experiment end to end, and re-evaluate a finished run.

`train(config, run_dir)` reads top to bottom: seed, data, model (`prepare`), compile,
audit, fit, evaluate, save. Everything that can fail because of the user's config or data (data loading, model
arguments, device) happens before the run directory is created, so a mistake leaves nothing
behind; `metrics.json` is written last, so a run without it is visibly unfinished.
"""

import dataclasses
import logging
import time
from pathlib import Path

import keras
import numpy as np

from snn import runs
from snn.config import OPTIMIZERS, load_config, save_config
from snn.data import SPLITS, Standardization, load_dataset, split_indices
from snn.devices import device_scope
from snn.diagnostics import ActivationStatistics, audit
from snn.errors import AuditError, ConfigError, RunDirError, TrainingError
from snn.models import build_model

logger = logging.getLogger("snn")

# Validation examples whose activations `training.activation_statistics` follows.
_PROBE_SIZE = 512

# The loss and metrics that fit each output activation, unless the config names its own.
_TASK_DEFAULTS = {
    "softmax": ("sparse_categorical_crossentropy", ["accuracy"]),
    "sigmoid": ("binary_crossentropy", ["accuracy", "auc"]),
    "linear": ("mean_squared_error", ["mean_absolute_error"]),
}


@dataclasses.dataclass
class Experiment:
    """An experiment ready to train: its data, splits and (uncompiled) model.

    Attributes:
        config: the `ExperimentConfig` it was prepared from.
        indices: {"train", "validation", "test"} -> row indices.
        standardization: `Standardization` fitted on the training split, or None.
        splits: {split: (x, y)} with inputs standardized.
        model: keras.Model as initialized.
    """

    config: object
    indices: dict
    standardization: Standardization | None
    splits: dict
    model: keras.Model


def prepare(config):
    """Seed, load and split the data, standardize it, and build the model.

    Everything here depends only on the config, so `snn diagnose` and `snn audit` see the
    very model and inputs that `snn train` would train.

    Args:
        config: `snn.config.ExperimentConfig`.

    Returns:
        `Experiment`.

    Raises:
        ConfigError, DataError: the data or the model arguments are unusable.
    """
    # Seed Python, NumPy and the backend, so the same config gives the same run.
    keras.utils.set_random_seed(config.seed)
    dataset = load_dataset(config.data, config.model.arguments["output_activation"])
    indices = split_indices(len(dataset.x), config.data.validation_fraction,
                            config.data.test_fraction, config.seed, dataset.stratify)
    standardization = (None if config.data.standardize == "none" else
                       Standardization.fit(dataset.x[indices["train"]],
                                           config.data.standardize))
    model = build_model(config.model.name, input_shape=dataset.x.shape[1:],
                        num_outputs=dataset.num_outputs, seed=config.seed,
                        **config.model.arguments)
    return Experiment(config, indices, standardization,
                      _prepare_splits(dataset, indices, standardization), model)


def train(config, run_dir=None, verbose=1):
    """Train the experiment described by `config` and save everything to a run directory.

    Args:
        config: `snn.config.ExperimentConfig`.
        run_dir: str, Path or None; None creates `<output.dir>/<name>-<timestamp>`.
        verbose: 1 shows a progress bar over epochs; 0 is silent.

    Returns:
        dict, the content of `metrics.json`: {"test": {metric: value}, "validation":
        {...}, "epochs_run": int, "train_seconds": float, "samples_per_second": float,
        "audit": [str]}, plus "run_dir": str.

    Raises:
        ConfigError, DataError, DeviceError: the config, data or device is unusable (nothing
            is written then).
        AuditError: `training.audit` is "error" and the model or inputs break
            self-normalization (nothing is written then).
        RunDirError: `run_dir` already holds a completed run or cannot be created.
        TrainingError: the loss became NaN or infinite; the run is left without
            `metrics.json`.

    Example:
    >>> from snn.config import load_config
    >>> metrics = train(load_config("configs/digits_snn.yaml"), "runs/digits")
    >>> metrics["test"]["accuracy"] > 0.96
    True
    """
    training = config.training
    with device_scope(training.device):
        # --- data and model ---
        experiment = prepare(config)
        model, splits = experiment.model, experiment.splits
        loss, metrics = _TASK_DEFAULTS[config.model.arguments["output_activation"]]
        metrics = training.metrics or metrics
        _check_monitor(training.early_stopping, metrics)
        model.compile(
            optimizer=OPTIMIZERS[training.optimizer](learning_rate=training.learning_rate),
            loss=training.loss or loss,
            metrics=metrics,
        )
        findings = _audit(model, splits["train"][0], training.audit)

        # --- fit ---
        run_dir = runs.create_run_dir(config, run_dir)
        save_config(config, run_dir / runs.CONFIG)
        runs.write_json(run_dir / runs.ENVIRONMENT, runs.environment())
        started = time.perf_counter()
        history = model.fit(
            *splits["train"],
            validation_data=splits["validation"],
            epochs=training.epochs,
            batch_size=training.batch_size,
            callbacks=_callbacks(config, run_dir, splits, verbose),
            verbose=0,
        )
        train_seconds = time.perf_counter() - started
        _check_finite(history)

        # --- evaluate and save; metrics.json last marks the run complete ---
        results = {split: _evaluate(model, *splits[split], training.batch_size)
                   for split in ("test", "validation")}
    epochs_run = len(history.epoch)
    n_train = len(experiment.indices["train"])
    results.update(
        epochs_run=epochs_run,
        train_seconds=round(train_seconds, 3),
        samples_per_second=round(epochs_run * n_train / train_seconds, 1),
        audit=[str(finding) for finding in findings],
    )
    runs.write_atomic(run_dir / runs.MODEL, model.save)
    if experiment.standardization is not None:
        runs.write_atomic(run_dir / runs.STANDARDIZATION, experiment.standardization.save)
    runs.write_atomic(run_dir / runs.SPLITS, lambda path: np.savez(path, **experiment.indices))
    (run_dir / runs.CHECKPOINT).unlink(missing_ok=True)
    runs.write_json(run_dir / runs.METRICS, results)
    return {**results, "run_dir": str(run_dir)}


def _audit(model, x_train, mode):
    """Run the SNN audit before training: log its findings, or stop on them."""
    if mode == "off":
        return []
    findings = audit(model, x_train)
    if findings and mode == "error":
        raise AuditError(f"training.audit: {len(findings)} finding(s), first: {findings[0]} "
                         "(set training.audit: warn to train anyway)")
    for finding in findings:
        logger.warning("%s", finding)
    return findings


def evaluate(run_dir):
    """Reload a finished run's model, data split and standardization; recompute test metrics.

    Args:
        run_dir: str or Path of a completed run.

    Returns:
        dict {metric: value} on the run's test split; equal to `metrics.json`'s "test".

    Raises:
        RunDirError: `run_dir` is not a completed run.
        ConfigError, DataError: its config or data can no longer be loaded.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir}: no such run directory")
    if not runs.is_complete(run_dir):
        raise RunDirError(f"{run_dir}: not a completed run (no {runs.METRICS}); "
                          "train it with `snn train` first")
    config = load_config(run_dir / runs.CONFIG)
    dataset = load_dataset(config.data, config.model.arguments["output_activation"])
    with np.load(run_dir / runs.SPLITS, allow_pickle=False) as saved:
        indices = {split: saved[split] for split in SPLITS}
    standardization = (None if config.data.standardize == "none" else
                       Standardization.load(run_dir / runs.STANDARDIZATION))
    x_test, y_test = _prepare_splits(dataset, indices, standardization)["test"]
    model = runs.load_model(run_dir / runs.MODEL)
    return _evaluate(model, x_test, y_test, config.training.batch_size)


def _check_monitor(early_stopping, metrics):
    """Keras only warns about an unknown monitor and then never stops; refuse it upfront."""
    logged = ["loss", *metrics]
    logged += [f"val_{name}" for name in logged]
    if early_stopping is not None and early_stopping.monitor not in logged:
        raise ConfigError(
            f"training.early_stopping.monitor: got {early_stopping.monitor!r}; expected one "
            f"of the logged values: {', '.join(logged)}", key="training.early_stopping.monitor")


def _check_finite(history):
    """TerminateOnNaN stops at the first NaN/inf loss; such a run must not look finished."""
    losses = history.history["loss"]
    if not np.isfinite(losses[-1]):
        raise TrainingError(
            f"training.learning_rate: the loss became {losses[-1]} in epoch {len(losses)} "
            "(training diverged); lower the learning rate. The run is left unfinished."
        )


def _prepare_splits(dataset, indices, standardization):
    """{split: (x, y)} with the inputs standardized by the training statistics."""
    splits = {}
    for split, rows in indices.items():
        x = dataset.x[rows]
        splits[split] = (standardization.apply(x) if standardization else x, dataset.y[rows])
    return splits


def _evaluate(model, x, y, batch_size):
    values = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    return {name: float(value) for name, value in values.items()}


def _callbacks(config, run_dir, splits, verbose):
    callbacks = [
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.CSVLogger(str(run_dir / runs.HISTORY)),
        # The latest best model, so a crashed run still leaves a usable model behind.
        keras.callbacks.ModelCheckpoint(str(run_dir / runs.CHECKPOINT), save_best_only=True),
    ]
    stopping = config.training.early_stopping
    if stopping is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=stopping.monitor, patience=stopping.patience,
            min_delta=stopping.min_delta, restore_best_weights=True,
        ))
    if config.training.activation_statistics:
        probe = splits["validation"][0][:_PROBE_SIZE]
        callbacks.append(ActivationStatistics(probe, run_dir,
                                              config.model.arguments["fixed_point"]))
    if verbose:
        callbacks.append(EpochProgress(config.training.epochs))
    return callbacks


class EpochProgress(keras.callbacks.Callback):
    """One Keras progress bar over epochs, showing the latest training and validation logs.

    Args:
        epochs: int, the most epochs the run can take (the bar's length).
    """

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_train_begin(self, logs=None):
        self.bar = keras.utils.Progbar(self.epochs, unit_name="epoch", interval=0.5)
        self.epochs_done = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.bar.stateful_metrics = set(logs)  # show each epoch's value, not a running mean
        self.epochs_done = epoch + 1
        self.bar.update(self.epochs_done, values=list(logs.items()))

    def on_train_end(self, logs=None):
        # Early stopping ends the bar before `epochs`: close it on the epoch reached.
        self.bar.update(self.epochs_done, finalize=True)
