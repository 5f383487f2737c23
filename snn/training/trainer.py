"""Train an experiment end to end, and re-evaluate a finished run.

`train(config, run_dir)` reads top to bottom: data, folds (`snn.evaluation`), then per fold
seed, standardize, build (`prepare`), compile, audit, fit, evaluate, save. Everything that
can fail because of the user's config or data happens before the run directory is created,
so a mistake leaves nothing behind. `status.json` says whether the run is running,
completed, failed or interrupted; `metrics.json` is written just before "completed".

Training survives interruption: every `training.checkpoint_interval` epochs, and when
SIGINT or SIGTERM arrives (after the current step), the fold's whole training state goes
to a checkpoint (`snn.training.checkpoints`), and `train(..., resume=True)` goes on from it to the
same result as an uninterrupted run. Finished folds are recorded, so a resumed k-fold run
skips them.

A holdout run keeps its model and splits in the run directory itself; a run with several
folds keeps each fold's in `fold_1/`, `fold_2/`, ... and reports the mean and standard
deviation of the folds' test metrics.
"""

import contextlib
import dataclasses
import functools
import logging
import signal
import time
from pathlib import Path

import keras
import numpy as np
import skops.io
import threadpoolctl
from sklearn.utils.class_weight import compute_class_weight

from snn import runs
from snn.config import save_config, use_backend
from snn.data import SPLITS, Preprocessing, data_root, load_dataset, resolve_data_path
from snn.data import take_rows
from snn.data.encoding import Origin
from snn.data.fingerprints import fingerprint
from snn.data.memory import MEMORY
from snn.data.batches import EpochBatches, even_rows, steps_per_epoch
from snn.diagnostics import ActivationStatistics, audit
from snn.distributed import (BFLOAT16_CPU_FLAGS, bfloat16_in_hardware, device_scope,
                             distribution_scope)
from snn.errors import (AuditError, ConfigError, DataError, RunDirError, RunInterrupted,
                        RunPruned, describe)
from snn.evaluation import fold_indices
from snn.losses import masked_binary_crossentropy
from snn.metrics import prediction_loss, prediction_metrics, summarize, task_of
from snn.models import build_model, model_kind
from snn.models.reference import predict_outputs
from snn.training.callbacks import ActivationSummaries, EpochProgress, ResumableEarlyStopping
from snn.training.callbacks import TrainingSetLoss
from snn.training.checkpoints import Checkpointing, discard, position
from snn.training.tracking import MLflowTracking
from snn.util.console import remaining
from snn.util.files import read_json, write_atomic, write_json
from snn.util.interrupts import StopRequests

logger = logging.getLogger("snn")

# Validation examples whose activations `training.activation_statistics` follows.
_PROBE_SIZE = 512

# `training.precision` -> Keras dtype policy: bfloat16 compute keeps float32 weights.
_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16",
             "mixed_float16": "mixed_float16"}

# The loss and the Keras metrics logged during training, per task, unless the config names
# its own. Test metrics come from `snn.metrics` (exact AUC, missing labels skipped).
_TASK_DEFAULTS = {
    "multiclass": ("sparse_categorical_crossentropy", ["accuracy"]),
    "binary": (masked_binary_crossentropy, ["accuracy"]),
    "multilabel": (masked_binary_crossentropy, []),
    "regression": ("mean_squared_error", ["mean_absolute_error"]),
}


@dataclasses.dataclass
class Experiment:
    """One fold ready to train: its splits and its (uncompiled) model.

    Attributes:
        config: the `ExperimentConfig` it was prepared from.
        task: "multiclass", "binary", "multilabel" or "regression".
        num_outputs: int, the width of the model's output (classes for "multiclass").
        indices: {"train", "validation", "test"} -> row indices.
        preprocessing: `snn.data.Preprocessing` fitted on the training rows.
        splits: {split: (x, y)} preprocessed: inputs encoded and standardized,
            regression targets standardized.
        model: keras.Model as initialized.
        class_weight: {class: weight} for `fit`, or None.
    """

    config: object
    task: str
    num_outputs: int
    indices: dict
    preprocessing: Preprocessing
    splits: dict
    model: keras.Model
    class_weight: dict | None


