"""Tox21 from SMILES with RDKit: fingerprints, 12 tasks, missing labels."""

import numpy as np
import pytest

from snn.data.tox21 import load_tox21
from snn.errors import DataError

HEADER = ("smiles,NR-AR,NR-AR-LBD,NR-AhR,NR-Aromatase,NR-ER,NR-ER-LBD,NR-PPAR-gamma,SR-ARE,"
          "SR-ATAD5,SR-HSE,SR-MMP,SR-p53\n")


def test_fingerprints_and_missing_labels(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "CCO,0,1,,0,0,0,0,0,0,0,0,1\n"
                             "not-a-molecule,0,0,0,0,0,0,0,0,0,0,0,0\n"
                             "c1ccccc1,,,,,,,,,,,,1\n"
                             "CCc1ccccc1,0,0,0,0,0,0,0,0,0,0,0,0\n")
    x, y, predefined = load_tox21(path, radius=2, bits=256)
    assert x.shape == (3, 256)  # the unparsable SMILES is dropped
    assert set(np.unique(x)) <= {0.0, 1.0} and x[0].sum() > 0
    assert np.isnan(y[0, 2]) and y[0, 1] == 1 and np.isnan(y[1, :11]).all() and y[1, 11] == 1
    # Bemis-Murcko scaffolds: ethanol has no ring; ethylbenzene's is the benzene ring.
    assert predefined.scaffolds.tolist() == ["", "c1ccccc1", "c1ccccc1"]


def test_descriptors_are_appended(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "CCO,0,0,0,0,0,0,0,0,0,0,0,0\n")
    x, *_ = load_tox21(path, bits=64, descriptors=True)
    assert x.shape[1] > 64 + 100 and np.all(np.isfinite(x))


def test_wrong_header_is_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("smile,a\nCCO,1\n")
    with pytest.raises(DataError, match="expected 'smiles' and 12 assay columns"):
        load_tox21(path)


def test_real_tox21(shared_data):
    x, y, predefined = load_tox21(shared_data / "tox21" / "tox21.csv", bits=1024)
    # README: 7,831 molecules; RDKit rejects a handful (8 with RDKit 2026.09) for valence
    # errors. 12 tasks with missing labels.
    assert 7800 <= len(x) <= 7831 and x.shape[1] == 1024 and y.shape == (len(x), 12)
    assert 0 < np.isnan(y).mean() < 0.3
    assert np.nanmean(y) < 0.15  # the assays are imbalanced: few actives
    assert len(predefined.scaffolds) == len(x)
