"""Predictions from a trained run on raw rows: the run's own preprocessing, class names,
regression values in the targets' units, folds averaged."""

import numpy as np
import pandas as pd
import pytest

from conftest import snn_messages
from snn.cli import main
from snn.config import parse_config
from snn.errors import DataError, RunDirError
from snn.inference import load_run
from snn.training import evaluate, train

TABLE = """size,color,weight,kind
1.0,blue,10,small
1.2,blue,11,small
0.9,red,NA,small
1.1,red,9,small
3.0,green,30,large
3.2,green,31,large
2.9,blue,29,large
3.1,NA,32,large
"""


def _table(tmp_path, repeats=8):
    """A CSV whose class follows from size and weight, with a text column and NA cells."""
    lines = TABLE.splitlines()
    (tmp_path / "table.csv").write_text("\n".join([lines[0]] + lines[1:] * repeats) + "\n")
    return tmp_path / "table.csv"


def _config(path, **sections):
    raw = {"name": "t", "seed": 0,
           "data": {"source": "csv", "path": str(path), "label": "kind", "missing": "impute"},
           "model": {"name": "snn_mlp", "depth": 2, "units": 16},
           "training": {"epochs": 30, "batch_size": 8, "learning_rate": 0.05,
                        "early_stopping": None}}
    for section, values in sections.items():
        raw[section] = {**raw.get(section, {}), **values}
    return parse_config(raw)


def test_a_table_run_predicts_class_names_on_raw_rows(tmp_path):
    path = _table(tmp_path)
    metrics = train(_config(path), tmp_path / "run", verbose=0)
    run = load_run(tmp_path / "run")
    assert run.feature_names == ["size", "color", "weight"] and run.classes == ["large",
                                                                                 "small"]
    assert repr(run) == (f"TrainedRun({str(tmp_path / 'run')!r}, task='multiclass', "
                         "classes=['large', 'small'], folds=1)")
    table = pd.read_csv(path)
    test_rows = np.load(tmp_path / "run" / "splits.npz")["test"]
    raw = table.drop(columns="kind").iloc[test_rows]
    predicted = run.predict(raw)
    # The run's own test accuracy, recomputed from raw rows through the saved preprocessing.
    accuracy = np.mean(predicted == table["kind"].to_numpy()[test_rows])
    assert accuracy == pytest.approx(metrics["test"]["accuracy"])
    probabilities = run.predict_proba(raw)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert list(np.asarray(run.classes)[probabilities.argmax(axis=1)]) == list(predicted)


def test_no_rows_to_predict_on_is_one_clear_error(tmp_path):
    path = _table(tmp_path)
    train(_config(path), tmp_path / "run", verbose=0)
    rows = pd.read_csv(path).drop(columns="kind")
    with pytest.raises(DataError, match="^x: no rows; expected at least one row"):
        load_run(tmp_path / "run").predict(rows.iloc[:0])


def test_columns_are_matched_by_name_and_a_missing_one_is_named(tmp_path):
    path = _table(tmp_path)
    train(_config(path), tmp_path / "run", verbose=0)
    run = load_run(tmp_path / "run")
    rows = pd.read_csv(path).head(4)
    shuffled = rows[["weight", "kind", "color", "size"]]  # other order, label present
    np.testing.assert_array_equal(run.predict(shuffled), run.predict(rows.drop(columns="kind")))
    with pytest.raises(DataError, match="new.csv: no column 'weight'; the model was trained "
                                        "on the columns size, color, weight"):
        run.predict(rows.drop(columns="weight"), source="new.csv")


def test_unseen_categories_are_ignored_or_rejected_as_configured(tmp_path, caplog):
    path = _table(tmp_path)
    rows = pd.DataFrame({"size": [1.0, 2.0], "color": ["blue", "purple"], "weight": [10.0, 9]})
    train(_config(path), tmp_path / "ignore", verbose=0)
    caplog.clear()
    assert load_run(tmp_path / "ignore").predict(rows).shape == (2,)
    assert snn_messages(caplog) == [
        "x: 1 row(s) with a category of column 'color' not seen in training (first: "
        "x.iloc[1], 'purple'); encoded as none of the known categories "
        "(data.unseen_categories: ignore)"]
    train(_config(path, data={"unseen_categories": "reject"}), tmp_path / "reject", verbose=0)
    with pytest.raises(DataError, match=r"^x.iloc\[1\], column 'color': category 'purple' "
                                        "was not seen in training"):
        load_run(tmp_path / "reject").predict(rows)


