"""Comparing deep models with classical baselines in one table."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Literal, overload

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import check_scoring

from skseq.utils.validation import as_array_input, check_positive_int

__all__ = ["compare_estimators", "compare_forecasts_by_lead"]


@overload
def compare_estimators(
    estimators: Mapping[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    scoring: str | Callable | Mapping[str, str | Callable] | None = ...,
    sort_by: str | None = ...,
    return_estimators: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def compare_estimators(
    estimators: Mapping[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    scoring: str | Callable | Mapping[str, str | Callable] | None = ...,
    sort_by: str | None = ...,
    return_estimators: Literal[True],
) -> tuple[pd.DataFrame, dict[str, object]]: ...


@overload
def compare_estimators(
    estimators: Mapping[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    scoring: str | Callable | Mapping[str, str | Callable] | None = ...,
    sort_by: str | None = ...,
    return_estimators: bool = ...,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, object]]: ...


def compare_estimators(
    estimators: Mapping[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    scoring: str | Callable | Mapping[str, str | Callable] | None = None,
    sort_by: str | None = None,
    return_estimators: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, object]]:
    """Fit every estimator on the same split and tabulate scores and times.

    Each estimator is cloned, fitted on ``(X_train, y_train)`` and scored on
    ``(X_test, y_test)``; wall-clock fit and predict times are measured with
    :func:`time.perf_counter`.

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
    scoring : str, callable, mapping or None, default=None
        One scorer (``None`` uses each estimator's ``score``) or a mapping of
        column name -> scorer, as in :func:`sklearn.model_selection.cross_validate`.
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
        ``predict_time_s`` (the time to predict and score ``X_test``, per
        scorer: each one predicts anew, as ``score_time`` of scikit-learn's
        ``cross_validate``).
    fitted : dict of str to estimator
        Only with ``return_estimators=True``.
    """
    if not estimators:
        raise ValueError("estimators is empty; pass a mapping of name -> estimator.")
    scorers = scoring if isinstance(scoring, Mapping) else {"score": scoring}
    rows = {}
    fitted = {}
    for name, estimator in estimators.items():
        est = clone(estimator)
        start = time.perf_counter()
        est.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        row = {}
        start = time.perf_counter()
        for column, scorer in scorers.items():
            row[column] = float(check_scoring(est, scoring=scorer)(est, X_test, y_test))
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


def _leads_of_predict(name: str, forecast, n_steps: int) -> np.ndarray:
    """The first ``n_steps`` leads of ``predict``'s ``(n, T_out, H, W)`` frames.

    A forecaster fitted on one output frame per sample (``y`` of shape
    ``(n, H, W)``) predicts ``(n, H, W)``: that is lead 1.
    """
    forecast = np.asarray(forecast)
    if forecast.ndim == 3:
        forecast = forecast[:, None]
    if forecast.ndim != 4 or forecast.shape[1] < n_steps:
        raise ValueError(
            f"{name!r} has no predict_sequence and its predict returned shape "
            f"{forecast.shape}, not n_steps={n_steps} leads of frames "
            "(n_samples, n_steps, H, W): fit it on y_train with at least "
            "n_steps frames per sample, or pass a smaller n_steps."
        )
    return forecast[:, :n_steps]


@overload
def compare_forecasts_by_lead(
    estimators: Mapping[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    metrics: Mapping[str, Callable],
    n_steps: int | None = ...,
    return_estimators: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def compare_forecasts_by_lead(
    estimators: Mapping[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    metrics: Mapping[str, Callable],
    n_steps: int | None = ...,
    return_estimators: Literal[True],
) -> tuple[pd.DataFrame, dict[str, object]]: ...


@overload
def compare_forecasts_by_lead(
    estimators: Mapping[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    metrics: Mapping[str, Callable],
    n_steps: int | None = ...,
    return_estimators: bool = ...,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, object]]: ...


def compare_forecasts_by_lead(
    estimators: Mapping[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
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
    lead over all samples and pixels.

    Parameters
    ----------
    estimators : mapping of str to estimator
        Name -> unfitted frame forecaster.
    X_train : array-like of shape (n_samples, n_input_frames, H, W)
        Training input frames.
    y_train : array-like of shape (n_samples, n_output_frames, H, W)
        Training target frames (``(n_samples, H, W)`` for one frame per
        sample).
    X_test : array-like of shape (n_samples, n_input_frames, H, W)
        Test input frames.
    y_test : array-like of shape (n_samples, n_steps, H, W)
        The observed future frames; lead ``k`` is ``y_test[:, k - 1]``.
    metrics : mapping of str to callable
        Column name -> ``metric(y_true, y_pred, axis=...)`` from
        :mod:`skseq.metrics` (e.g. ``{"MAE": mae, "CSI@1": partial(csi,
        threshold=1.0)}``).
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
    if not estimators:
        raise ValueError("estimators is empty; pass a mapping of name -> estimator.")
    y_test = np.asarray(as_array_input(y_test))
    if y_test.ndim != 4:
        raise ValueError(
            "y_test must be frames of shape (n_samples, n_steps, H, W); got "
            f"shape {y_test.shape}."
        )
    n_steps = (
        y_test.shape[1] if n_steps is None else check_positive_int(n_steps, "n_steps")
    )
    if not 1 <= n_steps <= y_test.shape[1]:
        raise ValueError(
            f"n_steps must be in [1, {y_test.shape[1]}] (the leads in y_test); "
            f"got {n_steps}."
        )
    observed = y_test[:, :n_steps]
    rows, fitted = {}, {}
    for name, estimator in estimators.items():
        est = clone(estimator)
        start = time.perf_counter()
        est.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        if hasattr(est, "predict_sequence"):
            forecast = est.predict_sequence(X_test, n_steps)
        else:
            forecast = _leads_of_predict(name, est.predict(X_test), n_steps)
        predict_time = time.perf_counter() - start
        row: dict[tuple[str, int | str], float] = {}
        for column, metric in metrics.items():
            per_lead = np.atleast_1d(metric(observed, forecast, axis=(0, 2, 3)))
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
