"""Tests of the shared machinery in skseq.estimators._base."""

import itertools
import os
import pickle

import numpy as np
import pytest
import torch
from _support import tiny_conv1d, toy_sequences
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, EpochScoring, LRScheduler

from skseq import ConvLSTMForecaster, UNetNowcaster
from skseq.estimators._base import (
    NonFiniteLossError,
    nonzero_scale,
    resolve_device,
    resolve_optimizer,
)


def test_same_seed_same_weights_other_seed_differs():
    X, y = toy_sequences()
    a, b, c = (
        tiny_conv1d().fit(X, y),
        tiny_conv1d().fit(X, y),
        tiny_conv1d(random_state=1).fit(X, y),
    )
    for pa, pb in zip(a.module_.parameters(), b.module_.parameters()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_random_state_none_varies_and_global_rng_untouched():
    X, y = toy_sequences()
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    p1 = tiny_conv1d(random_state=None).fit(X, y).predict_proba(X)
    assert torch.rand(1) == expected_next  # fit used a forked RNG
    p2 = tiny_conv1d(random_state=None).fit(X, y).predict_proba(X)
    assert not np.allclose(p1, p2)


def test_random_state_instance_accepted():
    # scikit-learn's convention: a RandomState instance is drawn from (consumed)
    # by fit, so equal fresh instances, or clones of one, give equal models
    X, y = toy_sequences()
    proba = (
        tiny_conv1d(random_state=np.random.RandomState(0)).fit(X, y).predict_proba(X)
    )
    assert proba.shape == (20, 2)
    again = (
        tiny_conv1d(random_state=np.random.RandomState(0)).fit(X, y).predict_proba(X)
    )
    np.testing.assert_array_equal(again, proba)
    est = tiny_conv1d(random_state=np.random.RandomState(0))
    np.testing.assert_array_equal(clone(est).fit(X, y).predict_proba(X), proba)
    np.testing.assert_array_equal(est.fit(X, y).predict_proba(X), proba)
    # the instance was consumed: a second fit draws another seed
    assert not np.allclose(est.fit(X, y).predict_proba(X), proba)
    other = (
        tiny_conv1d(random_state=np.random.RandomState(1)).fit(X, y).predict_proba(X)
    )
    assert not np.allclose(other, proba)


def test_device_resolution():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == "cpu" or resolve_device("auto").startswith("cuda:")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
        X, y = toy_sequences()
        est = tiny_conv1d(device="cuda")
        with pytest.raises(ValueError, match="CUDA"):
            est.fit(X, y)
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
    assert tiny_conv1d(device="auto").fit(*toy_sequences()).device_ in {"cpu", "cuda:0"}


def test_a_bare_cuda_device_is_resolved_to_the_current_one(monkeypatch):
    # skorch resolves "cuda" again at every call, to the calling thread's
    # current device: the network's is fixed at fit
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda") == resolve_device("auto") == "cuda:1"
    assert resolve_device("cuda:0") == "cuda:0" and resolve_device("cpu") == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_fitted_model_predicts_on_cpu_after_pickle():  # pragma: no cover
    X, y = toy_sequences()
    est = tiny_conv1d(device="cuda").fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    restored.net_.set_params(device="cpu")
    restored.net_.module_.to("cpu")
    np.testing.assert_allclose(restored.predict_proba(X), est.predict_proba(X), 1e-5)


def test_optimizer_resolution():
    assert resolve_optimizer("NAdam") is torch.optim.NAdam
    assert resolve_optimizer(torch.optim.SGD) is torch.optim.SGD
    with pytest.raises(ValueError, match="Unknown optimizer"):
        resolve_optimizer("lbfgsx")
    with pytest.raises(TypeError, match=r"torch\.optim\.Optimizer subclass; got 3"):
        resolve_optimizer(3)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"max_epochs": 0}, "max_epochs"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"lr": -1.0}, "lr"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"patience": 0}, "patience"),
        ({"weight_decay": -1}, "weight_decay"),
    ],
)
def test_bad_training_params(params, match):
    X, y = toy_sequences()
    with pytest.raises((ValueError, TypeError), match=match):
        tiny_conv1d(**params).fit(X, y)


def test_diverging_training_raises_and_leaves_unfitted():
    X, y = toy_sequences()
    X = X * 1e30
    est = tiny_conv1d(lr=1e30, optimizer="sgd", max_epochs=3)
    with pytest.raises(NonFiniteLossError, match="Training diverged"):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def test_failed_refit_resets_to_unfitted():
    X, y = toy_sequences()
    est = tiny_conv1d().fit(X, y)
    with pytest.raises(ValueError):
        est.fit(X[:, :, :1], y[:-1])
    with pytest.raises(NotFittedError):
        est.predict(X)


