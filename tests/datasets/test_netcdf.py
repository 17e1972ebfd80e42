"""NetCDF radar composites -> frames with timestamps (issue 15)."""

import numpy as np
import pandas as pd
import pytest

from skseq.datasets import load_netcdf_frames

xr = pytest.importorskip("xarray")


def _write(path, n=6, variables=("rain",), dims=("time", "y", "x")):
    rng = np.random.default_rng(0)
    times = pd.date_range("2026-06-01", periods=n, freq="5min")
    shape = {"time": n, "y": 7, "x": 9, "c": 2}
    data = {
        v: (dims, rng.random([shape[d] for d in dims]).astype(np.float32))
        for v in variables
    }
    xr.Dataset(data, coords={"time": times}).to_netcdf(path, engine="scipy")
    return data, times


def test_reads_frames_and_timestamps(tmp_path):
    data, times = _write(tmp_path / "r.nc")
    frames, t = load_netcdf_frames(tmp_path / "r.nc")
    np.testing.assert_array_equal(frames, data["rain"][1])
    np.testing.assert_array_equal(t, times.values)


def test_time_first_and_channels(tmp_path):
    data, _ = _write(tmp_path / "r.nc", dims=("y", "x", "time"))
    frames, _ = load_netcdf_frames(tmp_path / "r.nc")
    np.testing.assert_array_equal(frames, np.moveaxis(data["rain"][1], -1, 0))
    _write(tmp_path / "c.nc", dims=("time", "c", "y", "x"))
    assert load_netcdf_frames(tmp_path / "c.nc")[0].shape == (6, 2, 7, 9)


def test_chunks_give_a_lazy_dask_array(tmp_path):
    pytest.importorskip("dask")
    data, _ = _write(tmp_path / "r.nc")
    frames, _ = load_netcdf_frames(tmp_path / "r.nc", chunks=2)
    assert type(frames).__module__.startswith("dask")
    np.testing.assert_array_equal(frames.compute(), data["rain"][1])
    with pytest.raises(ValueError, match="chunks must be >= 1 frames per chunk"):
        load_netcdf_frames(tmp_path / "r.nc", chunks=0)
    with pytest.raises(TypeError, match="chunks must be an int"):
        load_netcdf_frames(tmp_path / "r.nc", chunks=True)


def test_variable_choice_errors(tmp_path):
    _write(tmp_path / "two.nc", variables=("rain", "snow"))
    with pytest.raises(ValueError, match="name one with variable="):
        load_netcdf_frames(tmp_path / "two.nc")
    assert load_netcdf_frames(tmp_path / "two.nc", "snow")[0].shape == (6, 7, 9)
    with pytest.raises(ValueError, match="no data variable 'hail'"):
        load_netcdf_frames(tmp_path / "two.nc", "hail")


def test_path_errors_name_the_path(tmp_path):
    with pytest.raises(TypeError, match="path must be a file path; got NoneType"):
        load_netcdf_frames(None)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load_netcdf_frames(tmp_path)
    with pytest.raises(FileNotFoundError, match="No file at path"):
        load_netcdf_frames(tmp_path / "missing.nc")


def test_home_relative_paths_are_expanded(tmp_path, monkeypatch):
    # xarray opens "~/r.nc"; the path check refused it as missing
    monkeypatch.setenv("HOME", str(tmp_path))
    data, _ = _write(tmp_path / "r.nc")
    frames, _ = load_netcdf_frames("~/r.nc")
    np.testing.assert_array_equal(frames, data["rain"][1])


def test_open_dataset_options_are_passed_on(tmp_path):
    # xarray's advice for a calendar it cannot decode is decode_times=False,
    # which the loader could not take
    _write(tmp_path / "r.nc")
    frames, raw = load_netcdf_frames(tmp_path / "r.nc", decode_times=False)
    assert frames.shape == (6, 7, 9) and raw.dtype.kind in "if"
    np.testing.assert_array_equal(np.diff(raw), 5)  # minutes since the first
