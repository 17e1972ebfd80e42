"""Tests of skseq.utils.validation."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from skseq.utils.validation import (
    as_timedelta,
    check_class_labels,
    check_file_path,
    check_finite_real,
    check_frame_targets,
    check_frames,
    check_positive_int,
    check_same_length,
    check_sequences,
    split_with_groups,
    to_numeric_array,
    valid_lengths,
)


def test_sequences_layouts_and_dtype():
    X = check_sequences(np.arange(24, dtype=np.int64).reshape(2, 4, 3))
    assert X.shape == (2, 4, 3) and X.dtype == np.float32
    assert check_sequences(np.ones((2, 5))).shape == (2, 5, 1)
    fortran = np.asfortranarray(np.random.default_rng(0).random((3, 4, 2)))
    out = check_sequences(fortran[:, ::2])
    assert out.flags.c_contiguous and out.shape == (3, 2, 2)
    assert check_sequences(np.ones((2, 3, 1), dtype=np.float16)).dtype == np.float32


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.ones(3), ValueError, r"\(n_samples, n_timesteps, n_channels\).*1D"),
        (np.ones((2, 3, 4, 5)), ValueError, "got 4D"),
        (np.zeros((0, 3, 2)), ValueError, "0 sample"),
        (np.zeros((2, 0, 2)), ValueError, "0 timesteps"),
        (np.full((2, 3, 1), np.nan), ValueError, "NaN"),
        (np.full((2, 3, 1), np.inf), ValueError, "infinity"),
        (np.array([[["a"]]]), TypeError, "strings"),
        (np.ones((2, 3, 1)) * 1j, ValueError, "Complex data not supported"),
        (np.ones((2, 3, 1), dtype=bool), TypeError, "bool"),
        (np.array([[[True], [False]]], dtype=object), TypeError, "booleans"),
        (pd.DataFrame({"a": [1.0, 2.0], "b": [True, False]}), TypeError, "booleans"),
        (np.ones((2, 3, 1), dtype="datetime64[D]"), TypeError, "dates or durations"),
        (np.ones((2, 3, 1), dtype="timedelta64[s]"), TypeError, "dates or durations"),
        (pd.DataFrame({"t": pd.date_range("2024", periods=2)}), TypeError, "dates"),
        ("abc", TypeError, "string"),
        (None, ValueError, "None"),
        ([[1.0, 2.0], [3.0]], ValueError, "unequal length"),
    ],
)
def test_sequences_rejects(bad, error, match):
    with pytest.raises(error, match=match):
        check_sequences(bad)


def test_sequences_min_timesteps_and_3d_only():
    with pytest.raises(ValueError, match="at least 5 required"):
        check_sequences(np.ones((2, 4, 1)), min_timesteps=5)
    with pytest.raises(ValueError, match="got 2D"):
        check_sequences(np.ones((2, 4)), allow_2d=False)
    with pytest.raises(TypeError, match="pandas DataFrame"):
        check_sequences(pd.DataFrame(np.ones((2, 4))), allow_2d=False)


def test_sequences_allow_nan_keeps_rejecting_inf():
    X = np.ones((2, 3, 1))
    X[0, 2] = np.nan
    assert np.isnan(check_sequences(X, allow_nan=True)).sum() == 1
    X[1, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        check_sequences(X, allow_nan=True)


def test_frames_and_targets():
    X, had_c = check_frames(np.ones((2, 3, 5, 6)))
    assert X.shape == (2, 3, 1, 5, 6) and not had_c
    X5, had_c = check_frames(np.ones((2, 3, 2, 5, 6)))
    assert X5.shape == (2, 3, 2, 5, 6) and had_c
    assert check_frame_targets(np.ones((2, 5, 6)), X).shape == (2, 1, 1, 5, 6)
    assert check_frame_targets(np.ones((2, 4, 5, 6)), X).shape == (2, 4, 1, 5, 6)
    with pytest.raises(ValueError, match="same size"):
        check_frame_targets(np.ones((2, 4, 5, 7)), X)
    with pytest.raises(ValueError, match="Inconsistent numbers of samples"):
        check_frame_targets(np.ones((3, 4, 5, 6)), X)
    # every accepted layout listed; the shape as the user gave it
    with pytest.raises(ValueError, match=r"\(n_samples, H, W\), \(n_samples, n_out"):
        check_frame_targets(np.ones((2, 6)), X)
    with pytest.raises(ValueError, match=r"0 output frames \(shape \(2, 0, 5, 6\)\)"):
        check_frame_targets(np.ones((2, 0, 5, 6)), X)
    with pytest.raises(ValueError, match=r"\(n_samples, n_frames, H, W\)"):
        check_frames(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"\(shape \(2, 3, 4, 4\)\); at least 4"):
        check_frames(np.ones((2, 3, 4, 4)), min_frames=4)
    # the shape as given, without the channel axis added inside
    with pytest.raises(
        ValueError, match=r"empty channel or spatial axis: \(2, 3, 0, 5\)"
    ):
        check_frames(np.ones((2, 3, 0, 5)))
    with pytest.raises(TypeError, match="Heatmapper"):
        check_frames(pd.DataFrame(np.ones((2, 2))))
    with pytest.raises(ValueError, match="None"):
        check_frame_targets(None, X)


def test_frames_with_nan_get_advice_to_fill_them():
    X = np.ones((2, 3, 5, 6))
    X[1, 2, :2, :] = np.nan  # a no-data area of 12 pixels
    with pytest.raises(ValueError, match=r"X_valid contains NaN \(12 of 180 values\)"):
        check_frames(X, name="X_valid")
    with pytest.raises(ValueError, match=r"nan_to_num"):
        check_frames(X)
    assert np.isnan(check_frames(X, allow_nan=True)[0]).sum() == 12
    X[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        check_frames(X, allow_nan=True)


@pytest.mark.parametrize(
    "freq, minutes",
    [
        ("5min", 5),
        ("h", 60),
        ("1D", 1440),
        ("D", 1440),  # a calendar day in pandas 3: one day
        ("2D", 2 * 1440),
        ("90s", 1.5),
        (timedelta(minutes=5), 5),
        ("W", 7 * 1440),  # weeks: 7 days however they are spelled
        ("1W", 7 * 1440),
        ("W-MON", 7 * 1440),
        ("2W", 14 * 1440),
    ],
)
def test_as_timedelta_takes_pandas_aliases(freq, minutes):
    assert as_timedelta(freq) == pd.Timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "freq, match",
    [
        ("M", "not a fixed time step"),
        ("0s", "positive"),
        ("?", "'?'"),
        (5, "a number without a unit"),  # pandas would read 5 nanoseconds
        (np.float64(2.5), "a number without a unit"),
    ],
)
def test_as_timedelta_refuses_what_has_no_fixed_length(freq, match):
    with pytest.raises(ValueError, match=match):
        as_timedelta(freq, name="freq")


def test_small_helpers():
    check_same_length(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="X: 3, y: 2"):
        check_same_length(np.ones(3), np.ones(2), names=("X", "y"))
    with pytest.raises(TypeError, match="y must be an array-like of samples"):
        check_same_length(np.ones(3), 3, names=("X", "y"))
    # an integer dtype does not truncate fractions
    np.testing.assert_array_equal(to_numeric_array([1.0, 2.0], dtype=np.int64), [1, 2])
    with pytest.raises(ValueError, match="not whole numbers"):
        to_numeric_array([1.5, 2.0], dtype=np.int64)
    assert check_positive_int(np.int64(3), "n") == 3
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        check_positive_int(0, "n")
    with pytest.raises(TypeError, match=r"n must be an integer >= 1; got 2\.5"):
        check_positive_int(2.5, "n")
    with pytest.raises(TypeError, match="n must be an integer >= 1; got True"):
        check_positive_int(True, "n")
    assert check_finite_real(np.float32(0.5), "t") == 0.5
    assert check_finite_real(np.array(2), "t") == 2.0
    with pytest.raises(
        TypeError, match=r"t must be a finite real number; got '1' \(str\)"
    ):
        check_finite_real("1", "t")
    with pytest.raises(TypeError, match="t must be a finite real number"):
        check_finite_real(np.array([1.0]), "t")
    with pytest.raises(ValueError, match="got inf"):
        check_finite_real(float("inf"), "t")
    arr = to_numeric_array(pd.Series([1, 2, 3]), name="s")
    assert arr.dtype == np.float32 and arr.shape == (3,)


def test_pandas_nullable_and_torch_input():
    import torch

    s = pd.Series([1, None, 3], dtype="Int64")
    np.testing.assert_array_equal(
        to_numeric_array(s, allow_nan=True), np.array([1, np.nan, 3], np.float32)
    )
    df = pd.DataFrame({"a": pd.array([1.5, None], dtype="Float64"), "b": [1.0, 2.0]})
    assert np.isnan(to_numeric_array(df, allow_nan=True)[1, 0])
    with pytest.raises(ValueError, match="NaN"):
        to_numeric_array(df)
    with pytest.raises(TypeError, match="numeric"):
        to_numeric_array(pd.Series([True, None], dtype="boolean"))
    t = torch.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(to_numeric_array(t), t.numpy())
    assert to_numeric_array(t.to(torch.bfloat16)).dtype == np.float32
    with pytest.raises(TypeError, match="bool"):
        to_numeric_array(torch.ones(2, dtype=torch.bool))


def test_split_with_groups_passes_groups_and_says_how_to_give_them():
    from sklearn.model_selection import GroupKFold, KFold

    X, y = np.zeros((6, 2)), np.arange(6) % 2
    groups = np.array([0, 0, 1, 1, 2, 2])
    splits = split_with_groups(GroupKFold(3), X, y, groups, "unused")
    assert sorted(tuple(held) for _, held in splits) == [(0, 1), (2, 3), (4, 5)]
    assert len(split_with_groups(KFold(2), X, y, None, "unused")) == 2
    with pytest.raises(ValueError, match=r"should not be None\. Give them so"):
        split_with_groups(GroupKFold(3), X, y, None, "Give them so.")


def test_valid_lengths_counts_the_steps_before_trailing_nan_rows():
    X = np.zeros((4, 5, 2))
    X[1, 3:] = np.nan  # padded after 3 steps
    X[2, 1, 0] = np.nan  # a missing value, not padding
    X[3] = np.nan  # padding only
    np.testing.assert_array_equal(valid_lengths(X), [5, 3, 5, 0])


@pytest.mark.parametrize(
    "labels, match",
    [
        (np.array(["a", np.nan, "b"], dtype=object), r"missing values \(1 of 3"),
        (pd.Series(["a", "b", None]), r"missing values .*first at index 2"),
        (pd.array(["a", pd.NA], dtype="string"), "missing values"),
        (pd.Categorical(["a", None, "b"]), "missing values"),
        (np.array([1.0, np.inf]), "NaN or infinity"),
    ],
)
def test_class_labels_refuse_missing_values(labels, match):
    with pytest.raises(ValueError, match=f"y_valid contains {match}"):
        check_class_labels(labels, "y_valid")


def test_class_labels_refuse_no_labels_and_mixed_types():
    with pytest.raises(ValueError, match="y is empty"):
        check_class_labels([])
    for labels in (np.array(["a", 1, "b"], dtype=object), [0, "a"]):
        with pytest.raises(TypeError, match="y mixes string labels with labels"):
            check_class_labels(np.asarray(labels, dtype=object))


def test_class_labels_keep_complete_labels():
    for labels in (["b", "a"], [3, 10], [True, False], pd.Categorical(["x", "y"])):
        np.testing.assert_array_equal(check_class_labels(labels), np.asarray(labels))
    with pytest.warns(Warning, match="column-vector"):
        assert check_class_labels(np.array([[1], [2]])).shape == (2,)


def test_an_xarray_dataset_is_refused_naming_a_variable():
    # numpy reads it as a 0D object array: "got 0D with shape ()"
    xr = pytest.importorskip("xarray")
    from skseq.utils._lazy import check_frames_lazy
    from skseq.utils.validation import to_numeric_array

    ds = xr.Dataset({"rain": (("n", "t", "y", "x"), np.zeros((2, 3, 4, 4)))})
    for check in (to_numeric_array, check_frames_lazy):
        with pytest.raises(TypeError, match=r"xarray Dataset; .* X\['rain'\]"):
            check(ds)


def test_file_paths_are_checked_and_home_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "data.nc").write_bytes(b"")
    assert check_file_path("~/new.bin") == str(tmp_path / "new.bin")
    assert check_file_path(tmp_path / "data.nc", exists=True) == str(
        tmp_path / "data.nc"
    )
    assert check_file_path("~/data.nc", exists=True) == str(tmp_path / "data.nc")
    with pytest.raises(ValueError, match="path is empty"):
        check_file_path("")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        check_file_path("~")
    with pytest.raises(FileNotFoundError, match=r"folder .*missing.* does not exist"):
        check_file_path(tmp_path / "missing" / "out.bin")
    with pytest.raises(FileNotFoundError, match="No file at path"):
        check_file_path("~/other.nc", exists=True)
    with pytest.raises(TypeError, match="path must be a file path; got int"):
        check_file_path(3)