class _StopAtEpoch(Callback):
    """Raise ``KeyboardInterrupt`` at the end of epoch ``epoch``: skorch's way
    for a callback to end training (its ``EarlyStopping`` does so)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def _ctrl_c_at_forward(monkeypatch, module_class, call):
    """Make the ``call``-th training forward pass of ``module_class`` raise
    ``KeyboardInterrupt``, as Ctrl-C during a fit does."""
    forward = module_class.forward
    calls = []

    def interrupted_forward(self, *args, **kwargs):
        if self.training:
            calls.append(1)
            if len(calls) == call:
                raise KeyboardInterrupt
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(module_class, "forward", interrupted_forward)


def test_ctrl_c_during_fit_propagates_and_leaves_no_half_trained_model(monkeypatch):
    # skorch's partial_fit swallows KeyboardInterrupt and keeps the net; the
    # estimator raises it and is left unfitted, or as it was when continuing
    from skseq.modules.conv1d import Conv1DActivityNet
    from skseq.modules.unet import RecursiveNowcastNet

    X, y = toy_sequences()
    warm = tiny_conv1d(max_epochs=2, warm_start=True).fit(X, y)
    before = warm.predict_proba(X)
    with monkeypatch.context() as patch:
        _ctrl_c_at_forward(patch, Conv1DActivityNet, call=3)
        est = tiny_conv1d(max_epochs=5)
        with pytest.raises(KeyboardInterrupt):
            est.fit(X, y)
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
    with monkeypatch.context() as patch:
        # a continued fit interrupted: the model of the first fit, unchanged
        _ctrl_c_at_forward(patch, Conv1DActivityNet, call=2)
        with pytest.raises(KeyboardInterrupt):
            warm.fit(X, y)
    assert warm.n_epochs_ == 2
    np.testing.assert_array_equal(warm.predict_proba(X), before)
    warm.fit(X, y)  # uninterrupted, it continues as before
    assert warm.n_epochs_ == 4
    # a callback that raises it ends training (skorch's convention): fitted
    stopped = tiny_conv1d(max_epochs=5, callbacks=[_StopAtEpoch(2)]).fit(X, y)
    assert stopped.n_epochs_ == 2
    # the flags are no parameters of the skorch net (it clones)
    assert not {"interrupted_", "_stopped_by_callback_"} & set(
        stopped.net_.get_params()
    )
    clone(stopped.net_)
    # the U-Net does not go on to calibrate its ensemble
    frames = np.random.default_rng(0).random((8, 5, 8, 8)).astype(np.float32)
    unet = UNetNowcaster(depth=1, base_channels=2, max_epochs=3, random_state=0)
    with monkeypatch.context() as patch:
        _ctrl_c_at_forward(patch, RecursiveNowcastNet, call=2)
        with pytest.raises(KeyboardInterrupt):
            unet.fit(frames[:, :3], frames[:, 3:])
    assert not hasattr(unet, "ensemble_noise_")
    with pytest.raises(NotFittedError):
        check_is_fitted(unet)


def test_refit_resets_and_warm_start_continues():
    X, y = toy_sequences()
    est = tiny_conv1d(max_epochs=2)
    est.fit(X, y)
    est.fit(X, y)
    assert est.n_epochs_ == 2
    warm = tiny_conv1d(max_epochs=2, warm_start=True).fit(X, y)
    warm.fit(X, y)
    assert warm.n_epochs_ == 4
    with pytest.raises(ValueError, match="warm_start=True"):
        warm.fit(X[:, :8], y)
    # as recorded by a fit on a GPU, continued on this CPU: the refusal says
    # that a network continues only where it was trained
    warm._first_fit_params = {**warm._first_fit_params, "device": "cuda"}
    with pytest.raises(
        ValueError, match=r"cannot change \['device'\].*continues training only"
    ):
        warm.fit(X, y)
    assert warm.n_epochs_ == 4  # the fitted state is kept


class _TrainingOrder(Callback):
    """Record the first value of each training batch's sequences."""

    def __init__(self):
        self.seen = []

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.seen += batch[0][:, 0, 0].tolist()


def _orders_of_continued_fits(n_fits):
    X, y = toy_sequences(n=16)
    X[:, 0, 0] = np.arange(16)  # each sequence known by its first value
    est = tiny_conv1d(
        max_epochs=1,
        batch_size=4,
        validation_fraction=None,
        scale_input=False,
        warm_start=True,
        callbacks=[_TrainingOrder()],
    )
    orders = []
    for _ in range(n_fits):
        est.fit(X, y)
        recorder = dict(est.net_.callbacks_)["_TrainingOrder"]
        orders.append(recorder.seen[-16:])
    return orders


def test_continued_fits_draw_new_batches_reproducibly():
    # an int random_state reseeded every continued fit alike, which replayed
    # the same epoch (order, dropout masks) in each of them
    orders = _orders_of_continued_fits(4)
    assert len({tuple(order) for order in orders[1:]}) == 3
    assert _orders_of_continued_fits(4) == orders  # and reproducibly so


def test_early_stopping_and_user_callbacks_are_copied():
    X, y = toy_sequences(n=40)
    scoring = EpochScoring("accuracy", name="train_acc", on_train=True)
    est = tiny_conv1d(max_epochs=50, patience=2, validation_fraction=0.25, lr=1e-6)
    est.set_params(callbacks=[scoring])
    est.fit(X, y)
    assert est.n_epochs_ < 50  # a tiny lr stops improving quickly
    assert "train_acc" in est.history_[-1]
    assert est.callbacks[0] is scoring  # the user's object is never mutated
    assert not hasattr(scoring, "best_score_")


@pytest.mark.parametrize("as_tuple", [False, True])
def test_user_lr_scheduler_replaces_lr_schedule(as_tuple):
    X, y = toy_sequences()
    user = LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    est = tiny_conv1d(lr=0.1, max_epochs=3, lr_schedule="cosine")
    est.set_params(callbacks=[("my_schedule", user)] if as_tuple else [user])
    est.fit(X, y)
    names = [name for name, _ in est.net_.callbacks_]
    assert "lr_schedule" not in names
    # only the user's schedule acted: 0.1 * 0.5 ** 3 (a cosine would compound it)
    lrs = [group["lr"] for group in est.net_.optimizer_.param_groups]
    np.testing.assert_allclose(lrs, [0.1 * 0.5**3])
    # without a user scheduler the estimator's own schedule is used
    est.set_params(callbacks=None).fit(X, y)
    assert "lr_schedule" in [name for name, _ in est.net_.callbacks_]


def test_user_early_stopping_replaces_the_one_of_patience():
    from skorch.callbacks import EarlyStopping

    X, y = toy_sequences()
    # a patience longer than the fit: the user's never stops it
    user = EarlyStopping(patience=1000, load_best=False)
    est = tiny_conv1d(max_epochs=12, validation_fraction=0.25, patience=1)
    est.set_params(callbacks=[user]).fit(X, y)
    names = [name for name, _ in est.net_.callbacks_]
    assert "early_stopping" not in names
    assert est.n_epochs_ == 12
    # without it, patience=1 stops the same fit early
    est.set_params(callbacks=None).fit(X, y)
    assert "early_stopping" in [name for name, _ in est.net_.callbacks_]