def test_regression_predictions_are_in_the_targets_units(tmp_path):
    path = tmp_path / "prices.csv"
    rng = np.random.default_rng(0)
    size = rng.uniform(1, 3, 200)
    pd.DataFrame({"size": size, "price": 1000 + 500 * size}).to_csv(path, index=False)
    config = _config(path, data={"label": "price", "missing": "reject"},
                     model={"output_activation": "linear"},
                     training={"epochs": 60, "batch_size": 16, "learning_rate": 0.01})
    metrics = train(config, tmp_path / "run", verbose=0)
    run = load_run(tmp_path / "run")
    test_rows = np.load(tmp_path / "run" / "splits.npz")["test"]
    predicted = run.predict(pd.DataFrame({"size": size[test_rows]}))
    truth = 1000 + 500 * size[test_rows]
    assert np.mean((predicted - truth) ** 2) == pytest.approx(metrics["test"]["mse"], rel=1e-4)
    # Prices span 1,500-2,500: trained on standardized targets the fit is close.
    assert metrics["test"]["r2"] > 0.9


def test_a_kfold_run_averages_its_folds_unless_one_is_chosen(tmp_path):
    path = _table(tmp_path)
    config = _config(path, evaluation={"protocol": "kfold", "folds": 2},
                     training={"epochs": 5})
    train(config, tmp_path / "run", verbose=0)
    rows = pd.read_csv(path).head(6)
    folds = [load_run(tmp_path / "run", fold=k).outputs(rows) for k in (1, 2)]
    np.testing.assert_allclose(load_run(tmp_path / "run").outputs(rows), np.mean(folds, 0),
                               rtol=1e-6)
    with pytest.raises(RunDirError, match="--fold: got 3; .* has 2 fold"):
        load_run(tmp_path / "run", fold=3)


def test_a_run_on_arrays_takes_rows_of_its_input_shape(tmp_path):
    config = parse_config({"name": "t", "seed": 0, "data": {"source": "sklearn", "name": "iris"},
                           "model": {"depth": 2, "units": 8},
                           "training": {"epochs": 2, "batch_size": 16}})
    train(config, tmp_path / "run", verbose=0)
    run = load_run(tmp_path / "run")
    assert run.feature_names is None and run.input_shape == (4,) and run.classes == [0, 1, 2]
    assert run.predict(np.zeros((3, 4))).shape == (3,)
    with pytest.raises(DataError, match=r"got rows of shape \(5,\); expected \(4,\)"):
        run.predict(np.zeros((3, 5)))


def test_snn_predict_writes_names_and_probabilities(tmp_path, capsys):
    path = _table(tmp_path)
    train(_config(path), tmp_path / "run", verbose=0)
    new = tmp_path / "new.csv"
    pd.read_csv(path).drop(columns="kind").head(5).to_csv(new, index=False)
    assert main(["predict", str(tmp_path / "run"), str(new), "-o",
                 str(tmp_path / "out.csv")]) == 0
    written = pd.read_csv(tmp_path / "out.csv")
    assert list(written.columns) == ["prediction", "probability_large", "probability_small"]
    expected = load_run(tmp_path / "run").predict(pd.read_csv(new))
    assert list(written["prediction"]) == list(expected)
    assert main(["predict", str(tmp_path / "run"), str(new), "-o",
                 str(tmp_path / "out.parquet")]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), written,
                                  check_dtype=False)


def test_evaluate_refuses_data_that_changed_since_training(tmp_path):
    path = _table(tmp_path)
    metrics = train(_config(path), tmp_path / "run", verbose=0)
    assert evaluate(tmp_path / "run") == metrics["test"]
    path.write_text(path.read_text().replace("1.2,blue", "1.3,blue", 1))
    with pytest.raises(DataError, match="differs from the data .* was trained on"):
        evaluate(tmp_path / "run")


@pytest.mark.parametrize("rows,expected", [
    ("size,color\n1.0,blue\n", "new.csv: no column 'weight'; the model was trained on the "
                               "columns size, color, weight"),
    ("size,color,weight\n1.0,purple,10\n", "new.csv: line 2, column 'color': category "
                                           "'purple' was not seen in training"),
    ("size,color,weight\n1.0,blue,10\n1.1,red,ten\n", "new.csv: line 3, column 'weight': got "
                                                      "'ten'; expected a number"),
    ("", "new.csv: the file is empty; expected a CSV table"),
    ("size,color,weight\n", "new.csv: has a header but no data rows"),
], ids=["missing_column", "unseen_category", "text_in_numeric_column", "empty_file",
        "header_only"])
def test_snn_predict_says_what_is_wrong_with_the_rows_in_one_line(tmp_path, capsys, rows,
                                                                  expected):
    train(_config(_table(tmp_path), data={"unseen_categories": "reject"}), tmp_path / "run",
          verbose=0)
    new = tmp_path / "new.csv"
    new.write_text(rows)
    capsys.readouterr()
    code = main(["predict", str(tmp_path / "run"), str(new), "-o", str(tmp_path / "out.csv")])
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1 and expected in error.replace(str(tmp_path)
                                                                              + "/", "")
    assert not (tmp_path / "out.csv").exists()

