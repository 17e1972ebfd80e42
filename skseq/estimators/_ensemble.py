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
on data like the calibration windows. Everything runs in the network's space
(after any log transform).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import ndtr
from torch import Tensor

#: Gaussian smoothing (pixels) of a frame before its intensity bin is read.
SMOOTHING = 2.0
#: Quantiles of the smoothed nowcast that bound the intensity bins.
BIN_QUANTILES = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.995)
#: Quantile levels kept of the errors in each bin: the centres of 100 equal
#: probability bins (not the extremes: interpolating up to the largest error
#: seen would inflate the spread with heavy-tailed errors).
LEVELS = (np.arange(100) + 0.5) / 100


def _kernel(sigma: float, size_limit: int) -> Tensor:
    radius = max(1, min(int(np.ceil(3 * sigma)), size_limit - 1))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(frames: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian smoothing of ``(..., H, W)`` (replicate borders)."""
    if sigma <= 0:
        return frames
    *lead, h, w = frames.shape
    k = _kernel(sigma, min(h, w))
    r = (len(k) - 1) // 2
    x = torch.as_tensor(np.ascontiguousarray(frames), dtype=torch.float32)
    x = x.reshape(-1, 1, h, w)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    x = F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))
    return x.reshape(*lead, h, w).numpy()


def correlated_normal(
    shape: tuple[int, ...], sigma: float, rng: np.random.RandomState
) -> np.ndarray:
    """Unit-variance Gaussian fields ``(..., H, W)`` of spatial scale ``sigma``.

    White noise smoothed by a Gaussian of standard deviation ``sigma``
    pixels, rescaled by the kernel's norm (lag-``d`` correlation about
    ``exp(-d^2 / (4 sigma^2))``).
    """
    white = rng.standard_normal(shape).astype(np.float32)
    if sigma <= 0.5:
        return white
    k = _kernel(sigma, min(shape[-2:]))
    return gaussian_blur(white, sigma) / float((k**2).sum())


def lag1_correlation(residuals: np.ndarray) -> float:
    """Mean lag-1 autocorrelation along the last two axes."""
    r = residuals - residuals.mean(axis=(-2, -1), keepdims=True)
    var = float(np.mean(r**2))
    if var == 0:
        return 0.0
    return (
        0.5
        * (
            float(np.mean(r[..., 1:, :] * r[..., :-1, :]))
            + float(np.mean(r[..., :, 1:] * r[..., :, :-1]))
        )
        / var
    )


def correlation_length(residuals: np.ndarray) -> float:
    """Noise scale (pixels) matching the lag-1 autocorrelation of residuals.

    For Gaussian-smoothed white noise the lag-1 correlation is
    ``exp(-1 / (4 sigma^2))``; clipped to [0.5, 8] (0.5: white).
    """
    rho = lag1_correlation(residuals)
    if rho <= np.exp(-1.0):
        return 0.5
    return float(np.clip(np.sqrt(-1.0 / (4.0 * np.log(min(rho, 0.999)))), 0.5, 8.0))


def fit_noise(forecast: np.ndarray, y: np.ndarray) -> dict:
    """Error quantiles per lead and intensity bin, and the noise correlations.

    Parameters
    ----------
    forecast, y : ndarray of shape (n, n_leads, C, H, W)
        The deterministic nowcast of calibration windows and the truth.
    """
    residuals = y - forecast
    smooth = gaussian_blur(forecast, SMOOTHING)
    edges = np.unique(np.quantile(smooth[:, 0], BIN_QUANTILES)).astype(np.float32)
    n_leads, n_bins = forecast.shape[1], len(edges) + 1
    quantiles = np.zeros((n_leads, n_bins, len(LEVELS)), np.float32)
    for k in range(n_leads):
        bins = np.digitize(smooth[:, k], edges).ravel()
        errors = residuals[:, k].ravel()
        for b in range(n_bins):
            in_bin = errors[bins == b]
            if in_bin.size >= 20:
                quantiles[k, b] = np.quantile(in_bin, LEVELS)
            elif b > 0:  # too few pixels: the bin below's errors
                quantiles[k, b] = quantiles[k, b - 1]
    if n_leads > 1:
        a, b = residuals[:, :-1].ravel(), residuals[:, 1:].ravel()
        lead_correlation = float(np.corrcoef(a, b)[0, 1]) if a.std() * b.std() else 0.0
    else:
        lead_correlation = 0.0
    return {
        "bin_edges": edges,
        "quantiles": quantiles,
        "correlation": correlation_length(residuals[:, 0]),
        "lead_correlation": float(np.clip(np.nan_to_num(lead_correlation), 0, 0.99)),
        "n_windows": len(y),
    }


def sample_members(
    forecast: np.ndarray, noise: dict, n_members: int, rng: np.random.RandomState
) -> np.ndarray:
    """Members ``(n, m, n_steps, C, H, W)`` around ``forecast (n, n_steps, C, H, W)``.

    Leads beyond the calibrated ones reuse the last one's error quantiles.
    """
    n, n_steps = forecast.shape[:2]
    quantiles = noise["quantiles"]
    edges = noise["bin_edges"]
    rho = noise["lead_correlation"]
    n_levels = quantiles.shape[-1]
    out = np.empty((n, n_members, *forecast.shape[1:]), np.float32)
    smooth = gaussian_blur(forecast, SMOOTHING)
    field_shape = (n, n_members, *forecast.shape[2:])
    z = correlated_normal(field_shape, noise["correlation"], rng)
    for k in range(n_steps):
        if k:
            fresh = correlated_normal(field_shape, noise["correlation"], rng)
            z = rho * z + np.sqrt(1.0 - rho**2) * fresh
        q = quantiles[min(k, len(quantiles) - 1)]
        bins = np.broadcast_to(np.digitize(smooth[:, None, k], edges), field_shape)
        position = np.clip(ndtr(z) * n_levels - 0.5, 0, n_levels - 1)
        low = np.minimum(np.floor(position).astype(int), n_levels - 2)
        frac = (position - low).astype(np.float32)
        error = q[bins, low] * (1 - frac) + q[bins, low + 1] * frac
        out[:, :, k] = forecast[:, None, k] + error
    return out
