"""Checkpoints of the whole training state, so an interrupted run resumes exactly.

A checkpoint is one `.npz` file per fold, replaced atomically, holding everything the rest
of training depends on:
- the model's variables, including the states of its dropout seed generators (which
  Keras' `.weights.h5` files leave out);
- the optimizer's variables (step count, momenta);
- the epoch and the step within it, which with the seed fix the order of the batches
  still to come (`snn.data.batches.EpochBatches`);
- the running means of the current epoch's training metrics (for a checkpoint written
  mid-epoch, when a run is stopped by a signal);
- the state of the callbacks that carry state across epochs: early stopping (patience
  count, best value, best weights), activation statistics;
- a fingerprint of the data (training, validation and test rows), so a resume on changed
  data is refused.

Keras' `BackupAndRestore` keeps only weights and the epoch, and writes them in place.
"""

import hashlib
import json
import time
import zipfile

import keras
import numpy as np

from snn.devices import agreed_signal
from snn.errors import DataError, RunInterrupted, TrainingError
from snn.runs import write_atomic

_SIGNAL_NAMES = {2: "SIGINT", 15: "SIGTERM"}


def fingerprint(*arrays):
    """A short hash of arrays' shapes, dtypes and bytes.

    Args:
        *arrays: numpy arrays.

    Returns:
        str, 16 hex digits.
    """
    digest = hashlib.blake2b(digest_size=8)
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype}".encode())
        digest.update(array.data)
    return digest.hexdigest()


