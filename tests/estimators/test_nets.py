"""Tests of skseq.estimators._nets (the skorch nets and how batches are made)."""

import warnings

import numpy as np
import torch
from torch.utils.data import default_collate

from skseq import Conv1DActivityClassifier, UNetNowcaster
from skseq.estimators._nets import collate_samples
from skseq.preprocessing import sliding_windows


def test_collate_samples_makes_default_collates_batch():
    rng = np.random.default_rng(0)
    batch = [
        (
            {"X": rng.normal(size=(4, 2)).astype(np.float32), "w": np.float64(i)},
            np.int64(i),
        )
        for i in range(3)
    ]
    ours, torchs = collate_samples(batch), default_collate(batch)
    assert isinstance(ours, list) and len(ours) == 2
    for key in ("X", "w"):
        torch.testing.assert_close(ours[0][key], torchs[0][key], rtol=0, atol=0)
        assert ours[0][key].dtype == torchs[0][key].dtype
    torch.testing.assert_close(ours[1], torchs[1], rtol=0, atol=0)


def test_collate_samples_leaves_other_batches_to_default_collate():
    from collections import namedtuple

    Pair = namedtuple("Pair", ["a", "b"])
    pairs = [Pair(np.zeros(2, np.float32), np.ones(2, np.float32))] * 3
    assert type(collate_samples(pairs)) is type(default_collate(pairs))
    mixed = [np.zeros(2, np.float32), np.zeros(2, np.int64)]
    assert collate_samples(mixed).dtype == default_collate(mixed).dtype


def test_read_only_input_trains_without_torch_warnings():
    rng = np.random.default_rng(0)
    frames = rng.random((20, 8, 8)).astype(np.float32)
    X, y = sliding_windows(frames, n_input=3, n_output=1, copy=False)
    assert not y.flags.writeable  # read-only views of the frames
    sequences = rng.normal(size=(12, 16, 2))
    sequences.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # torch's "not writable"
        unet = UNetNowcaster(depth=1, base_channels=2, max_epochs=1, ensemble_cv=None)
        unet.fit(X, y).predict(X)
        clf = Conv1DActivityClassifier(channels=(4,), max_epochs=1)
        clf.fit(sequences, np.arange(12) % 2).predict(sequences)
    # (torch warns once per process: the check above is sharp when run alone)
    for net in (unet.net_, clf.net_):
        assert net.iterator_train__collate_fn is collate_samples
        assert net.iterator_valid__collate_fn is collate_samples
