"""Tests of skseq.preprocessing.windows."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skseq.preprocessing import SlidingWindows, sliding_windows


def test_many_to_one_and_many_to_many_values():
    a = np.arange(10)
    X, y = sliding_windows(a, n_input=3)
    assert X.shape == (7, 3) and y.shape == (7, 1)
    np.testing.assert_array_equal(X[0], [0, 1, 2])
    np.testing.assert_array_equal(y[:, 0], np.arange(3, 10))
    X, y = sliding_windows(a, n_input=3, n_output=2, stride=2, gap=1)
    np.testing.assert_array_equal(X[1], [2, 3, 4])
    np.testing.assert_array_equal(y[1], [6, 7])


def test_frames_and_dataframes():
    frames = np.random.default_rng(0).random((20, 4, 5))
    X, y = sliding_windows(frames, 4, 2)
    assert X.shape == (15, 4, 4, 5) and y.shape == (15, 2, 4, 5)
    np.testing.assert_array_equal(y[0], frames[4:6])
    df = pd.DataFrame(np.arange(20).reshape(10, 2))
    X, _ = sliding_windows(df, 3)
    assert X.shape == (7, 3, 2)


@given(
    T=st.integers(1, 40),
    n_input=st.integers(1, 6),
    n_output=st.integers(1, 4),
    stride=st.integers(1, 4),
    gap=st.integers(0, 3),
)
def test_no_future_leaks_into_inputs(T, n_input, n_output, stride, gap):
    a = np.arange(T, dtype=float)
    span = n_input + gap + n_output
    if T < span:
        with pytest.raises(ValueError, match="one window needs"):
            sliding_windows(a, n_input, n_output, stride, gap)
        return
    X, y = sliding_windows(a, n_input, n_output, stride, gap)
    assert len(X) == (T - span) // stride + 1
    assert (X.max(axis=1) + gap < y.min(axis=1)).all()  # targets strictly later
    np.testing.assert_array_equal(np.diff(y, axis=1), 1.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_input must be an integer >= 1; got 0"):
        sliding_windows(np.arange(5), 0)
    with pytest.raises(TypeError, match=r"n_input must be an integer >= 1; got 2\.5"):
        sliding_windows(np.arange(5), 2.5)
    with pytest.raises(TypeError, match=r"\(strings\); expected a numeric array"):
        sliding_windows(np.array(["a", "b", "c"]), 1)


def test_sliding_windows_transformer():
    X = np.arange(2 * 6 * 2, dtype=float).reshape(2, 6, 2)
    sw = SlidingWindows(window_length=4, stride=2).fit(X)
    out = sw.transform(X)
    assert out.shape == (4, 4, 2) and sw.n_windows_ == 2
    np.testing.assert_array_equal(out[1], X[0, 2:6])
    np.testing.assert_array_equal(out[2], X[1, 0:4])
    np.testing.assert_array_equal(sw.window_labels(["a", "b"]), ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="3 timesteps; window_length=4 needs"):
        SlidingWindows(window_length=4).fit(X[:, :3])
    sw = SlidingWindows(window_length=4)
    with pytest.raises(ValueError, match="window_length=4"):
        sw.fit(X[:, :3, 0])  # 2D: univariate sequences
    assert not hasattr(sw, "n_windows_")


def test_window_labels_of_a_tensor():
    import torch

    sw = SlidingWindows(window_length=4, stride=2).fit(np.zeros((2, 6, 1)))
    y = torch.tensor([0.5, 1.5], dtype=torch.bfloat16, requires_grad=True)
    np.testing.assert_array_equal(sw.window_labels(y), [0.5, 0.5, 1.5, 1.5])


def test_window_labels_repeat_rows_of_several_outputs():
    X = np.zeros((2, 6, 1))
    sw = SlidingWindows(window_length=4, stride=2).fit(X)
    y = np.array([[0, 10], [1, 11]])
    np.testing.assert_array_equal(
        sw.window_labels(y), [[0, 10], [0, 10], [1, 11], [1, 11]]
    )
    for bad in ("a", [], np.zeros((2, 1, 1))):
        with pytest.raises(ValueError, match="one label"):
            sw.window_labels(bad)


def test_copies_are_copies_also_of_one_step():
    a = np.arange(10.0)
    X, y = sliding_windows(a, 1)  # windows of one step are contiguous views
    for out in (X, y):
        assert out.flags.writeable and not np.shares_memory(out, a)
    y[0] = -1.0
    assert a[1] == 1.0


# ------------------------------------------------------ copy=False (issue 15)
@pytest.mark.parametrize("stride, gap", [(1, 0), (3, 2)])
def test_copy_false_gives_read_only_views_equal_to_copies(stride, gap):
    a = np.random.default_rng(0).random((30, 5, 7)).astype(np.float32)
    X, y = sliding_windows(a, 4, 2, stride=stride, gap=gap, copy=False)
    X_copy, y_copy = sliding_windows(a, 4, 2, stride=stride, gap=gap)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    for view in (X, y):
        assert np.shares_memory(view, a) and not view.flags.writeable


def test_copy_false_views_a_memmap_without_reading_it(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(60, dtype=np.float32).reshape(20, 3))
    archive = np.load(tmp_path / "a.npy", mmap_mode="r")
    X, y = sliding_windows(archive, 5, 1, copy=False)
    assert np.shares_memory(X, archive) and X.shape == (15, 5, 3)
    assert y[2, 0, 1] == archive[7, 1]


def test_copy_false_needs_a_numeric_numpy_array():
    with pytest.raises(TypeError, match="numpy array"):
        sliding_windows([1.0, 2.0, 3.0], 1, copy=False)
    with pytest.raises(TypeError, match="numeric"):
        sliding_windows(np.array(["a", "b", "c"]), 1, copy=False)
    with pytest.raises(ValueError, match="one window needs"):
        sliding_windows(np.zeros(3), 3, copy=False)


def test_sliding_windows_keep_the_channel_names():
    X = np.zeros((3, 12, 2))
    windows = SlidingWindows(window_length=4).fit(X)
    assert list(windows.get_feature_names_out()) == ["ch0", "ch1"]
    assert list(windows.get_feature_names_out(["x", "y"])) == ["x", "y"]


@pytest.mark.parametrize("window_length, stride", [(1, 1), (6, 1), (6, 5), (3, 1)])
def test_transformer_windows_are_copies(window_length, stride):
    # windows as long as the sequences (or of one step) are X itself in
    # memory: they were returned as a read-only view of X
    X = np.arange(24.0).reshape(2, 6, 2)
    out = SlidingWindows(window_length=window_length, stride=stride).fit_transform(X)
    assert out.flags.writeable and not np.shares_memory(out, X)
    out -= 1.0
    assert X[0, 0, 0] == 0.0
