"""Checkpoints of the whole training state, so an interrupted run resumes exactly.

A checkpoint is one `.npz` file per fold, written atomically, holding everything the rest
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

Each array is a member of the `.npz` (zip) file with its CRC-32, which `np.load` checks
as it reads, and the members' names are listed in the metadata: a file damaged after it
was written does not load.

The newest checkpoint and the one before it are kept (`checkpoint.npz`,
`checkpoint.previous.npz`): when the newest cannot be read (cut short by a bad disk or an
interrupted copy, changed bytes, or missing because the process died while writing it),
training resumes from the previous one, which gives the same final result, only later.

Keras' `BackupAndRestore` keeps only weights and the epoch, and writes them in place.
"""

import json
import logging
import os
import time

import keras
import numpy as np

from snn.errors import DataError, RunInterrupted, TrainingError
from snn.util.files import write_atomic

logger = logging.getLogger("snn")

_SIGNAL_NAMES = {2: "SIGINT", 15: "SIGTERM"}


def previous_path(path):
    """Where the checkpoint before the newest one at `path` is kept.

    Args:
        path: Path of the newest checkpoint, e.g. `fold_1/checkpoint.npz`.

    Returns:
        Path, e.g. `fold_1/checkpoint.previous.npz`.
    """
    return path.with_name(f"{path.stem}.previous{path.suffix}")


def position(epoch, step):
    """Where training stands, in the words of the stop and resume messages.

    Args:
        epoch: int, epochs completed.
        step: int, steps completed in the next epoch.

    Returns:
        str, "after epoch 2" or "in epoch 3, after step 5" (epochs counted from 1).
    """
    return f"in epoch {epoch + 1}, after step {step}" if step else f"after epoch {epoch}"


def discard(path):
    """Remove the newest checkpoint at `path` and the previous one, once a fold is over."""
    for kept in (path, previous_path(path)):
        kept.unlink(missing_ok=True)


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
            `snn.util.interrupts.StopRequests`).
        topology: `snn.distributed.Topology` of the run; its workers agree on every stop.

    Attributes:
        epoch, step: where training stands: `step` steps into epoch `epoch` (0-based).
        seconds: training time so far, over all sessions of the run.
        saved_epoch: the epoch of the last checkpoint at an epoch's end, or None.

    Raises:
        TrainingError: from `fit`, when the loss is NaN or infinite.
        RunInterrupted: from `fit`, after the checkpoint of a stop request.
    """

    def __init__(self, path, interval, resumables, data, stop, topology):
        super().__init__()
        self.path, self.interval, self.resumables = path, interval, resumables
        self.data, self.stop, self.topology = data, stop, topology
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
            DataError: no checkpoint can be read (neither the newest nor the previous
                one), or the one read does not fit the model or was written for other
                training data.
        """
        loaded = self._load()
        if loaded is None:
            return False
        meta, arrays = loaded
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

    def _load(self):
        """(meta, arrays) of the newest checkpoint that reads back intact, or None if there
        is none; a damaged newest one is reported and removed, so that the next `save`
        keeps the good one as the previous."""
        previous = previous_path(self.path)
        if self.path.is_file():
            try:
                return _read(self.path)
            except _Damaged as error:
                damage = f"{self.path}: cannot read the checkpoint ({error})"
        else:
            damage = f"{self.path}: missing (the run stopped while writing it)"
        if not previous.is_file():
            if self.path.is_file():
                raise DataError(f"{damage}, and there is no previous one; start the run "
                                "again with --overwrite")
            return None
        try:
            meta, arrays = _read(previous)
        except _Damaged as error:
            raise DataError(f"{damage}, nor the previous one, {previous.name} ({error}); "
                            "start the run again with --overwrite") from None
        logger.warning("%s; resuming from the previous one, %s, written %s", damage,
                       previous.name, position(meta["epoch"], meta["step"]))
        self.path.unlink(missing_ok=True)
        return meta, arrays

    def save(self):
        """Write the checkpoint of the current state, atomically, keeping the one before.

        The newest checkpoint becomes the previous one first: a process killed while
        writing leaves the previous one, from which `restore` goes on.
        """
        meta = {"epoch": self.epoch, "step": self.step, "seconds": self._elapsed(),
                "data": self.data, "callbacks": {}}
        arrays = _ungroup("model", self.model.variables)
        arrays |= _ungroup("optimizer", self.model.optimizer.variables)
        if self.step:
            arrays |= _ungroup("metrics", self.model.metrics_variables)
        for callback in self.resumables:
            meta["callbacks"][callback.checkpoint_name], values = callback.get_state()
            arrays |= _ungroup(callback.checkpoint_name, values)
        meta["arrays"] = sorted(arrays)  # a changed member name must not go unseen
        if self.path.is_file():
            os.replace(self.path, previous_path(self.path))
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
        signum = self.topology.agree(self.stop.signum)
        if signum is not None and batch + 1 != self.params.get("steps"):
            self.save()
            self._stop(signum, position(self.epoch, self.step))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch, self.step = epoch + 1, 0
        signum = self.topology.agree(self.stop.signum)
        if self.epoch % self.interval == 0 or signum is not None:
            self.save()
            self.saved_epoch = self.epoch
        if signum is not None:
            self._stop(signum, position(self.epoch, 0))

    def _stop(self, signum, where):
        name = _SIGNAL_NAMES.get(signum, f"signal {signum}")
        if self.stop.signum is None:  # a multi-worker run: another worker got it
            name += " to another worker"
        raise RunInterrupted(f"{name} {where}", signum)

    def _elapsed(self):
        if self._started is None:
            return self.seconds
        return self.seconds + time.perf_counter() - self._started


class _Damaged(Exception):
    """A checkpoint file that does not read back as it was written."""


def _read(path):
    """(meta, arrays) of the checkpoint at `path`.

    Raises:
        _Damaged: the file is not a complete checkpoint, or a member's CRC-32 does not
            match its bytes.
    """
    try:
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            arrays = {key: saved[key] for key in saved.files if key != "meta"}
    except Exception as error:
        # A damaged zip fails in many ways: BadZipFile, EOFError, a NotImplementedError
        # for a changed flag, zlib.error for a changed compression method, ...
        raise _Damaged(str(error) or type(error).__name__) from None
    if sorted(arrays) != meta.get("arrays"):
        raise _Damaged("its arrays differ from the ones it lists")
    return meta, arrays


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
