"""Experiment configs: the validated sections, loading with `--set` overrides, saving.

An experiment file has the sections `name`, `seed`, `data`, `model`, `training`, `output`.
The fixed sections are the dataclasses below; `data` also takes the options of the chosen
source and `model` the arguments of the chosen builder, validated against their signatures.
Every mistake is a `ConfigError` whose message starts with the file (or `--set`) and names
the key path, the value and what was expected.

Example:
>>> config = load_config("configs/digits_snn.yaml", overrides=["model.depth=16"])
>>> config.model.arguments["depth"]
16
"""

import dataclasses
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml

from snn.config.reader import apply_overrides, read_config
from snn.data.sources import source_options
from snn.errors import ConfigError
from snn.models import model_arguments
from snn.schema import Pattern, PositiveInt, Range, check, check_arguments, describe
from snn.schema import unknown_key
from snn.util.files import write_atomic

Fraction = Annotated[float, Range(0.0, 1.0, low_open=True, high_open=True)]


@dataclasses.dataclass
class DataConfig:
    """The `data:` section: a source and its options, splits and preprocessing.

    Attributes:
        source: a name from `snn.data.list_sources()`.
        options: the source's own arguments (e.g. `name`, `path`, `label`), written in the
            same mapping as the fields below; defaults filled in.
        validation_fraction: share of all examples held out for early stopping.
        test_fraction: share of all examples held out for the final test metrics.
        standardize: how inputs are standardized with training-split statistics (SNNs
            assume zero-mean, unit-variance inputs): "per_feature", "global" (one mean and
            scale for all features, for inputs on a common scale such as pixels, where a
            rarely-nonzero pixel would otherwise become an outlier of dozens of standard
            deviations) or "none".
        reshape: one example's shape after loading, e.g. [8, 8, 1] for a CNN on digits.
        data_dir: directory for relative file paths (default: `$SNN_DATA_DIR`, else the
            current directory).
        missing: what to do with missing feature values (NaN, empty CSV cells): "reject"
            them with an error naming the first one, or "impute": the training mean in a
            numeric column, a category of its own in a categorical one.
        unseen_categories: a table's category that the training rows do not have, met in
            validation, test or new rows: "ignore" encodes it as none of the known ones
            (all its one-hot columns 0), "reject" stops with an error naming it.
    """

    source: str = "sklearn"
    options: dict = dataclasses.field(default_factory=dict)
    validation_fraction: Fraction = 0.15
    test_fraction: Fraction = 0.2
    standardize: Literal["per_feature", "global", "none"] = "per_feature"
    reshape: list[PositiveInt] | None = None
    data_dir: str | None = None
    missing: Literal["reject", "impute"] = "reject"
    unseen_categories: Literal["ignore", "reject"] = "ignore"

    def __post_init__(self):
        if self.missing == "impute" and self.standardize == "none":
            raise ConfigError("data.missing: 'impute' fills in the training mean while "
                              "standardizing; expected data.standardize other than 'none'",
                              key="data.missing")
        held_out = self.validation_fraction + self.test_fraction
        if held_out >= 1.0:
            raise ConfigError(
                f"data.test_fraction: validation_fraction + test_fraction = {held_out:g}; "
                "expected < 1 so that examples are left for training", key="data.test_fraction")


@dataclasses.dataclass
class ModelConfig:
    """The `model:` section: a registered builder and its arguments.

    Attributes:
        name: a name from `snn.models.list_models()`.
        arguments: the builder's arguments except `input_shape`, `num_outputs` and `seed`,
            which the trainer supplies; written in the same mapping as `name`; defaults
            filled in.
    """

    name: str = "snn_mlp"
    arguments: dict = dataclasses.field(default_factory=dict)

    @property
    def fixed_point(self):
        """(mean, variance) the hidden activations should hold; (0, 1) for baselines."""
        return tuple(self.arguments.get("fixed_point", (0.0, 1.0)))


