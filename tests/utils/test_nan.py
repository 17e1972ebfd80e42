"""Tests of skseq.utils._nan."""

import warnings

import numpy as np
import pytest

from skseq.utils._nan import nan_reduce


@pytest.mark.parametrize("reduce", [np.nanmean, np.nanstd, np.nanmedian, np.nanmax])
@pytest.mark.parametrize("axis", [1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_nan_reduce_is_numpys_reduction_without_its_warning(reduce, axis, keepdims):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 5, 3)).astype(np.float32)
    a[1, :, 2] = np.nan  # a slice of NaN only (along axis 1)
    a[:, :, 1] = np.nan  # ... and along (0, 1)
    a[2, 1:, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = reduce(a, axis=axis, keepdims=keepdims)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = nan_reduce(reduce, a, axis, keepdims=keepdims)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape


def test_nan_reduce_passes_keywords_and_keeps_input_without_empty_slices():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(
        nan_reduce(np.nanstd, a, 1, dtype=np.float64), np.std(a, 1, dtype=np.float64)
    )
    assert nan_reduce(np.nanstd, a, 1, dtype=np.float64).dtype == np.float64
