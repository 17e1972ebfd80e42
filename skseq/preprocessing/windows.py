"""Sliding windows: supervised (input, target) pairs from time-ordered data."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skseq.base import (
    ArrayOutputMixin,
    ChannelNamesOutMixin,
    positive_int,
    unfitted_on_error,
    validate_data,
    with_layout,
)
from skseq.utils.validation import (
    as_array_input,
    check_positive_int,
    to_numeric_array,
)

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike
    from typing_extensions import Self

__all__ = ["SlidingWindows", "sliding_windows"]


def sliding_windows(
    a: ArrayLike,
    n_input: int,
    n_output: int = 1,
    stride: int = 1,
    gap: int = 0,
    copy: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a time-ordered array into (past window, future window) pairs.

    Window ``i`` starts at ``s = i * stride``; its input is ``a[s : s + n_input]``
    and its target ``a[s + n_input + gap : s + n_input + gap + n_output]``.
    Every target lies strictly after its input, so no future value leaks in.
    ``n_output=1`` gives many-to-one pairs, larger values many-to-many.

    To split train and test without leakage, split the series in time FIRST
    and window each part separately (windows of the test part then never
    overlap training targets)::

        train, test = series[:cut], series[cut:]
        X_train, y_train = sliding_windows(train, 12, 3)
        X_test, y_test = sliding_windows(test, 12, 3)

    Parameters
    ----------
    a : array-like of shape (n_timesteps, ...)
        Time on axis 0: a series ``(T,)``, channels ``(T, C)``, frames
        ``(T, H, W)`` or a DataFrame (its values).
    n_input : int
        Input window length.
    n_output : int, default=1
        Target window length.
    stride : int, default=1
        Step between window starts.
    gap : int, default=0
        Steps skipped between the end of the input and the first target
        (forecast lead beyond the next step).
    copy : bool, default=True
        Return C-contiguous copies (``n_input + n_output`` copies of every
        step in all). ``False`` returns read-only strided views of ``a``
        (:func:`numpy.lib.stride_tricks.sliding_window_view`): no memory
        beyond ``a`` itself, which may be an ``np.memmap`` of an archive
        larger than memory. ``a`` must then be a numpy array (or memmap) of
        numbers; it is neither converted nor checked for NaN or infinity
        (the frame estimators check such views chunk by chunk and read them
        batch by batch). NaN passes through either way (missing steps, for
        the estimator to accept or refuse); with ``copy=True`` infinity is
        refused.

    Returns
    -------
    X : ndarray of shape (n_windows, n_input, ...)
        Input windows.
    y : ndarray of shape (n_windows, n_output, ...)
        Target windows: the ``n_output`` steps after each input window
        (and its ``gap``).

    Examples
    --------
    >>> import numpy as np
    >>> from skseq.preprocessing import sliding_windows
    >>> X, y = sliding_windows(np.arange(10), n_input=3, n_output=2, stride=2)
    >>> X[1], y[1]
    (array([2, 3, 4]), array([5, 6]))
    >>> X_view, _ = sliding_windows(np.arange(10), n_input=3, copy=False)
    >>> X_view.flags.writeable, np.shares_memory(X_view, X_view.base)
    (False, True)
    """
    n_input = check_positive_int(n_input, "n_input")
    n_output = check_positive_int(n_output, "n_output")
    stride = check_positive_int(stride, "stride")
    gap = check_positive_int(gap, "gap", minimum=0)
    if copy:
        a = to_numeric_array(a, name="a", dtype=None, allow_nan=True)
    else:
        a = _check_viewable(a)
    span = n_input + gap + n_output
    if len(a) < span:
        raise ValueError(
            f"a has {len(a)} timesteps but one window needs n_input + gap + n_output "
            f"= {span}."
        )
    # basic slicing only: every window is a view of ``a`` until copied
    windows = sliding_window_view(a, span, axis=0)[::stride]  # (n, ..., span)
    windows = np.moveaxis(windows, -1, 1)
    X, y = windows[:, :n_input], windows[:, n_input + gap :]
    if copy:  # always copies (ascontiguousarray keeps a view of one step)
        return np.array(X, order="C"), np.array(y, order="C")
    return X, y


