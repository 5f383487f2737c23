"""Losses for targets with missing labels (multi-task data such as Tox21)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="snn")
def masked_binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy over the known labels only; NaN marks a missing label.

    Equal to `keras.losses.binary_crossentropy` when no label is missing. An example whose
    labels are all missing contributes 0.

    Args:
        y_true: float tensor (batch, tasks) of 0, 1 or NaN.
        y_pred: float tensor (batch, tasks) of probabilities.

    Returns:
        float tensor (batch,): the mean cross-entropy over each example's known labels.
    """
    y_true = ops.cast(y_true, y_pred.dtype)
    known = ops.logical_not(ops.isnan(y_true))
    weights = ops.cast(known, y_pred.dtype)
    targets = ops.where(known, y_true, ops.zeros_like(y_true))
    # One cross-entropy per label: binary_crossentropy averages over the last axis.
    per_label = keras.losses.binary_crossentropy(targets[..., None], y_pred[..., None])
    return ops.sum(per_label * weights, axis=-1) / ops.maximum(ops.sum(weights, axis=-1), 1.0)
