"""What turns raw rows into a model's inputs and its outputs back into the data's units.

`Preprocessing` is fitted on a fold's training rows only and saved in the fold's
directory, so that training, `snn evaluate`, `snn predict` and exports apply the very same
steps: a table's columns encoded (`TableEncoder`), inputs standardized (`Standardization`,
the training mean filling missing values), and regression targets standardized for
training and restored for predictions.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from snn.data.encoding import ROWS_OF_X, TableEncoder
from snn.data.splits import Standardization
from snn.util.files import write_atomic

ENCODER = "encoder.skops"
STANDARDIZATION = "standardization.npz"
TARGET_STANDARDIZATION = "target_standardization.npz"


@dataclasses.dataclass
class Preprocessing:
    """A fold's fitted preprocessing.

    Attributes:
        encoder: `TableEncoder` for table data (a pandas DataFrame), else None.
        inputs: `Standardization` of the (encoded) inputs, or None (`standardize: none`).
        targets: `Standardization` of regression targets, or None (classification).
    """

    encoder: TableEncoder | None = None
    inputs: Standardization | None = None
    targets: Standardization | None = None

    @classmethod
    def fit(cls, x_train, y_train, regression, standardize="per_feature",
            unseen_categories="ignore"):
        """Fit on a fold's training rows.

        Args:
            x_train: float array (n, ...) or pandas DataFrame (n, columns): raw features.
            y_train: targets (n, k) as the model head takes them.
            regression: bool, whether the targets are values to standardize.
            standardize: "per_feature", "global" or "none" (`data.standardize`).
            unseen_categories: "ignore" or "reject" (`data.unseen_categories`).

        Returns:
            Preprocessing.
        """
        encoder = (TableEncoder.fit(x_train, unseen_categories)
                   if isinstance(x_train, pd.DataFrame) else None)
        encoded = encoder.apply(x_train) if encoder else x_train
        inputs = (None if standardize == "none" else
                  Standardization.fit(encoded, standardize))
        targets = Standardization.fit(y_train) if regression else None
        return cls(encoder, inputs, targets)

    def apply(self, x, source=ROWS_OF_X):
        """Raw features to model inputs: float32 (n, ...) array.

        Args:
            x: float array or pandas DataFrame, as the data source gives them.
            source: `snn.data.encoding.Origin` of the rows, for messages.

        Raises:
            DataError: table rows do not fit the encoder (see `TableEncoder.apply`).
        """
        if self.encoder:
            x = self.encoder.apply(x, source)
        return self.inputs.apply(x) if self.inputs else x

    def scale_targets(self, y):
        """Targets in the units the model is trained on."""
        return self.targets.apply(y) if self.targets else y

    def restore_targets(self, outputs):
        """Model outputs back in the data's units (regression), else unchanged."""
        return self.targets.invert(outputs) if self.targets else outputs

    def save(self, directory):
        """Write each fitted part into `directory`, each file atomically.

        Args:
            directory: Path of a run's fold directory.
        """
        for name, part in self._parts():
            if part is not None:
                write_atomic(Path(directory) / name, part.save)

    @classmethod
    def load(cls, directory):
        """Read what `save` wrote; a part whose file is absent is None.

        Raises:
            DataError: a file is unreadable or unsafe to load.
        """
        directory = Path(directory)
        kinds = {ENCODER: TableEncoder, STANDARDIZATION: Standardization,
                 TARGET_STANDARDIZATION: Standardization}
        parts = [kinds[name].load(directory / name) if (directory / name).is_file() else None
                 for name in (ENCODER, STANDARDIZATION, TARGET_STANDARDIZATION)]
        return cls(*parts)

    def _parts(self):
        return ((ENCODER, self.encoder), (STANDARDIZATION, self.inputs),
                (TARGET_STANDARDIZATION, self.targets))


def take_rows(x, rows):
    """Rows of an array or a DataFrame, by position."""
    return x.iloc[rows] if isinstance(x, pd.DataFrame) else x[rows]


def missing_cells(x):
    """Boolean (n, features) array: which feature values are missing (NaN)."""
    if isinstance(x, pd.DataFrame):
        return x.isna().to_numpy()
    return np.isnan(x.reshape(len(x), -1))
