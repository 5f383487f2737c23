"""MNIST IDX files: magic numbers, counts, truncation."""

import gzip

import numpy as np
import pytest

from snn.data.idx import load_mnist_idx, read_idx
from snn.errors import DataError


def _write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_round_trip_of_small_idx_files(tmp_path):
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    _write_idx(tmp_path / "i", images, 2051)
    _write_idx(tmp_path / "l", np.array([3, 7]), 2049)
    x, y = load_mnist_idx(tmp_path / "i", tmp_path / "l")
    assert x.shape == (2, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], images)
    assert list(y) == [3, 7]


def test_truncated_file_is_reported_with_the_declared_size(tmp_path):
    _write_idx(tmp_path / "i", np.zeros((3, 28, 28)), 2051)
    data = (tmp_path / "i").read_bytes()
    (tmp_path / "i").write_bytes(data[:-100])
    with pytest.raises(DataError, match=r"truncated: the header declares \(3, 28, 28\) = 2352 "
                                        "values, the file holds 2252"):
        read_idx(tmp_path / "i", 2051)


def test_labels_file_given_as_images_is_a_wrong_magic_number(tmp_path):
    _write_idx(tmp_path / "l", np.array([1, 2]), 2049)
    with pytest.raises(DataError, match="magic number 2049; expected 2051 \\(images IDX file\\)"):
        read_idx(tmp_path / "l", 2051)


def test_count_mismatch_between_images_and_labels(tmp_path):
    _write_idx(tmp_path / "i", np.zeros((3, 28, 28)), 2051)
    _write_idx(tmp_path / "l", np.array([1, 2]), 2049)
    with pytest.raises(DataError, match="3 images but .* has 2 labels"):
        load_mnist_idx(tmp_path / "i", tmp_path / "l")


def test_gzip_is_read_transparently(tmp_path):
    _write_idx(tmp_path / "l", np.array([5]), 2049)
    with gzip.open(tmp_path / "l.gz", "wb") as handle:
        handle.write((tmp_path / "l").read_bytes())
    assert list(read_idx(tmp_path / "l.gz", 2049)) == [5]


def test_real_mnist_test_set(shared_data):
    x, y = load_mnist_idx(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz",
                          shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert x.shape == (10000, 28, 28, 1) and x.max() == 255
    # The MNIST test set's class counts (LeCun et al.): 980 zeros ... 1009 nines.
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
