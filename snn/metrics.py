"""Test metrics computed from predictions with scikit-learn: exact ROC AUC, missing labels.

Keras' AUC metric interpolates over 200 thresholds and cannot skip missing labels, so the
numbers reported for a run come from here: the model predicts, scikit-learn scores.
"""

import numpy as np
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error
from sklearn.metrics import log_loss, r2_score, roc_auc_score


def task_of(output_activation, num_outputs):
    """The kind of prediction task a model head solves.

    Args:
        output_activation: "softmax", "sigmoid" or "linear".
        num_outputs: int, width of the output layer.

    Returns:
        "multiclass", "binary", "multilabel" or "regression".
    """
    if output_activation == "softmax":
        return "multiclass"
    if output_activation == "sigmoid":
        return "binary" if num_outputs == 1 else "multilabel"
    return "regression"


def metric_names(output_activation):
    """The names of the metrics a run reports for each split, for a model head.

    Args:
        output_activation: "softmax", "sigmoid" or "linear".

    Returns:
        tuple of str: "loss" and the names `prediction_metrics` returns ("auc" only where
        both classes occur in the split).
    """
    return ("loss",) + {"softmax": ("accuracy",), "sigmoid": ("accuracy", "auc"),
                        "linear": ("mse", "mae", "r2")}[output_activation]


def prediction_metrics(task, y_true, y_pred):
    """Metrics of predictions against targets.

    Args:
        task: as returned by `task_of`.
        y_true: targets: class indices (n,) for "multiclass"; 0/1 of shape (n, 1) or
            (n, tasks) for "binary"/"multilabel", NaN where a label is missing; floats
            (n, k) for "regression".
        y_pred: model outputs (n, num_outputs): probabilities, or values for regression.

    Returns:
        dict: "accuracy" (and "auc" for "binary", where both classes occur) for
        classification; for "multilabel" "auc" is the mean ROC AUC over tasks that have both
        classes among their known labels and "accuracy" is over known labels; "mse",
        "mae" and "r2" (the coefficient of determination, averaged over outputs) for
        regression, in the targets' units.
    """
    if task == "multiclass":
        return {"accuracy": float(accuracy_score(y_true, np.argmax(y_pred, axis=1)))}
    if task == "regression":
        return {"mse": float(mean_squared_error(y_true, y_pred)),
                "mae": float(mean_absolute_error(y_true, y_pred)),
                "r2": float(r2_score(y_true, y_pred))}
    known = ~np.isnan(y_true)
    metrics = {"accuracy": float(np.mean((y_pred[known] >= 0.5) == (y_true[known] == 1)))}
    aucs = [roc_auc_score(y_true[known[:, t], t], y_pred[known[:, t], t])
            for t in range(y_true.shape[1])
            if len(np.unique(y_true[known[:, t], t])) == 2]
    if aucs:
        metrics["auc"] = float(np.mean(aucs))
    return metrics


def prediction_loss(task, y_true, y_pred):
    """The loss a network of the same head would be trained on, from predictions.

    Args:
        task: "multiclass", "binary" or "regression" (as returned by `task_of`).
        y_true: targets as for `prediction_metrics` (no missing labels).
        y_pred: outputs (n, num_outputs): class scores in [0, 1], or regression values.

    Returns:
        float: cross-entropy (log loss) for classification, mean squared error for
        regression.
    """
    if task == "regression":
        return float(mean_squared_error(y_true, y_pred))
    if task == "binary":
        return float(log_loss(y_true.reshape(-1), y_pred.reshape(-1), labels=[0, 1]))
    return float(log_loss(y_true, y_pred, labels=list(range(y_pred.shape[1]))))


def summarize(folds):
    """Mean and standard deviation of each metric over folds.

    Args:
        folds: list of {metric: float}.

    Returns:
        ({metric: mean}, {metric: standard deviation}), the deviation with ddof=1 (0 for a
        single fold).
    """
    names = [name for name in folds[0] if all(name in fold for fold in folds)]
    values = {name: np.array([fold[name] for fold in folds]) for name in names}
    mean = {name: float(v.mean()) for name, v in values.items()}
    std = {name: float(v.std(ddof=1)) if len(v) > 1 else 0.0 for name, v in values.items()}
    return mean, std
