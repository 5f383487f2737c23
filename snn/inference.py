"""Use a trained run: predictions on new rows, with the run's own preprocessing.

`load_run` opens a completed run directory; the `TrainedRun` it returns applies each
fold's saved preprocessing (table encoding, standardization) to raw rows, runs the fold's
model, and gives class names and probabilities, or regression values in the targets'
units. For a k-fold run the folds' outputs are averaged.

Example:
>>> run = load_run("runs/penguins")
>>> run.predict(pandas.read_csv("new_penguins.csv"))
array(['Adelie', 'Gentoo', ...], dtype=object)
"""

import dataclasses
from pathlib import Path

import keras
import numpy as np
import pandas as pd

import snn.runs as runs
from snn.data import Preprocessing
from snn.data.encoding import Origin
from snn.data.tables import read_table
from snn.errors import DataError, RunDirError
from snn.metrics import task_of
from snn.models.reference import predict_outputs
from snn.util.files import read_json


@dataclasses.dataclass
class FoldModel:
    """One fold's trained model and the preprocessing fitted on its training rows.

    Attributes:
        model: keras.Model, or a fitted scikit-learn estimator (a reference method).
        preprocessing: `snn.data.Preprocessing`.
    """

    model: object
    preprocessing: Preprocessing


class TrainedRun:
    """A completed run, ready to predict.

    Attributes:
        run_dir: Path of the run directory.
        config: the run's `snn.config.ExperimentConfig`.
        metrics: dict, the run's `metrics.json`.
        task: "multiclass", "binary", "multilabel" or "regression".
        feature_names: list of the input columns a table run takes (matched by name), or
            None for a run on arrays (features by position).
        input_shape: tuple, one example's raw shape for a run on arrays, else None.
        classes: list of class names in output order, or None (regression, multi-label).
        folds: list of `FoldModel`, one per fold whose outputs are averaged.
    """

    def __init__(self, run_dir, fold=None):
        self.run_dir = Path(run_dir)
        runs.check_complete(self.run_dir)
        self.config = runs.run_config(self.run_dir)
        self.metrics = read_json(self.run_dir / runs.METRICS)
        if not (self.run_dir / runs.DATA).is_file():
            raise RunDirError(f"{self.run_dir}: no {runs.DATA}; the run was trained by an "
                              "older snn and cannot predict: train it again")
        record = read_json(self.run_dir / runs.DATA)
        self.feature_names = record["features"]
        self.input_shape = None if record["input_shape"] is None else \
            tuple(record["input_shape"])
        self.classes = record["classes"]
        self.folds = [FoldModel(runs.load_model(runs.model_path(path)), Preprocessing.load(path))
                       for path in self._fold_dirs(fold)]
        activation = self.config.model.arguments["output_activation"]
        width = len(self.classes) if activation == "softmax" else None
        self.task = task_of(activation, width or self._output_width())

    def __repr__(self):
        described = f", classes={self.classes!r}" if self.classes is not None else ""
        return (f"TrainedRun({str(self.run_dir)!r}, task={self.task!r}{described}, "
                f"folds={len(self.folds)})")

    def _fold_dirs(self, fold):
        folds = sorted(self.run_dir.glob("fold_*"), key=lambda p: int(p.name.split("_")[1]))
        if fold is None:
            return folds or [self.run_dir]
        if not folds and fold == 1:
            return [self.run_dir]
        if not 1 <= fold <= max(len(folds), 1):
            raise RunDirError(f"--fold: got {fold}; {self.run_dir} has "
                              f"{max(len(folds), 1)} fold(s), numbered from 1")
        return [folds[fold - 1]]

    def _output_width(self):
        model = self.folds[0].model
        return model.outputs[0].shape[-1] if isinstance(model, keras.Model) else 1

    def outputs(self, x, source="x"):
        """The model's outputs on raw rows, mean over the folds.

        Args:
            x: raw feature rows: a pandas DataFrame (a table run: columns matched by name,
                other columns ignored) or an array (n, ...) of the run's input shape.
            source: where the rows come from, for messages: a name (rows named by
                position, `x.iloc[i]`) or a `snn.data.encoding.Origin` (a file's lines).

        Returns:
            float array (n, outputs): class probabilities (softmax), positive-class or
            per-task probabilities (sigmoid), or values in the targets' units (linear).

        Raises:
            DataError: the rows do not fit what the run was trained on.
        """
        source = source if isinstance(source, Origin) else Origin(source)
        x = self._inputs(x, source)
        if len(x) == 0:
            raise DataError(f"{source}: no rows; expected at least one row to predict on")
        outputs = [self._fold_outputs(fold, x, source) for fold in self.folds]
        return np.mean(outputs, axis=0)

    def predict(self, x, source="x"):
        """Predictions on raw rows.

        Args:
            x: as for `outputs`.
            source: where the rows come from, for messages: a name (rows named by
                position, `x.iloc[i]`) or a `snn.data.encoding.Origin` (a file's lines).

        Returns:
            array (n,): class names (classification); (n, tasks) of 0/1 (multi-label);
            (n,) or (n, targets) values in the targets' units (regression).
        """
        if self.task in ("multiclass", "binary"):
            index = np.argmax(self.predict_proba(x, source), axis=1)
            return np.asarray(self.classes, dtype=object)[index]
        outputs = self.outputs(x, source)
        if self.task == "multilabel":
            return (outputs >= 0.5).astype(int)
        return outputs[:, 0] if outputs.shape[1] == 1 else outputs

    def predict_proba(self, x, source="x"):
        """Class probabilities on raw rows, one column per class in `classes` order.

        Returns:
            float array (n, classes); for a binary run the columns are
            [1 - p, p], p the probability of `classes[1]`.

        Raises:
            ValueError: the run is a regression or multi-label run.
        """
        if self.task not in ("multiclass", "binary"):
            raise ValueError(f"predict_proba: a {self.task} run has no class probabilities")
        outputs = self.outputs(x, source)
        return outputs if self.task == "multiclass" else \
            np.concatenate([1 - outputs, outputs], axis=1)

    def _inputs(self, x, source):
        if self.feature_names is not None:
            if not isinstance(x, pd.DataFrame):
                x = pd.DataFrame(np.asarray(x, dtype=object), columns=self.feature_names) \
                    if np.ndim(x) == 2 and np.shape(x)[1] == len(self.feature_names) else x
            if not isinstance(x, pd.DataFrame):
                raise DataError(f"{source}: got an array of shape {np.shape(x)}; expected a "
                                f"table with the columns {', '.join(self.feature_names)}")
            return x
        if isinstance(x, pd.DataFrame):
            x = x.to_numpy()
        try:
            x = np.asarray(x, dtype=np.float32)
        except ValueError:
            raise DataError(f"{source}: expected numbers only; this run was trained on "
                            "arrays") from None
        per_example = int(np.prod(self.input_shape))
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != per_example:
            raise DataError(f"{source}: got rows of shape {x.shape[1:]}; expected "
                            f"{self.input_shape} ({per_example} values per row)")
        return x.reshape(len(x), *self.input_shape)

    def _fold_outputs(self, fold, x, source):
        inputs = fold.preprocessing.apply(x, source)
        if isinstance(fold.model, keras.Model):
            outputs = fold.model.predict(inputs, batch_size=self.config.training.batch_size,
                                         verbose=0)
        else:
            width = len(self.classes) if self.task == "multiclass" else 1
            outputs = predict_outputs(fold.model, inputs, self.task, width)
        return fold.preprocessing.restore_targets(np.asarray(outputs, dtype=np.float64))


