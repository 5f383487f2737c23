"""Exported models take raw rows and give what `snn predict` gives, in every format, loaded
back with the runtime each format is for: Keras, TensorFlow, onnxruntime and LiteRT."""

import json

import keras
import numpy as np
import onnxruntime
import pandas as pd
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from test_inference import _config, _table

from snn.cli import main
from snn.config import parse_config
from snn.data import TableEncoder
from snn.export import export_run
from snn.inference import load_run
from snn.training import train

# Float32 through a few dozen operations: outputs agree to a few float32 ulps of their
# scale (LiteRT's XNNPACK kernels sum in another order; measured at most 3e-7 relative).
RELATIVE = 1e-5


def _prices(tmp_path, rows=200):
    """A numeric regression table in the thousands, with missing cells."""
    rng = np.random.default_rng(0)
    carat = rng.normal(5.0, 2.0, rows)
    depth = rng.normal(100.0, 30.0, rows)
    depth[::17] = np.nan
    price = 1000 + 50 * carat + np.nan_to_num(depth, nan=100.0)
    pd.DataFrame({"carat": carat, "depth": depth, "price": price}).to_csv(
        tmp_path / "prices.csv", index=False)
    return tmp_path / "prices.csv"


def _run_export(path, x):
    """Outputs of an exported model on float32 rows, through its own runtime."""
    if path.suffix == ".keras":
        return keras.saving.load_model(path).predict(x, verbose=0)
    if path.suffix == ".onnx":
        session = onnxruntime.InferenceSession(str(path))
        return session.run(None, {session.get_inputs()[0].name: x})[0]
    if path.suffix == ".tflite":
        interpreter = Interpreter(model_path=str(path))
        given = interpreter.get_input_details()[0]
        interpreter.resize_tensor_input(given["index"], x.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(given["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    loaded = tf.saved_model.load(str(path))  # kept: its function refers to its variables
    return loaded.serve(x).numpy()


@pytest.mark.parametrize("format,name", [("keras", "model.keras"), ("saved_model", "model"),
                                         ("onnx", "model.onnx"), ("tflite", "model.tflite")])
def test_every_format_predicts_regression_values_in_units_from_raw_rows(tmp_path, format,
                                                                        name):
    path = _prices(tmp_path)
    train(_config(path, data={"label": "price"}, model={"output_activation": "linear"},
                  training={"loss": "mse"}), tmp_path / "run", verbose=0)
    written = export_run(tmp_path / "run", format, tmp_path / name)
    assert written.encoder is None and written.inputs == ["carat", "depth"]
    raw = pd.read_csv(path)
    expected = load_run(tmp_path / "run").outputs(raw)
    x = raw[written.inputs].to_numpy(dtype=np.float32)  # NaN cells included
    got = _run_export(written.path, x)
    assert got.shape == expected.shape == (len(raw), 1)
    assert np.abs(expected).max() > 900  # prices, not standardized values
    np.testing.assert_allclose(got, expected, rtol=0, atol=RELATIVE * np.abs(expected).max())
    description = json.loads(written.description.read_text())
    assert description["task"] == "regression" and description["inputs"] == written.inputs


def test_a_table_with_text_columns_exports_its_encoder_beside_the_model(tmp_path):
    path = _table(tmp_path)
    train(_config(path), tmp_path / "run", verbose=0)
    written = export_run(tmp_path / "run", "keras", tmp_path / "model.keras")
    assert written.encoder == tmp_path / "model.keras.encoder.skops"
    assert written.inputs[:2] == ["size", "weight"] and "color_blue" in written.inputs
    raw = pd.read_csv(path).drop(columns="kind")
    encoded = TableEncoder.load(written.encoder).apply(raw)
    expected = load_run(tmp_path / "run").predict_proba(raw)
    np.testing.assert_allclose(_run_export(written.path, encoded), expected, atol=RELATIVE)
    description = json.loads(written.description.read_text())
    assert description["outputs"] == ["large", "small"]
    assert "NOT inside" in description["preprocessing"]


def test_a_kfold_export_averages_its_folds_inside_the_model(tmp_path):
    path = _prices(tmp_path)
    train(_config(path, data={"label": "price"}, model={"output_activation": "linear"},
                  training={"loss": "mse", "epochs": 5},
                  evaluation={"protocol": "kfold", "folds": 3}), tmp_path / "run", verbose=0)
    raw = pd.read_csv(path)
    x = raw[["carat", "depth"]].to_numpy(dtype=np.float32)
    folds = [load_run(tmp_path / "run", fold).outputs(raw) for fold in (1, 2, 3)]
    assert np.ptp([f.mean() for f in folds]) > 0  # the folds' models differ
    written = export_run(tmp_path / "run", "keras", tmp_path / "model.keras")
    np.testing.assert_allclose(_run_export(written.path, x), np.mean(folds, axis=0), rtol=0,
                               atol=RELATIVE * np.abs(folds).max())
    one = export_run(tmp_path / "run", "keras", tmp_path / "fold2.keras", fold=2)
    np.testing.assert_allclose(_run_export(one.path, x), folds[1], rtol=0,
                               atol=RELATIVE * np.abs(folds).max())


def test_snn_export_writes_the_model_and_says_what_it_takes(tmp_path, capsys):
    path = _prices(tmp_path)
    train(_config(path, data={"label": "price"}, model={"output_activation": "linear"},
                  training={"loss": "mse", "epochs": 2}), tmp_path / "run", verbose=0)
    code = main(["export", str(tmp_path / "run"), "--format", "keras", "-o",
                 str(tmp_path / "out.keras")])
    assert code == 0 and (tmp_path / "out.keras").is_file()
    assert "it takes the columns carat, depth (float32)" in capsys.readouterr().out


def test_an_export_path_without_the_formats_suffix_is_refused_before_writing(tmp_path,
                                                                           capsys):
    path = _prices(tmp_path)
    train(_config(path, data={"label": "price"}, model={"output_activation": "linear"},
                  training={"loss": "mse", "epochs": 2}), tmp_path / "run", verbose=0)
    code = main(["export", str(tmp_path / "run"), "--format", "onnx", "-o",
                 str(tmp_path / "out.keras")])
    assert code == 2
    assert capsys.readouterr().err.strip().endswith(
        "-o: got '" + str(tmp_path / "out.keras") + "'; a onnx export needs a name ending "
        "in .onnx")
    assert not list(tmp_path.glob("out*"))


def test_a_scikit_learn_run_is_not_exported(tmp_path):
    path = _prices(tmp_path)
    config = parse_config({
        "name": "t", "seed": 0, "data": {"source": "csv", "path": str(path), "label": "price",
                 "missing": "impute"},
        "model": {"name": "gradient_boosting", "output_activation": "linear",
                  "max_iter": 5}})
    train(config, tmp_path / "run", verbose=0)
    code = main(["export", str(tmp_path / "run"), "--format", "keras", "-o",
                 str(tmp_path / "out.keras")])
    assert code == 2 and not (tmp_path / "out.keras").exists()
