"""Small layers shared by skseq's networks (pure PyTorch)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "BatchNorm1dAnyBatch",
    "EvenSameConv1d",
    "RandomCrop",
    "RandomRoll",
    "SpatialDropout1d",
    "crop_padding",
    "get_activation",
    "pad_to_multiple",
    "same_conv1d",
    "sequence_lengths",
]

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
    "selu": nn.SELU,
}


def sequence_lengths(x: Tensor) -> Tensor:
    """Steps of each sequence ``(N, T, C)`` before its trailing NaN padding.

    Padding is the rows after the last one with a value in some channel; a
    row of NaN before it (a missing frame) counts. The torch twin of
    :func:`skseq.utils.validation.valid_lengths`.

    Parameters
    ----------
    x : Tensor of shape (N, T, C)

    Returns
    -------
    lengths : Tensor of shape (N,), int64
        0 for a sequence of padding only.
    """
    steps = torch.arange(1, x.shape[1] + 1, device=x.device)
    return ((~torch.isnan(x).all(dim=2)) * steps).amax(dim=1)


def get_activation(name: str) -> nn.Module:
    """Return a fresh activation module by name.

    Parameters
    ----------
    name : str
        One of ``"relu"``, ``"elu"``, ``"gelu"``, ``"tanh"``, ``"leaky_relu"``,
        ``"selu"``.

    Returns
    -------
    activation : nn.Module
        A new instance of the activation (``nn.ReLU()`` ...).
    """
    try:
        return _ACTIVATIONS[name]()
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown activation {name!r}; use one of {sorted(_ACTIVATIONS)}."
        ) from None


class RandomRoll(nn.Module):
    """Roll each sample circularly along one axis by a random shift (training only).

    The augmentation of the IMU activity-contest model: a recording of an activity may start at any
    phase, so rolling it in time keeps its label. In evaluation mode the layer
    is the identity, so predictions are deterministic.

    Parameters
    ----------
    max_shift : int or None, default=None
        Shifts are drawn uniformly from ``[-max_shift, max_shift]``; None
        allows any shift along the axis.
    dim : int, default=1
        Axis to roll (1 = time for ``(N, T, C)`` input).
    """

    def __init__(self, max_shift: int | None = None, dim: int = 1):
        super().__init__()
        if max_shift is not None and max_shift < 0:
            raise ValueError(f"max_shift must be >= 0 or None; got {max_shift}.")
        if dim == 0:
            raise ValueError("dim=0 is the batch axis; roll along another axis.")
        self.max_shift = max_shift
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        """Roll each sample by its own random shift (training mode only).

        Parameters
        ----------
        x : Tensor of shape (N, ...)
            Samples first. Sequences ``(N, T, C)`` rolled in time
            (``dim=1``) may be NaN-padded at the end (rows of NaN in every
            channel): each rolls within its own valid steps, and its padding
            stays at the end.

        Returns
        -------
        rolled : Tensor of the shape of ``x``
            The rolled samples in training mode, ``x`` itself in evaluation
            mode.
        """
        if not self.training:
            return x
        dim = self.dim % x.ndim
        length = x.shape[dim]
        limit = (
            length - 1 if self.max_shift is None else min(self.max_shift, length - 1)
        )
        if limit <= 0:
            return x
        shifts = torch.randint(-limit, limit + 1, (x.shape[0],), device=x.device)
        positions = torch.arange(length, device=x.device)
        index = (positions[None, :] - shifts[:, None]) % length  # (N, L)
        if x.ndim == 3 and dim == 1:
            lengths = sequence_lengths(x).clamp(min=1)
            if bool((lengths < length).any()):  # padded: roll each within it
                inside = positions[None, :] < lengths[:, None]
                rolled = (positions[None, :] - shifts[:, None]) % lengths[:, None]
                index = torch.where(inside, rolled, positions[None, :])
        view = [x.shape[0]] + [1] * (x.ndim - 1)
        view[dim] = length
        index = index.view(view).expand_as(x)
        return torch.gather(x, dim, index)

    def extra_repr(self) -> str:
        """Return the layer's settings, as its ``repr`` shows them.

        Returns
        -------
        settings : str
            ``"max_shift=..., dim=..."``.
        """
        return f"max_shift={self.max_shift}, dim={self.dim}"


class RandomCrop(nn.Module):
    """Keep a random window of each sequence, NaN-padded at the end (training only).

    Window slicing (Le Guennec et al. [1]_): a window of a random length
    between ``min_fraction`` and all of the sequence's valid steps, at a
    random offset, is moved to the start and the rest becomes trailing NaN
    padding -- the variable-length convention of skseq's sequence networks,
    which mask it. A network that pools over time thus learns from shorter
    views of every training sequence and still reads the whole sequence at
    prediction time. In evaluation mode the layer is the identity.

    Parameters
    ----------
    min_fraction : float in (0, 1], default=0.8
        Shortest window kept, as a fraction of the valid length (1: no crop).

    References
    ----------
    .. [1] A. Le Guennec, S. Malinowski and R. Tavenard, "Data augmentation
       for time series classification using convolutional neural networks",
       ECML/PKDD Workshop on Advanced Analytics and Learning on Temporal
       Data, 2016.
    """

    def __init__(self, min_fraction: float = 0.8):
        super().__init__()
        if not 0 < min_fraction <= 1:
            raise ValueError(f"min_fraction must be in (0, 1]; got {min_fraction}.")
        self.min_fraction = min_fraction

    def forward(self, x: Tensor) -> Tensor:
        """Crop each sequence to a random window (training mode only).

        Parameters
        ----------
        x : Tensor of shape (N, T, C)
            Sequences; trailing rows that are entirely NaN are padding.

        Returns
        -------
        cropped : Tensor of shape (N, T, C)
            Each sequence's window at its start, NaN after it, in training
            mode; ``x`` itself in evaluation mode.
        """
        if not self.training or self.min_fraction == 1:
            return x
        n, length, n_channels = x.shape
        lengths = (~torch.isnan(x).all(dim=2)).sum(dim=1)  # (N,)
        fraction = self.min_fraction + (1 - self.min_fraction) * torch.rand(
            n, device=x.device
        )
        kept = torch.ceil(fraction * lengths).long().clamp(min=1)
        start = torch.floor(torch.rand(n, device=x.device) * (lengths - kept + 1))
        positions = torch.arange(length, device=x.device)[None, :]  # (1, T)
        index = (start.long()[:, None] + positions).clamp(max=length - 1)
        cropped = torch.gather(x, 1, index[..., None].expand(-1, -1, n_channels))
        padding = (positions >= kept[:, None])[..., None]  # (N, T, 1)
        return cropped.masked_fill(padding, float("nan"))

    def extra_repr(self) -> str:
        """Return the layer's settings, as its ``repr`` shows them.

        Returns
        -------
        settings : str
            ``"min_fraction=..."``.
        """
        return f"min_fraction={self.min_fraction}"


class EvenSameConv1d(nn.Conv1d):
    """``Conv1d`` with an even kernel, padded to keep the sequence's length.

    ``nn.Conv1d(padding="same")`` pads an even kernel through an extra copy
    and warns when it runs; this pads the same way explicitly:
    ``(kernel_size - 1) // 2`` zeros before and ``kernel_size // 2`` after,
    as torch does. Odd kernels keep ``nn.Conv1d(padding="same")``.

    Parameters
    ----------
    in_channels : int
        Input channels.
    out_channels : int
        Output channels.
    kernel_size : int
        Even.
    bias : bool, default=True
        Whether the convolution has a bias.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True
    ):
        if kernel_size % 2:
            raise ValueError(f"kernel_size must be even; got {kernel_size}.")
        super().__init__(in_channels, out_channels, kernel_size, bias=bias)
        self.same_padding = ((kernel_size - 1) // 2, kernel_size // 2)

    def forward(self, x: Tensor) -> Tensor:
        """Convolve ``x``, padded to keep its length.

        Parameters
        ----------
        x : Tensor of shape (N, in_channels, T)
            Input.

        Returns
        -------
        out : Tensor of shape (N, out_channels, T)
            The convolution.
        """
        return super().forward(F.pad(x, self.same_padding))


def same_conv1d(
    in_channels: int, out_channels: int, kernel_size: int, bias: bool = True
) -> nn.Conv1d:
    """A length-preserving ``Conv1d`` for odd and even ``kernel_size`` alike."""
    if kernel_size % 2:
        return nn.Conv1d(
            in_channels, out_channels, kernel_size, padding="same", bias=bias
        )
    return EvenSameConv1d(in_channels, out_channels, kernel_size, bias=bias)


class SpatialDropout1d(nn.Dropout1d):
    """Drop whole channels of ``(N, C, L)`` feature maps (Keras' SpatialDropout1D).

    :class:`torch.nn.Dropout1d` under Keras' name. In training mode, each
    channel of each sample is zeroed with probability ``p`` and the others
    are scaled by ``1 / (1 - p)``; in evaluation mode the layer is the
    identity. Input ``(N, C, L)`` or ``(C, L)``; output of the same shape.

    Parameters
    ----------
    p : float, default=0.5
        Probability of zeroing a channel.
    inplace : bool, default=False
        Zero the input in place.
    """


def pad_to_multiple(
    x: Tensor, multiple: int, mode: str = "reflect"
) -> tuple[Tensor, tuple[int, int, int, int]]:
    """Pad the last two axes up to the next multiple of ``multiple``.

    Padding is split as evenly as possible between both sides. Mirror
    (``"reflect"``) padding needs the pad to be smaller than the axis; when it
    is not (tiny frames), the frame is padded in repeated mirror steps, each
    within what ``reflect`` allows, and finally with ``"replicate"`` for a
    single-pixel axis.

    Parameters
    ----------
    x : Tensor of shape (..., H, W)
        Frames, spatial axes last.
    multiple : int
        Target multiple (``2 ** depth`` for a U-Net).
    mode : {"reflect", "replicate", "constant"}, default="reflect"
        Padding mode: mirror, edge values or zeros.

    Returns
    -------
    padded : Tensor of shape (..., H', W')
        ``H'`` and ``W'`` are the smallest multiples of ``multiple`` >= H, W.
    pads : tuple of int
        ``(left, right, top, bottom)`` for :func:`crop_padding`.
    """
    height, width = x.shape[-2:]
    pad_h = (-height) % multiple
    pad_w = (-width) % multiple
    pads = (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2)
    if pad_h == 0 and pad_w == 0:
        return x, pads
    squeeze = x.ndim == 3
    lead_shape = x.shape[:-3]  # the batch axes of (..., C, H, W); used when ndim > 3
    # F.pad with reflect wants (N, C, H, W)
    if x.ndim == 2:
        y = x[None, None]
    elif squeeze:
        y = x[None]
    else:
        y = x.reshape(-1, x.shape[-3], height, width)
    if mode == "reflect":
        y = _reflect_axis(y, pads[0], pads[1], axis=-1)
        y = _reflect_axis(y, pads[2], pads[3], axis=-2)
    else:
        kwargs = {"value": 0.0} if mode == "constant" else {}
        y = F.pad(y, pads, mode=mode, **kwargs)
    if x.ndim == 2:
        return y[0, 0], pads
    if squeeze:
        return y[0], pads
    return y.reshape(*lead_shape, *y.shape[-3:]), pads


def _reflect_axis(y: Tensor, before: int, after: int, axis: int) -> Tensor:
    """Mirror-pad one spatial axis of (N, C, H, W), in steps if the pad is large.

    ``reflect`` can add at most ``size - 1`` per side at once; larger pads are
    done in repeated steps. An axis of size 1 has nothing to mirror and is
    replicated.
    """
    while before or after:
        size = y.shape[axis]
        if size == 1:
            spec = (before, after, 0, 0) if axis == -1 else (0, 0, before, after)
            return F.pad(y, spec, mode="replicate")
        b, a = min(before, size - 1), min(after, size - 1)
        spec = (b, a, 0, 0) if axis == -1 else (0, 0, b, a)
        y = F.pad(y, spec, mode="reflect")
        before, after = before - b, after - a
    return y


def crop_padding(x: Tensor, pads: tuple[int, int, int, int]) -> Tensor:
    """Undo :func:`pad_to_multiple`.

    Parameters
    ----------
    x : Tensor of shape (..., H', W')
        Padded frames, or what a network computed from them.
    pads : tuple of int
        ``(left, right, top, bottom)`` as returned by :func:`pad_to_multiple`.

    Returns
    -------
    cropped : Tensor of shape (..., H' - top - bottom, W' - left - right)
        ``x`` without the padding (a view).
    """
    left, right, top, bottom = pads
    height, width = x.shape[-2:]
    return x[..., top : height - bottom, left : width - right]


class BatchNorm1dAnyBatch(nn.BatchNorm1d):
    """BatchNorm1d that also trains on a batch of a single sample.

    Plain ``BatchNorm1d`` raises for a training batch of one value per
    channel (a ``(1, C)`` or ``(1, C, 1)`` batch: no batch statistics
    exist). Such a batch (the last one of an epoch, say) is normalised with
    the running statistics instead.

    Parameters
    ----------
    num_features : int
        Channels ``C``.
    eps : float, default=1e-5
        Added to the variance, for numerical stability.
    momentum : float or None, default=0.1
        Weight of the current batch in the running statistics; None is a
        cumulative average.
    affine : bool, default=True
        Learn a per-channel scale and shift.
    track_running_stats : bool, default=True
        Keep running statistics, used in evaluation mode and for a training
        batch of one sample.
    device : torch.device, str or None, default=None
        Device of the parameters and buffers.
    dtype : torch.dtype or None, default=None
        Dtype of the parameters and buffers.
    bias : bool, default=True
        With ``affine``: learn the shift too.
    """

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` per channel.

        Parameters
        ----------
        x : Tensor of shape (N, C) or (N, C, L)
            Input.

        Returns
        -------
        out : Tensor of the shape of ``x``
            ``x`` normalised as :class:`torch.nn.BatchNorm1d` does, but for
            a training batch of one value per channel, which is normalised
            with the running statistics.
        """
        if self.training and x.numel() == x.shape[1]:  # one value per channel
            return F.batch_norm(
                x,
                self.running_mean,
                self.running_var,
                self.weight,
                self.bias,
                training=False,
                eps=self.eps,
            )
        return super().forward(x)
