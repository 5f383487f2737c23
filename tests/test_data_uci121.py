"""UCI-121 (Fernandez-Delgado format): metadata, files, the paper's fixed splits."""

import numpy as np
import pytest

from snn.data.uci121 import list_datasets, load_uci121
from snn.errors import DataError

INCOMPLETE = {"adult": "adult_train_R.dat", "connect-4": "connect-4_R.dat",
              "miniboone": "miniboone_R.dat", "musk-2": "musk-2_R.dat",
              "statlog-shuttle": "statlog-shuttle_train_R.dat"}


def test_every_complete_set_matches_its_metadata(shared_data):
    records = list_datasets(shared_data / "uci121")
    assert len(records) == 121
    incomplete = {r.name: r.missing for r in records if not r.available}
    assert incomplete == INCOMPLETE  # ../shared/data/README.md, "Known gaps"
    for record in records:
        if not record.available:
            continue
        x, y, splits = load_uci121(record.name, shared_data / "uci121")
        assert x.shape == (record.samples, record.features), record.name
        assert set(np.unique(y)) <= set(range(record.classes)), record.name
        assert len(splits.folds) == 4, record.name
        for train, test in splits.folds:
            assert not set(train) & set(test), record.name
        train, validation = splits.selection
        assert not set(train) & set(validation), record.name
    assert sum(r.available for r in records) == 116


def test_abalone_has_the_published_counts(shared_data):
    x, y, splits = load_uci121("abalone", shared_data / "uci121")
    assert x.shape == (4177, 8) and sorted(np.unique(y)) == [0, 1, 2]
    assert [len(part) for part in splits.selection] == [2089, 2088]
    assert [(len(train), len(test)) for train, test in splits.folds] == [(3133, 1044)] * 4
    # Each fold's training and test rows together are all rows. (The 4 test sets are drawn
    # independently in this format and overlap; they do not partition the data.)
    for train, test in splits.folds:
        assert len(set(train) | set(test)) == 4177


def test_an_incomplete_set_names_the_missing_file(shared_data):
    with pytest.raises(DataError, match=r"adult_train_R.dat: file not found; the set 'adult' "
                                        "is incomplete"):
        load_uci121("adult", shared_data / "uci121")


def _fake_set(root, name="toy", kfold_lines=8):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / f"{name}.txt").write_text(
        "n_entradas= 2\nn_clases= 2\nn_arquivos= 1\nfich1= toy_R.dat\nn_patrons1= 8\n")
    rows = "\n".join(f"{i}\t{i / 10}\t{-i / 10}\t{i % 2}" for i in range(1, 9))
    (folder / "toy_R.dat").write_text("\tf1\tf2\tclase\n" + rows + "\n")
    (folder / "conxuntos.dat").write_text("0 1 2 3\n4 5 6 7\n")
    folds = ["0 1 2 3 4 5", "6 7"] * 4
    (folder / "conxuntos_kfold.dat").write_text("\n".join(folds[:kfold_lines]) + "\n")
    return folder


def test_a_missing_fold_file_is_named(tmp_path):
    folder = _fake_set(tmp_path)
    (folder / "conxuntos_kfold.dat").unlink()
    with pytest.raises(DataError, match=r"toy/conxuntos_kfold.dat: file not found"):
        load_uci121("toy", tmp_path)


def test_a_short_fold_file_is_an_error(tmp_path):
    _fake_set(tmp_path, kfold_lines=6)
    with pytest.raises(DataError, match="conxuntos_kfold.dat: 6 lines of indices; expected 8"):
        load_uci121("toy", tmp_path)


def test_row_count_must_match_the_metadata(tmp_path):
    folder = _fake_set(tmp_path)
    (folder / "toy.txt").write_text((folder / "toy.txt").read_text().replace("= 8", "= 9"))
    with pytest.raises(DataError, match="8 rows; the metadata declares 9"):
        load_uci121("toy", tmp_path)


def test_unknown_set_lists_some_known_ones(tmp_path):
    _fake_set(tmp_path)
    with pytest.raises(DataError, match=r"data.name: no UCI set 'toi' in .* \(1 sets, e.g. toy\)"):
        load_uci121("toi", tmp_path)
