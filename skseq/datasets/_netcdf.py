"""Radar composites from NetCDF / HDF5 files into frames with timestamps."""

from __future__ import annotations

import os
from collections.abc import Iterable
from numbers import Integral
from typing import Any, cast

import numpy as np

from skseq.utils.validation import check_file_path

__all__ = ["load_netcdf_frames"]


def load_netcdf_frames(
    path: str | os.PathLike,
    variable: str | None = None,
    *,
    time: str = "time",
    chunks: int | dict | None = None,
    engine: str | None = None,
    **open_kwargs: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Read a time stack of 2D fields (radar composites) from a NetCDF file.

    Opens ``path`` with :func:`xarray.open_dataset` (netCDF3 through scipy,
    netCDF4 / HDF5 through ``h5netcdf`` or ``netCDF4`` when installed; pysteps'
    importers, e.g. ``pysteps.io.importers.import_odim_hdf5``, read ODIM HDF5
    composites file by file) and returns the frames time first, the layout of
    :func:`skseq.preprocessing.sliding_windows`.

    Parameters
    ----------
    path : str or path-like
        The file.
    variable : str or None, default=None
        Data variable to read; None takes the only variable with a ``time``
        dimension and two or three others.
    time : str, default="time"
        Name of the time dimension (and coordinate).
    chunks : int, dict or None, default=None
        None loads the frames into memory as numpy. Otherwise they come back
        as a dask array chunked along time (``{time: chunks}`` for an int >= 1, or
        xarray's ``chunks`` dict), read lazily: the frame estimators then
        read it batch by batch, never whole (needs dask).
    engine : str or None, default=None
        The xarray backend (``"scipy"``, ``"h5netcdf"``, ``"netcdf4"``); None
        lets xarray choose from the file.
    **open_kwargs : dict
        Passed on to :func:`xarray.open_dataset`: e.g. ``decode_times=False``
        for a calendar that cannot be decoded without cftime (as xarray's own
        error advises), ``group=`` for a netCDF4 group, or
        ``mask_and_scale=False``.

    Returns
    -------
    frames : ndarray or dask array of shape (n_times, H, W) or (n_times, C, H, W)
        The variable with ``time`` first, the other dimensions in the file's
        order.
    times : ndarray of shape (n_times,)
        The ``time`` coordinate (``datetime64`` when the file's units are CF
        time units, as written by xarray).

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr, tempfile, os
    >>> from skseq.datasets import load_netcdf_frames
    >>> rain = xr.DataArray(
    ...     np.zeros((3, 4, 5), np.float32), dims=("time", "y", "x"),
    ...     coords={"time": pd.date_range("2026-06-01", periods=3, freq="5min")},
    ... )
    >>> path = os.path.join(tempfile.mkdtemp(), "radar.nc")
    >>> rain.to_dataset(name="rain").to_netcdf(path, engine="scipy")
    >>> frames, times = load_netcdf_frames(path)
    >>> frames.shape, str(times[1])
    ((3, 4, 5), '2026-06-01T00:05:00.000000000')
    """
    try:
        import xarray as xr
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "load_netcdf_frames needs xarray: install skseq's io extra "
            '(pip install -e ".[io]" in a checkout).'
        ) from exc
    path = _check_path(path)
    if isinstance(chunks, bool):  # True would chunk every dimension by 1
        raise TypeError(
            f"chunks must be an int (frames per chunk), a dict or None; got {chunks!r}."
        )
    if isinstance(chunks, Integral):
        if chunks < 1:
            raise ValueError(f"chunks must be >= 1 frames per chunk; got {chunks}.")
        chunks = {time: int(chunks)}
    dataset = xr.open_dataset(path, engine=engine, chunks=chunks, **open_kwargs)
    try:
        if variable is None:
            candidates = [
                cast(str, name)  # netCDF variable names are strings
                for name, var in dataset.data_vars.items()
                if time in var.dims and var.ndim in (3, 4)
            ]
            if len(candidates) != 1:
                raise ValueError(
                    f"{os.fspath(path)!r} has {len(candidates)} variables with a "
                    f"{time!r} dimension and 2 or 3 others ({candidates}); name one "
                    "with variable=."
                )
            variable = candidates[0]
        if variable not in dataset.data_vars:
            raise ValueError(
                f"{os.fspath(path)!r} has no data variable {variable!r}; it has "
                f"{sorted(cast(Iterable[str], dataset.data_vars))}."
            )
        data = dataset[variable]
        if time not in data.dims or data.ndim not in (3, 4):
            raise ValueError(
                f"{variable!r} has dimensions {data.dims}; expected {time!r} and "
                "two (H, W) or three (C, H, W) others."
            )
        data = data.transpose(time, ...)
        times = data[time].values
        frames = data.data if chunks is not None else data.values
    finally:
        if chunks is None:
            dataset.close()
    return frames, times


def _check_path(path):
    """A path to an existing file, ``~`` expanded (URLs and open files are
    left to xarray); returns what to open."""
    if hasattr(path, "read") and not isinstance(path, str | os.PathLike):
        return path  # an open file
    if isinstance(path, str | os.PathLike) and "://" in str(os.fspath(path)):
        return path  # a URL (OPeNDAP, fsspec)
    return check_file_path(path, exists=True)
