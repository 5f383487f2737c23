"""Files written whole or not at all, and JSON: the one way `snn` writes its results.

A reader never sees a half-written file, even when the process is killed or the disk fills
up while writing: everything goes to a temporary file beside the final one, renamed into
place when complete.
"""

import csv
import io
import json
import os
import tempfile
from pathlib import Path

TEMPORARY_PREFIX = ".tmp-"  # a file being written by `write_atomic`


def write_atomic(path, write):
    """Write a file so that it is either complete or absent, never half-written.

    Args:
        path: the final path.
        write: callable taking a temporary path (same directory, same suffix) to write to.

    Raises:
        OSError: the file cannot be written (e.g. the disk is full); its `filename` is
            `path`.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX,
                                         suffix=path.suffix)
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 would hide results
        os.replace(temporary, path)
    except OSError as error:  # name the file meant, not the temporary one
        raise OSError(error.errno, error.strerror or str(error), str(path)) from error
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path, data):
    """Write `data` as indented JSON, atomically."""
    write_atomic(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2) + "\n"))


def write_csv(path, rows):
    """Write `rows` (dicts with the same keys, at least one) as CSV with a header,
    atomically."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, lambda tmp: Path(tmp).write_text(text.getvalue()))


def read_json(path):
    return json.loads(Path(path).read_text())
