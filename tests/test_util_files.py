"""Atomic writes: complete files with normal permissions, or nothing."""

import os
import stat

import pytest

from snn.util.files import read_json, write_atomic, write_json


def test_write_atomic_leaves_a_complete_file_with_normal_permissions(tmp_path):
    write_json(tmp_path / "m.json", {"a": 1})
    assert read_json(tmp_path / "m.json") == {"a": 1}
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_a_failed_write_leaves_nothing(tmp_path):
    def fail(path):
        open(path, "w").write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(tmp_path / "metrics.json", fail)
    assert list(tmp_path.iterdir()) == []
