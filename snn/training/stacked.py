"""Train several runs at once, as the members of one stacked Keras model.

On small data a run's time is per-step and per-epoch dispatch, not arithmetic
(benchmarks/RESULTS.md, "Where a small-data training's time goes"). Runs that train on
the same data in batches of the same size can share that cost: `train_stacked` joins their
networks into one Keras model with one input and one output per member, and trains it with
one `fit`: one compiled step and one validation pass per epoch for all of them. Members
that share an architecture (they differ in seed, learning rate or alpha dropout rate)
share its layers too, with their weights on a leading member axis
(`snn.models.member_axis`): each layer of K members is one batched matrix product, and
the graph traced holds the architecture once. The total loss is the sum of the members'
losses, and no weight is shared, so each member's gradient is its own loss's.

Each member keeps everything a run of its own has: its network (any registered
architecture, its own depth, width and dropout rate), its seed (initial weights, dropout
masks, batch order), its learning rate (`member_optimizer`), its early stopping or
smoothed epoch choice and its metrics (its own callbacks, fed its own logs under a single
run's names), and its run directory, written as `snn.training.train` writes it. With the
same seed and settings, a member ends with the weights and metrics of the run trained
alone, dropout masks included (tests/test_training_stacked.py). Its logged loss includes its
own regularization penalty, as its run's does (`_Penalty`).

What members may differ in is `STACKABLE`; the rest of their configs must be equal, and
each must train one fold (a holdout split, or one UCI-121 fold) without the per-run
extras that observe a single model (activation statistics, TensorBoard, MLflow,
`train_set_loss`, distribution). A stacked run writes no checkpoints: stopped, its members
are marked interrupted and train again from their first epoch.
"""

import contextlib
import dataclasses
import math
import signal
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from snn import runs
from snn.config import first_difference, get_key, to_dict
from snn.data import load_dataset
from snn.data.batches import EpochBatches
from snn.distributed import device_scope, distribution_scope
from snn.errors import ConfigError, RunInterrupted, describe
from snn.evaluation import DEFAULT_FOLDS, fold_indices
from snn.models import model_kind
from snn.models.member_axis import MemberAxisNetwork, member_axis_groups
from snn.training.trainer import (audit_model, compile_model, early_stopping, finish_fold,
                                  finish_run, loss_and_metrics, prepare, rows_multiple,
                                  steps_per_execution, write_final_status,
                                  write_run_records)
from snn.util.files import write_json
from snn.util.interrupts import StopRequests

# Config keys whose values members may differ in (a dotted key covers its sub-keys).
STACKABLE = ("name", "seed", "model", "training.learning_rate", "training.early_stopping",
             "evaluation.split_seed", "output")

# The name under which `_MemberLoss` logs a member's loss.
MEMBER_LOSS = "member_loss"

# Member i's regularization penalty is the output `penalty_<i>`, logged as
# `penalty_<i>_penalty`.
PENALTY = "penalty"

# Per-run extras that observe one model and its fold: a member cannot have them.
_SINGLE_RUN_ONLY = {
    "training.activation_statistics": False, "training.tensorboard": False,
    "training.train_set_loss": "off", "training.distribution": "none",
    "output.mlflow": None}


@dataclasses.dataclass
class MemberResult:
    """How one member's run ended.

    Attributes:
        run_dir: Path of its run directory.
        metrics: dict as `snn.training.train` returns, when it completed; else None.
        error: str, why it failed (e.g. its loss stopped being finite), else None.
    """

    run_dir: Path
    metrics: dict | None = None
    error: str | None = None


