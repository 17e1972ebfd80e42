"""RainNet-style U-Net for radar nowcasting (seeds 002 and 004b)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from skseq.modules.convlstm import ConvLSTM
from skseq.modules.layers import crop_padding, get_activation, pad_to_multiple

__all__ = ["RainNet"]


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

    ``two_path=True`` (seed 004b's winning model) also runs a ConvLSTM over the
    input frames and concatenates its last hidden state with the U-Net's
    decoder output before a 3x3 output convolution.

    Parameters
    ----------
    n_in_frames : int
    in_channels : int, default=1
    out_channels : int, default=1
    depth : int, default=3
    base_channels : int, default=16
    dropout : float, default=0.5
    upsampling : {"transpose", "nearest"}, default="transpose"
    activation : str, default="relu"
    two_path : bool, default=False
    convlstm_hidden : int, default=16

    Shape
    -----
    - Input: ``(N, n_in_frames, in_channels, H, W)``, any ``H, W``.
    - Output: ``(N, out_channels, H, W)``.
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
        n, t, c, height, width = x.shape
        padded, pads = pad_to_multiple(
            x.reshape(n, t * c, height, width), self.multiple
        )
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
