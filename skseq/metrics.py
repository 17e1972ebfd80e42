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

Every threshold is compared at the precision of the array it applies to, as
numpy compares a float32 array with a Python number: a float32 value equal
to ``float32(0.1)`` is at the threshold 0.1, as in pysteps, although the
scores compute in float64.

Probabilistic scores of ensembles (``y_ens`` with the members on
``member_axis``, 1 by default as returned by ``predict_ensemble``:
``(n_samples, n_members, n_steps, H, W)`` against ``y_true`` of shape
``(n_samples, n_steps, H, W)``): :func:`crps_ensemble`,
:func:`exceedance_probability`, :func:`brier_score`,
:func:`reliability_diagram`, :func:`roc_curve_probabilistic`,
:func:`rank_histogram` and :func:`spread_skill_ratio`, vectorised versions of
pysteps' ``verification.probscores``, ``verification.ensscores`` and
``postprocessing.ensemblestats`` (events are ``value >= threshold`` there, as
in pysteps), plus the scorers :func:`make_crps_scorer` and
:func:`make_brier_scorer` for model selection on ensembles.

Unlike pysteps, which skips pixels without an observation (radar no-data as
NaN), every score here refuses non-finite values: select the observed pixels
first (``y_true[mask]`` and the members at the same positions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from numbers import Integral
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from sklearn.metrics import make_scorer
from sklearn.utils import check_random_state

from skseq.utils.validation import (
    as_array_input,
    check_finite_real,
    check_positive_int,
    given_dtype,
    to_numeric_array,
)

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike

__all__ = [
    "brier_score",
    "crps_ensemble",
    "csi",
    "exceedance_probability",
    "far",
    "mae",
    "make_brier_scorer",
    "make_crps_scorer",
    "make_frame_scorer",
    "make_threshold_scorer",
    "nowcast_scores",
    "pod",
    "rank_histogram",
    "reliability_diagram",
    "rmse",
    "roc_curve_probabilistic",
    "spread_skill_ratio",
]

# spelled out in the public signatures, which the API pages show as written
Axis = int | tuple[int, ...] | None


def _not_empty(y_true: np.ndarray) -> np.ndarray:
    """``y_true``, refused without any value: an axis of length 0 beyond the
    first two (which scikit-learn's checks already refuse) made the scores
    NaN with numpy's warnings, or an empty table."""
    if y_true.size == 0:
        raise ValueError(
            f"y_true has no value (shape {y_true.shape}); expected at least one."
        )
    return y_true


def _check_pair(
    y_true, y_pred, *, pred_name: str = "y_pred"
) -> tuple[np.ndarray, np.ndarray]:
    """Float64 ``y_true`` and ``y_pred`` of one shape; errors name ``pred_name``."""
    y_true = _not_empty(to_numeric_array(y_true, name="y_true", dtype=np.float64))
    y_pred = to_numeric_array(y_pred, name=pred_name, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and {pred_name} must have the same shape; got {y_true.shape} "
            f"and {y_pred.shape}."
        )
    return y_true, y_pred


def rmse(
    y_true: ArrayLike, y_pred: ArrayLike, *, axis: int | tuple[int, ...] | None = None
) -> float | np.ndarray:
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


def mae(
    y_true: ArrayLike, y_pred: ArrayLike, *, axis: int | tuple[int, ...] | None = None
) -> float | np.ndarray:
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


def _check_bool(value, name: str) -> None:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {value!r}.")


def _in_precision_of(values, threshold: float) -> float:
    """``threshold`` rounded to the float precision of ``values`` as given.

    The scores compare in float64, where a float32 value equal to a threshold
    that float32 cannot hold (0.1, 0.7) falls on one side of it or the other;
    numpy (so pysteps) compares a float32 array with a Python number in
    float32. Rounded as the values were, the threshold keeps them at it.
    """
    dtype = given_dtype(values)  # numpy, pandas, torch, lists
    if dtype is None:  # ragged, or not numbers: refused later
        return threshold
    if "bfloat16" in str(dtype):  # torch's, which numpy lacks
        import torch

        return float(torch.tensor(threshold, dtype=torch.bfloat16))
    floating = getattr(dtype, "kind", None) == "f" or getattr(
        dtype, "is_floating_point", False
    )
    itemsize = getattr(dtype, "itemsize", 8)
    if not floating or itemsize >= 8:
        return threshold
    return float(np.float32(threshold) if itemsize == 4 else np.float16(threshold))


def _contingency(y_true, y_pred, threshold: float, axis: Axis):
    threshold = check_finite_real(threshold, "threshold")
    observed_at = _in_precision_of(y_true, threshold)
    forecast_at = _in_precision_of(y_pred, threshold)
    y_true, y_pred = _check_pair(y_true, y_pred)
    return _event_counts(y_true > observed_at, y_pred > forecast_at, axis)


def _event_counts(observed: np.ndarray, forecast: np.ndarray, axis: Axis):
    """Hits, misses and false alarms of boolean event fields."""
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


def _csi(hits, misses, false_alarms):
    return _ratio(hits, hits + misses + false_alarms)


def _pod(hits, misses, false_alarms):
    return _ratio(hits, hits + misses)


def _far(hits, misses, false_alarms):
    return _ratio(false_alarms, hits + false_alarms)


def csi(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    threshold: float = 1.0,
    *,
    axis: int | tuple[int, ...] | None = None,
) -> float | np.ndarray:
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
    return _csi(*_contingency(y_true, y_pred, threshold, axis))


def pod(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    threshold: float = 1.0,
    *,
    axis: int | tuple[int, ...] | None = None,
) -> float | np.ndarray:
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
    return _pod(*_contingency(y_true, y_pred, threshold, axis))


def far(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    threshold: float = 1.0,
    *,
    axis: int | tuple[int, ...] | None = None,
) -> float | np.ndarray:
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
    return _far(*_contingency(y_true, y_pred, threshold, axis))


_THRESHOLD_SCORES = {"csi": (csi, True), "pod": (pod, True), "far": (far, False)}
_FRAME_SCORES = {"rmse": rmse, "mae": mae}


def make_threshold_scorer(name: str, threshold: float = 1.0) -> Callable[..., float]:
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
    if not isinstance(name, str) or name not in _THRESHOLD_SCORES:
        raise ValueError(
            f"Unknown threshold score {name!r}; use one of {sorted(_THRESHOLD_SCORES)}."
        )
    func, greater_is_better = _THRESHOLD_SCORES[name]
    threshold = check_finite_real(threshold, "threshold")
    return make_scorer(func, greater_is_better=greater_is_better, threshold=threshold)


def make_frame_scorer(name: str) -> Callable[..., float]:
    """Make a scikit-learn scorer of RMSE or MAE for targets of any shape.

    Parameters
    ----------
    name : {"rmse", "mae"}
        The score: :func:`rmse` or :func:`mae`.

    Returns
    -------
    scorer : callable
        Negated error (``greater_is_better=False``), the sign convention of
        sklearn's ``neg_root_mean_squared_error``. The error is over every
        value of ``y`` at once (for ``"rmse"``, the root of the mean squared
        error of all values), where sklearn's averages per-column errors of
        2D targets.
    """
    if not isinstance(name, str) or name not in _FRAME_SCORES:
        raise ValueError(
            f"Unknown frame score {name!r}; use one of {sorted(_FRAME_SCORES)}."
        )
    return make_scorer(_FRAME_SCORES[name], greater_is_better=False)


def nowcast_scores(
    y_true: ArrayLike, y_pred: ArrayLike, thresholds: Sequence[float] = (0.5, 1.0, 5.0)
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
    given_true, given_pred = y_true, y_pred  # their precision rounds thresholds
    y_true, y_pred = _check_pair(y_true, y_pred)
    if y_true.ndim < 2:
        raise ValueError(
            "nowcast_scores needs lead time on axis 1: shape (n_samples, "
            f"n_lead_times, ...); got {y_true.shape}."
        )
    axes = (0, *range(2, y_true.ndim))
    if np.ndim(thresholds) == 0:  # one threshold
        thresholds = [cast(float, thresholds)]
    labels = [f"{check_finite_real(t, 'each threshold'):g}" for t in thresholds]
    if len(set(labels)) < len(labels):
        raise ValueError(
            f"thresholds {list(thresholds)} give the same column names "
            f"{labels}: pass thresholds that differ in their first 6 digits."
        )
    table = {
        "MAE": mae(y_true, y_pred, axis=axes),
        "RMSE": rmse(y_true, y_pred, axis=axes),
    }
    for t in thresholds:
        # as csi, pod and far compare: at the precision of the arrays given
        counts = _event_counts(
            y_true > _in_precision_of(given_true, t),
            y_pred > _in_precision_of(given_pred, t),
            axes,
        )
        table[f"CSI@{t:g}"] = _csi(*counts)
        table[f"POD@{t:g}"] = _pod(*counts)
        table[f"FAR@{t:g}"] = _far(*counts)
    frame = pd.DataFrame({k: np.atleast_1d(v) for k, v in table.items()})
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="lead_time")
    return frame


# --------------------------------------------------------------------------
# probabilistic scores of ensembles


def _check_member_axis(y_ens: np.ndarray, member_axis) -> None:
    if not (
        isinstance(member_axis, Integral)
        and not isinstance(member_axis, bool | np.bool_)
        # typeshed's numbers.Integral declares only < and <=
        and -y_ens.ndim <= member_axis < y_ens.ndim  # type: ignore[operator]
    ):
        raise ValueError(
            f"member_axis must be an axis of y_ens (an integer in [-{y_ens.ndim}, "
            f"{y_ens.ndim - 1}] for its shape {y_ens.shape}); got {member_axis!r}."
        )


def _check_ensemble(y_true, y_ens, member_axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return ``y_true`` and ``y_ens`` with the members last."""
    y_true = _not_empty(to_numeric_array(y_true, name="y_true", dtype=np.float64))
    y_ens = to_numeric_array(y_ens, name="y_ens", dtype=np.float64)
    _check_member_axis(y_ens, member_axis)
    if y_ens.ndim != y_true.ndim + 1:
        raise ValueError(
            "y_ens must have one axis more than y_true (the ensemble members, on "
            f"member_axis={member_axis}); got y_true of shape {y_true.shape} and "
            f"y_ens of shape {y_ens.shape}."
        )
    y_ens = np.moveaxis(y_ens, member_axis, -1)
    if y_ens.shape[:-1] != y_true.shape:
        raise ValueError(
            f"y_ens without its member axis ({member_axis}) must have the shape of "
            f"y_true {y_true.shape}; got y_ens of shape "
            f"{np.moveaxis(y_ens, -1, member_axis).shape}."
        )
    if y_ens.shape[-1] < 1:
        raise ValueError("y_ens has no ensemble member.")
    return y_true, y_ens


def _observed_event(
    y_true, probability, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """The observed events ``y_true >= threshold`` (bool) and the checked
    ``probability`` of a probability score, of one shape."""
    threshold = _in_precision_of(y_true, check_finite_real(threshold, "threshold"))
    y_true, probability = _check_pair(y_true, probability, pred_name="probability")
    if probability.size and (probability.min() < 0 or probability.max() > 1):
        raise ValueError(
            "probability must lie in [0, 1] (e.g. from exceedance_probability); got "
            f"values in [{probability.min():g}, {probability.max():g}]."
        )
    return y_true >= threshold, probability


def crps_ensemble(
    y_true: ArrayLike,
    y_ens: ArrayLike,
    *,
    member_axis: int = 1,
    axis: int | tuple[int, ...] | None = None,
    fair: bool = False,
) -> float | np.ndarray:
    """Compute the continuous ranked probability score of an ensemble forecast.

    ``CRPS = mean_i |x_i - y| - 1/(2 m^2) sum_ij |x_i - x_j|`` for the ``m``
    members ``x_i`` and the observation ``y`` (Gneiting and Raftery 2007),
    the integral of ``(F(t) - 1{t >= y})^2`` over ``t`` for the ensemble's
    empirical CDF ``F``: the same value as pysteps'
    ``verification.probscores.CRPS`` (Hersbach 2000), computed from the
    sorted members in ``O(m log m)`` per point. Where the observation equals
    a member (e.g. dry pixels, 0 in both) this is the exact integral, whereas
    pysteps' decomposition, with strict inequalities, drops those terms
    (observation 0, members ``(0, 0, 1)``: 1/9 here, 0 in pysteps 1.21). It reduces to the absolute
    error for one member. Lower is better, in the data's units.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, ...)
        Observations.
    y_ens : array-like
        Ensemble forecasts: the shape of ``y_true`` with one more axis, the
        members, at ``member_axis`` (e.g. ``(n_samples, n_members, n_steps,
        H, W)`` from ``predict_ensemble``).
    member_axis : int, default=1
        Axis of ``y_ens`` holding the members.
    axis : int, tuple of int or None, default=None
        Axes of ``y_true`` to average over; None averages everything. E.g.
        ``axis=(0, 2, 3)`` on ``y_true`` of shape ``(n, n_steps, H, W)`` gives
        one CRPS per lead time.
    fair : bool, default=False
        The "fair" CRPS (Ferro 2014), whose spread term divides by
        ``m (m - 1)`` instead of ``m^2``: the score the ensemble would get
        with infinitely many members drawn like its own, so that ensembles of
        different sizes compare fairly (needs ``m >= 2``).

    Returns
    -------
    score : float or ndarray
        Mean CRPS (an array when ``axis`` leaves axes).

    Examples
    --------
    >>> import numpy as np
    >>> from skseq.metrics import crps_ensemble
    >>> crps_ensemble(np.zeros(1), np.array([[-1.0, 1.0]]))
    0.5
    """
    _check_bool(fair, "fair")
    y_true, y_ens = _check_ensemble(y_true, y_ens, member_axis)
    m = y_ens.shape[-1]
    if fair and m < 2:
        raise ValueError("fair=True needs at least 2 ensemble members.")
    members = np.sort(y_ens, axis=-1)
    error = np.mean(np.abs(members - y_true[..., None]), axis=-1)
    # sum_ij |x_i - x_j| = 2 sum_i (2 i - m - 1) x_(i), i = 1..m on sorted x
    weights = 2.0 * np.arange(1, m + 1) - m - 1
    pair_sum = 2.0 * (members @ weights)
    spread = pair_sum / (2.0 * m * (m - 1) if fair else 2.0 * m * m)
    return _scalar(np.mean(error - spread, axis=axis))


def exceedance_probability(
    y_ens: ArrayLike, threshold: float | Sequence[float], *, member_axis: int = 1
) -> np.ndarray:
    """Probability of ``value >= threshold``: the fraction of members above it.

    As pysteps' ``postprocessing.ensemblestats.excprob``.

    Parameters
    ----------
    y_ens : array-like
        Ensemble forecasts with the members at ``member_axis``.
    threshold : float or sequence of float
        Event threshold(s) (e.g. 1 mm/h).
    member_axis : int, default=1
        Axis of ``y_ens`` holding the members.

    Returns
    -------
    probability : ndarray
        ``y_ens``'s shape without the member axis; with a sequence of
        thresholds, one more leading axis, one entry per threshold.
    """
    given = y_ens  # its precision rounds the thresholds
    y_ens = to_numeric_array(y_ens, name="y_ens", dtype=np.float64)
    _check_member_axis(y_ens, member_axis)
    if y_ens.shape[member_axis] < 1:
        raise ValueError("y_ens has no ensemble member.")
    if np.ndim(threshold) == 0:  # a number, also a 0-d array
        threshold = _in_precision_of(given, check_finite_real(threshold, "threshold"))
        # an array also for 1D members (np.mean gives a numpy scalar there)
        return np.asarray(np.mean(y_ens >= threshold, axis=member_axis))
    thresholds = cast("Sequence[float]", threshold)  # not a number: a sequence
    if len(thresholds) == 0:
        raise ValueError("threshold is an empty sequence; give at least one.")
    thresholds = [
        _in_precision_of(given, check_finite_real(t, "each threshold"))
        for t in thresholds
    ]
    return np.stack([np.mean(y_ens >= t, axis=member_axis) for t in thresholds])


def brier_score(
    y_true: ArrayLike,
    probability: ArrayLike,
    threshold: float = 1.0,
    *,
    axis: int | tuple[int, ...] | None = None,
) -> float | np.ndarray:
    """Brier score ``mean((p - o)^2)`` of the event ``value >= threshold``.

    Parameters
    ----------
    y_true : array-like
        Observations.
    probability : array-like of the shape of ``y_true``
        Forecast probabilities of the event (e.g. from
        :func:`exceedance_probability`).
    threshold : float, default=1.0
        The observed event is ``y_true >= threshold``.
    axis : int, tuple of int or None, default=None
        Axes to average over; None averages everything.

    Returns
    -------
    score : float or ndarray
        In [0, 1], 0 is perfect.
    """
    observed, probability = _observed_event(y_true, probability, threshold)
    return _scalar(np.mean((probability - observed) ** 2, axis=axis))


def reliability_diagram(
    y_true: ArrayLike,
    probability: ArrayLike,
    threshold: float = 1.0,
    *,
    n_bins: int = 10,
    min_count: int = 10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data of a reliability diagram of the event ``value >= threshold``.

    The forecast probabilities are binned in ``n_bins`` equal bins of
    ``[0, 1]``; per bin, the mean forecast probability and the observed
    frequency of the event. As pysteps' ``verification.probscores.reldiag``
    (same bins and ``min_count``; bins with fewer than ``min_count`` pairs
    are NaN in both, without pysteps' warnings), except that ``counts``
    holds every bin's pairs, where pysteps reports 0 for those bins.

    Parameters
    ----------
    y_true : array-like
        Observations.
    probability : array-like of the shape of ``y_true``
        Forecast probabilities of the event.
    threshold : float, default=1.0
        The observed event is ``y_true >= threshold``.
    n_bins : int, default=10
        Probability bins.
    min_count : int, default=10
        Bins with fewer forecast-observation pairs are NaN.

    Returns
    -------
    forecast_probability : ndarray of shape (n_bins,)
        Mean forecast probability in each bin (x of the diagram).
    observed_frequency : ndarray of shape (n_bins,)
        Observed frequency of the event in each bin (y; on the diagonal for
        a reliable forecast).
    counts : ndarray of shape (n_bins,)
        Pairs in each bin (the sharpness histogram).
    """
    observed, probability = _observed_event(y_true, probability, threshold)
    n_bins = check_positive_int(n_bins, "n_bins")
    min_count = check_positive_int(min_count, "min_count", minimum=0)
    probability, observed = probability.ravel(), observed.ravel()
    edges = np.linspace(-1e-6, 1 + 1e-6, n_bins + 1)
    index = np.clip(np.digitize(probability, edges, right=True) - 1, 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    prob_sum = np.bincount(index, weights=probability, minlength=n_bins)
    event_sum = np.bincount(index, weights=observed, minlength=n_bins)
    enough = counts >= max(min_count, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        forecast = np.where(enough, prob_sum / counts, np.nan)
        frequency = np.where(enough, event_sum / counts, np.nan)
    return forecast, frequency, counts


def roc_curve_probabilistic(
    y_true: ArrayLike,
    probability: ArrayLike,
    threshold: float = 1.0,
    *,
    n_prob_thresholds: int = 10,
) -> tuple[np.ndarray, np.ndarray, float]:
    """ROC curve and area of probability forecasts of ``value >= threshold``.

    The event is forecast where the probability reaches each of
    ``n_prob_thresholds`` equally spaced probability thresholds in
    ``[0, 1]``; the area is the trapezoidal area under the (POFD, POD)
    points closed at (0, 0) and (1, 1): pysteps'
    ``verification.probscores.ROC_curve(..., compute_area=True)``, but for
    probabilities exactly at a threshold. pysteps' thresholds
    (``linspace``) lie a rounding error above 0.3, 0.6 and 0.7 with 11 of
    them, so that an ensemble's probability of exactly 3, 6 or 7 in 10 misses
    its threshold; here the thresholds are ``k / (n_prob_thresholds - 1)``,
    the nearest floats to those fractions, in the probability's precision.

    Parameters
    ----------
    y_true : array-like
        Observations.
    probability : array-like of the shape of ``y_true``
        Forecast probabilities of the event.
    threshold : float, default=1.0
        The observed event is ``y_true >= threshold``.
    n_prob_thresholds : int, default=10
        Probability thresholds ``k / (n_prob_thresholds - 1)`` for ``k = 0,
        ..., n_prob_thresholds - 1`` (one threshold, 0, for 1).

    Returns
    -------
    pofd : ndarray of shape (n_prob_thresholds,)
        Probability of false detection at each probability threshold.
    pod : ndarray of shape (n_prob_thresholds,)
        Probability of detection at each probability threshold.
    area : float
        Area under the ROC curve (0.5: no skill, 1: perfect); NaN if the
        event was always or never observed.
    """
    n = check_positive_int(n_prob_thresholds, "n_prob_thresholds")
    # k / (n - 1), each the nearest float to its fraction (as an ensemble's
    # m / M is), rounded as the given probabilities were
    fractions = np.arange(n) / max(n - 1, 1)
    cuts = np.array([_in_precision_of(probability, c) for c in fractions])
    observed, probability = _observed_event(y_true, probability, threshold)
    observed = observed.ravel()
    probability = probability.ravel()
    # forecast "yes" at cut c where p >= c: count pairs with p >= c by sorting
    n_events, n_non_events = observed.sum(), (~observed).sum()
    p_event = np.sort(probability[observed])
    p_non_event = np.sort(probability[~observed])
    hits = n_events - np.searchsorted(p_event, cuts, side="left")
    false_alarms = n_non_events - np.searchsorted(p_non_event, cuts, side="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        pod = hits / np.float64(n_events)
        pofd = false_alarms / np.float64(n_non_events)
    area = (1.0 - pofd[0]) * (1.0 + pod[0]) / 2.0
    area += np.sum((pofd[:-1] - pofd[1:]) * (pod[1:] + pod[:-1]) / 2.0)
    area += pofd[-1] * pod[-1] / 2.0
    return pofd, pod, float(area)


def rank_histogram(
    y_true: ArrayLike,
    y_ens: ArrayLike,
    *,
    member_axis: int = 1,
    threshold: float | None = None,
    normalize: bool = True,
    random_state: int | np.random.RandomState | None = None,
) -> np.ndarray:
    """Rank histogram (Talagrand diagram) of an ensemble forecast.

    The rank of each observation among the ``m`` members, ``0..m`` (ties
    broken uniformly at random, as pysteps' ``verification.ensscores.
    rankhist``): flat for a calibrated ensemble, U-shaped for an
    under-dispersive one, dome-shaped for an over-dispersive one.

    Parameters
    ----------
    y_true : array-like
        Observations.
    y_ens : array-like
        Ensemble forecasts with the members at ``member_axis``.
    member_axis : int, default=1
        Axis of ``y_ens`` holding the members.
    threshold : float or None, default=None
        As pysteps' ``X_min``: points where the observation and every member
        are below it are left out, and values below it are tied (dry pixels
        of rain fields). None keeps every point.
    normalize : bool, default=True
        Return frequencies summing to 1 (else counts).
    random_state : int, RandomState instance or None, default=None
        Breaks ties.

    Returns
    -------
    histogram : ndarray of shape (n_members + 1,)
        Frequency (or count) of each rank; with ``normalize``, NaN where
        ``threshold`` leaves no point (counts of 0 without).
    """
    _check_bool(normalize, "normalize")
    if threshold is not None:
        threshold = check_finite_real(threshold, "threshold")
        observed_at = _in_precision_of(y_true, threshold)
        members_at = _in_precision_of(y_ens, threshold)
    y_true, y_ens = _check_ensemble(y_true, y_ens, member_axis)
    m = y_ens.shape[-1]
    members = y_ens.reshape(-1, m)
    observed = y_true.ravel()
    if threshold is not None:
        keep = (observed >= observed_at) | np.any(members >= members_at, axis=1)
        members, observed = members[keep], observed[keep]
        dry = min(observed_at, members_at) - 1  # one value: dry points tie
        members = np.where(members < members_at, dry, members)
        observed = np.where(observed < observed_at, dry, observed)
    below = np.sum(members < observed[:, None], axis=1)
    tied = np.sum(members == observed[:, None], axis=1)
    rng = check_random_state(random_state)
    rank = below + np.floor(rng.uniform(size=len(observed)) * (tied + 1)).astype(int)
    counts = np.bincount(rank, minlength=m + 1).astype(np.float64)
    if normalize:  # no point kept (all dry): no frequencies (NaN, as pysteps)
        total = counts.sum()
        return counts / total if total else np.full_like(counts, np.nan)
    return counts.astype(int)


def spread_skill_ratio(
    y_true: ArrayLike,
    y_ens: ArrayLike,
    *,
    member_axis: int = 1,
    axis: int | tuple[int, ...] | None = None,
) -> float | np.ndarray:
    """Spread/skill ratio: ensemble spread over the error of the ensemble mean.

    ``sqrt((m + 1) / m) * sqrt(mean(var)) / RMSE(mean)``, with ``var`` the
    unbiased variance of the ``m`` members and ``RMSE(mean)`` the root mean
    squared error of the ensemble mean (Fortin et al. 2014): 1 for a
    calibrated ensemble (the observation is statistically indistinguishable
    from a member), below 1 for an under-dispersive one, above 1 for an
    over-dispersive one. The variance and squared error are averaged before
    the roots are taken.

    Parameters
    ----------
    y_true : array-like
        Observations.
    y_ens : array-like
        Ensemble forecasts with the members at ``member_axis`` (at least 2).
    member_axis : int, default=1
        Axis of ``y_ens`` holding the members.
    axis : int, tuple of int or None, default=None
        Axes of ``y_true`` to average over; None averages everything (e.g.
        ``axis=(0, 2, 3)`` gives one ratio per lead time).

    Returns
    -------
    ratio : float or ndarray
        Spread/skill ratio; NaN where the ensemble mean is exact (to the
        rounding of the data's magnitude).
    """
    y_true, y_ens = _check_ensemble(y_true, y_ens, member_axis)
    m = y_ens.shape[-1]
    if m < 2:
        raise ValueError("spread_skill_ratio needs at least 2 ensemble members.")
    variance = np.mean(np.var(y_ens, axis=-1, ddof=1), axis=axis)
    squared_error = np.mean((np.mean(y_ens, axis=-1) - y_true) ** 2, axis=axis)
    # an error at the rounding level of the data's magnitude is no error
    # (members all equal to the observation average to it +- 1 ulp)
    magnitude = np.mean(np.mean(y_ens**2, axis=-1), axis=axis)
    exact = squared_error <= (16 * np.finfo(np.float64).eps) ** 2 * magnitude
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.sqrt((m + 1) / m * variance) / np.sqrt(squared_error)
    return _scalar(np.where(exact, np.nan, ratio))


def _predict_ensemble_like(estimator, X, y, n_members: int, random_state):
    """Members ``(n, m, ...)`` in the layout of ``y`` (``predict`` 's layout).

    ``y`` holds frames ``(n, T, [C,] H, W)``, or ``(n, H, W)`` for one output
    frame; ``predict_ensemble`` returns ``(n, m, T, [C,] H, W)``, with a
    channel axis where the ``y`` of ``fit`` had one (or, for estimators
    fitted before skseq recorded it, where ``X`` has one). The axes of
    length 1 that ``y`` does not have (its lead or channel axis) are
    dropped.
    """
    estimator, X = _ensemble_forecaster(estimator, X)
    y = np.asarray(as_array_input(y))
    n_steps = 1 if y.ndim <= 3 else y.shape[1]
    ens = estimator.predict_ensemble(
        X, n_members=n_members, n_steps=n_steps, random_state=random_state
    )
    in_y_layout = ens.shape[:2] + y.shape[1:]
    if ens.shape != in_y_layout and [d for d in ens.shape[2:] if d != 1] == [
        d for d in y.shape[1:] if d != 1
    ]:
        ens = ens.reshape(in_y_layout)
    return y, ens


def _ensemble_forecaster(estimator, X):
    """The estimator whose ``predict_ensemble`` forecasts ``X``, and ``X`` as
    it reads it: a fitted ``Pipeline``'s last step, behind its other steps'
    ``transform``; a fitted search's ``best_estimator_``."""
    from sklearn.pipeline import Pipeline

    given = type(estimator).__name__
    while not hasattr(estimator, "predict_ensemble"):
        if isinstance(estimator, Pipeline):
            X = estimator[:-1].transform(X)
            estimator = estimator[-1]
        elif hasattr(estimator, "best_estimator_"):  # GridSearchCV, ...
            estimator = estimator.best_estimator_
        else:
            raise TypeError(
                "This scorer draws ensembles with predict_ensemble (of the "
                "estimator, of a Pipeline's last step or of a search's "
                f"best_estimator_); {given} has none."
            )
    return estimator, X


def _check_seed(random_state) -> None:
    """A scorer's seed: an int or None (the same members for every candidate)."""
    if random_state is not None and (
        not isinstance(random_state, Integral) or isinstance(random_state, bool)
    ):
        raise TypeError(f"random_state must be an int or None; got {random_state!r}.")


def make_crps_scorer(
    n_members: int = 20, *, fair: bool = False, random_state: int | None = 0
) -> Callable[..., float]:
    """Make a scikit-learn scorer of the ensemble CRPS of ``predict_ensemble``.

    Parameters
    ----------
    n_members : int, default=20
        Members drawn with ``estimator.predict_ensemble``.
    fair : bool, default=False
        Use the fair CRPS (see :func:`crps_ensemble`).
    random_state : int or None, default=0
        Seed of the members, so that candidates are scored on equal terms.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` -> ``-crps_ensemble`` (negated, so that
        ``GridSearchCV`` maximising it minimises the CRPS), for any estimator
        with ``predict_ensemble(X, n_members, n_steps, random_state)``, a
        ``Pipeline`` ending in one or a fitted search over one; the number
        of steps is that of ``y``.

    Examples
    --------
    >>> from skseq.metrics import make_crps_scorer
    >>> scorer = make_crps_scorer(n_members=10)
    """
    n_members = check_positive_int(n_members, "n_members")
    _check_bool(fair, "fair")
    if fair and n_members < 2:
        # refused here, not as a NaN score of every candidate of a search
        raise ValueError(
            "fair=True needs at least 2 ensemble members; got n_members=1."
        )
    _check_seed(random_state)
    # a partial of a module-level function: a fitted search holding it pickles
    return partial(_neg_crps, n_members=n_members, fair=fair, random_state=random_state)


def _neg_crps(estimator, X, y, *, n_members, fair, random_state) -> float:
    """The scorer of :func:`make_crps_scorer`."""
    y, ens = _predict_ensemble_like(estimator, X, y, n_members, random_state)
    return -float(crps_ensemble(y, ens, fair=fair))


def make_brier_scorer(
    threshold: float = 1.0, n_members: int = 20, *, random_state: int | None = 0
) -> Callable[..., float]:
    """Make a scikit-learn scorer of the Brier score of ``predict_ensemble``.

    Parameters
    ----------
    threshold : float, default=1.0
        The event is ``value >= threshold``; its probability is the fraction
        of members above it (:func:`exceedance_probability`).
    n_members : int, default=20
        Members drawn with ``estimator.predict_ensemble``.
    random_state : int or None, default=0
        Seed of the members.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` -> ``-brier_score`` (negated: greater is
        better), for the estimators of :func:`make_crps_scorer`.
    """
    n_members = check_positive_int(n_members, "n_members")
    threshold = check_finite_real(threshold, "threshold")
    _check_seed(random_state)
    return partial(
        _neg_brier, threshold=threshold, n_members=n_members, random_state=random_state
    )


def _neg_brier(estimator, X, y, *, threshold, n_members, random_state) -> float:
    """The scorer of :func:`make_brier_scorer`."""
    y, ens = _predict_ensemble_like(estimator, X, y, n_members, random_state)
    return -float(brier_score(y, exceedance_probability(ens, threshold), threshold))
