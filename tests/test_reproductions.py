"""Promised results, trained in full on the real data (`pytest -m slow`): the example
configs and the paper reproductions.

Each takes minutes to hours on 2 CPU cores (the HTRU2 table's --quick about two hours,
Figure 1's about a quarter of an hour), so the default suite leaves them out; the bars are
the issues' acceptance criteria, below the measured values (README).
"""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, run_cli
from snn.paper.results import HTRU2_AUC, HTRU2_REFERENCE_AUC

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("config, metric, bar", [
    ("htru2_snn.yaml", "auc", 0.975),        # paper: 0.980 (best SNN); measured 0.979
    ("tox21_snn.yaml", "auc", 0.80),         # ECFP features; measured 0.822
    ("uci_abalone_snn.yaml", "accuracy", 0.60),  # measured 0.642 on the 4 fixed folds
    ("mnist_snn_cnn.yaml", "accuracy", 0.96),    # measured 0.974
])
def test_example_config_reaches_its_result(config, metric, bar, shared_data, tmp_path):
    result = run_cli("train", ROOT / "configs" / config, "--run-dir", tmp_path / "run",
                     cwd=tmp_path, env={"SNN_DATA_DIR": str(shared_data)})
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"][metric] >= bar


def _script(name, *args, cwd, data):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / name), *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=4 * 3600,
                          env={**os.environ, "SNN_DATA_DIR": str(data)})


def test_htru2_table3_quick_puts_every_network_near_the_paper(shared_data, tmp_path):
    result = _script("reproduce_htru2.py", "--quick", "--out-dir", tmp_path / "t3",
                     cwd=tmp_path, data=shared_data)
    assert result.returncode == 0, result.stderr
    comparison = json.loads((tmp_path / "t3" / "quick" / "comparison.json").read_text())
    rows = {row["method"]: row for row in comparison["methods"]}
    assert set(rows) == set(HTRU2_AUC) | set(HTRU2_REFERENCE_AUC)
    assert not comparison["incomplete"] and rows["snn_mlp"]["folds"] == 10
    for method, (paper, std) in HTRU2_AUC.items():
        # Measured on 2026-12-02: every network within one of the paper's fold standard
        # deviations (README).
        assert abs(rows[method]["auc"] - paper) <= std, method


def test_figure1_quick_plots_the_training_set_loss_of_six_networks(shared_data, tmp_path):
    result = _script("reproduce_figure1.py", "--quick", "--out-dir", tmp_path / "f1",
                     cwd=tmp_path, data=shared_data)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "f1" / "mnist-test" / "quick"
    assert (out / "figure1.png").read_bytes().startswith(b"\x89PNG")
    with open(out / "figure1_curves.csv") as handle:
        rows = list(csv.DictReader(handle))
    curves = {(row["method"], row["depth"]) for row in rows}
    assert curves == {(m, d) for m in ("snn_mlp", "batchnorm_mlp") for d in ("8", "16", "32")}
    assert len(rows) == 6 * 20  # one training-set loss per network and epoch
    loss = {}
    for row in rows:
        loss.setdefault((row["method"], int(row["depth"])), []).append(
            float(row["train_set_loss"]))
    # What the README says of the measured run: every curve falls in every epoch, and at
    # each depth the SNN's loss is below the BatchNorm network's after every epoch.
    assert all(np.all(np.diff(curve) < 0) for curve in loss.values())
    for depth in (8, 16, 32):
        assert np.all(np.array(loss["snn_mlp", depth]) < loss["batchnorm_mlp", depth])
    # Deeper SNNs end lower, deeper BatchNorm networks higher.
    snn, batchnorm = ([loss[method, d][-1] for d in (8, 16, 32)]
                      for method in ("snn_mlp", "batchnorm_mlp"))
    assert snn[0] > snn[1] > snn[2] and batchnorm[0] < batchnorm[1] < batchnorm[2]


def test_tox21_quick_reports_every_method_and_depth_over_three_seeds(shared_data, tmp_path):
    result = _script("reproduce_tox21.py", "--quick", "--out-dir", tmp_path / "tox21",
                     cwd=tmp_path, data=shared_data)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "tox21" / "random" / "quick" / "results.csv") as handle:
        rows = {(row["method"], row["depth"]): row for row in csv.DictReader(handle)}
    assert len(rows) == 7 * 2 and all(row["seeds"] == "3" for row in rows.values())
    # Measured (README): SNN 0.814 and 0.818, the best mean at both depths; the bar leaves
    # about four of its seed standard deviations (0.004-0.006).
    for depth in ("2", "8"):
        snn = float(rows["snn_mlp", depth]["test_auc"])
        assert snn >= 0.79
        assert snn >= max(float(row["test_auc"]) for (_, d), row in rows.items()
                          if d == depth) - 0.01