def stack_key(config):
    """What runs must share to train together: equal keys stack, None never does.

    Args:
        config: `snn.config.ExperimentConfig`.

    Returns:
        str (the config without its `STACKABLE` keys, with its output activation), or
        None for a config that trains alone: a scikit-learn reference method, a protocol
        of several folds, `mixed_float16` precision, or one of the per-run extras of a
        single model.
    """
    if model_kind(config.model.name) == "reference" or _folds(config) != 1:
        return None
    if config.training.precision == "mixed_float16":
        return None  # its loss scaling wraps one model's optimizer
    raw = to_dict(config)
    if any(get_key(raw, key) != value for key, value in _SINGLE_RUN_ONLY.items()):
        return None
    for key in STACKABLE:
        _drop(raw, key)
    raw["output_activation"] = config.model.arguments["output_activation"]
    return repr(sorted(raw.items()))


def _folds(config):
    """How many folds the config trains (`snn.evaluation.fold_indices`)."""
    evaluation = config.evaluation
    if evaluation.protocol in ("holdout", "uci121_leaky_selection"):
        return 1
    # Unset: every one of the 4 fixed UCI-121 folds, or k-fold's default.
    return evaluation.folds or (DEFAULT_FOLDS if evaluation.protocol == "kfold" else 4)


def _drop(raw, key):
    *path, last = key.split(".")
    for part in path:
        raw = raw.get(part, {})
    raw.pop(last, None)


def train_stacked(configs, run_dirs):
    """Train runs together as the members of one stacked model; write each one's run
    directory as `snn.training.train` would.

    Args:
        configs: list of `snn.config.ExperimentConfig` with equal `stack_key`s.
        run_dirs: list of str or Path, one new run directory per config (a run already in
            one, not running, is replaced).

    Returns:
        list of `MemberResult`, in the order of `configs`. A member whose loss stops being
        finite fails alone (its run is marked failed; the others go on).

    Raises:
        ConfigError, DataError, DeviceError: a config or the data is unusable, or the
            configs cannot stack (nothing is written then).
        AuditError: as for `train`, for any member (nothing is written then).
        RunDirError: a run directory cannot be written.
        RunInterrupted: SIGINT or SIGTERM arrived; every member is marked interrupted.

    Example:
    >>> from snn.config import load_config
    >>> configs = [load_config("configs/digits_snn.yaml", [f"training.learning_rate={r}"])
    ...            for r in (0.01, 0.1)]
    >>> results = train_stacked(configs, ["runs/lr-0.01", "runs/lr-0.1"])
    """
    configs, run_dirs = list(configs), [Path(run_dir) for run_dir in run_dirs]
    if len(run_dirs) != len(configs):
        raise ConfigError(f"train_stacked: got {len(configs)} configs and {len(run_dirs)} run "
                          "directories; expected one run directory per config")
    _check_stackable(configs)
    base = configs[0]
    with device_scope(base.training.device), distribution_scope("none") as topology:
        dataset = load_dataset(base.data, base.model.arguments["output_activation"])
        members = [_prepare_member(index, config, dataset, topology)
                   for index, config in enumerate(configs)]
        _check_same_rows(members)
        stacked, penalties = _stacked_model(members, topology)
        for member, run_dir in zip(members, run_dirs):
            member.run_dir = runs.create_run_dir(member.config, run_dir, overwrite=True)
        with StopRequests() as stop, _recording_statuses(members):
            for member in members:
                write_run_records(member.experiment, member.run_dir, dataset, {
                    "replicas": 1, "workers": 1,
                    "stacked_with": [str(other.run_dir) for other in members
                                     if other is not member],
                    "member_axis_with": [str(other.run_dir) for other in members
                                         if other is not member
                                         and _same_network(member, other)]})
            seconds = _fit(stacked, penalties, members, stop, topology)
            return [_finish(member, seconds) for member in members]


def _check_stackable(configs):
    """Refuse configs that cannot train together, naming the first reason."""
    if not configs:
        raise ConfigError("train_stacked: got no configs; expected one or more")
    keys = [stack_key(config) for config in configs]
    for config, key in zip(configs, keys):
        if key is None:
            raise ConfigError(f"{config.name}: trains alone (a reference method, several "
                              "folds, or one of " + ", ".join(_SINGLE_RUN_ONLY) + "); "
                              "expected a network on one fold without them")
    for config, key in zip(configs[1:], keys[1:]):
        if key != keys[0]:
            # Equal outside STACKABLE: the keys differ in the output activation they add.
            differing = first_difference(to_dict(configs[0]), to_dict(config), STACKABLE) \
                or "model.output_activation"
            raise ConfigError(f"{config.name}: differs from {configs[0].name} in "
                              f"{differing}; members may differ only in "
                              + ", ".join(STACKABLE), key=differing)


@dataclasses.dataclass
class _Member:
    """One member while it trains: its fold, callbacks and how far it got."""

    index: int
    experiment: object
    findings: list
    run_dir: Path | None = None
    callbacks: "_MemberCallbacks | None" = None
    name: str | None = None  # its model's own name, which the stacked model replaces
    network: tuple | None = None  # (MemberAxisNetwork, its position there), if on one

    @property
    def config(self):
        return self.experiment.config

    @property
    def prefix(self):
        return f"member_{self.index}"


def _prepare_member(index, config, dataset, topology):
    folds = fold_indices(config, dataset)
    # Unique variable paths: Keras on PyTorch tracks a model's parameters by path.
    with keras.name_scope(f"member_{index}"):
        experiment = prepare(config, dataset, folds[0])
    compile_model(experiment, topology)  # its own loss and metrics, for the final evaluation
    # Early stopping reads whether a metric improves up or down from the model's built
    # metrics; a member's are built here, as its own `fit` would build them.
    model, (x, y) = experiment.model, experiment.splits["train"]
    model.compute_metrics(x[:1], y[:1], model(x[:1]))
    model.reset_metrics()
    return _Member(index, experiment, audit_model(experiment))


def _check_same_rows(members):
    """One `fit` feeds every member a batch per step and validates every member at once:
    their splits must have as many rows."""
    first = members[0]
    for member in members[1:]:
        for split in ("train", "validation"):
            rows = [len(m.experiment.splits[split][0]) for m in (first, member)]
            if rows[0] != rows[1]:
                raise ConfigError(f"{member.config.name}: its {split} split has {rows[1]} "
                                  f"rows, {first.config.name}'s {rows[0]}; expected members "
                                  "with splits of equal size (the same data and protocol)")


def _stacked_model(members, topology):
    """The members' networks in one compiled model, one output each (and one `_Penalty`
    output per member with a regularization penalty, after them); also the number of
    penalty outputs."""
    models = [member.experiment.model for member in members]
    inputs = [keras.Input(model.input_shape[1:], name=f"{member.prefix}_input")
              for member, model in zip(members, models)]
    outputs, rates = _member_outputs(members, models, inputs)
    penalties = {}  # output name: the member's penalty output
    for member, output in zip(members, outputs):
        penalty = _member_penalty(member, models[member.index])
        if penalty is not None:
            name = f"{PENALTY}_{member.index}"
            penalties[name] = _Penalty(penalty, name=name)(output)
    stacked = keras.Model(inputs, outputs + list(penalties.values()))
    first = members[0].experiment
    training = first.config.training
    losses, metrics = zip(*(loss_and_metrics(member.experiment) for member in members))
    prefixes = [member.prefix for member in members]
    stacked.compile(
        optimizer=member_optimizer(training.optimizer, rates),
        loss={**dict(zip(prefixes, losses)), **dict.fromkeys(penalties)},
        metrics={**dict(zip(prefixes, metrics)),
                 **{name: [_PenaltyMean(name=PENALTY)] for name in penalties}},
        # With the sample weights of class weighting, as a run's own loss has them.
        weighted_metrics={prefix: [_MemberLoss(loss)] for prefix, loss in zip(prefixes, losses)},
        steps_per_execution=steps_per_execution(first, topology),
        jit_compile=training.jit_compile)
    return stacked, len(penalties)


