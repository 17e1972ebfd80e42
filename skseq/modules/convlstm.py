"""Convolutional LSTM networks (Shi et al. 2015) and the seq2seq forecaster."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ConvLSTM", "ConvLSTMCell", "ConvLSTMSeq2Seq", "TemporalAttention"]


class ConvLSTMCell(nn.Module):
    """One ConvLSTM step: all four gates from ONE convolution over ``[x, h]``.

    ``i, f, o, g = split(conv([x, h]))``; ``c' = σ(f) c + σ(i) tanh(g)``;
    ``h' = σ(o) tanh(c')``.

    Parameters
    ----------
    in_channels : int
        Channels of the input ``x``.
    hidden_channels : int
        Channels of the hidden state ``h`` and the cell state ``c``.
    kernel_size : int, default=3
        Odd spatial kernel ("same" padding).
    bias : bool, default=True
        Whether the gate convolution has a bias.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        kernel_size: int = 3,
        bias: bool = True,
    ):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd; got {kernel_size}.")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.gates = nn.Conv2d(
            in_channels + hidden_channels,
            4 * hidden_channels,
            kernel_size,
            padding=kernel_size // 2,
            bias=bias,
        )

    def init_state(
        self,
        batch: int,
        height: int,
        width: int,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Return zero hidden and cell states.

        Parameters
        ----------
        batch : int
            Samples ``N``.
        height : int
            Frame height ``H``.
        width : int
            Frame width ``W``.
        device : torch.device, str or None, default=None
            Device of the states; None is torch's default device.
        dtype : torch.dtype or None, default=None
            Dtype of the states; None is torch's default dtype.

        Returns
        -------
        h : Tensor of shape (batch, hidden_channels, height, width)
            Hidden state, zeros.
        c : Tensor of shape (batch, hidden_channels, height, width)
            Cell state, zeros.
        """
        shape = (batch, self.hidden_channels, height, width)
        zeros = torch.zeros(shape, device=device, dtype=dtype)
        return zeros, zeros.clone()

    def forward(
        self, x: Tensor, state: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        """Run one step.

        Parameters
        ----------
        x : Tensor of shape (N, in_channels, H, W)
            Input at this step.
        state : tuple of Tensor or None, default=None
            ``(h, c)`` of the previous step, each of shape
            ``(N, hidden_channels, H, W)``; None starts from zeros.

        Returns
        -------
        h : Tensor of shape (N, hidden_channels, H, W)
            New hidden state.
        c : Tensor of shape (N, hidden_channels, H, W)
            New cell state.
        """
        if torch.is_inference_mode_enabled():
            return self._forward_inference(x, state)
        if state is None:
            height, width = x.shape[-2:]
            state = self.init_state(x.shape[0], height, width, x.device, x.dtype)
        h, c = state
        i, f, o, g = self.gates(torch.cat([x, h], dim=1)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c

    def _forward_inference(
        self, x: Tensor, state: tuple[Tensor, Tensor] | None
    ) -> tuple[Tensor, Tensor]:
        """The same step, faster, under ``torch.inference_mode``.

        Equal to the training path up to rounding (within ``1e-6``, tested);
        taken only in inference mode, so training and skorch's validation
        loss (computed under ``no_grad``) are bit-for-bit unchanged, as
        PyTorch's own inference fast paths (``nn.MultiheadAttention``). The
        gate convolution runs in ``channels_last`` (oneDNN's fast layout on
        CPU); all four gates go through ONE sigmoid over the contiguous
        output, the cell input's pre-activation doubled in the weights
        (exact: a power of two) so that ``tanh(g) = 2 sigmoid(2 g) - 1``,
        and so is ``tanh(c)`` (sigmoid is several times faster than tanh on
        CPU); without a state the convolution over the zero hidden state and
        the forget term are skipped.
        """
        conv = self.gates
        hidden = self.hidden_channels
        weight = torch.cat([conv.weight[: 3 * hidden], 2 * conv.weight[3 * hidden :]])
        bias = None
        if conv.bias is not None:
            bias = torch.cat([conv.bias[: 3 * hidden], 2 * conv.bias[3 * hidden :]])
        if state is None:  # few input channels: the default layout is faster
            weight, inputs, c = weight[:, : self.in_channels].contiguous(), x, None
        else:
            h, c = state
            inputs = torch.cat([x, h], dim=1).contiguous(
                memory_format=torch.channels_last
            )
            weight = weight.contiguous(memory_format=torch.channels_last)
        # the state in float32 under autocast too (as the training path's)
        gates = F.conv2d(inputs, weight, bias, padding=conv.padding).float().sigmoid_()
        i, f, o, g = gates.chunk(4, dim=1)
        # c = i tanh(g) = 2 i s(2g) - i, then + f c; h = o tanh(c) = 2 o s(2c) - o
        c_new = torch.addcmul(-i, i, g, value=2)
        if c is not None:
            c_new.addcmul_(f, c)
        h_new = torch.addcmul(-o, o, (2 * c_new).sigmoid_(), value=2)
        return h_new, c_new


class ConvLSTM(nn.Module):
    """Stacked ConvLSTM layers over a frame sequence.

    Parameters
    ----------
    in_channels : int
        Channels of each input frame.
    hidden_channels : int
        Hidden channels of every layer.
    n_layers : int, default=2
        Stacked :class:`~skseq.modules.ConvLSTMCell` layers.
    kernel_size : int, default=3
        Odd spatial kernel of every layer.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        n_layers: int = 2,
        kernel_size: int = 3,
    ):
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1; got {n_layers}.")
        self.cells = nn.ModuleList(
            ConvLSTMCell(
                in_channels if k == 0 else hidden_channels, hidden_channels, kernel_size
            )
            for k in range(n_layers)
        )

    def forward(
        self, x: Tensor, states: list[tuple[Tensor, Tensor]] | None = None
    ) -> tuple[Tensor, list[tuple[Tensor, Tensor]]]:
        """Run the layers over the frame sequence.

        Parameters
        ----------
        x : Tensor of shape (N, T, in_channels, H, W)
            Input frames.
        states : list of tuple of Tensor or None, default=None
            Initial ``(h, c)`` of every layer, each of shape
            ``(N, hidden_channels, H, W)``; None starts from zeros.

        Returns
        -------
        outputs : Tensor of shape (N, T, hidden_channels, H, W)
            Hidden states of the last layer at every step.
        states : list of tuple of Tensor
            Final ``(h, c)`` of every layer, each of shape
            ``(N, hidden_channels, H, W)``.
        """
        layer_states: list[tuple[Tensor, Tensor] | None] = (
            list(states) if states is not None else [None] * len(self.cells)
        )
        outputs = []
        for t in range(x.shape[1]):
            inp = x[:, t]
            for k, cell in enumerate(self.cells):
                state = cell(inp, layer_states[k])
                layer_states[k] = state
                inp = state[0]
            outputs.append(inp)
        # every layer has run (or ``states`` came in): no None left
        return torch.stack(outputs, dim=1), cast(
            "list[tuple[Tensor, Tensor]]", layer_states
        )


