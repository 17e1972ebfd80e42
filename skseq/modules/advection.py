"""Cheap motion estimation and advection of frames (pure PyTorch).

An *advection prior* for the recursive nowcaster: the dominant motion of the
input frames is estimated as one translation per sample (windowed FFT
cross-correlation of consecutive frames, sub-pixel by a parabola through the
peak), and the last frame is shifted along it, one frame of motion per lead
time (Lagrangian persistence). It costs a few FFTs per sample, needs no extra
dependency and no training, and gives the network a sharp, correctly placed
first guess at every lead time; the network only has to correct it (rotation,
growth and decay, cells entering the domain).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["advect_translation", "estimate_translation", "gaussian_blur"]


def gaussian_kernel(
    sigma: float, dtype: torch.dtype = torch.float32, device=None
) -> Tensor:
    """Normalised 1D Gaussian of standard deviation ``sigma``.

    Its radius is ``ceil(3 sigma)`` samples, at least 1.
    """
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=dtype, device=device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(x: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian smoothing of the last two axes (edges replicated).

    Parameters
    ----------
    x : Tensor of shape (..., H, W)
        Frames, spatial axes last.
    sigma : float
        Standard deviation in pixels; ``0`` returns ``x``.

    Returns
    -------
    smoothed : Tensor of the shape of ``x``
        The smoothed frames.
    """
    if sigma <= 0:
        return x
    shape = x.shape
    height, width = shape[-2:]
    y = x.reshape(-1, 1, height, width)
    kernel = gaussian_kernel(sigma, dtype=x.dtype, device=x.device)
    radius = (len(kernel) - 1) // 2
    y = F.conv2d(
        F.pad(y, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1)
    )
    y = F.conv2d(
        F.pad(y, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1)
    )
    return y.reshape(shape)


def _parabola_offset(left: Tensor, centre: Tensor, right: Tensor) -> Tensor:
    """Sub-pixel offset of a peak from three samples, in [-0.5, 0.5]."""
    curvature = left - 2 * centre + right
    offset = 0.5 * (left - right) / curvature.clamp(max=-1e-12)
    return torch.where(curvature < 0, offset, torch.zeros_like(offset)).clamp(-0.5, 0.5)


def estimate_translation(frames: Tensor, sigma: float = 1.5) -> Tensor:
    """One displacement per sample, in pixels per frame, by cross-correlation.

    The frames are smoothed, shifted to a zero background (their minimum),
    tapered by a 2D Hann window (so that the domain's edges do not correlate
    with themselves) and the cross-correlations of every pair of consecutive
    frames are summed in Fourier space; the peak, refined by a parabola in
    each axis, is the displacement. Displacements up to half the domain are
    found; uniform or empty frames give zero.

    Parameters
    ----------
    frames : Tensor of shape (N, T, H, W)
        ``T >= 2`` consecutive frames per sample.
    sigma : float, default=1.5
        Gaussian smoothing (pixels) before correlating.

    Returns
    -------
    displacement : Tensor of shape (N, 2)
        ``(dx, dy)``: frame ``t + 1`` is frame ``t`` moved ``dx`` pixels along
        the width (right) and ``dy`` along the height (down).
    """
    n, t, height, width = frames.shape
    if t < 2:
        return frames.new_zeros(n, 2)
    f = gaussian_blur(frames, sigma)
    f = f - f.amin(dim=(-2, -1), keepdim=True)
    # in units of a power of two near each sample's peak: exact (the same
    # estimate for rain rates in mm/h as in m/s), and the correlations of
    # tiny or huge values neither underflow nor overflow float32 (log2 and
    # exp2 rather than frexp, which has no ONNX export)
    peak = f.amax(dim=(1, 2, 3), keepdim=True)
    exponent = torch.floor(torch.log2(torch.where(peak > 0, peak, 1.0)))
    f = f * torch.exp2(-exponent)
    window = torch.outer(
        torch.hann_window(height, periodic=False, dtype=f.dtype, device=f.device),
        torch.hann_window(width, periodic=False, dtype=f.dtype, device=f.device),
    ).sqrt()
    spectra = torch.fft.rfft2(f * window)
    cross = (spectra[:, 1:] * spectra[:, :-1].conj()).sum(1)
    corr = torch.fft.irfft2(cross, s=(height, width))  # (N, H, W)
    peak = corr.reshape(n, -1).argmax(1)
    iy, ix = peak // width, peak % width
    rows = torch.arange(n, device=f.device)
    centre = corr[rows, iy, ix]
    dx = ix.to(f.dtype) + _parabola_offset(
        corr[rows, iy, (ix - 1) % width], centre, corr[rows, iy, (ix + 1) % width]
    )
    dy = iy.to(f.dtype) + _parabola_offset(
        corr[rows, (iy - 1) % height, ix], centre, corr[rows, (iy + 1) % height, ix]
    )
    dx = torch.where(dx > width / 2, dx - width, dx)
    dy = torch.where(dy > height / 2, dy - height, dy)
    displacement = torch.stack([dx, dy], dim=1)
    # no signal (dry or uniform frames): no motion
    flat = corr.abs().amax(dim=(-2, -1)) <= 0
    return torch.nan_to_num(displacement).masked_fill(flat[:, None], 0.0)


def advect_translation(frame: Tensor, displacement: Tensor, n_steps: int) -> Tensor:
    """Shift ``frame`` by ``k * displacement`` for each ``k`` from 1 to ``n_steps``.

    Bilinear interpolation; pixels coming from outside the domain get the
    frame's minimum (for rain: dry).

    Parameters
    ----------
    frame : Tensor of shape (N, C, H, W)
        Frame to shift, one per sample.
    displacement : Tensor of shape (N, 2)
        ``(dx, dy)`` per frame, as returned by :func:`estimate_translation`;
        used in ``frame``'s dtype.
    n_steps : int
        Shifts ``k = 1 .. n_steps`` to compute.

    Returns
    -------
    advected : Tensor of shape (N, n_steps, C, H, W)
        The frame shifted by ``k * displacement`` at index ``k - 1``.
    """
    height, width = frame.shape[-2:]
    fill = frame.amin(dim=(-2, -1), keepdim=True)
    yy, xx = torch.meshgrid(
        torch.arange(height, dtype=frame.dtype, device=frame.device),
        torch.arange(width, dtype=frame.dtype, device=frame.device),
        indexing="ij",
    )
    displacement = torch.as_tensor(displacement, device=frame.device).to(frame.dtype)
    dx = displacement[:, 0, None, None]
    dy = displacement[:, 1, None, None]
    steps = []
    for k in range(1, n_steps + 1):
        gx = 2 * (xx - k * dx) / max(width - 1, 1) - 1
        gy = 2 * (yy - k * dy) / max(height - 1, 1) - 1
        shifted = F.grid_sample(
            frame - fill,
            torch.stack([gx, gy], dim=-1),
            mode="bilinear",
            padding_mode="zeros",
            align_corners=True,
        )
        steps.append(shifted + fill)
    return torch.stack(steps, dim=1)
