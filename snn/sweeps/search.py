"""Search beyond grids: a sweep's settings sampled, and its weak trials pruned, by Optuna.

A sweep with `sweep.search` runs `trials` trials of an Optuna study (Akiba et al. 2019,
"Optuna: A Next-generation Hyperparameter Optimization Framework", KDD). Each trial is a
normal run directory of the sweep, `trial_<number>`, trained by the sweep's executor, so it
resumes after an interruption and its failure stops nothing else. A trial is asked for
each time a worker frees up, so TPE proposes from every trial finished so far (and, with
`constant_liar`, steers away from the ones still running). With a pruner, the worker
reports the selection metric's per-epoch validation value to the study after every epoch
and ends the run as "pruned" when the pruner judges it unpromising.

The study is stored beside the runs (`study.db`, SQLite), so running the same command
again resumes it: finished trials are kept, interrupted ones resume from their
checkpoints, and new ones are asked for until the study has `trials`.
"""

import itertools
import json
import math
import random
from pathlib import Path

from snn.config import first_difference, load_config, to_dict
from snn.errors import ConfigError, RunPruned
from snn.sweeps.outcome import RunOutcome, recorded_outcome

STUDY = "study.db"
STUDY_NAME = "snn"
# The per-epoch Keras log of each selection metric (`snn.metrics.metric_names`).
KERAS_NAMES = {"loss": "loss", "accuracy": "accuracy", "auc": "auc",
               "mae": "mean_absolute_error", "mse": "mean_squared_error", "r2": "r2_score"}


