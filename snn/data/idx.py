"""MNIST in its original IDX format (`*-images-idx3-ubyte[.gz]`, `*-labels-idx1-ubyte[.gz]`)."""

import gzip
from pathlib import Path

import numpy as np

from snn.data.sources import SOURCES
from snn.errors import DataError

# IDX magic numbers: 0x00000803 (unsigned bytes, 3 dimensions) for images, 0x00000801 for
# labels (LeCun et al., "The MNIST database", file format section).
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


def read_idx(path, magic):
    """Read one IDX file of unsigned bytes, gzip-compressed or not.

    Args:
        path: Path of the file.
        magic: int, the expected magic number (2051 for images, 2049 for labels).

    Returns:
        uint8 array with the dimensions the header declares.

    Raises:
        DataError: missing or unreadable file, wrong magic number, or fewer bytes than the
            header declares (a truncated download).
    """
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, EOFError) as error:
        raise DataError(f"{path}: not a readable IDX file ({error})") from None
    if len(data) < 8 or int.from_bytes(data[:4], "big") != magic:
        found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
        raise DataError(f"{path}: magic number {found}; expected {magic} "
                        f"({'images' if magic == _IMAGES_MAGIC else 'labels'} IDX file)")
    dims = magic - 2048
    header = 4 + 4 * dims
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    expected = int(np.prod(shape))
    if len(data) - header < expected:
        raise DataError(f"{path}: truncated: the header declares {shape} = {expected} values, "
                        f"the file holds {len(data) - header}")
    return np.frombuffer(data, np.uint8, count=expected, offset=header).reshape(shape)


@SOURCES.register(name="mnist_idx")
def load_mnist_idx(
    images: Path = Path("mnist/t10k-images-idx3-ubyte.gz"),
    labels: Path = Path("mnist/t10k-labels-idx1-ubyte.gz"),
):
    """MNIST images and labels from IDX files (as distributed by LeCun et al.).

    Args:
        images: the `*-images-idx3-ubyte[.gz]` file.
        labels: the matching `*-labels-idx1-ubyte[.gz]` file.

    Returns:
        (x, y): float32 images (n, 28, 28, 1) with intensities 0-255, and uint8 labels (n,).

    Raises:
        DataError: a file is missing, truncated or of the wrong kind, or the counts differ.
    """
    x = read_idx(images, _IMAGES_MAGIC)
    y = read_idx(labels, _LABELS_MAGIC)
    if len(x) != len(y):
        raise DataError(f"{images}: {len(x)} images but {labels} has {len(y)} labels")
    return x.astype(np.float32)[..., None], y
