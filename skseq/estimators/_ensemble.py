"""Residual noise model of ``UNetNowcaster.predict_ensemble``.

A member is the deterministic recursive nowcast plus, at every lead time, an
error drawn from the errors the nowcast made at that lead time on
calibration windows, conditionally on the local intensity of the nowcast:

* the calibration errors ``y - f`` of lead ``k`` are binned by the smoothed
  nowcast ``f`` (bins bounded by quantiles of its values); each bin keeps
  the quantiles of its errors, ``Q_kb``;
* a member's error at a pixel is ``Q_kb(Phi(z))``, with ``z`` a Gaussian
  field of unit variance: spatially correlated (Gaussian-smoothed white
  noise of the scale of the lead-1 errors' lag-1 autocorrelation) and
  correlated from one lead to the next (AR(1) with the errors' lead-to-lead
  correlation) -- a Gaussian copula with the errors' empirical marginals.

Marginally, at every lead and intensity, the members are thus distributed
like the observations around the nowcast, so that the ensemble is reliable
on data like the calibration windows.

Position errors: before its error is added, a member's nowcast is moved by
``displacement_k * e`` pixels at lead ``k``, ``e`` a standard 2D Gaussian
drawn once per member (a position error that persists over the leads), and
the error quantiles are those of the observations around nowcasts moved the
same way. ``displacement_k`` is chosen per lead among ``DISPLACEMENTS`` by
the fair CRPS of small ensembles on the calibration windows (0: no move).
The spread of moved cells lands where additive errors are too narrow, at
the edges of strong rain. Everything runs in the network's space (after any
log transform).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import ndtr

from skseq.estimators._base import evenly_spaced_indices
from skseq.modules.advection import (
    advect_translation,
    gaussian_blur,
    gaussian_kernel,
)

#: Gaussian smoothing (pixels) of a frame before its intensity bin is read.
SMOOTHING = 2.0
#: Quantiles of the smoothed nowcast that bound the intensity bins.
BIN_QUANTILES = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.995)
#: Quantile levels kept of the errors in each bin: the centres of 100 equal
#: probability bins (not the extremes: interpolating up to the largest error
#: seen would inflate the spread with heavy-tailed errors).
LEVELS = (np.arange(100) + 0.5) / 100
#: Candidate position-error scales (pixels) per lead, 0 first.
DISPLACEMENTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
#: Members of the ensembles that score each candidate on calibration windows.
SELECTION_MEMBERS = 8
#: At most this many member values (windows x members x C x H x W) score the
#: candidates: large frames are scored on evenly spaced calibration windows
#: (all 128 of 64 x 64 frames), which bounds the memory of the choice.
SELECTION_VALUES = 2**22
#: Seed of the calibration's own draws (offsets, selection members): the error
#: model depends on the calibration windows only.
CALIBRATION_SEED = 0


def _smooth(frames: np.ndarray, sigma: float) -> np.ndarray:
    """:func:`~skseq.modules.gaussian_blur` of a float32 array."""
    x = torch.as_tensor(np.ascontiguousarray(frames), dtype=torch.float32, device="cpu")
    return gaussian_blur(x, sigma).numpy()


def correlated_normal(
    shape: tuple[int, ...], sigma: float, rng: np.random.RandomState
) -> np.ndarray:
    """Stationary unit-variance Gaussian fields ``(..., H, W)`` of scale ``sigma``.

    White noise drawn on the domain extended by the kernel's radius on every
    side, smoothed by a Gaussian of standard deviation ``sigma`` pixels
    without padding (so that a border pixel averages as many independent
    values as an inner one) and rescaled by the kernel's norm: every pixel
    has unit variance, and the lag-``d`` correlation is about
    ``exp(-d^2 / (4 sigma^2))``.
    """
    if sigma <= 0.5:
        return rng.standard_normal(shape).astype(np.float32)
    *lead, height, width = shape
    k = gaussian_kernel(sigma, device="cpu")
    r = (len(k) - 1) // 2
    white = rng.standard_normal((*lead, height + 2 * r, width + 2 * r))
    x = torch.from_numpy(white.astype(np.float32)).reshape(
        -1, 1, height + 2 * r, width + 2 * r
    )
    x = F.conv2d(F.conv2d(x, k.view(1, 1, 1, -1)), k.view(1, 1, -1, 1))
    return x.reshape(*lead, height, width).numpy() / float((k**2).sum())


def _unit(residuals: np.ndarray) -> np.floating:
    """A unit for residuals whose float32 squares would overflow, else 1.

    Residuals beyond about 1e19 square past float32's range; in units of
    the largest one they cannot (correlations are scale-free). Others keep
    their unit (dividing by 1 is exact: the same results as without).
    """
    peak = max(residuals.max(), -residuals.min())
    return peak if peak > 1e18 else residuals.dtype.type(1)


def lag1_correlation(residuals: np.ndarray) -> float:
    """Mean lag-1 autocorrelation along the last two axes.

    Averaged over the axes that have neighbours: frames one pixel high (or
    wide) give the correlation along their other axis; one pixel (1 x 1)
    gives 0.
    """
    r = residuals / _unit(residuals)
    r = r - r.mean(axis=(-2, -1), keepdims=True)
    var = float(np.mean(r**2))
    lags = []
    if r.shape[-2] > 1:
        lags.append(float(np.mean(r[..., 1:, :] * r[..., :-1, :])))
    if r.shape[-1] > 1:
        lags.append(float(np.mean(r[..., :, 1:] * r[..., :, :-1])))
    if var == 0 or not lags:
        return 0.0
    return float(np.mean(lags)) / var


def correlation_length(residuals: np.ndarray) -> float:
    """Noise scale (pixels) matching the lag-1 autocorrelation of residuals.

    For Gaussian-smoothed white noise the lag-1 correlation is
    ``exp(-1 / (4 sigma^2))``; clipped to [0.5, 8] (0.5: white).
    """
    rho = lag1_correlation(residuals)
    if rho <= np.exp(-1.0):
        return 0.5
    return float(np.clip(np.sqrt(-1.0 / (4.0 * np.log(min(rho, 0.999)))), 0.5, 8.0))


def displace(frames: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Frames ``(N, C, H, W)`` moved by ``offsets (N, 2)`` pixels ``(dx, dy)``.

    Bilinear; pixels entering the domain get the frame's minimum (dry).
    """
    moved = advect_translation(
        torch.as_tensor(
            np.ascontiguousarray(frames), dtype=torch.float32, device="cpu"
        ),
        torch.as_tensor(offsets, dtype=torch.float32, device="cpu"),
        1,
    )
    return moved[:, 0].numpy()


