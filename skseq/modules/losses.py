"""Loss functions (pure PyTorch)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ClassWeightedCrossEntropyLoss", "LogCoshL1Loss", "LogCoshLoss"]


class ClassWeightedCrossEntropyLoss(nn.CrossEntropyLoss):
    """Cross-entropy with class weights that may be 0.

    :class:`torch.nn.CrossEntropyLoss` with ``weight`` averages a batch as
    ``sum(w[y] * loss) / sum(w[y])``, which is 0 / 0 = NaN for a batch
    whose samples all belong to classes of weight 0 (a class a user weighs
    0 to leave it out, as scikit-learn allows). Such a batch gives a loss of
    0 here, with no gradient; every other batch the same loss as torch's,
    summed in the order of a per-sample weighted loss (``reduction="none"``
    then the sum), so that a fit with unit sample weights is the same fit.

    Parameters
    ----------
    weight : Tensor of shape (n_classes,)
        Weight of each class, >= 0.
    **kwargs
        The other arguments of :class:`torch.nn.CrossEntropyLoss`.
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Compute the loss.

        Parameters
        ----------
        input : Tensor of shape (N, n_classes)
            Logits.
        target : Tensor of shape (N,)
            Class indices.

        Returns
        -------
        loss : Tensor
            A scalar, or the ``(N,)`` per-sample losses with
            ``reduction="none"``.
        """
        if self.reduction != "mean" or self.weight is None:
            return super().forward(input, target)
        losses = F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction="none",
            label_smoothing=self.label_smoothing,
        )
        # targets of ignore_index have a loss of 0 and no weight to count
        counted = target[target != self.ignore_index]
        return weighted_class_mean(losses, self.weight, counted)


def weighted_class_mean(losses: Tensor, weight: Tensor, target: Tensor) -> Tensor:
    """``sum(losses) / sum(weight[target])``, 0 where the weights sum to 0.

    Parameters
    ----------
    losses : Tensor of shape (N,)
        Per-sample losses, already multiplied by their class weight.
    weight : Tensor of shape (n_classes,)
        Weight of each class.
    target : Tensor of shape (N,)
        Class indices (of the samples that count).

    Returns
    -------
    loss : Tensor
        Scalar.
    """
    total = weight[target.to(weight.device)].sum()
    return losses.sum() / total.clamp(min=torch.finfo(total.dtype).tiny)


class LogCoshLoss(nn.Module):
    """Log-cosh regression loss, RainNet's training loss.

    ``log(cosh(d))`` with ``d = prediction - target`` behaves like ``d**2 / 2``
    for small errors and like ``|d| - log 2`` for large ones. It is computed
    as ``d + softplus(-2 d) - log 2``, which never overflows.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default="mean"
        How :meth:`forward` reduces the elementwise losses: to their mean,
        to their sum, or not at all.
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(
                f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}."
            )
        self.reduction = reduction

    def forward(self, prediction: Tensor, target: Tensor) -> Tensor:
        """Compute the loss of ``prediction`` against ``target``.

        Parameters
        ----------
        prediction : Tensor of any shape
            Predicted values.
        target : Tensor of the shape of ``prediction``
            True values.

        Returns
        -------
        loss : Tensor
            A scalar with ``reduction="mean"`` or ``"sum"``; the elementwise
            losses, of ``prediction``'s shape, with ``reduction="none"``.
        """
        diff = prediction - target
        loss = diff + F.softplus(-2.0 * diff) - math.log(2.0)
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss


class LogCoshL1Loss(nn.Module):
    """Log-cosh plus a share of the absolute error: ``(1 - w) logcosh(d) + w |d|``.

    Log-cosh is quadratic for small errors, so it pulls a prediction toward
    the mean; the absolute error has a kink at zero and pulls it toward the
    median, which keeps exact values exactly (for rain: dry pixels dry).
    Both grow like ``|d|`` for large errors.

    Parameters
    ----------
    l1_weight : float, default=0.25
        ``w`` in ``[0, 1]``: 0 is :class:`LogCoshLoss`, 1 the absolute error.
    reduction : {"mean", "sum", "none"}, default="mean"
        How :meth:`forward` reduces the elementwise losses: to their mean,
        to their sum, or not at all.
    """

    def __init__(self, l1_weight: float = 0.25, reduction: str = "mean"):
        super().__init__()
        if not 0.0 <= l1_weight <= 1.0:
            raise ValueError(f"l1_weight must be in [0, 1]; got {l1_weight!r}.")
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(
                f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}."
            )
        self.logcosh = LogCoshLoss(reduction="none")
        self.l1_weight = l1_weight
        self.reduction = reduction

    def forward(self, prediction: Tensor, target: Tensor) -> Tensor:
        """Compute the loss of ``prediction`` against ``target``.

        Parameters
        ----------
        prediction : Tensor of any shape
            Predicted values.
        target : Tensor of the shape of ``prediction``
            True values.

        Returns
        -------
        loss : Tensor
            A scalar with ``reduction="mean"`` or ``"sum"``; the elementwise
            losses, of ``prediction``'s shape, with ``reduction="none"``.
        """
        w = self.l1_weight
        loss = (1.0 - w) * self.logcosh(prediction, target) + w * (
            prediction - target
        ).abs()
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss
