"""Metrics for forecasts of any shape and the categorical scores of nowcasting.

Continuous scores (:func:`rmse`, :func:`mae`) and the categorical
verification scores of precipitation nowcasting (:func:`csi`, :func:`pod`,
:func:`far`) for arrays of any shape, optionally per axis (e.g. one score per
lead time), plus scikit-learn scorers for frames, which sklearn's own
regression scorers reject (they accept at most 2D targets).

Categorical scores turn both fields into events ``value > threshold`` (strictly
above, as pysteps' ``det_cat_fct``) and
count hits ``H`` (event forecast and observed), misses ``M`` (observed, not
forecast) and false alarms ``F`` (forecast, not observed):

* ``CSI = H / (H + M + F)`` (critical success index, threat score),
* ``POD = H / (H + M)`` (probability of detection),
* ``FAR = F / (H + F)`` (false alarm ratio).

A score whose denominator is zero (no event observed and none forecast, say)
is undefined and returned as NaN, as pysteps' ``det_cat_fct`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import make_scorer

from skseq.utils.validation import to_numeric_array

__all__ = [
    "csi",
    "far",
    "mae",
    "make_frame_scorer",
    "make_threshold_scorer",
    "nowcast_scores",
    "pod",
    "rmse",
]

Axis = int | tuple[int, ...] | None


def _check_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true = to_numeric_array(y_true, name="y_true", dtype=np.float64)
    y_pred = to_numeric_array(y_pred, name="y_pred", dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {y_true.shape} and "
            f"{y_pred.shape}."
        )
    return y_true, y_pred


def rmse(y_true, y_pred, *, axis: Axis = None) -> float | np.ndarray:
    """Root mean squared error.

    Parameters
    ----------
    y_true, y_pred : array-like of the same shape
        Observed and forecast values.
    axis : int, tuple of int or None, default=None
        Axes to average over; None averages everything. E.g. ``axis=(0, 2, 3)``
        on ``(n, T_out, H, W)`` gives one RMSE per lead time.

    Returns
    -------
    score : float or ndarray
        The root of the mean squared error (an array when ``axis`` leaves
        axes).
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    return _scalar(np.sqrt(np.mean((y_pred - y_true) ** 2, axis=axis)))


