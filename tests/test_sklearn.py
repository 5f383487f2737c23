"""The scikit-learn estimators: scikit-learn's own checks, pipelines, searches."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.estimator_checks import parametrize_with_checks

from snn.sklearn import SNNClassifier, SNNRegressor, expected_failed_checks


@parametrize_with_checks([SNNClassifier(random_state=0), SNNRegressor(random_state=0)],
                         expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_cross_val_score_of_a_pipeline_on_a_real_table(shared_data):
    table = pd.read_csv(shared_data / "tabular" / "penguins.csv")
    x, y = table.drop(columns="species"), table["species"]
    numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
    pipeline = make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="most_frequent"),
                           OneHotEncoder(handle_unknown="ignore")), ["island", "sex"]),
            (SimpleImputer(), numeric)),
        SNNClassifier(random_state=0))
    scores = cross_val_score(pipeline, x, y, cv=3)
    # The species follow from the bill and flipper measurements almost without error
    # (README: 1.000 on a 69-row test split); 0.95 leaves room for 2 of 115 rows per fold.
    assert scores.min() >= 0.95, scores


def test_a_table_with_text_columns_and_missing_cells_fits_as_it_is(shared_data):
    # penguins: text columns island and sex, 11 missing sex, 2 rows without measurements.
    table = pd.read_csv(shared_data / "tabular" / "penguins.csv")
    x, y = table.drop(columns="species"), table["species"]
    scores = cross_val_score(SNNClassifier(random_state=0), x, y, cv=3)
    assert scores.min() >= 0.95, scores  # as for the pipeline above
    model = SNNClassifier(epochs=5, random_state=0).fit(x, y)
    assert list(model.feature_names_in_) == list(x.columns)
    assert model.preprocessing_.encoder.categorical == ["island", "sex"]
    # An island not seen in training encodes as no island at all: the same rows with
    # every island indicator set to 0 by hand.
    rows = x.head(3)
    encoder = model.preprocessing_.encoder
    by_hand = encoder.apply(rows)
    by_hand[:, [i for i, name in enumerate(encoder.encoded_names)
                if name.startswith("island_")]] = 0.0
    np.testing.assert_allclose(
        model.predict_proba(rows.assign(island="Anvers")),
        model.model_.predict(model.preprocessing_.inputs.apply(by_hand), verbose=0),
        rtol=1e-5)
    with pytest.raises(ValueError, match="fitted on a DataFrame with text columns"):
        model.predict(x.to_numpy())
    with pytest.raises(ValueError, match="column name 0 is not a string"):
        SNNClassifier().fit(pd.DataFrame(x.to_numpy()), y)


def test_missing_values_are_filled_with_the_training_mean():
    x, y = load_iris(return_X_y=True)
    x = x.copy()
    x[::15, 2] = np.nan  # 10 cells
    model = SNNClassifier(epochs=5, random_state=0).fit(x, y)
    filled = x.copy()
    filled[::15, 2] = np.nanmean(x[:, 2])
    np.testing.assert_allclose(model.predict_proba(x), model.predict_proba(filled),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="infinity"):
        model.predict(np.where(np.isnan(x), np.inf, x))


def test_grid_search_refits_the_best_setting():
    x, y = load_iris(return_X_y=True)
    search = GridSearchCV(SNNClassifier(epochs=20, random_state=0),
                          {"learning_rate": [0.001, 0.05]}, cv=3).fit(x, y)
    assert search.best_params_ == {"learning_rate": 0.05}
    assert list(search.best_estimator_.classes_) == [0, 1, 2]
    assert search.best_estimator_.score(x, y) > 0.9


def test_regression_targets_of_any_scale_give_the_same_fit():
    # Targets are standardized before training: scaling them by 1,000 and shifting them
    # scales and shifts the predictions the same way (float32 rounding aside).
    x, y = load_diabetes(return_X_y=True)
    small = SNNRegressor(random_state=0).fit(x, y).predict(x)
    large = SNNRegressor(random_state=0).fit(x, 1000 * y + 50_000).predict(x)
    np.testing.assert_allclose(large, 1000 * small + 50_000, rtol=1e-4)


def test_class_labels_of_any_type_come_back_as_given():
    x, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = SNNClassifier(epochs=20, random_state=0).fit(x, names)
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
    assert set(model.predict(x)) <= set(model.classes_)
    with pytest.raises(ValueError):
        model.predict(x[:, :3])  # fewer features than in fit
