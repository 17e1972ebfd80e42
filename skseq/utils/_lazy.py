"""Out-of-core frame arrays: validated once, streamed, read batch by batch.

A memory-mapped archive, a read-only strided view of one (what
``sliding_windows(..., copy=False)`` returns) or a dask / xarray / zarr /
h5py array must never be converted whole: ``n_input`` overlapping windows of
a 2.5 GB archive would be a 10 GB float32 copy. :func:`check_frames_lazy`
checks such an array's shape and dtype, streams its finiteness check chunk
by chunk, and wraps it in a :class:`LazyFrames`, which converts only the
samples it is indexed with (a batch) to float32. skorch's ``Dataset``
indexes it sample by sample like a numpy array.
"""

from __future__ import annotations

import mmap
import os

import numpy as np

from skseq.utils.validation import FRAME_NAN_ADVICE, refuse_xarray_dataset

__all__ = [
    "LazyFrames",
    "RowSubset",
    "check_frames_lazy",
    "is_out_of_core",
    "take_rows",
]

#: modules whose arrays are read lazily, never converted whole
_LAZY_MODULES = ("dask", "xarray", "zarr", "h5py")
#: values (float32) per chunk of the streamed checks: 16 M values = 64 MB
_CHUNK_VALUES = 16 * 2**20
#: bytes read from a memory map between releases of its pages (the kernel
#: maps whole page-cache folios around each read, several times the bytes read)
_RELEASE_BYTES = 32 * 2**20


def _memory_mapped(a: np.ndarray) -> bool:
    """Whether ``a`` is, or is a view of, a memory-mapped buffer."""
    return _find_mmap(a) is not None or any(isinstance(b, np.memmap) for b in _bases(a))


def _bases(a):
    while a is not None:
        yield a
        a = getattr(a, "base", None)


def _find_mmap(a) -> mmap.mmap | None:
    """The ``mmap.mmap`` under a memmap or a view of one, if any."""
    for base in _bases(a):
        if isinstance(base, mmap.mmap):
            return base
        inner = getattr(base, "_mmap", None)
        if isinstance(inner, mmap.mmap):
            return inner
    return None


class RowSubset:
    """Rows ``indices`` of an out-of-core array, unread until indexed.

    What ``_safe_indexing(X, indices)`` gives, without copying: a numpy-like
    array (``shape``, ``dtype``, ``ndim``, indexing along the first axis)
    that reads ``source[indices[index]]`` when indexed. The cross-fitting
    copies of an estimator fit on such subsets of a memory-mapped archive.

    Parameters
    ----------
    source : array-like
        An out-of-core array (:func:`is_out_of_core`).
    indices : array-like of int
        Rows of ``source``, in any order (shuffled splits too); each read
        takes the rows in increasing order, as h5py and dask need them, and
        puts them back in the order asked for.
    """

    def __init__(self, source, indices):
        self.source = source
        self.indices = np.asarray(indices, dtype=np.intp)
        self.shape = (len(self.indices), *tuple(source.shape)[1:])
        self.dtype = np.dtype(source.dtype)
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        if isinstance(index, tuple):
            raise IndexError("RowSubset is indexed along its first axis only.")
        rows = self.indices[index]
        if rows.ndim == 0:
            return self.source[rows]
        return _read_increasing(self.source.__getitem__, rows)


def take_rows(X, indices):
    """``X[indices]``: a :class:`RowSubset` of out-of-core ``X`` (nothing
    read), else scikit-learn's ``_safe_indexing`` (a copy)."""
    if is_out_of_core(X) and not isinstance(X, LazyFrames):
        indices = np.asarray(indices)
        if indices.dtype == bool:
            indices = np.flatnonzero(_checked_mask(indices, len(X)))
        if indices.size:  # any order: RowSubset sorts what it reads
            return RowSubset(X, indices)
    from sklearn.utils import _safe_indexing

    return _safe_indexing(X, indices)


def is_out_of_core(X) -> bool:
    """Whether ``X`` should be read batch by batch instead of converted whole.

    True for ``np.memmap`` arrays and views of them, read-only strided
    (non-contiguous) numpy views such as ``sliding_windows(..., copy=False)``
    windows, and dask, xarray, zarr and h5py arrays.
    """
    if isinstance(X, LazyFrames | RowSubset):
        return True
    if isinstance(X, np.ndarray):
        if _memory_mapped(X):
            return True
        return not X.flags.writeable and not X.flags.c_contiguous
    return type(X).__module__.split(".")[0] in _LAZY_MODULES


