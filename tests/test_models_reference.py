"""The scikit-learn reference methods: outputs, training through configs, safe saving."""

import numpy as np
import pytest
import skops.io
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.svm import SVC

from snn import runs
from snn.config import parse_config
from snn.data import Standardization
from snn.errors import ConfigError, DataError
from snn.models import build_model
from snn.models.reference import predict_outputs
from snn.training import evaluate, train


def _blobs(classes=3, n=90):
    rng = np.random.default_rng(0)
    y = np.arange(n) % classes
    return (rng.standard_normal((n, 4)) + y[:, None]).astype("float32"), y


def test_binary_svm_outputs_are_the_logistic_of_its_decision_function():
    x, y = _blobs(classes=2)
    svm = build_model("svm", input_shape=(4,), num_outputs=1, output_activation="sigmoid")
    svm.fit(x, y)
    outputs = predict_outputs(svm, x, "binary", 1)
    np.testing.assert_allclose(outputs[:, 0], expit(svm.decision_function(x)))
    assert np.array_equal((outputs[:, 0] >= 0.5).astype(int), svm.predict(x))


@pytest.mark.parametrize("name", ["svm", "random_forest", "gradient_boosting", "naive_bayes",
                                  "decision_tree"])
def test_a_class_missing_from_training_scores_zero_in_its_column(name):
    x, y = _blobs(classes=3)
    model = build_model(name, input_shape=(4,), num_outputs=4, seed=0)
    model.fit(x, y)  # classes 0, 1, 2 only; the head has 4
    outputs = predict_outputs(model, x, "multiclass", 4)
    assert outputs.shape == (90, 4) and np.all(outputs[:, 3] == 0)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-6)  # float32 inputs
    assert np.mean(outputs.argmax(axis=1) == model.predict(x)) > 0.95


def test_naive_bayes_scores_are_the_posterior_of_per_class_normal_densities():
    # Bayes' rule by hand: class prior times the product of per-feature normal densities
    # with each class's mean and (biased) variance, normalized over the classes.
    from scipy.stats import norm

    x, y = _blobs(classes=3)
    model = build_model("naive_bayes", input_shape=(4,), num_outputs=3, var_smoothing=0.0)
    outputs = predict_outputs(model.fit(x, y), x, "multiclass", 3)
    joint = np.stack([np.mean(y == c) * norm.pdf(x, x[y == c].mean(0),
                                                  x[y == c].std(0)).prod(axis=1)
                      for c in range(3)], axis=1)
    np.testing.assert_allclose(outputs, joint / joint.sum(axis=1, keepdims=True), rtol=1e-5)


def test_naive_bayes_refuses_regression():
    with pytest.raises(ConfigError, match="naive_bayes classifies"):
        build_model("naive_bayes", input_shape=(4,), num_outputs=1,
                    output_activation="linear")


def test_the_decision_trees_first_split_maximizes_information_gain():
    # Feature 0 agrees with the class on about 90% of the rows, feature 1 on about 70%:
    # the information gain computed here (entropy, C4.5's criterion) is larger for
    # feature 0, so the root splits on it; the root's impurity is the labels' entropy.
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 100)
    x = np.stack([np.where(rng.random(200) < 0.9, y, 1 - y),
                  np.where(rng.random(200) < 0.7, y, 1 - y)], axis=1).astype("float32")

    def entropy(labels):
        p = np.bincount(labels, minlength=2) / len(labels)
        return -sum(q * np.log2(q) for q in p if q > 0)

    gains = [entropy(y) - sum(np.mean(x[:, f] == v) * entropy(y[x[:, f] == v])
                              for v in (0, 1)) for f in (0, 1)]
    tree = build_model("decision_tree", input_shape=(2,), num_outputs=2, max_depth=1,
                       seed=0).fit(x, y)
    assert tree.tree_.feature[0] == int(np.argmax(gains)) == 0
    np.testing.assert_allclose(tree.tree_.impurity[0], entropy(y))  # in bits


def test_multi_label_data_is_refused():
    with pytest.raises(ConfigError, match="svm predicts one label per example"):
        build_model("svm", input_shape=(4,), num_outputs=12, output_activation="sigmoid")


def test_an_svm_trains_through_a_config_and_matches_scikit_learn(tmp_path):
    config = parse_config({
        "name": "bc", "data": {"source": "sklearn", "name": "breast_cancer"},
        "model": {"name": "svm", "C": 2.0, "output_activation": "sigmoid"},
        "evaluation": {"protocol": "kfold", "folds": 3}})
    metrics = train(config, tmp_path / "run", verbose=0)
    assert metrics["epochs_run"] == 0 and len(metrics["folds"]) == 3
    # Refit by hand on fold 2's saved rows and standardization: the same AUC.
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    fold = tmp_path / "run" / "fold_2"
    splits = np.load(fold / "splits.npz")
    scale = Standardization.load(fold / "standardization.npz")
    svm = SVC(C=2.0).fit(scale.apply(x[splits["train"]].astype("float32")), y[splits["train"]])
    expected = roc_auc_score(y[splits["test"]], svm.decision_function(
        scale.apply(x[splits["test"]].astype("float32"))))
    assert metrics["folds"][1]["test"]["auc"] == pytest.approx(expected, abs=1e-9)
    assert (fold / "model.skops").is_file() and not (fold / "model.keras").exists()
    assert evaluate(tmp_path / "run") == metrics["test"]


@pytest.mark.parametrize("name, arguments", [("random_forest", {"n_estimators": 10}),
                                             ("gradient_boosting", {"max_iter": 10}),
                                             ("decision_tree", {}), ("naive_bayes", {})])
def test_a_tree_ensemble_reloads_with_identical_predictions(tmp_path, name, arguments):
    x, y = _blobs()
    trees = build_model(name, input_shape=(4,), num_outputs=3, seed=0, **arguments).fit(x, y)
    skops.io.dump(trees, tmp_path / "model.skops")
    loaded = runs.load_model(tmp_path / "model.skops")
    assert np.array_equal(loaded.predict_proba(x), trees.predict_proba(x))


def test_gradient_boosting_grows_every_tree_it_is_asked_for_as_scikit_learn_does():
    # Its own early stopping is off: the protocol's validation rows choose, as for the
    # networks. The same arguments in scikit-learn give the same predictions.
    x, y = _blobs()
    ours = build_model("gradient_boosting", input_shape=(4,), num_outputs=3, max_iter=30,
                       learning_rate=0.05, seed=0).fit(x, y)
    assert ours.n_iter_ == 30
    theirs = HistGradientBoostingClassifier(max_iter=30, learning_rate=0.05,
                                            early_stopping=False).fit(x, y)
    np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x))


class _Untrusted:
    """A type no safe loader may construct from a file."""


def test_a_skops_file_with_an_untrusted_type_is_refused(tmp_path):
    skops.io.dump({"payload": _Untrusted()}, tmp_path / "model.skops")
    with pytest.raises(DataError, match="cannot load the model safely"):
        runs.load_model(tmp_path / "model.skops")


def test_cli_trains_a_random_forest_and_refuses_to_audit_it(tmp_path, snn_cli):
    config = tmp_path / "rf.yaml"
    config.write_text("name: rf\ndata: {source: sklearn, name: wine}\n"
                      "model: {name: random_forest, n_estimators: 20}\n")
    result = snn_cli("train", config, "--run-dir", tmp_path / "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "fitted in" in result.stdout
    result = snn_cli("audit", config, cwd=tmp_path)
    assert result.returncode == 2
    assert "model.name: 'random_forest' is not a neural network" in result.stderr