class Search:
    """The Optuna study of one search sweep, its trials kept as the sweep's runs.

    Opening it creates or loads the study in `sweep_dir`; `restore` rebuilds the runs of
    earlier trials, `jobs` asks for new ones, `tell` records how each ended.

    Args:
        sweep: `snn.sweeps.Sweep` whose config has a `sweep.search` section; its `runs`
            grow by one `SweepRun` per trial, in trial order.
        sweep_dir: Path of the sweep directory.
    """

    def __init__(self, sweep, sweep_dir):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # the sweep reports trials
        self.sweep, self.sweep_dir = sweep, Path(sweep_dir)
        settings = sweep.config.sweep
        self.space = settings.space
        self.distributions = distributions(self.space)
        self.metric, direction = settings.selection
        self.pruner, self.trials = settings.search.pruner, settings.trials
        self.study = optuna.create_study(
            study_name=STUDY_NAME, storage=storage(self.sweep_dir), load_if_exists=True,
            pruner=pruner(self.pruner),
            direction="maximize" if direction == "max" else "minimize")
        # A sampler seeded alike in every invocation would propose the first trials'
        # settings again after a resume: the seed moves on with the trials already asked.
        self.study.sampler = sampler(settings.search.method,
                                     sweep.config.seed + len(self.study.trials))
        if settings.search.method == "grid" and not self.study.trials:
            for params in grid(self.space, sweep.config.seed):
                self.study.enqueue_trial(params)
        self.outcomes, self.numbers = {}, {}
        self.width = max(3, len(str(self.trials - 1)))

    def restore(self):
        """Rebuild the runs of the study's trials, in trial order.

        A trial left running by an interrupted invocation whose run has ended on disk
        since (completed or pruned as the interruption arrived) is told so now.

        Returns:
            {run name: `RunOutcome`, or None for a trial to resume}; the dict `jobs` and
            `tell` keep up to date.
        """
        from optuna.trial import TrialState

        self._fail_undrawn()
        for trial in self._started():
            run = self._add_run(trial)
            reason = trial.user_attrs.get("reason")
            if trial.state == TrialState.COMPLETE:
                outcome = recorded_outcome(self.sweep_dir / run.name, to_dict(run.config)) \
                    or RunOutcome.failed(f"{self.sweep_dir / run.name}: the completed "
                                         "trial's run directory is gone or changed")
            elif trial.state == TrialState.PRUNED:
                outcome = RunOutcome("pruned", reason=reason)
            elif trial.state == TrialState.FAIL:
                outcome = RunOutcome.failed(reason or "failed")
            else:
                outcome = run.config and recorded_outcome(self.sweep_dir / run.name,
                                                          to_dict(run.config))
                if outcome is not None:
                    self.tell(run.name, outcome)
            self.outcomes[run.name] = outcome
        return self.outcomes

    def jobs(self, index):
        """The trials to train: first the unfinished ones of earlier invocations, then new
        ones asked for one at a time, as they are taken, until the study has `trials`.

        Args:
            index: the sweep's index among those run together, the first part of each key.

        Yields:
            (((index, run name),), [raw config], [run directory], trial) jobs for the
            executors, one run each; `trial` is what `TrialPruning` needs, or None without
            a pruner.
        """
        for run in list(self.sweep.runs):
            if self.outcomes[run.name] is None:
                yield self._job(index, run)
        while len(self._started()) < self.trials:
            run = self._add_run(self.study.ask(self.distributions))
            self.outcomes[run.name] = None
            yield self._job(index, run)

    def tell(self, name, outcome):
        """Record how a trial's run ended: its validation value, pruned, or failed.

        Args:
            name: the trial's run name.
            outcome: `RunOutcome` of its run.
        """
        from optuna.trial import TrialState

        number = self.numbers[name]
        self.outcomes[name] = outcome
        value = outcome.metrics["validation"].get(self.metric, math.nan) \
            if outcome.status == "completed" else math.nan
        if outcome.status == "completed" and math.isfinite(value):
            self.study.tell(number, value)
            return
        reason = outcome.reason if outcome.status != "completed" else \
            f"no finite validation {self.metric}"
        self._trial(number).set_user_attr("reason", reason)
        self.study.tell(number, state=TrialState.PRUNED if outcome.status == "pruned"
                        else TrialState.FAIL)

    def _started(self):
        """The trials asked for so far with their parameters drawn (a grid's queued ones
        are not yet asked for; see `_fail_undrawn`)."""
        from optuna.trial import TrialState

        return [trial for trial in self.study.get_trials(deepcopy=False, states=[
                    TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL,
                    TrialState.RUNNING])
                if self.space.keys() <= trial.params.keys()]

    def _fail_undrawn(self):
        """End trials that a stop interrupted inside Optuna's `ask`, before their
        parameters were drawn: they never trained, and no run is made of them. A grid
        point among them is queued again."""
        from optuna.trial import TrialState

        for trial in self.study.get_trials(deepcopy=False, states=[TrialState.RUNNING]):
            if not self.space.keys() <= trial.params.keys():
                self._trial(trial.number).set_user_attr(
                    "reason", "asked for as the sweep stopped, before its parameters were "
                    "drawn; never trained")
                self.study.tell(trial.number, state=TrialState.FAIL)
                if "fixed_params" in trial.system_attrs:
                    self.study.enqueue_trial(trial.system_attrs["fixed_params"])

    def _trial_id(self, number):
        # Optuna addresses a trial in its storage by this id; it has no public accessor.
        return self.study.get_trials(deepcopy=False)[number]._trial_id

    def _trial(self, number):
        """The running trial `number`, to write to."""
        import optuna

        return optuna.trial.Trial(self.study, self._trial_id(number))

    def _add_run(self, trial):
        name = trial.user_attrs.get("run")
        if name is None:
            # Unnamed: just asked for, or asked for as a stop arrived (then `trial` is a
            # FrozenTrial, whose own set_user_attr would not reach the storage).
            name = f"trial_{trial.number:0{self.width}d}"
            self._trial(trial.number).set_user_attr("run", name)
        settings = {key: decode(self.space[key], trial.params[key]) for key in self.space}
        run = self.sweep.make_run(name, settings)
        self.sweep.runs.append(run)
        self.numbers[name] = trial.number
        return run

    def _job(self, index, run):
        raw = to_dict(run.config) if run.config else self.sweep.combination(run.settings)
        trial = None if self.pruner == "none" else {
            "storage": storage(self.sweep_dir), "study": STUDY_NAME,
            "trial_id": self._trial_id(self.numbers[run.name]), "pruner": self.pruner,
            "metric": self.metric, "epochs": run.config and run.config.training.epochs}
        return ((index, run.name),), [raw], [self.sweep_dir / run.name], trial


def check_resumable(config, sweep_dir, saved):
    """Refuse to resume a study in `sweep_dir` that was run with another config.

    Args:
        config: the sweep's `ExperimentConfig`.
        sweep_dir: Path of the sweep directory.
        saved: Path of the config the sweep directory recorded (`sweep.yaml`).

    Raises:
        ConfigError: the directory holds a study and its recorded config differs in
            anything but `sweep.search.trials`.
    """
    if not (Path(sweep_dir) / STUDY).is_file() or not Path(saved).is_file():
        return
    before, now = to_dict(load_config(saved)), to_dict(config)
    before["sweep"]["search"]["trials"] = now["sweep"]["search"]["trials"]
    if before != now:
        key = first_difference(before, now)
        raise ConfigError(f"{sweep_dir}: holds a search run with another config ({key} "
                          "differs); expected the same config and --set values to resume "
                          "it (sweep.search.trials may grow), or another --run-dir",
                          key=key)


def storage(sweep_dir):
    """The study's SQLite URL; absolute, so that a Ray worker elsewhere opens the same."""
    return f"sqlite:///{(Path(sweep_dir) / STUDY).resolve()}"


