"""Comparing deep models with classical baselines in one table."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.utils.validation import _num_samples

from skseq.utils.validation import (
    as_array_input,
    check_positive_int,
    input_ndim,
    to_numeric_array,
)

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike

__all__ = ["compare_estimators", "compare_forecasts_by_lead"]


@overload
def compare_estimators(
    estimators: Mapping[str, object],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    scoring: str | Callable | Mapping[str, str | Callable] | None = ...,
    sort_by: str | None = ...,
    return_estimators: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def compare_estimators(
    estimators: Mapping[str, object],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    scoring: str | Callable | Mapping[str, str | Callable] | None = ...,
    sort_by: str | None = ...,
    return_estimators: Literal[True],
) -> tuple[pd.DataFrame, dict[str, object]]: ...


@overload
def compare_estimators(
    estimators: Mapping[str, object],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    scoring: str | Callable | Mapping[str, str | Callable] | None = ...,
    sort_by: str | None = ...,
    return_estimators: bool = ...,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, object]]: ...


def compare_estimators(
    estimators: Mapping[str, object],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    scoring: str | Callable | Mapping[str, str | Callable] | None = None,
    sort_by: str | None = None,
    return_estimators: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, object]]:
    """Fit every estimator on the same split and tabulate scores and times.

    Each estimator is cloned, fitted on ``(X_train, y_train)`` and scored on
    ``(X_test, y_test)``; wall-clock fit and predict times are measured with
    :func:`time.perf_counter`. An estimator that fails to fit or score
    stops the comparison with its error, which names it (an exception note,
    Python 3.11 and later); the arguments are checked before any fit.

    Parameters
    ----------
    estimators : mapping of str to estimator
        Name -> unfitted estimator or Pipeline.
    X_train : array-like
        Training inputs in whatever layout the estimators take (e.g.
        ``(n, T, C)``).
    y_train : array-like
        Training targets.
    X_test : array-like
        Test inputs, in the layout of ``X_train``.
    y_test : array-like
        Test targets.
    scoring : str, callable, list, mapping or None, default=None
        As in :func:`sklearn.model_selection.cross_validate`: one scorer
        (``None`` uses each estimator's ``score``), a list of scorer names,
        a mapping of column name -> scorer, or a callable returning a dict of
        column name -> score. Strings are checked before any estimator is
        fitted.
    sort_by : str or None, default=None
        Column to sort by, in descending order: best first for a score
        (scorers are "greater is better", so error scorers come negated as
        in scikit-learn), slowest first for a time.
    return_estimators : bool, default=False
        Also return the fitted estimators (as ``return_estimator`` does in
        :func:`sklearn.model_selection.cross_validate`).

    Returns
    -------
    table : pandas.DataFrame
        Index: model names. Columns: one per score, ``fit_time_s`` and
        ``predict_time_s`` (the time to predict and score ``X_test`` once:
        the scorers each predict anew, and the time of all of them is
        divided by their number, whereas ``score_time`` of scikit-learn's
        ``cross_validate`` reuses predictions and is their total).
    fitted : dict of str to estimator
        Only with ``return_estimators=True``.
    """
    _check_estimators(estimators)
    _check_same_samples(X_train, y_train, "X_train", "y_train")
    _check_same_samples(X_test, y_test, "X_test", "y_test")
    scorers = _scorers(scoring)
    if sort_by is not None and sort_by not in [*scorers, *_TIME_COLUMNS]:
        # a callable other than scikit-learn's scorers may return a dict of
        # columns, known only once it has scored
        if not any(_may_return_columns(scorer) for scorer in scorers.values()):
            raise ValueError(
                f"sort_by={sort_by!r} is not a column of {[*scorers, *_TIME_COLUMNS]}."
            )
    # every estimator cloned and its scorers made before the first fit
    clones: dict[str, Any] = {name: clone(e) for name, e in estimators.items()}
    made = {
        name: {column: check_scoring(est, scoring=s) for column, s in scorers.items()}
        for name, est in clones.items()
    }
    rows = {}
    fitted = {}
    for name, est in clones.items():
        start = time.perf_counter()
        with _naming_the_model(name, "fitting"):
            est.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        row: dict[str, float] = {}
        start = time.perf_counter()
        for column, scorer in made[name].items():
            with _naming_the_model(name, "scoring"):
                scores = _score_columns(column, scorer(est, X_test, y_test))
            clash = sorted(set(scores) & set(row))
            if clash:
                raise ValueError(
                    f"Two scorers of {name!r} give a column named {clash[0]!r}: "
                    "rename one (the table would keep only one of them)."
                )
            row.update(scores)
        row["fit_time_s"] = fit_time
        row["predict_time_s"] = (time.perf_counter() - start) / len(scorers)
        rows[name] = row
        fitted[name] = est
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    if sort_by is not None:
        if sort_by not in table.columns:
            raise ValueError(
                f"sort_by={sort_by!r} is not a column of {list(table.columns)}."
            )
        table = table.sort_values(sort_by, ascending=False, kind="stable")
    return (table, fitted) if return_estimators else table


_TIME_COLUMNS = ("fit_time_s", "predict_time_s")


def _check_same_samples(X: object, y: object, X_name: str, y_name: str) -> None:
    """Refuse inputs and targets of different sample counts before any fit
    (``cross_validate`` checks them as well); what has no sample count is
    left to the estimators' own ``fit``."""
    try:
        n_X, n_y = _num_samples(X), _num_samples(y)
    except TypeError:
        return
    if n_X != n_y:
        raise ValueError(
            f"{X_name} holds {n_X} samples and {y_name} {n_y}; they must be the "
            "same samples."
        )


def _scorers(scoring) -> dict:
    """``scoring`` as a mapping of column name -> scorer, checked."""
    if isinstance(scoring, Mapping):
        scorers = dict(scoring)
    elif isinstance(scoring, list | tuple | set | frozenset):
        if not all(isinstance(name, str) for name in scoring):
            raise ValueError(
                "scoring given as a list must hold scorer names (strings); "
                f"got {scoring!r}."
            )
        # a set's order varies between runs (string hashing): sort it
        names = sorted(scoring) if isinstance(scoring, set | frozenset) else scoring
        repeated = sorted(name for name, n in Counter(names).items() if n > 1)
        if repeated:  # as cross_validate refuses them (a dict would drop them)
            raise ValueError(
                f"scoring names {repeated} more than once; give each scorer once."
            )
        scorers = {name: name for name in names}
    else:
        scorers = {"score": scoring}
    if not scorers:
        raise ValueError("scoring is empty; pass None, a scorer or scorer names.")
    _check_column_names(scorers, "scoring")
    return scorers


@contextlib.contextmanager
def _naming_the_model(name: str, stage: str) -> Iterator[None]:
    """Add to an error raised inside the name of the model it came from."""
    try:
        yield
    except Exception as exc:
        if hasattr(exc, "add_note"):  # Python >= 3.11
            exc.add_note(f"(raised while {stage} the model {name!r})")
        raise


def _may_return_columns(scorer) -> bool:
    """Whether ``scorer`` may return a dict of columns (a callable that is
    not one of scikit-learn's scorers, which return one number)."""
    from sklearn.metrics._scorer import _BaseScorer

    return callable(scorer) and not isinstance(scorer, _BaseScorer)


def _check_column_names(names, argument: str) -> None:
    clash = [name for name in names if name in _TIME_COLUMNS]
    if clash:
        raise ValueError(
            f"{argument} names a column {clash[0]!r}, which the table keeps for "
            "its times; rename it."
        )


def _score_columns(column: str, score) -> dict:
    """One column per score: a multimetric callable's dict gives several."""
    if isinstance(score, Mapping):
        _check_column_names(score, "A scorer's dict")
        return {str(k): float(v) for k, v in score.items()}
    return {column: float(score)}


def _leads_of_predict(name: str, forecast, n_steps: int, one_frame: bool) -> np.ndarray:
    """The first ``n_steps`` leads of ``predict``'s frames ``(n, T_out, ...)``.

    ``one_frame``: the forecaster was fitted on one output frame per sample
    (``y`` of shape ``(n, H, W)``), so it predicts ``(n, H, W)``: lead 1.
    A channel axis that ``y_test`` has and the forecast lacks (or the
    reverse) is left to :func:`_match_channels`.
    """
    returned = np.asarray(forecast)
    forecast = returned[:, None] if one_frame else returned
    if forecast.ndim not in (4, 5) or forecast.shape[1] < n_steps:
        raise ValueError(
            f"{name!r} has no predict_sequence and its predict returned shape "
            f"{returned.shape}, not n_steps={n_steps} leads of frames "
            "(n_samples, n_steps, [C,] H, W): fit it on y_train with at least "
            "n_steps frames per sample, or pass a smaller n_steps."
        )
    return forecast[:, :n_steps]


def _match_channels(name: str, forecast, observed: np.ndarray) -> np.ndarray:
    """``forecast`` in the layout of ``observed``: a one-channel axis is
    dropped or added as ``y_test`` has it; other differences are refused."""
    forecast = np.asarray(forecast)
    shape = forecast.shape
    if forecast.ndim == observed.ndim + 1 and forecast.shape[2] == 1:
        forecast = forecast[:, :, 0]
    elif forecast.ndim == observed.ndim - 1 and observed.shape[2] == 1:
        forecast = forecast[:, :, None]
    if forecast.shape != observed.shape:
        raise ValueError(
            f"{name!r} forecast frames of shape {shape}; y_test's first "
            f"n_steps leads have shape {observed.shape}."
        )
    return forecast


@overload
def compare_forecasts_by_lead(
    estimators: Mapping[str, object],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    metrics: Mapping[str, Callable],
    n_steps: int | None = ...,
    return_estimators: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def compare_forecasts_by_lead(
    estimators: Mapping[str, object],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    metrics: Mapping[str, Callable],
    n_steps: int | None = ...,
    return_estimators: Literal[True],
) -> tuple[pd.DataFrame, dict[str, object]]: ...


@overload
def compare_forecasts_by_lead(
    estimators: Mapping[str, object],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    metrics: Mapping[str, Callable],
    n_steps: int | None = ...,
    return_estimators: bool = ...,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, object]]: ...


def compare_forecasts_by_lead(
    estimators: Mapping[str, object],
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    metrics: Mapping[str, Callable],
    n_steps: int | None = None,
    return_estimators: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, object]]:
    """Fit frame forecasters on one split and score each lead time separately.

    Each estimator is cloned and fitted on ``(X_train, y_train)``; its
    forecast of ``X_test`` is ``predict_sequence(X_test, n_steps)`` when it
    has that method (recursive nowcasters, baselines) and the first
    ``n_steps`` frames of ``predict(X_test)`` otherwise (lead 1 only for a
    forecaster fitted on one frame per sample). Every metric is computed per
    lead over all samples and pixels. An estimator that fails to fit,
    predict or score stops the comparison with its error, which names it
    (an exception note, Python 3.11 and later).

    Parameters
    ----------
    estimators : mapping of str to estimator
        Name -> unfitted frame forecaster.
    X_train : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, C, H, W)
        Training input frames.
    y_train : array-like of shape (n_samples, n_output_frames, H, W) or (n_samples, n_output_frames, C, H, W)
        Training target frames (``(n_samples, H, W)`` for one frame per
        sample).
    X_test : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, C, H, W)
        Test input frames.
    y_test : array-like of shape (n_samples, n_steps, H, W) or (n_samples, n_steps, C, H, W)
        The observed future frames; lead ``k`` is ``y_test[:, k - 1]``.
        Forecasts with a one-channel axis that ``y_test`` lacks (or the
        reverse) are compared without it.
    metrics : mapping of str to callable
        Column name -> ``metric(y_true, y_pred, axis=...)`` from
        :mod:`skseq.metrics` (e.g. ``{"MAE": mae, "CSI@1": partial(csi,
        threshold=1.0)}``), called with the axes of everything but the lead
        (``axis=(0, 2, 3)``, or ``(0, 2, 3, 4)`` for 5D ``y_test``); it must
        return one value per lead.
    n_steps : int or None, default=None
        Leads to forecast; None uses ``y_test.shape[1]``.
    return_estimators : bool, default=False
        Also return the fitted estimators.

    Returns
    -------
    table : pandas.DataFrame
        Index: model names. Columns: ``(metric, lead)`` pairs (a two-level
        column index, leads 1..n_steps), then ``("fit_time_s", "")`` and
        ``("predict_time_s", "")``.
    fitted : dict of str to estimator
        Only with ``return_estimators=True``.
    """
    _check_estimators(estimators)
    if not isinstance(metrics, Mapping) or not metrics:
        raise ValueError(
            "metrics must be a non-empty mapping of column name -> metric; got "
            f"{metrics!r}."
        )
    for column, metric in metrics.items():
        if not callable(metric):
            raise TypeError(
                f"metrics[{column!r}] must be a callable metric(y_true, y_pred, "
                f"axis=...); got {metric!r}."
            )
    _check_column_names(metrics, "metrics")
    # in its own float precision, at which the threshold metrics compare
    y_test = to_numeric_array(
        y_test,
        name="y_test",
        dtype=(np.float64, np.float32, np.float16),
    )
    if y_test.ndim not in (4, 5):
        raise ValueError(
            "y_test must be frames of shape (n_samples, n_steps, H, W) or "
            f"(n_samples, n_steps, C, H, W); got shape {y_test.shape}."
        )
    n_steps = (
        y_test.shape[1] if n_steps is None else check_positive_int(n_steps, "n_steps")
    )
    if not 1 <= n_steps <= y_test.shape[1]:
        raise ValueError(
            f"n_steps must be in [1, {y_test.shape[1]}] (the leads in y_test); "
            f"got {n_steps}."
        )
    shape: tuple[int, ...] = tuple(getattr(X_test, "shape", ()))
    if len(shape) >= 4:  # frames, one per sample
        _check_same_samples(X_test, y_test, "X_test", "y_test")
    observed = y_test[:, :n_steps]
    axes = (0, *range(2, observed.ndim))
    for column, metric in metrics.items():  # each metric tried before any fit
        _metric_per_lead(column, metric, observed, observed, axes, n_steps)
    _check_same_samples(X_train, y_train, "X_train", "y_train")
    clones: dict[str, Any] = {name: clone(e) for name, e in estimators.items()}
    _check_leads_to_fit(clones, y_train, n_steps)
    one_frame = input_ndim(y_train) == 3  # what predict returns without leads
    rows, fitted = {}, {}
    for name, est in clones.items():
        start = time.perf_counter()
        with _naming_the_model(name, "fitting"):
            est.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        with _naming_the_model(name, "predicting with"):
            if hasattr(est, "predict_sequence"):
                forecast = est.predict_sequence(X_test, n_steps)
            else:
                forecast = _leads_of_predict(
                    name, est.predict(X_test), n_steps, one_frame
                )
        predict_time = time.perf_counter() - start
        forecast = _match_channels(name, forecast, observed)
        row: dict[tuple[str, int | str], float] = {}
        for column, metric in metrics.items():
            with _naming_the_model(name, "scoring"):
                per_lead = _metric_per_lead(
                    column, metric, observed, forecast, axes, n_steps
                )
            for lead, value in enumerate(per_lead, start=1):
                row[(column, lead)] = float(value)
        row[("fit_time_s", "")] = fit_time
        row[("predict_time_s", "")] = predict_time
        rows[name] = row
        fitted[name] = est
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["metric", "lead"])
    table.index.name = "model"
    return (table, fitted) if return_estimators else table


