"""Evaluation protocols: holdout, stratified k-fold, and the UCI-121 fixed splits."""

import numpy as np
import pytest

from snn.config import parse_config
from snn.data import Dataset, PredefinedSplits
from snn.errors import ConfigError
from snn.evaluation import fold_indices


def _config(protocol, folds=None):
    evaluation = {"protocol": protocol} | ({"folds": folds} if folds else {})
    return parse_config({"name": "t", "evaluation": evaluation,
                         "data": {"validation_fraction": 0.2}})


def _dataset(predefined=None):
    y = np.repeat([0, 1], [80, 20]).astype(np.int32)
    return Dataset(np.zeros((100, 3), np.float32), y, 2, [0, 1],
                   predefined or PredefinedSplits())


def test_kfold_tests_every_row_exactly_once_and_keeps_class_proportions():
    folds = fold_indices(_config("kfold", 5), _dataset())
    assert len(folds) == 5
    tested = np.concatenate([fold["test"] for fold in folds])
    assert sorted(tested) == list(range(100))
    for fold in folds:
        assert len(fold["test"]) == 20 and np.mean(fold["test"] >= 80) == 0.2  # 20% class 1
        assert len(fold["validation"]) == 16  # 20% of the fold's 80 training rows
        parts = [set(fold[s]) for s in ("train", "validation", "test")]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert len(set.union(*parts)) == 100


def test_uci121_uses_the_fixed_folds_and_selection_split():
    folds = [(np.arange(0, 75), np.arange(75, 100))] * 4
    predefined = PredefinedSplits(selection=(np.arange(50), np.arange(50, 100)), folds=folds)
    final = fold_indices(_config("uci121"), _dataset(predefined))
    assert len(final) == 4
    assert all(list(f["test"]) == list(range(75, 100)) for f in final)
    assert all(set(f["train"]) | set(f["validation"]) == set(range(75)) for f in final)
    (selection,) = fold_indices(_config("uci121_selection"), _dataset(predefined))
    assert list(selection["train"]) == list(range(50))
    assert list(selection["test"]) == list(selection["validation"]) == list(range(50, 100))


def test_uci121_protocol_needs_a_uci121_source():
    with pytest.raises(ConfigError, match="evaluation.protocol: 'uci121' needs the fixed "
                                          "splits of data.source: uci121"):
        fold_indices(_config("uci121"), _dataset())


def test_folds_are_only_for_kfold():
    with pytest.raises(ConfigError, match="evaluation.folds: got 3, but protocol 'holdout' "
                                          "fixes its folds; expected protocol: kfold"):
        _config("holdout", 3)
    assert len(fold_indices(_config("kfold"), _dataset())) == 10  # the default