def distributions(space):
    """Optuna distributions for `sweep.space`: {key: distribution}.

    Args:
        space: {dotted key: {kind: values}}, as `snn.config.SweepConfig.space`.

    Returns:
        dict of `optuna.distributions.BaseDistribution`.
    """
    from optuna.distributions import CategoricalDistribution, FloatDistribution
    from optuna.distributions import IntDistribution

    made = {}
    for key, bounds in space.items():
        (kind, values), = bounds.items()
        if kind == "choice":
            made[key] = CategoricalDistribution([_encode(value) for value in values])
        elif kind == "int":
            made[key] = IntDistribution(*values)
        else:
            made[key] = FloatDistribution(*values, log=kind == "log_float")
    return made


def _encode(value):
    """Optuna's categories are numbers, strings, booleans or None: a list (e.g. units per
    layer) becomes its JSON text."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def decode(bounds, value):
    """A trial's parameter as the config value it stands for.

    Args:
        bounds: the key's `sweep.space` range, {kind: values}.
        value: the trial's parameter.
    """
    (kind, values), = bounds.items()
    if kind == "choice":
        return next(choice for choice in values if _encode(choice) == value)
    return int(value) if kind == "int" else float(value)


def sampler(method, seed):
    """The Optuna sampler of `sweep.search.method`, seeded with the experiment's seed.

    Args:
        method: "tpe", "random" or "grid" (whose trials are queued in the study, `grid`;
            a random sampler stands behind the queue).
        seed: int.
    """
    import optuna

    if method == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    return optuna.samplers.RandomSampler(seed=seed)


def grid(space, seed):
    """Every combination of a space of choices and integer ranges, in an order shuffled by
    `seed` (so that a search of fewer trials than combinations samples the grid evenly).

    Optuna's GridSampler stops its study from inside `tell`, which only an `optimize` loop
    allows; the combinations are queued as trials (`Study.enqueue_trial`) instead.

    Args:
        space: `sweep.space`, of "choice" and "int" ranges only.
        seed: int.

    Returns:
        list of {key: parameter}, as Optuna records them (`_encode`).
    """
    values = []
    for bounds in space.values():
        (kind, given), = bounds.items()
        values.append([_encode(v) for v in given] if kind == "choice" else
                      list(range(given[0], given[1] + 1)))
    combinations = [dict(zip(space, combination))
                    for combination in itertools.product(*values)]
    random.Random(seed).shuffle(combinations)
    return combinations


def pruner(name):
    """The Optuna pruner of `sweep.search.pruner`, with Optuna's defaults: "median" prunes
    a trial whose best value so far is worse than the median of the finished trials'
    values at the same epoch, once 5 trials have finished; "hyperband" (Li et al. 2018,
    JMLR 18(185)) compares trials in successive-halving brackets, from 1 epoch up to the
    longest trial's."""
    import optuna

    return {"none": optuna.pruners.NopPruner, "median": optuna.pruners.MedianPruner,
            "hyperband": optuna.pruners.HyperbandPruner}[name]()


class TrialPruning:
    """Reports a run's per-epoch validation value to its trial and prunes it when told to:
    an observer for `snn.training.train`, created in the worker that trains the trial.

    The value is the Keras log `val_<metric>` of the selection metric (e.g.
    `val_accuracy`; `val_mean_absolute_error` for "mae"), reported at step
    `(fold - 1) * epochs + epoch`, so folds of a k-fold run follow each other.

    Args:
        trial: dict from `Search.jobs`: "storage", "study", "trial_id", "pruner",
            "metric", "epochs".
    """

    def __init__(self, trial):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.load_study(study_name=trial["study"], storage=trial["storage"],
                                  pruner=pruner(trial["pruner"]))
        self.trial = optuna.trial.Trial(study, trial["trial_id"])
        self.pruner, self.epochs = trial["pruner"], trial["epochs"]
        self.monitor = f"val_{KERAS_NAMES[trial['metric']]}"

    def callback(self, fold, folds):
        """The Keras callback of fold `fold` (from 1) of `folds`."""
        import keras

        owner, offset = self, (fold - 1) * self.epochs
        where = f" of fold {fold}" if folds > 1 else ""

        class Prune(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                owner.report(epoch, offset, where, logs or {})

        return Prune()

    def report(self, epoch, offset, where, logs):
        """Report one epoch's value; raise `RunPruned` when the pruner says so.

        Raises:
            ConfigError: the runs do not log the monitored value.
            RunPruned: the trial is pruned.
        """
        if self.monitor not in logs:
            name = self.monitor.removeprefix("val_")
            raise ConfigError(f"sweep.search.pruner: {self.pruner!r} prunes on the "
                              f"per-epoch {self.monitor}, which these runs do not log "
                              f"({', '.join(logs)}); expected training.metrics to include "
                              f"{name!r}, or pruner: none", key="sweep.search.pruner")
        value = float(logs[self.monitor])
        if not math.isfinite(value):
            return  # the trainer stops a run whose loss is NaN itself
        self.trial.report(value, offset + epoch)
        if self.trial.should_prune():
            raise RunPruned(f"pruned after epoch {epoch + 1}{where}: {self.monitor} "
                            f"{value:.4g}")

