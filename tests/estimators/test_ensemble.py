"""Tests of skseq.estimators._ensemble: the nowcast ensemble's error model
(fit_noise, sample_members, correlated_normal, lag1_correlation). The
ensemble through UNetNowcaster's API is tested in test_nowcasting.py."""

import warnings

import numpy as np
import pytest
import torch

from skseq.estimators._ensemble import DISPLACEMENTS


def _moved_cells(offset_scale, n=24, H=24, W=24, seed=0):
    """Nowcasts of one lead ``(n, 1, 1, H, W)`` and truths: the same cells
    moved ``offset_scale`` pixels in a random direction, or (0) with
    additive noise."""
    from skseq.estimators._ensemble import displace

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:H, :W]
    centres = rng.uniform(6, H - 6, size=(n, 2))
    forecast = np.stack(
        [8 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8) for cy, cx in centres]
    ).astype(np.float32)[:, None]
    if offset_scale:
        truth = displace(forecast, offset_scale * rng.standard_normal((n, 2)))
    else:
        truth = np.maximum(forecast + rng.normal(0, 0.3, forecast.shape), 0)
    return forecast[:, None], truth[:, None].astype(np.float32)


def test_fit_noise_chooses_position_errors_from_the_calibration_windows():
    from skseq.estimators._ensemble import fit_noise

    # truths displaced by ~3 px: moving members beats additive errors alone
    forecast, truth = _moved_cells(3.0)
    moved = fit_noise(forecast, truth, (0.0, 8.0))
    assert moved["displacement"][0] > 0
    # truths in place, additive noise: no move
    forecast, truth = _moved_cells(0.0)
    assert fit_noise(forecast, truth, (0.0, 8.0))["displacement"][0] == 0.0
    # its own draws are seeded: the same windows, the same error model
    again = fit_noise(*_moved_cells(3.0), (0.0, 8.0))
    for key in ("quantiles", "displacement", "bin_edges"):
        np.testing.assert_array_equal(again[key], moved[key])


def test_error_model_correlations_of_huge_residuals():
    """Residuals beyond about 1e19 square past float32: the correlations are
    the same as at an ordinary scale, without overflow warnings."""
    from skseq.estimators._ensemble import fit_noise, lag1_correlation

    forecast, truth = _moved_cells(1.0)
    rng = np.random.default_rng(0)
    forecast = np.concatenate([forecast, forecast], axis=1)  # two leads
    truth = np.concatenate([truth, truth], axis=1) + rng.random(forecast.shape)
    truth = truth.astype(np.float32)
    residuals = truth - forecast
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = lag1_correlation(residuals * np.float32(1e25))
        noise = fit_noise(forecast * np.float32(1e25), truth * np.float32(1e25))
    assert huge == pytest.approx(lag1_correlation(residuals), rel=1e-4)
    ordinary = fit_noise(forecast, truth)
    assert noise["correlation"] == pytest.approx(ordinary["correlation"], rel=1e-4)
    assert noise["lead_correlation"] == pytest.approx(
        ordinary["lead_correlation"], rel=1e-4
    )


def test_fit_noise_scores_large_frames_on_a_subset_of_windows(monkeypatch):
    import skseq.estimators._ensemble as ensemble

    forecast, truth = _moved_cells(3.0)  # 24 windows of 24 x 24
    full = ensemble.fit_noise(forecast, truth, (0.0, 8.0))
    # 4 windows only score the candidates; every window's errors make the
    # quantiles of the scale chosen
    monkeypatch.setattr(ensemble, "SELECTION_VALUES", 4 * 8 * 24 * 24)
    subset = ensemble.fit_noise(forecast, truth, (0.0, 8.0))
    assert subset["n_windows"] == 24
    assert subset["displacement"][0] in DISPLACEMENTS
    if subset["displacement"][0] == full["displacement"][0]:
        np.testing.assert_array_equal(subset["quantiles"], full["quantiles"])
    monkeypatch.setattr(ensemble, "SELECTION_VALUES", 1)  # one window at least
    assert ensemble.fit_noise(forecast, truth, (0.0, 8.0))["quantiles"].shape == (
        full["quantiles"].shape
    )


