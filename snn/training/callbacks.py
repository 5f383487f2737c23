"""Keras callbacks of the trainer that are not about checkpoints: progress, early stopping,
the loss on the whole training set.

Training may run as several `fit` calls (a run resumed mid-epoch first finishes that
epoch), so these callbacks set their state when created, or from a checkpoint, and not in
`on_train_begin`; what ends training is done once, by the trainer, after the last call.
"""

import math
import sys
import time

import keras
import numpy as np


class EpochProgress(keras.callbacks.Callback):
    """Progress over epochs, showing the latest training and validation logs.

    On a terminal, one Keras progress bar; otherwise (a log file, a pipe, a notebook's
    captured output) one plain line per epoch, without the bar's carriage returns,
    backspaces and colour codes.

    Args:
        epochs: int, the most epochs the run can take (the bar's length).
        label: str printed above the bar (e.g. "fold 2/10"), or "".
        initial: int, epochs already done (a resumed run).
        stream: where to write; default `sys.stdout`, a bar only if it is a terminal.
    """

    def __init__(self, epochs, label="", initial=0, stream=None):
        super().__init__()
        self.epochs, self.label, self.epochs_done = epochs, label, initial
        self.stream = stream or sys.stdout
        self.interactive = self.stream.isatty()
        self.bar = None
        self.started = None

    def on_train_begin(self, logs=None):
        if self.started is None:
            if self.label:
                print(self.label, file=self.stream)
            if self.interactive:
                self.bar = keras.utils.Progbar(self.epochs, unit_name="epoch", interval=0.5)
                self.bar.update(self.epochs_done)
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epochs_done = epoch + 1
        if self.bar is not None:
            self.bar.stateful_metrics = set(logs)  # each epoch's value, not a running mean
            self.bar.update(self.epochs_done, values=list(logs.items()))
            return
        values = "".join(f" - {name}: {value:.4f}" for name, value in logs.items())
        print(f"epoch {self.epochs_done}/{self.epochs}{values} - "
              f"{time.perf_counter() - self.started:.1f} s", file=self.stream, flush=True)

    def close(self):
        """End the bar on the epoch reached (early stopping ends it before `epochs`; at
        `epochs` the bar has ended itself)."""
        if self.bar is not None and self.epochs_done < self.epochs:
            self.bar.update(self.epochs_done, finalize=True)


