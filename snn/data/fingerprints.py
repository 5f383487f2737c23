"""Short hashes of data, so that a run can tell whether the data it meets is the data it
was trained on (`snn train --resume`, `snn evaluate`)."""

import hashlib

import numpy as np
import pandas as pd


def fingerprint(*values):
    """A short hash of arrays' and tables' shapes, types and contents.

    Args:
        *values: numpy arrays, or pandas DataFrames (column names, dtypes and cells count;
            the index does not).

    Returns:
        str, 16 hex digits.
    """
    digest = hashlib.blake2b(digest_size=8)
    for value in values:
        if isinstance(value, pd.DataFrame):
            digest.update(repr([(str(name), str(dtype))
                                for name, dtype in value.dtypes.items()]).encode())
            value = pd.util.hash_pandas_object(value, index=False).to_numpy()
        array = np.ascontiguousarray(value)
        digest.update(f"{array.shape}{array.dtype}".encode())
        digest.update(array.data)
    return digest.hexdigest()
