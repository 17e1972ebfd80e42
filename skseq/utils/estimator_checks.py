"""Estimator checks for sequence and frame estimators.

scikit-learn's :func:`~sklearn.utils.estimator_checks.parametrize_with_checks`
feeds 2D tables. skseq's estimators take 3D sequences or 4D/5D frames, so this
module provides the same kind of harness for them:

* scikit-learn's own data-independent API checks (``get_params``,
  ``set_params``, ``clone``, ``__init__`` conventions, tags, repr), run as is;
* skseq's *sequence checks*: the data-dependent contracts of the sklearn
  checks (fit returns self, not-fitted errors, pickling, determinism,
  idempotent fit, input left untouched, dtypes, bad input errors), run on
  data of the estimator's own layout.

Estimators that also accept 2D input (the sequence classifiers and the
sequence transformers) additionally go through scikit-learn's full
``parametrize_with_checks`` in the test-suite.

Use :func:`parametrize_with_skseq_checks` in a pytest module::

    @parametrize_with_skseq_checks([MyForecaster(max_epochs=1)])
    def test_skseq_compatible(estimator, check):
        check(estimator)
"""

from __future__ import annotations

import io
import pickle
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING

import joblib
import numpy as np
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks as sk_checks
from sklearn.utils import get_tags

if TYPE_CHECKING:  # annotations only
    import pytest
    from sklearn.base import BaseEstimator

__all__ = [
    "make_test_data",
    "parametrize_with_skseq_checks",
    "skseq_checks",
]

#: scikit-learn checks that need no data (their name in sklearn.utils.estimator_checks)
SKLEARN_API_CHECKS = (
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
)


def _input_kind(estimator) -> str:
    """'frames' for frame estimators, else 'sequences' (from the input tags)."""
    from skseq.base import input_layout

    return "frames" if input_layout(estimator) == "frames" else "sequences"


def make_test_data(
    estimator: BaseEstimator, n_samples: int = 12, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray | None]:
    """Small data in the layout ``estimator`` expects.

    Parameters
    ----------
    estimator : estimator instance
        The estimator the data is for (its input layout and target kind).
    n_samples : int, default=12
        Samples in the generated data.
    random_state : int, default=0
        Seed of the generated data.

    Returns
    -------
    X : ndarray
        ``(n, 16, 3)`` sequences, or ``(n, 4, 9, 11)`` frames.
    y : ndarray or None
        Two balanced string classes for classifiers, ``(n, 2, 9, 11)`` target
        frames for frame regressors (``(n, 1, 9, 11)``, one lead, for those
        with a ``predict_sequence``, which unroll longer leads themselves),
        one value per sequence ``(n,)`` for sequence regressors
        (the mean of each sequence's first channel), None for unsupervised
        transformers.
    """
    if hasattr(estimator, "_make_test_data"):
        return estimator._make_test_data(n_samples, random_state)
    rng = np.random.default_rng(random_state)
    if _input_kind(estimator) == "frames":
        X = rng.random((n_samples, 4, 9, 11))
        n_out = 1 if hasattr(estimator, "predict_sequence") else 2
        y = X[:, -n_out:] * 0.5 + 0.1
        return X, y
    X = rng.normal(size=(n_samples, 16, 3))
    if is_classifier(estimator):
        y = np.array(["low", "high"])[np.arange(n_samples) % 2]
        X[y == "high"] += 1.0
        return X, y
    if is_regressor(estimator):
        return X, X[:, :, 0].mean(axis=1)
    return X, None


def _output(estimator, X):
    if hasattr(estimator, "predict"):
        return estimator.predict(X)
    return estimator.transform(X)


def _fit(estimator, X, y):
    return estimator.fit(X) if y is None else estimator.fit(X, y)


def _all_finite(out) -> bool:
    """True for label output, or numeric output without NaN/inf."""
    out = np.asarray(out)
    return out.dtype.kind not in "fc" or bool(np.all(np.isfinite(out)))


def check_fit_returns_self(name, estimator):
    X, y = make_test_data(estimator)
    assert _fit(estimator, X, y) is estimator, f"{name}.fit must return self"


def check_not_fitted_error(name, estimator):
    X, _ = make_test_data(estimator)
    for method in ("predict", "predict_proba", "transform", "predict_sequence"):
        if hasattr(estimator, method):
            args = (X, 2) if method == "predict_sequence" else (X,)
            try:
                getattr(estimator, method)(*args)
            except NotFittedError:
                continue
            raise AssertionError(
                f"{name}.{method} before fit must raise NotFittedError"
            )