@dataclasses.dataclass
class EarlyStoppingConfig:
    """`training.early_stopping`: choose the epoch whose weights the run keeps.

    After every epoch the monitored value is averaged over the last `smoothing` epochs
    (fewer at the start); the epoch with the best average is the best so far. Training
    stops once `patience` epochs bring no improvement, and the best epoch's weights are
    restored at the end.

    Attributes:
        patience: epochs without improvement before stopping; null trains all
            `training.epochs` and then restores the best epoch (the SNN paper's choice of
            the early-stopping epoch on a fixed budget, with smoothing 10).
        monitor: a logged value, e.g. "val_loss" or "val_accuracy" (lower is better for
            losses, higher for the others).
        min_delta: the least change that counts as an improvement.
        smoothing: the moving average's window in epochs; 1 takes each epoch's value as
            it is.

    Reference:
        Klambauer et al. 2017, arXiv:1706.02515v5, Appendix A4.1 (smoothed learning
        curves of 100 epochs, moving averages of 10 consecutive values).
    """

    patience: Annotated[int, Range(0)] | None = 10
    monitor: str = "val_loss"
    min_delta: Annotated[float, Range(0.0)] = 0.0
    smoothing: PositiveInt = 1


# `training.steps_per_execution` by default (measured in benchmarks/RESULTS.md).
STEPS_PER_EXECUTION = 16

# Keras optimizer names (`keras.optimizers.get`).
OPTIMIZERS = ("sgd", "adam", "adamw", "nadam", "rmsprop", "adagrad", "adadelta", "adamax")
Optimizer = Literal[OPTIMIZERS]


@dataclasses.dataclass
class TrainingConfig:
    """The `training:` section.

    Attributes:
        optimizer: a Keras optimizer name.
        learning_rate: step size, > 0.
        batch_size: examples per gradient step.
        drop_remainder: leave out each epoch's last, partial batch (other rows each epoch,
            as the shuffle falls), so every step sees `batch_size` examples.
        epochs: maximum number of passes over the training split.
        early_stopping: null to train all `epochs`.
        train_set_loss: "off", or also log `train_set_loss` in `history.csv`: the loss
            of the whole training set with each epoch's final weights, which early
            stopping may monitor. "inference": every row as the saved model sees it;
            "training": forward passes as in training steps (batches of `batch_size` in
            order, the remainder left out with `drop_remainder`; dropout on, batch
            normalization on batch statistics), as the SNN authors' Figure 1 code logs
            it (`snn.training.callbacks.TrainingSetLoss`).
        loss: a Keras loss name; null derives it from the output activation.
        metrics: Keras metric names; null derives them from the output activation.
        device: "auto" (a GPU when one is visible), "cpu" or "gpu".
        activation_statistics: record per-layer activation statistics on a validation
            probe after every epoch (`activation_stats.csv` and `.png` in the run).
        tensorboard: write TensorBoard logs to `tensorboard/` in the run (a fold's
            directory for k-fold runs): the per-epoch metrics through Keras' own callback
            and, with `activation_statistics`, each hidden layer's activation mean and
            variance, to watch self-normalization while training runs.
        audit: before training, check the model and inputs for what breaks
            self-normalization: "warn" (print findings), "error" (stop) or "off".
        class_weight: "balanced" weighs each class inversely to its frequency in the
            training rows (for imbalanced data such as HTRU2); "none" weighs all equally.
        checkpoint_interval: epochs between checkpoints of the whole training state, from
            which `snn train --resume` continues an interrupted run.
        precision: "float32"; "bfloat16" (mixed: bfloat16 compute, float32 weights, for
            CPUs and GPUs with bfloat16 units); or "mixed_float16" (float16 compute with
            Keras' dynamic loss scaling, for GPUs). The output layer, loss and metrics stay
            in float32 either way.
        steps_per_execution: the most training steps per call into the backend (fewer
            Python round trips between steps). The trainer takes the largest divisor of
            the steps per epoch not above it, so epochs end between calls; stop requests,
            checkpoints and the NaN check act between calls.
        jit_compile: compile the training step with XLA: true, false, or "auto" (Keras'
            choice: on GPUs and under JAX; not on TensorFlow's CPU, not under PyTorch).
        backend: the Keras backend, "tensorflow", "jax" or "torch"; "auto" keeps the
            KERAS_BACKEND environment variable (default tensorflow). Keras fixes it at
            import, so it applies to the `snn` command; from Python, set KERAS_BACKEND
            before importing keras (`train` refuses a mismatch).
        distribution: "none"; "mirrored": data parallelism over every GPU of this
            machine, with the global `batch_size` split over the replicas (TensorFlow and
            JAX); or "multi_worker": the same over the devices of several processes or
            machines (JAX), named by Keras' KERAS_DISTRIBUTION_* environment variables;
            see `snn.distributed.distribution_scope`.
    """

    optimizer: Optimizer = "sgd"
    learning_rate: Annotated[float, Range(0.0, low_open=True)] = 0.01
    batch_size: PositiveInt = 64
    drop_remainder: bool = False
    epochs: PositiveInt = 100
    early_stopping: EarlyStoppingConfig | None = dataclasses.field(
        default_factory=EarlyStoppingConfig)
    train_set_loss: Literal["off", "inference", "training"] = "off"
    loss: str | None = None
    metrics: list[str] | None = None
    device: Literal["auto", "cpu", "gpu"] = "auto"
    activation_statistics: bool = False
    tensorboard: bool = False
    audit: Literal["warn", "error", "off"] = "warn"
    class_weight: Literal["none", "balanced"] = "none"
    checkpoint_interval: PositiveInt = 1
    precision: Literal["float32", "bfloat16", "mixed_float16"] = "float32"
    steps_per_execution: PositiveInt = STEPS_PER_EXECUTION
    jit_compile: bool | Literal["auto"] = "auto"
    backend: Literal["auto", "tensorflow", "jax", "torch"] = "auto"
    distribution: Literal["none", "mirrored", "multi_worker"] = "none"

    def __post_init__(self):
        for key, names, kind in (("training.loss", [self.loss] if self.loss else [], "losses"),
                                 ("training.metrics", self.metrics or [], "metrics")):
            for name in names:
                _check_keras_name(key, name, kind)


