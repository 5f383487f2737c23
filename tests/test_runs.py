"""Run directories: what `environment.json` records of the code, machine and data."""

import dataclasses
import hashlib
import json
import subprocess
import sys

from conftest import ROOT
from test_inference import _config, _table

from snn.training import train


def test_environment_json_records_provenance_of_code_and_data(tmp_path, monkeypatch):
    path = _table(tmp_path)
    monkeypatch.setattr(sys, "argv", ["snn", "train", "table.yaml"])
    train(dataclasses.replace(_config(path), seed=7), tmp_path / "run", verbose=0)
    record = json.loads((tmp_path / "run" / "environment.json").read_text())
    assert record["seed"] == 7 and record["command"] == "snn train table.yaml"
    assert record["data_files"] == {str(path): hashlib.sha256(path.read_bytes()).hexdigest()}
    for package in ("snn", "keras", "numpy", "scikit-learn", "scipy", "backend_version"):
        assert record[package]
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True)
    assert record["git"]["commit"] == head.stdout.strip()  # the suite runs in a checkout
    assert isinstance(record["git"]["dirty"], bool)
