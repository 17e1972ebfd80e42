"""Tests of skseq.modules.advection: motion estimate and advection."""

import math

import pytest
import torch

from skseq.modules.advection import (
    advect_translation,
    estimate_translation,
    gaussian_blur,
)


def _moving_blobs(dx, dy, n_frames=4, height=40, width=56):
    """Two Gaussian blobs moving by (dx, dy) pixels per frame: (1, T, H, W)."""
    yy, xx = torch.meshgrid(
        torch.arange(height, dtype=torch.float32),
        torch.arange(width, dtype=torch.float32),
        indexing="ij",
    )
    frames = []
    for t in range(n_frames):
        frame = torch.zeros(height, width)
        for cx, cy, amp in ((18.0, 15.0, 10.0), (34.0, 24.0, 6.0)):
            x0, y0 = cx + t * dx, cy + t * dy
            frame += amp * torch.exp(-((xx - x0) ** 2 + (yy - y0) ** 2) / 18.0)
        frames.append(frame)
    return torch.stack(frames)[None]


@pytest.mark.parametrize("dx, dy", [(2.0, -1.0), (0.6, 1.3), (-3.4, 0.0)])
def test_estimate_translation_recovers_the_motion(dx, dy):
    displacement = estimate_translation(_moving_blobs(dx, dy))
    assert displacement.shape == (1, 2)
    torch.testing.assert_close(
        displacement[0], torch.tensor([dx, dy]), atol=0.3, rtol=0.0
    )


@pytest.mark.parametrize("unit", [1e-25, 1e-7, 1e-3, 3.0, 1e20])
def test_estimate_translation_does_not_depend_on_the_unit(unit):
    # rain rates in m/s (~1e-7) move as the same field in mm/h
    frames = _moving_blobs(2.5, 1.3)
    torch.testing.assert_close(
        estimate_translation(frames * unit), estimate_translation(frames)
    )


def test_advect_translation_takes_a_displacement_of_another_dtype():
    frames = _moving_blobs(2.0, 1.0)
    single = torch.tensor([[2.0, 1.0]])
    torch.testing.assert_close(
        advect_translation(frames[:, -1:], single.double(), 2),
        advect_translation(frames[:, -1:], single, 2),
    )


def test_estimate_translation_without_signal_is_zero():
    frames = torch.zeros(3, 4, 16, 20)
    frames[1] = 5.0  # uniform
    displacement = estimate_translation(frames)
    assert torch.equal(displacement, torch.zeros(3, 2))
    assert torch.equal(estimate_translation(frames[:, :1]), torch.zeros(3, 2))


def test_advect_translation_shifts_and_fills_with_the_minimum():
    frame = torch.arange(2 * 1 * 6 * 7, dtype=torch.float32).reshape(2, 1, 6, 7) + 1
    out = advect_translation(frame, torch.tensor([[1.0, 0.0], [0.0, -2.0]]), 2)
    assert out.shape == (2, 2, 1, 6, 7)
    # sample 0 moves right: lead k is the frame rolled k pixels, the first k
    # columns come from outside and get the minimum
    for k in (1, 2):
        torch.testing.assert_close(out[0, k - 1, 0, :, k:], frame[0, 0, :, :-k])
        assert torch.all(out[0, k - 1, 0, :, :k] == frame[0].min())
    # sample 1 moves up by 2 pixels per frame
    torch.testing.assert_close(out[1, 0, 0, :-2], frame[1, 0, 2:])
    assert torch.all(out[1, 1, 0, -4:] == frame[1].min())


def test_advection_of_the_estimated_motion_predicts_the_next_frame():
    frames = _moving_blobs(1.5, 0.5, n_frames=6)
    displacement = estimate_translation(frames[:, :4])
    forecast = advect_translation(frames[:, 3:4], displacement, 2)[:, :, 0]
    error = (forecast - frames[:, 4:]).abs().mean()
    persistence = (frames[:, 3:4] - frames[:, 4:]).abs().mean()
    assert error < 0.2 * persistence


def test_gaussian_blur_keeps_shape_and_mass():
    x = torch.zeros(2, 3, 21, 23)
    x[..., 10, 11] = 1.0
    y = gaussian_blur(x, 1.5)
    assert y.shape == x.shape
    torch.testing.assert_close(y.sum(dim=(-2, -1)), torch.ones(2, 3))
    assert y[0, 0, 10, 11] < 1.0 / (2 * math.pi * 1.5**2) * 1.1
    assert gaussian_blur(x, 0) is x