def _check_keras_name(key, name, kind):
    """Only Keras knows its loss and metric names: imported here, for configs naming one."""
    import keras

    try:
        getattr(keras, kind).get(name)
    except ValueError:
        noun = {"losses": "loss", "metrics": "metric"}[kind]
        raise ConfigError(f"{key}: got {name!r}; expected a Keras {noun} name",
                          key=key) from None


@dataclasses.dataclass
class EvaluationConfig:
    """The `evaluation:` section: how test metrics are estimated (see `snn.evaluation`).

    Attributes:
        protocol: "holdout", "kfold", "uci121" (the fixed UCI-121 folds) or
            "uci121_leaky_selection" (the UCI-121 model-selection split, whose validation
            half holds about half of every fold's test rows: never for a final estimate).
        folds: for "kfold", the number of folds (default 10); for "uci121", the first
            `folds` of the 4 fixed folds (default 4; the SNN paper reports one).
        validation: where each fold's validation rows (early stopping, nested selection)
            come from: "split", `data.validation_fraction` of its training rows; or, for
            "kfold", "previous_fold": fold M-1 validates when fold M tests (fold 1: the
            last fold), and the other folds train (the SNN paper's HTRU2 protocol, A4.4).
        split: how "holdout" splits rows: "random" (stratified by class where there are
            classes) or "scaffold" (whole Bemis-Murcko scaffolds per split, largest
            first, `snn.data.splits.scaffold_split`; needs a source that gives scaffolds,
            such as tox21).
        split_seed: the seed of the random splits and folds; null takes the experiment's
            `seed`. Fix it to train several seeds (initializations, batch orders) on
            the same rows.
    """

    protocol: Literal["holdout", "kfold", "uci121", "uci121_leaky_selection"] = "holdout"
    folds: Annotated[int, Range(1)] | None = None
    validation: Literal["split", "previous_fold"] = "split"
    split: Literal["random", "scaffold"] = "random"
    split_seed: Annotated[int, Range(0)] | None = None

    def __post_init__(self):
        allowed = {"kfold": range(2, 2**31), "uci121": range(1, 5)}.get(self.protocol)
        if self.folds is not None and allowed is None:
            raise ConfigError(f"evaluation.folds: got {self.folds}, but protocol "
                              f"{self.protocol!r} fixes its folds; expected protocol: kfold "
                              "or uci121", key="evaluation.folds")
        if self.folds is not None and self.folds not in allowed:
            expected = "2 or more" if self.protocol == "kfold" else "1 to 4"
            raise ConfigError(f"evaluation.folds: got {self.folds}; protocol "
                              f"{self.protocol!r} expects {expected}", key="evaluation.folds")
        if self.validation == "previous_fold" and self.protocol != "kfold":
            raise ConfigError(f"evaluation.validation: got 'previous_fold', but protocol "
                              f"{self.protocol!r} has no folds of its own to take it from; "
                              "expected protocol: kfold, or validation: split",
                              key="evaluation.validation")
        if self.split == "scaffold" and self.protocol != "holdout":
            raise ConfigError(f"evaluation.split: got 'scaffold', but protocol "
                              f"{self.protocol!r} makes folds; expected protocol: holdout, "
                              "or split: random", key="evaluation.split")
        if self.validation == "previous_fold" and self.folds is not None and self.folds < 3:
            raise ConfigError(f"evaluation.folds: got {self.folds}; validation: "
                              "previous_fold needs 3 or more (a fold tests, the one before "
                              "it validates, the rest train)", key="evaluation.folds")


