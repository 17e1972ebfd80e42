"""Residual 1D convolutions for multichannel sensor sequences (seed 004a)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from skseq.modules.layers import (
    BatchNorm1dAnyBatch,
    RandomRoll,
    SpatialDropout1d,
    get_activation,
)

__all__ = ["Conv1DActivityNet", "ResidualConv1dBlock"]


class ResidualConv1dBlock(nn.Module):
    """Three same-padded convolutions with an additive skip, then pooling.

    ``a = act(bn(conv1(x)))``, ``b = act(bn(conv2(a)))``,
    ``out = act(bn(conv3(b)) + a)``, followed by max pooling (halving the time
    axis) and spatial dropout, as in the seed-004 activity model.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int, default=9
    activation : str, default="elu"
    dropout : float, default=0.0
        Whole-channel dropout after pooling.

    Shape
    -----
    - Input: ``(N, in_channels, T)`` and optionally a mask ``(N, 1, T)`` of
      valid timesteps; output: ``(N, out_channels, T // 2)`` (and the pooled
      mask).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 9,
        activation: str = "elu",
        dropout: float = 0.0,
    ):
        super().__init__()

        def conv_bn(cin: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv1d(cin, out_channels, kernel_size, padding="same", bias=False),
                nn.BatchNorm1d(out_channels),
            )

        self.conv1 = conv_bn(in_channels)
        self.conv2 = conv_bn(out_channels)
        self.conv3 = conv_bn(out_channels)
        self.act1 = get_activation(activation)
        self.act2 = get_activation(activation)
        self.act3 = get_activation(activation)
        self.pool = nn.MaxPool1d(2)
        self.dropout = SpatialDropout1d(dropout)

    def forward(self, x: Tensor, mask: Tensor | None = None):
        if mask is None:
            first = self.act1(self.conv1(x))
            second = self.act2(self.conv2(first))
            out = self.act3(self.conv3(second) + first)
            return self.dropout(self.pool(out))
        # Padded steps are zeroed after every convolution, so each convolution
        # sees what a same-padded convolution sees at the end of the sequence.
        first = self.act1(self.conv1(x)) * mask
        second = self.act2(self.conv2(first)) * mask
        out = self.act3(self.conv3(second) + first)
        # a pooled step is valid if either of its two steps is; padded steps
        # never win the max
        pooled = self.pool(out.masked_fill(mask == 0, float("-inf")))
        mask = self.pool(mask)
        return self.dropout(torch.nan_to_num(pooled, neginf=0.0) * mask), mask


class Conv1DActivityNet(nn.Module):
    """Residual Conv1D classifier of ``(N, T, C)`` sequences.

    Optional random roll (training only) -> residual blocks -> global average
    pooling over time -> Linear -> BatchNorm -> activation -> Dropout ->
    Linear. Returns logits.

    Variable-length input: rows that are entirely NaN are padding (pad
    shorter sequences at the end). Padding is masked: it is zeroed after each
    convolution, never wins a max pooling and is left out of the global
    average, so in evaluation mode the amount of padding never changes a
    prediction. Sequences shorter than ``2 ** len(channels)`` (too short for
    the pooling) are padded the same way inside the network.

    Parameters
    ----------
    n_channels : int
        Input channels ``C``.
    n_classes : int
    channels : tuple of int, default=(32, 64, 64)
        Output channels of each block (one block per entry).
    kernel_size : int, default=9
    activation : str, default="elu"
    dropout : float, default=0.1
        Spatial dropout after each block.
    head_units : int, default=64
    head_dropout : float, default=0.3
    roll_augment : bool, default=False
        Randomly roll each training sequence in time.
    max_roll : int or None, default=None
        Largest roll; None allows any.

    Shape
    -----
    - Input: ``(N, T, C)``, any ``T >= 1``; NaN rows are padding.
    - Output: ``(N, n_classes)`` logits.
    """

    def __init__(
        self,
        n_channels: int,
        n_classes: int,
        channels: tuple[int, ...] = (32, 64, 64),
        kernel_size: int = 9,
        activation: str = "elu",
        dropout: float = 0.1,
        head_units: int = 64,
        head_dropout: float = 0.3,
        roll_augment: bool = False,
        max_roll: int | None = None,
    ):
        super().__init__()
        if len(channels) < 1:
            raise ValueError("channels needs at least one block.")
        self.roll = RandomRoll(max_roll, dim=1) if roll_augment else nn.Identity()
        blocks = []
        cin = n_channels
        for cout in channels:
            blocks.append(
                ResidualConv1dBlock(cin, cout, kernel_size, activation, dropout)
            )
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Linear(cin, head_units),
            BatchNorm1dAnyBatch(head_units),
            get_activation(activation),
            nn.Dropout(head_dropout),
            nn.Linear(head_units, n_classes),
        )
        self.min_timesteps = 2 ** len(channels)

    def forward(self, x: Tensor) -> Tensor:
        x = self.roll(x)
        short = self.min_timesteps - x.shape[1]
        if short > 0:
            x = F.pad(x, (0, 0, 0, short), value=float("nan"))
        valid = ~torch.isnan(x).all(dim=2, keepdim=True)  # (N, T, 1)
        h = torch.nan_to_num(x, nan=0.0).transpose(1, 2)  # (N, C, T)
        # torch.export (ONNX) cannot branch on data: an exported graph always
        # takes the masked path, which equals the unmasked one up to rounding
        # when nothing is padded, so the graph also handles NaN padding.
        if not torch.compiler.is_exporting() and bool(valid.all()):
            return self.head(self.blocks(h).mean(dim=2))
        mask = valid.transpose(1, 2).to(h.dtype)  # (N, 1, T)
        for block in self.blocks:
            h, mask = block(h, mask)
        pooled = (h * mask).sum(dim=2) / mask.sum(dim=2).clamp(min=1.0)
        return self.head(pooled)
