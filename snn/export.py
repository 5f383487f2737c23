"""Export a trained run as one model that takes raw feature rows.

The exported model is the run's network with its preprocessing around it: a `Standardize`
layer in front (the training split's mean and scale, missing values imputed) and, for
regression, one behind that restores the targets' units; a k-fold run's folds are
averaged inside the model, as `snn predict` averages them. Keras' own exporters write the
formats (`model.save` for `.keras`, `model.export` for SavedModel, ONNX and LiteRT).

One step cannot go inside: one-hot encoding text columns needs string operations that
ONNX and LiteRT lack and JAX and PyTorch cannot run. For a table with categorical columns
the model takes the encoded columns, the export says so, and the run's fitted encoder is
written beside it (`<path>.encoder.skops`, loadable with `snn.data.TableEncoder.load`).
Beside every export, `<path>.json` says what the model takes and gives.
"""

import dataclasses
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np

from snn.errors import ConfigError, RunDirError
from snn.inference import load_run
from snn.layers import Standardize
from snn.util.files import write_atomic, write_json
from snn.version import __version__

# Format name: (file suffix the exporter requires, `keras.Model.export` format or None for
# `model.save`).
FORMATS = {"keras": (".keras", None), "saved_model": ("", "tf_saved_model"),
           "onnx": (".onnx", "onnx"), "tflite": (".tflite", "litert")}
# How each format is loaded, for the description beside an export.
LOADING = {
    "keras": "import snn.layers (registers SELU, alpha dropout, Standardize), then "
             "keras.saving.load_model(path)",
    "saved_model": "tensorflow.saved_model.load(path).serve(x)",
    "onnx": "onnxruntime.InferenceSession(path).run(None, {input name: x})",
    "tflite": "ai_edge_litert.interpreter.Interpreter(model_path=path)",
}


@dataclasses.dataclass
class Export:
    """What `export_run` wrote.

    Attributes:
        path: Path of the model (a file, or a directory for a SavedModel).
        description: Path of the JSON description beside it.
        encoder: Path of the table encoder written beside it, or None when the model takes
            raw rows.
        inputs: list of the input column names, in order, or None for a run on arrays.
    """

    path: Path
    description: Path
    encoder: Path | None
    inputs: list | None


def serving_model(run):
    """A Keras model from raw (or, with categorical columns, encoded) rows to outputs.

    Args:
        run: `snn.inference.TrainedRun` of a Keras model.

    Returns:
        keras.Model: float32 inputs (batch, features) for a table or (batch, *input_shape)
        for arrays; outputs (batch, outputs): class probabilities, positive-class
        probability, or values in the targets' units, the mean over the run's folds.

    Raises:
        RunDirError: the run's model is a scikit-learn reference method, or its folds'
            encoders differ (then each fold exports on its own).
    """
    if not all(isinstance(fold.model, keras.Model) for fold in run.folds):
        raise RunDirError(f"{run.run_dir}: a {run.config.model.name} run is a scikit-learn "
                          "model, not a network; `snn predict` uses it, export cannot")
    shape = _input_shape(run)
    inputs = keras.Input(shape=shape, dtype="float32", name="features")
    outputs = []
    for index, fold in enumerate(run.folds):
        x = inputs
        if fold.preprocessing.inputs is not None:
            x = _standardize(fold.preprocessing.inputs, shape, f"standardize_{index}")(x)
        network = keras.Model(fold.model.input, fold.model.output, name=f"fold_{index + 1}")
        x = network(x, training=False)
        if fold.preprocessing.targets is not None:
            x = _standardize(fold.preprocessing.targets, (x.shape[-1],),
                             f"restore_targets_{index}", invert=True)(x)
        outputs.append(x)
    output = outputs[0] if len(outputs) == 1 else keras.layers.Average(name="folds")(outputs)
    model = keras.Model(inputs, output, name=f"{run.config.name}_serving")
    model(np.zeros((1, *shape), dtype=np.float32))  # the ONNX exporter needs a called model
    return model


