"""Tests of skseq.model_selection."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator
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
    for name, est in fitted.items():  # the scores of the returned models
        accuracy = np.mean(est.predict(X[1::2]) == y[1::2])
        assert table.loc[name, "accuracy"] == pytest.approx(accuracy)
    assert table.loc["dummy", "accuracy"] == pytest.approx(1 / 3, abs=0.05)
    assert table.loc["logreg", "accuracy"] > 0.9
    times = table[["fit_time_s", "predict_time_s"]].to_numpy()
    assert np.isfinite(times).all() and (times >= 0).all()
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


def test_forecasts_scored_per_lead():
    import numpy as np

    from skseq.baselines import PersistenceForecaster
    from skseq.metrics import mae
    from skseq.model_selection import compare_forecasts_by_lead

    rng = np.random.default_rng(0)
    frames = rng.random((30, 5, 6)).cumsum(axis=0)  # a drifting field
    X = np.stack([frames[i : i + 3] for i in range(24)])
    y = np.stack([frames[i + 3 : i + 6] for i in range(24)])
    table, fitted = compare_forecasts_by_lead(
        {"persistence": PersistenceForecaster()},
        X[:12],
        y[:12],
        X[12:],
        y[12:],
        metrics={"MAE": mae},
        return_estimators=True,
    )
    expected = np.abs(y[12:] - X[12:, -1:]).mean(axis=(0, 2, 3))
    np.testing.assert_allclose(table["MAE"].loc["persistence"].to_numpy(), expected)
    assert list(table["MAE"].columns) == [1, 2, 3]
    times = table.loc["persistence", ["fit_time_s", "predict_time_s"]].to_numpy()
    assert np.isfinite(times.astype(float)).all() and (times >= 0).all()
    assert list(fitted) == ["persistence"]
    np.testing.assert_array_equal(
        fitted["persistence"].predict(X[12:]),
        np.repeat(X[12:, -1:].astype(np.float32), 3, axis=1),
    )
    two = compare_forecasts_by_lead(
        {"p": PersistenceForecaster()}, X, y, X, y, metrics={"MAE": mae}, n_steps=2
    )
    assert list(two["MAE"].columns) == [1, 2]
    with pytest.raises(ValueError, match="n_steps"):
        compare_forecasts_by_lead(
            {"p": PersistenceForecaster()}, X, y, X, y, metrics={"MAE": mae}, n_steps=4
        )
    with pytest.raises(TypeError, match="n_steps must be an integer"):
        compare_forecasts_by_lead(
            {"p": PersistenceForecaster()},
            X,
            y,
            X,
            y,
            metrics={"MAE": mae},
            n_steps=2.7,
        )
    with pytest.raises(ValueError, match="y_test"):
        compare_forecasts_by_lead(
            {"p": PersistenceForecaster()}, X, y, X, y[:, 0], metrics={"MAE": mae}
        )


class _OneFrameForecaster(BaseEstimator):
    """Without ``predict_sequence``; fitted on one frame per sample, its
    ``predict`` returns ``(n, H, W)``: the last input frame plus 1."""

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.asarray(X)[:, -1] + 1.0


def test_forecasts_by_lead_of_a_one_frame_predict():
    from skseq.metrics import mae
    from skseq.model_selection import compare_forecasts_by_lead

    rng = np.random.default_rng(0)
    X, y = rng.random((6, 3, 4, 5)), rng.random((6, 2, 4, 5))
    table = compare_forecasts_by_lead(
        {"one": _OneFrameForecaster()}, X, y[:, 0], X, y[:, :1], metrics={"MAE": mae}
    )
    expected = np.abs(y[:, 0] - (X[:, -1] + 1)).mean()
    assert table[("MAE", 1)].loc["one"] == pytest.approx(expected)
    import torch  # a tensor that requires grad: numpy cannot read it directly

    y_test = torch.tensor(y[:, :1], requires_grad=True)
    table = compare_forecasts_by_lead(
        {"one": _OneFrameForecaster()}, X, y[:, 0], X, y_test, metrics={"MAE": mae}
    )
    assert table[("MAE", 1)].loc["one"] == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"'one' has no predict_sequence .* n_steps=2"):
        compare_forecasts_by_lead(
            {"one": _OneFrameForecaster()}, X, y[:, 0], X, y, metrics={"MAE": mae}
        )