def prepare(config, dataset=None, indices=None):
    """Seed, split and standardize the data, and build the model of one fold.

    Everything here depends only on the config, so `snn diagnose` and `snn audit` see the
    very model and inputs that `snn train` would train.

    Args:
        config: `snn.config.ExperimentConfig`.
        dataset: `snn.data.Dataset`, or None to load it from the config.
        indices: one fold's {"train", "validation", "test"} row indices, or None for the
            first fold of the configured protocol.

    Returns:
        `Experiment`.

    Raises:
        ConfigError, DataError: the data or the model arguments are unusable, or Keras runs
            on another backend than `training.backend`.
    """
    use_backend(config.training.backend)
    # Seed Python, NumPy and the backend, so the same config gives the same run.
    keras.utils.set_random_seed(config.seed)
    activation = config.model.arguments["output_activation"]
    if dataset is None:
        dataset = load_dataset(config.data, activation)
    if indices is None:
        indices = fold_indices(config, dataset)[0]
    task = task_of(activation, dataset.num_outputs)
    train = indices["train"]
    preprocessing = Preprocessing.fit(take_rows(dataset.x, train), dataset.y[train],
                                      regression=task == "regression",
                                      standardize=config.data.standardize,
                                      unseen_categories=config.data.unseen_categories)
    splits = _prepare_splits(dataset, indices, preprocessing)
    with _dtype_policy(config.training.precision):
        model = build_model(config.model.name, input_shape=splits["train"][0].shape[1:],
                            num_outputs=dataset.num_outputs, seed=config.seed,
                            **config.model.arguments)
    class_weight = _class_weight(config.training.class_weight, task, splits["train"][1])
    return Experiment(config, task, dataset.num_outputs, indices, preprocessing, splits,
                      model, class_weight)