def _check_estimators(estimators) -> None:
    """``estimators`` must be a non-empty mapping of name -> estimator."""
    if not isinstance(estimators, Mapping):
        raise TypeError(
            "estimators must be a mapping of name -> estimator (e.g. a dict); "
            f"got {type(estimators).__name__}."
        )
    if not estimators:
        raise ValueError("estimators is empty; pass a mapping of name -> estimator.")


def _metric_per_lead(column, metric, observed, forecast, axes, n_steps: int):
    """``metric(observed, forecast, axis=axes)``, checked to give one value
    per lead."""
    try:
        per_lead = np.atleast_1d(metric(observed, forecast, axis=axes))
    except TypeError as error:
        if "axis" not in str(error):
            raise
        raise TypeError(
            f"metrics[{column!r}] must take an axis argument, "
            f"metric(y_true, y_pred, axis=...); calling it raised: {error}"
        ) from error
    if per_lead.shape != (n_steps,):
        raise ValueError(
            f"metrics[{column!r}] returned shape {per_lead.shape} with "
            f"axis={axes}; expected one value per lead, ({n_steps},)."
        )
    return per_lead


def _check_leads_to_fit(estimators: dict, y_train, n_steps: int) -> None:
    """Refuse, before any fit, an estimator without ``predict_sequence`` whose
    ``y_train`` holds fewer than ``n_steps`` leads (its ``predict`` cannot
    forecast them)."""
    shape = getattr(y_train, "shape", None) or np.shape(as_array_input(y_train))
    leads = 1 if len(shape) == 3 else shape[1] if len(shape) in (4, 5) else None
    if leads is None or leads >= n_steps:
        return
    for name, est in estimators.items():
        if not hasattr(est, "predict_sequence"):
            raise ValueError(
                f"{name!r} has no predict_sequence and y_train holds {leads} "
                f"lead(s) per sample, fewer than n_steps={n_steps}: fit it on "
                "y_train with at least n_steps frames per sample, or pass a "
                "smaller n_steps."
            )
