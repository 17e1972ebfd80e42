"""Tests of skseq.model_selection."""

import pytest
from sklearn.datasets import load_iris
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from skseq.model_selection import compare_estimators


def test_table_scores_times_and_sorting():
    X, y = load_iris(return_X_y=True)
    models = {
        "dummy": DummyClassifier(strategy="most_frequent"),
        "logreg": LogisticRegression(max_iter=500),
    }
    table, fitted = compare_estimators(
        models,
        X[::2],
        y[::2],
        X[1::2],
        y[1::2],
        scoring={"accuracy": "accuracy"},
        sort_by="accuracy",
        return_estimators=True,
    )
    assert list(table.index) == ["logreg", "dummy"]
    assert table.loc["dummy", "accuracy"] == pytest.approx(1 / 3, abs=0.05)
    assert table.loc["logreg", "accuracy"] > 0.9
    assert (table["fit_time_s"] >= 0).all() and (table["predict_time_s"] >= 0).all()
    assert fitted["logreg"].coef_.shape == (3, 4)
    assert not hasattr(models["logreg"], "coef_")  # the inputs are cloned


def test_default_score_and_errors():
    X, y = load_iris(return_X_y=True)
    table = compare_estimators({"lr": LogisticRegression(max_iter=500)}, X, y, X, y)
    assert list(table.columns) == ["score", "fit_time_s", "predict_time_s"]
    with pytest.raises(ValueError, match="empty"):
        compare_estimators({}, X, y, X, y)
    with pytest.raises(ValueError, match="sort_by"):
        compare_estimators({"lr": LogisticRegression()}, X, y, X, y, sort_by="nope")
