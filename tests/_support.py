"""Helpers shared by several test modules (``pythonpath`` in pyproject.toml)."""

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from skseq import Conv1DActivityClassifier


def all_params_get_grad(model, out):
    """Backpropagate a loss of ``out``; every trainable parameter got a gradient."""
    out.float().pow(2).mean().backward()
    missing = [
        n for n, p in model.named_parameters() if p.requires_grad and p.grad is None
    ]
    assert not missing, missing


def train_and_inference_outputs(model, *inputs):
    """Outputs of the training path (``no_grad``) and of ``inference_mode``."""
    model.eval()
    with torch.no_grad():
        slow = model(*inputs)
    with torch.inference_mode():
        fast = model(*inputs)
    return slow, fast


def toy_sequences(n=20, T=16, C=2, seed=0):
    """Two classes of Gaussian sequences ``(n, T, C)``, class 1 shifted by 1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T, C))
    y = np.arange(n) % 2
    X[y == 1] += 1
    return X, y


def tiny_conv1d(**kwargs):
    """A one-block Conv1D classifier trained 2 epochs, no validation split."""
    params = {
        "channels": (4,),
        "kernel_size": 3,
        "head_units": 4,
        "max_epochs": 2,
        "validation_fraction": None,
        "random_state": 0,
    }
    params.update(kwargs)
    return Conv1DActivityClassifier(**params)


def memmapped_windows(path, frames, n_input=3, n_output=2):
    """Windows ``(X, y)``: read-only views of ``frames`` saved and memory-mapped."""
    from skseq.preprocessing import sliding_windows

    np.save(path, frames)
    return sliding_windows(np.load(path, mmap_mode="r"), n_input, n_output, copy=False)


def count_lazy_reads(monkeypatch, chunk_values=1000) -> list:
    """The samples of every out-of-core read from now on, appended to a list.

    The streamed checks read ``chunk_values`` values at a time, so that only
    the estimator's own reads can be large.
    """
    from skseq.utils import _lazy

    reads = []
    read = _lazy.LazyFrames._read

    def counted(self, index):
        piece = read(self, index)
        reads.append(len(piece) if piece.ndim == 5 else 1)
        return piece

    monkeypatch.setattr(_lazy.LazyFrames, "_read", counted)
    monkeypatch.setattr(_lazy, "_CHUNK_VALUES", chunk_values)
    return reads


class CountsFits(LogisticRegression):
    """A logistic regression that counts its fits (class-wide ``fits``):
    checks that an error comes before any model is fitted."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        return super().fit(X, y, sample_weight=sample_weight)