def _member_outputs(members, models, inputs):
    """Each member's output, named as the member: members of one architecture on a member
    axis (`snn.models.member_axis`), the others side by side. Also the optimizer's
    (variables, learning rate or rates) for `member_optimizer`."""
    outputs, rates = [None] * len(members), []
    for group in member_axis_groups(models):
        group_members = [members[index] for index in group]
        if len(group) == 1:
            member, model = group_members[0], models[group[0]]
            member.name, model.name = model.name, member.prefix  # Keras names the output
            outputs[member.index] = model(inputs[member.index])
            rates.append((model.trainable_variables, member.config.training.learning_rate))
            continue
        network = MemberAxisNetwork([models[index] for index in group],
                                    name="members_" + "_".join(map(str, group)))
        for position, (member, output) in enumerate(zip(
                group_members, network([inputs[index] for index in group]))):
            member.name, member.network = models[member.index].name, (network, position)
            outputs[member.index] = keras.layers.Identity(name=member.prefix)(output)
        network.load()
        rates.append((network.trainable_variables,
                      [member.config.training.learning_rate for member in group_members]))
    return outputs, rates


def _member_penalty(member, model):
    """A function giving the member's regularization penalty, the term Keras adds to its
    loss (`Layer.losses`), or None when it has none."""
    if member.network:
        network, position = member.network
        return network.penalty(position)
    # Keras' own sum, which reads the variables of the step being traced on every backend.
    return (lambda: ops.sum(model.losses)) if model.losses else None


class _Penalty(keras.layers.Layer):
    """A member's regularization penalty as a column beside its output, so that its logged
    loss can include the penalty as its run's does. It is an output without a loss (the
    penalty is in the stacked model's loss already, through its layers): a metric sees
    outputs, and on JAX no variable outside the forward pass.

    Args:
        penalty: function of no arguments, returning the penalty (a scalar tensor).
    """

    def __init__(self, penalty, **kwargs):
        super().__init__(**kwargs)
        self.penalty = penalty

    def call(self, outputs):
        return ops.zeros_like(outputs[:, :1]) + ops.cast(self.penalty(), outputs.dtype)


