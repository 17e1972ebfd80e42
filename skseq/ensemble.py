"""Cross-validation fold ensembles (stratified K-fold models, averaged)."""

from __future__ import annotations

import inspect
from numbers import Integral
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from joblib.parallel import get_active_backend
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metadata_routing import (
    UNUSED,
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_method_params,
    _num_samples,
    check_is_fitted,
    column_or_1d,
    indexable,
)

from skseq.base import (
    check_sample_weight,
    input_layout,
    unfitted_on_error,
    with_layout,
)
from skseq.utils.validation import (
    check_class_labels,
    check_same_length,
    split_with_groups,
)

if TYPE_CHECKING:  # annotations only
    from collections.abc import Iterable

    from numpy.typing import ArrayLike
    from sklearn.model_selection import BaseCrossValidator, BaseShuffleSplit
    from typing_extensions import Self

__all__ = ["FoldEnsembleClassifier"]


def _fit_takes(estimator, name: str, *, or_any: bool = False) -> bool:
    """Whether ``estimator.fit`` has a parameter ``name`` (a capability);
    with ``or_any``, also when it takes ``**params`` (a ``Pipeline`` or
    another meta-estimator, which routes them or refuses them itself)."""
    parameters = inspect.signature(estimator.fit).parameters
    if name in parameters:
        return True
    return or_any and any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def _fit_fold(estimator, X, y, train, valid, early_stopping_on_fold, fit_params):
    """Fit one clone on ``train``; optionally validate on the held-out fold.

    ``fit_params`` are the fold model's ``fit`` parameters for all samples:
    those with one value per sample (``sample_weight``) are indexed by
    ``train``, the others passed as they are.
    """
    est = clone(estimator)
    X_train, y_train = _safe_indexing(X, train), y[train]
    kwargs = _check_method_params(X, fit_params, indices=train)
    if early_stopping_on_fold:
        kwargs["validation_data"] = (_safe_indexing(X, valid), y[valid])
    return est.fit(X_train, y_train, **kwargs)


def _checked_splits(splits, y, sample_weight) -> list:
    """``splits`` as index arrays, refused before any fold model is fitted
    where a fold cannot be: indices out of range, a training part lacking a
    class or weighing nothing, an empty held-out part."""
    n_samples, classes = len(y), np.unique(y)
    checked = []
    for k, (train, valid) in enumerate(splits, start=1):
        parts = []
        for part in (train, valid):
            part = np.asarray(part)
            if part.dtype == bool and part.shape == (n_samples,):
                part = np.flatnonzero(part)
            if part.size and (
                part.dtype.kind not in "iu" or part.min() < 0 or part.max() >= n_samples
            ):
                raise ValueError(
                    f"Split {k} of cv is not indices of the {n_samples} samples "
                    f"(integers from 0 to {n_samples - 1})."
                )
            parts.append(part)
        train, valid = parts
        if len(train) == 0 or len(valid) == 0:
            raise ValueError(f"Split {k} of cv has no training or no held-out sample.")
        missing = np.setdiff1d(classes, y[train])
        if missing.size:
            single = [c for c in missing.tolist() if np.count_nonzero(y == c) == 1]
            advice = (
                f"{single} have a single sample, which no cv can put in every "
                "training part: give each class at least 2 samples, or drop or "
                "merge these"
                if single
                else "use a stratified cv with fewer folds than the smallest "
                "class has samples"
            )
            raise ValueError(
                f"The training part of fold {k} lacks the classes {missing.tolist()}, "
                f"so its model could not predict them; {advice}."
            )
        if sample_weight is not None and not sample_weight[train].sum() > 0:
            raise ValueError(
                f"The sample_weight of fold {k}'s training part is all zeros."
            )
        checked.append((train, valid))
    return checked


class FoldEnsembleClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Average the probabilities of one classifier fitted per CV fold.

    The recipe of a third-placed IMU activity-contest model: stratified K-fold cross-validation whose
    K fold models are all kept and whose ``predict_proba`` are averaged. Each
    fold model is a clone of ``estimator`` fitted on the fold's training part;
    with ``early_stopping_on_fold=True`` (skseq deep estimators only) the
    held-out part of the fold is the validation set that skorch's early
    stopping monitors, so no training data is wasted on a separate split.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn or skseq classifier with ``predict_proba``.
    cv : int, cross-validation generator, iterable or None, default=5
        Folds, as in :func:`sklearn.model_selection.cross_validate`; an int
        means :class:`~sklearn.model_selection.StratifiedKFold` (shuffled with
        ``random_state``), None the default 5. Every fold's training part
        must hold every class (checked before any fold model is fitted).
    early_stopping_on_fold : bool, default=False
        Use each fold's held-out part as skorch's validation set (needs an
        skseq deep estimator): its ``valid_loss`` is recorded, and with the
        deep classifiers' default ``patience="auto"`` it stops each fold
        model early and restores its best epoch.
    n_jobs : int or None, default=None
        Folds fitted in parallel with joblib's active backend (processes by
        default; scikit-learn's configuration, e.g. metadata routing, is
        passed on to them). Under a
        thread-based joblib backend -- which joblib also chooses for a
        ``Parallel`` nested in another's worker, as in
        ``cross_val_score(FoldEnsembleClassifier(..., n_jobs=2), n_jobs=2)``
        -- the folds are fitted one after another: fits in threads of one
        process would share torch's random state and differ from run to run.
    random_state : int or None, default=None
        Shuffling of the default ``StratifiedKFold``.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted fold models.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
        Taken from the first fold model when it has one.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Taken from the first fold model when it has them (``X`` a DataFrame
        with string column names).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skseq.ensemble import FoldEnsembleClassifier
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> ens = FoldEnsembleClassifier(LogisticRegression(max_iter=500), cv=3)
    >>> ens.fit(X, y).predict_proba(X[:2]).shape
    (2, 3)
    """

    # fit's metadata are routed to the fold models and the splitter, never
    # used by the ensemble itself; score's sample_weight is its own
    __metadata_request__fit: ClassVar[dict] = {
        "sample_weight": UNUSED,
        "groups": UNUSED,
    }

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "cv": ["cv_object"],
        "early_stopping_on_fold": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: BaseEstimator,
        cv: int
        | BaseCrossValidator
        | BaseShuffleSplit
        | Iterable[tuple[ArrayLike, ArrayLike]]
        | None = 5,
        early_stopping_on_fold: bool = False,
        n_jobs: int | None = None,
        random_state: int | None = None,
    ):
        self.estimator = estimator
        self.cv = cv
        self.early_stopping_on_fold = early_stopping_on_fold
        self.n_jobs = n_jobs
        self.random_state = random_state

    @unfitted_on_error
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        groups: ArrayLike | None = None,
        **fit_params: Any,
    ) -> Self:
        """Fit one clone of ``estimator`` per fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Any input the wrapped estimator accepts (e.g. 3D sequences).
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed on to each fold model's ``fit`` (its training part), which
            must take ``sample_weight``. The weights are checked first, as
            skseq's estimators check them, whatever the fold model: finite,
            numeric (not boolean), >= 0, and weighing something in every
            training part. The held-out part validates unweighted. Under scikit-learn's metadata routing
            (``sklearn.set_config(enable_metadata_routing=True)``) it goes
            where it is requested: ``estimator.set_fit_request(sample_weight=
            True)`` (or a ``Pipeline`` step's); weights that nothing requests
            are an error, as in scikit-learn (a ``ValueError`` when no request
            was set, a ``TypeError`` when every request is ``False``).
        groups : array-like of shape (n_samples,), default=None
            Group of each sample (e.g. the subject who wore the sensor),
            passed to the splitter's ``split``: with
            ``cv=GroupKFold(...)`` every fold holds out whole subjects.
        **fit_params : dict
            Other parameters of the fold models' ``fit`` (a ``Pipeline``'s
            ``stepname__param``, or any metadata under routing, where they go
            as the estimator requests them); those with one value per sample
            are indexed like ``X``.

        Returns
        -------
        self : FoldEnsembleClassifier
            A fit that raises leaves the ensemble unfitted (never with the
            fold models of a half-finished fit).
        """
        return self._fit(X, y, sample_weight, groups, fit_params)

    def get_metadata_routing(self) -> MetadataRouter:
        """How ``fit``'s metadata reach the fold models and the splitter.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            ``fit`` -> the estimator's ``fit`` and the splitter's ``split``;
            the ensemble's own requests (``set_score_request``) too.
        """
        router = MetadataRouter(owner=self).add_self_request(self)
        router.add(
            estimator=self.estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
        cv = self.cv
        if cv is None or isinstance(cv, Integral) or hasattr(cv, "split"):
            # an iterable of splits takes no metadata, and reading it here
            # would use up a generator before fit splits with it
            router.add(
                splitter=self._splitter(),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        return router

    def _splitter(self, y=None):
        """``cv`` as a splitter (an int: a StratifiedKFold shuffled by ``random_state``)."""
        cv = 5 if self.cv is None else self.cv
        if isinstance(cv, Integral):  # numpy integers too
            cv = StratifiedKFold(cv, shuffle=True, random_state=self.random_state)
        return check_cv(cv, y, classifier=True)

    def _routed_params(self, sample_weight, groups, fit_params):
        """``(fit parameters of the fold models, groups for the splitter)``."""
        if sample_weight is not None:
            fit_params["sample_weight"] = sample_weight
        if not _routing_enabled():
            return fit_params, groups
        if groups is not None:
            fit_params["groups"] = groups
        routed = process_routing(self, "fit", **fit_params)
        splitter = routed.get("splitter")  # none for an iterable of splits
        groups = splitter.split.get("groups") if splitter is not None else None
        return routed.estimator.fit, groups

    def _fit(self, X, y, sample_weight, groups, fit_params):
        self._validate_params()
        fit_params, groups = self._routed_params(
            sample_weight, groups, dict(fit_params)
        )
        sample_weight = fit_params.get("sample_weight")
        if sample_weight is not None:
            if not _fit_takes(self.estimator, "sample_weight", or_any=True):
                raise TypeError(
                    f"sample_weight was given but {type(self.estimator).__name__}.fit "
                    "does not take sample_weight."
                )
            fit_params["sample_weight"] = check_sample_weight(
                sample_weight, _num_samples(X)
            )
        if self.early_stopping_on_fold and not _fit_takes(
            self.estimator, "validation_data"
        ):
            raise TypeError(
                "early_stopping_on_fold=True needs an estimator whose fit takes "
                "validation_data (an skseq deep estimator); "
                f"{type(self.estimator).__name__}.fit does not."
            )
        given = [k for k in ("validation_data", "X_val", "y_val") if k in fit_params]
        if self.early_stopping_on_fold and given:
            raise ValueError(
                f"{' and '.join(given)} {'was' if len(given) == 1 else 'were'} "
                "given, but early_stopping_on_fold=True validates each fold model "
                "on its held-out fold; pass one or the other."
            )
        if y is None:
            raise ValueError(
                "FoldEnsembleClassifier requires y to be passed, but the target y is "
                "None."
            )
        X, y = indexable(X, check_class_labels(y))
        check_same_length(X, y, names=("X", "y"))
        if groups is not None:
            groups = column_or_1d(groups)
            check_same_length(X, groups, names=("X", "groups"))
        check_classification_targets(y)
        splits = split_with_groups(
            self._splitter(y),
            X,
            y,
            groups,
            "Pass the group of each sample: "
            "FoldEnsembleClassifier(...).fit(X, y, groups=...).",
        )
        if not splits:
            raise ValueError(
                "cv gave no split to fit a fold model on (an empty list, or a "
                "generator used up by an earlier fit); pass a splitter such as "
                "StratifiedKFold(5), whose splits are drawn at every fit, or a list "
                "of (train, validation) index pairs."
            )
        splits = _checked_splits(splits, y, fit_params.get("sample_weight"))
        # fold models fitted in threads of one process would share torch's
        # process-wide random state (irreproducible fits); joblib runs a
        # Parallel nested in another's worker (cross_val_score(n_jobs=2)) in
        # threads, so under a thread-based backend the folds go one by one
        in_threads = getattr(get_active_backend()[0], "uses_threads", False)
        estimators = Parallel(n_jobs=1 if in_threads else self.n_jobs)(
            delayed(_fit_fold)(
                self.estimator,
                X,
                y,
                train,
                valid,
                self.early_stopping_on_fold,
                fit_params,
            )
            for train, valid in splits
        )
        classes = np.unique(y)
        for est in estimators:
            if not np.array_equal(est.classes_, classes):
                raise ValueError(
                    f"A fold model's classes_ {est.classes_!r} are not the sorted "
                    f"classes of y {classes!r}, whose order the averaged "
                    "probabilities follow."
                )
        self.estimators_ = estimators
        self.classes_ = classes
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimators[0], name):
                setattr(self, name, getattr(estimators[0], name))
            else:
                self.__dict__.pop(name, None)  # not an earlier fit's
        return self

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Mean of the fold models' probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Any input the fold models accept.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        check_is_fitted(self)
        return np.mean([est.predict_proba(X) for est in self.estimators_], axis=0)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Logarithm of the averaged probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Any input the fold models accept.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))`` (``-inf`` where every fold model gives
            a class probability 0); columns follow ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Class with the highest averaged probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Any input the fold models accept.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Mean accuracy of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Any input the fold models accept.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the score; None weighs them equally.

        Returns
        -------
        score : float
            Accuracy, weighted by ``sample_weight`` when given.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        layout = input_layout(self.estimator)
        if layout is not None:  # the inner estimator's input: its layout
            tags = with_layout(tags, layout)
        tags.input_tags.three_d_array = inner.input_tags.three_d_array
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
