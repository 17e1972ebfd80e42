"""Residual 1D convolutions for multichannel sensor sequences."""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from skseq.modules.layers import (
    BatchNorm1dAnyBatch,
    RandomCrop,
    RandomRoll,
    SpatialDropout1d,
    get_activation,
    same_conv1d,
)

__all__ = ["Conv1DActivityNet", "Conv1DEncoder", "ResidualConv1dBlock"]


class ResidualConv1dBlock(nn.Module):
    """Three same-padded convolutions with an additive skip, then pooling.

    ``a = act(bn(conv1(x)))``, ``b = act(bn(conv2(a)))``,
    ``out = act(bn(conv3(b)) + a)``, followed by max pooling (halving the time
    axis) and spatial dropout, as in the seed-004 activity model.

    Parameters
    ----------
    in_channels : int
        Input channels.
    out_channels : int
        Output channels of each convolution.
    kernel_size : int, default=9
        Kernel of the three convolutions (odd or even).
    activation : str, default="elu"
        Activation by name (:func:`~skseq.modules.get_activation`).
    dropout : float, default=0.0
        Whole-channel dropout after pooling.
    valid_step_norm : bool, default=False
        In training, the batch norms take their statistics over the valid
        steps of a padded batch only, so that a fit does not depend on how
        far its sequences are padded; False takes them over every step,
        padding included. Prediction (the running statistics) is the same
        either way.
    """

    # False in blocks pickled by skseq <= 0.1 (see ``__init__``)
    valid_step_norm: bool = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 9,
        activation: str = "elu",
        dropout: float = 0.0,
        valid_step_norm: bool = False,
    ):
        super().__init__()
        self.valid_step_norm = valid_step_norm

        def conv_bn(cin: int) -> nn.Sequential:
            return nn.Sequential(
                same_conv1d(cin, out_channels, kernel_size, bias=False),
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

    def forward(
        self, x: Tensor, mask: Tensor | None = None
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Run the block.

        Parameters
        ----------
        x : Tensor of shape (N, in_channels, T)
            Input features; zero at padded steps.
        mask : Tensor of shape (N, 1, T) or None, default=None
            1 at valid steps, 0 at padding; None when nothing is padded.

        Returns
        -------
        out : Tensor of shape (N, out_channels, T // 2)
            The block's output (zero at padded steps).
        mask : Tensor of shape (N, 1, T // 2)
            Only when ``mask`` is given: the pooled mask, 1 where either of
            the two pooled steps is valid.
        """
        if mask is None:
            first = self.act1(self.conv1(x))
            second = self.act2(self.conv2(first))
            out = self.act3(self.conv3(second) + first)
            return self.dropout(self.pool(out))
        # Padded steps are zeroed after every convolution, so each convolution
        # sees what a same-padded convolution sees at the end of the sequence.
        if self.valid_step_norm:
            first = self.act1(_masked_conv_bn(self.conv1, x, mask)) * mask
            second = self.act2(_masked_conv_bn(self.conv2, first, mask)) * mask
            out = self.act3(_masked_conv_bn(self.conv3, second, mask) + first)
        else:
            first = self.act1(self.conv1(x)) * mask
            second = self.act2(self.conv2(first)) * mask
            out = self.act3(self.conv3(second) + first)
        # a pooled step is valid if either of its two steps is; padded steps
        # never win the max
        pooled = self.pool(out.masked_fill(mask == 0, float("-inf")))
        mask = self.pool(mask)
        return self.dropout(torch.nan_to_num(pooled, neginf=0.0) * mask), mask


def _masked_conv_bn(conv_bn: nn.Sequential, x: Tensor, mask: Tensor) -> Tensor:
    """``conv_bn(x)`` (a convolution, then ``BatchNorm1d``) whose batch
    statistics in training are those of the valid steps only.

    ``BatchNorm1d`` normalises by the mean and variance of every position of
    the batch: with padded steps among them, the statistics (and the
    running ones, used at prediction) depend on how much padding the
    training data have. At prediction, and for batches without padding, this
    is ``conv_bn(x)`` itself.

    Parameters
    ----------
    conv_bn : nn.Sequential
        ``(Conv1d, BatchNorm1d)``.
    x : Tensor of shape (N, C_in, T)
        Input; zero at padded steps.
    mask : Tensor of shape (N, 1, T)
        1 at valid steps, 0 at padding.

    Returns
    -------
    out : Tensor of shape (N, C_out, T)
        Normalised convolution (not zeroed at padded steps).
    """
    conv, bn = conv_bn[0], cast(nn.BatchNorm1d, conv_bn[1])
    if not bn.training or bool(mask.all()):
        return conv_bn(x)
    h = conv(x)
    n_valid = mask.sum()
    mean = (h * mask).sum(dim=(0, 2)) / n_valid
    centred = (h - mean[:, None]) * mask
    var = (centred * centred).sum(dim=(0, 2)) / n_valid  # biased, as torch's
    if bn.track_running_stats:
        running_mean = cast(Tensor, bn.running_mean)
        running_var = cast(Tensor, bn.running_var)
        tracked = cast(Tensor, bn.num_batches_tracked)
        with torch.no_grad():
            tracked.add_(1)
            # momentum None: torch's cumulative average
            momentum = bn.momentum if bn.momentum is not None else 1.0 / float(tracked)
            unbiased = var * n_valid / (n_valid - 1).clamp(min=1)
            running_mean.lerp_(mean.detach(), momentum)
            running_var.lerp_(unbiased.detach(), momentum)
    normalised = (h - mean[:, None]) / torch.sqrt(var[:, None] + bn.eps)
    return normalised * bn.weight[:, None] + bn.bias[:, None]


_POOLINGS = ("avg", "avgmax")


def _masked_downsample(x: Tensor, mask: Tensor, factor: int) -> tuple[Tensor, Tensor]:
    """Summarise every ``factor`` steps by their mean, maximum and minimum.

    Parameters
    ----------
    x : Tensor of shape (N, C, T)
        Padded steps hold zeros.
    mask : Tensor of shape (N, 1, T)
        1 for valid steps, 0 for padding.
    factor : int

    Returns
    -------
    summary : Tensor of shape (N, 3 * C, ceil(T / factor))
        Mean, maximum and minimum over the valid steps of each window (the
        extremes keep the short spikes a mean alone would blur).
    mask : Tensor of shape (N, 1, ceil(T / factor))
        1 where a window holds at least one valid step.
    """
    pad = -x.shape[2] % factor
    x = F.pad(x, (0, pad))
    mask = F.pad(mask, (0, pad))
    counts = F.avg_pool1d(mask, factor)
    mean = F.avg_pool1d(x, factor) / counts.clamp(min=1e-6)
    padded = mask == 0
    high = F.max_pool1d(x.masked_fill(padded, float("-inf")), factor)
    low = -F.max_pool1d((-x).masked_fill(padded, float("-inf")), factor)
    summary = torch.cat([mean, high, low], dim=1)
    mask = (counts > 0).to(x.dtype)
    # empty windows (all padding) hold +-inf extremes: zero them
    return torch.nan_to_num(summary, posinf=0.0, neginf=0.0) * mask, mask


def _sequence_standardized(x: Tensor, eps: float = 1e-6) -> Tensor:
    """Each sequence standardised on its own, with its mean and log-std.

    Parameters
    ----------
    x : Tensor of shape (N, T, C)
        Rows of NaN are padding.
    eps : float, default=1e-6
        Added to the standard deviation (constant sequences).

    Returns
    -------
    Tensor of shape (N, T, 3 * C)
        ``(x - mean) / (std + eps)`` with each sequence's own mean and
        standard deviation per channel over its valid steps, then that mean
        and ``log(std + eps)``, constant over the valid steps (``x`` is
        ``standardized * (std + eps) + mean``: nothing is lost). Padding rows
        stay NaN in every channel.
    """
    valid = ~torch.isnan(x)
    count = valid.sum(dim=1, keepdim=True).clamp(min=1)
    filled = torch.nan_to_num(x, nan=0.0)
    mean = filled.sum(dim=1, keepdim=True) / count
    centred = (filled - mean) * valid
    std = (centred.pow(2).sum(dim=1, keepdim=True) / count).sqrt()
    standardized = (x - mean) / (std + eps)  # NaN padding stays NaN
    stats = torch.cat([mean, torch.log(std + eps)], dim=2).expand(-1, x.shape[1], -1)
    padding = ~valid.any(dim=2, keepdim=True)
    stats = stats.masked_fill(padding, float("nan"))
    return torch.cat([standardized, stats], dim=2)


def encoded_length(n_steps: int, n_blocks: int) -> int:
    """Steps left by ``n_blocks`` pooling blocks from ``n_steps`` (after the stem).

    Shorter input is padded to the ``2 ** n_blocks`` steps the blocks need;
    each block halves the time axis (rounding down).
    """
    depth = 2**n_blocks
    return max(n_steps, depth) // depth


class Conv1DEncoder(nn.Module):
    """Residual Conv1D feature extractor of ``(N, T, C)`` sequences.

    Optional first differences -> optional downsampling stem -> residual
    blocks, each halving the time axis: the features that
    :class:`Conv1DActivityNet` pools over time and that
    :class:`~skseq.modules.KeypointLSTMNet` (``front_end="conv"``) reads
    step by step.

    Variable-length input: rows that are entirely NaN are padding (pad
    shorter sequences at the end). Padding is masked: it is zeroed after each
    convolution and never wins a max pooling, so the features of valid steps
    do not depend on how much of it follows them (in evaluation mode); but a
    block's pooling halves the time axis rounding down, so a sequence with
    an odd number of steps and no padding after it drops its last step there,
    which one row of padding would keep. Sequences shorter than
    ``2 ** len(channels)`` are padded the same way inside the network.

    Parameters
    ----------
    n_channels : int
        Input channels ``C``.
    channels : tuple of int, default=(32, 64, 64)
        Output channels of each block (one block per entry).
    kernel_size : int, default=9
        Kernel of the convolutions (odd or even).
    activation : str, default="elu"
        Activation by name (:func:`~skseq.modules.get_activation`).
    dropout : float, default=0.1
        Spatial dropout after each block.
    differences : bool, default=False
        Append the first differences of every channel (``x[t] - x[t-1]``,
        zero at the first step) as extra input channels.
    downsample : int, default=1
        Stem that shortens the sequence ``downsample`` times before the
        blocks, keeping the mean, maximum and minimum of each window of
        ``downsample`` steps (3 channels per input channel). 1 is no stem.
    sequence_scaling : bool, default=False
        First replace every channel by the sequence standardised with its
        own mean and standard deviation (over its valid steps), with that
        mean and log standard deviation as two constant channels (3 channels
        per input channel): series recorded at very different amplitudes
        keep their shape visible, and the amplitude stays an input.
    valid_step_norm : bool, default=False
        Batch norm statistics over the valid steps of padded training
        batches only (:class:`ResidualConv1dBlock`).

    Attributes
    ----------
    out_channels : int
        Feature channels of the output (``channels[-1]``).
    min_timesteps : int
        Steps the blocks need (``2 ** len(channels)``); shorter input is
        padded inside.
    """

    def __init__(
        self,
        n_channels: int,
        channels: tuple[int, ...] = (32, 64, 64),
        kernel_size: int = 9,
        activation: str = "elu",
        dropout: float = 0.1,
        differences: bool = False,
        downsample: int = 1,
        sequence_scaling: bool = False,
        valid_step_norm: bool = False,
    ):
        super().__init__()
        if len(channels) < 1:
            raise ValueError("channels needs at least one block.")
        if downsample < 1:
            raise ValueError(f"downsample must be >= 1; got {downsample}.")
        self.differences = differences
        self.downsample = downsample
        self.sequence_scaling = sequence_scaling
        cin = n_channels * (3 if sequence_scaling else 1)
        cin *= (2 if differences else 1) * (3 if downsample > 1 else 1)
        blocks = []
        for cout in channels:
            blocks.append(
                ResidualConv1dBlock(
                    cin, cout, kernel_size, activation, dropout, valid_step_norm
                )
            )
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.out_channels = cin
        self.min_timesteps = 2 ** len(channels)

    def output_length(self, n_timesteps: int) -> int:
        """Compute the length ``T'`` of the features of a sequence.

        Parameters
        ----------
        n_timesteps : int
            Steps ``T`` of the input sequence.

        Returns
        -------
        n_steps : int
            ``T' = max(ceil(T / downsample), 2 ** len(channels)) // 2 ** len(channels)``.
        """
        return encoded_length(-(-n_timesteps // self.downsample), len(self.blocks))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """Extract the features of a batch of sequences.

        Parameters
        ----------
        x : Tensor of shape (N, T, n_channels)
            Sequences of any ``T >= 1``; rows that are entirely NaN are
            padding.

        Returns
        -------
        features : Tensor of shape (N, channels[-1], T')
            ``T'`` as :meth:`output_length` gives.
        mask : Tensor of shape (N, 1, T') or None
            1 at the steps that hold valid input, 0 at padding; None when
            no step is padding.
        """
        if self.sequence_scaling:
            x = _sequence_standardized(x)
        if self.differences:
            # padding rows stay all-NaN: a difference with a NaN step is NaN
            x = torch.cat([x, torch.diff(x, dim=1, prepend=x[:, :1])], dim=2)
        valid = ~torch.isnan(x).all(dim=2, keepdim=True)  # (N, T, 1)
        h = torch.nan_to_num(x, nan=0.0).transpose(1, 2)  # (N, C, T)
        mask = valid.transpose(1, 2).to(h.dtype)  # (N, 1, T)
        if self.downsample > 1:
            # padded rows are all-NaN, so nan_to_num already zeroed them
            h, mask = _masked_downsample(h, mask, self.downsample)
        short = self.min_timesteps - h.shape[2]
        if short > 0:
            h = F.pad(h, (0, short))
            mask = F.pad(mask, (0, short))
        # torch.export (ONNX) cannot branch on data: an exported graph always
        # takes the masked path, which equals the unmasked one up to rounding
        # when nothing is padded, so the graph also handles NaN padding.
        if not torch.compiler.is_exporting() and bool(mask.all()):
            return self.blocks(h), None
        for block in self.blocks:
            h, mask = block(h, mask)
        return h, mask


def global_pool(h: Tensor, mask: Tensor | None, pooling: str = "avgmax") -> Tensor:
    """Pool features over time, over the valid steps only.

    Parameters
    ----------
    h : Tensor of shape (N, C, T)
        Features of each step.
    mask : Tensor of shape (N, 1, T) or None
        1 at valid steps, 0 at padded ones (as :class:`Conv1DEncoder`
        returns it); None: every step is valid.
    pooling : {"avg", "avgmax"}, default="avgmax"
        The mean over time, or the mean and the maximum.

    Returns
    -------
    pooled : Tensor of shape (N, C) or (N, 2 * C)
        The mean (then the maximum) of each channel.
    """
    if mask is None:
        mean = h.mean(dim=2)
        if pooling == "avg":
            return mean
        return torch.cat([mean, h.amax(dim=2)], dim=1)
    mean = (h * mask).sum(dim=2) / mask.sum(dim=2).clamp(min=1.0)
    if pooling == "avg":
        return mean
    high = h.masked_fill(mask == 0, float("-inf")).amax(dim=2)
    return torch.cat([mean, torch.nan_to_num(high, neginf=0.0)], dim=1)


def classifier_head(
    n_features: int, head_units: int, n_classes: int, activation: str, dropout: float
) -> nn.Sequential:
    """Linear -> BatchNorm -> activation -> Dropout -> Linear: features to logits.

    The head of :class:`Conv1DActivityNet` and of
    :class:`~skseq.modules.KeypointLSTMNet` behind its convolutional front end.

    Returns
    -------
    head : nn.Sequential
        Maps features ``(N, n_features)`` to logits ``(N, n_classes)``.
    """
    return nn.Sequential(
        nn.Linear(n_features, head_units),
        BatchNorm1dAnyBatch(head_units),
        get_activation(activation),
        nn.Dropout(dropout),
        nn.Linear(head_units, n_classes),
    )


def _rename_unencoded_blocks(state_dict, prefix, *args) -> None:
    """Load weights saved before the blocks moved into ``encoder`` (skseq 0.1)."""
    for key in [k for k in state_dict if k.startswith(prefix + "blocks.")]:
        new_key = prefix + "encoder." + key[len(prefix) :]
        state_dict[new_key] = state_dict.pop(key)


class Conv1DActivityNet(nn.Module):
    """Residual Conv1D classifier of ``(N, T, C)`` sequences.

    Optional random roll and crop (training only) -> :class:`Conv1DEncoder`
    (optional first differences -> optional downsampling stem -> residual
    blocks) -> global pooling over time -> Linear -> BatchNorm -> activation
    -> Dropout -> Linear. Returns logits.

    Variable-length input: rows that are entirely NaN are padding (pad
    shorter sequences at the end). Padding is masked: it is zeroed after each
    convolution, never wins a max pooling and is left out of the global
    pooling, so in evaluation mode the amount of padding after a sequence
    does not change its prediction as long as every block still sees some
    after it: a block whose input holds an odd number of valid steps and no
    padding drops the last one (see :class:`Conv1DEncoder`), so that 13
    steps padded to 14 (7 steps, none padding, after the first block) and
    to 16 (8 steps, one padding) can differ. Padding every sequence to the
    same length, as an estimator's input is, gives each one prediction.
    Sequences shorter than ``2 ** len(channels)`` (too short for
    the pooling) are padded the same way inside the network.

    Parameters
    ----------
    n_channels : int
        Input channels ``C``.
    n_classes : int
        Classes, one logit each.
    channels : tuple of int, default=(32, 64, 64)
        Output channels of each residual block
        (:class:`~skseq.modules.Conv1DEncoder`).
    kernel_size : int, default=9
        Kernel of the encoder's convolutions (odd or even).
    activation : str, default="elu"
        Activation of the encoder and the head, by name
        (:func:`~skseq.modules.get_activation`).
    dropout : float, default=0.1
        Spatial dropout after each residual block.
    head_units : int, default=64
        Units of the head's hidden layer.
    head_dropout : float, default=0.3
        Dropout before the head's output layer.
    roll_augment : bool, default=False
        Randomly roll each training sequence in time.
    max_roll : int or None, default=None
        Largest roll; None allows any.
    differences : bool, default=False
        Append the first differences of every channel as input channels
        (:class:`~skseq.modules.Conv1DEncoder`): level changes and switching
        events become direct inputs.
    downsample : int, default=1
        Factor of the encoder's downsampling stem; 1 is no stem.
    pooling : {"avg", "avgmax"}, default="avg"
        Global pooling over time: the mean of the last block's features, or
        their mean and maximum concatenated (whether a pattern occurs
        anywhere, not only how much of it there is on average).
    crop_fraction : float in (0, 1], default=1.0
        Train on random windows of at least this fraction of each sequence
        (:class:`~skseq.modules.RandomCrop`, training mode only);
        1 is no cropping.
    sequence_scaling : bool, default=False
        Standardise each sequence on its own, with its mean and log
        standard deviation as extra channels
        (:class:`~skseq.modules.Conv1DEncoder`).
    valid_step_norm : bool, default=False
        Batch norm statistics over the valid steps of padded training
        batches only (:class:`~skseq.modules.ResidualConv1dBlock`), so that
        a fit does not depend on how far its sequences are padded.
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
        differences: bool = False,
        downsample: int = 1,
        pooling: str = "avg",
        crop_fraction: float = 1.0,
        sequence_scaling: bool = False,
        valid_step_norm: bool = False,
    ):
        super().__init__()
        if pooling not in _POOLINGS:
            raise ValueError(f"pooling must be one of {_POOLINGS}; got {pooling!r}.")
        self.pooling = pooling
        self.roll = RandomRoll(max_roll, dim=1) if roll_augment else nn.Identity()
        self.crop = RandomCrop(crop_fraction) if crop_fraction < 1 else nn.Identity()
        self.encoder = Conv1DEncoder(
            n_channels,
            channels,
            kernel_size,
            activation,
            dropout,
            differences=differences,
            downsample=downsample,
            sequence_scaling=sequence_scaling,
            valid_step_norm=valid_step_norm,
        )
        n_pooled = 2 if pooling == "avgmax" else 1
        self.head = classifier_head(
            n_pooled * self.encoder.out_channels,
            head_units,
            n_classes,
            activation,
            head_dropout,
        )
        self._register_load_state_dict_pre_hook(_rename_unencoded_blocks)

    @property
    def differences(self) -> bool:
        """Whether the encoder appends first differences."""
        return self.encoder.differences

    @property
    def downsample(self) -> int:
        """Factor of the encoder's downsampling stem."""
        return self.encoder.downsample

    @property
    def min_timesteps(self) -> int:
        """Steps the residual blocks need; shorter input is padded inside."""
        return self.encoder.min_timesteps

    def _global_pool(self, h: Tensor, mask: Tensor | None) -> Tensor:
        """``(N, C, T)`` features -> ``(N, C)`` or ``(N, 2C)`` over valid steps."""
        return global_pool(h, mask, self.pooling)

    def forward(self, x: Tensor) -> Tensor:
        """Classify a batch of sequences.

        Parameters
        ----------
        x : Tensor of shape (N, T, n_channels)
            Sequences of any ``T >= 1``; rows that are entirely NaN are
            padding.

        Returns
        -------
        logits : Tensor of shape (N, n_classes)
            Class scores before the softmax.
        """
        h, mask = self.encoder(self.crop(self.roll(x)))
        return self.head(self._global_pool(h, mask))
