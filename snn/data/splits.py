"""Train / validation / test splits and input standardization with training statistics."""

import dataclasses

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from snn.errors import DataError

SPLITS = ("train", "validation", "test")


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
    indices = np.arange(num_examples)
    try:
        rest, test = train_test_split(indices, test_size=test_fraction, random_state=seed,
                                      stratify=stratify)
        inner = None if stratify is None else stratify[rest]
        train, validation = train_test_split(
            rest, test_size=validation_fraction / (1.0 - test_fraction),
            random_state=seed, stratify=inner,
        )
    except ValueError as error:
        raise DataError(f"data: cannot split {num_examples} examples into train/validation/"
                        f"test with stratification ({error})") from None
    return {"train": np.sort(train), "validation": np.sort(validation), "test": np.sort(test)}


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
        """Standardize features of shape (n, ...) with the fitted statistics."""
        flat = x.reshape(len(x), -1)
        return ((flat - self.mean) / self.scale).astype(np.float32).reshape(x.shape)

    def save(self, path):
        np.savez(path, mean=self.mean, scale=self.scale)

    @classmethod
    def load(cls, path):
        with np.load(path, allow_pickle=False) as arrays:
            return cls(arrays["mean"], arrays["scale"])
