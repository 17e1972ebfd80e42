"""Tests of skseq.ensemble."""

from typing import ClassVar

import numpy as np
import pytest
from _support import CountsFits
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from skseq import Conv1DActivityClassifier
from skseq.ensemble import FoldEnsembleClassifier


@parametrize_with_checks(
    [FoldEnsembleClassifier(LogisticRegression(max_iter=200), cv=3, random_state=0)]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_average_of_fold_probabilities():
    X, y = load_iris(return_X_y=True)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    ens = FoldEnsembleClassifier(LogisticRegression(max_iter=500), cv=cv).fit(X, y)
    assert len(ens.estimators_) == 4
    expected = np.mean([e.predict_proba(X) for e in ens.estimators_], axis=0)
    np.testing.assert_allclose(ens.predict_proba(X), expected)
    np.testing.assert_allclose(ens.predict_log_proba(X), np.log(expected))
    folds = [train for train, _ in cv.split(X, y)]
    for est, train in zip(ens.estimators_, folds):
        ref = LogisticRegression(max_iter=500).fit(X[train], y[train])
        np.testing.assert_allclose(est.coef_, ref.coef_)


def _sequences(n=40, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["a", "b"])[np.arange(n) % 2]
    X = rng.normal(size=(n, 16, 2))
    X[y == "b", :, 0] += np.sin(np.linspace(0, 6, 16))
    return X, y


def test_deep_fold_models_early_stop_on_their_held_out_fold():
    X, y = _sequences()
    base = Conv1DActivityClassifier(
        channels=(4,),
        kernel_size=3,
        head_units=4,
        max_epochs=3,
        patience=2,
        random_state=0,
    )
    ens = FoldEnsembleClassifier(
        base, cv=4, early_stopping_on_fold=True, random_state=0
    )
    ens.fit(X, y)
    for est in ens.estimators_:
        record = est.history_[-1]
        assert record["batches"][-1]["valid_batch_size"] == 10  # the held-out fold
    assert ens.predict(X).shape == (40,)
    assert set(ens.predict(X)) <= {"a", "b"}


def test_early_stopping_on_fold_refuses_a_validation_set_of_its_own():
    X, y = _sequences()
    ensemble = FoldEnsembleClassifier(
        Conv1DActivityClassifier(max_epochs=1), cv=2, early_stopping_on_fold=True
    )
    with pytest.raises(ValueError, match="pass one or the other"):
        ensemble.fit(X, y, validation_data=(X[:4], y[:4]))
    # the deep estimators' other form: refused by the ensemble, before any
    # fold model (it was the fold model's own "not both" message)
    with pytest.raises(ValueError, match="X_val and y_val were given, but early"):
        ensemble.fit(X, y, X_val=X[:4], y_val=y[:4])


def test_parallel_fits_match_sequential():
    X, y = _sequences()
    base = Conv1DActivityClassifier(
        channels=(4,),
        kernel_size=3,
        head_units=4,
        max_epochs=2,
        validation_fraction=None,
        random_state=0,
    )
    seq = FoldEnsembleClassifier(base, cv=2, random_state=0).fit(X, y)
    par = FoldEnsembleClassifier(base, cv=2, n_jobs=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(seq.predict_proba(X), par.predict_proba(X), rtol=1e-6)


def test_errors():
    X, y = _sequences()
    with pytest.raises(TypeError, match="early_stopping_on_fold"):
        FoldEnsembleClassifier(LogisticRegression(), early_stopping_on_fold=True).fit(
            X[:, :, 0], y
        )
    with pytest.raises(ValueError, match=r"(?i)inconsistent"):
        FoldEnsembleClassifier(LogisticRegression()).fit(X[:, :, 0], y[:-1])


def test_folds_that_cannot_be_fitted_are_refused_before_any_fit():
    from sklearn.model_selection import KFold

    X, y = load_iris(return_X_y=True)  # 50 of each class, sorted
    half = np.r_[np.zeros(75), np.ones(75)]
    even = np.arange(0, 150, 2)
    for cv, fit_params, match in [
        (KFold(3), {}, r"fold 1 lacks the classes \[0\]"),
        ([(np.arange(100), np.arange(100, 151))], {}, "not indices of the 150"),
        ([(np.arange(100), [])], {}, "no training or no held-out"),
        (KFold(2, shuffle=True, random_state=0), {"sample_weight": half}, None),
        ([(even, even + 1)], {"sample_weight": (np.arange(150) % 2.0)}, "zeros"),
    ]:
        ensemble = FoldEnsembleClassifier(CountsFits(max_iter=500), cv=cv)
        if match is None:  # a weighted fold that holds weight fits
            assert len(ensemble.fit(X, y, **fit_params).estimators_) == 2
            continue
        CountsFits.fits = 0
        with pytest.raises(ValueError, match=match):
            ensemble.fit(X, y, **fit_params)
        assert CountsFits.fits == 0 and not hasattr(ensemble, "estimators_")
    # boolean masks are splits too; cv=None is the default 5 shuffled folds
    mask = np.arange(150) % 3 > 0
    FoldEnsembleClassifier(LogisticRegression(max_iter=500), cv=[(mask, ~mask)]).fit(
        X, y
    )
    default = FoldEnsembleClassifier(LogisticRegression(), random_state=0)
    assert repr(default.set_params(cv=None)._splitter(y)) == repr(
        default.set_params(cv=5)._splitter(y)
    )


def test_a_single_sample_class_and_missing_labels_get_advice_that_can_be_followed():
    X, y = load_iris(return_X_y=True)
    y = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    y[0] = "lone"  # one sample: no cv puts it in every training part
    ensemble = FoldEnsembleClassifier(CountsFits(max_iter=500), cv=5)
    with pytest.raises(ValueError, match=r"\['lone'\] have a single sample"):
        ensemble.fit(X, y)
    y[0] = None  # a missing label failed in sorting with a TypeError
    with pytest.raises(ValueError, match="y contains missing values"):
        ensemble.fit(X, y)


def test_cv_without_splits_is_a_clear_error():
    X, y = _sequences()
    X = X[:, :, 0]
    splits = StratifiedKFold(3).split(X, y)  # a generator: one fit's worth
    ensemble = FoldEnsembleClassifier(LogisticRegression(), cv=splits)
    assert len(ensemble.fit(X, y).estimators_) == 3
    with pytest.raises(ValueError, match="cv gave no split"):
        ensemble.fit(X, y)
    assert not hasattr(ensemble, "estimators_")  # no model of the first fit left
    with pytest.raises(ValueError, match="cv gave no split"):
        FoldEnsembleClassifier(LogisticRegression(), cv=[]).fit(X, y)
    half = np.arange(len(y)) % 2 == 0
    not_pairs = [(np.flatnonzero(half), np.flatnonzero(~half)), (np.arange(3),)]
    with pytest.raises(ValueError, match=r"cv must give \(train, held_out\) pairs"):
        FoldEnsembleClassifier(LogisticRegression(), cv=not_pairs).fit(X, y)


def test_groups_keep_each_subject_in_one_fold():

    X, y = load_iris(return_X_y=True)
    subject = np.arange(len(y)) % 5  # five "subjects", each with every class
    ens = FoldEnsembleClassifier(LogisticRegression(max_iter=500), cv=GroupKFold(5))
    ens.fit(X, y, groups=subject)
    for est, (train, _) in zip(
        ens.estimators_, GroupKFold(5).split(X, y, groups=subject)
    ):
        ref = LogisticRegression(max_iter=500).fit(X[train], y[train])
        np.testing.assert_allclose(est.coef_, ref.coef_)
        assert len(np.unique(subject[train])) == 4  # one subject held out
    with pytest.raises(ValueError, match=r"fit\(X, y, groups=\.\.\.\)"):
        FoldEnsembleClassifier(LogisticRegression(), cv=GroupKFold(5)).fit(X, y)
    with pytest.raises(ValueError, match="groups"):
        FoldEnsembleClassifier(LogisticRegression(), cv=GroupKFold(5)).fit(
            X, y, groups=subject[:-1]
        )


def test_numpy_integer_cv_is_a_shuffled_stratified_k_fold():
    X, y = load_iris(return_X_y=True)

    def proba(cv, random_state):
        ens = FoldEnsembleClassifier(
            LogisticRegression(max_iter=500), cv=cv, random_state=random_state
        )
        return ens.fit(X, y).predict_proba(X)

    np.testing.assert_array_equal(proba(np.int64(3), 0), proba(3, 0))
    assert not np.allclose(proba(np.int64(3), 0), proba(np.int64(3), 1))


def test_sample_weight_reaches_a_pipeline_step_under_metadata_routing():
    import sklearn
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    weights = np.where(y == 2, 5.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        model = LogisticRegression(max_iter=500).set_fit_request(sample_weight=True)
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        pipe = make_pipeline(scaler, model)
        ens = FoldEnsembleClassifier(pipe, cv=3, random_state=0)
        weighted = ens.fit(X, y, sample_weight=weights).predict_proba(X)
        unweighted = ens.fit(X, y).predict_proba(X)
        ones = ens.fit(X, y, sample_weight=np.ones(len(y))).predict_proba(X)
    np.testing.assert_allclose(ones, unweighted)
    assert weighted[:, 2].mean() > unweighted[:, 2].mean()
    # without routing the Pipeline refuses the weights itself; nothing is kept
    ens = FoldEnsembleClassifier(make_pipeline(StandardScaler(), LogisticRegression()))
    with pytest.raises(ValueError, match="sample_weight"):
        ens.fit(X, y, sample_weight=weights)
    assert not hasattr(ens, "estimators_")


def test_score_request_of_the_ensemble_is_honoured():
    import sklearn
    from sklearn.base import clone
    from sklearn.model_selection import KFold, cross_validate

    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    y = (X[:, 0] + 0.5 * rng.randn(60) > 0).astype(int)
    weights = rng.rand(60) * (y == 1)  # the weighted score counts class 1 only
    with sklearn.config_context(enable_metadata_routing=True):
        inner = LogisticRegression().set_fit_request(sample_weight=True)
        ens = FoldEnsembleClassifier(inner, cv=2, random_state=0)
        ens.set_score_request(sample_weight=True)
        scores = cross_validate(
            ens, X, y, params={"sample_weight": weights}, cv=KFold(3)
        )["test_score"]
        # fit's weights go to the fold models only: the ensemble requests none
        with pytest.raises(AttributeError):
            ens.set_fit_request(sample_weight=True)
    fits = [
        (clone(ens).fit(X[train], y[train], sample_weight=weights[train]), test)
        for train, test in KFold(3).split(X)
    ]
    weighted = [e.score(X[t], y[t], sample_weight=weights[t]) for e, t in fits]
    np.testing.assert_allclose(scores, weighted)
    assert not np.allclose(scores, [e.score(X[t], y[t]) for e, t in fits])


def _fold_coefs(ens):
    return [est[-1].coef_ if hasattr(est, "steps") else est.coef_ for est in ens]


def test_metadata_routing_follows_the_estimators_request():
    import sklearn

    X, y = load_iris(return_X_y=True)
    weights = np.where(y == 2, 5.0, 1.0)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    folds = [train for train, _ in cv.split(X, y)]
    with sklearn.config_context(enable_metadata_routing=True):
        routing = FoldEnsembleClassifier(LogisticRegression(), cv=cv)
        routing = routing.get_metadata_routing()
        assert "estimator" in str(routing) and "splitter" in str(routing)
        requested = LogisticRegression(max_iter=500).set_fit_request(sample_weight=True)
        ens = FoldEnsembleClassifier(requested, cv=cv).fit(X, y, sample_weight=weights)
        for coef, train in zip(_fold_coefs(ens.estimators_), folds, strict=True):
            ref = LogisticRegression(max_iter=500)
            ref.fit(X[train], y[train], sample_weight=weights[train])
            np.testing.assert_allclose(coef, ref.coef_)
        # weights that nothing requests are an error, as in scikit-learn
        refused = LogisticRegression(max_iter=500).set_fit_request(sample_weight=False)
        with pytest.raises(TypeError, match="not routed"):
            FoldEnsembleClassifier(refused, cv=cv).fit(X, y, sample_weight=weights)
        # a generator of splits is read once, by fit (not by the routing)
        splits = (split for split in cv.split(X, y))
        ens = FoldEnsembleClassifier(requested, cv=splits)
        assert len(ens.fit(X, y, sample_weight=weights).estimators_) == 3
        # groups are routed to a group splitter
        subject = np.arange(len(y)) % 5
        ens = FoldEnsembleClassifier(LogisticRegression(max_iter=500), cv=GroupKFold(5))
        assert len(ens.fit(X, y, groups=subject).estimators_) == 5


def test_fit_params_reach_a_pipeline_step_per_fold():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    weights = np.where(y == 2, 5.0, 1.0)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    ens = FoldEnsembleClassifier(pipe, cv=cv)
    ens.fit(X, y, logisticregression__sample_weight=weights)
    for coef, (train, _) in zip(_fold_coefs(ens.estimators_), cv.split(X, y)):
        ref = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        ref.fit(X[train], y[train], logisticregression__sample_weight=weights[train])
        np.testing.assert_allclose(coef, ref[-1].coef_)


def test_feature_names_of_a_dataframe_fit():
    X, y = load_iris(return_X_y=True, as_frame=True)
    ens = FoldEnsembleClassifier(LogisticRegression(max_iter=500), cv=3).fit(X, y)
    np.testing.assert_array_equal(ens.feature_names_in_, X.columns)
    for est in ens.estimators_:
        np.testing.assert_array_equal(est.feature_names_in_, X.columns)
    with pytest.raises(ValueError, match="feature names should match"):
        ens.predict(X[X.columns[::-1]])
    assert not hasattr(ens.fit(X.to_numpy(), y), "feature_names_in_")
    assert not any(hasattr(est, "feature_names_in_") for est in ens.estimators_)


class _RecordsThreads(LogisticRegression):
    """Logistic regression recording the thread of each fit and how many fits
    run at once (class-wide)."""

    threads: ClassVar[list] = []
    running = 0
    most_at_once = 0

    def fit(self, X, y, sample_weight=None):
        import threading
        import time

        cls = type(self)
        cls.threads.append(threading.get_ident())
        cls.running += 1
        cls.most_at_once = max(cls.most_at_once, cls.running)
        time.sleep(0.05)
        try:
            return super().fit(X, y, sample_weight=sample_weight)
        finally:
            cls.running -= 1


def test_folds_are_not_fitted_in_threads_that_would_share_torchs_rng():
    # nested in a loky worker (cross_val_score(n_jobs=2)) joblib ran the folds
    # in threads: deep fold models then shared torch's RNG and scored
    # differently at every run
    from joblib import parallel_backend

    X, y = load_iris(return_X_y=True)
    ensemble = FoldEnsembleClassifier(_RecordsThreads(max_iter=500), cv=4, n_jobs=2)
    with parallel_backend("threading"):
        ensemble.fit(X, y)
    assert _RecordsThreads.most_at_once == 1 and len(_RecordsThreads.threads) == 4


def test_parallel_folds_see_scikit_learns_configuration():
    # n_jobs=2 ran the folds with joblib's Parallel, which does not pass
    # scikit-learn's configuration: with metadata routing on, the routed
    # sample_weight reached a Pipeline.fit that refused it
    import sklearn
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    weight = np.linspace(0.5, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        model = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            LogisticRegression(max_iter=500).set_fit_request(sample_weight=True),
        )
        fitted = [
            FoldEnsembleClassifier(model, cv=2, n_jobs=n_jobs, random_state=0)
            .fit(X, y, sample_weight=weight)
            .predict_proba(X)
            for n_jobs in (1, 2)
        ]
    np.testing.assert_allclose(fitted[0], fitted[1])