class _PenaltyMean(keras.metrics.Mean):
    """The mean of a `_Penalty` column over an epoch's rows, as a run's loss weighs each
    step's penalty by its batch's rows."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(y_pred[:, 0])


def member_optimizer(name, learning_rates):
    """A Keras optimizer that steps each member's variables at that member's learning rate.

    Every Keras backend applies an optimizer's update through one method,
    `_backend_update_step(gradients, variables, learning_rate)` (PyTorch's with fused
    kernels, TensorFlow's under its distribution strategy); this optimizer calls it once per
    group of variables, with the optimizer's rate (1.0) times the member's: a scalar, or
    for variables with a leading member axis a tensor of one rate per member, shaped to
    broadcast over the rest of the variable. An update that is proportional to the
    learning rate (SGD with or without momentum, Adam, RMSprop, ...) is then exactly the
    one each member's own optimizer would make; decoupled weight decay (AdamW) is scaled
    the same way.

    Args:
        name: str, a Keras optimizer name (`training.optimizer`).
        learning_rates: list of (variables, rate): rate is a float for variables of one
            member, or a list of floats, one per member, for variables with a leading
            member axis.

    Returns:
        keras.optimizers.Optimizer.
    """
    # The public class: under PyTorch `get` returns a fused subclass, chosen by exact type.
    base = getattr(keras.optimizers, type(keras.optimizers.get(name)).__name__)

    class MemberRates(base):
        def __init__(self):
            super().__init__(learning_rate=1.0)
            self.member_rates = {}
            for variables, rate in learning_rates:
                if not isinstance(rate, (int, float)) and len(set(rate)) == 1:
                    rate = rate[0]  # one rate for the whole member axis: a scalar
                for variable in variables:
                    self.member_rates[id(variable)] = rate if isinstance(rate, (int, float)) \
                        else (tuple(rate), len(variable.shape))

        def _factor(self, key):
            """The learning rate's factor for a group: a float, or per member a tensor."""
            if isinstance(key, (int, float)):
                return key
            rates, rank = key
            return ops.reshape(ops.convert_to_tensor(rates, dtype=self.learning_rate.dtype),
                               (len(rates),) + (1,) * (rank - 1))

        def _groups(self, *parallel):
            groups = {}
            for items in zip(*parallel):
                key = self.member_rates[id(items[-1])]
                for collected, item in zip(groups.setdefault(key, [[] for _ in items]),
                                           items):
                    collected.append(item)
            return groups

        def _backend_update_step(self, grads, trainable_variables, learning_rate):
            for key, (member_grads, variables) in self._groups(
                    grads, trainable_variables).items():
                super()._backend_update_step(member_grads, variables,
                                             learning_rate * self._factor(key))

        def _apply_weight_decay(self, variables):
            if self.weight_decay is None:
                return
            for key, (group,) in self._groups(variables).items():
                for variable in group:
                    if self._use_weight_decay(variable):
                        rate = ops.cast(self.learning_rate * self._factor(key), variable.dtype)
                        decay = ops.cast(self.weight_decay, variable.dtype)
                        variable.assign(variable - variable * decay * rate)

    return MemberRates()


class _MemberLoss(keras.metrics.Metric):
    """A member's loss as its own run logs it: each batch's loss weighed by the batch's
    rows. (Keras' per-output loss of a model with several outputs weighs every batch
    alike when the batch size is not static, so an epoch's short last batch counts too
    much there.)

    Args:
        loss: a Keras loss name, function or `keras.losses.Loss`.
    """

    def __init__(self, loss, name=MEMBER_LOSS):
        super().__init__(name=name)
        self.loss = keras.losses.get(loss)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.rows = self.add_variable(shape=(), initializer="zeros", name="rows")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        if isinstance(self.loss, keras.losses.Loss):
            value = self.loss(y_true, y_pred, sample_weight)
        else:  # a per-example function, reduced as Keras reduces it: the batch's mean
            values = self.loss(y_true, y_pred)
            if sample_weight is not None:
                values = values * ops.reshape(ops.cast(sample_weight, values.dtype),
                                              ops.shape(values))
            value = ops.mean(values)
        rows = ops.cast(ops.shape(y_pred)[0], self.dtype)
        self.total.assign(self.total + ops.cast(value, self.dtype) * rows)
        self.rows.assign(self.rows + rows)

    def result(self):
        return keras.ops.divide_no_nan(self.total, self.rows)


class _StackedBatches(keras.utils.PyDataset):
    """Each member's own batches (`EpochBatches` of its seed), side by side, per step, and
    a placeholder target (and sample weight) for each of `penalties` `_Penalty` outputs."""

    def __init__(self, batches, penalties):
        super().__init__()
        self.batches, self.penalties = batches, penalties

    @property
    def num_batches(self):
        return None  # endless, as `EpochBatches`

    def __getitem__(self, index):
        items = [batches[index] for batches in self.batches]
        parts = [tuple(item[part] for item in items) for part in range(len(items[0]))]
        rows = len(parts[0][0])
        parts[1] += _penalty_targets(rows, self.penalties)
        if len(parts) == 3:
            parts[2] += (np.ones(rows, dtype=parts[2][0].dtype),) * self.penalties
        return tuple(parts)


def _penalty_targets(rows, penalties):
    """Placeholder targets of `_Penalty` outputs: Keras asks one per output; none is read."""
    return (np.zeros((rows, 1), dtype=np.float32),) * penalties


class _MemberCallbacks(keras.callbacks.Callback):
    """A member's own callbacks (history, early stopping), given its model and its logs
    under a single run's names (`member_3_val_accuracy` -> `val_accuracy`), until its run
    ends: early stopping ran out of patience, or its loss stopped being finite.

    Args:
        member: `_Member`.
        callbacks: list of Keras callbacks.
        stopping: the `ResumableEarlyStopping` among them, or None.
    """

    def __init__(self, member, callbacks, stopping):
        super().__init__()
        self.member, self.stopping = member, stopping
        model = member.experiment.model
        self.own = keras.callbacks.CallbackList(
            callbacks, model=_OnMemberAxis(model, *member.network) if member.network else model)
        self.ended, self.epochs_run, self.failure = False, 0, None
        self._epoch = 0

    def _logs(self, logs):
        logs, own = logs or {}, {}
        for key, value in logs.items():
            for head in ("val_", ""):
                start = f"{head}{self.member.prefix}_"
                name = key[len(start):]
                if key.startswith(start) and name != "loss":  # `_MemberLoss` replaces it
                    own[head + ("loss" if name == MEMBER_LOSS else name)] = value
                    break
        for head in ("val_", ""):  # a run's loss includes its regularization penalty
            penalty = logs.get(f"{head}{PENALTY}_{self.member.index}_{PENALTY}")
            if penalty is not None and head + "loss" in own:
                own[head + "loss"] = own[head + "loss"] + penalty
        return own

    def on_train_begin(self, logs=None):
        self.own.on_train_begin()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = self._logs(logs).get("loss", 0.0)
        if not self.ended and not math.isfinite(float(loss)):
            rate = self.member.config.training.learning_rate
            self.failure = (f"training.learning_rate: the loss became {float(loss)} in epoch "
                            f"{self._epoch + 1} at learning rate {rate:g} (training "
                            "diverged); expected a lower rate")
            self._end()

    def on_epoch_end(self, epoch, logs=None):
        if self.ended:
            return
        self.own.on_epoch_end(epoch, self._logs(logs))
        self.epochs_run = epoch + 1
        if self.stopping and self.stopping.stopped:
            self._end()

    def on_train_end(self, logs=None):
        if not self.ended:
            self._end()

    def _end(self):
        self.ended = True
        # The run's last weights and optimizer state, for its model (a failed run keeps
        # none; and mid-epoch, JAX has not put the training state back into variables).
        if not self.failure:
            if self.member.network:
                network, position = self.member.network
                network.unload([position])
            _hand_over_optimizer_state(self.model.optimizer, self.member)
        self.own.on_train_end()


def _hand_over_optimizer_state(optimizer, member):
    """Give the member's own optimizer the stacked optimizer's state for the member's
    variables (its slices of a member axis), as its run would save it: the model file
    then loads with the optimizer it was trained with.

    Keras names an optimizer's variable for a model variable `<its path>_<slot>` (e.g.
    `dense_1_kernel_momentum`); the member's own and the stacked model's variables pair up
    by that name.
    """
    model = member.experiment.model
    own = model.optimizer
    if not own.built:
        own.build(model.trainable_variables)
    if member.network:
        network, position = member.network
        pairs = network.variables_of(position)
    else:
        position, pairs = None, [(v, v) for v in model.trainable_variables]
    stacked = {variable.name: variable for variable in optimizer.variables}
    for mine, theirs in pairs:
        prefix, source = (v.path.replace("/", "_") + "_" for v in (mine, theirs))
        for slot in own.variables:
            if slot.name.startswith(prefix):
                value = ops.convert_to_numpy(stacked[source + slot.name[len(prefix):]])
                slot.assign(value.reshape(slot.shape) if position is None
                            else value[position].reshape(slot.shape))
    # A copy: JAX reuses the stacked model's buffers in its next step.
    own.iterations.assign(ops.convert_to_numpy(optimizer.iterations))


class _OnMemberAxis:
    """A member's own model as its callbacks see it while the member trains on a member
    axis: `get_weights` first copies the member's slice back into the model. Early
    stopping reads the weights only in an epoch that improves on the best, so most epochs
    copy nothing. Everything else is the model's own.

    Args:
        model: the member's `keras.Model`.
        network: its `snn.models.member_axis.MemberAxisNetwork`.
        position: int, its position there.
    """

    def __init__(self, model, network, position):
        object.__setattr__(self, "_on_axis", (model, network, position))

    def get_weights(self):
        model, network, position = self._on_axis
        network.unload([position])
        return model.get_weights()

    def __getattr__(self, name):
        return getattr(self._on_axis[0], name)

    def __setattr__(self, name, value):  # e.g. early stopping's `stop_training`
        setattr(self._on_axis[0], name, value)


class _StopWhen(keras.callbacks.Callback):
    """Ends the stacked `fit` once every member's run has ended, and raises
    `RunInterrupted` after the step in which SIGINT or SIGTERM arrived."""

    def __init__(self, members, stop):
        super().__init__()
        self.members, self.stop = members, stop

    def on_train_batch_end(self, batch, logs=None):
        if self.stop.signum is not None:
            raise RunInterrupted(signal.Signals(self.stop.signum).name, self.stop.signum)

    def on_epoch_end(self, epoch, logs=None):
        if all(member.callbacks.ended for member in self.members):
            self.model.stop_training = True


def _same_network(member, other):
    return bool(member.network and other.network and member.network[0] is other.network[0])


def _fit(stacked, penalties, members, stop, topology):
    """Train every member to its end (`penalties`: how many `_Penalty` outputs follow the
    members' outputs); return the seconds it took."""
    training = members[0].config.training
    batches = []
    for member in members:
        experiment = member.experiment
        x, y = experiment.splits["train"]
        # Each member's own batch order and class weights, as its own run would have.
        batches.append(EpochBatches(x, y, training.batch_size, member.config.seed,
                                    experiment.class_weight,
                                    rows_multiple(training, topology)))
        stopping = early_stopping(member.config.training)
        history = keras.callbacks.CSVLogger(str(member.run_dir / runs.HISTORY))
        member.callbacks = _MemberCallbacks(member, [history, *([stopping] if stopping
                                                                 else [])], stopping)
    x, y = (tuple(member.experiment.splits["validation"][part] for member in members)
            for part in (0, 1))
    started = time.perf_counter()
    stacked.fit(_StackedBatches(batches, penalties), steps_per_epoch=batches[0].steps_per_epoch,
                epochs=training.epochs,
                validation_data=(x, y + _penalty_targets(len(y[0]), penalties)),
                validation_batch_size=training.batch_size,
                callbacks=[*(member.callbacks for member in members),
                           _StopWhen(members, stop)],
                shuffle=False, verbose=0)
    return time.perf_counter() - started


def _finish(member, seconds):
    """Evaluate and save a member's run; its `MemberResult`."""
    callbacks, experiment = member.callbacks, member.experiment
    model = experiment.model
    model.name = member.name
    if callbacks.failure:
        runs.write_status(member.run_dir, "failed", reason=callbacks.failure)
        return MemberResult(member.run_dir, error=callbacks.failure)
    best_epoch = callbacks.epochs_run
    if callbacks.stopping and callbacks.stopping.best_weights is not None:
        callbacks.stopping.restore_best(model)
        best_epoch = callbacks.stopping.best_epoch + 1
    result = finish_fold(experiment, model, member.run_dir, 1, callbacks.epochs_run,
                         seconds, best_epoch)
    write_json(member.run_dir / runs.FOLD_RESULTS, result)
    metrics = finish_run(member.config, member.run_dir, [result], member.findings)
    return MemberResult(member.run_dir, {**metrics, "run_dir": str(member.run_dir)})


@contextlib.contextmanager
def _recording_statuses(members):
    """Mark every member interrupted or failed when the stacked training ends with an
    exception (re-raised)."""
    try:
        yield
    except (RunInterrupted, KeyboardInterrupt) as stopped:
        signum = getattr(stopped, "signum", signal.SIGINT)
        reason = (f"stopped by {signal.Signals(signum).name}; stacked runs keep no "
                  "checkpoint: they train again from their first epoch")
        for member in members:
            write_final_status(member.run_dir, "interrupted", reason=reason)
        raise RunInterrupted(f"{len(members)} stacked runs {reason}", signum) from None
    except BaseException as error:
        for member in members:
            write_final_status(member.run_dir, "failed", reason=describe(error))
        raise