@dataclasses.dataclass
class MLflowConfig:
    """`output.mlflow`: log each run to an MLflow tracking store as well (needs
    `pip install -e '.[mlflow]'`; see `snn.training.tracking`).

    Attributes:
        tracking_uri: the store, e.g. "sqlite:///mlflow.db" (a path relative to where
            `snn` runs) or "http://host:5000" (an MLflow server).
        experiment: the MLflow experiment's name; created when missing.
    """

    tracking_uri: str
    experiment: str = "snn"


@dataclasses.dataclass
class OutputConfig:
    """The `output:` section.

    Attributes:
        dir: where run directories are created.
        mlflow: null, or where to log runs to MLflow too (`MLflowConfig`).
    """

    dir: str = "runs"
    mlflow: MLflowConfig | None = None


@dataclasses.dataclass
class SearchConfig:
    """The `sweep.search:` section: sample `sweep.space` with Optuna instead of a grid.

    Attributes:
        method: "tpe" (Optuna's tree-structured Parzen estimator, which proposes settings
            from the trials so far), "random" (independent draws) or "grid" (every
            combination of the space's choices and integer ranges, in random order).
        trials: how many trials the study runs in all, counting those of earlier
            invocations; for "grid", at most (and by default) the number of combinations.
        pruner: stop unpromising trials early on their per-epoch validation value of the
            selection metric (`sweep.select`): "none", "median" (a trial below the median of
            earlier trials at the same epoch) or "hyperband".
    """

    method: Literal["tpe", "random", "grid"] = "tpe"
    trials: PositiveInt | None = None
    pruner: Literal["none", "median", "hyperband"] = "none"


# The kinds of range a `sweep.space` key can take, each {kind: [values]}.
SPACE_KINDS = ("float", "log_float", "int", "choice")


