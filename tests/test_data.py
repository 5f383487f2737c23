"""Data: sources (sklearn, NPZ, HTRU2), target encoding, splits and standardization."""


import numpy as np
import pytest

from snn.config import DataConfig
from snn.data import Preprocessing, Standardization, load_dataset, resolve_data_path
from snn.data import split_indices
from snn.data.splits import scaffold_split
from snn.errors import ConfigError, DataError


def _data(source, **options):
    return DataConfig(source=source, options=options)


@pytest.mark.parametrize("name, rows, features, classes", [
    ("digits", 1797, 64, 10), ("breast_cancer", 569, 30, 2), ("wine", 178, 13, 3),
    ("iris", 150, 4, 3),
])
def test_sklearn_sources_are_the_real_data_sets(name, rows, features, classes):
    dataset = load_dataset(_data("sklearn", name=name), "softmax")
    assert dataset.x.shape == (rows, features) and dataset.x.dtype == np.float32
    assert dataset.num_outputs == classes
    assert sorted(np.unique(dataset.y)) == list(range(classes))


def test_sigmoid_targets_are_a_0_1_column_and_need_two_classes():
    dataset = load_dataset(_data("sklearn", name="breast_cancer"), "sigmoid")
    assert dataset.y.shape == (569, 1) and dataset.num_outputs == 1
    assert dataset.y.sum() == 357  # benign cases, encoded as class 1
    with pytest.raises(ConfigError, match=r"model.output_activation: got 'sigmoid', but the "
                                          r"targets have 3 classes \(0, 1, 2\); expected 2"):
        load_dataset(_data("sklearn", name="iris"), "sigmoid")


def test_linear_targets_are_float_columns():
    dataset = load_dataset(_data("sklearn", name="iris"), "linear")
    assert dataset.y.dtype == np.float32 and dataset.num_outputs == 1 and dataset.classes is None


def test_reshape_turns_rows_into_images_and_checks_the_size():
    data = DataConfig(options={"name": "digits"}, reshape=[8, 8, 1])
    assert load_dataset(data, "softmax").x.shape == (1797, 8, 8, 1)
    with pytest.raises(ConfigError, match=r"data.reshape: got \[8, 8, 2\] \(128 values\); "
                                          "expected a shape of 64 values"):
        load_dataset(DataConfig(options={"name": "digits"}, reshape=[8, 8, 2]), "softmax")


def test_splits_are_disjoint_complete_stratified_and_fixed_by_seed():
    y = np.repeat([0, 1, 2], [500, 300, 200])
    splits = split_indices(len(y), 0.15, 0.2, seed=3, stratify=y)
    together = np.concatenate(list(splits.values()))
    assert sorted(together) == list(range(1000))
    assert [len(splits[s]) for s in ("train", "validation", "test")] == [650, 150, 200]
    for rows in splits.values():  # class proportions 0.5 / 0.3 / 0.2 kept in every split
        np.testing.assert_allclose(np.bincount(y[rows]) / len(rows), [0.5, 0.3, 0.2], atol=0.01)
    again = split_indices(len(y), 0.15, 0.2, seed=3, stratify=y)
    assert all(np.array_equal(splits[s], again[s]) for s in splits)
    other = split_indices(len(y), 0.15, 0.2, seed=4, stratify=y)
    assert not np.array_equal(splits["test"], other["test"])


def test_stratifying_a_class_too_small_to_split_is_a_data_error():
    with pytest.raises(DataError, match="data: class index 1 has 1 of 10 examples; expected "
                                        "at least 2 of each class"):
        split_indices(10, 0.15, 0.2, seed=0, stratify=np.array([0] * 9 + [1]))