def mae(y_true, y_pred, *, axis: Axis = None) -> float | np.ndarray:
    """Mean absolute error.

    Parameters
    ----------
    y_true, y_pred : array-like of the same shape
        Observed and forecast values.
    axis : int, tuple of int or None, default=None
        Axes to average over; None averages everything. E.g. ``axis=(0, 2, 3)``
        on ``(n, T_out, H, W)`` gives one MAE per lead time.

    Returns
    -------
    score : float or ndarray
        The mean of ``|y_pred - y_true|`` (an array when ``axis`` leaves axes).
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    return _scalar(np.mean(np.abs(y_pred - y_true), axis=axis))


def _scalar(value):
    return float(value) if np.ndim(value) == 0 else value


def _contingency(y_true, y_pred, threshold: float, axis: Axis):
    y_true, y_pred = _check_pair(y_true, y_pred)
    observed = y_true > threshold
    forecast = y_pred > threshold
    hits = np.sum(observed & forecast, axis=axis)
    misses = np.sum(observed & ~forecast, axis=axis)
    false_alarms = np.sum(~observed & forecast, axis=axis)
    return hits, misses, false_alarms


def _ratio(numerator, denominator):
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)
    return _scalar(out)


def csi(y_true, y_pred, threshold: float = 1.0, *, axis: Axis = None):
    """Critical success index ``H / (H + M + F)`` of events ``value > threshold``.

    Parameters
    ----------
    y_true, y_pred : array-like of the same shape
        Observed and forecast fields (e.g. rain rates in mm/h).
    threshold : float, default=1.0
        A value above ``threshold`` is an event (e.g. rain at 1 mm/h).
    axis : int, tuple of int or None, default=None
        Axes to count over; None counts over everything.

    Returns
    -------
    score : float or ndarray
        In [0, 1], 1 is perfect; NaN where no event was observed or forecast.
    """
    hits, misses, false_alarms = _contingency(y_true, y_pred, threshold, axis)
    return _ratio(hits, hits + misses + false_alarms)


def pod(y_true, y_pred, threshold: float = 1.0, *, axis: Axis = None):
    """Probability of detection ``H / (H + M)`` of events ``value > threshold``.

    Parameters
    ----------
    y_true, y_pred : array-like of the same shape
        Observed and forecast fields (e.g. rain rates in mm/h).
    threshold : float, default=1.0
        A value above ``threshold`` is an event (e.g. rain at 1 mm/h).
    axis : int, tuple of int or None, default=None
        Axes to count over; None counts over everything.

    Returns
    -------
    score : float or ndarray
        In [0, 1], 1 is perfect; NaN where no event was observed.
    """
    hits, misses, _ = _contingency(y_true, y_pred, threshold, axis)
    return _ratio(hits, hits + misses)


def far(y_true, y_pred, threshold: float = 1.0, *, axis: Axis = None):
    """False alarm ratio ``F / (H + F)`` of events ``value > threshold``.

    Parameters
    ----------
    y_true, y_pred : array-like of the same shape
        Observed and forecast fields (e.g. rain rates in mm/h).
    threshold : float, default=1.0
        A value above ``threshold`` is an event (e.g. rain at 1 mm/h).
    axis : int, tuple of int or None, default=None
        Axes to count over; None counts over everything.

    Returns
    -------
    score : float or ndarray
        In [0, 1], 0 is perfect; NaN where no event was forecast.
    """
    hits, _, false_alarms = _contingency(y_true, y_pred, threshold, axis)
    return _ratio(false_alarms, hits + false_alarms)


_THRESHOLD_SCORES = {"csi": (csi, True), "pod": (pod, True), "far": (far, False)}
_FRAME_SCORES = {"rmse": rmse, "mae": mae}


def make_threshold_scorer(name: str, threshold: float = 1.0):
    """Make a scikit-learn scorer of a categorical score at a threshold.

    Parameters
    ----------
    name : {"csi", "pod", "far"}
        The score: :func:`csi`, :func:`pod` or :func:`far`.
    threshold : float, default=1.0
        A value above ``threshold`` is an event.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``; CSI and POD are maximised, FAR is
        negated (``greater_is_better=False``) so that model selection
        maximising the scorer minimises false alarms.

    Examples
    --------
    >>> from skseq.metrics import make_threshold_scorer
    >>> scorer = make_threshold_scorer("csi", threshold=1.0)
    """
    if name not in _THRESHOLD_SCORES:
        raise ValueError(
            f"Unknown threshold score {name!r}; use one of {sorted(_THRESHOLD_SCORES)}."
        )
    func, greater_is_better = _THRESHOLD_SCORES[name]
    return make_scorer(func, greater_is_better=greater_is_better, threshold=threshold)


def make_frame_scorer(name: str):
    """Make a scikit-learn scorer of RMSE or MAE for targets of any shape.

    Parameters
    ----------
    name : {"rmse", "mae"}
        The score: :func:`rmse` or :func:`mae`.

    Returns
    -------
    scorer : callable
        Negated error (``greater_is_better=False``), as sklearn's
        ``neg_root_mean_squared_error``.
    """
    if name not in _FRAME_SCORES:
        raise ValueError(
            f"Unknown frame score {name!r}; use one of {sorted(_FRAME_SCORES)}."
        )
    return make_scorer(_FRAME_SCORES[name], greater_is_better=False)


def nowcast_scores(
    y_true, y_pred, thresholds: Sequence[float] = (0.5, 1.0, 5.0)
) -> pd.DataFrame:
    """MAE, RMSE and CSI/POD/FAR at each threshold, per lead time.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples, n_lead_times, ...)
        Lead time on axis 1 (e.g. ``(n, T_out, H, W)``).
    thresholds : sequence of float, default=(0.5, 1.0, 5.0)
        Rain-rate thresholds in the data's units (mm/h).

    Returns
    -------
    table : pandas.DataFrame
        One row per lead time (index ``lead_time``, from 1); columns ``MAE``,
        ``RMSE`` and ``CSI@t``, ``POD@t``, ``FAR@t`` for each threshold ``t``.
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    if y_true.ndim < 2:
        raise ValueError(
            "nowcast_scores needs lead time on axis 1: shape (n_samples, "
            f"n_lead_times, ...); got {y_true.shape}."
        )
    axes = (0, *range(2, y_true.ndim))
    table = {
        "MAE": mae(y_true, y_pred, axis=axes),
        "RMSE": rmse(y_true, y_pred, axis=axes),
    }
    for t in thresholds:
        table[f"CSI@{t:g}"] = csi(y_true, y_pred, t, axis=axes)
        table[f"POD@{t:g}"] = pod(y_true, y_pred, t, axis=axes)
        table[f"FAR@{t:g}"] = far(y_true, y_pred, t, axis=axes)
    frame = pd.DataFrame({k: np.atleast_1d(v) for k, v in table.items()})
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="lead_time")
    return frame
