"""Train / validation / test splits and input standardization with training statistics."""

import dataclasses

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from snn.errors import DataError

SPLITS = ("train", "validation", "test")


def split_off(rows, fraction, seed, labels=None):
    """Hold out a share of `rows`, stratified by class when labels are given.

    Args:
        rows: int array of row indices.
        fraction: float in (0, 1), the share held out (scikit-learn rounds its size up).
        seed: int, fixes the shuffle.
        labels: None, or class indices of all rows of the data set (indexed by `rows`).

    Returns:
        (kept, held_out): sorted int64 arrays.

    Raises:
        DataError: a class has too few examples to appear on both sides.
    """
    if labels is not None:
        classes, counts = np.unique(labels[rows], return_counts=True)
        if counts.min() < 2:
            rare = classes[counts.argmin()]
            raise DataError(f"data: class index {rare} has {counts.min()} of {len(rows)} "
                            "examples; expected at least 2 of each class for stratified "
                            "splits (is the label column the right one?)")
    try:
        kept, held_out = train_test_split(
            rows, test_size=fraction, random_state=seed,
            stratify=None if labels is None else labels[rows])
    except ValueError as error:
        raise DataError(f"data: cannot split {len(rows)} examples with stratification "
                        f"({error})") from None
    return np.sort(kept), np.sort(held_out)


def split_indices(num_examples, validation_fraction, test_fraction, seed, stratify=None):
    """Row indices of the train, validation and test splits, fixed by the seed.

    Args:
        num_examples: int, number of rows.
        validation_fraction: float in (0, 1), share of all rows for validation.
        test_fraction: float in (0, 1), share of all rows for the test split.
        seed: int, fixes the shuffle.
        stratify: None, or an array (num_examples,) of class indices: each split then keeps
            the class proportions.

    Returns:
        dict {"train", "validation", "test"} -> int64 array of row indices, each sorted.

    Raises:
        DataError: a class has too few examples to appear in every split.
    """
    rest, test = split_off(np.arange(num_examples), test_fraction, seed, stratify)
    train, validation = split_off(rest, validation_fraction / (1.0 - test_fraction), seed,
                                  stratify)
    return {"train": train, "validation": validation, "test": test}


@dataclasses.dataclass
class Standardization:
    """Mean and scale of the training split (SNNs assume zero-mean, unit-variance inputs).

    Attributes:
        mean: float32 array, (features,) for per-feature statistics or (1,) for global ones.
        scale: float32 array of the same shape; 1 where a feature is constant, which is then
            only centred (scikit-learn's convention).
    """

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, x_train, mode="per_feature"):
        """Fit on training features of shape (n, ...); trailing axes are flattened.

        Args:
            x_train: float array (n, ...).
            mode: "per_feature" (one mean and scale per feature) or "global" (one mean and
                scale for all features, for inputs on a common scale such as pixels).

        Returns:
            Standardization.
        """
        flat = x_train.reshape(len(x_train), -1)
        if mode == "global":
            flat = flat.reshape(-1, 1)
        scaler = StandardScaler().fit(flat)
        return cls(scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32))

    def apply(self, x):
        """Standardize features of shape (n, ...) with the fitted statistics.

        Missing values (NaN) become 0, the standardized training mean: scikit-learn's
        scaler leaves them out of the fitted statistics.
        """
        flat = x.reshape(len(x), -1)
        standardized = np.nan_to_num((flat - self.mean) / self.scale, nan=0.0)
        return standardized.astype(np.float32).reshape(x.shape)

    def save(self, path):
        np.savez(path, mean=self.mean, scale=self.scale)

    @classmethod
    def load(cls, path):
        with np.load(path, allow_pickle=False) as arrays:
            return cls(arrays["mean"], arrays["scale"])