@dataclasses.dataclass
class SweepConfig:
    """The `sweep:` section: settings to try and how to pick the best run (`snn sweep`).

    Attributes:
        grid: {dotted key: list of values}, e.g. `{model.depth: [2, 4, 8]}`; the sweep runs
            every combination (the Cartesian product), each a full experiment. A list of
            such mappings runs the combinations of each in turn (for settings that only
            make sense together, as in scikit-learn's `ParameterGrid`). None with `search`.
        space: with `search`, {dotted key: range}, a range being one of `{float: [low,
            high]}`, `{log_float: [low, high]}` (sampled uniformly in log space; low > 0),
            `{int: [low, high]}` (both included) or `{choice: [value, ...]}`.
        search: `SearchConfig`: sample `space` in trials of an Optuna study; or None.
        select: "validation <metric> min|max": the run with the best mean validation
            value of `<metric>` (a test metric of the task, or `loss`) is the selected one.
            A list starts with that and goes on with tie-breaks, "<dotted key> min|max",
            applied in order to runs of equal validation value, e.g. `[validation accuracy
            max, model.depth max, training.learning_rate min]`; remaining ties go to the
            first run in grid (or trial) order.
        nested: select separately in each fold of the evaluation protocol, on that fold's
            validation rows only, and report the selected run's test metrics in that fold
            (nested cross-validation: no test row informs the choice). Without it, one
            selection by the validation metric's mean over folds.
        final: {dotted key: value} overrides for one more run of the selected settings,
            the sweep's final estimate (in `<sweep dir>/final/`), or None.
    """

    grid: dict[str, list[Any]] | list[dict[str, list[Any]]] | None = None
    space: dict[str, Any] | None = None
    search: SearchConfig | None = None
    select: str | list[str] = "validation loss min"
    nested: bool = False
    final: dict[str, Any] | None = None

    def __post_init__(self):
        if self.search is None:
            self._check_grid()
        else:
            self._check_space()
        criteria = [self.select] if isinstance(self.select, str) else self.select
        if not criteria or not _SELECT.fullmatch(criteria[0]):
            raise ConfigError(f"sweep.select: got {criteria[0] if criteria else '[]'!r}; "
                              "expected 'validation <metric> min' or '... max', e.g. "
                              "'validation accuracy max'", key="sweep.select")
        for tie in criteria[1:]:
            if not _TIE.fullmatch(tie) or tie.startswith("validation "):
                raise ConfigError(f"sweep.select: got tie-break {tie!r}; expected '<dotted "
                                  "config key> min' or '... max', e.g. 'model.depth max'",
                                  key="sweep.select")
        if self.nested and self.final is not None:
            raise ConfigError("sweep.final: a nested sweep's estimate is each fold's "
                              "selected run on that fold's test rows; expected no final run",
                              key="sweep.final")

    def _check_grid(self):
        if self.space is not None:
            raise ConfigError("sweep.space: a space is sampled by a search; expected "
                              "sweep.search too, e.g. search: {method: tpe, trials: 20}",
                              key="sweep.space")
        if self.grid is None:
            raise ConfigError("sweep.grid: missing; expected a grid of values to try, e.g. "
                              "grid: {model.depth: [2, 4, 8]}, or a search with a space",
                              key="sweep.grid")
        grids = self.grids
        if not grids or not all(grids):
            raise ConfigError("sweep.grid: got an empty mapping; expected at least one "
                              "key with a list of values", key="sweep.grid")
        for grid in grids:
            for key, values in grid.items():
                if not values:
                    raise ConfigError(f"sweep.grid.{key}: got an empty list; expected the "
                                      "values to try", key=f"sweep.grid.{key}")
                _check_not_sweep(key, "grid")

    def _check_space(self):
        if self.grid is not None:
            raise ConfigError("sweep.grid: a search samples sweep.space; expected either a "
                              "grid or a search with a space, not both", key="sweep.grid")
        if not self.space:
            raise ConfigError("sweep.space: missing or empty; a search needs the ranges to "
                              "sample, e.g. space: {training.learning_rate: {log_float: "
                              "[0.001, 0.1]}}", key="sweep.space")
        for key, bounds in self.space.items():
            _check_not_sweep(key, "space")
            _check_range(key, bounds, self.search.method)
        method, trials = self.search.method, self.search.trials
        if method == "grid":
            size = self.grid_size
            if trials is not None and trials > size:
                raise ConfigError(f"sweep.search.trials: got {trials}; the space has "
                                  f"{size} combinations, expected at most {size}",
                                  key="sweep.search.trials")
        elif trials is None:
            raise ConfigError(f"sweep.search.trials: missing; method {method!r} samples "
                              "until it has run this many trials, expected e.g. trials: 20",
                              key="sweep.search.trials")

    @property
    def grids(self):
        """The grid as a list of mappings ([] for a search)."""
        if self.grid is None:
            return []
        return [self.grid] if isinstance(self.grid, dict) else self.grid

    @property
    def keys(self):
        """Every grid (or space) key, in order of first appearance."""
        if self.search is not None:
            return list(self.space)
        return list(dict.fromkeys(key for grid in self.grids for key in grid))

    @property
    def trials(self):
        """How many trials a search runs in all; None for a grid."""
        if self.search is None:
            return None
        return self.search.trials or self.grid_size

    @property
    def grid_size(self):
        """The number of combinations of a space of choices and integer ranges."""
        size = 1
        for bounds in self.space.values():
            (kind, values), = bounds.items()
            size *= len(values) if kind == "choice" else values[1] - values[0] + 1
        return size

    @property
    def selection(self):
        """(metric, "min" or "max") from `select`."""
        first = self.select if isinstance(self.select, str) else self.select[0]
        _, metric, direction = first.split()
        return metric, direction

    @property
    def ties(self):
        """[(dotted key, "min" or "max")] of the tie-breaks, in order."""
        criteria = [] if isinstance(self.select, str) else self.select[1:]
        return [tuple(tie.split()) for tie in criteria]


