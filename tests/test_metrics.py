"""Test metrics from predictions: exact ROC AUC, masked multi-task AUC, fold summaries."""

import numpy as np
import pytest

from snn.metrics import prediction_metrics, summarize, task_of


def test_task_follows_the_head():
    assert task_of("softmax", 10) == "multiclass"
    assert task_of("sigmoid", 1) == "binary"
    assert task_of("sigmoid", 12) == "multilabel"
    assert task_of("linear", 1) == "regression"


def test_binary_auc_is_the_exact_rank_statistic():
    y = np.array([[0], [0], [1], [1]], float)
    p = np.array([[0.1], [0.4], [0.35], [0.8]])
    # Pairs (positive, negative) ranked correctly: (0.35>0.1), (0.8>0.1), (0.8>0.4) = 3 of 4.
    metrics = prediction_metrics("binary", y, p)
    assert metrics["auc"] == 0.75
    assert metrics["accuracy"] == 0.75  # threshold 0.5: only 0.35 is wrong


def test_multilabel_auc_skips_missing_labels_and_single_class_tasks():
    y = np.array([[0, 1, 1], [1, np.nan, 1], [0, 0, np.nan], [1, np.nan, 1]], float)
    p = np.array([[0.2, 0.9, 0.5], [0.7, 0.0, 0.5], [0.6, 0.1, 0.5], [0.9, 1.0, 0.5]])
    # Task 0: negatives 0.2, 0.6 below positives 0.7, 0.9 -> 1.0. Task 1: its two known
    # labels are ranked right -> 1.0. Task 2: only positives are known -> skipped.
    assert prediction_metrics("multilabel", y, p)["auc"] == 1.0
    p[2, 0] = 0.8  # now one of four task-0 pairs is misordered
    assert prediction_metrics("multilabel", y, p)["auc"] == pytest.approx((0.75 + 1.0) / 2)


def test_multiclass_accuracy_and_regression_errors():
    probabilities = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert prediction_metrics("multiclass", np.array([1, 0, 0]), probabilities) == {
        "accuracy": pytest.approx(2 / 3)}
    regression = prediction_metrics("regression", np.array([[1.0], [3.0]]),
                                    np.array([[2.0], [3.0]]))
    # R^2 = 1 - residual / total sum of squares = 1 - 1 / 2.
    assert regression == {"mse": 0.5, "mae": 0.5, "r2": 0.5}


def test_summary_is_mean_and_sample_standard_deviation():
    mean, std = summarize([{"auc": 0.9, "loss": 1.0}, {"auc": 0.8, "loss": 3.0}])
    assert mean == pytest.approx({"auc": 0.85, "loss": 2.0})
    assert std == pytest.approx({"auc": np.sqrt(0.005), "loss": np.sqrt(2.0)})
    assert summarize([{"auc": 0.9}])[1] == {"auc": 0.0}