class TemporalAttention(nn.Module):
    """Attention of a decoder hidden state over all encoder hidden states.

    Scores are scaled dot products of 1x1-projected query (decoder state) and
    keys (encoder states). ``mode="pixel"``: one score per encoder frame and
    pixel, softmaxed over time at every pixel, so different regions can look
    back at different times; ``mode="frame"``: scores averaged over the frame,
    one weight per encoder frame.

    Parameters
    ----------
    hidden_channels : int
        Channels ``C`` of the decoder and encoder states.
    mode : {"pixel", "frame"}, default="pixel"
        One weight per encoder frame and pixel, or per encoder frame.
    """

    def __init__(self, hidden_channels: int, mode: str = "pixel"):
        super().__init__()
        if mode not in ("pixel", "frame"):
            raise ValueError(f"mode must be 'pixel' or 'frame'; got {mode!r}.")
        self.mode = mode
        self.query = nn.Conv2d(hidden_channels, hidden_channels, 1)
        self.key = nn.Conv2d(hidden_channels, hidden_channels, 1)
        self.scale = hidden_channels**-0.5

    def project_keys(self, keys: Tensor) -> Tensor:
        """Project the encoder states, once per sequence.

        Parameters
        ----------
        keys : Tensor of shape (N, T, C, H, W)
            Encoder hidden states.

        Returns
        -------
        projected_keys : Tensor of shape (N, T, C, H, W)
            The keys' 1x1 projection, for :meth:`forward`.
        """
        n, t = keys.shape[:2]
        return self.key(keys.flatten(0, 1)).unflatten(0, (n, t))

    def forward(
        self, query: Tensor, keys: Tensor, projected_keys: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Attend from a decoder state over the encoder states.

        Parameters
        ----------
        query : Tensor of shape (N, C, H, W)
            Decoder hidden state.
        keys : Tensor of shape (N, T, C, H, W)
            Encoder hidden states.
        projected_keys : Tensor of shape (N, T, C, H, W) or None, default=None
            ``project_keys(keys)``, which a decoder computes once per
            sequence; None projects ``keys`` here.

        Returns
        -------
        context : Tensor of shape (N, C, H, W)
            Sum over time of the encoder states times their weights.
        weights : Tensor of shape (N, T, H, W) or (N, T, 1, 1)
            Attention weights (``mode="pixel"`` or ``"frame"``), summing to
            one over ``T``.
        """
        if projected_keys is None:
            projected_keys = self.project_keys(keys)
        q = self.query(query)[:, None]  # (N, 1, C, H, W)
        scores = (q * projected_keys).sum(dim=2) * self.scale  # (N, T, H, W)
        if self.mode == "frame":
            scores = scores.mean(dim=(2, 3), keepdim=True)
        weights = torch.softmax(scores, dim=1)
        context = (weights[:, :, None] * keys).sum(dim=1)
        return context, weights


class ConvLSTMSeq2Seq(nn.Module):
    """ConvLSTM forecaster: encoder-decoder with attention, or the plain model.

    ``encoder_decoder=True``: a stacked ConvLSTM encoder reads the input
    frames; a decoder ConvLSTM, initialised with the encoder's final states,
    unrolls one step per output frame. Its input at each step is the previous
    prediction (at the first step, the last input frame projected to the
    output channels by a 1x1 convolution). With ``attention=True`` every
    decoder step attends over all encoder hidden states and the context is
    concatenated with the decoder state before a 3x3 output convolution.

    Known future inputs: ``future_pairs`` names input channels that hold the
    sine and cosine of a phase advancing by ``future_steps`` radians per
    frame (calendar channels of :class:`~skseq.preprocessing.Heatmapper`).
    The decoder step of output frame ``k`` (1-based) then also receives
    these channels of the last input frame rotated forward by ``k`` steps,
    ``(sin, cos)(phase + k * step)`` -- the calendar of the frame it predicts.

    ``encoder_decoder=False``: the plain model of the traffic-heatmap study, a stacked ConvLSTM
    over the inputs and one 3x3 convolution on its last hidden state emitting
    all output frames at once.

    Parameters
    ----------
    in_channels : int
        Channels of each input frame.
    out_channels : int
        Channels of each output frame.
    n_out_frames : int
        Output frames predicted.
    hidden_channels : int, default=16
        Hidden channels of every ConvLSTM layer.
    n_layers : int, default=2
        Stacked layers of the encoder (and of the decoder).
    kernel_size : int, default=3
        Odd spatial kernel of the ConvLSTM layers.
    encoder_decoder : bool, default=True
        The encoder-decoder (True) or the plain model (False), see above.
    attention : bool, default=True
        Decoder attention over the encoder states (needs
        ``encoder_decoder=True``).
    attention_mode : {"pixel", "frame"}, default="pixel"
        Attention weights per encoder frame and pixel, or per encoder frame
        (:class:`~skseq.modules.TemporalAttention`).
    future_pairs : sequence of (int, int), default=()
        Input channels ``(sin, cos)`` of cyclic known-future inputs.
    future_steps : sequence of float, default=()
        Phase advance per frame of each pair, in radians.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        n_out_frames: int,
        hidden_channels: int = 16,
        n_layers: int = 2,
        kernel_size: int = 3,
        encoder_decoder: bool = True,
        attention: bool = True,
        attention_mode: str = "pixel",
        future_pairs: Sequence[tuple[int, int]] = (),
        future_steps: Sequence[float] = (),
    ):
        super().__init__()
        if attention and not encoder_decoder:
            raise ValueError("attention=True needs encoder_decoder=True.")
        if len(future_pairs) != len(future_steps):
            raise ValueError("future_pairs and future_steps must have equal length.")
        if future_pairs and not encoder_decoder:
            raise ValueError("Known future inputs need encoder_decoder=True.")
        self.future_pairs = [tuple(int(c) for c in pair) for pair in future_pairs]
        self.future_steps = [float(step) for step in future_steps]
        self.n_out_frames = n_out_frames
        self.out_channels = out_channels
        self.encoder_decoder = encoder_decoder
        self.encoder = ConvLSTM(in_channels, hidden_channels, n_layers, kernel_size)
        if not encoder_decoder:
            self.head = nn.Conv2d(
                hidden_channels, n_out_frames * out_channels, 3, padding=1
            )
            return
        self.first_input = nn.Conv2d(in_channels, out_channels, 1)
        self.decoder = ConvLSTM(
            out_channels + 2 * len(self.future_pairs),
            hidden_channels,
            n_layers,
            kernel_size,
        )
        self.attention = (
            TemporalAttention(hidden_channels, attention_mode) if attention else None
        )
        head_in = hidden_channels * (2 if attention else 1)
        self.head = nn.Conv2d(head_in, out_channels, 3, padding=1)

    def future_inputs(self, x: Tensor, k: int) -> Tensor:
        """Compute the known-future channels of output frame ``k``.

        The ``(sin, cos)`` pairs of the last input frame rotated forward by
        ``k`` phase steps (exact for phases that advance linearly in time).

        Parameters
        ----------
        x : Tensor of shape (N, T_in, in_channels, H, W)
            Input frames.
        k : int
            Output frame, 1-based.

        Returns
        -------
        future : Tensor of shape (N, 2 * len(future_pairs), H, W)
            The rotated ``(sin, cos)`` of each pair, in the order of
            ``future_pairs``.
        """
        last = x[:, -1]
        rotated = []
        for (i_sin, i_cos), step in zip(self.future_pairs, self.future_steps):
            sin, cos = last[:, i_sin], last[:, i_cos]
            c, s = math.cos(k * step), math.sin(k * step)
            rotated += [sin * c + cos * s, cos * c - sin * s]
        return torch.stack(rotated, dim=1)

    def forward(self, x: Tensor) -> Tensor:
        """Forecast the output frames.

        Parameters
        ----------
        x : Tensor of shape (N, T_in, in_channels, H, W)
            Input frames.

        Returns
        -------
        frames : Tensor of shape (N, n_out_frames, out_channels, H, W)
            The predicted frames.
        """
        encoded, states = self.encoder(x)
        if not self.encoder_decoder:
            out = self.head(encoded[:, -1])
            return out.unflatten(1, (self.n_out_frames, self.out_channels))
        projected = self.attention.project_keys(encoded) if self.attention else None
        step_input = self.first_input(x[:, -1])
        outputs = []
        for k in range(1, self.n_out_frames + 1):
            decoder_input = step_input
            if self.future_pairs:
                decoder_input = torch.cat([step_input, self.future_inputs(x, k)], 1)
            decoded, states = self.decoder(decoder_input[:, None], states)
            h = decoded[:, 0]
            if self.attention is not None:
                context, _ = self.attention(h, encoded, projected)
                h = torch.cat([h, context], dim=1)
            step_input = self.head(h)
            outputs.append(step_input)
        return torch.stack(outputs, dim=1)