def test_validation_data_is_not_kept_in_the_fitted_model(tmp_path):
    X, y = toy_sequences(n=40, T=64)
    plain = tiny_conv1d().fit(X[:20], y[:20])
    est = tiny_conv1d(warm_start=True).fit(
        X[:20], y[:20], validation_data=(X[20:], y[20:])
    )
    # the pickle holds the network, not the validation windows
    assert len(pickle.dumps(est)) < len(pickle.dumps(plain)) + X[20:].nbytes / 4
    # memory-mapped validation frames (not picklable themselves)
    rng = np.random.default_rng(0)
    frames = rng.random((14, 5, 8, 8)).astype(np.float32)
    np.save(tmp_path / "vx.npy", frames[10:, :3])
    np.save(tmp_path / "vy.npy", frames[10:, 3:])
    valid = tuple(np.load(tmp_path / f, mmap_mode="r") for f in ("vx.npy", "vy.npy"))
    unet = UNetNowcaster(
        depth=1, base_channels=2, max_epochs=1, warm_start=True, random_state=0
    ).fit(frames[:10, :3], frames[:10, 3:], validation_data=valid)
    loaded = pickle.loads(pickle.dumps(unet))
    np.testing.assert_array_equal(
        loaded.predict(frames[:2, :3]), unet.predict(frames[:2, :3])
    )
    # a refused continued fit leaves the model as it was
    with pytest.raises(ValueError):
        unet.fit(frames[:10, :2], frames[:10, 3:])
    check_is_fitted(unet)
    # a continued fit validates on the data it is given
    est.fit(X[:20], y[:20], validation_data=(X[20:], y[20:]))
    assert "valid_loss" in est.history_[-1]


def test_x_val_y_val_are_the_validation_set():
    X, y = toy_sequences(n=40, T=16)
    tuple_fit = tiny_conv1d(max_epochs=3).fit(
        X[:30], y[:30], validation_data=(X[30:], y[30:])
    )
    named_fit = tiny_conv1d(max_epochs=3).fit(
        X[:30], y[:30], X_val=X[30:], y_val=y[30:]
    )
    assert [e["valid_loss"] for e in named_fit.history_] == [
        e["valid_loss"] for e in tuple_fit.history_
    ]
    with pytest.raises(ValueError, match="X_val was given without y_val"):
        tiny_conv1d().fit(X, y, X_val=X[30:])
    with pytest.raises(ValueError, match="y_val was given without X_val"):
        tiny_conv1d().fit(X, y, y_val=y[30:])
    with pytest.raises(ValueError, match="either as validation_data or as X_val"):
        tiny_conv1d().fit(
            X, y, validation_data=(X[30:], y[30:]), X_val=X[30:], y_val=y[30:]
        )


def test_validation_errors_name_the_arguments_given():
    X, y = toy_sequences(n=40, T=16)
    # X_val / y_val are named so, validation_data's arrays X_valid / y_valid
    with pytest.raises(ValueError, match=r"\(X_val: 10, y_val: 6\)"):
        tiny_conv1d().fit(X[:30], y[:30], X_val=X[30:], y_val=y[30:36])
    with pytest.raises(ValueError, match=r"\(X_valid: 10, y_valid: 6\)"):
        tiny_conv1d().fit(X[:30], y[:30], validation_data=(X[30:], y[30:36]))
    frames = np.random.default_rng(0).random((8, 3, 8, 8)).astype(np.float32)
    unet = UNetNowcaster(
        depth=1, base_channels=2, max_epochs=1, log_transform=True, random_state=0
    )
    # the negative validation targets, not the training targets y
    with pytest.raises(ValueError, match="y_val has minimum"):
        unet.fit(
            frames[:4, :2], frames[:4, 2:], X_val=frames[4:, :2], y_val=-frames[4:, 2:]
        )


def test_x_val_goes_through_the_pipeline_preprocessing():
    """``Pipeline(transform_input=["X_val"])`` transforms the validation input only."""
    import sklearn
    from sklearn.pipeline import Pipeline

    from skseq.preprocessing import DerivativeIntegralFeatures

    X, y = toy_sequences(n=40, T=16)
    features = DerivativeIntegralFeatures().fit_transform(X)
    direct = tiny_conv1d(max_epochs=3).fit(
        features[:30], y[:30], validation_data=(features[30:], y[30:])
    )
    with sklearn.config_context(enable_metadata_routing=True):
        model = Pipeline(
            [
                ("features", DerivativeIntegralFeatures()),
                (
                    "clf",
                    tiny_conv1d(max_epochs=3).set_fit_request(X_val=True, y_val=True),
                ),
            ],
            transform_input=["X_val"],
        ).fit(X[:30], y[:30], X_val=X[30:], y_val=y[30:])
    assert [e["valid_loss"] for e in model[-1].history_] == [
        e["valid_loss"] for e in direct.history_
    ]


@pytest.mark.parametrize(
    "schedule", [{}, {"lr_schedule": "step", "lr_step_size": 2}], ids=["cosine", "step"]
)
def test_a_continued_fit_runs_the_schedule_anew_from_the_current_lr(schedule):
    from skseq import KeypointLSTMClassifier

    X, y = toy_sequences()
    est = KeypointLSTMClassifier(
        hidden_size=4,
        max_epochs=6,
        random_state=0,
        validation_fraction=None,
        **schedule,
    ).fit(X, y)
    first = est.history_[:, "event_lr"]
    est.set_params(warm_start=True).fit(X, y)
    np.testing.assert_allclose(est.history_[6:, "event_lr"], first)
    assert first[0] == est._resolve_lr()  # lr="auto" behind the front end
    est.set_params(lr=1e-4).fit(X, y)  # a new lr: the same schedule, scaled
    scaled = np.multiply(first, 1e-4 / first[0])
    np.testing.assert_allclose(est.history_[12:, "event_lr"], scaled)


