"""Residual noise model of the frame estimators' ensembles (``predict_ensemble``).

A member of a recursive nowcast is the deterministic network fed its own
perturbed outputs: at every step the predicted frame gets a spatially
correlated Gaussian perturbation whose standard deviation depends on the lead
time and on the local (smoothed) intensity of the frame. The standard
deviations are estimated after ``fit`` on held-out (or training) windows,
step after step, so that the spread of the members at each lead time matches
the error of their mean there (spread/skill ratio 1):

``s_k(b)^2 = max(0, mse_k(b) - (m + 1) / m * var_k(b))``

with ``mse_k(b)`` the squared error of the calibration ensemble's mean and
``var_k(b)`` its spread propagated from the earlier steps, in intensity bin
``b`` at step ``k`` (``m`` members). The noise correlation length comes from
the lag-1 autocorrelation of the lead-1 residuals.

Everything here runs in the network's space (after any log transform).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

#: Gaussian smoothing (pixels) of a frame before its intensity bin is read.
SMOOTHING = 2.0
#: Quantiles of the smoothed lead-1 forecast that bound the intensity bins.
BIN_QUANTILES = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.995)


def _kernel(sigma: float, size_limit: int) -> Tensor:
    radius = max(1, min(int(np.ceil(3 * sigma)), size_limit - 1))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(frames: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian smoothing of ``(N, C, H, W)`` (replicate borders)."""
    n, c, h, w = frames.shape
    if sigma <= 0:
        return frames
    k = _kernel(sigma, min(h, w)).to(frames)
    r = (len(k) - 1) // 2
    x = frames.reshape(n * c, 1, h, w)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    x = F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))
    return x.reshape(n, c, h, w)


def correlated_noise(shape: tuple[int, ...], sigma: float, like: Tensor) -> Tensor:
    """Unit-variance Gaussian fields of correlation scale ``sigma`` (pixels).

    White noise smoothed by a Gaussian of standard deviation ``sigma`` and
    rescaled by the kernel's norm; the correlation at lag ``d`` is about
    ``exp(-d^2 / (4 sigma^2))``. Drawn with torch's global generator.
    """
    white = torch.randn(shape, dtype=like.dtype, device=like.device)
    if sigma <= 0:
        return white
    k = _kernel(sigma, min(shape[-2:]))
    return gaussian_blur(white, sigma) / float((k**2).sum())


def intensity_bins(frames: Tensor, edges: Tensor) -> Tensor:
    """Bin index of every pixel's smoothed value, ``(N, C, H, W)``."""
    return torch.bucketize(gaussian_blur(frames, SMOOTHING), edges)


def correlation_length(residuals: np.ndarray) -> float:
    """Noise scale matching the lag-1 autocorrelation of residual fields.

    ``residuals`` of shape ``(..., H, W)``; for Gaussian-smoothed white noise
    the lag-1 correlation is ``exp(-1 / (4 sigma^2))``.
    """
    r = residuals - residuals.mean(axis=(-2, -1), keepdims=True)
    var = float(np.mean(r**2))
    if var == 0:
        return 0.5
    rho = (
        0.5
        * (
            float(np.mean(r[..., 1:, :] * r[..., :-1, :]))
            + float(np.mean(r[..., :, 1:] * r[..., :, :-1]))
        )
        / var
    )
    if rho <= np.exp(-1.0):  # shorter than half a pixel: (almost) white
        return 0.5
    return float(np.clip(np.sqrt(-1.0 / (4.0 * np.log(min(rho, 0.999)))), 0.5, 8.0))


class NoiseCalibrator:
    """The ``perturb`` hook that estimates the per-step noise while it runs.

    Called by :class:`skseq.modules.unet.RecursiveNowcastNet` with the
    members' frames of step ``k`` (``(n * m, C, H, W)``, members of one
    window consecutive); compares their mean with the observed frame
    ``y[:, k]``, sets ``scale[k]`` and perturbs with it.
    """

    def __init__(self, y: Tensor, n_members: int, correlation: float):
        self.y = y
        self.m = n_members
        self.correlation = correlation
        self.edges: Tensor | None = None
        self.scale: list[np.ndarray] = []

    def __call__(self, k: int, frames: Tensor) -> Tensor:
        m = self.m
        members = frames.reshape(-1, m, *frames.shape[1:])
        mean = members.mean(1)
        if self.edges is None:
            smooth = gaussian_blur(mean, SMOOTHING).flatten()
            q = torch.quantile(
                smooth[:: max(1, smooth.numel() // 100_000)].float(),
                torch.tensor(BIN_QUANTILES, dtype=torch.float32),
            )
            self.edges = torch.unique(q).to(frames)
        bins_mean = intensity_bins(mean, self.edges).flatten()
        n_bins = len(self.edges) + 1
        err = ((mean - self.y[:, k]) ** 2).flatten()
        var = members.var(1, unbiased=True) if m > 1 else torch.zeros_like(mean)
        var = var.flatten()
        count = torch.bincount(bins_mean, minlength=n_bins).clamp(min=1)
        mse = torch.bincount(bins_mean, weights=err, minlength=n_bins) / count
        spread = torch.bincount(bins_mean, weights=var, minlength=n_bins) / count
        scale = torch.sqrt((mse - (m + 1) / m * spread).clamp(min=0))
        # bins without calibration pixels borrow their neighbour's scale
        empty = torch.bincount(bins_mean, minlength=n_bins) == 0
        scale = scale.cpu().numpy()
        for b in np.flatnonzero(empty.cpu().numpy()):
            scale[b] = scale[b - 1] if b > 0 else 0.0
        self.scale.append(scale)
        return perturb_frames(frames, scale, self.edges, self.correlation)


def perturb_frames(
    frames: Tensor, scale: np.ndarray, edges: Tensor, correlation: float
) -> Tensor:
    """``frames + s(bin) * z``: correlated unit noise ``z`` scaled per bin."""
    std = torch.as_tensor(scale, dtype=frames.dtype, device=frames.device)
    std = std[intensity_bins(frames, edges.to(frames))]
    return frames + std * correlated_noise(tuple(frames.shape), correlation, frames)


class NoisePerturbation:
    """The ``perturb`` hook of ``predict_ensemble``: fitted per-step noise.

    Steps beyond the calibrated lead times reuse the last one's scales.
    """

    def __init__(self, noise: dict):
        self.scale = noise["scale"]
        self.edges = torch.as_tensor(noise["bin_edges"], dtype=torch.float32)
        self.correlation = float(noise["correlation"])

    def __call__(self, k: int, frames: Tensor) -> Tensor:
        scale = self.scale[min(k, len(self.scale) - 1)]
        return perturb_frames(frames, scale, self.edges, self.correlation)
