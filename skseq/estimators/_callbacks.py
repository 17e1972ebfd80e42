"""skorch callbacks every skseq deep estimator trains with.

* :class:`StopOnNonFiniteLoss` stops a fit whose loss becomes NaN or
  infinite with a :class:`NonFiniteLossError`,
* :class:`RollbackOnDivergence` returns to the best epoch when the training
  loss jumps (the U-Net's fits; any estimator takes it as a callback),
* :class:`FitLRScheduler` is skorch's learning-rate scheduler, let go of
  when training ends so that fitted estimators stay picklable,
* :class:`WarmEarlyStopping` is skorch's early stopping, which starts to
  watch the monitored score after a warm-up (``patience="auto"``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from skorch.callbacks import Callback, EarlyStopping, LRScheduler

if TYPE_CHECKING:  # annotations only
    from skorch import NeuralNet
    from typing_extensions import Self

__all__ = [
    "FitLRScheduler",
    "NonFiniteLossError",
    "RollbackOnDivergence",
    "StopOnNonFiniteLoss",
    "WarmEarlyStopping",
]


class NonFiniteLossError(ValueError, FloatingPointError):
    """Raised when the training loss becomes NaN or infinite.

    A ``ValueError`` (bad data or hyperparameters are the usual cause) and a
    ``FloatingPointError``.
    """


class StopOnNonFiniteLoss(Callback):
    """skorch callback raising :class:`NonFiniteLossError` on a NaN/inf loss.

    Diverging training must never return a silently broken model: the
    estimator catches nothing here, so ``fit`` fails and the estimator is
    reset to its unfitted state.
    """

    def on_batch_end(
        self,
        net: NeuralNet,
        batch: Any = None,
        training: bool | None = None,
        **kwargs: Any,
    ) -> None:
        loss = net.history[-1, "batches", -1].get(
            "train_loss" if training else "valid_loss"
        )
        if loss is not None and not np.isfinite(loss):
            raise NonFiniteLossError(
                f"The {'training' if training else 'validation'} loss became {loss} "
                f"in epoch {len(net.history)}. Training diverged: lower `lr`, scale "
                "the input (e.g. skseq.preprocessing.LogTransformer or a "
                "StandardScaler), or check the data for extreme values."
            )


class RollbackOnDivergence(Callback):
    """Training callback: back to the best epoch when the training loss jumps.

    At the end of every epoch the training loss is compared with the lowest
    one so far. When it exceeds ``factor`` times that, the network's weights
    and the optimizer's state (Adam's moments) are restored to what they
    were at the end of the best epoch, the learning rate of every parameter
    group is multiplied by ``lr_factor``, and training goes on; the epoch's
    ``history`` gets a ``"rollback"`` entry (the best loss returned to). A
    loss that jumps like this is a divergence (a gradient exploding through
    a recursion, an Adam step thrown far off by a rare batch), not the noise
    of training, and a network that diverged can stay stuck. After
    ``max_rollbacks`` rollbacks no more are made. When training ends on an
    epoch whose loss is more than ``tolerance`` above the best, the best
    epoch's weights are restored.

    Parameters
    ----------
    factor : float, default=1.25
        Roll back when an epoch's training loss is above ``factor`` times the
        lowest so far (> 1).
    lr_factor : float, default=0.5
        Multiplies the learning rate at each rollback (in (0, 1]).
    max_rollbacks : int, default=3
        Most rollbacks in one ``fit``.
    tolerance : float or None, default=0.02
        At the end of training, the best epoch's weights replace the last
        epoch's when its loss is above ``(1 + tolerance)`` times the best
        (``None``: never).
    sink : callable, default=print
        Where to report a rollback (``print``; a no-op to stay silent).

    See Also
    --------
    skseq.UNetNowcaster : Uses it in every fit.

    Examples
    --------
    Any skseq estimator takes it as an extra callback:

    >>> from skseq import ConvLSTMForecaster
    >>> from skseq.estimators import RollbackOnDivergence
    >>> forecaster = ConvLSTMForecaster(callbacks=[RollbackOnDivergence()])
    """

    def __init__(
        self,
        factor: float = 1.25,
        lr_factor: float = 0.5,
        max_rollbacks: int = 3,
        tolerance: float | None = 0.02,
        sink: Callable[[str], object] = print,
    ):
        self.factor = factor
        self.lr_factor = lr_factor
        self.max_rollbacks = max_rollbacks
        self.tolerance = tolerance
        self.sink = sink

    def initialize(self) -> Self:
        self.best_loss_ = np.inf
        self.best_state_: tuple[dict, dict] | None = None
        self.n_rollbacks_ = 0
        return self

    def on_train_begin(self, net: NeuralNet, **kwargs: Any) -> None:
        self.initialize()

    def on_epoch_end(self, net: NeuralNet, **kwargs: Any) -> None:
        loss = net.history[-1].get("train_loss")
        if loss is None or not np.isfinite(loss):
            return
        if loss < self.best_loss_:
            self.best_loss_ = loss
            self.best_state_ = (
                copy.deepcopy(net.module_.state_dict()),
                copy.deepcopy(net.optimizer_.state_dict()),
            )
            return
        if (
            loss <= self.factor * self.best_loss_
            or self.n_rollbacks_ >= self.max_rollbacks
        ):
            return
        # a finite best loss was recorded together with its state
        assert self.best_state_ is not None
        module_state, optimizer_state = self.best_state_
        lrs = [group["lr"] for group in net.optimizer_.param_groups]
        net.module_.load_state_dict(module_state)
        net.optimizer_.load_state_dict(optimizer_state)
        for group, lr in zip(net.optimizer_.param_groups, lrs, strict=True):
            group["lr"] = lr * self.lr_factor
        self.n_rollbacks_ += 1
        net.history.record("rollback", float(self.best_loss_))
        self.sink(
            f"Epoch {len(net.history)}: training loss {loss:.4g} is above "
            f"{self.factor} x the best ({self.best_loss_:.4g}); rolled back to "
            f"the best epoch's weights, learning rate x {self.lr_factor}."
        )

    def on_train_end(self, net: NeuralNet, **kwargs: Any) -> None:
        loss = net.history[-1].get("train_loss") if len(net.history) else None
        if (
            self.tolerance is not None
            and loss is not None
            and self.best_state_ is not None
            and not loss <= (1 + self.tolerance) * self.best_loss_
        ):
            net.module_.load_state_dict(self.best_state_[0])
            self.sink(
                f"Training ended at a loss of {loss:.4g}, above the best "
                f"({self.best_loss_:.4g}): restored the best epoch's weights."
            )
        # the snapshots are not part of the fitted estimator (nor its pickle)
        self.best_state_ = None


class FitLRScheduler(LRScheduler):
    """skorch's ``LRScheduler`` whose schedule runs anew in every fit.

    skorch builds a fresh torch scheduler at the start of every ``fit`` or
    ``partial_fit`` but resumes it at the epochs already in the history,
    from the learning rate the optimizer started with: a warm-started fit
    would then run the rest of the first fit's cosine period and climb past
    its end (to 40 times ``lr`` within ten epochs). Here each fit's schedule
    starts at its first epoch from the current ``lr``, as the estimators'
    ``warm_start`` documents.

    A torch scheduler also patches its optimizer's ``step`` with a wrapper,
    which does not pickle when the optimizer is an ``accelerate`` one;
    dropping the scheduler and undoing the patch when training ends keeps
    every fitted estimator picklable.
    """

    def _get_scheduler(self, net, policy, **scheduler_kwargs):
        for group in net.optimizer_.param_groups:  # torch keeps the first one
            group["initial_lr"] = group["lr"]
        scheduler_kwargs.setdefault("last_epoch", -1)
        return super()._get_scheduler(net, policy, **scheduler_kwargs)

    def on_train_end(self, net: NeuralNet, **kwargs: Any) -> None:
        scheduler = getattr(self, "lr_scheduler_", None)
        optimizer = getattr(scheduler, "optimizer", None)
        if optimizer is not None and getattr(
            vars(optimizer).get("step"), "_wrapped_by_lr_sched", False
        ):
            del optimizer.step  # back to the class's own method
        self.lr_scheduler_ = None


class WarmEarlyStopping(EarlyStopping):
    """Early stopping that ignores the first ``start_from_epoch`` epochs.

    skorch's ``EarlyStopping`` with the warm-up of Keras'
    ``EarlyStopping(start_from_epoch=...)``: the first epochs of a fit
    neither count as misses nor can be the best epoch restored at the end.
    On small data a network's validation loss first rises: BatchNorm's
    running statistics, which evaluation uses, start at 0 and 1 and follow
    the batches with a momentum of 0.1, so after the few optimizer steps of
    a few epochs of a few batches they are still mostly their initial
    values. Watched from the first epoch, the loss of epoch 1 is then the
    best for a while and a patience of a dozen epochs stops the fit there,
    restoring nearly untrained weights.

    Parameters
    ----------
    start_from_epoch : int, default=0
        Epochs of each fit not watched: the monitored score is read from the
        fit's epoch ``start_from_epoch + 1`` on (of a continued fit too,
        whose epochs follow the first fit's in ``net.history``).
    **kwargs
        The arguments of skorch's ``EarlyStopping`` (``monitor``,
        ``patience``, ``load_best``, ...).

    See Also
    --------
    skorch.callbacks.EarlyStopping : The same without warm-up.

    Examples
    --------
    >>> from skseq import Conv1DActivityClassifier
    >>> from skseq.estimators import WarmEarlyStopping
    >>> stopping = WarmEarlyStopping(patience=5, start_from_epoch=10, load_best=True)
    >>> clf = Conv1DActivityClassifier(
    ...     patience=None, validation_fraction=0.2, callbacks=[("stop", stopping)]
    ... )
    """

    def __init__(self, *, start_from_epoch: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, net: NeuralNet, **kwargs: Any) -> None:
        super().on_train_begin(net, **kwargs)
        # a continued fit (warm start) appends to the history: its warm-up
        # counts from its own first epoch
        self.epochs_before_ = len(net.history)

    def on_epoch_end(self, net: NeuralNet, **kwargs: Any) -> None:
        first_watched = self.epochs_before_ + self.start_from_epoch
        if net.history[-1, "epoch"] <= first_watched:
            return
        super().on_epoch_end(net, **kwargs)