def _check_not_sweep(key, section):
    if key == "sweep" or key.startswith("sweep."):
        raise ConfigError(f"sweep.{section}.{key}: a sweep cannot vary its own section",
                          key=f"sweep.{section}.{key}")


def _check_range(key, bounds, method):
    """One `sweep.space` entry: {kind: values} with a non-empty, ordered range."""
    where = f"sweep.space.{key}"
    example = "expected one of {float: [low, high]}, {log_float: [low, high]}, " \
        "{int: [low, high]} or {choice: [a, b, ...]}"
    if not isinstance(bounds, dict) or len(bounds) != 1 or \
            next(iter(bounds)) not in SPACE_KINDS:
        raise ConfigError(f"{where}: got {bounds!r}; {example}", key=where)
    (kind, values), = bounds.items()
    if kind == "choice":
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}.choice: got {values!r}; expected a non-empty list "
                              "of values", key=where)
        return
    number = int if kind == "int" else (int, float)
    if not isinstance(values, list) or len(values) != 2 or \
            not all(isinstance(v, number) and not isinstance(v, bool) for v in values):
        raise ConfigError(f"{where}.{kind}: got {values!r}; expected [low, high], two "
                          f"{'integers' if kind == 'int' else 'numbers'}", key=where)
    low, high = values
    if low >= high:
        raise ConfigError(f"{where}.{kind}: got [{low}, {high}], an empty or inverted range; "
                          "expected low < high", key=where)
    if kind == "log_float" and low <= 0:
        raise ConfigError(f"{where}.log_float: got [{low}, {high}]; a log range must lie "
                          f"above 0, expected low > 0", key=where)
    if method == "grid" and kind != "int":
        raise ConfigError(f"{where}.{kind}: method 'grid' needs a finite set of values; "
                          "expected {choice: [...]} or {int: [low, high]}", key=where)


_SELECT = re.compile(r"validation [a-z0-9_]+ (min|max)")
_TIE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]* (min|max)")


@dataclasses.dataclass
class ExperimentConfig:
    """A whole experiment, validated. Build it with `load_config` or `parse_config`.

    `sweep` is None unless the file describes a grid for `snn sweep`; `snn train` runs the
    file's own (base) settings.
    """

    name: Annotated[str, Pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]*",
                                 "a name of letters, digits, '_', '-' or '.'")]
    seed: Annotated[int, Range(0)] = 0
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    training: TrainingConfig = dataclasses.field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = dataclasses.field(default_factory=EvaluationConfig)
    output: OutputConfig = dataclasses.field(default_factory=OutputConfig)
    sweep: SweepConfig | None = None


# --- validation -------------------------------------------------------------------------

def parse_config(raw, source="<config>"):
    """Validate a config mapping and fill in defaults.

    Args:
        raw: dict as read from YAML.
        source: where it came from, prefixed to error messages.

    Returns:
        ExperimentConfig.

    Raises:
        ConfigError: the first problem found, as "<source>: <key.path>: <what is wrong>".
    """
    try:
        return _parse_section(ExperimentConfig, raw, "")
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}", key=error.key) from None