def _check_viewable(a) -> np.ndarray:
    """``sliding_windows(..., copy=False)`` takes numeric numpy arrays only."""
    if not isinstance(a, np.ndarray):
        raise TypeError(
            "sliding_windows(..., copy=False) returns views of a numpy array (or "
            f"np.memmap); got {type(a).__name__}. Pass np.asarray(a) or use "
            "copy=True."
        )
    if a.dtype.kind not in "iuf":
        raise TypeError(
            f"a has dtype {a.dtype}; expected a numeric (integer or float) array."
        )
    if a.ndim < 1:
        raise ValueError("a is a scalar; expected an array with time on axis 0.")
    return a


class SlidingWindows(
    ArrayOutputMixin, ChannelNamesOutMixin, TransformerMixin, BaseEstimator
):
    """Cut each sequence of a batch into fixed-length windows (input only).

    For classifying windows of long sensor streams: a batch ``(n, T, C)``
    becomes ``(n * n_windows, window_length, C)``, the windows of sequence 0
    first. A 2D batch ``(n, T)`` is read as univariate sequences: its
    windows are 3D, ``(n * n_windows, window_length, 1)``. Use :func:`sliding_windows` for supervised forecasting pairs.
    Labels of the original sequences expand with :meth:`window_labels`.

    Parameters
    ----------
    window_length : int, default=10
        Timesteps per window.
    stride : int, default=1
        Timesteps between the starts of consecutive windows.

    Attributes
    ----------
    n_timesteps_in_ : int
        Timesteps of the sequences seen in ``fit``.
    n_channels_in_ : int
        Channels of the sequences seen in ``fit`` (1 for 2D input).
    n_features_in_ : int
        ``n_timesteps * n_channels``.
    n_windows_ : int
        Windows per sequence.
    """

    _parameter_constraints: ClassVar[dict] = {
        "window_length": [positive_int()],
        "stride": [positive_int()],
    }

    def __init__(self, window_length: int = 10, stride: int = 1):
        self.window_length = window_length
        self.stride = stride

    def __sklearn_tags__(self):
        return with_layout(super().__sklearn_tags__(), "sequences")

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Check that sequences are long enough for one window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Training sequences; 2D input is univariate sequences.
        y : ignored
            Not used; present for the Pipeline API.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        X = validate_data(self, X, reset=True, dtype=None)
        if X.shape[1] < self.window_length:
            raise ValueError(
                f"X has {X.shape[1]} timesteps; window_length={self.window_length} "
                f"needs sequences of at least {self.window_length} timesteps."
            )
        self.n_windows_ = (self.n_timesteps_in_ - self.window_length) // self.stride + 1
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Cut every sequence into its windows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Sequences of the shape seen in ``fit``; 2D input is univariate
            sequences.

        Returns
        -------
        windows : ndarray of shape (n_samples * n_windows, window_length, n_channels)
            ``n_windows`` is the fitted ``n_windows_``; 3D for 2D input too
            (``n_channels = 1``).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=None)
        view = sliding_window_view(X, self.window_length, axis=1)[:, :: self.stride]
        view = np.moveaxis(view, -1, 2)  # (n, n_windows, L, C)
        # always a copy: ascontiguousarray would return a read-only view of X
        # when the windows are X itself (window_length == n_timesteps)
        return np.array(view.reshape(-1, self.window_length, X.shape[2]), order="C")

    def window_labels(self, y: ArrayLike) -> np.ndarray:
        """Repeat each sequence's label for its windows.

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Label (or labels) of each original sequence.

        Returns
        -------
        y_windows : ndarray of shape (n_samples * n_windows,) or \
                (n_samples * n_windows, n_outputs)
            Each sequence's label repeated ``n_windows_`` times, in the order
            of :meth:`transform`'s windows.
        """
        check_is_fitted(self)
        y = np.asarray(as_array_input(y))
        if y.ndim not in (1, 2) or y.shape[0] == 0:
            raise ValueError(
                "y must hold one label (or one row of labels) per sequence, "
                f"shape (n_samples,) or (n_samples, n_outputs); got shape {y.shape}."
            )
        # along the samples: a row of several outputs stays one row
        return np.repeat(y, self.n_windows_, axis=0)