def _as_numpy(a) -> np.ndarray:
    """Materialise a (small) piece of any array-like as numpy."""
    if hasattr(a, "compute") and not isinstance(a, np.ndarray):
        a = a.compute()  # dask, or xarray backed by dask
    return np.asarray(a)


class LazyFrames:
    """Frames ``(n, T, C, H, W)`` read from ``source`` only when indexed.

    Parameters
    ----------
    source : array-like of shape (n, T, H, W) or (n, T, C, H, W)
        Anything that slices along its first axis like numpy (numpy views,
        memmaps, dask, xarray, zarr, h5py).
    add_channel : bool
        Insert the channel axis (4D source).
    transform : callable or None, default=None
        Elementwise function applied to every float32 piece read.
    stats : dict or None, default=None
        ``{"min": ..., "max": ...}`` of the source, from the streamed check.

    Notes
    -----
    ``lazy[i]`` gives a float32 ``(T, C, H, W)`` numpy array, ``lazy[a:b]``
    or ``lazy[indices]`` a float32 ``(k, T, C, H, W)`` one; nothing else is
    ever read.
    """

    ndim = 5
    dtype = np.dtype(np.float32)

    def __init__(self, source, add_channel: bool, transform=None, stats=None):
        self.source = source
        self.add_channel = add_channel
        self.transform = transform
        self.stats = dict(stats or {})
        if any(s != s for s in source.shape):  # NaN: dask's unknown sizes
            raise ValueError(_unknown_sizes_message(tuple(source.shape), "frames"))
        shape = tuple(int(s) for s in source.shape)
        self.shape = (*shape[:2], 1, *shape[2:]) if add_channel else shape
        # only read-only maps: dropping pages of a copy-on-write map ("c")
        # would discard its private changes
        # rows of a map (a cross-fitting copy's input) release the map's pages
        mapped = source.source if isinstance(source, RowSubset) else source
        read_only = any(
            getattr(b, "mode", None) == "r"
            for b in _bases(mapped)
            if isinstance(b, np.memmap)
        )
        self._mmap = (
            _find_mmap(mapped) if isinstance(mapped, np.ndarray) and read_only else None
        )
        self._bytes_read = 0

    def __getstate__(self) -> dict:
        # sent to DataLoader workers started by spawn (macOS, Windows) or
        # forkserver: a view of a file map travels as a reference to the
        # file, a strided view as its base array, never as the windows
        state = self.__dict__.copy()
        state["source"] = _ViewReference.of(self.source) or self.source
        state["_mmap"] = None
        state["_bytes_read"] = 0
        return state

    def __setstate__(self, state: dict) -> None:
        source = state["source"]
        if isinstance(source, _ViewReference):
            state["source"] = source.open()
        self.__dict__.update(state)
        if isinstance(source, _ViewReference) and source.filename is not None:
            self._mmap = _find_mmap(self.source)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"LazyFrames(shape={self.shape}, source={type(self.source).__name__})"

    def __getitem__(self, index):
        if isinstance(index, tuple):
            raise IndexError("LazyFrames is indexed along its first axis only.")
        if not isinstance(index, int | np.integer | slice):
            index = np.asarray(index)
            if index.dtype == bool:
                index = np.flatnonzero(_checked_mask(index, len(self)))
            if not index.size:
                return np.empty((0, *self.shape[1:]), np.float32)
            return _read_increasing(self._read, index)
        return self._read(index)

    def _read(self, index) -> np.ndarray:
        piece = np.array(_as_numpy(self.source[index]), dtype=np.float32, order="C")
        self._release(piece.nbytes)
        if self.add_channel:
            # (T, H, W) -> (T, 1, H, W); (k, T, H, W) -> (k, T, 1, H, W)
            piece = np.ascontiguousarray(piece[..., np.newaxis, :, :])
        if self.transform is not None:
            piece = self.transform(piece)
        return piece

    def _release(self, n_bytes: int) -> None:
        """Every ``_RELEASE_BYTES`` (32 MB) read from a memory map, drop its pages.

        Pages of a file mapping a process has read count in its resident
        memory until the kernel reclaims them; reading a whole archive would
        thus show the archive's size as the process' memory. The pages are
        released (``madvise(MADV_DONTNEED)``: they stay in the page cache,
        and a later read maps them again), so resident memory measures what
        the process itself holds.
        """
        if self._mmap is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        self._bytes_read += n_bytes
        if self._bytes_read >= _RELEASE_BYTES:
            self._bytes_read = 0
            try:
                self._mmap.madvise(mmap.MADV_DONTNEED)
            except (OSError, ValueError):  # closed map, or not supported here
                self._mmap = None

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def with_transform(self, transform) -> LazyFrames:
        """The same frames with ``transform`` applied to every piece read."""
        if self.transform is not None:
            transform = _Composed(self.transform, transform)
        return LazyFrames(self.source, self.add_channel, transform, self.stats)

    def rows(self, start: int, stop: int) -> LazyFrames:
        """Samples ``start:stop``, still unread (``lazy[start:stop]`` reads them).

        The statistics are the whole source's (bounds of the rows' own).
        """
        return LazyFrames(
            self.source[start:stop], self.add_channel, self.transform, self.stats
        )

    def min(self) -> float:
        """Smallest value of the source (from the streamed check)."""
        return self.stats["min"]

    def max(self) -> float:
        """Largest value of the source (from the streamed check)."""
        return self.stats["max"]

    def chunks(self):
        """Yield ``(start, float32 piece)`` over the samples, ~64 MB at a time."""
        per_sample = max(1, int(np.prod(self.shape[1:])))
        step = max(1, _CHUNK_VALUES // per_sample)
        for start in range(0, len(self), step):
            yield start, self[start : start + step]


class _Composed:
    """``second(first(a))``; picklable, unlike a closure."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return self.second(self.first(a))


class _ViewReference:
    """A numpy view, pickled as its base buffer (or file) and its geometry.

    A strided view pickles as a copy of what it shows: the windows of
    ``sliding_windows(..., copy=False)``, ``n_input`` times the frames,
    or the whole of a memory-mapped archive. This pickles the array that
    owns the memory (once) or, for a read-only file map, the file's name,
    with the view's byte offset, shape and strides.
    """

    def __init__(self, base, filename, offset, shape, strides, dtype):
        self.base, self.filename = base, filename
        self.offset, self.shape, self.strides, self.dtype = (
            offset,
            shape,
            strides,
            dtype,
        )
        # the mapped file's size and modification time: a file replaced or
        # changed before a worker maps it again would give other data
        self.identity = None if filename is None else _file_identity(filename)

    @classmethod
    def of(cls, view) -> _ViewReference | None:
        """The reference of ``view``; None where pickling it whole is right."""
        if not isinstance(view, np.ndarray) or view.base is None:
            return None
        chain = list(_bases(view))
        root = chain[-1]
        mapped = isinstance(root, mmap.mmap)
        if mapped:  # the memmap over the mmap: its first byte is at .offset
            owner, filename = chain[-2], getattr(chain[-2], "filename", None)
            if not isinstance(owner, np.memmap) or filename is None:
                return None
            if getattr(owner, "mode", None) == "c":  # private changes: by value
                return None
            start = owner.offset
        elif isinstance(root, np.ndarray) and (
            root.flags.c_contiguous or root.flags.f_contiguous
        ):
            owner, filename, start = root, None, 0
        else:
            return None
        address = owner.__array_interface__["data"][0]
        offset = start + view.__array_interface__["data"][0] - address
        return cls(
            None if mapped else np.ravel(owner, order="K").view(np.uint8),
            filename,
            offset,
            view.shape,
            view.strides,
            view.dtype,
        )

    def open(self) -> np.ndarray:
        """The read-only view again (the file mapped anew)."""
        if self.filename is not None:
            identity = getattr(self, "identity", None)
            if identity is not None and _file_identity(self.filename) != identity:
                raise RuntimeError(
                    f"The memory-mapped file {self.filename!r} was changed, replaced "
                    "or removed after skseq mapped it: a data-loader worker would "
                    "read other data. Keep the file unchanged while fitting."
                )
            buffer = np.memmap(self.filename, dtype=np.uint8, mode="r")
        else:
            buffer = self.base
        view = np.ndarray(
            self.shape,
            self.dtype,
            buffer=buffer,
            offset=self.offset,
            strides=self.strides,
        )
        view.flags.writeable = False
        return view


def _read_increasing(read, rows: np.ndarray):
    """``read(rows)`` in one read of the rows in increasing order, each once
    (h5py and dask need them so), returned in the order asked for."""
    if rows.size == 0 or (np.diff(rows) > 0).all():
        return read(rows)
    unique, inverse = np.unique(rows, return_inverse=True)
    return _as_numpy(read(unique))[inverse]


def _checked_mask(mask: np.ndarray, n_rows: int) -> np.ndarray:
    """A boolean mask of ``n_rows`` rows, as numpy requires it."""
    if mask.shape != (n_rows,):
        raise IndexError(
            f"boolean index of shape {mask.shape} does not match the {n_rows} rows "
            "indexed (numpy needs one value per row)."
        )
    return mask


def _file_identity(filename) -> tuple[int, int] | None:
    """``(size, modification time in ns)`` of a file; None if it is gone."""
    try:
        stat = os.stat(filename)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _first_sample(mask: np.ndarray) -> int:
    """Index of the first sample (axis 0) of ``mask`` with a True value."""
    return int(np.flatnonzero(mask.reshape(len(mask), -1).any(axis=1))[0])


def _unknown_sizes_message(shape: tuple, name: str) -> str:
    return (
        f"{name} has unknown sizes in its shape {shape} (a dask array after "
        f"boolean indexing); call {name}.compute_chunk_sizes() first."
    )


def check_frames_lazy(
    X, *, name: str = "X", min_frames: int = 1, allow_nan: bool = False
) -> tuple[LazyFrames, bool]:
    """:func:`~skseq.utils.validation.check_frames` for out-of-core arrays.

    Checks the rank, the dtype and (streamed, chunk by chunk, never holding
    more than one chunk) that every value is finite; records the minimum and
    maximum on the way.

    Returns
    -------
    X : LazyFrames of shape (n_samples, n_frames, C, H, W)
    had_channel_axis : bool
        Whether the input was 5D.
    """
    if isinstance(X, LazyFrames):
        return X, True
    refuse_xarray_dataset(X, name)
    shape = tuple(getattr(X, "shape", ()))
    if len(shape) not in (4, 5):
        raise ValueError(
            f"{name} must have shape (n_samples, n_frames, H, W) or "
            f"(n_samples, n_frames, C, H, W); got {len(shape)}D with shape {shape}."
        )
    dtype = np.dtype(getattr(X, "dtype", np.float64))
    if dtype.kind not in "iuf":
        raise TypeError(
            f"{name} has dtype {dtype}; expected a numeric (integer or float) array."
        )
    if any(s != s for s in shape):  # NaN: dask's unknown sizes
        raise ValueError(_unknown_sizes_message(shape, name))
    if shape[0] < 1:
        raise ValueError(f"{name} has 0 samples (shape {shape}); expected >= 1.")
    if shape[1] < min_frames:
        raise ValueError(
            f"{name} has {shape[1]} frames (shape {shape}); at least {min_frames} "
            "required."
        )
    if min(shape[2:]) < 1:
        raise ValueError(f"{name} has an empty channel or spatial axis: {shape}.")
    lazy = LazyFrames(X, add_channel=len(shape) == 4)
    low, high = np.inf, -np.inf
    for start, piece in lazy.chunks():
        bad = np.isinf(piece) if allow_nan else ~np.isfinite(piece)
        if bad.any():
            infinite = bad if allow_nan else np.isinf(piece)
            if infinite.any():
                raise ValueError(  # read as float32: or beyond its range
                    f"Input {name} contains infinity or a value too large for "
                    f"float32 (first in sample {start + _first_sample(infinite)})."
                )
            raise ValueError(
                f"Input {name} contains NaN (first in sample "
                f"{start + _first_sample(bad)}); " + FRAME_NAN_ADVICE
            )
        if piece.size:
            low, high = (
                min(low, float(np.nanmin(piece))),
                max(high, float(np.nanmax(piece))),
            )
        del piece, bad  # not held while the next chunk is read
    lazy.stats = {"min": low, "max": high}
    return lazy, len(shape) == 5
