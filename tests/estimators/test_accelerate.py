"""Tests of skseq.estimators._accelerate: training through Hugging Face
``accelerate`` (the Accelerated* skorch nets the estimators switch to). The
accelerator parameter's validation is tested in test_base.py, a nowcaster's
predictions with an accelerator in test_nowcasting.py."""

import pickle

import numpy as np
import pytest
import torch
from _support import tiny_conv1d, toy_sequences

from skseq import ConvLSTMForecaster


def _frames(n=12, T=3, H=8, W=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, T, H, W))
    return X, X[:, -1:] * 0.9


@pytest.mark.parametrize("kind", ["classifier", "forecaster"])
def test_accelerator_on_cpu_trains_exactly_like_plain_skorch(kind, capsys):
    accelerate = pytest.importorskip("accelerate")
    if kind == "classifier":
        X, y = toy_sequences()

        def make(**kw):
            return tiny_conv1d(validation_fraction=0.2, **kw)

        predict = "predict_proba"
    else:
        X, y = _frames()

        def make(**kw):
            return ConvLSTMForecaster(
                hidden_channels=2, max_epochs=2, random_state=0, **kw
            )

        predict = "predict"
    plain = make().fit(X, y)
    accelerated = make(accelerator=accelerate.Accelerator(cpu=True)).fit(X, y)
    assert type(accelerated.net_).__name__.startswith("Accelerated")
    assert accelerated.device_ == "cpu"
    assert capsys.readouterr().out == ""  # verbose=0 stays silent
    expected = getattr(plain, predict)(X)
    np.testing.assert_array_equal(getattr(accelerated, predict)(X), expected)
    np.testing.assert_array_equal(
        accelerated.history_[:, "train_loss"], plain.history_[:, "train_loss"]
    )
    with pytest.warns(Warning):  # skorch: device None -> cpu on unpickling
        restored = pickle.loads(pickle.dumps(accelerated))
    np.testing.assert_array_equal(getattr(restored, predict)(X), expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_accelerator_mixed_precision_on_gpu():  # pragma: no cover
    accelerate = pytest.importorskip("accelerate")
    X, y = toy_sequences()
    est = tiny_conv1d(accelerator=accelerate.Accelerator(mixed_precision="bf16")).fit(
        X, y
    )
    assert est.device_.startswith("cuda")
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-3)


def test_a_continued_fit_through_an_accelerator_does_not_warn():
    import warnings

    accelerate = pytest.importorskip("accelerate")
    X, y = toy_sequences()
    est = tiny_conv1d(warm_start=True, accelerator=accelerate.Accelerator(cpu=True))
    est.fit(X, y)
    # the copy of the fitted net kept in case the continued fit fails made
    # skorch warn that it set the device to the CPU
    # (recorded: under "error" the copy's except clause would swallow it)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est.fit(X, y)
    assert [str(w.message) for w in record] == []
    assert len(est.history_) == 2 * est.max_epochs_