def test_standardization_uses_training_statistics_only(tmp_path):
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, (2000, 4)).astype(np.float32)
    test = rng.normal(-5.0, 3.0, (10, 4)).astype(np.float32)
    stats = Standardization.fit(train)
    standardized = stats.apply(train)
    np.testing.assert_allclose(standardized.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(standardized.std(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(stats.apply(test), (test - train.mean(0)) / train.std(0),
                               rtol=1e-4)
    stats.save(tmp_path / "s.npz")
    np.testing.assert_array_equal(Standardization.load(tmp_path / "s.npz").apply(test),
                                  stats.apply(test))


def test_global_standardization_uses_one_mean_and_scale():
    x = np.array([[0.0, 2.0], [4.0, 6.0]], dtype=np.float32)  # mean 3, std sqrt(5)
    stats = Standardization.fit(x, "global")
    np.testing.assert_allclose(stats.apply(x), (x - 3.0) / np.sqrt(5.0), rtol=1e-6)


def test_missing_values_are_rejected_or_imputed_with_the_training_mean(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("a,b,y\n1,10,0\n3,,1\nnan,30,0\n5,40,1\n")
    with pytest.raises(DataError, match=r"data.missing: 2 feature values of .*m.csv are missing "
                                        r"\(first: row 2, column 'b'\)"):
        load_dataset(_data("csv", path=str(path), label="y"), "softmax")
    data = DataConfig(source="csv", options={"path": str(path), "label": "y"},
                      missing="impute")
    dataset = load_dataset(data, "softmax")
    preprocessing = Preprocessing.fit(dataset.x, dataset.y, regression=False)
    # NaN left out of the statistics: the mean of b is (10 + 30 + 40) / 3.
    np.testing.assert_allclose(preprocessing.inputs.mean, [3.0, 80 / 3], rtol=1e-6)
    standardized = preprocessing.apply(dataset.x)
    assert standardized[1, 1] == 0.0 and standardized[2, 0] == 0.0  # the training mean
    with pytest.raises(ConfigError, match="data.missing: 'impute' fills in the training mean"):
        DataConfig(missing="impute", standardize="none")


def test_missing_file_names_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match=f"data.path: not found: {tmp_path}/nope.csv"):
        load_dataset(_data("csv", path="nope.csv"), "softmax")


def test_relative_paths_resolve_against_data_dir_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_path("x.csv") == tmp_path / "env" / "x.csv"
    assert resolve_data_path("x.csv", tmp_path / "cfg") == tmp_path / "cfg" / "x.csv"
    assert resolve_data_path(tmp_path / "abs.csv") == tmp_path / "abs.csv"


def test_npz_source_reads_arrays_without_pickle(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.ones((6, 2, 2)), y=np.array([0, 1] * 3))
    dataset = load_dataset(_data("npz", path=str(tmp_path / "d.npz")), "softmax")
    assert dataset.x.shape == (6, 2, 2) and dataset.num_outputs == 2
    with pytest.raises(DataError, match="no array named 'labels'; arrays in the file: x, y"):
        load_dataset(_data("npz", path=str(tmp_path / "d.npz"), y_key="labels"), "softmax")


def test_real_htru2_csv(shared_data):
    # ../shared/data/README.md: 17,898 candidates, 1,639 pulsars, 8 features, header line.
    dataset = load_dataset(_data("csv", path=str(shared_data / "htru2" / "HTRU_2.csv"),
                                 label="C"), "sigmoid")
    assert dataset.x.shape == (17898, 8)
    assert dataset.y.sum() == 1639


def test_real_mnist_subset_gzipped_csv_without_header(shared_data):
    # README: 5,000 images, 784 pixel columns then the label, no header; 500 per digit.
    dataset = load_dataset(_data("csv", path=str(shared_data / "mnist" / "mnist_5k.csv.gz")),
                           "softmax")
    assert dataset.x.shape == (5000, 784)
    assert dataset.classes == list(range(10))
    assert np.bincount(dataset.y).tolist() == [500] * 10
    pixels = dataset.x.to_numpy()
    assert pixels.min() == 0 and pixels.max() == 255


def test_htru2_with_or_without_its_header_line(tmp_path):
    from snn.data.htru2 import load_htru2

    row = "140.5,55.6,-0.23,-0.69,3.19,19.1,7.97,74.2,0\n"
    (tmp_path / "with.csv").write_text("M1,ST1,EX1,SK1,M2,ST2,EX2,SK2,C\n" + row * 3)
    (tmp_path / "without.csv").write_text(row * 3)
    for name in ("with.csv", "without.csv"):
        x, y = load_htru2(tmp_path / name)
        assert x.shape == (3, 8) and list(y) == [0, 0, 0]
    (tmp_path / "short.csv").write_text("1,2,3,0\n")
    with pytest.raises(DataError, match="short.csv: 4 columns; HTRU2 has 9"):
        load_htru2(tmp_path / "short.csv")


def test_scaffold_split_places_whole_groups_largest_first():
    # 10 rows, shares 0.6 / 0.2 / 0.2, so training takes at most 6 rows and training plus
    # validation at most 8. a (5 rows) trains; b (3) would make training 8, so it
    # validates (5 + 3 <= 8); of the single rows, d (row 9, the later one) comes first
    # and fills training to 6; c no longer fits training or validation: test.
    scaffolds = np.array(["a"] * 5 + ["b"] * 3 + ["c", "d"])
    splits = scaffold_split(scaffolds, 0.2, 0.2)
    assert {name: rows.tolist() for name, rows in splits.items()} == {
        "train": [0, 1, 2, 3, 4, 9], "validation": [5, 6, 7], "test": [8]}


def test_scaffold_split_with_too_few_scaffolds_names_the_empty_split():
    with pytest.raises(DataError, match="the 2 scaffolds of 10 rows leave the validation "
                                        "split empty"):
        scaffold_split(np.array(["a"] * 6 + ["b"] * 4), 0.2, 0.2)
