"""Tests of the shipped real data sets."""

import numpy as np
import pytest

from skseq.datasets import load_basic_motions, load_gunpoint


def test_basic_motions():
    X, y = load_basic_motions()
    X_test, _ = load_basic_motions(split="test")
    assert X.shape == (40, 100, 6) and X_test.shape == (40, 100, 6)
    assert X.dtype == np.float32 and np.isfinite(X).all()
    labels, counts = np.unique(y, return_counts=True)
    assert labels.tolist() == ["Badminton", "Running", "Standing", "Walking"]
    assert counts.tolist() == [10, 10, 10, 10]
    X_all, y_all = load_basic_motions(split="all")
    assert X_all.shape == (80, 100, 6) and len(y_all) == 80
    # running shakes the accelerometer far more than standing
    std = {label: X[y == label, :, :3].std() for label in labels}
    assert std["Running"] > 5 * std["Standing"]


def test_gunpoint():
    X, y = load_gunpoint()
    X_test, y_test = load_gunpoint(split="test")
    assert X.shape == (50, 150, 1) and X_test.shape == (150, 150, 1)
    assert set(np.unique(y)) == {1, 2} and set(np.unique(y_test)) == {1, 2}


def test_bad_split():
    with pytest.raises(ValueError, match="split must be one of"):
        load_basic_motions(split="validation")
