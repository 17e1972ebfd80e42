"""Tiled inference of convolutional frame networks on large domains.

A fully convolutional network predicts a pixel from the input within its
*receptive field*. Cutting a large domain into tiles, each extended by a halo
at least that radius wide, and keeping only each tile's core gives the same
output as one pass over the whole domain (up to float rounding) with memory
bounded by the tile size instead of the domain size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from torch import Tensor, nn

from skseq.modules.layers import crop_padding, pad_to_multiple

if TYPE_CHECKING:  # they import this module
    from skseq.modules.convlstm import ConvLSTMSeq2Seq
    from skseq.modules.unet import RainNet

__all__ = ["rainnet_halo", "seq2seq_halo", "tiled_apply"]


def _round_up(value: int, multiple: int) -> int:
    return -(-int(value) // multiple) * multiple


def tiled_apply(
    fn: Callable[[Tensor], Tensor],
    x: Tensor,
    tile_size: int,
    halo: int,
    multiple: int = 1,
) -> Tensor:
    """Apply a spatially equivariant ``fn`` to ``x`` tile by tile.

    ``x`` is first mirror-padded to a multiple of ``multiple`` exactly as a
    U-Net pads it (:func:`~skseq.modules.layers.pad_to_multiple`); tiles,
    cores and halos are multiples of ``multiple``, so every tile is pooled on
    the same grid as the whole padded domain and tiles touching its border
    see the same border. The output is cropped back to ``x``'s size.

    Parameters
    ----------
    fn : callable
        ``(N, ..., H, W) -> (N, ..., H, W)``: same spatial size out as in.
    x : Tensor of shape (N, ..., H, W)
        The whole domain.
    tile_size : int
        Side of a tile's core (rounded up to a multiple of ``multiple``).
        A padded domain no larger than that is run in one pass.
    halo : int
        Pixels added on each side of a core (rounded up to a multiple of
        ``multiple``); at least the receptive-field radius of ``fn`` for the
        result to equal the untiled one.
    multiple : int, default=1
        Size multiple the network needs (``2 ** depth`` for a U-Net).

    Returns
    -------
    out : Tensor of shape (N, ..., H, W)
        The output of ``fn`` on the whole domain.
    """
    tile = _round_up(max(1, tile_size), multiple)
    halo = _round_up(max(0, halo), multiple)
    padded, pads = pad_to_multiple(x, multiple)
    height, width = padded.shape[-2:]
    if height <= tile and width <= tile:
        return crop_padding(fn(padded), pads)
    out: Tensor | None = None
    for top in range(0, height, tile):
        bottom = min(top + tile, height)
        row0, row1 = max(0, top - halo), min(height, bottom + halo)
        for left in range(0, width, tile):
            right = min(left + tile, width)
            col0, col1 = max(0, left - halo), min(width, right + halo)
            piece = fn(padded[..., row0:row1, col0:col1])
            if out is None:
                out = piece.new_empty((*piece.shape[:-2], height, width))
            out[..., top:bottom, left:right] = piece[
                ..., top - row0 : bottom - row0, left - col0 : right - col0
            ]
    # the frame is larger than a tile, so the loops above set ``out``
    return crop_padding(cast(Tensor, out), pads)


def _kernel_radius(module: nn.Module) -> int:
    """Largest ``kernel_size // 2`` of the 2D convolutions in ``module``."""
    radii = [
        max(m.kernel_size) // 2 for m in module.modules() if isinstance(m, nn.Conv2d)
    ]
    return max(radii, default=0)


def rainnet_halo(step: RainNet, n_frames: int) -> int:
    """A receptive-field radius bound of a :class:`~skseq.modules.unet.RainNet`.

    Per encoder level ``l`` (scale ``2**l``): two 3x3 convolutions (``2 *
    2**l``) and a 2x2 pooling (``2**l``); the bottleneck ``2 * 2**depth``;
    per decoder level two 3x3 convolutions, plus the upsampling's own
    convolution (``nearest``) and its alignment (``2 * 2**(l + 1)``, generous);
    the output convolution, and the ConvLSTM path (``n_frames`` steps of its
    kernel) when ``two_path``.

    Parameters
    ----------
    step : RainNet
        The one-step network.
    n_frames : int
        Input frames per step (the ConvLSTM path's recursion length).

    Returns
    -------
    radius : int
        Pixels of context a predicted pixel can depend on, on each side.
    """
    depth = len(step.down)
    scale = 2**depth
    radius = 3 * (scale - 1) + 2 * scale + 2 * (scale - 1) + 2 * (2 * scale - 2)
    radius += 2 * (scale - 1)  # nearest upsampling's 3x3 conv (bound either way)
    radius += _kernel_radius(step.output)
    if getattr(step, "two_path", False):
        radius += n_frames * _kernel_radius(step.convlstm)
    return radius


def seq2seq_halo(module: ConvLSTMSeq2Seq, n_in_frames: int) -> int:
    """A receptive-field radius bound of a ConvLSTM encoder-decoder.

    Every gate convolution of every layer at every encoder and decoder step
    and every output convolution lies on some path from input to output at
    most once, so their radii summed bound the receptive field (per-pixel
    attention adds nothing; frame attention is global and not tileable).

    Parameters
    ----------
    module : ConvLSTMSeq2Seq
        The network.
    n_in_frames : int
        Input frames per sample.

    Returns
    -------
    radius : int
        Pixels of context a predicted pixel can depend on, on each side.
    """
    radius = _kernel_radius(module.encoder)
    n_layers = len(module.encoder.cells)
    n_out = module.n_out_frames
    head = _kernel_radius(module.head)
    if not module.encoder_decoder:
        return radius * n_layers * n_in_frames + head
    first = _kernel_radius(module.first_input)
    return radius * n_layers * (n_in_frames + n_out) + n_out * head + first