def _move_with_smooth(
    frames: np.ndarray, smooth: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``frames`` and their smoothing ``(N, C, H, W)`` moved by the same offsets.

    Moving the smoothed frames stands for smoothing the moved ones (they
    differ only near the borders) at a fraction of the cost.
    """
    channels = frames.shape[1]
    moved = displace(np.concatenate([frames, smooth], axis=1), offsets)
    return moved[:, :channels], moved[:, channels:]


def _bin_quantiles(
    smooth: np.ndarray, errors: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """Error quantiles ``(n_bins, n_levels)`` by bin of the smoothed forecast."""
    bins = np.digitize(smooth, edges).ravel()
    errors = errors.ravel()
    quantiles = np.zeros((len(edges) + 1, len(LEVELS)), np.float32)
    for b in range(len(quantiles)):
        in_bin = errors[bins == b]
        if in_bin.size >= 20:
            quantiles[b] = np.quantile(in_bin, LEVELS)
        elif b > 0:  # too few pixels: the bin below's errors
            quantiles[b] = quantiles[b - 1]
    return quantiles


def _levels(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where ``Phi(z)`` falls among ``LEVELS``: lower index and fraction."""
    n_levels = len(LEVELS)
    position = np.clip(ndtr(z) * n_levels - 0.5, 0, n_levels - 1)
    low = np.minimum(np.floor(position).astype(np.int32), n_levels - 2)
    return low, (position - low).astype(np.float32)


def _draw_errors(
    smooth: np.ndarray,
    quantiles: np.ndarray,
    edges: np.ndarray,
    levels: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """``Q_b(Phi(z))``: errors at the ``levels`` of standard normal ``z``
    (:func:`_levels`) in the bins of the smoothed forecast ``smooth``."""
    low, frac = levels
    # one flat index into the table rather than a pair of fancy indices
    # (the same values, a fraction of the cost on millions of pixels)
    flat = quantiles.ravel()
    index = np.digitize(smooth, edges) * quantiles.shape[1] + low
    return flat[index] * (1 - frac) + flat[index + 1] * frac


def _select_displacement(
    forecast: np.ndarray,
    smooth: np.ndarray,
    y: np.ndarray,
    edges: np.ndarray,
    offsets: np.ndarray,
    rng: np.random.RandomState,
    value_range: tuple[float, float] | None,
) -> float:
    """The candidate scale of lowest calibration CRPS at one lead.

    ``forecast, y (n, C, H, W)`` and ``smooth`` the smoothed ``forecast``;
    ``offsets (n, 2)`` the calibration windows' position errors; members
    clipped to ``value_range`` (as the nowcaster clips its members). Large
    frames are scored on evenly spaced windows (at most
    ``SELECTION_VALUES`` member values), whose errors give each candidate's
    quantiles.
    """
    from skseq.metrics import crps_ensemble

    per_window = SELECTION_MEMBERS * forecast[0].size
    scored = evenly_spaced_indices(
        len(forecast), max(1, SELECTION_VALUES // per_window)
    )
    forecast, smooth, y = forecast[scored], smooth[scored], y[scored]
    offsets = offsets[scored]
    n = len(scored)
    member_offsets = rng.standard_normal((n * SELECTION_MEMBERS, 2))
    repeated = np.repeat(forecast, SELECTION_MEMBERS, axis=0)
    repeated_smooth = np.repeat(smooth, SELECTION_MEMBERS, axis=0)
    levels = _levels(rng.standard_normal(repeated.shape).astype(np.float32))
    best = (np.inf, 0.0)
    for scale in DISPLACEMENTS:
        if scale:
            moved, moved_smooth = _move_with_smooth(forecast, smooth, scale * offsets)
            members, members_smooth = _move_with_smooth(
                repeated, repeated_smooth, scale * member_offsets
            )
        else:
            moved, moved_smooth = forecast, smooth
            members, members_smooth = repeated, repeated_smooth
        quantiles = _bin_quantiles(moved_smooth, y - moved, edges)
        members = members + _draw_errors(members_smooth, quantiles, edges, levels)
        if value_range is not None:
            members = np.clip(members, *value_range)
        members = members.reshape(n, SELECTION_MEMBERS, *forecast.shape[1:])
        crps = float(crps_ensemble(y, members, fair=True))
        if crps < best[0]:
            best = (crps, scale)
    return best[1]


def fit_noise(
    forecast: np.ndarray,
    y: np.ndarray,
    value_range: tuple[float, float] | None = None,
) -> dict:
    """Error quantiles per lead and intensity bin, position errors, correlations.

    Parameters
    ----------
    forecast, y : ndarray of shape (n, n_leads, C, H, W)
        The deterministic nowcast of calibration windows and the truth.
    value_range : (float, float) or None, default=None
        Where members are clipped, for the choice of the position errors.
    """
    rng = np.random.RandomState(CALIBRATION_SEED)
    n, n_leads = forecast.shape[:2]
    smooth = _smooth(forecast, SMOOTHING)
    edges = np.unique(np.quantile(smooth[:, 0], BIN_QUANTILES)).astype(np.float32)
    # one position error per window, persisting over the leads (as a member's)
    offsets = rng.standard_normal((n, 2))
    quantiles = np.zeros((n_leads, len(edges) + 1, len(LEVELS)), np.float32)
    displacement = np.zeros(n_leads, np.float32)
    residuals = np.empty_like(forecast)
    for k in range(n_leads):
        displacement[k] = _select_displacement(
            forecast[:, k], smooth[:, k], y[:, k], edges, offsets, rng, value_range
        )
        moved, moved_smooth = forecast[:, k], smooth[:, k]
        if displacement[k]:
            moved, moved_smooth = _move_with_smooth(
                moved, moved_smooth, displacement[k] * offsets
            )
        residuals[:, k] = y[:, k] - moved
        quantiles[k] = _bin_quantiles(moved_smooth, residuals[:, k], edges)
    if n_leads > 1:
        unit = _unit(residuals)
        a, b = residuals[:, :-1].reshape(-1) / unit, residuals[:, 1:].reshape(-1) / unit
        lead_correlation = float(np.corrcoef(a, b)[0, 1]) if a.std() * b.std() else 0.0
    else:
        lead_correlation = 0.0
    return {
        "bin_edges": edges,
        "quantiles": quantiles,
        "displacement": displacement,
        "correlation": correlation_length(residuals[:, 0]),
        "lead_correlation": float(np.clip(np.nan_to_num(lead_correlation), 0, 0.99)),
        "n_windows": len(y),
    }


def sample_members(
    forecast: np.ndarray, noise: dict, n_members: int, rng: np.random.RandomState
) -> np.ndarray:
    """Members ``(n, m, n_steps, C, H, W)`` around ``forecast (n, n_steps, C, H, W)``.

    Leads beyond the calibrated ones reuse the last one's error quantiles
    and position-error scale. An error model without ``"displacement"``
    (fitted before members had position errors) moves nothing.
    """
    n, n_steps = forecast.shape[:2]
    quantiles = noise["quantiles"]
    displacement = noise.get("displacement", np.zeros(len(quantiles)))
    rho = noise["lead_correlation"]
    out = np.empty((n, n_members, *forecast.shape[1:]), np.float32)
    smooth = _smooth(forecast, SMOOTHING)
    field_shape = (n, n_members, *forecast.shape[2:])
    z = correlated_normal(field_shape, noise["correlation"], rng)
    if np.any(displacement):
        offsets = rng.standard_normal((n * n_members, 2))
    for k in range(n_steps):
        if k:
            fresh = correlated_normal(field_shape, noise["correlation"], rng)
            z = rho * z + np.sqrt(1.0 - rho**2) * fresh
        last = min(k, len(quantiles) - 1)
        centre, centre_smooth = forecast[:, None, k], smooth[:, None, k]
        if displacement[last]:
            centre, centre_smooth = (
                a.reshape(field_shape)
                for a in _move_with_smooth(
                    np.repeat(forecast[:, k], n_members, axis=0),
                    np.repeat(smooth[:, k], n_members, axis=0),
                    displacement[last] * offsets,
                )
            )
        out[:, :, k] = centre + _draw_errors(
            centre_smooth, quantiles[last], noise["bin_edges"], _levels(z)
        )
    return out
