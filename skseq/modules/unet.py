"""RainNet-style U-Net for radar nowcasting."""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn

from skseq.modules.advection import advect_translation, estimate_translation
from skseq.modules.convlstm import ConvLSTM
from skseq.modules.layers import crop_padding, get_activation, pad_to_multiple
from skseq.modules.tiling import tiled_apply

__all__ = ["RainNet", "RecursiveNowcastNet"]


def _double_conv(cin: int, cout: int, activation: str) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        get_activation(activation),
        nn.Conv2d(cout, cout, 3, padding=1),
        get_activation(activation),
    )


class RainNet(nn.Module):
    """U-Net over stacked input frames, predicting the next frame.

    Encoder: ``depth`` levels of two 3x3 convolutions (+ activation) followed
    by 2x2 max pooling, channels ``base_channels * 2**level``; a bottleneck
    level; dropout at the two deepest levels (as RainNet). Decoder: 2x
    upsampling (``ConvTranspose2d`` or nearest + 3x3 convolution), skip
    concatenation, two 3x3 convolutions; a linear 1x1 output. Frames of any
    size are mirror-padded to a multiple of ``2 ** depth`` and cropped back.

    ``two_path=True`` (the winning model of a radar nowcasting contest) also runs a ConvLSTM over the
    input frames and concatenates its last hidden state with the U-Net's
    decoder output before a 3x3 output convolution.

    Parameters
    ----------
    n_in_frames : int
        Input frames ``T`` per sample, stacked as input channels.
    in_channels : int, default=1
        Channels of each input frame.
    out_channels : int, default=1
        Channels of the predicted frame.
    depth : int, default=3
        Encoder levels, each halving the height and width.
    base_channels : int, default=16
        Channels of the first level, doubled at every deeper level.
    dropout : float, default=0.5
        Dropout rate at the two deepest levels.
    upsampling : {"transpose", "nearest"}, default="transpose"
        Decoder upsampling: a 2x2 transposed convolution, or nearest
        neighbour followed by a 3x3 convolution.
    activation : str, default="relu"
        Activation after each of the two convolutions of every level, by
        name (:func:`~skseq.modules.get_activation`).
    two_path : bool, default=False
        Add the ConvLSTM path over the input frames (see above).
    convlstm_hidden : int, default=16
        Hidden channels of the ConvLSTM path (``two_path=True``).

    Attributes
    ----------
    multiple : int
        ``2 ** depth``: frames are padded to a multiple of it inside.
    """

    def __init__(
        self,
        n_in_frames: int,
        in_channels: int = 1,
        out_channels: int = 1,
        depth: int = 3,
        base_channels: int = 16,
        dropout: float = 0.5,
        upsampling: str = "transpose",
        activation: str = "relu",
        two_path: bool = False,
        convlstm_hidden: int = 16,
    ):
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be >= 1; got {depth}.")
        if upsampling not in ("transpose", "nearest"):
            raise ValueError(
                f"upsampling must be 'transpose' or 'nearest'; got {upsampling!r}."
            )
        self.multiple = 2**depth
        widths = [base_channels * 2**level for level in range(depth + 1)]
        self.down = nn.ModuleList()
        cin = n_in_frames * in_channels
        for level in range(depth):
            self.down.append(_double_conv(cin, widths[level], activation))
            cin = widths[level]
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = _double_conv(widths[depth - 1], widths[depth], activation)
        # RainNet: dropout at the two deepest levels (the last encoder level
        # and the bottleneck).
        self.deep_dropout = nn.Dropout(dropout)
        self.up = nn.ModuleList()
        self.up_conv = nn.ModuleList()
        for level in reversed(range(depth)):
            up: nn.Module
            if upsampling == "transpose":
                up = nn.ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2)
            else:
                up = nn.Sequential(
                    nn.Upsample(scale_factor=2, mode="nearest"),
                    nn.Conv2d(widths[level + 1], widths[level], 3, padding=1),
                )
            self.up.append(up)
            self.up_conv.append(
                _double_conv(2 * widths[level], widths[level], activation)
            )
        self.two_path = two_path
        if two_path:
            self.convlstm = ConvLSTM(in_channels, convlstm_hidden, n_layers=1)
            self.output = nn.Conv2d(
                widths[0] + convlstm_hidden, out_channels, 3, padding=1
            )
        else:
            self.output = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Predict the next frame of each sample.

        Parameters
        ----------
        x : Tensor of shape (N, n_in_frames, in_channels, H, W)
            Input frames, of any height and width.

        Returns
        -------
        frame : Tensor of shape (N, out_channels, H, W)
            The predicted frame.
        """
        n, t, c, height, width = x.shape
        padded, pads = pad_to_multiple(
            x.reshape(n, t * c, height, width), self.multiple
        )
        if padded.device.type == "cpu" or torch.is_inference_mode_enabled():
            # oneDNN convolutions are faster in channels_last: a training step
            # of the default nowcaster's network takes about a fifth less time
            # on the CPU (docs/benchmarks.rst); other devices keep their
            # layout in training
            padded = padded.contiguous(memory_format=torch.channels_last)
        skips = []
        h = padded
        depth = len(self.down)
        for level, block in enumerate(self.down):
            h = block(h)
            if level == depth - 1:
                h = self.deep_dropout(h)
            skips.append(h)
            h = self.pool(h)
        h = self.deep_dropout(self.bottleneck(h))
        for up, conv, skip in zip(self.up, self.up_conv, reversed(skips)):
            h = conv(torch.cat([up(h), skip], dim=1))
        if self.two_path:
            frames, _ = pad_to_multiple(x, self.multiple)
            sequence_state = self.convlstm(frames)[0][:, -1]
            h = torch.cat([h, sequence_state], dim=1)
        return crop_padding(self.output(h), pads)


class RecursiveNowcastNet(nn.Module):
    """Unroll a one-step frame network over several lead times.

    At every step the network sees the current window of the last ``T``
    frames and predicts the next one, which is appended to the window (the
    oldest frame drops out) for the next step -- the recursion of a
    multi-step nowcast. Training this unrolled module on targets at several
    lead times backpropagates through the whole recursion, so the network
    learns from its own fed-back outputs instead of only from observed
    windows (whose one-step errors would otherwise compound at long leads).

    Parameters
    ----------
    step : nn.Module
        One-step network, ``(N, T', C, H, W) -> (N, C_out, H, W)`` with
        ``T' = T + 1`` when ``advection_prior`` (the prior frame is appended
        to the window) and ``T`` otherwise; e.g. :class:`RainNet`.
    n_steps : int, default=1
        Lead times unrolled when :meth:`forward` gets no ``n_steps``.
    advection_prior : bool, default=False
        Append to the window, at step ``k``, the last *input* frame shifted
        by ``k`` times the motion estimated from the input frames
        (:func:`~skseq.modules.estimate_translation`, one
        translation per sample, from the channel mean) -- a sharp
        Lagrangian-persistence first guess at every lead time.
    residual : {"none", "last", "prior"}, default="none"
        What the step network's output is added to: nothing, the last frame
        of the current window (the network predicts the change from the last
        frame) or the advection prior (it predicts the correction to
        Lagrangian persistence; needs ``advection_prior``).
    clamp : tuple of float or None, default=None
        ``(low, high)``: every predicted frame is clamped to this range
        before it is returned and fed back. The gradient passes the clamp
        unchanged (straight-through), so a clamped pixel still learns.
    motion_sigma : float, default=1.5
        Smoothing (pixels) of the frames before the motion estimate.
    tile : tuple of int or None, default=None
        ``(tile_size, halo)``: in evaluation mode, run the step network tile
        by tile (``skseq.modules.tiling.tiled_apply``) on domains larger
        than ``tile_size``, equal to one pass inside the cropped cores when
        ``halo`` covers the step's receptive field. The recursion, the
        advection prior, residual and clamp stay on the whole domain.
    """

    def __init__(
        self,
        step: nn.Module,
        n_steps: int = 1,
        advection_prior: bool = False,
        residual: str = "none",
        clamp: tuple[float, float] | None = None,
        motion_sigma: float = 1.5,
        tile: tuple[int, int] | None = None,
    ):
        super().__init__()
        if n_steps < 1:
            raise ValueError(f"n_steps must be >= 1; got {n_steps}.")
        if residual not in ("none", "last", "prior"):
            raise ValueError(
                f"residual must be 'none', 'last' or 'prior'; got {residual!r}."
            )
        if residual == "prior" and not advection_prior:
            raise ValueError("residual='prior' needs advection_prior=True.")
        if clamp is not None and not clamp[0] <= clamp[1]:
            raise ValueError(
                f"clamp must be (low, high) with low <= high; got {clamp}."
            )
        self.step = step
        self.n_steps = n_steps
        self.advection_prior = advection_prior
        self.residual = residual
        self.clamp = None if clamp is None else (float(clamp[0]), float(clamp[1]))
        self.motion_sigma = motion_sigma
        self.tile = tile

    def _step(self, inputs: Tensor) -> Tensor:
        tile = getattr(self, "tile", None)  # absent in networks pickled before
        if tile is None or self.training:
            return self.step(inputs)
        multiple = getattr(self.step, "multiple", 1)
        return tiled_apply(self.step, inputs, tile[0], tile[1], multiple)

    def prior(self, x: Tensor, n_steps: int) -> Tensor:
        """Compute the advection prior of input frames ``x``.

        The last input frame shifted by ``k`` times the motion estimated from
        all input frames, at every lead time ``k = 1 .. n_steps``; computed in
        float32, without gradient.

        Parameters
        ----------
        x : Tensor of shape (N, T, C, H, W)
            Input frames.
        n_steps : int
            Lead times.

        Returns
        -------
        prior : Tensor of shape (N, n_steps, C, H, W)
            The advected last frame at each lead time.
        """
        # in float32 whatever the autocast: CUDA's runs the blur in half
        # precision, and its FFTs refuse bfloat16 (and overflow float16)
        with torch.no_grad(), torch.autocast(x.device.type, enabled=False):
            x = x.float()
            displacement = estimate_translation(x.mean(dim=2), self.motion_sigma)
            return advect_translation(x[:, -1], displacement, n_steps)

    def forward(self, x: Tensor, n_steps: int | None = None) -> Tensor:
        """Predict ``n_steps`` frames, each from the window ending before it.

        Parameters
        ----------
        x : Tensor of shape (N, T, C, H, W)
            Input frames: the first window.
        n_steps : int or None, default=None
            Lead times to predict; None uses the ``n_steps`` of the module.

        Returns
        -------
        frames : Tensor of shape (N, n_steps, C_out, H, W)
            The predicted frame at each lead time. ``C_out`` is the step
            network's output channels, which must equal ``C`` when
            ``n_steps > 1`` (outputs are fed back as inputs).
        """
        n_steps = self.n_steps if n_steps is None else int(n_steps)
        if n_steps < 1:
            raise ValueError(f"n_steps must be >= 1; got {n_steps}.")
        prior = self.prior(x, n_steps) if self.advection_prior else None
        window, outputs = x, []
        for k in range(n_steps):
            inputs = (
                window if prior is None else torch.cat([window, prior[:, k : k + 1]], 1)
            )
            out = self._step(inputs)
            if self.residual == "last":
                out = out + window[:, -1]
            elif self.residual == "prior":
                # residual="prior" needs advection_prior: ``prior`` is set
                out = out + cast(Tensor, prior)[:, k]
            if self.clamp is not None:  # straight-through: the gradient passes
                out = out + (out.clamp(*self.clamp) - out).detach()
            outputs.append(out)
            if k + 1 < n_steps:
                if out.shape[1] != window.shape[2]:
                    raise ValueError(
                        f"the step network predicts {out.shape[1]} channels but the "
                        f"input has {window.shape[2]}; outputs can be fed back only "
                        "with as many channels, so n_steps must be 1."
                    )
                window = torch.cat([window[:, 1:], out[:, None]], dim=1)
        return torch.stack(outputs, dim=1)
