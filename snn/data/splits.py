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


def scaffold_split(scaffolds, validation_fraction, test_fraction):
    """Row indices of train, validation and test splits that keep each scaffold whole.

    Molecules sharing a scaffold go to one split, so the test split holds chemotypes the
    model never trained on. Groups are taken largest first (ties: the group whose first
    row comes later first); each goes to training while training stays within its share
    of the rows, else to validation while that stays within its share, else to test.
    Deterministic: no seed.

    Args:
        scaffolds: array (n,) of group labels, e.g. Bemis-Murcko scaffold SMILES.
        validation_fraction: float in (0, 1), the share of rows meant for validation.
        test_fraction: float in (0, 1), the share meant for the test split.

    Returns:
        dict {"train", "validation", "test"} -> sorted int64 row indices.

    Raises:
        DataError: a split would be empty (too few scaffolds).

    Reference:
        Wu et al., "MoleculeNet: A Benchmark for Molecular Machine Learning", Chemical
        Science 2018 (the scaffold split).
    """
    groups = {}
    for row, scaffold in enumerate(scaffolds):
        groups.setdefault(scaffold, []).append(row)
    ordered = sorted(groups.values(), key=lambda rows: (len(rows), rows[0]), reverse=True)
    limits = {"train": (1.0 - validation_fraction - test_fraction) * len(scaffolds),
              "validation": (1.0 - test_fraction) * len(scaffolds)}
    splits = {"train": [], "validation": [], "test": []}
    for rows in ordered:
        if len(splits["train"]) + len(rows) <= limits["train"]:
            splits["train"] += rows
        elif len(splits["train"]) + len(splits["validation"]) + len(rows) <= \
                limits["validation"]:
            splits["validation"] += rows
        else:
            splits["test"] += rows
    empty = [name for name, rows in splits.items() if not rows]
    if empty:
        raise DataError(f"evaluation.split: the {len(groups)} scaffolds of {len(scaffolds)} "
                        f"rows leave the {empty[0]} split empty; expected more scaffolds, or "
                        "evaluation.split: random")
    return {name: np.array(sorted(rows), dtype=np.int64) for name, rows in splits.items()}


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

    def invert(self, z):
        """Values in the original units from standardized ones of shape (n, ...)."""
        flat = z.reshape(len(z), -1)
        return (flat * self.scale + self.mean).astype(np.float32).reshape(z.shape)

    def save(self, path):
        np.savez(path, mean=self.mean, scale=self.scale)

    @classmethod
    def load(cls, path):
        with np.load(path, allow_pickle=False) as arrays:
            return cls(arrays["mean"], arrays["scale"])