def check_output_shape(name, estimator):
    X, y = make_test_data(estimator)
    out = _output(_fit(estimator, X, y), X)
    assert len(out) == len(X), f"{name} returned {len(out)} rows for {len(X)} samples"
    if y is not None and not is_classifier(estimator):
        assert out.shape == y.shape, f"{name} predicted {out.shape}, y is {y.shape}"
    assert _all_finite(out), f"{name} output NaN"
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(X)
        assert proba.shape == (len(X), len(estimator.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def check_pickle_round_trip(name, estimator):
    X, y = make_test_data(estimator)
    for obj in (estimator, _fit(clone(estimator), X, y)):
        for dump_load in (_pickle_round_trip, _joblib_round_trip):
            restored = dump_load(obj)
            assert restored.get_params().keys() == obj.get_params().keys()
            if hasattr(obj, "n_features_in_"):
                np.testing.assert_array_equal(_output(restored, X), _output(obj, X))


def _pickle_round_trip(obj):
    return pickle.loads(pickle.dumps(obj))


def _joblib_round_trip(obj):
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def check_random_state_determinism(name, estimator):
    if "random_state" not in estimator.get_params():
        return
    X, y = make_test_data(estimator)
    est = clone(estimator).set_params(random_state=7)
    first = _output(_fit(clone(est), X, y), X)
    second = _output(_fit(clone(est), X, y), X)
    np.testing.assert_array_equal(first, second, err_msg=f"{name} not reproducible")


def check_fit_idempotent(name, estimator):
    X, y = make_test_data(estimator)
    est = clone(estimator)
    if "random_state" in est.get_params():
        est.set_params(random_state=3)
    first = _output(_fit(est, X, y), X)
    second = _output(_fit(est, X, y), X)
    np.testing.assert_array_equal(first, second, err_msg=f"{name} refit differs")


def check_fit_leaves_input_unchanged(name, estimator):
    X, y = make_test_data(estimator)
    X_before = X.copy()
    y_before = None if y is None else y.copy()
    _fit(estimator, X, y)
    _output(estimator, X)
    np.testing.assert_array_equal(X, X_before, err_msg=f"{name} modified X")
    if y is not None:
        np.testing.assert_array_equal(y, y_before, err_msg=f"{name} modified y")


def _state_fingerprint(estimator) -> str:
    """A hash of the estimator's attributes and of its network's weights and
    buffers (BatchNorm running statistics, ...): ``repr`` would hide a change
    inside a long array, and the skorch net is compared by its module's state."""
    state = {k: v for k, v in vars(estimator).items() if k != "net_"}
    module = getattr(vars(estimator).get("net_"), "module_", None)
    if module is not None:
        state["net_.module_"] = {
            k: v.detach().cpu().float().numpy() for k, v in module.state_dict().items()
        }
    return joblib.hash(state)


def check_predict_leaves_state_unchanged(name, estimator):
    X, y = make_test_data(estimator)
    _fit(estimator, X, y)
    before = _state_fingerprint(estimator)
    _output(estimator, X)
    assert _state_fingerprint(estimator) == before, (
        f"{name} changed its state (attributes or network weights and buffers) "
        "when predicting"
    )


def check_accepts_dtypes(name, estimator):
    X, y = make_test_data(estimator)
    for dtype in (np.float64, np.float32, np.int64, np.float16):
        X_cast = (X * 3).astype(dtype)
        X_cast = np.asfortranarray(X_cast) if dtype == np.float32 else X_cast
        out = _output(_fit(clone(estimator), X_cast, y), X_cast)
        assert _all_finite(out), (
            f"{name} produced non-finite output for {np.dtype(dtype).name} input"
        )


def check_rejects_non_finite(name, estimator):
    values: tuple[float, ...]
    if get_tags(estimator).input_tags.allow_nan:
        values = (np.inf, -np.inf)
    else:
        values = (np.nan, np.inf, -np.inf)
    X, y = make_test_data(estimator)
    for value in values:
        X_bad = X.copy()
        X_bad.flat[5] = value
        _expect_error(partial(_fit, clone(estimator), X_bad, y), (ValueError,), name)


def check_rejects_wrong_rank(name, estimator):
    X, y = make_test_data(estimator)
    bad_inputs = [X[0, 0, 0], X[..., np.newaxis, np.newaxis]]
    if _input_kind(estimator) == "frames":
        bad_inputs.append(X[:, 0])
    for X_bad in bad_inputs:
        _expect_error(partial(_fit, clone(estimator), X_bad, y), (ValueError,), name)


def check_rejects_strings(name, estimator):
    X, y = make_test_data(estimator)
    X_bad = X.astype(str).astype(object)
    X_bad.flat[0] = "a string"
    # a TypeError about the strings, not any TypeError (a missing argument)
    _expect_error(
        lambda: _fit(clone(estimator), X_bad, y),
        (TypeError,),
        name,
        match=r"(?i)string|numeric|number",
    )


def check_rejects_length_mismatch(name, estimator):
    X, y = make_test_data(estimator)
    if y is None:
        return
    _expect_error(lambda: _fit(clone(estimator), X, y[:-1]), (ValueError,), name)


def check_rejects_shape_change_at_predict(name, estimator):
    X, y = make_test_data(estimator)
    _fit(estimator, X, y)
    if _input_kind(estimator) == "frames":
        # one frame fewer: frame estimators may accept any H x W, never
        # another number of frames
        X_bad = X[:, :-1]
    else:
        X_bad = X[:, :, :-1]
    _expect_error(lambda: _output(estimator, X_bad), (ValueError,), name)


def check_do_not_raise_errors_in_init_or_set_params(name, estimator):
    """scikit-learn's check of the same name, for named arguments only.

    scikit-learn's version also passes ``kwargs=<value>`` to estimators whose
    ``__init__`` takes ``**kwargs``; skseq's deep estimators take only skorch
    passthrough parameters there (``optimizer__momentum`` ...), and any other
    keyword is Python's usual ``TypeError``.
    """
    from inspect import Parameter, signature

    Estimator = type(estimator)
    params = [
        key
        for key, p in signature(Estimator).parameters.items()
        if p.kind is not Parameter.VAR_KEYWORD
    ]
    value: object
    for value in (-1, 3.0, "helloworld", np.array([1.0, 4.0]), [1], {}, []):
        new_params: dict[str, object] = {key: value for key in params}
        est = Estimator(**new_params)
        est.set_params(**new_params)


def _expect_error(
    func: Callable, errors: tuple, name: str, match: str | None = None
) -> None:
    try:
        func()
    except errors as exc:
        assert str(exc), f"{name} raised {type(exc).__name__} without a message"
        if match is not None:
            assert re.search(match, str(exc)), (
                f"{name} raised {type(exc).__name__}({str(exc)!r}), whose message "
                f"does not match {match!r}"
            )
        return
    raise AssertionError(f"{name} did not raise {errors} on bad input")


SKSEQ_CHECKS: tuple[Callable, ...] = (
    check_do_not_raise_errors_in_init_or_set_params,
    check_not_fitted_error,
    check_fit_returns_self,
    check_output_shape,
    check_pickle_round_trip,
    check_random_state_determinism,
    check_fit_idempotent,
    check_fit_leaves_input_unchanged,
    check_predict_leaves_state_unchanged,
    check_accepts_dtypes,
    check_rejects_non_finite,
    check_rejects_wrong_rank,
    check_rejects_strings,
    check_rejects_length_mismatch,
    check_rejects_shape_change_at_predict,
)


def skseq_checks(estimator: BaseEstimator) -> Iterator[Callable]:
    """Yield the checks for ``estimator``, each callable as ``check(estimator)``.

    Parameters
    ----------
    estimator : estimator instance
        The estimator to check.

    Yields
    ------
    check : callable
        A :func:`functools.partial` taking the estimator; its ``func.__name__``
        names the check.
    """
    name = type(estimator).__name__
    for check_name in SKLEARN_API_CHECKS:
        yield partial(getattr(sk_checks, check_name), name)
    for check in SKSEQ_CHECKS:
        yield partial(check, name)


def _check_id(check) -> str:
    func = check.func if isinstance(check, partial) else check
    return func.__name__


def parametrize_with_skseq_checks(
    estimators: Iterable,
    *,
    expected_failed_checks: Callable | None = None,
) -> pytest.MarkDecorator:
    """Make a pytest decorator running skseq's checks on each estimator.

    The checks are those :func:`skseq_checks` yields, one test per
    estimator and check.

    Parameters
    ----------
    estimators : iterable of estimator instances
        The estimators to check, e.g. instances of the classes
        :func:`skseq.utils.discovery.all_estimators` lists.
    expected_failed_checks : callable, default=None
        ``expected_failed_checks(estimator) -> {check_name: reason}``; those
        checks are marked ``xfail(strict=True)`` with the reason.

    Returns
    -------
    decorator
        ``pytest.mark.parametrize("estimator, check", ...)``.
    """
    import pytest

    params = []
    for estimator in estimators:
        expected = expected_failed_checks(estimator) if expected_failed_checks else {}
        for check in skseq_checks(estimator):
            check_name = _check_id(check)
            marks = []
            if check_name in expected:
                marks.append(
                    pytest.mark.xfail(reason=expected[check_name], strict=True)
                )
            params.append(
                pytest.param(
                    clone(estimator),
                    check,
                    id=f"{type(estimator).__name__}-{check_name}",
                    marks=marks,
                )
            )
    return pytest.mark.parametrize("estimator, check", params)
