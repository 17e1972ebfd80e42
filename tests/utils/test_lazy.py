"""Out-of-core frames: streamed validation, batch reads (issue 15)."""

import mmap
import pickle

import numpy as np
import pytest

from skseq.utils import _lazy
from skseq.utils._lazy import LazyFrames, check_frames_lazy, is_out_of_core


def test_is_out_of_core(tmp_path):
    a = np.zeros((4, 3, 5, 5), dtype=np.float32)
    assert not is_out_of_core(a) and not is_out_of_core(a[:2])
    view = np.lib.stride_tricks.sliding_window_view(a, 2, axis=0)
    assert is_out_of_core(view)
    np.save(tmp_path / "a.npy", a)
    assert is_out_of_core(np.load(tmp_path / "a.npy", mmap_mode="r")[1:])
    dask = pytest.importorskip("dask.array")
    assert is_out_of_core(dask.from_array(a))


def test_lazy_frames_index_like_the_converted_array():
    a = np.random.default_rng(0).random((7, 3, 4, 5))  # float64, 4D
    lazy, had_channel = check_frames_lazy(a)
    assert not had_channel and lazy.shape == (7, 3, 1, 4, 5) and len(lazy) == 7
    full = a[:, :, None].astype(np.float32)
    np.testing.assert_array_equal(lazy[2], full[2])
    np.testing.assert_array_equal(lazy[1:4], full[1:4])
    np.testing.assert_array_equal(lazy[[5, 0, 3]], full[[5, 0, 3]])
    np.testing.assert_array_equal(lazy[[2, 2]], full[[2, 2]])
    np.testing.assert_array_equal(np.asarray(lazy), full)
    assert lazy[1:4].dtype == np.float32 and lazy[1:4].flags.c_contiguous
    assert lazy.min() == pytest.approx(a.min()) and lazy.max() == pytest.approx(a.max())
    doubled = lazy.with_transform(lambda x: 2 * x)
    np.testing.assert_array_equal(doubled[1], 2 * full[1])


