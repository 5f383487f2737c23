"""Evaluation protocols: which rows train, stop early and test, in one or more folds.

- `holdout`: one stratified train / validation / test split by `data.validation_fraction`
  and `data.test_fraction`.
- `kfold`: `evaluation.folds` stratified folds; each fold is the test set once, and
  `data.validation_fraction` of the remaining rows is held out for early stopping and
  selection; or, with `evaluation.validation: previous_fold`, the fold before it (the last
  fold for the first), as in the SNN paper's nested cross-validation on HTRU2 (A4.4).
- `uci121`: the 4 fixed folds of a UCI-121 set (`conxuntos_kfold.dat`), or the first
  `evaluation.folds` of them; the validation rows for early stopping and model selection
  come from each fold's training rows (`data.validation_fraction`, stratified), so a
  nested sweep (`sweep.nested`) never lets a fold's test rows inform its choice.
- `uci121_leaky_selection`: the model-selection split of Fernandez-Delgado et al. (2014)
  (`conxuntos.dat`): train on its training half, stop early and report on its validation
  half (reported as "test"). That half holds about half of every fixed fold's test rows
  and the training half the rest, so settings chosen on it have seen every test row of
  `uci121` (the flaw Wainberg et al. 2016 pointed out); kept only to measure that effect.
"""

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from snn.data import split_indices
from snn.data.splits import scaffold_split, split_off
from snn.errors import ConfigError, DataError


DEFAULT_FOLDS = 10


def fold_indices(config, dataset):
    """The row indices of every fold an experiment trains.

    Args:
        config: `snn.config.ExperimentConfig` (its `evaluation`, `data` and `seed`).
        dataset: `snn.data.Dataset`.

    Returns:
        list of dicts {"train", "validation", "test"} -> sorted int64 row indices; one dict
        for `holdout` and `uci121_leaky_selection`.

    Raises:
        ConfigError: a UCI-121 protocol with a data source that has no UCI-121 splits.
        DataError: too few examples of a class to stratify.
    """
    evaluation, data = config.evaluation, config.data
    protocol = evaluation.protocol
    seed = config.seed if evaluation.split_seed is None else evaluation.split_seed
    labels = dataset.stratify
    if protocol == "holdout" and evaluation.split == "scaffold":
        if dataset.predefined.scaffolds is None:
            raise ConfigError("evaluation.split: 'scaffold' needs each row's scaffold, which "
                              "data.source: tox21 gives; expected split: random",
                              key="evaluation.split")
        return [scaffold_split(dataset.predefined.scaffolds, data.validation_fraction,
                               data.test_fraction)]
    if protocol == "holdout":
        return [split_indices(len(dataset.x), data.validation_fraction, data.test_fraction,
                              seed, labels)]
    if protocol == "kfold":
        count = config.evaluation.folds or DEFAULT_FOLDS
        splitter = (KFold if labels is None else StratifiedKFold)(
            n_splits=count, shuffle=True, random_state=seed)
        try:
            pairs = list(splitter.split(np.zeros((len(dataset.x), 1)), labels))
        except ValueError as error:
            raise DataError(f"evaluation.folds: cannot make {count} stratified folds "
                            f"({error})") from None
    else:
        predefined = dataset.predefined
        if predefined.folds is None:
            raise ConfigError(f"evaluation.protocol: {protocol!r} needs the fixed splits of "
                              "data.source: uci121", key="evaluation.protocol")
        if protocol == "uci121_leaky_selection":
            train, validation = predefined.selection
            return [{"train": np.sort(train), "validation": np.sort(validation),
                     "test": np.sort(validation)}]
        pairs = predefined.folds[:config.evaluation.folds]
    if config.evaluation.validation == "previous_fold":
        tests = [np.sort(test) for _, test in pairs]
        count = len(tests)
        return [{"train": np.sort(np.concatenate([rows for j, rows in enumerate(tests)
                                                  if j not in (i, (i - 1) % count)])),
                 "validation": tests[i - 1], "test": tests[i]} for i in range(count)]
    folds = []
    for rest, test in pairs:
        train, validation = _validation_split(np.asarray(rest), data.validation_fraction, seed,
                                              labels)
        folds.append({"train": train, "validation": validation, "test": np.sort(test)})
    return folds


def _validation_split(rows, fraction, seed, labels):
    """Stratified when possible; some UCI-121 sets have classes too rare to stratify a
    fold's training rows, and their folds are fixed, so fall back to a random split."""
    try:
        return split_off(rows, fraction, seed, labels)
    except DataError:
        return split_off(rows, fraction, seed)