class Checkpointing(keras.callbacks.Callback):
    """Write checkpoints every `interval` epochs; stop on request, or on a bad loss.

    After every step (every call into the backend, with `steps_per_execution`): a NaN or
    infinite loss stops training with an error naming the step (the last checkpoint, of
    good weights, stays); a stop request (a signal) writes a checkpoint and stops. Unlike
    `keras.callbacks.TerminateOnNaN`, it stops at once rather than finishing the epoch, and
    prints nothing itself.

    Put it after the callbacks whose state it saves, so their epoch-end updates are in.

    Args:
        path: Path of the checkpoint file.
        interval: int, epochs between checkpoints.
        resumables: list of callbacks with `checkpoint_name`, `get_state()` returning
            (JSON-able dict, list of arrays) and `set_state(dict, arrays)`.
        data: str, `fingerprint` of the data the run trains, validates and tests on.
        stop: object whose `signum` becomes a signal number when the run must stop (see
            `snn.interrupts.StopRequests`).

    Attributes:
        epoch, step: where training stands: `step` steps into epoch `epoch` (0-based).
        seconds: training time so far, over all sessions of the run.
        saved_epoch: the epoch of the last checkpoint at an epoch's end, or None.

    Raises:
        TrainingError: from `fit`, when the loss is NaN or infinite.
        RunInterrupted: from `fit`, after the checkpoint of a stop request.
    """

    def __init__(self, path, interval, resumables, data, stop):
        super().__init__()
        self.path, self.interval, self.resumables = path, interval, resumables
        self.data, self.stop = data, stop
        self.epoch, self.step, self.seconds = 0, 0, 0.0
        self.saved_epoch = None
        self._metrics = None  # running means to restore in the first resumed epoch
        self._first_step = 0
        self._started = None

    def restore(self, model, batch):
        """Load the checkpoint, if there is one, into `model` and the callbacks.

        Call before `fit`, on the model built and compiled from the run's config.

        Args:
            model: the compiled keras.Model.
            batch: (x, y), a few training examples; Keras builds a model's compiled metrics
                in its first step, and a checkpoint written mid-epoch holds their state.

        Returns:
            bool, whether a checkpoint was found.

        Raises:
            DataError: the checkpoint cannot be read, does not fit the model, or was
                written for other training data.
        """
        if not self.path.is_file():
            return False
        try:
            with np.load(self.path, allow_pickle=False) as saved:
                meta = json.loads(str(saved["meta"]))
                arrays = {key: saved[key] for key in saved.files if key != "meta"}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            raise DataError(f"{self.path}: cannot read the checkpoint ({error}); start the "
                            "run again with --overwrite") from None
        if meta["data"] != self.data:
            raise DataError(f"{self.path}: the data differ from those the run started with; "
                            "start it again with --overwrite")
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        _assign(model.variables, _group(arrays, "model"), self.path)
        _assign(optimizer.variables, _group(arrays, "optimizer"), self.path)
        self._metrics = _group(arrays, "metrics") if meta["step"] else None
        if self._metrics is not None:
            x, y = batch
            model.compute_metrics(x, y, model(x), sample_weight=None)  # builds them
        for callback in self.resumables:
            callback.set_state(meta["callbacks"][callback.checkpoint_name],
                               _group(arrays, callback.checkpoint_name))
        self.epoch, self.step, self.seconds = meta["epoch"], meta["step"], meta["seconds"]
        self.saved_epoch = meta["epoch"] if not meta["step"] else None
        return True

    def save(self):
        """Write the checkpoint of the current state, atomically."""
        meta = {"epoch": self.epoch, "step": self.step, "seconds": self._elapsed(),
                "data": self.data, "callbacks": {}}
        arrays = _ungroup("model", self.model.variables)
        arrays |= _ungroup("optimizer", self.model.optimizer.variables)
        if self.step:
            arrays |= _ungroup("metrics", self.model.metrics_variables)
        for callback in self.resumables:
            meta["callbacks"][callback.checkpoint_name], values = callback.get_state()
            arrays |= _ungroup(callback.checkpoint_name, values)
        write_atomic(self.path, lambda temporary: np.savez(
            temporary, meta=np.array(json.dumps(meta)), **arrays))

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()

    def on_train_end(self, logs=None):
        self.seconds = self._elapsed()
        self._started = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._first_step = self.step  # 0, or where a resumed epoch goes on
        if self._metrics is not None:  # Keras has just reset them for the epoch
            _assign(self.model.metrics_variables, self._metrics, self.path)
            self._metrics = None

    def on_train_batch_end(self, batch, logs=None):
        # Once per call into the backend: `batch` is the call's last step in this `fit`.
        self.step = self._first_step + batch + 1
        loss = float((logs or {}).get("loss", 0.0))
        if not np.isfinite(loss):
            kept = ("no checkpoint was written" if self.saved_epoch is None else
                    f"the checkpoint of epoch {self.saved_epoch} is kept")
            rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            raise TrainingError(
                f"training.learning_rate: the loss became {loss} in epoch {self.epoch + 1}, "
                f"step {self.step} at learning rate {rate:g} (training diverged; {kept}); "
                "expected a lower rate: train again with --overwrite --set "
                "training.learning_rate=...")
        # After an epoch's last step the epoch ends first (validation, its callbacks), and
        # `on_epoch_end` stops: a checkpoint after every step but no epoch end would
        # resume into an epoch with no steps left.
        signum = agreed_signal(self.stop.signum)
        if signum is not None and batch + 1 != self.params.get("steps"):
            self.save()
            self._stop(signum, f"in epoch {self.epoch + 1}, after step {self.step}")

    def on_epoch_end(self, epoch, logs=None):
        self.epoch, self.step = epoch + 1, 0
        signum = agreed_signal(self.stop.signum)
        if self.epoch % self.interval == 0 or signum is not None:
            self.save()
            self.saved_epoch = self.epoch
        if signum is not None:
            self._stop(signum, f"after epoch {self.epoch}")

    def _stop(self, signum, where):
        name = _SIGNAL_NAMES.get(signum, f"signal {signum}")
        if self.stop.signum is None:  # a multi-worker run: another worker got it
            name += " to another worker"
        raise RunInterrupted(f"{name} {where}", signum)

    def _elapsed(self):
        if self._started is None:
            return self.seconds
        return self.seconds + time.perf_counter() - self._started


def _ungroup(name, values):
    return {f"{name}/{index}": np.asarray(value) for index, value in enumerate(values)}


def _group(arrays, name):
    count = sum(key.startswith(f"{name}/") for key in arrays)
    return [arrays[f"{name}/{index}"] for index in range(count)]


def _assign(variables, values, path):
    if len(variables) != len(values) or any(
            tuple(v.shape) != value.shape for v, value in zip(variables, values)):
        raise DataError(f"{path}: the checkpoint does not fit the run's model; start the "
                        "run again with --overwrite")
    for variable, value in zip(variables, values):
        variable.assign(value)
