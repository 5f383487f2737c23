"""The example configs' promised results, trained in full on the real data (`pytest -m slow`).

Each takes minutes on 2 CPU cores, so the default suite leaves them out; the bars are the
issue's acceptance criteria, below the measured values (README, Results).
"""

import json

import pytest

from conftest import ROOT, run_cli

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