def test_concurrent_predictions_from_threads():
    # a web service predicting from several threads with one fitted model
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(0)
    frames = rng.gamma(0.5, 2.0, (12, 5, 16, 16)).astype(np.float32)
    X, y = frames[:, :3], frames[:, 3:]
    unet = UNetNowcaster(
        depth=2, base_channels=2, max_epochs=2, ensemble_cv=None, random_state=0
    ).fit(X, y)
    assert not unet.module_.training  # left in evaluation mode: no dropout
    expected = unet.predict(X)
    mc = unet.predict_ensemble(X, 3, 2, random_state=0, method="mc_dropout")
    torch.manual_seed(123)
    draws = torch.rand(3)
    torch.manual_seed(123)

    def predictions(i):
        if i % 2:
            return np.abs(unet.predict(X) - expected).max()
        members = unet.predict_ensemble(X, 3, 2, random_state=0, method="mc_dropout")
        return np.abs(members - mc).max()

    with ThreadPoolExecutor(4) as pool:
        differences = list(pool.map(predictions, range(16)))
    assert max(differences) == 0.0
    # the caller's torch RNG is untouched by the overlapping predictions
    assert torch.equal(torch.rand(3), draws)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_process_forked_during_a_prediction_can_predict():
    # a child forked while another thread predicted inherited the prediction
    # lock held by a thread it does not have, and its predictions hung
    import threading

    from skseq.estimators._base import PREDICTION_LOCK

    held, release = threading.Event(), threading.Event()

    def predicting():
        with PREDICTION_LOCK:
            held.set()
            release.wait(30)

    thread = threading.Thread(target=predicting)
    thread.start()
    held.wait(30)
    try:
        pid = os.fork()
        if pid == 0:  # the child: no torch here (its thread pool did not fork)
            code = 1
            try:
                code = 0 if PREDICTION_LOCK._lock.acquire(timeout=5) else 1
            finally:
                os._exit(code)  # never back into pytest
        _, status = os.waitpid(pid, 0)
    finally:
        release.set()
        thread.join()
    assert os.waitstatus_to_exitcode(status) == 0
    # in the parent the lock is the same, free again, and re-entrant
    with PREDICTION_LOCK, PREDICTION_LOCK:
        pass


def test_validation_score_without_a_split_is_explained():
    from skorch.callbacks import EarlyStopping

    class ReadsValidLoss(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history[-1, "valid_loss"]

    X, y = toy_sequences()
    # a callback that monitors a validation score is refused before training
    est = tiny_conv1d(callbacks=[("stop", EarlyStopping(monitor="valid_loss"))])
    with pytest.raises(ValueError, match=r"'stop' monitors 'valid_loss'.*holds no"):
        est.fit(X, y)
    assert not hasattr(est, "net_")
    # one that reads it otherwise gets skorch's KeyError explained
    est = tiny_conv1d(callbacks=[ReadsValidLoss()])
    with pytest.raises(ValueError, match="holds no sample out") as info:
        est.fit(X, y)
    assert "Key 'valid_loss' was not found" in str(info.value)
    assert isinstance(info.value.__cause__, KeyError)
    assert not hasattr(est, "net_")
    # with a split it runs; other missing keys keep skorch's own error
    est.set_params(validation_fraction=0.25).fit(X, y)
    est = tiny_conv1d(callbacks=[EarlyStopping(monitor="no_such_score")])
    with pytest.raises(KeyError, match="no_such_score"):
        est.fit(X, y)


def test_user_rollback_replaces_the_nowcasters_own():
    from skseq import UNetNowcaster
    from skseq.estimators import RollbackOnDivergence
    from skseq.utils.estimator_checks import make_test_data

    params = UNetNowcaster._get_test_params()[0]
    est = UNetNowcaster(**{**params, "max_epochs": 1, "ensemble_cv": None})
    X, y = make_test_data(est)
    est.set_params(callbacks=[("mine", RollbackOnDivergence(factor=1.1))]).fit(X, y)
    names = [name for name, _ in est.net_.callbacks_]
    assert "mine" in names and "rollback_on_divergence" not in names
    est.set_params(callbacks=None).fit(X, y)
    assert "rollback_on_divergence" in [name for name, _ in est.net_.callbacks_]


class _GradientNormRecorder(Callback):
    """Records the total gradient norm the optimizer is about to use."""

    def initialize(self):
        self.norms = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad for _, p in named_parameters if p.grad is not None]
        self.norms.append(
            float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads])))
        )


@pytest.mark.parametrize("clip", [None, 1e-3])
def test_gradient_clip_bounds_the_gradient_norm(clip):
    X, y = toy_sequences()
    est = tiny_conv1d(
        lr=0.1, gradient_clip=clip, callbacks=[("record", _GradientNormRecorder())]
    )
    est.fit(X, y)
    norms = np.array(est.net_.get_params()["callbacks__record"].norms)
    assert len(norms) == 2  # one batch of 20 per epoch, two epochs
    if clip is None:
        assert "gradient_clip" not in dict(est.net_.callbacks_)
        assert norms.max() > 1e-3
    else:
        assert dict(est.net_.callbacks_)["gradient_clip"].gradient_clip_value == clip
        assert norms.max() <= clip * (1 + 1e-5)


def test_gradient_clip_defaults():
    # the U-Net's recursive training once exploded without it (docs/benchmarks.rst)
    assert UNetNowcaster().gradient_clip == 1.0
    assert tiny_conv1d().set_params(gradient_clip=None).gradient_clip is None
    with pytest.raises(ValueError, match="gradient_clip"):
        tiny_conv1d(gradient_clip=0.0).fit(*toy_sequences())