def test_streamed_checks(monkeypatch):
    monkeypatch.setattr(_lazy, "_CHUNK_VALUES", 10)  # many chunks
    a = np.ones((6, 2, 3, 3))
    a[4, 1, 2, 2] = np.inf
    with pytest.raises(ValueError, match="sample 4"):
        check_frames_lazy(a)
    a[4, 1, 2, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN \(first in sample 4\); .*fill"):
        check_frames_lazy(a)
    lazy, _ = check_frames_lazy(a, allow_nan=True)
    assert lazy.max() == 1.0
    mixed = np.ones((6, 2, 3, 3))
    mixed[1, 0, 0, 0], mixed[3, 0, 0, 0] = np.nan, np.inf  # one chunk of 108 values
    monkeypatch.setattr(_lazy, "_CHUNK_VALUES", 1000)
    with pytest.raises(ValueError, match=r"infinity or .* \(first in sample 3\)"):
        check_frames_lazy(mixed)
    # finite float64, infinite in float32: said so
    mixed[3, 0, 0, 0] = 1e39
    with pytest.raises(ValueError, match=r"too large for float32 \(first in sample 3"):
        check_frames_lazy(mixed)
    monkeypatch.setattr(_lazy, "_CHUNK_VALUES", 10)
    with pytest.raises(ValueError, match="shape"):
        check_frames_lazy(np.ones((3, 4, 5)))
    with pytest.raises(TypeError, match="numeric"):
        check_frames_lazy(np.ones((2, 2, 3, 3), dtype=bool))
    with pytest.raises(ValueError, match="at least 3"):
        check_frames_lazy(np.ones((2, 2, 3, 3)), min_frames=3)


def test_unknown_dask_sizes_are_explained():
    dask = pytest.importorskip("dask.array")
    a = dask.from_array(np.ones((6, 2, 3, 3)), chunks=2)
    unknown = a[dask.from_array(np.arange(6) % 2 == 0, chunks=2)]
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        LazyFrames(unknown, add_channel=True)
    with pytest.raises(
        ValueError, match=r"y has unknown sizes.*y\.compute_chunk_sizes"
    ):
        check_frames_lazy(unknown, name="y")
    lazy, _ = check_frames_lazy(unknown.compute_chunk_sizes())
    assert lazy.shape == (3, 2, 1, 3, 3)


def test_rows_stay_unread_until_indexed():
    a = np.arange(6 * 2 * 3 * 3, dtype=np.float32).reshape(6, 2, 3, 3)
    lazy = LazyFrames(a, add_channel=True)
    rows = lazy.rows(2, 5)
    assert isinstance(rows, LazyFrames) and len(rows) == 3
    np.testing.assert_array_equal(rows[[0, 2]], lazy[[2, 4]])


class _MadviseSpy:
    """Stands for an ``mmap.mmap``: records ``madvise`` calls, then makes them."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def madvise(self, option, *args):
        self.calls.append(option)
        return self.inner.madvise(option, *args)


@pytest.mark.skipif(
    not hasattr(mmap, "MADV_DONTNEED"), reason="no madvise(MADV_DONTNEED) here"
)
def test_read_only_memmap_pages_are_released(tmp_path, monkeypatch):
    # a release every 200 bytes read; lazy[1:3] reads 2 * 2 * 3 * 3 float32 = 144
    monkeypatch.setattr(_lazy, "_RELEASE_BYTES", 200)
    np.save(tmp_path / "a.npy", np.ones((4, 2, 3, 3), dtype=np.float32))
    read_only = np.load(tmp_path / "a.npy", mmap_mode="r")
    lazy = LazyFrames(read_only, add_channel=True)
    assert lazy._mmap is read_only._mmap  # the map under the array
    spy = lazy._mmap = _MadviseSpy(lazy._mmap)
    np.testing.assert_array_equal(lazy[1:3], 1.0)
    assert spy.calls == [] and lazy._bytes_read == 144  # below the threshold
    np.testing.assert_array_equal(lazy[1:3], 1.0)
    assert spy.calls == [mmap.MADV_DONTNEED] and lazy._bytes_read == 0  # released
    np.testing.assert_array_equal(lazy[1:3], 1.0)  # still readable after release
    np.testing.assert_array_equal(lazy[[0, 3]], 1.0)
    assert spy.calls == [mmap.MADV_DONTNEED] * 2
    # the pages of a copy-on-write map hold its private changes: never released
    copy_on_write = np.load(tmp_path / "a.npy", mmap_mode="c")
    assert LazyFrames(copy_on_write, add_channel=True)._mmap is None
    in_memory = LazyFrames(np.ones((4, 2, 3, 3), np.float32), add_channel=True)
    assert in_memory._mmap is None
    np.testing.assert_array_equal(in_memory[1:3], 1.0)
    assert in_memory._bytes_read == 0  # nothing counted where nothing is mapped


def _pickled(obj):
    return pickle.loads(pickle.dumps(obj))


@pytest.mark.parametrize("mode", ["r", "r+"])
def test_pickle_sends_memmap_views_by_reference(tmp_path, mode):
    # DataLoader workers started by spawn (macOS, Windows) receive the
    # dataset pickled: a view of a file map goes as the file's name
    frames = np.arange(6 * 5 * 3 * 4, dtype=np.float32).reshape(6, 5, 3, 4)
    np.save(tmp_path / "a.npy", frames)
    archive = np.load(tmp_path / "a.npy", mmap_mode=mode)
    views = [archive, archive[1:5, ::2], archive[::-1, :, 1:, ::-1]]
    for view in views:
        lazy = LazyFrames(view, add_channel=True, transform=np.negative)
        payload = pickle.dumps(lazy)
        assert len(payload) < view.nbytes  # not the data
        restored = pickle.loads(payload)
        np.testing.assert_array_equal(restored[:], lazy[:])
        assert restored._mmap is not None and restored.shape == lazy.shape
    assert not _lazy._ViewReference.of(np.load(tmp_path / "a.npy", mmap_mode="c"))


def test_a_mapped_file_changed_before_it_is_mapped_again_is_refused(tmp_path):
    # a worker maps the file by its name: replaced, it read other data
    # (silently), removed, it failed without saying why
    import os

    frames = np.arange(6 * 5 * 3 * 4, dtype=np.float32).reshape(6, 5, 3, 4)
    path = tmp_path / "a.npy"
    np.save(path, frames)
    lazy = LazyFrames(np.load(path, mmap_mode="r"), add_channel=True)
    payload = pickle.dumps(lazy)
    np.testing.assert_array_equal(pickle.loads(payload)[:], lazy[:])  # unchanged
    np.save(path, frames + 1)  # replaced: same size
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(RuntimeError, match="changed, replaced or removed"):
        pickle.loads(payload)
    os.remove(path)
    with pytest.raises(RuntimeError, match="changed, replaced or removed"):
        pickle.loads(payload)


def test_pickle_sends_strided_views_as_their_base():
    # sliding windows of 8 frames over 100: pickled whole they are 8 times
    # the frames; as their base and geometry, about the frames once
    frames = np.random.default_rng(0).random((100, 6, 6), dtype=np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(frames, 8, axis=0)
    windows = np.moveaxis(windows, -1, 1)  # (93, 8, 6, 6), read-only
    lazy = LazyFrames(windows, add_channel=True)
    payload = pickle.dumps(lazy)
    assert len(payload) < 1.2 * frames.nbytes < windows.size * 4
    restored = pickle.loads(payload)
    np.testing.assert_array_equal(restored[[0, 50, 92]], lazy[[0, 50, 92]])
    # Fortran-ordered bases keep their byte order
    fortran = np.asfortranarray(frames[:10].reshape(10, 2, 3, 6))[:, :, 1:]
    restored = _pickled(LazyFrames(fortran, add_channel=True))
    np.testing.assert_array_equal(restored[:], fortran[:, :, None])


def test_composed_transforms_pickle():
    lazy = LazyFrames(np.ones((2, 3, 4, 4)), add_channel=True, transform=np.negative)
    twice = lazy.with_transform(np.exp)
    np.testing.assert_array_equal(_pickled(twice)[:], twice[:])
    np.testing.assert_allclose(twice[:], np.exp(-1.0))


def test_take_rows_leaves_out_of_core_rows_unread(tmp_path):
    frames = np.arange(6 * 2 * 3 * 3, dtype=np.float32).reshape(6, 2, 3, 3)
    np.save(tmp_path / "a.npy", frames)
    archive = np.load(tmp_path / "a.npy", mmap_mode="r")
    rows = _lazy.take_rows(archive, [1, 2, 4])
    assert isinstance(rows, _lazy.RowSubset) and is_out_of_core(rows)
    assert rows.shape == (3, 2, 3, 3) and rows.ndim == 4 and len(rows) == 3
    np.testing.assert_array_equal(rows[1:], frames[[2, 4]])
    lazy, _ = check_frames_lazy(rows)  # checked and read like the archive
    np.testing.assert_array_equal(lazy[:], frames[[1, 2, 4], :, None])
    with pytest.raises(IndexError, match="first axis only"):
        rows[0, 0]
    # in memory: a copy, as scikit-learn's _safe_indexing
    assert isinstance(_lazy.take_rows(frames, [1, 2]), np.ndarray)
    # rows out of order (a shuffled split), repeated, or a mask: unread too,
    # and read in increasing order (h5py and dask need it)
    shuffled = _lazy.take_rows(archive, [4, 1, 5, 1])
    assert isinstance(shuffled, _lazy.RowSubset)
    np.testing.assert_array_equal(shuffled[:], frames[[4, 1, 5, 1]])
    np.testing.assert_array_equal(shuffled[[2, 0]], frames[[5, 4]])
    np.testing.assert_array_equal(shuffled[0], frames[4])
    read = []

    class Increasing:  # refuses rows out of order, as h5py does
        shape, dtype = frames.shape, frames.dtype

        def __getitem__(self, rows):
            rows = np.asarray(rows)
            assert rows.ndim == 0 or (np.diff(rows) > 0).all()
            read.append(rows.tolist())
            return frames[rows]

    np.testing.assert_array_equal(
        _lazy.RowSubset(Increasing(), [4, 1, 5, 1])[:], frames[[4, 1, 5, 1]]
    )
    assert read == [[1, 4, 5]]
    mask = np.zeros(6, bool)
    mask[[0, 3]] = True
    np.testing.assert_array_equal(_lazy.take_rows(archive, mask)[:], frames[[0, 3]])


@pytest.mark.skipif(
    not hasattr(mmap, "MADV_DONTNEED"), reason="no madvise(MADV_DONTNEED) here"
)
def test_rows_of_a_read_only_map_release_its_pages(tmp_path):
    # a cross-fitting copy reads a RowSubset of the archive: its pages were
    # never released, so the whole archive stayed resident
    np.save(tmp_path / "a.npy", np.ones((4, 2, 3, 3), dtype=np.float32))
    archive = np.load(tmp_path / "a.npy", mmap_mode="r")
    lazy, _ = check_frames_lazy(_lazy.take_rows(archive, [0, 2, 3]))
    assert lazy._mmap is archive._mmap


def test_a_boolean_mask_of_another_length_is_refused(tmp_path):
    # numpy refuses it; the lazy reads took the rows its True values named
    frames = np.arange(6 * 2 * 3 * 3, dtype=np.float32).reshape(6, 2, 3, 3)
    np.save(tmp_path / "a.npy", frames)
    archive = np.load(tmp_path / "a.npy", mmap_mode="r")
    lazy = LazyFrames(archive, add_channel=True)
    short = np.array([True, False, True])
    with pytest.raises(IndexError, match="does not match the 6 rows"):
        lazy[short]
    with pytest.raises(IndexError, match="does not match the 6 rows"):
        _lazy.take_rows(archive, short)
    mask = np.zeros(6, bool)
    mask[[1, 4]] = True
    np.testing.assert_array_equal(lazy[mask], frames[[1, 4], :, None])