class TrainingSetLoss(keras.callbacks.Callback):
    """Logs `train_set_loss`: the loss of the whole training set, once per epoch.

    The training loss Keras logs is the mean over the epoch's steps, each taken with other
    weights (and, with batch normalization, other batch statistics). This one evaluates
    the epoch's final weights on the training rows, without sample or class weights or
    weight penalties, in one of two modes:

    - "inference": every row, dropout off and batch normalization with its moving
      statistics: the loss of the model as it would be saved.
    - "training": the rows in order, in batches of `batch_size` (the last, partial one
      left out when `drop_remainder`), each forward pass as in a training step: dropout
      on and batch normalization with that batch's statistics, no state updated. The
      quantity the SNN authors' Figure 1 code logs before each epoch.

    Args:
        x: array (n, ...), the training inputs.
        y: array (n, ...), their targets.
        batch_size: int, rows per forward pass.
        mode: "inference" or "training".
        drop_remainder: bool; in "training" mode, leave out the last `n % batch_size` rows.

    Reference:
        Klambauer et al. 2017, arXiv:1706.02515v5, Figure 1; bioinf-jku/SNNs,
        figure1/run.py (the loss over the training set, in training mode, per epoch).
    """

    def __init__(self, x, y, batch_size, mode="inference", drop_remainder=False):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.mode, self.drop_remainder = mode, drop_remainder

    def on_epoch_end(self, epoch, logs=None):
        loss = self.model.loss
        loss = keras.losses.get(loss) if isinstance(loss, str) else loss
        if self.mode == "inference":
            x, y = self.x, self.y
            outputs = self.model.predict(x, batch_size=self.batch_size, verbose=0)
        else:
            rows = len(self.x) - len(self.x) % self.batch_size if self.drop_remainder \
                else len(self.x)
            x, y = self.x[:rows], self.y[:rows]
            outputs = np.concatenate([self._training_forward(x[start:start + self.batch_size])
                                      for start in range(0, rows, self.batch_size)])
        value = keras.ops.mean(loss(keras.ops.convert_to_tensor(y),
                                    keras.ops.convert_to_tensor(outputs)))
        if logs is not None:
            logs["train_set_loss"] = float(keras.ops.convert_to_numpy(value))

    def _training_forward(self, x):
        # stateless: batch normalization's moving statistics and the dropout seeds are
        # left as they are, so training itself is unchanged by the measurement.
        outputs, _ = self.model.stateless_call(
            [variable.value for variable in self.model.trainable_variables],
            [variable.value for variable in self.model.non_trainable_variables],
            keras.ops.convert_to_tensor(x), training=True)
        return keras.ops.convert_to_numpy(outputs)


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """`keras.callbacks.EarlyStopping` on a smoothed curve, whose state survives
    checkpoints and `fit` calls.

    The monitored value is averaged over the last `smoothing` epochs (fewer at the start)
    before Keras compares it with the best so far; the best epoch is the last of the best
    window, whose weights are kept. `restore_best` puts them back once training is over.

    Args:
        patience: int, or None to never stop early (train every epoch, then restore).
        smoothing: int >= 1, the moving average's window in epochs.
        **kwargs: other `keras.callbacks.EarlyStopping` arguments (monitor, min_delta).

    Reference:
        Klambauer et al. 2017, arXiv:1706.02515v5, Appendix A4.1.
    """

    checkpoint_name = "early_stopping"

    def __init__(self, patience, smoothing=1, **kwargs):
        super().__init__(restore_best_weights=True,
                         patience=math.inf if patience is None else patience, **kwargs)
        self.smoothing, self.window = smoothing, []
        super().on_train_begin()  # the initial state: nothing seen yet

    def on_train_begin(self, logs=None):
        pass  # keep the state across `fit` calls

    def on_train_end(self, logs=None):
        pass  # `fit` may be called again; see `restore_best`

    def get_monitor_value(self, logs):
        value = super().get_monitor_value(logs)
        if value is None:
            return None
        self.window = [*self.window, float(value)][-self.smoothing:]
        return sum(self.window) / len(self.window)

    @property
    def stopped(self):
        """Whether the patience ran out."""
        return self.stopped_epoch > 0

    def restore_best(self, model):
        """Set `model`'s weights to those of the best epoch seen, if any."""
        if self.best_weights is not None:
            model.set_weights(self.best_weights)

    def get_state(self):
        """(JSON-able dict, list of arrays) for a checkpoint."""
        state = {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                 "stopped_epoch": self.stopped_epoch, "window": self.window}
        return state, self.best_weights or []

    def set_state(self, state, arrays):
        """Restore what `get_state` returned."""
        self.wait, self.best = state["wait"], state["best"]
        self.best_epoch, self.stopped_epoch = state["best_epoch"], state["stopped_epoch"]
        self.window = state.get("window", [])  # absent in checkpoints before smoothing
        self.best_weights = arrays or None


class ActivationSummaries(keras.callbacks.Callback):
    """Write the hidden layers' activation mean and variance to TensorBoard every epoch.

    Reads what an `ActivationStatistics` callback placed before it in the callback list
    recorded (epoch 0, the model at initialization, on a fresh run), and writes scalars
    `activation_mean/<i>_<layer>` and `activation_variance/<i>_<layer>`, i counting hidden
    layers from 1, with the epoch as the step. The self-normalizing fixed point is mean 0,
    variance 1.

    Args:
        statistics: `snn.diagnostics.ActivationStatistics`.
        log_dir: Path of the directory to write event files to.
    """

    def __init__(self, statistics, log_dir):
        super().__init__()
        self.statistics, self.log_dir = statistics, log_dir
        self.writer = None

    def on_train_begin(self, logs=None):
        if self.writer is None and len(self.statistics.history) == 1:
            self._write(*self.statistics.history[0])

    def on_epoch_end(self, epoch, logs=None):
        self._write(*self.statistics.history[-1])

    def _write(self, epoch, records):
        import tensorflow as tf  # TensorBoard's event files; Keras' callback needs it too

        if self.writer is None:
            self.writer = tf.summary.create_file_writer(str(self.log_dir))
        with self.writer.as_default(step=epoch):
            for index, record in enumerate(records, start=1):
                name = f"{index:02d}_{record.layer}"
                tf.summary.scalar(f"activation_mean/{name}", record.mean)
                tf.summary.scalar(f"activation_variance/{name}", record.variance)
        self.writer.flush()
