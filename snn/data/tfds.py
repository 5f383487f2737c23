"""Any TensorFlow Datasets data set, read from a prepared directory (no download by default)."""

from pathlib import Path

import numpy as np

from snn.data.sources import SOURCES
from snn.errors import DataError


@SOURCES.register(name="tfds")
def load_tfds(name: str, split: str = "train", data_dir: Path | None = None,
              download: bool = False):
    """A TensorFlow Datasets data set as arrays.

    Args:
        name: a TFDS name, e.g. "mnist" or "cifar10".
        split: a TFDS split expression, e.g. "train", "test" or "train+test"; the
            evaluation protocol splits it further.
        data_dir: where prepared TFDS data lives (default: TFDS's own, ~/tensorflow_datasets).
        download: fetch and prepare the data when it is missing. Off by default, so a
            missing data set is a clear error instead of a network attempt.

    Returns:
        (x, y): float32 features, images as (n, height, width, channels), and labels (n,).

    Raises:
        DataError: tensorflow-datasets is missing, the name is unknown, or the data set is
            not prepared in `data_dir` and `download` is false.
    """
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise DataError("data.source: tfds needs tensorflow-datasets "
                        "(pip install tensorflow-datasets)") from None
    try:
        builder = tfds.builder(name, data_dir=None if data_dir is None else str(data_dir))
    except tfds.core.registered.DatasetNotFoundError:
        raise DataError(f"data.name: no TFDS data set {name!r}") from None
    if download:
        builder.download_and_prepare()
    try:
        # Reads only what is prepared: tfds raises instead of downloading here.
        dataset = builder.as_dataset(split=split, as_supervised=True).batch(4096)
    except (AssertionError, FileNotFoundError):
        raise DataError(
            f"data.name: TFDS data set {name!r} is not prepared in {builder.data_dir}; "
            f"prepare it on a machine with internet (tfds build {name} --data_dir DIR) and set "
            "data.data_dir, or set data.download: true") from None
    except ValueError as error:
        raise DataError(f"data.split: {split!r} for {name!r}: {error}") from None
    batches = list(tfds.as_numpy(dataset))
    if not batches:
        raise DataError(f"data.split: {split!r} of {name!r} holds no examples")
    return (np.concatenate([features for features, _ in batches]).astype(np.float32),
            np.concatenate([labels for _, labels in batches]))
