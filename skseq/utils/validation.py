"""Input validation for sequence and frame arrays.

Every public estimator and transformer of skseq validates its input through
these functions, so that a bad array fails early, before any training starts,
with a message that names the argument, the expected layout and what came.

Layouts (see the user guide, "array conventions"):

* sequences: ``(n_samples, n_timesteps, n_channels)``; a 2D array
  ``(n_samples, n_timesteps)`` is accepted as a univariate sequence where the
  caller allows it.
* frames: ``(n_samples, n_frames, H, W)`` or ``(n_samples, n_frames, C, H, W)``.
"""

from __future__ import annotations

import numbers
import os
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array, column_or_1d

if TYPE_CHECKING:  # annotations only
    import datetime
    from collections.abc import Sequence, Sized

    import pandas as pd
    from numpy.typing import ArrayLike, DTypeLike

    from skseq.utils._lazy import LazyFrames

__all__ = [
    "as_array_input",
    "as_timedelta",
    "check_class_labels",
    "check_file_path",
    "check_frame_targets",
    "check_frames",
    "check_same_length",
    "check_sequences",
    "input_ndim",
    "to_numeric_array",
]


def check_file_path(path: str | os.PathLike, *, exists: bool = False) -> str:
    """Check a path names a file, ``~`` expanded; return it as a string.

    Parameters
    ----------
    path : str or path-like
        A file to write (``exists=False``: its folder must exist) or to read
        (``exists=True``: the file must exist).
    exists : bool, default=False
        Require the file itself to exist.

    Returns
    -------
    path : str
        ``os.fspath(path)`` with ``~`` expanded.

    Raises
    ------
    TypeError
        ``path`` is not a string or path-like.
    ValueError
        ``path`` is empty.
    IsADirectoryError
        ``path`` names a folder.
    FileNotFoundError
        Its folder (to write) or the file (to read) does not exist.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a file path; got {type(path).__name__}.")
    name = os.path.expanduser(os.fspath(path))
    if not name:
        raise ValueError("path is empty; give a file name.")
    if os.path.isdir(name):
        raise IsADirectoryError(f"path {name!r} is a folder; give a file name.")
    folder = os.path.dirname(name) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"The folder {folder!r} of path {name!r} does not exist."
        )
    if exists and not os.path.isfile(name):
        raise FileNotFoundError(f"No file at path {name!r}.")
    return name


def as_timedelta(
    freq: str | datetime.timedelta | pd.Timedelta, name: str = "freq"
) -> pd.Timedelta:
    """Read a time step as a ``pandas.Timedelta``.

    Pandas frequency and timedelta strings (``"5min"``, ``"h"``, ``"1D"``,
    ``"90s"``) are accepted, and weeks (``"W"``, ``"W-SUN"``, ``"2W"``: 7
    days each, not anchored to their weekday); frequencies of no fixed
    length (months, business days) and non-positive steps are refused.

    Parameters
    ----------
    freq : str, datetime.timedelta or pandas.Timedelta
        The time step.
    name : str, default="freq"
        The argument's name in error messages.

    Returns
    -------
    step : pandas.Timedelta
        The time step, > 0.

    Raises
    ------
    ValueError
        If ``freq`` is not a positive step of fixed length.
    """
    import pandas as pd

    if isinstance(freq, numbers.Real | np.bool_) and not isinstance(
        freq, np.timedelta64
    ):
        raise ValueError(
            f"{name}={freq!r} is a number without a unit; pass a pandas frequency "
            "such as '5min', 'h' or '1D', or a datetime.timedelta."
        )
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
        if isinstance(offset, pd.offsets.Week):  # anchored, but 7 days long
            delta = pd.Timedelta(days=7 * offset.n)
        elif isinstance(offset, pd.offsets.Day):  # a calendar day in pandas 3
            delta = pd.Timedelta(days=offset.n)
        else:
            delta = pd.Timedelta(offset)
    except (TypeError, ValueError):
        try:
            delta = pd.Timedelta(freq)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{name}={freq!r} is not a fixed time step; pass a pandas frequency "
                "such as '5min', 'h' or '1D', or a datetime.timedelta."
            ) from exc
    if not delta > pd.Timedelta(0):
        raise ValueError(f"{name} must be a positive time step; got {freq!r}.")
    return delta


def _describe(X: object) -> str:
    """Short description of what was received, for error messages."""
    shape = getattr(X, "shape", None)
    dtype = getattr(X, "dtype", None)
    if shape is not None:
        return f"{type(X).__name__} of shape {tuple(shape)} and dtype {dtype}"
    return f"{type(X).__name__}"


def _is_pandas(X: object) -> bool:
    module = type(X).__module__
    return module.startswith("pandas")


def _is_torch_tensor(X: object) -> bool:
    return type(X).__module__.startswith("torch") and hasattr(X, "detach")


def _pandas_to_numpy(X: Any) -> np.ndarray:
    """A pandas object -> numpy, nullable dtypes' ``pd.NA`` becoming NaN.

    Nullable numeric columns (``Int64``, ``Float64``) give float64 with NaN
    for missing entries; other columns keep their dtype (so booleans and
    strings are still refused by the checks that follow).
    """
    dtypes = list(X.dtypes) if hasattr(X, "columns") else [X.dtype]
    numeric = all(getattr(d, "kind", "O") in "iuf" for d in dtypes)
    nullable = any(not isinstance(d, np.dtype) for d in dtypes)
    if numeric and nullable:
        return X.to_numpy(dtype=np.float64, na_value=np.nan)
    return X.to_numpy()


def as_array_input(X: Any) -> Any:
    """Unwrap containers numpy cannot read directly: torch tensors, pandas.

    A ``torch.Tensor`` (on any device) is detached and copied to a numpy
    array on the CPU, as scikit-learn's own estimators accept CPU tensors;
    pandas objects become numpy arrays with ``pd.NA`` read as NaN. Anything
    else is returned as is.

    Parameters
    ----------
    X : object
        Input of any kind.

    Returns
    -------
    X : object
        A numpy array for a tensor or a pandas object (float16 and bfloat16
        tensors as float32), else ``X`` itself.
    """
    if _is_torch_tensor(X):
        X = X.detach().cpu()
        if not X.dtype.is_floating_point or X.dtype.itemsize >= 4:
            return X.numpy()
        return X.float().numpy()  # float16/bfloat16: numpy lacks bfloat16
    if _is_pandas(X):
        return _pandas_to_numpy(X)
    return X


def refuse_xarray_dataset(X: object, name: str = "X") -> None:
    """Refuse an ``xarray.Dataset``, naming a variable to pass instead.

    numpy reads a Dataset (a mapping of variables) as a 0D object array,
    which the shape checks would report as such.
    """
    if type(X).__name__ == "Dataset" and type(X).__module__.startswith("xarray"):
        variable = next(iter(X.data_vars), "rain")  # type: ignore[attr-defined]
        raise TypeError(
            f"{name} is an xarray Dataset; pass one of its variables, e.g. "
            f"{name}[{variable!r}]."
        )


def to_numeric_array(
    X: ArrayLike,
    *,
    name: str = "X",
    dtype: DTypeLike | Sequence[DTypeLike] | None = np.float32,
    ensure_finite: bool = True,
    allow_nan: bool = False,
) -> np.ndarray:
    """Convert ``X`` to a numeric numpy array of any rank.

    Parameters
    ----------
    X : array-like
        Input of any rank. Lists of equal-length lists are accepted; ragged
        lists, strings, objects, complex numbers and booleans are rejected.
    name : str, default="X"
        Name of the argument, used in error messages.
    dtype : numpy dtype, default=np.float32
        Output dtype. Integer and float16/float64 input is cast to it.
    ensure_finite : bool, default=True
        Raise ``ValueError`` if the array contains NaN or infinity.
    allow_nan : bool, default=False
        With ``ensure_finite=True``, let NaN through but still reject infinity
        (used for NaN-padded variable-length sequences).

    Returns
    -------
    X : ndarray
        C-contiguous array of ``dtype``, same shape as the input.
    """
    if X is None:
        raise ValueError(f"{name} is None; expected a numeric array.")
    X = as_array_input(X)
    if sp.issparse(X):
        raise TypeError(
            f"Sparse input is not supported: {name} is a scipy sparse "
            f"{type(X).__name__}; pass a dense array, e.g. {name}.toarray()."
        )
    if isinstance(X, str | bytes):
        raise TypeError(f"{name} is a string; expected a numeric array.")
    refuse_xarray_dataset(X, name)
    if not hasattr(X, "__array__") and not hasattr(X, "__len__"):
        raise TypeError(f"{name} must be array-like; got {type(X).__name__}.")
    if not hasattr(X, "__array__"):
        try:
            X = np.asarray(X)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(
                f"{name} could not be turned into a regular array ({exc}). "
                "Sequences of unequal length must be padded to a common length "
                "first (e.g. with NaN where the estimator documents it)."
            ) from exc
    if getattr(X, "shape", None) == ():
        raise ValueError(
            f"{name} is a scalar ({X!r}); expected an array. Reshape your data."
        )
    X_dtype = getattr(X, "dtype", None)
    if X_dtype is not None:
        if X_dtype.kind == "b":
            raise TypeError(
                f"{name} has dtype bool; expected a numeric (integer or float) array."
            )
        if np.issubdtype(X_dtype, np.complexfloating):
            raise ValueError(
                f"Complex data not supported: {name} has dtype {X_dtype}; expected "
                "real numbers."
            )
        if X_dtype.kind in "USV":
            raise TypeError(
                f"{name} has dtype {X_dtype} (strings); expected a numeric array. "
                "Convert your data to numbers explicitly."
            )
        if X_dtype.kind in "Mm":
            raise TypeError(
                f"{name} has dtype {X_dtype} (dates or durations); expected a "
                "numeric array. Convert them to numbers explicitly, in the unit "
                "you mean."
            )
        if X_dtype.kind == "O":
            values = np.asarray(X).ravel()
            if any(isinstance(v, str | bytes) for v in values):
                raise TypeError(
                    f"{name} contains strings (dtype object); expected a numeric array."
                )
            if any(isinstance(v, bool | np.bool_) for v in values):
                raise TypeError(
                    f"{name} contains booleans (dtype object); expected a numeric "
                    "(integer or float) array."
                )
            try:
                X = np.asarray(X, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"{name} has dtype object with non-numeric entries; expected a "
                    f"numeric array. ({exc})"
                ) from exc
    _check_integral_values(X, dtype, name)
    finite: bool | str = True
    if not ensure_finite:
        finite = False
    elif allow_nan:
        finite = "allow-nan"
    return check_array(
        X,
        dtype=dtype,
        order="C",
        allow_nd=True,
        ensure_2d=False,
        ensure_all_finite=finite,
        ensure_min_samples=1,
        input_name=name,
        copy=False,
    )


def given_dtype(X: Any) -> Any:
    """The dtype of ``X`` as given, without converting an array: its
    ``dtype`` (numpy, pandas Series, torch), else the dtype numpy reads from
    it (a list: float64 for Python floats; a DataFrame); None where numpy
    cannot read it (ragged, not numbers)."""
    dtype = getattr(X, "dtype", None)
    if dtype is not None:
        return dtype
    try:
        return np.asarray(X).dtype
    except (TypeError, ValueError):
        return None


def _check_integral_values(X, dtype, name: str) -> None:
    """Refuse a float array with fractions (or NaN) cast to an integer ``dtype``,
    which numpy would truncate."""
    if dtype is None or isinstance(dtype, list | tuple):
        return
    given = getattr(X, "dtype", None)
    if np.dtype(dtype).kind not in "iu" or given is None or given.kind != "f":
        return
    values = np.asarray(X)
    if not np.all(np.isfinite(values) & (values == np.round(values))):
        raise ValueError(
            f"{name} has values that are not whole numbers (or NaN); expected "
            f"integers for dtype {np.dtype(dtype)}."
        )


def input_ndim(X: object) -> int | None:
    """Return the number of axes of ``X`` as given.

    Parameters
    ----------
    X : object
        Array-like input.

    Returns
    -------
    ndim : int or None
        ``len(X.shape)`` when ``X`` has a shape, else the rank of
        ``np.asarray(X)``; None where that conversion fails (ragged lists).
    """
    shape = getattr(X, "shape", None)
    if shape is not None:
        return len(shape)
    try:
        return np.asarray(X).ndim
    except (TypeError, ValueError):
        return None


def check_fitted_rank(
    X: object, fitted_ndim: int | None, estimator: object
) -> int | None:
    """Refuse sequences of another rank than in ``fit`` (2D vs 3D).

    2D ``(n_samples, n_timesteps)`` and 3D ``(n_samples, n_timesteps, 1)``
    input hold the same values, but a transformer returns (and names) its
    output in the rank it was fitted on, so a change of rank would give an
    output that its feature names do not describe.

    Parameters
    ----------
    X : object
        The input as given.
    fitted_ndim : int or None
        The rank seen in ``fit`` (2 or 3); None where it is not known (an
        instance fitted by an earlier skseq): nothing is checked.
    estimator : object
        Named in the error message.

    Returns
    -------
    ndim : int or None
        ``X``'s rank (:func:`input_ndim`).
    """
    ndim = input_ndim(X)
    if fitted_ndim is not None and ndim in (2, 3) and ndim != fitted_ndim:
        shapes = {
            2: "(n_samples, n_timesteps)",
            3: "(n_samples, n_timesteps, n_channels)",
        }
        raise ValueError(
            f"X is {ndim}D but {type(estimator).__name__} was fitted on {fitted_ndim}D "
            f"sequences {shapes[fitted_ndim]}; give X in the rank seen in fit."
        )
    return ndim


def _check_min_length(
    value: int, minimum: int, what: str, name: str, shape: tuple[int, ...]
) -> None:
    if value < minimum:
        raise ValueError(
            f"{name} has {value} {what} (shape {shape}); at least {minimum} required."
        )


def check_sequences(
    X: ArrayLike,
    *,
    name: str = "X",
    min_timesteps: int = 1,
    allow_2d: bool = True,
    allow_nan: bool = False,
    dtype: DTypeLike | Sequence[DTypeLike] | None = np.float32,
) -> np.ndarray:
    """Validate a batch of sequences and return it as ``(n, T, C)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps, n_channels)
        Sequences, time on axis 1. With ``allow_2d=True`` an array of shape
        ``(n_samples, n_timesteps)`` is read as univariate sequences.
    name : str, default="X"
        Argument name for error messages.
    min_timesteps : int, default=1
        Smallest admissible ``n_timesteps``.
    allow_2d : bool, default=True
        Accept 2D input as univariate sequences.
    allow_nan : bool, default=False
        Let NaN through (padding of variable-length sequences); infinity is
        still rejected.
    dtype : numpy dtype, default=np.float32
        Output dtype.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_channels)
        A float32 array (a view where the input allowed it).
    """
    if _is_pandas(X) and not allow_2d:
        raise TypeError(
            f"{name} is a pandas {type(X).__name__}; expected a 3D array of shape "
            "(n_samples, n_timesteps, n_channels). Build sequences first, e.g. with "
            "skseq.preprocessing.sliding_windows."
        )
    X = to_numeric_array(X, name=name, dtype=dtype, allow_nan=allow_nan)
    expected = "(n_samples, n_timesteps, n_channels)"
    if allow_2d:
        expected += " or (n_samples, n_timesteps)"
    was_2d = X.ndim == 2
    if was_2d and allow_2d:
        X = X[:, :, np.newaxis]
    if X.ndim != 3:
        hint = ""
        if X.ndim == 1:
            hint = (
                " Reshape your data, e.g. X.reshape(1, -1) for one univariate sequence."
            )
        raise ValueError(
            f"{name} must be a {expected} array; got {X.ndim}D with shape {X.shape}."
            + hint
        )
    if X.shape[1] < min_timesteps and was_2d:
        raise ValueError(
            f"{name} of shape {X.shape[:2]} is read as univariate sequences of "
            f"n_features = {X.shape[1]} timesteps; at least {min_timesteps} required."
        )
    _check_min_length(X.shape[1], min_timesteps, "timesteps", name, X.shape)
    if X.shape[2] < 1:
        raise ValueError(f"{name} has 0 channels (shape {X.shape}); expected >= 1.")
    return X


#: What frame estimators say about NaN in their input.
FRAME_NAN_ADVICE = (
    "frame models need a value at every pixel: fill missing pixels before "
    "fitting or predicting, e.g. radar no-data areas with the zero value "
    "(np.nan_to_num(X, nan=0.0)), as pysteps' nowcasts do."
)


def check_frames(
    X: ArrayLike,
    *,
    name: str = "X",
    min_frames: int = 1,
    allow_nan: bool = False,
    dtype: DTypeLike | Sequence[DTypeLike] | None = np.float32,
) -> tuple[np.ndarray, bool]:
    """Validate a batch of frame sequences and return it as ``(n, T, C, H, W)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_frames, H, W) or (n_samples, n_frames, C, H, W)
        Frame sequences.
    name : str, default="X"
        Argument name for error messages.
    min_frames : int, default=1
        Smallest admissible ``n_frames``.
    allow_nan : bool, default=False
        Let NaN through.
    dtype : numpy dtype, default=np.float32
        Output dtype.

    Returns
    -------
    X : ndarray of shape (n_samples, n_frames, C, H, W)
        A float32 array with an explicit channel axis.
    had_channel_axis : bool
        Whether the input was 5D (predictions are returned in the same rank).
    """
    if _is_pandas(X):
        raise TypeError(
            f"{name} is a pandas {type(X).__name__}; expected frames of shape "
            "(n_samples, n_frames, H, W) or (n_samples, n_frames, C, H, W). Turn a "
            "traffic table into frames with skseq.preprocessing.Heatmapper."
        )
    X = to_numeric_array(X, name=name, dtype=dtype, allow_nan=True)
    # infinity is refused already, so a float64 sum (no overflow) is NaN only
    # if a value is: one pass without a mask, counted only to report it
    if not allow_nan and np.isnan(X.sum(dtype=np.float64)):
        raise ValueError(
            f"Input {name} contains NaN ({int(np.isnan(X).sum())} of {X.size} "
            "values); " + FRAME_NAN_ADVICE
        )
    if X.ndim not in (4, 5):
        raise ValueError(
            f"{name} must have shape (n_samples, n_frames, H, W) or "
            f"(n_samples, n_frames, C, H, W); got {X.ndim}D with shape {X.shape}."
        )
    had_channel_axis = X.ndim == 5
    given = X.shape  # as given, for the messages
    if not had_channel_axis:
        X = X[:, :, np.newaxis]
    _check_min_length(X.shape[1], min_frames, "frames", name, given)
    if min(X.shape[2:]) < 1:
        raise ValueError(f"{name} has an empty channel or spatial axis: {given}.")
    return X, had_channel_axis


@overload
def check_frame_targets(
    y: ArrayLike,
    X_frames: np.ndarray | LazyFrames,
    *,
    name: str = "y",
    dtype: DTypeLike | Sequence[DTypeLike] | None = np.float32,
    lazy: Literal[False] = False,
    X_name: str = "X",
) -> np.ndarray: ...


@overload
def check_frame_targets(
    y: ArrayLike,
    X_frames: np.ndarray | LazyFrames,
    *,
    name: str = "y",
    dtype: DTypeLike | Sequence[DTypeLike] | None = np.float32,
    lazy: bool,
    X_name: str = "X",
) -> np.ndarray | LazyFrames: ...


def check_frame_targets(
    y: ArrayLike,
    X_frames: np.ndarray | LazyFrames,
    *,
    name: str = "y",
    dtype: DTypeLike | Sequence[DTypeLike] | None = np.float32,
    lazy: bool = False,
    X_name: str = "X",
) -> np.ndarray | LazyFrames:
    """Validate target frames against validated input frames.

    Parameters
    ----------
    y : array-like of shape (n_samples, n_out_frames, H, W) or (n_samples, n_out_frames, C, H, W)
        Target frames. A 3D ``y`` of shape ``(n_samples, H, W)`` is read as a
        single output frame.
    X_frames : ndarray of shape (n_samples, n_frames, C, H, W)
        Output of :func:`check_frames`.
    name : str, default="y"
        Argument name for error messages.
    dtype : numpy dtype, default=np.float32
        Dtype of the returned array.
    lazy : bool, default=False
        Return out-of-core targets (memmaps and views of them, read-only
        strided views, dask / xarray / zarr / h5py arrays) unconverted, to be
        read batch by batch (their finiteness is checked chunk by chunk).
    X_name : str, default="X"
        Name of the input frames in error messages (``"X_valid"`` for
        validation data).

    Returns
    -------
    y : ndarray of shape (n_samples, n_out_frames, C_out, H, W)
        Float32 targets with explicit frame and channel axes.
    """
    from skseq.utils._lazy import check_frames_lazy, is_out_of_core

    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None; "
            "expected target frames of shape (n_samples, n_out_frames, H, W)."
        )
    if lazy and is_out_of_core(y) and len(getattr(y, "shape", ())) in (4, 5):
        y, _ = check_frames_lazy(y, name=name)
    else:
        y = to_numeric_array(y, name=name, dtype=dtype)
    H, W = X_frames.shape[-2:]
    given = y.shape
    if y.ndim == 3:
        y = y[:, np.newaxis, np.newaxis]
    elif y.ndim == 4:
        y = y[:, :, np.newaxis]
    elif y.ndim != 5:
        raise ValueError(
            f"{name} must have shape (n_samples, H, W), (n_samples, n_out_frames, "
            "H, W) or (n_samples, n_out_frames, C, H, W); got "
            f"{y.ndim}D with shape {y.shape}."
        )
    check_same_length(X_frames, y, names=(X_name, name))
    if y.shape[-2:] != (H, W):
        raise ValueError(
            f"{name} frames are {y.shape[-2]}x{y.shape[-1]} but {X_name} frames are "
            f"{H}x{W}; "
            "input and target frames must have the same size."
        )
    if y.shape[1] < 1:
        raise ValueError(f"{name} has 0 output frames (shape {given}).")
    return y


def check_same_length(*arrays: Sized, names: tuple[str, ...] | None = None) -> None:
    """Raise ``ValueError`` unless all arrays have the same first dimension.

    Parameters
    ----------
    *arrays : array-like
        Arrays (or lists) whose lengths are compared.
    names : tuple of str or None, default=None
        Their names in the error message; None names them ``array 0``,
        ``array 1``, ...

    Raises
    ------
    ValueError
        If the arrays' lengths differ.
    """
    names = names or tuple(f"array {i}" for i in range(len(arrays)))
    for name, a in zip(names, arrays):
        if not hasattr(a, "__len__"):
            raise TypeError(
                f"{name} must be an array-like of samples; got {type(a).__name__}."
            )
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        desc = ", ".join(f"{n}: {k}" for n, k in zip(names, lengths))
        raise ValueError(
            f"Inconsistent numbers of samples ({desc}); they must be equal."
        )


def check_positive_int(value: object, name: str, minimum: int = 1) -> int:
    """Return ``value`` as int, raising if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_finite_real(value: object, name: str) -> float:
    """Return ``value`` as float, raising if it is not a finite real number.

    For scalar settings such as an event threshold: a string or an array is
    a ``TypeError``, NaN or infinity a ``ValueError`` (a NaN threshold would
    otherwise make every comparison false and every score silently NaN).
    A 0-d array counts as its number.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a finite real number; got {value!r} "
            f"({type(value).__name__})."
        )
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be a finite real number; got {value!r}.")
    return number


def split_with_groups(
    cv: Any, X: ArrayLike, y: ArrayLike | None, groups: ArrayLike | None, how: str
) -> list:
    """``list(cv.split(X, y, groups))``, saying how to give missing groups.

    A splitter that needs groups (``GroupKFold``, ...) raises scikit-learn's
    "The 'groups' parameter should not be None" when ``groups`` is None;
    that error is raised again with ``how`` (where the caller takes the
    groups) appended.
    """
    try:
        return list(cv.split(X, y, groups))
    except ValueError as exc:
        if groups is None and "groups" in str(exc):
            raise ValueError(f"{exc} {how}") from exc
        if "values to unpack" in str(exc):  # an iterable of other than pairs
            raise ValueError(
                "cv must give (train, held_out) pairs of index arrays; one of "
                f"its splits is not a pair ({exc})."
            ) from exc
        raise


def valid_lengths(X: np.ndarray) -> np.ndarray:
    """Timesteps of each sequence ``(n, T, C)`` before its NaN padding.

    Padding is the trailing rows whose every channel is NaN; a sequence of
    padding only has length 0.
    """
    row_nan = np.isnan(X).all(axis=2)
    lengths = X.shape[1] - np.argmin(row_nan[:, ::-1], axis=1)
    lengths[row_nan.all(axis=1)] = 0
    return lengths


def check_class_labels(y: ArrayLike, name: str = "y") -> np.ndarray:
    """Class labels ``y`` as a 1D array, refused when a label is missing.

    ``y`` of shape ``(n_samples,)`` or ``(n_samples, 1)`` (scikit-learn's
    ``column_or_1d``, which warns for the latter) of any label type. A
    missing label (NaN or None among numbers or strings, ``pd.NA``) is a
    ``ValueError`` naming ``name``, as scikit-learn's classifiers raise:
    among strings it would otherwise surface as a ``TypeError`` from sorting
    the labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, 1)
        The class labels.
    name : str, default="y"
        The name of ``y`` in error messages.

    Returns
    -------
    y : ndarray of shape (n_samples,)
        The labels, raveled.
    """
    y = cast("np.ndarray", column_or_1d(y, warn=True))
    if len(y) == 0:
        raise ValueError(f"{name} is empty; expected a class label per sample.")
    if y.dtype.kind in "fc":
        missing = ~np.isfinite(y)
    elif y.dtype.kind == "O":
        import pandas as pd

        missing = np.asarray(pd.isna(y), dtype=bool)
    else:
        return y
    if not missing.any() and y.dtype.kind == "O":
        _check_one_label_type(y, name)
    if missing.any():
        what = "NaN or infinity" if y.dtype.kind in "fc" else "missing values"
        raise ValueError(
            f"{name} contains {what} ({int(missing.sum())} of {len(y)} labels, "
            f"first at index {int(np.argmax(missing))}); expected a class label "
            "for every sample."
        )
    return y


def _check_one_label_type(y: np.ndarray, name: str) -> None:
    """Refuse labels that mix strings with numbers (they cannot be sorted)."""
    kinds = {isinstance(label, str) for label in y}
    if len(kinds) > 1:
        first_str = next(i for i, label in enumerate(y) if isinstance(label, str))
        first_other = next(i for i, label in enumerate(y) if not isinstance(label, str))
        raise TypeError(
            f"{name} mixes string labels with labels of other types (e.g. "
            f"{y[first_str]!r} at index {first_str} and {y[first_other]!r} at "
            f"index {first_other}); give every label as a string, or none."
        )