def load_run(run_dir, fold=None):
    """Open a completed run for predictions.

    Args:
        run_dir: str or Path of a run directory that `snn train` completed.
        fold: int from 1, one fold's model of a k-fold run; None averages every fold.

    Returns:
        `TrainedRun`.

    Raises:
        RunDirError: `run_dir` holds no completed run, or has no such fold.
        DataError: a saved model or preprocessing file cannot be loaded safely.
    """
    return TrainedRun(run_dir, fold)


def read_rows(path, run):
    """Rows to predict on from a CSV, Parquet or NPZ file, as `run` takes them.

    Args:
        path: Path of the file; an `.npz` file's feature array is the one named by the
            run's `data.x_key` (default "x"). A CSV or Parquet file's label column, if
            present, is left out.
        run: `TrainedRun`.

    Returns:
        (pandas DataFrame (a table run) or float32 array; the `Origin` naming the rows in
        messages).

    Raises:
        DataError: the file is missing or unreadable.
    """
    path = Path(path)
    if path.suffix == ".npz":
        key = run.config.data.options.get("x_key", "x")
        try:
            with np.load(path, allow_pickle=False) as arrays:
                if key not in arrays:
                    raise DataError(f"{path}: no array named {key!r}; arrays in the file: "
                                    f"{', '.join(arrays.files)}")
                return arrays[key], Origin(str(path))
        except (OSError, ValueError) as error:
            raise DataError(f"{path}: not a readable .npz file ({error})") from None
    table, origin = read_table(path)
    if run.feature_names is not None:
        return table, origin  # columns matched by name: the label column, if any, is unused
    label = run.config.data.options.get("label")
    if isinstance(label, int):
        label = table.columns[label] if -table.shape[1] <= label < table.shape[1] else None
    if label in table.columns and table.shape[1] == int(np.prod(run.input_shape)) + 1:
        table = table.drop(columns=label)
    return table.to_numpy(), origin


def predictions_table(run, x, source="x"):
    """Predictions as a table, one row per input row.

    Args:
        run: `TrainedRun`.
        x: raw rows, as `TrainedRun.outputs` takes them.
        source: where the rows come from, for messages.

    Returns:
        pandas DataFrame: "prediction" (a class name, or a value in the targets' units)
        and, for classification, "probability_<class>" per class; a multi-label or
        multi-target run has "prediction_<i>" (and "probability_<i>") per output.
    """
    if run.task in ("multiclass", "binary"):
        probabilities = run.predict_proba(x, source)
        names = np.asarray(run.classes, dtype=object)
        return pd.DataFrame({"prediction": names[np.argmax(probabilities, axis=1)],
                             **{f"probability_{name}": probabilities[:, i]
                                for i, name in enumerate(run.classes)}})
    outputs = run.outputs(x, source)
    if run.task == "regression" and outputs.shape[1] == 1:
        return pd.DataFrame({"prediction": outputs[:, 0]})
    columns = {f"prediction_{i}": (outputs[:, i] if run.task == "regression" else
                                   (outputs[:, i] >= 0.5).astype(int))
               for i in range(outputs.shape[1])}
    if run.task == "multilabel":
        columns.update({f"probability_{i}": outputs[:, i] for i in range(outputs.shape[1])})
    return pd.DataFrame(columns)