@contextlib.contextmanager
def _dtype_policy(precision):
    """Keras layers take the global dtype policy when they are made: set it for this model
    alone. Under "mixed_float16" the model's `compile` adds dynamic loss scaling."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(_POLICIES[precision])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def train(config, run_dir=None, verbose=1, overwrite=False, resume=False, observers=(),
          data=None):
    """Train the experiment described by `config` and save everything to a run directory.

    Args:
        config: `snn.config.ExperimentConfig`.
        run_dir: str, Path or None; None creates `<output.dir>/<name>-<timestamp>`.
        verbose: 1 shows a progress bar over epochs; 0 is silent.
        overwrite: bool, replace a run already in `run_dir`.
        resume: bool, continue the unfinished run in `run_dir` from its checkpoints;
            `config` must be the run's own (`load_config(run_dir / "config.yaml")`).
        observers: objects with a method `callback(fold, folds)` that returns a Keras
            callback for fold `fold` (from 1) of `folds`, called before each fold trains,
            e.g. a search's trial pruning (`snn.sweeps.search.TrialPruning`).
        data: (x, y) to train on, with `data.source: memory` in the config: x a pandas
            DataFrame (n, columns) of numeric and categorical columns, or a numeric array
            (n, ...); y the targets (n,) or (n, k), numbers or class names (see
            `snn.data.memory.load_memory`). None reads the data the config names.

    Returns:
        dict, the content of `metrics.json` plus "run_dir": "protocol"; "test" and
        "validation" ({metric: value}, the mean over folds); "test_std" (standard deviation
        over folds, 0 for one fold); "folds" (one {"test", "validation", "epochs_run",
        "best_epoch"} per fold; "best_epoch" is the epoch whose weights the model keeps,
        from 1, or None for a scikit-learn reference method); "epochs_run",
        "train_seconds", "samples_per_second" (summed over folds);
        "audit" (the audit's findings, as text).

    Raises:
        ConfigError, DataError, DeviceError: the config, data or device is unusable (nothing
            is written then).
        AuditError: `training.audit` is "error" and the model or inputs break
            self-normalization (nothing is written then).
        RunDirError: `run_dir` holds a run that the flags do not allow to replace or
            resume, or cannot be written.
        TrainingError: the loss became NaN or infinite; the run is marked failed and keeps
            its last checkpoint.
        RunInterrupted: SIGINT or SIGTERM arrived; the run is checkpointed and marked
            interrupted, and the message says how to resume it.
        RunPruned: an observer's callback pruned the run; it is marked pruned.

    Example:
    >>> from snn.config import load_config
    >>> metrics = train(load_config("configs/digits_snn.yaml"), "runs/digits")
    >>> metrics["test"]["accuracy"] > 0.96
    True

    A table in memory:
    >>> from snn.config import parse_config
    >>> config = parse_config({"data": {"source": "memory", "missing": "impute"}})
    >>> metrics = train(config, "runs/penguins",
    ...                 data=(table.drop(columns="species"), table["species"]))
    """
    with device_scope(config.training.device), \
            distribution_scope(config.training.distribution) as topology:
        if config.training.precision == "bfloat16" and bfloat16_in_hardware() is False:
            logger.warning(
                "training.precision: bfloat16 on a CPU without bfloat16 instructions (none "
                "of %s in /proc/cpuinfo) is emulated and trains slower than float32 "
                "(benchmarks/RESULTS.md); expected precision: float32 on this machine",
                ", ".join(BFLOAT16_CPU_FLAGS))
        # --- data, folds, and the first fold's model: checked before anything is written ---
        replicas = topology.replicas
        if config.training.batch_size % replicas:
            raise ConfigError(f"training.batch_size: got {config.training.batch_size}; with "
                              f"distribution {config.training.distribution!r} over {replicas} "
                              f"replicas it must be a multiple of {replicas}",
                              key="training.batch_size")
        dataset = load_dataset(config.data, config.model.arguments["output_activation"], data)
        folds = fold_indices(config, dataset)
        first = prepare(config, dataset, folds[0])
        compile_model(first, topology)
        findings = audit_model(first)
        # One worker logs to MLflow; an unwritable store is said before the run exists.
        mlflow = config.output.mlflow
        tracking = mlflow and topology.worker == 0 and MLflowTracking.connect(mlflow)

        run_dir = runs.create_run_dir(config, run_dir, overwrite, resume)
        with StopRequests() as stop, recording_status(run_dir), _ending(tracking):
            if not resume:
                write_run_records(first, run_dir, dataset,
                                  {"replicas": replicas, "workers": topology.workers})
            if tracking:
                tracking.begin(config, run_dir, read_json(run_dir / runs.ENVIRONMENT))
            results = _train_folds(first, dataset, folds, run_dir, verbose, stop, topology,
                                   [*([tracking] if tracking else []), *observers])
            metrics = finish_run(config, run_dir, results, findings)
            if tracking:
                tracking.finish(metrics, run_dir)
    return {**metrics, "run_dir": str(run_dir)}


def write_run_records(experiment, run_dir, dataset, environment):
    """Write what a new run records before it trains: its config, `environment.json` and
    `data.json`.

    Args:
        experiment: the `Experiment` of the run's first fold.
        run_dir: Path of the run directory.
        dataset: the `snn.data.Dataset` it trains on.
        environment: dict of entries `environment.json` adds to `snn.runs.environment`
            (e.g. "replicas", "workers").
    """
    config = experiment.config
    save_config(config, run_dir / runs.CONFIG)
    write_json(run_dir / runs.ENVIRONMENT, {
        **runs.environment(config), **environment,
        "data_dir": str(data_root(config.data.data_dir))})
    write_json(run_dir / runs.DATA, _data_record(dataset, experiment.preprocessing))


def finish_run(config, run_dir, results, findings):
    """Write `metrics.json` from the folds' results, then mark the run completed.

    Returns:
        dict, the content of `metrics.json`.
    """
    metrics = _summary(config, results, findings)
    write_json(run_dir / runs.METRICS, metrics)
    runs.write_status(run_dir, "completed")
    return metrics


def _data_record(dataset, preprocessing):
    """What `data.json` records: the raw inputs the model takes (a table's columns, or an
    array's shape per example), the class names in output order, and a fingerprint of the
    data, by which `evaluate` refuses data that changed."""
    encoder = preprocessing.encoder
    return {"features": encoder.columns if encoder else None,
            "categorical": encoder.categorical if encoder else [],
            "input_shape": None if encoder else list(dataset.x.shape[1:]),
            "classes": dataset.classes,
            "fingerprint": fingerprint(dataset.x, dataset.y)}


def resume(run_dir, verbose=1, data=None):
    """Continue an interrupted (or killed, or failed) run from its last checkpoints.

    The run ends as it would have without the interruption: on CPU, with the same final
    weights and metrics.

    Args:
        run_dir: str or Path of the run directory.
        verbose: as for `train`.
        data: the (x, y) a `data.source: memory` run was started with, else None.

    Returns:
        dict, as `train` returns.

    Raises:
        RunDirError: `run_dir` holds no run, a completed one, or one still running.
        ConfigError, DataError: the run's config or data can no longer be loaded, or the
            data (any split) changed since the run started.
        TrainingError, RunInterrupted: as for `train`.
    """
    runs.check_resumable(run_dir)
    config = runs.run_config(run_dir)
    _check_rows_passed(config, run_dir, data, "resume")
    return train(config, run_dir, verbose, resume=True, data=data)


def _check_rows_passed(config, run_dir, data, action):
    """A run on rows passed in Python needs them again, which the command line cannot give."""
    if config.data.source == MEMORY and data is None:
        raise DataError(f"{run_dir}: trained on rows passed in Python (data.source: memory), "
                        f"which the command line cannot pass; expected {action} from Python "
                        f"with the same rows: snn.training.{action}(run_dir, data=(x, y))")


@contextlib.contextmanager
def recording_status(run_dir):
    """Mark the run in `run_dir` failed, interrupted or pruned when training ends with an
    exception (re-raised, a stop's message saying how to resume); a pruned run's
    checkpoints are removed, since nothing resumes it."""
    try:
        yield
    except RunPruned as pruned:
        # Pruning is final (a search never resumes a pruned trial): no checkpoint to keep.
        for fold_dir in (run_dir, *run_dir.glob("fold_*")):
            discard(fold_dir / runs.CHECKPOINT)
        write_final_status(run_dir, "pruned", reason=str(pruned))
        raise
    except RunInterrupted as stopped:
        write_final_status(run_dir, "interrupted", reason=str(stopped))
        raise RunInterrupted(f"{run_dir}: stopped by {stopped}; checkpoint written. Resume "
                             f"with: snn train --resume {run_dir}", stopped.signum) from None
    except KeyboardInterrupt:
        write_final_status(run_dir, "interrupted",
                            reason="stopped at once; the last checkpoint is kept")
        raise RunInterrupted(f"{run_dir}: stopped at once by a second Ctrl-C; the last "
                             f"checkpoint is kept. Resume with: snn train --resume {run_dir}",
                             signal.SIGINT) from None
    except OSError as error:  # e.g. the disk is full: the user's to fix, not a bug
        write_final_status(run_dir, "failed", reason=describe(error))
        where = f" {error.filename}" if error.filename else ""
        raise RunDirError(f"{run_dir}: cannot write{where} ({error.strerror or error}); the "
                          "run is marked failed") from None
    except BaseException as error:
        write_final_status(run_dir, "failed", reason=describe(error))
        raise


@contextlib.contextmanager
def _ending(tracking):
    """End the MLflow run, if any, with the training run: "KILLED" when interrupted (it
    can resume) or pruned, "FAILED" on any other error."""
    try:
        yield
    except BaseException as error:
        if tracking:
            try:
                tracking.end("KILLED" if isinstance(error, (KeyboardInterrupt, RunPruned))
                             else "FAILED")
            except Exception as failure:  # the training error matters more
                logger.warning("MLflow: could not mark the run ended (%s)", failure)
        raise


def write_final_status(run_dir, status, **details):
    """Write the status a run ended with, as far as the disk allows."""
    try:
        runs.write_status(run_dir, status, **details)
    except OSError:
        pass  # e.g. a full disk; the status stays "running", which resumes just as well


def _train_folds(first, dataset, folds, run_dir, verbose, stop, topology, observers):
    """Train every fold not finished yet, with each observer's callback; return each
    fold's results."""
    config, results = first.config, []
    trained, started = 0, time.perf_counter()
    for number, indices in enumerate(folds, start=1):
        fold_dir = run_dir if len(folds) == 1 else run_dir / f"fold_{number}"
        signum = topology.agree(stop.signum)  # before every fold, on every worker
        if (fold_dir / runs.FOLD_RESULTS).is_file():  # finished before an interruption
            results.append(read_json(fold_dir / runs.FOLD_RESULTS))
            continue
        if signum is not None:
            raise RunInterrupted(f"{signal.Signals(signum).name} before fold {number}", signum)
        experiment = first if number == 1 else prepare(config, dataset, indices)
        if number > 1:
            compile_model(experiment, topology)
        fold_dir.mkdir(exist_ok=True)
        label = "" if len(folds) == 1 else f"fold {number}/{len(folds)}"
        observing = [observer.callback(number, len(folds)) for observer in observers]
        result = _train_fold(experiment, fold_dir, label, verbose, stop, topology, observing)
        write_json(fold_dir / runs.FOLD_RESULTS, result)
        discard(fold_dir / runs.CHECKPOINT)  # the saved model supersedes the checkpoints
        results.append(result)
        trained += 1
        if label and verbose and number < len(folds):
            # Folds finished before a resume are not counted: their time is unknown here.
            to_go = remaining(trained, trained + len(folds) - number,
                              time.perf_counter() - started)
            print(f"{label} done; {to_go}", flush=True)
    return results


def _summary(config, results, findings):
    """The content of `metrics.json`, from the folds' results."""
    test, test_std = summarize([fold["test"] for fold in results])
    validation, _ = summarize([fold["validation"] for fold in results])
    seconds = sum(fold["train_seconds"] for fold in results)
    seen = sum(fold["epochs_run"] * fold["train_examples"] for fold in results)
    return {
        "protocol": config.evaluation.protocol,
        "test": test,
        "test_std": test_std,
        "validation": validation,
        "folds": [{key: fold.get(key) for key in ("test", "validation", "epochs_run",
                                                  "best_epoch")}
                  for fold in results],
        "epochs_run": sum(fold["epochs_run"] for fold in results),
        "train_seconds": round(seconds, 3),
        "samples_per_second": round(seen / seconds, 1) if seconds else 0.0,
        "audit": [str(finding) for finding in findings],
    }


def compile_model(experiment, topology):
    """Compile the fold's network (a reference method needs nothing) with the configured
    optimizer, its task's loss and metrics, and the steps per call into the backend.

    Raises:
        ConfigError: early stopping monitors a value that is not logged, or the training
            rows make no batch.
    """
    if not isinstance(experiment.model, keras.Model):
        return  # a scikit-learn reference method
    training = experiment.config.training
    loss, metrics = loss_and_metrics(experiment)
    experiment.model.compile(
        optimizer=keras.optimizers.get({"class_name": training.optimizer,
                                        "config": {"learning_rate": training.learning_rate}}),
        loss=loss, metrics=metrics,
        steps_per_execution=steps_per_execution(experiment, topology),
        jit_compile=training.jit_compile,
    )


def loss_and_metrics(experiment):
    """(loss, [metric names]) the fold's network trains with: the config's, else its
    task's defaults.

    Raises:
        ConfigError: early stopping monitors a value that is not logged.
    """
    training = experiment.config.training
    loss, metrics = _TASK_DEFAULTS[experiment.task]
    metrics = training.metrics if training.metrics is not None else metrics
    _check_monitor(training.early_stopping, metrics, training.train_set_loss)
    return training.loss or loss, metrics


def steps_per_execution(experiment, topology):
    """Training steps per call into the backend: the largest divisor of the steps per epoch
    up to `training.steps_per_execution` (one under PyTorch, whose Keras trainer runs one
    step per call), so that every epoch ends between calls: a call past the epoch's end
    would take the next epoch's batches, and a resumed run would see other ones.

    Raises:
        ConfigError: the training rows make no batch.
    """
    training = experiment.config.training
    rows = len(experiment.splits["train"][0])
    steps = steps_per_epoch(rows, training.batch_size, rows_multiple(training, topology))
    if steps == 0:
        raise ConfigError(f"training.drop_remainder: the {rows} training rows make no full "
                          f"batch of {training.batch_size}; expected a batch_size of at most "
                          f"{rows}, or drop_remainder: false", key="training.drop_remainder")
    most = 1 if keras.backend.backend() == "torch" else training.steps_per_execution
    return max(count for count in range(1, most + 1) if steps % count == 0)


def _train_fold(experiment, fold_dir, label, verbose, stop, topology, observing):
    """Fit one fold, evaluate it and save its model, statistics and splits to `fold_dir`.

    `observing`: Keras callbacks of observers (MLflow logging, trial pruning), called
    after each epoch is logged to `history.csv`."""
    fit = _fit_network if isinstance(experiment.model, keras.Model) else _fit_reference
    with topology.connected():
        epochs_run, train_seconds, best_epoch = fit(experiment, fold_dir, label, verbose,
                                                    stop, topology, observing)
    with topology.local_model(experiment.model) as model:
        result = finish_fold(experiment, model, fold_dir, topology.batch_multiple,
                             epochs_run, train_seconds, best_epoch)
    if label and verbose:
        print(f"{label}: " + ", ".join(f"test {k} {v:.4f}" for k, v in result["test"].items()))
    return result


def finish_fold(experiment, model, fold_dir, batch_multiple, epochs_run, train_seconds,
                best_epoch):
    """Evaluate a trained fold on its test and validation rows and save its model,
    preprocessing and row indices to `fold_dir`.

    Args:
        experiment: the fold's `Experiment`.
        model: its trained model (on one device).
        fold_dir: Path to save to.
        batch_multiple: int, what every prediction batch's size must be a multiple of.
        epochs_run, train_seconds, best_epoch: what training reports (see `train`).

    Returns:
        dict, the fold's results: "test", "validation", "epochs_run", "best_epoch",
        "train_seconds", "train_examples".
    """
    splits, batch_size = experiment.splits, experiment.config.training.batch_size
    results = {split: _evaluate(model, experiment.task, experiment.num_outputs,
                                *splits[split], batch_size, batch_multiple,
                                experiment.preprocessing)
               for split in ("test", "validation")}
    _save_fold(experiment, model, fold_dir)
    return {**results, "epochs_run": epochs_run, "best_epoch": best_epoch,
            "train_seconds": round(train_seconds, 3),
            "train_examples": len(experiment.indices["train"])}


def _fit_network(experiment, fold_dir, label, verbose, stop, topology, observing):
    """Keras `fit` from the fold's checkpoint (if any) to the end.

    Returns:
        (epochs run, training seconds, the epoch whose weights the model keeps, from 1),
        counted over every session of the run.
    """
    config, model = experiment.config, experiment.model
    training = config.training
    x, y = experiment.splits["train"]
    worker, workers = topology.worker, topology.workers
    batches = EpochBatches(x, y, training.batch_size, config.seed, experiment.class_weight,
                           rows_multiple(training, topology), (worker, workers))
    # Every validation batch must split evenly too: leave out the last few rows (the test
    # metrics, afterwards, use every row). Each worker validates its own equal share.
    x_val, y_val = experiment.splits["validation"]
    share = even_rows(len(x_val), topology.batch_multiple) // workers
    rows = slice(worker * share, (worker + 1) * share)
    validation = (x_val[rows], y_val[rows])
    stopping = early_stopping(training)
    statistics = training.activation_statistics and ActivationStatistics(
        experiment.splits["validation"][0][:_PROBE_SIZE], fold_dir, config.model.fixed_point)
    resumables = [callback for callback in (stopping, statistics) if callback]
    data = fingerprint(*(array for split in SPLITS for array in experiment.splits[split]))
    checkpoint = Checkpointing(fold_dir / runs.CHECKPOINT, training.checkpoint_interval,
                               resumables, data, stop, topology)
    if checkpoint.restore(model, (x[:1], y[:1])):
        if verbose:
            print(f"{label + ': ' if label else ''}resuming "
                  f"{position(checkpoint.epoch, checkpoint.step)}")
    elif logged := _logged_epochs(fold_dir / runs.HISTORY):
        logger.warning("%s: no checkpoint to resume from, though %d epochs were logged; "
                       "training the fold again from its first epoch", fold_dir, logged)
    if not topology.same_on_every_worker([checkpoint.epoch, checkpoint.step]):
        raise DataError(f"{fold_dir / runs.CHECKPOINT}: this worker resumes after epoch "
                        f"{checkpoint.epoch}, step {checkpoint.step}, another one elsewhere; "
                        "expected the checkpoints of one stop: start every worker again "
                        "with --overwrite")
    _keep_history(fold_dir / runs.HISTORY, checkpoint.epoch)
    progress = verbose and EpochProgress(training.epochs, label, checkpoint.epoch)
    # First, so that the history, early stopping and the progress bar see its value.
    train_set = training.train_set_loss != "off" and TrainingSetLoss(
        x, y, training.batch_size, training.train_set_loss, training.drop_remainder)
    board = [keras.callbacks.TensorBoard(str(fold_dir / runs.TENSORBOARD)),
             *([ActivationSummaries(statistics, fold_dir / runs.TENSORBOARD / "activations")]
               if statistics else [])] if training.tensorboard else []
    callbacks = [*([train_set] if train_set else []),
                 keras.callbacks.CSVLogger(str(fold_dir / runs.HISTORY), append=True),
                 *resumables, *board, *observing, checkpoint,
                 *([progress] if progress else [])]
    fit = functools.partial(model.fit, validation_data=validation,
                            validation_batch_size=training.batch_size // workers,
                            callbacks=callbacks,
                            shuffle=False, verbose=0)  # EpochBatches shuffles
    try:
        if checkpoint.step:  # stopped mid-epoch: first finish that epoch
            fit(batches.starting_at(checkpoint.epoch, checkpoint.step),
                steps_per_epoch=batches.steps_per_epoch - checkpoint.step,
                initial_epoch=checkpoint.epoch, epochs=checkpoint.epoch + 1)
        if checkpoint.epoch < training.epochs and not (stopping and stopping.stopped):
            fit(batches.starting_at(checkpoint.epoch), steps_per_epoch=batches.steps_per_epoch,
                initial_epoch=checkpoint.epoch, epochs=training.epochs)
    finally:
        if progress:
            progress.close()  # also when stopped: the next line starts on its own
    if stopping and stopping.best_weights is not None:
        stopping.restore_best(model)
        return checkpoint.epoch, checkpoint.seconds, stopping.best_epoch + 1
    return checkpoint.epoch, checkpoint.seconds, checkpoint.epoch


def early_stopping(training):
    """The `ResumableEarlyStopping` of `training.early_stopping`, or None without it."""
    settings = training.early_stopping
    return settings and ResumableEarlyStopping(
        monitor=settings.monitor, patience=settings.patience, min_delta=settings.min_delta,
        smoothing=settings.smoothing)


def rows_multiple(training, topology):
    """What each epoch's training rows are cut to a multiple of: the batch size when the
    last, partial batch is dropped (every step then sees `batch_size` rows), else the
    replicas of data parallelism."""
    return training.batch_size if training.drop_remainder else topology.batch_multiple


def _logged_epochs(path):
    """The epochs `history.csv` at `path` logs (0 when there is none)."""
    return max(len(path.read_bytes().splitlines()) - 1, 0) if path.is_file() else 0


def _keep_history(path, epochs):
    """Cut `history.csv` back to its header and the rows of the first `epochs` epochs: a
    resumed run logs the later ones again."""
    if path.is_file():
        lines = path.read_bytes().splitlines(keepends=True)[:1 + epochs]
        write_atomic(path, lambda temporary: Path(temporary).write_bytes(b"".join(lines)))


def _fit_reference(experiment, fold_dir, label, verbose, stop, topology, observing):
    """scikit-learn `fit` on the training rows (flattened); returns (0 epochs, seconds,
    None: no epoch to choose)."""
    started = time.perf_counter()
    x, y = experiment.splits["train"]
    if experiment.task != "regression":
        y = y.reshape(-1).astype(int)
    elif y.shape[1] == 1:
        y = y[:, 0]  # scikit-learn's regressors take one target as a vector
    weights = (None if experiment.class_weight is None else
               np.array([experiment.class_weight[c] for c in y]))
    # In a process with TensorFlow, scikit-learn's OpenMP threads contend with its thread
    # pools: measured on 2 cores, a gradient-boosting fit took 7 s with them and 1.4 s with
    # one thread alone, and up to 160 s in a busy sweep worker. One thread is never slower
    # there (20,000 rows: 2.3 s against 2.6 s).
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        experiment.model.fit(x.reshape(len(x), -1), y, sample_weight=weights)
    return 0, time.perf_counter() - started, None


def _save_fold(experiment, model, fold_dir):
    """The fold's model, preprocessing and row indices, each written atomically."""
    if isinstance(model, keras.Model):
        write_atomic(fold_dir / runs.MODEL, model.save)
    else:
        write_atomic(fold_dir / runs.REFERENCE_MODEL,
                          lambda path: skops.io.dump(model, path))
    experiment.preprocessing.save(fold_dir)
    write_atomic(fold_dir / runs.SPLITS, lambda path: np.savez(path, **experiment.indices))


def _class_weight(mode, task, y_train):
    """Keras class weights: "balanced" weighs classes inversely to their frequency."""
    if mode == "none":
        return None
    if task not in ("multiclass", "binary"):
        raise ConfigError("training.class_weight: 'balanced' needs single-label "
                          f"classification; this model's task is {task}",
                          key="training.class_weight")
    labels = y_train.reshape(-1).astype(int)
    classes = np.unique(labels)
    weights = compute_class_weight("balanced", classes=classes, y=labels)
    return {int(c): float(w) for c, w in zip(classes, weights)}


def audit_model(experiment):
    """Run the SNN audit on a fold's model and training inputs before training: log its
    findings, or stop on them, as `training.audit` says. The paper's baselines break its
    rules on purpose: only SNNs are audited.

    Returns:
        list of `snn.diagnostics.Finding`.

    Raises:
        AuditError: `training.audit` is "error" and there are findings.
    """
    config = experiment.config
    mode = config.training.audit if model_kind(config.model.name) == "snn" else "off"
    if mode == "off":
        return []
    findings = audit(experiment.model, experiment.splits["train"][0])
    if findings and mode == "error":
        raise AuditError(f"training.audit: {len(findings)} finding(s), first: {findings[0]} "
                         "(set training.audit: warn to train anyway)")
    for finding in findings:
        logger.warning("%s", finding)
    return findings


def evaluate(run_dir, data=None):
    """Reload a finished run's models, splits and preprocessing; recompute test metrics.

    Args:
        run_dir: str or Path of a completed run.
        data: the (x, y) a `data.source: memory` run was trained on, else None.

    Returns:
        dict {metric: value}, the mean over folds of the test metrics; equal to
        `metrics.json`'s "test".

    Raises:
        RunDirError: `run_dir` is not a completed run.
        ConfigError, DataError: its config or data can no longer be loaded, or the data
            differs from what the run was trained on. Relative data paths are resolved as
            when the run started (`snn.runs.run_config`).
    """
    run_dir = Path(run_dir)
    runs.check_complete(run_dir)
    config = runs.run_config(run_dir)
    _check_rows_passed(config, run_dir, data, "evaluate")
    activation = config.model.arguments["output_activation"]
    dataset = load_dataset(config.data, activation, data)
    # Runs written before data.json existed have no fingerprint to compare.
    recorded = (run_dir / runs.DATA).is_file() and read_json(run_dir / runs.DATA)["fingerprint"]
    if recorded and fingerprint(dataset.x, dataset.y) != recorded:
        raise DataError(f"data: the data of {config.data.source!r} "
                        f"({_data_location(config.data)}) differs from the data "
                        f"{run_dir} was trained on (fingerprint {recorded}); expected the "
                        "same rows, columns and values")
    task = task_of(activation, dataset.num_outputs)
    fold_dirs = sorted(run_dir.glob("fold_*"), key=lambda p: int(p.name.split("_")[1])) \
        or [run_dir]
    folds = []
    for fold_dir in fold_dirs:
        with np.load(fold_dir / runs.SPLITS, allow_pickle=False) as saved:
            indices = {split: saved[split] for split in SPLITS}
        preprocessing = Preprocessing.load(fold_dir)
        x_test, y_test = _prepare_splits(dataset, indices, preprocessing)["test"]
        model = runs.load_model(runs.model_path(fold_dir))
        folds.append(_evaluate(model, task, dataset.num_outputs, x_test, y_test,
                               config.training.batch_size, 1, preprocessing))
    return summarize(folds)[0]


def _data_location(data):
    """The data's file, or its source's options, for messages."""
    if data.source == MEMORY:
        return "the rows passed as data=(x, y)"
    path = data.options.get("path")
    return str(resolve_data_path(path, data.data_dir)) if path else \
        ", ".join(f"{key}: {value}" for key, value in data.options.items()) or "no options"


def _check_monitor(early_stopping, metrics, train_set_loss):
    """Keras only warns about an unknown monitor and then never stops; refuse it upfront."""
    logged = ["loss", *metrics]
    logged += [f"val_{name}" for name in logged]
    logged += ["train_set_loss"] if train_set_loss != "off" else []
    if early_stopping is not None and early_stopping.monitor not in logged:
        raise ConfigError(
            f"training.early_stopping.monitor: got {early_stopping.monitor!r}; expected one "
            f"of the logged values: {', '.join(logged)}", key="training.early_stopping.monitor")


def _prepare_splits(dataset, indices, preprocessing):
    """{split: (x, y)} preprocessed with what was fitted on the training rows; messages
    name a row by its position in the whole data (`data.iloc[i]`)."""
    return {split: (preprocessing.apply(take_rows(dataset.x, rows),
                                        Origin("data", index=rows)),
                    preprocessing.scale_targets(dataset.y[rows]))
            for split, rows in indices.items()}


def _evaluate(model, task, num_outputs, x, y, batch_size, batch_multiple, preprocessing):
    """The loss, then the task's metrics from predictions (`snn.metrics`), regression
    metrics in the data's units. A network's loss is the one it was trained on; a reference
    method's is `snn.metrics.prediction_loss`."""
    if not isinstance(model, keras.Model):
        predictions = predict_outputs(model, x, task, num_outputs)
        loss = prediction_loss(task, y, predictions)
    else:
        predictions = _predict(model, x, batch_size, batch_multiple)
        # Through NumPy: on PyTorch the loss keeps its graph (the L2 penalty's weights).
        loss = float(keras.ops.convert_to_numpy(
            model.compute_loss(x=x, y=y, y_pred=predictions, training=False)))
    return {"loss": loss, **prediction_metrics(task, preprocessing.restore_targets(y),
                                               preprocessing.restore_targets(predictions))}


def _predict(model, x, batch_size, batch_multiple):
    """`model.predict`, also where every batch must split evenly over the replicas (JAX
    data parallelism): the last batch is padded with copies of a row, cut off after."""
    padding = -len(x) % batch_multiple
    padded = np.concatenate([x, np.repeat(x[-1:], padding, axis=0)]) if padding else x
    return model.predict(padded, batch_size=batch_size, verbose=0)[:len(x)]
