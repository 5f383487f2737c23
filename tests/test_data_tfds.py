"""TensorFlow Datasets: a prepared local directory, mocked data, and no silent download."""

from collections import Counter

import numpy as np
import pytest
import tensorflow_datasets as tfds
from sklearn.datasets import load_digits

from snn.config import DataConfig
from snn.data import load_dataset
from snn.errors import DataError


class TinyDigits(tfds.core.GeneratorBasedBuilder):
    """100 scikit-learn digits as a TFDS data set, prepared from local data in the test."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(8, 8, 1)),
                "label": tfds.features.ClassLabel(num_classes=10)}),
            supervised_keys=("image", "label"))

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples()}

    def _generate_examples(self):
        digits = load_digits()
        for i in range(100):
            yield i, {"image": digits.images[i].astype(np.uint8)[..., None],
                      "label": int(digits.target[i])}


def _tfds(data_dir, **options):
    return DataConfig(source="tfds", options={"split": "train", "download": False, **options},
                      data_dir=str(data_dir))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tfds")
    TinyDigits(data_dir=str(data_dir)).download_and_prepare()
    return data_dir


def test_a_prepared_directory_is_read_as_images_with_their_labels(prepared):
    dataset = load_dataset(_tfds(prepared, name="tiny_digits"), "softmax")
    assert dataset.x.shape == (100, 8, 8, 1) and dataset.x.dtype == np.float32
    digits = load_digits()
    # The same 100 (image, label) pairs, in TFDS's shuffled order: compare as multisets of
    # (image bytes, label), so a loader that paired an image with another's label fails.
    labels = np.asarray(dataset.classes)[dataset.y]
    loaded = Counter((image.astype(np.uint8).tobytes(), int(label))
                     for image, label in zip(dataset.x, labels))
    source = Counter((image.astype(np.uint8)[..., None].tobytes(), int(label))
                     for image, label in zip(digits.images[:100], digits.target[:100]))
    np.testing.assert_array_equal(dataset.x, np.round(dataset.x))  # uint8 pixels, exact
    assert loaded == source
    assert sorted(set(labels.tolist())) == list(range(10))


def test_missing_data_is_a_clear_error_not_a_download(tmp_path):
    with pytest.raises(DataError, match=r"'tiny_digits' is not prepared in .*empty.*; "
                                        "prepare it on a machine with internet"):
        load_dataset(_tfds(tmp_path / "empty", name="tiny_digits"), "softmax")


def test_unknown_name_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="data.name: no TFDS data set 'no_such_set'"):
        load_dataset(_tfds(tmp_path, name="no_such_set"), "softmax")


def test_mocked_mnist_gives_image_arrays(tmp_path):
    with tfds.testing.mock_data(num_examples=7):
        dataset = load_dataset(_tfds(tmp_path, name="mnist"), "softmax")
    assert dataset.x.shape == (7, 28, 28, 1)