def test_estimator_pickled_before_gradient_clip_loads():
    X, y = toy_sequences()
    est = tiny_conv1d().fit(X, y)
    older = pickle.loads(pickle.dumps(est))
    del older.gradient_clip  # an estimator pickled before the argument existed
    loaded = pickle.loads(pickle.dumps(older))
    assert loaded.gradient_clip is None  # how it was trained
    assert "gradient_clip" in loaded.get_params() and repr(loaded)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    loaded.set_params(warm_start=True).fit(X, y)  # continues training
    assert loaded.n_epochs_ == 4


def test_rollback_on_divergence_is_on_for_the_unet_only():
    rng = np.random.default_rng(0)
    X = rng.random((6, 2, 8, 8)).astype(np.float32)
    unet = UNetNowcaster(
        depth=1, base_channels=2, max_epochs=1, ensemble_cv=None, random_state=0
    ).fit(X, X[:, -1:])
    assert "rollback_on_divergence" in dict(unet.net_.callbacks_)
    clf = tiny_conv1d().fit(*toy_sequences())
    assert "rollback_on_divergence" not in dict(clf.net_.callbacks_)


def test_with_a_validation_split_the_unet_ends_on_its_best_validation_epoch():
    # the rollback's end-of-fit restore (best training loss) overrode early
    # stopping where the best validation loss was the last epoch's (skorch
    # restores nothing then): the fitted network's validation loss was 0.197
    # against 0.132 in history_
    rng = np.random.default_rng(0)
    X = rng.random((40, 4, 9, 11)).astype(np.float32)
    y = np.roll(X[:, -1:], 1, axis=-1) * 0.8 + 0.05 * rng.random((40, 1, 9, 11))
    unet = UNetNowcaster(
        depth=1, base_channels=4, dropout=0.9, max_epochs=3, lr=0.03,
        lr_schedule=None, validation_fraction=0.3, patience=50, batch_size=8,
        ensemble_cv=None, advection_prior=False, residual="none",
        gradient_clip=None, random_state=34,
    ).fit(X, y.astype(np.float32))  # fmt: skip
    valid = unet.history_[:, "valid_loss"]
    assert np.argmin(valid) == len(valid) - 1  # the case of the report
    callbacks = dict(unet.net_.callbacks_)
    assert callbacks["rollback_on_divergence"].tolerance is None
    X_valid, y_valid = unet._held_out_windows(X, y.astype(np.float32))
    with torch.no_grad():
        out = unet.net_.forward(X_valid, training=False)
        loss = unet.net_.get_loss(out, torch.as_tensor(y_valid)).item()
    assert loss == pytest.approx(min(valid), rel=1e-5)
    # without a split the rollback still ends the fit on its best epoch
    unet.set_params(validation_fraction=None, max_epochs=1).fit(X, y)
    assert dict(unet.net_.callbacks_)["rollback_on_divergence"].tolerance == 0.02


def test_stratified_split_falls_back_with_warning():
    X, y = toy_sequences(n=6)
    with pytest.warns(UserWarning, match="stratified"):
        clf = tiny_conv1d(validation_fraction=0.1).fit(X, y)
    # the fitted state says what happened: no split, all 6 sequences trained
    assert clf.validation_fraction_ == 0.0
    assert "valid_loss" not in clf.history_[-1]
    assert clf.history_[-1, "batches", 0, "train_batch_size"] == 6


def test_validation_size_rounds_as_the_split_does():
    # 25 sequences, fraction 0.1: the stratified shuffle split holds out
    # ceil(2.5) = 3, so 22 train in equal batches of 11 (not 23 -> 12 + 11)
    X, y = toy_sequences(n=25)
    clf = tiny_conv1d(validation_fraction=0.1, batch_size=16).fit(X, y)
    batches = clf.history_[-1, "batches"]
    sizes = [b["train_batch_size"] for b in batches if "train_batch_size" in b]
    valid = [b["valid_batch_size"] for b in batches if "valid_batch_size" in b]
    assert sum(valid) == 3 and sizes == [11, 11]


def test_unet_without_a_possible_split_calibrates_on_its_training_windows():
    rng = np.random.default_rng(0)
    X = rng.random((4, 2, 8, 8)).astype(np.float32)
    with pytest.warns(UserWarning, match="no validation sample"):
        unet = UNetNowcaster(
            depth=1,
            base_channels=2,
            max_epochs=1,
            validation_fraction=0.2,
            ensemble_cv=None,
            random_state=0,
        ).fit(X, X[:, -1:])
    assert unet.validation_fraction_ == 0.0
    assert unet.ensemble_noise_["calibration"] == "training windows"


def test_forecaster_history_and_module_properties():
    rng = np.random.default_rng(0)
    X = rng.random((6, 3, 5, 5))
    est = ConvLSTMForecaster(hidden_channels=2, n_layers=1, max_epochs=1)
    with pytest.raises(NotFittedError):
        est.module_
    est.fit(X, X[:, -1:])
    assert len(est.history_) == 1
    assert isinstance(est.module_, torch.nn.Module)


def test_accelerator_must_be_an_accelerator():
    est = tiny_conv1d(accelerator="cuda")
    with pytest.raises(TypeError, match=r"accelerate\.Accelerator"):
        est.fit(*toy_sequences())
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


# ---------------------------------------- compile= and precision= (issue 19)
needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"
)


def test_precision_bf16_is_refused_on_cpu_with_a_clear_message():
    X, y = toy_sequences()
    est = tiny_conv1d(precision="bf16")
    with pytest.raises(ValueError, match=r"precision='bf16'.*CUDA.*'cpu'"):
        est.fit(X, y)
    assert not hasattr(est, "net_")  # refused before any network is built
    with pytest.raises(ValueError, match="precision"):
        tiny_conv1d(precision="fp16").fit(X, y)


