"""Non-neural reference methods: the SNN paper's support vector machines, random forests,
naive Bayes and decision trees, and gradient-boosted trees, what practitioners compare
tabular networks with today.

They are registered like the network builders (kind "reference"), so a config selects
them with `model.name: svm` and trains them through the same data pipeline and evaluation
protocols; the trainer fits them with scikit-learn instead of Keras and saves them with
skops (`model.skops`), which loads without executing code from the file.
"""

from typing import Annotated, Literal

import numpy as np
from scipy.special import expit, softmax
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from snn.errors import ConfigError
from snn.models.registry import MODELS
from snn.models.spec import InputShape, OutputActivation, Seed
from snn.schema import PositiveInt, Range

Positive = Annotated[float, Range(0.0, low_open=True)]

# The scikit-learn types inside a saved forest or boosted ensemble that skops does not
# trust by default: their trees' node arrays. Only files this package wrote are loaded
# with them trusted.
TRUSTED_TYPES = ["sklearn.tree._tree.Tree",
                 "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def _check_single_label(name, output_activation, num_outputs):
    if output_activation == "sigmoid" and num_outputs > 1:
        raise ConfigError(f"model.name: {name} predicts one label per example; this data has "
                          f"{num_outputs} labels (multi-label); use a network",
                          key="model.name")


@MODELS.register(kind="reference")
def svm(
    input_shape: InputShape,
    num_outputs: PositiveInt,
    C: Positive = 1.0,  # noqa: N803  (scikit-learn's and the literature's name)
    gamma: Positive | Literal["scale", "auto"] = "scale",
    kernel: Literal["rbf", "linear", "poly", "sigmoid"] = "rbf",
    output_activation: OutputActivation = "softmax",
    seed: Seed = None,
):
    """A support vector machine: `SVC` for classification, `SVR` for regression.

    Outputs for the metrics are the logistic (binary) or softmax (multi-class) of the
    decision function, so accuracy and ROC AUC follow the SVM's decision function; the
    reported loss is the log loss of those scores, not of calibrated probabilities.

    Args:
        input_shape: one example's shape (flattened for fitting).
        num_outputs: number of classes (softmax), 1 (sigmoid) or targets (linear).
        C: float > 0, the inverse strength of the margin penalty.
        gamma: kernel width: a float > 0, "scale" (1 / (features * variance)) or "auto"
            (1 / features).
        kernel: "rbf", "linear", "poly" or "sigmoid".
        output_activation: "softmax", "sigmoid" (binary) or "linear" (regression).
        seed: unused (the SVM fit is deterministic); accepted like every builder's.

    Returns:
        An unfitted scikit-learn estimator.

    Raises:
        ConfigError: multi-label data (sigmoid with more than one output).

    Reference:
        Cortes & Vapnik, "Support-vector networks", Machine Learning 20, 1995; the SNN
        paper's UCI comparison (Table 1) and HTRU2 references (Table 3).
    """
    _check_single_label("svm", output_activation, num_outputs)
    if output_activation == "linear":
        return SVR(C=C, gamma=gamma, kernel=kernel)
    return SVC(C=C, gamma=gamma, kernel=kernel)


@MODELS.register(kind="reference")
def random_forest(
    input_shape: InputShape,
    num_outputs: PositiveInt,
    n_estimators: PositiveInt = 500,
    max_features: Literal["sqrt", "log2"] | Annotated[float, Range(0.0, 1.0,
                                                                  low_open=True)] = "sqrt",
    min_samples_leaf: PositiveInt = 1,
    output_activation: OutputActivation = "softmax",
    seed: Seed = None,
):
    """A random forest of decision trees (classification or regression).

    Args:
        input_shape: one example's shape (flattened for fitting).
        num_outputs: number of classes (softmax), 1 (sigmoid) or targets (linear).
        n_estimators: number of trees.
        max_features: features tried per split: "sqrt", "log2" or a fraction in (0, 1].
        min_samples_leaf: fewest training examples in a leaf.
        output_activation: "softmax", "sigmoid" (binary) or "linear" (regression).
        seed: fixes the bootstrap samples and feature choices.

    Returns:
        An unfitted scikit-learn estimator (using every CPU core).

    Raises:
        ConfigError: multi-label data (sigmoid with more than one output).

    Reference:
        Breiman, "Random Forests", Machine Learning 45, 2001; the SNN paper's UCI
        comparison (Table 1).
    """
    _check_single_label("random_forest", output_activation, num_outputs)
    forest = RandomForestRegressor if output_activation == "linear" else \
        RandomForestClassifier
    return forest(n_estimators=n_estimators, max_features=max_features,
                  min_samples_leaf=min_samples_leaf, random_state=seed, n_jobs=-1)



@MODELS.register(kind="reference")
def gradient_boosting(
    input_shape: InputShape,
    num_outputs: PositiveInt,
    learning_rate: Positive = 0.1,
    max_iter: PositiveInt = 200,
    max_leaf_nodes: Annotated[int, Range(2)] = 31,
    min_samples_leaf: PositiveInt = 20,
    l2_regularization: Annotated[float, Range(0.0)] = 0.0,
    output_activation: OutputActivation = "softmax",
    seed: Seed = None,
):
    """Gradient-boosted decision trees on binned features (scikit-learn's histogram
    gradient boosting, the LightGBM algorithm), for classification or regression.

    Its own early stopping is off: `max_iter` trees are grown, and the evaluation protocol's
    validation rows choose among settings as for every other method.

    Args:
        input_shape: one example's shape (flattened for fitting).
        num_outputs: number of classes (softmax), 1 (sigmoid) or targets (linear).
        learning_rate: float > 0, the shrinkage of each tree's contribution.
        max_iter: number of boosting iterations (trees per class).
        max_leaf_nodes: the most leaves per tree.
        min_samples_leaf: fewest training examples in a leaf.
        l2_regularization: float >= 0, the L2 penalty on leaf values.
        output_activation: "softmax", "sigmoid" (binary) or "linear" (regression).
        seed: fixes the binning subsample (used for more than 200,000 rows).

    Returns:
        An unfitted scikit-learn estimator.

    Raises:
        ConfigError: multi-label data (sigmoid with more than one output).

    Reference:
        Ke et al., "LightGBM: A Highly Efficient Gradient Boosting Decision Tree", NeurIPS
        2017; Grinsztajn et al., "Why do tree-based models still outperform deep learning
        on typical tabular data?", NeurIPS 2022 (Datasets and Benchmarks).
    """
    _check_single_label("gradient_boosting", output_activation, num_outputs)
    boosting = HistGradientBoostingRegressor if output_activation == "linear" else \
        HistGradientBoostingClassifier
    return boosting(learning_rate=learning_rate, max_iter=max_iter,
                    max_leaf_nodes=max_leaf_nodes, min_samples_leaf=min_samples_leaf,
                    l2_regularization=l2_regularization, early_stopping=False,
                    random_state=seed)


@MODELS.register(kind="reference")
def naive_bayes(
    input_shape: InputShape,
    num_outputs: PositiveInt,
    var_smoothing: Annotated[float, Range(0.0)] = 1e-9,
    output_activation: OutputActivation = "softmax",
    seed: Seed = None,
):
    """Gaussian naive Bayes: each feature normal within each class, features independent.

    Args:
        input_shape: one example's shape (flattened for fitting).
        num_outputs: number of classes (softmax) or 1 (sigmoid, binary).
        var_smoothing: float >= 0, the share of the largest feature variance added to
            every variance, for stability.
        output_activation: "softmax" or "sigmoid" (binary).
        seed: unused (the fit is deterministic); accepted like every builder's.

    Returns:
        An unfitted scikit-learn estimator.

    Raises:
        ConfigError: regression or multi-label data.

    Reference:
        The SNN paper's HTRU2 comparison (Table 3, "NB"), after Lyon et al., "Fifty years of
        pulsar candidate selection", MNRAS 459, 2016.
    """
    _check_single_label("naive_bayes", output_activation, num_outputs)
    if output_activation == "linear":
        raise ConfigError("model.name: naive_bayes classifies; this data is a regression "
                          "task: use another model", key="model.name")
    return GaussianNB(var_smoothing=var_smoothing)


@MODELS.register(kind="reference")
def decision_tree(
    input_shape: InputShape,
    num_outputs: PositiveInt,
    criterion: Literal["entropy", "gini"] = "entropy",
    max_depth: PositiveInt | None = None,
    min_samples_leaf: PositiveInt = 1,
    output_activation: OutputActivation = "softmax",
    seed: Seed = None,
):
    """One decision tree; splits by information gain (entropy) by default, C4.5's
    criterion.

    scikit-learn grows binary CART trees without C4.5's gain ratio or its error-based
    pruning; `min_samples_leaf` and `max_depth` limit the tree instead.

    Args:
        input_shape: one example's shape (flattened for fitting).
        num_outputs: number of classes (softmax), 1 (sigmoid) or targets (linear).
        criterion: "entropy" (information gain) or "gini", for classification; a
            regression tree splits by squared error.
        max_depth: int or None (grow until the leaves are pure or too small).
        min_samples_leaf: fewest training examples in a leaf.
        output_activation: "softmax", "sigmoid" (binary) or "linear" (regression).
        seed: breaks ties between equally good splits.

    Returns:
        An unfitted scikit-learn estimator.

    Raises:
        ConfigError: multi-label data (sigmoid with more than one output).

    Reference:
        Quinlan, "C4.5: Programs for Machine Learning", 1993; the SNN paper's HTRU2
        comparison (Table 3, "C4.5").
    """
    _check_single_label("decision_tree", output_activation, num_outputs)
    if output_activation == "linear":
        return DecisionTreeRegressor(max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                                     random_state=seed)
    return DecisionTreeClassifier(criterion=criterion, max_depth=max_depth,
                                  min_samples_leaf=min_samples_leaf, random_state=seed)


def predict_outputs(estimator, x, task, num_outputs):
    """What a network with the same head would output, from a fitted estimator.

    Args:
        estimator: a fitted reference method of this module.
        x: float array (n, ...), flattened here.
        task: "multiclass", "binary" or "regression" (`snn.metrics.task_of`).
        num_outputs: the head's width (classes for "multiclass").

    Returns:
        float array (n, num_outputs): class scores in [0, 1] (a class absent from the
        training rows scores 0), or the regression predictions.
    """
    x = x.reshape(len(x), -1)
    if task == "regression":
        return np.asarray(estimator.predict(x), dtype=float).reshape(len(x), -1)
    classes = estimator.classes_.astype(int)
    if hasattr(estimator, "predict_proba"):
        scores = estimator.predict_proba(x)
    else:
        decision = estimator.decision_function(x)
        if decision.ndim == 1:  # two classes: the score of the second one
            decision = np.stack([-decision, decision], axis=1)
        scores = softmax(decision, axis=1) if task == "multiclass" else expit(decision)
    if task == "binary":
        column = scores[:, list(classes).index(1)] if 1 in classes else np.zeros(len(x))
        return column.reshape(-1, 1)
    outputs = np.zeros((len(x), num_outputs))
    outputs[:, classes] = scores
    return outputs
