"""Table 2 (Tox21): per depth, the setting best on validation AUC over its seeds, reported
as the mean and standard deviation of its seeds' test AUCs beside the paper's."""

import csv
import json

import numpy as np
import pytest

from snn.paper.tox21 import format_table, reproduce_tox21

CONFIG = "configs/paper/tox21/snn.yaml"


@pytest.fixture
def small_tox21(shared_data, tmp_path):
    """The first 600 molecules of the Tox21 CSV."""
    with open(shared_data / "tox21" / "tox21.csv", newline="") as handle:
        rows = list(csv.reader(handle))[:601]
    path = tmp_path / "tox21_600.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_each_depth_reports_the_best_setting_over_its_seeds(small_tox21, tmp_path):
    # The SNN's own config with a small grid: depths 2 and 3, two learning rates, two seeds.
    overrides = [f"data.path={small_tox21}", "data.bits=64", "model.units=8",
                 "training.epochs=2", "sweep.grid={model.depth: [2, 3], "
                 "training.learning_rate: [0.01, 0.1], seed: [0, 1]}"]
    comparison = reproduce_tox21([(CONFIG, overrides)], tmp_path / "out", workers=1,
                                 verbose=0)
    assert comparison["split"] == "random"
    assert [(c["method"], c["depth"], c["seeds"]) for c in comparison["cells"]] == [
        ("snn_mlp", 2, 2), ("snn_mlp", 3, 2)]
    # Recomputed from every run's metrics.json: per depth, the learning rate whose mean
    # validation AUC over the two seeds is higher, and that setting's seeds' test AUCs.
    for cell in comparison["cells"]:
        best = {}
        for rate in (0.01, 0.1):
            runs = [tmp_path / "out" / "snn_mlp" / f"depth={cell['depth']},"
                    f"learning_rate={rate:g},seed={seed}" for seed in (0, 1)]
            metrics = [json.loads((run / "metrics.json").read_text()) for run in runs]
            best[rate] = (np.mean([m["validation"]["auc"] for m in metrics]),
                          [m["test"]["auc"] for m in metrics], [run.name for run in runs])
        validation, tests, names = max(best.values(), key=lambda item: item[0])
        assert cell["selected"] == names
        assert cell["validation_auc"] == pytest.approx(validation)
        assert cell["test_auc"] == pytest.approx(np.mean(tests))
        assert cell["test_std"] == pytest.approx(np.std(tests, ddof=1))
    # Table 2's SNN column: 83.7 +/- 0.3 at 2 layers, 84.4 +/- 0.5 at 3.
    assert [(c["paper_auc"], c["paper_std"]) for c in comparison["cells"]] == [
        pytest.approx((0.837, 0.003)), pytest.approx((0.844, 0.005))]
    assert (tmp_path / "out" / "comparison.md").read_text().splitlines() == \
        format_table(comparison)


def test_the_table_puts_ours_and_the_papers_in_each_cell():
    comparison = {"split": "scaffold", "cells": [
        {"method": "snn_mlp", "depth": 2, "seeds": 3, "test_auc": 0.8012,
         "test_std": 0.0049, "paper_auc": 0.837, "paper_std": 0.003},
        {"method": "resnet_mlp", "depth": 8, "seeds": 3, "test_auc": 0.75,
         "test_std": 0.01, "paper_auc": None, "paper_std": None}]}
    lines = format_table(comparison)
    assert lines[:4] == ["| method | 2 layers | 8 layers |", "|---|---:|---:|",
                         "| SNN | 80.1 +/- 0.5 (83.7 +/- 0.3) | - |",
                         "| ResNet | - | 75.0 +/- 1.0 |"]
    assert "over 3 seeds on the scaffold split" in lines[-1]
