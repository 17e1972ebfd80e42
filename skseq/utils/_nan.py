"""NaN-skipping reductions without numpy's warnings for slices of NaN only.

numpy's ``nanmean``, ``nanstd``, ``nanmedian``, ... warn ("Mean of empty
slice", "All-NaN slice encountered") where a slice holds no value. Silencing
that with ``warnings.catch_warnings`` swaps the process-wide warning filters,
which is not thread-safe before Python 3.14: two threads transforming at once
could leave "ignore RuntimeWarning" in the user's filters for good. These
helpers avoid the warning instead of filtering it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def nan_reduce(
    reduce: Callable[..., np.ndarray],
    a: np.ndarray,
    axis: int | tuple[int, ...],
    *,
    keepdims: bool = False,
    **kwargs,
) -> np.ndarray:
    """``reduce(a, axis=axis, keepdims=keepdims, **kwargs)``, NaN where a slice
    of ``a`` is all NaN, and no warning for it.

    Parameters
    ----------
    reduce : callable
        A NaN-skipping numpy reduction (``np.nanmean``, ``np.nanstd``,
        ``np.nanmedian``, ...).
    a : ndarray of float
        The values; NaN are skipped.
    axis : int or tuple of int
        The axes reduced.
    keepdims : bool, default=False
        Keep the reduced axes with length 1.
    **kwargs
        More arguments of ``reduce`` (``dtype``, ...).

    Returns
    -------
    reduced : ndarray
        What ``reduce`` returns; its values for slices with some value are
        those of ``reduce(a, ...)`` itself (the slices of NaN only are
        replaced by zeros before reducing, then their result by NaN).
    """
    empty = np.isnan(a).all(axis=axis, keepdims=True)
    some_empty = bool(empty.any())
    if some_empty:
        a = np.where(empty, 0.0, a).astype(a.dtype, copy=False)
    out = np.asarray(reduce(a, axis=axis, keepdims=True, **kwargs))
    if some_empty:
        out = np.where(empty, np.nan, out).astype(out.dtype, copy=False)
    return out if keepdims else np.squeeze(out, axis=axis)
