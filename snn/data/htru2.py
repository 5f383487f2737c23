"""HTRU2 pulsar candidates, one of the SNN paper's benchmarks (Section 4.3)."""

from pathlib import Path

import numpy as np

from snn.data.sources import SOURCES
from snn.data.tables import load_csv
from snn.errors import DataError


@SOURCES.register(name="htru2")
def load_htru2(path: Path = Path("htru2/HTRU_2.csv")):
    """HTRU2 pulsar candidates (Lyon et al. 2016), one of the SNN paper's benchmarks.

    Args:
        path: `HTRU_2.csv`, with or without its header line `M1,ST1,...,C`.

    Returns:
        (x, y): float32 array (n, 8) of the profile and DM-SNR statistics, int labels (n,)
        with 1 for a pulsar.

    Raises:
        DataError: the file is not a CSV of 9 numeric columns.

    Reference:
        Lyon et al., "Fifty years of pulsar candidate selection", MNRAS 459, 2016;
        Klambauer et al. 2017, Section 4.3.
    """
    x, y = load_csv(path, label=-1, categorical=[])
    if x.shape[1] != 8:
        raise DataError(f"{path}: {x.shape[1] + 1} columns; HTRU2 has 9 (8 features, class)")
    return x.to_numpy(np.float32), y