def _input_shape(run):
    encoders = [fold.preprocessing.encoder for fold in run.folds]
    if encoders[0] is None:
        return run.input_shape
    names = {tuple(encoder.encoded_names) for encoder in encoders}
    if len(names) > 1:
        raise RunDirError(f"{run.run_dir}: the folds' encoders found different categories; "
                          "export one fold at a time with --fold N")
    return (len(names.pop()),)


def _standardize(standardization, shape, name, invert=False):
    """`Standardize` with statistics shaped to broadcast over one example of `shape`."""
    mean, scale = standardization.mean, standardization.scale
    if mean.size == int(np.prod(shape)):
        mean, scale = mean.reshape(shape), scale.reshape(shape)
    return Standardize(mean, scale, invert=invert, name=name)


def export_run(run_dir, format, path, fold=None):
    """Export a completed run's model, with its preprocessing, in one of `FORMATS`.

    The model and the files beside it are each written completely or not at all.

    Args:
        run_dir: str or Path of a run directory that `snn train` completed.
        format: "keras", "saved_model", "onnx" (needs `pip install -e '.[export]'`) or
            "tflite" (LiteRT).
        path: str or Path to write: a `.keras`, `.onnx` or `.tflite` file, or a directory
            for "saved_model".
        fold: int from 1, one fold's model of a k-fold run; None averages every fold.

    Returns:
        `Export`.

    Raises:
        ConfigError: an unknown format, or a path without the format's suffix.
        RunDirError: the run is not complete or not a network (see `serving_model`).
    """
    if format not in FORMATS:
        raise ConfigError(f"--format: got {format!r}; expected one of {', '.join(FORMATS)}")
    suffix, keras_format = FORMATS[format]
    path = Path(path)
    if path.suffix != suffix:
        expected = f"a name ending in {suffix}" if suffix else "a directory name without a suffix"
        raise ConfigError(f"-o: got {str(path)!r}; a {format} export needs {expected}")
    run = load_run(run_dir, fold)
    model = serving_model(run)
    _write(path, lambda target: model.save(target) if keras_format is None else
           _keras_export(model, target, keras_format))
    encoders = [f.preprocessing.encoder for f in run.folds]
    categorical = encoders[0] is not None and encoders[0].categorical
    encoder = Path(f"{path}.encoder.skops") if categorical else None
    if encoder:
        write_atomic(encoder, encoders[0].save)
    inputs = encoders[0].encoded_names if encoders[0] is not None else None
    description = Path(f"{path}.json")
    write_json(description, _description(run, format, inputs, encoder))
    return Export(path, description, encoder, inputs)


def _write(path, write):
    """Run `write(temporary)` and move the result to `path` (a file or a directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=".export-"))
    try:
        target = staging / path.name
        write(target)
        if path.is_dir():
            shutil.rmtree(path)
        os.replace(target, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _description(run, format, inputs, encoder):
    if run.task in ("multiclass", "binary"):
        outputs = run.classes if run.task == "multiclass" else [f"probability of {run.classes[1]}"]
    else:
        outputs = None  # one value per task or target, by position
    steps = "standardization and missing-value imputation inside the model"
    if run.task == "regression":
        steps += ", outputs in the targets' units"
    if encoder:
        steps += (f"; categorical columns NOT inside: encode raw rows with {encoder.name} "
                  "(snn.data.TableEncoder.load(path).apply(table)) first")
    return {"format": format, "load": LOADING[format], "run": str(run.run_dir),
            "folds": len(run.folds),
            "task": run.task, "inputs": inputs,
            "input_shape": None if inputs else list(run.input_shape),
            "raw_columns": run.feature_names, "outputs": outputs,
            "preprocessing": steps, "snn_version": __version__}


def _keras_export(model, target, keras_format):
    with warnings.catch_warnings():
        # Keras' ONNX exporter probes `np.object`, which NumPy 2 answers with a
        # FutureWarning that says nothing about the user's export.
        warnings.filterwarnings("ignore", message=".*np.object", category=FutureWarning)
        model.export(str(target), format=keras_format, verbose=False)
