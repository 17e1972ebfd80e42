"""Tests of skseq.estimators._callbacks (the callbacks every fit trains with)."""

import numpy as np
import torch
from skorch.callbacks import Callback

from skseq import Conv1DActivityClassifier
from skseq.estimators._base import _silent
from skseq.estimators._callbacks import RollbackOnDivergence, WarmEarlyStopping


def _fit(max_epochs, callbacks=None):
    """A small Conv1D classifier trained ``max_epochs`` at a constant lr 0.01."""
    rng = np.random.default_rng(0)
    y = np.arange(20) % 2
    X = rng.normal(size=(20, 16, 2)) + y[:, None, None]
    est = Conv1DActivityClassifier(
        channels=(4,),
        kernel_size=3,
        head_units=4,
        lr=0.01,
        lr_schedule=None,
        max_epochs=max_epochs,
        validation_fraction=None,
        callbacks=callbacks,
        random_state=0,
    )
    return est.fit(X, y)


class _Sabotage(Callback):
    """Throws the weights far off at the start of epoch ``epoch`` (1-based)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                for p in net.module_.parameters():
                    p.mul_(50.0)


def _sabotaged_fit(max_epochs, rollback=None):
    """A fit whose weights are thrown off at the start of epoch 3, rolled
    back by ``rollback`` (a ``RollbackOnDivergence``) unless None."""
    callbacks = [("sabotage", _Sabotage(epoch=3))]
    if rollback is not None:
        callbacks.append(("rollback", rollback))
    return _fit(max_epochs, callbacks)


def test_rollback_on_divergence_restores_the_best_epoch_and_lowers_lr():
    est = _sabotaged_fit(5, RollbackOnDivergence(sink=_silent))
    losses = est.history_[:, "train_loss"]
    assert losses[2] > 1.25 * min(losses[:2])  # the sabotaged epoch
    assert [("rollback" in row) for row in est.history_] == [0, 0, 1, 0, 0]
    assert est.history_[2, "rollback"] == min(losses[:2])
    assert max(losses[3:]) <= 1.25 * min(losses[:2])  # training went on
    lrs = [group["lr"] for group in est.net_.optimizer_.param_groups]
    np.testing.assert_allclose(lrs, [0.005])
    # the snapshots are dropped: the fitted estimator does not carry them
    assert dict(est.net_.callbacks_)["rollback"].best_state_ is None


def test_rollback_at_train_end_when_no_rollback_is_left():
    sabotaged = _sabotaged_fit(3, RollbackOnDivergence(max_rollbacks=0, sink=_silent))
    assert "rollback" not in sabotaged.history_[-1]
    # the weights of the best epoch (one of the first two) are restored
    best = int(np.argmin(sabotaged.history_[:, "train_loss"]))
    assert best < 2
    at_best = _fit(best + 1)
    for pa, pb in zip(sabotaged.module_.parameters(), at_best.module_.parameters()):
        torch.testing.assert_close(pa, pb)


def test_rollback_tolerance_none_keeps_the_last_weights():
    rollback = RollbackOnDivergence(max_rollbacks=0, tolerance=None, sink=_silent)
    kept = _sabotaged_fit(3, rollback)
    plain = _sabotaged_fit(3)
    for pa, pb in zip(kept.module_.parameters(), plain.module_.parameters()):
        torch.testing.assert_close(pa, pb)


def test_rollback_reports_through_its_sink():
    messages = []
    _sabotaged_fit(4, RollbackOnDivergence(sink=messages.append))
    assert len(messages) == 1 and "rolled back" in messages[0]


def test_non_finite_loss_error_is_public_and_still_in_base():
    from skseq.estimators import NonFiniteLossError, _base

    # pickles made before the callbacks moved out of _base name them there
    assert _base.NonFiniteLossError is NonFiniteLossError
    assert _base.StopOnNonFiniteLoss.__module__ == "skseq.estimators._callbacks"
    assert issubclass(NonFiniteLossError, ValueError)
    assert issubclass(NonFiniteLossError, FloatingPointError)


class _ScriptedLoss(Callback):
    """Writes ``losses[epoch - 1]`` as the epoch's ``scripted_loss`` (1-based)."""

    def __init__(self, losses):
        self.losses = losses

    def on_epoch_end(self, net, **kwargs):
        net.history.record("scripted_loss", self.losses[len(net.history) - 1])


def _stopping_fit(losses, start_from_epoch):
    stopping = WarmEarlyStopping(
        monitor="scripted_loss",
        patience=3,
        load_best=True,
        start_from_epoch=start_from_epoch,
        sink=_silent,
    )
    callbacks = [("scripted", _ScriptedLoss(losses)), ("stop", stopping)]
    est = _fit(len(losses), callbacks)  # fits a deep copy of the callbacks
    return est, dict(est.net_.callbacks_)["stop"]


# the loss of epoch 1 is lowest until epoch 6, as on small data whose
# BatchNorm statistics are still mostly their initial values
_RISING_THEN_FALLING = [0.7, 0.8, 0.9, 1.0, 0.9, 0.6, 0.4, 0.3, 0.2, 0.1]


def test_warm_early_stopping_ignores_the_first_epochs():
    est, stopping = _stopping_fit(_RISING_THEN_FALLING, start_from_epoch=3)
    assert len(est.history_) == 10  # never stopped: epochs 4-10 mostly improve
    assert stopping.best_epoch_ == 10
    # epochs 1-3 were not watched: epoch 5 was the best one watched, and
    # three misses after it stopped the fit at epoch 8 of 10
    losses = [0.1, 0.1, 0.1, 1.0, 0.9, 1.0, 1.0, 1.0, 0.05, 0.05]
    est, stopping = _stopping_fit(losses, start_from_epoch=3)
    assert len(est.history_) == 8 and stopping.best_epoch_ == 5


def test_warm_early_stopping_without_warm_up_is_skorchs():
    est, stopping = _stopping_fit(_RISING_THEN_FALLING, start_from_epoch=0)
    assert len(est.history_) == 4  # epoch 1 stayed best for 3 more epochs
    assert stopping.best_epoch_ == 1


def test_warm_early_stopping_warms_up_at_every_fit():
    # a continued fit (warm start) counted the warm-up over the whole
    # history, so it had none: its first epochs could stop it at once
    losses = _RISING_THEN_FALLING * 2  # the second fit's losses rise again
    est, stopping = _stopping_fit(losses[:10], start_from_epoch=3)
    est.set_params(warm_start=True)
    est.set_params(
        callbacks=[
            ("scripted", _ScriptedLoss(losses)),
            (
                "stop",
                WarmEarlyStopping(
                    monitor="scripted_loss",
                    patience=3,
                    load_best=True,
                    start_from_epoch=3,
                    sink=_silent,
                ),
            ),
        ]
    )
    rng = np.random.default_rng(0)  # the data of _fit
    y = np.arange(20) % 2
    est.fit(rng.normal(size=(20, 16, 2)) + y[:, None, None], y)
    stopping = dict(est.net_.callbacks_)["stop"]
    # epochs 11-13 unwatched: 14 is the first watched, 20 the best
    assert len(est.history_) == 20 and stopping.best_epoch_ == 20
