"""Loss functions (pure PyTorch)."""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["LogCoshLoss"]


class LogCoshLoss(nn.Module):
    """Log-cosh regression loss, RainNet's training loss.

    ``log(cosh(d))`` with ``d = prediction - target`` behaves like ``d**2 / 2``
    for small errors and like ``|d| - log 2`` for large ones. It is computed
    as ``d + softplus(-2 d) - log 2``, which never overflows.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, default="mean"

    Shape
    -----
    - Input and target: any identical shape. Output: scalar, or the input
      shape with ``reduction="none"``.
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(
                f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}."
            )
        self.reduction = reduction

    def forward(self, prediction: Tensor, target: Tensor) -> Tensor:
        diff = prediction - target
        loss = diff + F.softplus(-2.0 * diff) - math.log(2.0)
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss
