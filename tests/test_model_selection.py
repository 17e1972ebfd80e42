"""Tests of skseq.model_selection."""

import numpy as np
import pytest
from _support import CountsFits
from sklearn.base import BaseEstimator
from sklearn.datasets import load_iris
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer

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


class _TwoLeadForecaster(BaseEstimator):
    """Without ``predict_sequence``: ``(n, 2, H, W)``, the last input frame
    plus 1 and plus 2."""

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.asarray(X)[:, -1:] + np.array([1.0, 2.0])[:, None, None]


def test_forecasts_by_lead_add_a_one_channel_axis_without_predict_sequence():
    from skseq.metrics import mae
    from skseq.model_selection import compare_forecasts_by_lead

    # y_test with a one-channel axis the forecasts lack: a 4D forecast was
    # taken for one frame and refused (a 3D one too)
    rng = np.random.default_rng(0)
    X, y = rng.random((6, 3, 4, 5)), rng.random((6, 2, 4, 5))
    for model, y_train, n_steps in (
        (_TwoLeadForecaster(), y, 2),
        (_OneFrameForecaster(), y[:, 0], 1),
    ):
        table = compare_forecasts_by_lead(
            {"m": model},
            X,
            y_train,
            X,
            y[:, :, None],
            metrics={"MAE": mae},
            n_steps=n_steps,
        )
        plain = compare_forecasts_by_lead(
            {"m": model}, X, y_train, X, y, metrics={"MAE": mae}, n_steps=n_steps
        )
        np.testing.assert_allclose(table["MAE"].to_numpy(), plain["MAE"].to_numpy())


def test_scoring_forms_and_errors_before_any_fit():
    X, y = load_iris(return_X_y=True)
    models = {"lr": CountsFits(max_iter=500)}
    listed = compare_estimators(models, X, y, X, y, scoring=["accuracy", "f1_macro"])
    assert list(listed.columns) == [
        "accuracy",
        "f1_macro",
        "fit_time_s",
        "predict_time_s",
    ]

    def two_scores(est, X, y):  # a multimetric callable, as cross_validate takes
        return {"acc": est.score(X, y), "half": est.score(X, y) / 2}

    table = compare_estimators(models, X, y, X, y, scoring=two_scores, sort_by="half")
    assert table.loc["lr", "half"] == pytest.approx(table.loc["lr", "acc"] / 2)
    assert table.loc["lr", "acc"] == listed.loc["lr", "accuracy"]
    CountsFits.fits = 0
    for kwargs, error, match in [
        ({"scoring": {"fit_time_s": "accuracy"}}, ValueError, "keeps for its times"),
        ({"scoring": {}}, ValueError, "scoring is empty"),
        ({"scoring": "acuracy"}, ValueError, "acuracy"),
        ({"scoring": ["accuracy", 3]}, ValueError, "scorer names"),
        ({"sort_by": "acuracy"}, ValueError, "sort_by"),
        # a name twice (a dict kept one column), as cross_validate refuses it
        ({"scoring": ["accuracy", "accuracy"]}, ValueError, "more than once"),
        # scikit-learn's scorers give one column each: checked before a fit
        (
            {"scoring": {"acc": get_scorer("accuracy")}, "sort_by": "accuracy"},
            ValueError,
            "sort_by",
        ),
    ]:
        with pytest.raises(error, match=match):
            compare_estimators(models, X, y, X, y, **kwargs)
    assert CountsFits.fits == 0
    clash = lambda est, X, y: {"predict_time_s": 1.0}  # noqa: E731
    with pytest.raises(ValueError, match="keeps for its times"):
        compare_estimators(models, X, y, X, y, scoring=clash)


class _ThreeChannels(BaseEstimator):
    """Forecasts three channels whatever it was fitted on."""

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict_sequence(self, X, n_steps):
        return np.zeros((len(X), n_steps, 3, *np.shape(X)[-2:]))


def test_forecasts_by_lead_with_channels_and_checked_metrics():
    from skseq.baselines import PersistenceForecaster
    from skseq.metrics import mae
    from skseq.model_selection import compare_forecasts_by_lead

    rng = np.random.default_rng(0)
    X, y = rng.random((6, 3, 2, 4, 5)), rng.random((6, 2, 2, 4, 5))
    persistence = {"p": PersistenceForecaster()}
    table = compare_forecasts_by_lead(persistence, X, y, X, y, metrics={"MAE": mae})
    expected = np.abs(y - X[:, -1:]).mean(axis=(0, 2, 3, 4))
    np.testing.assert_allclose(table["MAE"].loc["p"].to_numpy(), expected, rtol=1e-6)
    # one channel: a 5D forecast is compared with 4D frames, and the reverse
    one = X[:, :, :1]
    by_4d = compare_forecasts_by_lead(
        persistence, one, y[:, :, 0], one, y[:, :, 0], metrics={"MAE": mae}
    )
    by_5d = compare_forecasts_by_lead(
        persistence,
        one[:, :, 0],
        y[:, :, :1],
        one[:, :, 0],
        y[:, :, :1],
        metrics={"MAE": mae},
    )
    np.testing.assert_allclose(by_4d["MAE"].to_numpy(), by_5d["MAE"].to_numpy())
    with pytest.raises(ValueError, match="'p' forecast frames of shape"):
        compare_forecasts_by_lead(
            {"p": _ThreeChannels()}, X, y, X, y, metrics={"MAE": mae}
        )
    # a metric must give one value per lead; checks come before any fit
    overall = {"m": lambda a, b, axis=None: float(np.mean(np.abs(a - b)))}
    with pytest.raises(ValueError, match=r"expected one value per lead, \(2,\)"):
        compare_forecasts_by_lead(persistence, X, y, X, y, metrics=overall)
    CountsFits.fits = 0
    models = {"counted": CountsFits()}
    for metrics, error, match in [
        ({"MAE": "mae"}, TypeError, "must be a callable"),
        ({"fit_time_s": mae}, ValueError, "keeps for its times"),
        ({}, ValueError, "non-empty mapping"),
    ]:
        with pytest.raises(error, match=match):
            compare_forecasts_by_lead(models, X, y, X, y, metrics=metrics)
    with pytest.raises(ValueError, match="fewer than n_steps=2"):
        compare_forecasts_by_lead(models, X, y[:, 0, 0], X, y, metrics={"MAE": mae})
    # y_test and the metrics' calls are checked before any fit too
    y_nan = y.copy()
    y_nan[0, 0, 0, 0, 0] = np.nan
    no_axis = {"m": lambda a, b: float(np.mean(np.abs(a - b)))}
    for kwargs, error, match in [
        ({"y_test": y_nan}, ValueError, "y_test contains NaN"),
        ({"y_test": y.astype(str)}, TypeError, "y_test has dtype"),
        ({"metrics": no_axis}, TypeError, r"metrics\['m'\] must take an axis"),
        ({"metrics": overall}, ValueError, "one value per lead"),
    ]:
        call = {"y_test": y, "metrics": {"MAE": mae}, **kwargs}
        with pytest.raises(error, match=match):
            compare_forecasts_by_lead(models, X, y, X, **call)
    assert CountsFits.fits == 0
    as_list = [PersistenceForecaster()]
    with pytest.raises(TypeError, match="estimators must be a mapping"):
        compare_estimators(as_list, X, y, X, y)
    with pytest.raises(TypeError, match="estimators must be a mapping"):
        compare_forecasts_by_lead(as_list, X, y, X, y, metrics={"MAE": mae})


class _FailsToFit(BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("boom")

    def score(self, X, y):
        return 0.0


def test_errors_name_the_model_and_clashing_columns_are_refused():
    import sys

    X, y = load_iris(return_X_y=True)
    with pytest.raises(RuntimeError, match="boom") as info:
        compare_estimators(
            {"logreg": LogisticRegression(max_iter=500), "broken": _FailsToFit()},
            X,
            y,
            X,
            y,
        )
    if sys.version_info >= (3, 11):  # exception notes
        assert "while fitting the model 'broken'" in "".join(info.value.__notes__)
    with pytest.raises(ValueError, match="give a column named 'accuracy'"):
        compare_estimators(
            {"logreg": LogisticRegression(max_iter=500)},
            X,
            y,
            X,
            y,
            scoring={"mine": lambda e, X, y: {"accuracy": 1.0}, "accuracy": "accuracy"},
        )


class _ReverseOrderSet(frozenset):
    """A set that iterates in reverse sorted order (a set's order is arbitrary)."""

    def __iter__(self):
        return iter(sorted(frozenset.__iter__(self), reverse=True))


def test_scoring_as_a_set_gives_sorted_columns():
    X, y = load_iris(return_X_y=True)
    table = compare_estimators(
        {"logreg": LogisticRegression(max_iter=500)},
        X,
        y,
        X,
        y,
        scoring=_ReverseOrderSet({"recall_macro", "accuracy", "f1_macro"}),
    )
    assert list(table.columns[:3]) == ["accuracy", "f1_macro", "recall_macro"]


def test_forecasts_by_lead_refuse_mismatched_test_samples_before_fitting():
    from skseq.baselines import PersistenceForecaster
    from skseq.metrics import mae
    from skseq.model_selection import compare_forecasts_by_lead

    X = np.random.default_rng(0).random((8, 3, 5, 5))
    y = np.random.default_rng(1).random((8, 2, 5, 5))
    # the up-front check, not the later mismatch of the forecast's shape
    with pytest.raises(ValueError, match="X_test holds 3 samples and y_test 8"):
        compare_forecasts_by_lead(
            {"p": PersistenceForecaster()}, X, y, X[:3], y, metrics={"MAE": mae}
        )


@pytest.mark.parametrize("part", ["train", "test"])
def test_mismatched_samples_are_refused_before_any_fit(part):
    from skseq.baselines import PersistenceForecaster
    from skseq.metrics import mae
    from skseq.model_selection import compare_forecasts_by_lead

    X, y = load_iris(return_X_y=True)
    data = {"train": [X, y], "test": [X, y]}
    data[part][1] = y[:-2]
    CountsFits.fits = 0
    # the arguments' names, not a note blaming the first model's fit
    message = f"X_{part} holds 150 samples and y_{part} 148"
    with pytest.raises(ValueError, match=message):
        compare_estimators({"lr": CountsFits()}, *data["train"], *data["test"])
    assert CountsFits.fits == 0
    if part == "train":
        frames = np.random.default_rng(0).random((8, 3, 5, 5))
        targets = np.random.default_rng(1).random((8, 2, 5, 5))
        with pytest.raises(ValueError, match="X_train holds 8 samples and y_train 6"):
            compare_forecasts_by_lead(
                {"p": PersistenceForecaster()},
                frames,
                targets[:6],
                frames,
                targets,
                metrics={"MAE": mae},
            )
