"""Tests of make_radar_sequences."""

import numpy as np
import pytest
from scipy.ndimage import shift

from skseq.datasets import make_radar_sequences


def test_shape_units_and_intermittency():
    rain = make_radar_sequences(n_frames=40, height=64, width=64, random_state=0)
    assert rain.shape == (40, 64, 64) and rain.dtype == np.float32
    assert (rain >= 0).all() and np.isfinite(rain).all()
    wet = (rain > 0).mean()
    assert 0.03 < wet < 0.4
    assert rain.max() > 10  # convective peaks of tens of mm/h
    assert np.isin(rain[rain < 0.1], [0.0]).all()  # dry is exactly zero


def test_determinism():
    a = make_radar_sequences(n_frames=5, random_state=3)
    np.testing.assert_array_equal(a, make_radar_sequences(n_frames=5, random_state=3))
    assert not np.array_equal(a, make_radar_sequences(n_frames=5, random_state=4))


def test_rain_is_advected_with_the_motion_field():
    """Frame t shifted by the drift predicts frame t+1 far better than frame t."""
    rain = make_radar_sequences(
        n_frames=12,
        height=96,
        width=96,
        motion=(2.0, -1.0),
        rotation=0.0,
        mean_lifetime=200,
        random_state=0,
    )
    inner = (slice(8, -8), slice(8, -8))
    advected = [shift(r, (-1.0, 2.0), order=1)[inner] for r in rain[:-1]]
    err_advected = np.mean(
        [np.abs(a - b[inner]).mean() for a, b in zip(advected, rain[1:])]
    )
    err_persistence = np.abs(rain[1:] - rain[:-1])[:, 8:-8, 8:-8].mean()
    assert err_advected < 0.3 * err_persistence


def test_cells_grow_then_decay():
    """At a stationary cell's brightest pixel the rain rises, peaks and falls."""
    rain = make_radar_sequences(
        n_frames=80,
        height=48,
        width=48,
        n_cells=1,
        motion=(0.0, 0.0),
        rotation=0.0,
        mean_lifetime=20,
        random_state=2,
    )
    middle = rain[25:55]  # a cell peaking mid-sequence, so both phases are seen
    t_max, yy, xx = np.unravel_index(np.argmax(middle), middle.shape)
    t_max += 25
    series = rain[:, yy, xx]
    assert series[:t_max].min() < 0.3 * series[t_max]
    assert series[t_max:].min() < 0.3 * series[t_max]


def test_bad_arguments():
    with pytest.raises(ValueError, match="height must be an integer >= 4; got 2"):
        make_radar_sequences(height=2)
    with pytest.raises(ValueError, match="n_cells must be > 0 and at most one per"):
        make_radar_sequences(n_cells=-1)
    with pytest.raises(ValueError, match=r"at most one per pixel \(256\)"):
        make_radar_sequences(height=16, width=16, n_cells=1e9)  # was out of memory
    with pytest.raises(ValueError, match=r"motion must be two finite numbers"):
        make_radar_sequences(motion=("a", "b"))  # numpy's message named no argument
    with pytest.raises(ValueError, match=r"rotation must be at most 0\.2"):
        make_radar_sequences(rotation=-1.0)
    with pytest.raises(ValueError, match=r"motion must be two finite numbers"):
        make_radar_sequences(motion=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match=r"motion must be two finite numbers"):
        make_radar_sequences(motion=(np.nan, 0.0))
    with pytest.raises(ValueError, match="rotation"):
        make_radar_sequences(rotation=np.inf)
    for name in ("mean_lifetime", "max_intensity", "n_cells"):
        with pytest.raises(ValueError, match=f"{name} must be a finite real number"):
            make_radar_sequences(n_frames=2, **{name: np.nan})
        with pytest.raises(TypeError, match=f"{name} must be a finite real number"):
            make_radar_sequences(n_frames=2, **{name: "10"})
    with pytest.raises(ValueError, match="max_intensity must be a finite"):
        make_radar_sequences(n_frames=2, max_intensity=np.inf)