def test_sample_members_moves_cells_by_the_position_errors():
    from skseq.estimators._ensemble import fit_noise, sample_members

    forecast, truth = _moved_cells(3.0)
    noise = dict(fit_noise(forecast, truth, (0.0, 8.0)), displacement=np.array([2.0]))
    members = sample_members(forecast[:4], noise, 6, np.random.RandomState(0))
    assert members.shape == (4, 6, 1, 1, 24, 24)
    # without additive errors a member is the nowcast moved by its offset:
    # the members' centres of mass (along the width) scatter by the scale
    still_errors = dict(noise, quantiles=np.zeros_like(noise["quantiles"]))
    moved = sample_members(forecast[:4], still_errors, 64, np.random.RandomState(0))
    xx = np.mgrid[:24, :24][1]
    weights = np.maximum(moved[:, :, 0, 0], 0)
    cx = (weights * xx).sum(axis=(-2, -1)) / weights.sum(axis=(-2, -1))
    assert 1.6 < cx.std(axis=1).mean() < 2.4
    # an error model without "displacement" (fitted before it existed) moves nothing:
    # the members are drawn as before, around the nowcast in place
    older = {k: v for k, v in noise.items() if k != "displacement"}
    still = dict(older, displacement=np.zeros_like(noise["displacement"]))
    np.testing.assert_array_equal(
        sample_members(forecast[:4], older, 6, np.random.RandomState(0)),
        sample_members(forecast[:4], still, 6, np.random.RandomState(0)),
    )


@pytest.mark.parametrize("sigma", [0.5, 1.0, 3.0, 6.0])
def test_correlated_normal_has_unit_variance_up_to_the_corners(sigma):
    from skseq.estimators._ensemble import correlated_normal

    z = correlated_normal((400, 3, 24, 20), sigma, np.random.RandomState(0))
    assert z.shape == (400, 3, 24, 20) and z.dtype == np.float32
    # every pixel, corners and borders included, is standard normal: a
    # border draw as wide as an inner one (its quantile level Phi(z) uniform)
    std = z.std(axis=(0, 1))
    np.testing.assert_allclose(std, 1.0, atol=0.12)
    for corner in (std[0, 0], std[0, -1], std[-1, 0], std[-1, -1]):
        assert abs(corner - 1.0) < 0.12
    # spatially correlated as Gaussian-smoothed white noise of scale sigma
    lag1 = float(np.mean(z[..., 1:] * z[..., :-1]))
    expected = 0.0 if sigma <= 0.5 else np.exp(-1 / (4 * sigma**2))
    assert abs(lag1 - expected) < 0.03


def test_noise_model_runs_on_the_cpu_whatever_the_default_device():
    # torch.set_default_device("cuda") made the calibration's tensors CUDA
    # ones, mixed with CPU ones ("meta" stands in for a GPU here)
    from skseq.estimators._ensemble import _smooth, correlated_normal, displace

    rng = np.random.RandomState(0)
    frames = rng.random_sample((2, 1, 8, 8)).astype(np.float32)
    expected = (_smooth(frames, 2.0), correlated_normal((2, 8, 8), 2.0, rng))
    rng = np.random.RandomState(0)
    rng.random_sample((2, 1, 8, 8))
    with torch.device("meta"):
        smooth = _smooth(frames, 2.0)
        noise = correlated_normal((2, 8, 8), 2.0, rng)
        moved = displace(frames, np.ones((2, 2)))
    np.testing.assert_array_equal(smooth, expected[0])
    np.testing.assert_array_equal(noise, expected[1])
    np.testing.assert_array_equal(moved, displace(frames, np.ones((2, 2))))