def test_cuda_index_and_bf16_units_are_checked_before_training(monkeypatch):
    # what a machine with one pre-Ampere GPU answers (no GPU here)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("cuda:0") == "cuda:0"
    with pytest.raises(
        ValueError, match=r"'cuda:3'.* 1 CUDA device\(s\), cuda:0 to cuda:0"
    ):
        resolve_device("cuda:3")
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device: (7, 0))
    est = tiny_conv1d(precision="bf16")
    with pytest.raises(ValueError, match=r"bf16 tensor cores .* 'cuda:0' has 7\.0"):
        est._check_precision("cuda:0")


def test_precision_bf16_with_accelerator_is_refused():
    accelerate = pytest.importorskip("accelerate")
    X, y = toy_sequences()
    est = tiny_conv1d(precision="bf16", accelerator=accelerate.Accelerator(cpu=True))
    with pytest.raises(ValueError, match="mixed_precision"):
        est.fit(X, y)


def test_fp32_net_has_no_autocast_and_no_pinned_memory_on_cpu():
    X, y = toy_sequences()
    est = tiny_conv1d().fit(X, y)
    assert est.net_.autocast_dtype is None
    assert "iterator_train__pin_memory" not in est.net_.get_params()


def test_compile_is_passed_to_skorch_and_predicts_like_eager():
    """compile=True compiles the module (skorch's compile); with dynamo's
    eager backend (no code generation: fast) the numbers are unchanged."""
    X, y = toy_sequences()
    eager = tiny_conv1d().fit(X, y)
    compiled = tiny_conv1d(compile=True, compile__backend="eager").fit(X, y)
    assert compiled.net_.compile is True
    assert type(compiled.module_).__name__ == "OptimizedModule"
    np.testing.assert_allclose(
        compiled.predict_proba(X), eager.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    restored = pickle.loads(pickle.dumps(compiled))
    np.testing.assert_array_equal(restored.predict(X), compiled.predict(X))


def test_unknown_compile_argument_is_refused():
    X, y = toy_sequences()
    with pytest.raises(ValueError, match=r"compile__bogus.*torch\.compile"):
        tiny_conv1d(compile=True, compile__bogus=1).fit(X, y)


def _has_cxx_compiler() -> bool:
    import shutil

    return any(shutil.which(name) for name in ("g++", "c++", "clang++"))


@pytest.mark.slow
@pytest.mark.skipif(
    not _has_cxx_compiler(), reason="torch.compile (inductor) needs a C++ compiler"
)
def test_compile_with_inductor_on_cpu():
    """The compiled network predicts like the same weights run eagerly (its
    training differs within rounding and dropout draws, so fits are not
    compared)."""
    X, y = toy_sequences(n=8, T=8)
    compiled = tiny_conv1d(max_epochs=1, compile=True).fit(X, y)
    assert type(compiled.module_).__name__ == "OptimizedModule"
    proba = compiled.predict_proba(X)
    compiled.net_.module_ = compiled.module_._orig_mod  # the eager network
    np.testing.assert_allclose(proba, compiled.predict_proba(X), rtol=1e-5, atol=1e-6)


@needs_cuda
def test_bf16_on_cuda_trains_float32_weights_and_predicts_float32():
    X, y = toy_sequences()
    est = tiny_conv1d(device="cuda", precision="bf16").fit(X, y)
    assert est.net_.autocast_dtype is torch.bfloat16
    assert all(p.dtype == torch.float32 for p in est.module_.parameters())
    proba = est.predict_proba(X)
    assert proba.dtype == np.float32 and np.isfinite(proba).all()
    fp32 = tiny_conv1d(device="cuda").fit(X, y)
    np.testing.assert_allclose(proba, fp32.predict_proba(X), atol=0.05)


@needs_cuda
def test_cuda_fit_pins_memory_unless_told_otherwise():
    X, y = toy_sequences()
    assert tiny_conv1d(device="cuda").fit(X, y).net_.iterator_train__pin_memory is True
    est = tiny_conv1d(device="cuda", iterator_train__pin_memory=False).fit(X, y)
    assert est.net_.iterator_train__pin_memory is False


@needs_cuda
def test_nowcaster_bf16_on_cuda_matches_fp32_roughly():
    from skseq import UNetNowcaster
    from skseq.datasets import make_radar_sequences
    from skseq.preprocessing import sliding_windows

    frames = make_radar_sequences(n_frames=16, height=32, width=32, random_state=0)
    X, y = sliding_windows(frames, n_input=4, n_output=2)
    params = {"depth": 2, "base_channels": 4, "max_epochs": 2, "random_state": 0}
    bf16 = UNetNowcaster(device="cuda", precision="bf16", **params).fit(X, y)
    fp32 = UNetNowcaster(device="cuda", **params).fit(X, y)
    pred = bf16.predict(X)
    assert pred.dtype == np.float32 and np.isfinite(pred).all()
    scale = np.abs(fp32.predict(X)).max()
    np.testing.assert_allclose(pred, fp32.predict(X), atol=0.1 * scale)


def test_predict_runs_in_inference_mode():
    X, y = toy_sequences()
    est = tiny_conv1d().fit(X, y)
    seen = []
    est.module_.register_forward_pre_hook(
        lambda module, args: seen.append(torch.is_inference_mode_enabled())
    )
    est.predict_proba(X)
    assert seen and all(seen)


def test_dataloader_workers_start_inside_joblib_workers():
    # GridSearchCV(n_jobs=2) fits in loky workers, whose default
    # multiprocessing context torch's DataLoader cannot start workers from
    from sklearn.model_selection import GridSearchCV

    from skseq.estimators._base import DATALOADER_START_METHOD

    X, y = toy_sequences(n=24)
    clf = tiny_conv1d(max_epochs=1, iterator_train__num_workers=1)
    search = GridSearchCV(clf, {"kernel_size": [3, 5]}, cv=2, n_jobs=2)
    search.fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    net = search.best_estimator_.net_
    assert net.iterator_train__multiprocessing_context == DATALOADER_START_METHOD
    # a context the user sets is kept
    own = tiny_conv1d(
        max_epochs=1,
        iterator_train__num_workers=1,
        iterator_train__multiprocessing_context="spawn",
    ).fit(X, y)
    assert own.net_.iterator_train__multiprocessing_context == "spawn"


def test_fits_seed_only_the_generators_they_restore(monkeypatch):
    # torch.manual_seed reseeds every GPU's generator, while a fit forks only
    # its own device's: a CPU fit on a GPU machine left them reseeded
    from skseq.estimators._base import seed_generators

    reseeded = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", reseeded.append)
    monkeypatch.setattr(torch.cuda, "manual_seed", reseeded.append)
    X, y = toy_sequences()
    tiny_conv1d(max_epochs=1).fit(X, y)
    assert reseeded == []
    # an accelerator's Apple GPU keeps being seeded (as torch.manual_seed did)
    mps = []
    monkeypatch.setattr(torch.mps, "manual_seed", mps.append)
    seed_generators(5, "mps")
    assert mps == [5] and reseeded == []
    # the CPU generator is seeded as torch.manual_seed seeds it
    seed_generators(7, "cpu")
    mine = torch.random.get_rng_state()
    torch.manual_seed(7)
    assert torch.equal(torch.random.get_rng_state(), mine)


def test_gpu_fitted_pickle_predicts_on_a_cpu_without_pin_memory_warnings():
    import pickle
    import warnings

    X, y = toy_sequences()
    clf = tiny_conv1d(max_epochs=1).fit(X, y)
    expected = clf.predict_proba(X)
    for key in ("iterator_train__pin_memory", "iterator_valid__pin_memory"):
        setattr(clf.net_, key, True)  # as a fit on a CUDA device sets them
    loaded = pickle.loads(pickle.dumps(clf))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warned at every prediction
        np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert not loaded.net_.iterator_valid__pin_memory
    # a user's own choice is kept
    own = tiny_conv1d(max_epochs=1, iterator_valid__pin_memory=True).fit(X, y)
    assert pickle.loads(pickle.dumps(own)).net_.iterator_valid__pin_memory


def test_a_pickle_takes_the_loading_platforms_dataloader_start_method(monkeypatch):
    # skseq set the fitting platform's start method ("fork" on Linux) for
    # DataLoader workers and pickled it: on Windows, which cannot fork,
    # predict then raised "multiprocessing_context option should specify a
    # valid start method in ['spawn'], but got ... 'fork'"
    import pickle

    from skseq.estimators import _base

    X, y = toy_sequences()
    chosen = tiny_conv1d(max_epochs=1, iterator_valid__num_workers=1).fit(X, y)
    own = tiny_conv1d(
        max_epochs=1,
        iterator_valid__num_workers=1,
        iterator_valid__multiprocessing_context="forkserver",
    ).fit(X, y)
    fitted_with = chosen.net_.iterator_valid__multiprocessing_context
    assert fitted_with == _base.DATALOADER_START_METHOD
    elsewhere = "spawn" if fitted_with != "spawn" else "forkserver"
    monkeypatch.setattr(_base, "DATALOADER_START_METHOD", elsewhere)
    loaded = pickle.loads(pickle.dumps(chosen))
    assert loaded.net_.iterator_valid__multiprocessing_context == elsewhere
    # a user's own choice is kept
    loaded = pickle.loads(pickle.dumps(own))
    assert loaded.net_.iterator_valid__multiprocessing_context == "forkserver"


def test_deterministic_predictions_leave_torchs_rng_alone(monkeypatch):
    # predictions forked torch's process-wide RNG and restored it afterwards:
    # a fit running in another thread meanwhile (a model retrained beside the
    # one served) drew the same random numbers again, and its weights
    # differed from run to run
    X, y = toy_sequences()
    clf = tiny_conv1d(max_epochs=1).fit(X, y)
    rng = np.random.default_rng(0)
    frames = rng.gamma(0.5, 2.0, (8, 5, 16, 16)).astype(np.float32)
    unet = UNetNowcaster(
        depth=1, base_channels=2, max_epochs=1, ensemble_cv=None, random_state=0
    ).fit(frames[:, :3], frames[:, 3:])
    convlstm = ConvLSTMForecaster(**ConvLSTMForecaster._get_test_params()[0])
    convlstm.fit(frames[:, :3], frames[:, 3:])
    expected = clf.predict_proba(X), unet.predict(frames[:, :3])

    def refused(*args, **kwargs):
        raise AssertionError("a deterministic prediction forked torch's RNG")

    state = torch.get_rng_state()
    with monkeypatch.context() as patch:
        patch.setattr(torch.random, "fork_rng", refused)
        np.testing.assert_array_equal(clf.predict_proba(X), expected[0])
        np.testing.assert_array_equal(unet.predict(frames[:, :3]), expected[1])
        convlstm.predict(frames[:, :3])
        unet.predict_ensemble(frames[:, :3], 3, random_state=0)  # error draws
    assert torch.equal(torch.get_rng_state(), state)
    assert "iterator_valid__generator" not in clf.net_.__dict__


def test_only_rounding_noise_counts_as_a_constant_channel():
    # spreads below 1.2e-7 counted as constant for any level below 1, so data
    # in small units (teslas, metres per second) were left unscaled
    spread = np.array([1e-9, 0.0, 1e-9, 5e-8, 2.0])
    level = np.array([0.0, 3e-9, 1e3, 2e-9, 1e6])
    np.testing.assert_array_equal(
        nonzero_scale(spread.copy(), level), [1e-9, 1.0, 1.0, 5e-8, 2.0]
    )


def test_data_in_small_units_give_the_same_forecasts_and_classes():
    # measured before: at 1e-8 the ConvLSTM's forecasts were about 1e7 times
    # too large and the classifiers at chance (one class for everything)
    from skseq.utils.estimator_checks import make_test_data

    params = ConvLSTMForecaster._get_test_params()[0]
    X, y = make_test_data(ConvLSTMForecaster(**params), n_samples=16)
    unit = ConvLSTMForecaster(**params).fit(X, y).predict(X)
    small = ConvLSTMForecaster(**params).fit(X * 1e-8, y * 1e-8).predict(X * 1e-8)
    np.testing.assert_allclose(small, unit * 1e-8, rtol=1e-3)
    X, y = toy_sequences()
    clf = tiny_conv1d().fit(X, y)
    tiny = tiny_conv1d().fit(X * 1e-8, y)
    np.testing.assert_allclose(tiny.input_scale_, clf.input_scale_ * 1e-8, rtol=1e-5)
    # the same network up to float32 rounding of the scaled inputs
    np.testing.assert_allclose(
        tiny.predict_proba(X * 1e-8), clf.predict_proba(X), atol=5e-3
    )


def test_a_callback_class_replaces_the_default_as_an_instance_does():
    # skorch instantiates a callback given as a class; such classes ran
    # beside the estimator's own (two schedulers compounding their factors)
    X, y = toy_sequences()
    names = dict(tiny_conv1d(callbacks=[LRScheduler]).fit(X, y).net_.callbacks_)
    assert "lr_schedule" not in names and "LRScheduler" in names
    names = dict(
        tiny_conv1d(callbacks=[("sched", LRScheduler)]).fit(X, y).net_.callbacks_
    )
    assert "lr_schedule" not in names


def test_a_continued_fit_checks_its_parameters_together_before_training():
    # a continued fit skipped the check: lr_schedule="step" without
    # lr_step_size failed inside torch's StepLR with a TypeError
    from skseq import KeypointLSTMClassifier

    X, y = toy_sequences()
    params = dict(KeypointLSTMClassifier._get_test_params()[0], max_epochs=1)
    clf = KeypointLSTMClassifier(**params).fit(X, y)
    clf.set_params(warm_start=True, lr_schedule="step", lr_step_size=None)
    with pytest.raises(ValueError, match="lr_step_size"):
        clf.fit(X, y)
    assert len(clf.history_) == 1  # left as it was


def test_a_fit_without_a_training_batch_is_refused():
    # skorch's drop_last with fewer samples than a batch trained nothing and
    # returned the initial network as fitted
    X, y = toy_sequences(n=24, T=16)
    est = tiny_conv1d(batch_size=64, iterator_train__drop_last=True)
    with pytest.raises(ValueError, match="drops every training batch: 24 training"):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    # enough samples for one batch: it trains
    est.set_params(batch_size=16).fit(X, y)
    assert "train_loss" in est.history_[-1]


def test_a_users_lr_scheduler_resumes_in_a_continued_fit():
    # the continued fit reset the optimizer's lr to ``lr``, so a user's
    # StepLR jumped back up instead of resuming (skorch's rule, documented)
    X, y = toy_sequences(n=24, T=16)
    est = tiny_conv1d(
        warm_start=True,
        max_epochs=3,
        lr=1e-2,
        callbacks=[LRScheduler(policy="StepLR", step_size=1, gamma=0.5)],
    )
    est.fit(X, y).fit(X, y)
    rates = [epoch["event_lr"] for epoch in est.history_]
    assert len(rates) == 6 and rates[0] == 1e-2
    assert all(b < a for a, b in itertools.pairwise(rates))
    # skseq's own schedule runs anew from lr in a continued fit
    own = tiny_conv1d(warm_start=True, max_epochs=3, lr=1e-2).fit(X, y).fit(X, y)
    assert own.history_[3]["event_lr"] == 1e-2


def test_set_params_of_a_named_callback():
    from sklearn.model_selection import GridSearchCV
    from skorch.callbacks import EarlyStopping

    # callbacks__<name>__<param>, as skorch's nets take it, was an
    # AttributeError from inside scikit-learn's set_params
    stopping = EarlyStopping(monitor="train_loss", patience=1)
    schedule = LRScheduler(policy="StepLR", step_size=1)
    est = tiny_conv1d(callbacks=[("stop", stopping), schedule])
    est.set_params(callbacks__stop__patience=5, callbacks__LRScheduler__step_size=3)
    assert est.callbacks[0][0] == "stop" and est.callbacks[0][1].patience == 5
    assert est.callbacks[1].step_size == 3
    assert stopping.patience == 1 and schedule.step_size == 1  # copies were set
    X, y = toy_sequences(n=24, T=16)
    search = GridSearchCV(est, {"callbacks__stop__patience": [2, 3]}, cv=2).fit(X, y)
    assert search.best_estimator_.callbacks[0][1].patience in (2, 3)
    for key in ("callbacks__nope__patience", "callbacks__stop"):
        with pytest.raises(
            ValueError, match="they are named \\['stop', 'LRScheduler'\\]"
        ):
            est.set_params(**{key: 1})
    # two unnamed callbacks of one class: which one is ambiguous
    twice = tiny_conv1d(callbacks=[EarlyStopping(), EarlyStopping(patience=3)])
    with pytest.raises(ValueError, match="2 callbacks are named 'EarlyStopping'"):
        twice.set_params(callbacks__EarlyStopping__patience=4)
    with pytest.raises(ValueError, match="holds the class EarlyStopping"):
        tiny_conv1d(callbacks=[EarlyStopping]).set_params(
            callbacks__EarlyStopping__patience=2
        )


def test_a_callback_that_cannot_be_copied_is_named():
    import threading

    class Locked(Callback):
        def __init__(self):
            self.lock = threading.Lock()

    X, y = toy_sequences(n=24, T=16)
    est = tiny_conv1d(callbacks=[("guarded", Locked())])
    with pytest.raises(TypeError, match="but guarded cannot be copied"):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
