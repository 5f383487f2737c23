"""Evaluation protocols: holdout, stratified k-fold, and the UCI-121 fixed splits."""

import numpy as np
import pytest

from snn.config import parse_config
from snn.data import Dataset, PredefinedSplits, load_dataset
from snn.data.uci121 import list_datasets, load_uci121
from snn.errors import ConfigError
from snn.evaluation import fold_indices


def _config(protocol, folds=None, **evaluation):
    evaluation = {"protocol": protocol, **evaluation} | ({"folds": folds} if folds else {})
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


def test_previous_fold_validation_takes_fold_m_minus_1_and_trains_on_the_other_eight():
    folds = fold_indices(_config("kfold", 10, validation="previous_fold"), _dataset())
    tests = [set(fold["test"]) for fold in folds]
    assert sorted(np.concatenate([fold["test"] for fold in folds])) == list(range(100))
    for m, fold in enumerate(folds):
        # A4.4: fold M tests, fold M-1 validates, fold 10 when M is 1.
        assert set(fold["validation"]) == tests[m - 1 if m else 9]
        assert set(fold["train"]) == set(range(100)) - tests[m] - tests[m - 1]
        assert len(fold["train"]) == 80 and np.mean(fold["train"] >= 80) == 0.2


def test_previous_fold_validation_needs_kfold_and_three_folds():
    with pytest.raises(ConfigError, match="evaluation.validation: got 'previous_fold', but "
                                          "protocol 'holdout' has no folds"):
        _config("holdout", validation="previous_fold")
    with pytest.raises(ConfigError, match="evaluation.folds: got 2; validation: "
                                          "previous_fold needs 3 or more"):
        _config("kfold", 2, validation="previous_fold")


def test_a_fixed_split_seed_keeps_the_rows_while_the_experiment_seed_changes():
    def holdout(seed, **evaluation):
        config = parse_config({"name": "t", "seed": seed, "evaluation": evaluation,
                               "data": {"validation_fraction": 0.2}})
        return fold_indices(config, _dataset())[0]["test"]

    assert np.array_equal(holdout(1, split_seed=7), holdout(2, split_seed=7))
    assert np.array_equal(holdout(7), holdout(1, split_seed=7))
    assert not np.array_equal(holdout(1), holdout(2))


def test_the_scaffold_split_takes_the_sources_scaffolds_and_only_for_holdout():
    # One scaffold of 50 rows and 50 scaffolds of one row: the big group trains whole,
    # single rows fill training up to its 60 rows and validation up to 20; 20 test.
    scaffolds = np.array(["ring"] * 50 + [f"s{i}" for i in range(50)])
    config = parse_config({"name": "t", "evaluation": {"split": "scaffold"},
                           "data": {"validation_fraction": 0.2, "test_fraction": 0.2}})
    [fold] = fold_indices(config, _dataset(PredefinedSplits(scaffolds=scaffolds)))
    assert set(range(50)) <= set(fold["train"])  # the largest scaffold stays whole
    assert [len(fold[s]) for s in ("train", "validation", "test")] == [60, 20, 20]
    with pytest.raises(ConfigError, match="'scaffold' needs each row's scaffold"):
        fold_indices(config, _dataset())
    with pytest.raises(ConfigError, match="evaluation.split: got 'scaffold', but protocol "
                                          "'kfold' makes folds"):
        _config("kfold", 5, split="scaffold")


def test_uci121_uses_the_fixed_folds_and_selection_split():
    folds = [(np.arange(0, 75), np.arange(75, 100))] * 4
    predefined = PredefinedSplits(selection=(np.arange(50), np.arange(50, 100)), folds=folds)
    final = fold_indices(_config("uci121"), _dataset(predefined))
    assert len(final) == 4
    assert all(list(f["test"]) == list(range(75, 100)) for f in final)
    assert all(set(f["train"]) | set(f["validation"]) == set(range(75)) for f in final)
    (selection,) = fold_indices(_config("uci121_leaky_selection"), _dataset(predefined))
    assert list(selection["train"]) == list(range(50))
    assert list(selection["test"]) == list(selection["validation"]) == list(range(50, 100))


def test_uci121_protocol_needs_a_uci121_source():
    with pytest.raises(ConfigError, match="evaluation.protocol: 'uci121' needs the fixed "
                                          "splits of data.source: uci121"):
        fold_indices(_config("uci121"), _dataset())


def test_folds_are_only_for_kfold_and_the_first_of_the_uci121_folds():
    with pytest.raises(ConfigError, match="evaluation.folds: got 3, but protocol 'holdout' "
                                          "fixes its folds; expected protocol: kfold"):
        _config("holdout", 3)
    assert len(fold_indices(_config("kfold"), _dataset())) == 10  # the default
    folds = [(np.arange(25, 100), np.arange(25 * k, 25 * k + 25)) for k in range(4)]
    predefined = PredefinedSplits(selection=(np.arange(50), np.arange(50, 100)), folds=folds)
    (first,) = fold_indices(_config("uci121", 1), _dataset(predefined))
    assert list(first["test"]) == list(range(25))
    with pytest.raises(ConfigError, match="evaluation.folds: got 5; protocol 'uci121' "
                                          "expects 1 to 4"):
        _config("uci121", 5)
    with pytest.raises(ConfigError, match="evaluation.folds: got 1; protocol 'kfold' "
                                          "expects 2 or more"):
        _config("kfold", 1)


def test_no_test_row_of_a_uci121_fold_trains_or_validates_in_that_fold(shared_data):
    # Every complete set: what trains and validates in a fold (early stopping, and a
    # nested sweep's choice) is exactly the fold's training rows, 15% of them validating.
    root = shared_data / "uci121"
    complete = [d.name for d in list_datasets(root) if d.available]
    assert len(complete) == 116
    for name in complete:
        config = parse_config({"name": "t", "data": {"source": "uci121", "name": name,
                                                     "root": str(root),
                                                     "validation_fraction": 0.15},
                               "evaluation": {"protocol": "uci121"}})
        dataset = load_dataset(config.data, "softmax")
        folds = fold_indices(config, dataset)
        assert len(folds) == 4, name
        for fold, (training, test) in zip(folds, dataset.predefined.folds):
            seen = np.concatenate([fold["train"], fold["validation"]])
            assert np.array_equal(fold["test"], np.sort(test)), name
            assert np.array_equal(np.sort(seen), np.unique(training)), name
            assert not np.intersect1d(seen, test).size, name
            assert abs(len(fold["validation"]) - 0.15 * len(training)) <= 1, name


def test_the_leaky_selection_split_holds_about_half_of_every_folds_test_rows(shared_data):
    # Why `uci121_leaky_selection` is never a final estimate: measured over the complete
    # sets, the share of a fold's test rows in the selection split's validation half.
    root = shared_data / "uci121"
    shares = []
    for record in (d for d in list_datasets(root) if d.available):
        _, _, splits = load_uci121(record.name, root)
        _, validation = splits.selection
        shares += [np.isin(test, validation).mean() for _, test in splits.folds]
    assert 0.45 < np.median(shares) < 0.55