def _parse_section(cls, raw, prefix):
    if not isinstance(raw, dict):
        where = prefix.rstrip(".") or "the config"
        raise ConfigError(f"{where}: got {raw!r}; expected a mapping of keys to values",
                          key=prefix.rstrip(".") or None)
    if cls is DataConfig:
        source = check(raw.get("source", "sklearn"), str, prefix + "source")
        return _parse_with_extras(cls, raw, prefix, "options", source_options(source))
    if cls is ModelConfig:
        name = check(raw.get("name", "snn_mlp"), str, prefix + "name")
        return _parse_with_extras(cls, raw, prefix, "arguments", model_arguments(name))
    return cls(**_parse_fields(cls, raw, prefix))


def _parse_fields(cls, raw, prefix, extras=(), extras_field=None):
    """Parse the dataclass fields of a section; `extras` are other keys allowed beside them,
    collected by the caller into `extras_field` (which is not a key itself)."""
    hints = typing.get_type_hints(cls, include_extras=True)
    hints.pop(extras_field, None)
    for key in raw:
        if key not in hints and key not in extras:
            raise unknown_key(prefix + str(key), set(hints) | set(extras))
    values = {}
    for field in dataclasses.fields(cls):
        if field.name == extras_field:
            continue
        key, annotation = prefix + field.name, hints[field.name]
        if field.name in raw:
            values[field.name] = _parse_value(raw[field.name], annotation, key)
        elif dataclasses.is_dataclass(annotation):
            # An absent section still needs its registered function's defaults.
            values[field.name] = _parse_section(annotation, {}, key + ".")
        elif field.default is dataclasses.MISSING and \
                field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{key}: missing; expected {describe(annotation)}", key=key)
    return values


def _parse_value(value, annotation, key):
    """Nested sections (`early_stopping: {...}`, or null where allowed) recurse."""
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) \
        else (annotation,)
    section = next((o for o in options if dataclasses.is_dataclass(o)), None)
    if section is None:
        return check(value, annotation, key)
    if value is None and type(None) in options:
        return None
    return _parse_section(section, value, key + ".")


def _parse_with_extras(cls, raw, prefix, extras_field, spec):
    """Parse a section whose keys are its own fields plus a registered function's arguments."""
    own = {k: v for k, v in raw.items() if k not in spec}
    extras = {k: v for k, v in raw.items() if k in spec}
    values = _parse_fields(cls, own, prefix, extras=spec, extras_field=extras_field)
    values[extras_field] = check_arguments(spec, extras, prefix.rstrip("."))
    return cls(**values)


# --- files and overrides ---------------------------------------------------------------

def load_config(path, overrides=()):
    """Read, override and validate an experiment file.

    Args:
        path: str or Path of a YAML experiment file.
        overrides: iterable of "dotted.key=value" strings (values are YAML, so `1e-3` is a
            number and `[64, 32]` a list), applied before validation.

    Returns:
        ExperimentConfig.

    Raises:
        ConfigError: missing or unreadable file, invalid YAML, or an invalid value. The
            message names the file (or `--set` for a bad override) and the key path.
    """
    raw = read_config(path)
    overridden = apply_overrides(raw, overrides)
    try:
        return parse_config(raw)
    except ConfigError as error:
        source = "--set" if error.key and any(_related(error.key, k) for k in overridden) \
            else str(path)
        raise ConfigError(f"{source}: {error.args[0].split(': ', 1)[1]}", key=error.key) \
            from None


def _related(key, other):
    """Whether one dotted key path is the other or lies under it."""
    return key == other or key.startswith(other + ".") or other.startswith(key + ".")


def to_dict(config):
    """The config as plain YAML-ready data, with every default filled in.

    Args:
        config: ExperimentConfig.

    Returns:
        dict that `parse_config` accepts and turns back into an equal config.
    """
    data = dataclasses.asdict(config)
    data["data"] = {"source": data["data"].pop("source"), **data["data"].pop("options"),
                    **data["data"]}
    data["model"] = {"name": config.model.name, **config.model.arguments}
    if config.sweep is None:
        del data["sweep"]
    return _plain(data)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def save_config(config, path):
    """Write the resolved config, atomically, as YAML that `load_config` reads back."""
    text = yaml.safe_dump(to_dict(config), sort_keys=False)
    write_atomic(path, lambda temporary: Path(temporary).write_text(text))
