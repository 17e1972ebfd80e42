"""Stacked LSTM over pose-keypoint and other multichannel sequences."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from skseq.modules.conv1d import Conv1DEncoder, classifier_head, global_pool
from skseq.modules.layers import sequence_lengths

__all__ = ["KeypointLSTMNet"]

_HEADS = ("flatten", "mean", "max", "meanmax", "last")
_FRONT_ENDS = (None, "conv")


class KeypointLSTMNet(nn.Module):
    """Stacked LSTM whose head reads the hidden states of every timestep.

    Variable-length input: rows that are entirely NaN at the end of a
    sequence are padding. Sequences are packed
    (:func:`~torch.nn.utils.rnn.pack_padded_sequence`), so padding does
    not reach the LSTM (but see ``patch_length`` below); the hidden states
    of padded steps are zero (what the ``"flatten"`` head sees there),
    pooling heads ignore them and ``"last"``
    takes the last valid step (of a bidirectional LSTM, the forward state
    there and the backward state at the first step, the one that has read
    the whole sequence). The state starts at zero for every sequence.

    Convolutional front end (``front_end="conv"``): a
    :class:`~skseq.modules.Conv1DEncoder` (residual Conv1D blocks, each
    halving the time axis, behind an optional downsampling stem) turns the
    input into a shorter sequence of local features, which the LSTM reads
    step by step, as DeepConvLSTM [1]_ reads convolutional features of
    sensor data; the head is then the Conv1D classifier's (Linear ->
    BatchNorm -> ELU -> Dropout -> Linear). With ``conv_skip=True`` the head
    also reads the front end's features pooled over time (their mean and
    maximum over the valid steps, what the Conv1D classifier's head reads),
    beside the LSTM's: a skip connection around the LSTM. With
    ``front_end=None`` the LSTM reads the raw timesteps and the head is
    Linear -> ReLU -> Dropout -> Linear.

    Long sequences: with ``patch_length = p > 1`` the LSTM reads ``p``
    consecutive timesteps at once (each step of the LSTM sees a patch of
    ``p * n_features`` values), so a sequence of ``T`` steps takes
    ``ceil(T / p)`` recurrent steps. The recurrence is sequential, so this is
    what keeps a stacked LSTM trainable on sequences of hundreds or
    thousands of steps; with ``p = 1`` the network is the seed's plain
    stacked LSTM. A patch is padding only if all its steps are: the padded
    steps of a sequence's last, partial patch reach the LSTM as zeros (in
    the estimator, the channel means).

    Parameters
    ----------
    n_features : int
        Features per timestep (``2 * n_keypoints``).
    n_classes : int
        Classes, one logit each.
    n_timesteps : int
        Padded sequence length (sets the ``"flatten"`` head's input size).
    hidden_size : int, default=64
        Hidden units of each LSTM layer (per direction).
    n_layers : int, default=3
        Stacked LSTM layers.
    bidirectional : bool, default=False
        Run each LSTM layer in both directions.
    dropout : float, default=0.0
        Between LSTM layers and before the output layer.
    head : {"flatten", "mean", "max", "meanmax", "last"}, default="flatten"
        What the head reads: the hidden states of every step concatenated,
        their mean, maximum or both (over valid steps), or the last valid
        state.
    head_units : int, default=64
        Units of the head's hidden layer.
    patch_length : int, default=1
        Steps (timesteps, or front-end steps) read by one recurrent step.
    front_end : {None, "conv"}, default=None
        None: the LSTM reads the timesteps; ``"conv"``: it reads the features
        of a Conv1D encoder.
    conv_channels : tuple of int, default=(32, 64, 64)
        With ``front_end="conv"``: output channels of each residual block.
    kernel_size : int, default=9
        With ``front_end="conv"``: kernel of the convolutions.
    conv_dropout : float, default=0.1
        With ``front_end="conv"``: spatial dropout after each block.
    differences : bool, default=False
        With ``front_end="conv"``: first differences as extra input channels.
    downsample : int, default=1
        With ``front_end="conv"``: the encoder's stem factor.
    sequence_scaling : bool, default=False
        With ``front_end="conv"``: each sequence standardised on its own,
        with its mean and log standard deviation as channels
        (:class:`~skseq.modules.Conv1DEncoder`).
    conv_skip : bool, default=False
        With ``front_end="conv"`` only: the head also reads the mean and
        maximum over time of the front end's features.

    References
    ----------
    .. [1] F. J. Ordóñez and D. Roggen, "Deep convolutional and LSTM
       recurrent neural networks for multimodal wearable activity
       recognition", Sensors 16(1), 115, 2016.
    """

    # False in networks pickled by skseq <= 0.1 (see ``__init__``)
    last_backward_first: bool = False
    conv_skip: bool = False

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        n_timesteps: int,
        hidden_size: int = 64,
        n_layers: int = 3,
        bidirectional: bool = False,
        dropout: float = 0.0,
        head: str = "flatten",
        head_units: int = 64,
        patch_length: int = 1,
        front_end: str | None = None,
        conv_channels: tuple[int, ...] = (32, 64, 64),
        kernel_size: int = 9,
        conv_dropout: float = 0.1,
        differences: bool = False,
        downsample: int = 1,
        sequence_scaling: bool = False,
        conv_skip: bool = False,
    ):
        super().__init__()
        if head not in _HEADS:
            raise ValueError(f"head must be one of {_HEADS}; got {head!r}.")
        if front_end not in _FRONT_ENDS:
            raise ValueError(
                f"front_end must be one of {_FRONT_ENDS}; got {front_end!r}."
            )
        if patch_length < 1:
            raise ValueError(f"patch_length must be >= 1; got {patch_length}.")
        if conv_skip and front_end != "conv":
            raise ValueError("conv_skip=True needs front_end='conv'.")
        self.head_mode = head
        # "last" of a bidirectional LSTM: the backward direction's state at the
        # first step (it has read the whole sequence there). Networks pickled
        # by skseq <= 0.1 lack this attribute and keep reading both
        # directions at the last step (the class attribute below).
        self.last_backward_first = True
        self.patch_length = patch_length
        self.n_timesteps = n_timesteps
        self.conv_skip = conv_skip
        if front_end == "conv":
            self.encoder: Conv1DEncoder | None = Conv1DEncoder(
                n_features,
                tuple(conv_channels),
                kernel_size,
                "elu",
                conv_dropout,
                differences=differences,
                downsample=downsample,
                sequence_scaling=sequence_scaling,
            )
            n_inputs = self.encoder.out_channels
            n_encoded = self.encoder.output_length(n_timesteps)
        else:
            self.encoder = None
            n_inputs, n_encoded = n_features, n_timesteps
        self.n_steps = -(-n_encoded // patch_length)
        self.lstm = nn.LSTM(
            n_inputs * patch_length,
            hidden_size,
            num_layers=n_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if n_layers > 1 else 0.0,
        )
        state_size = hidden_size * (2 if bidirectional else 1)
        head_sizes = {"flatten": state_size * self.n_steps, "meanmax": 2 * state_size}
        head_in = head_sizes.get(head, state_size)
        if conv_skip:
            head_in += 2 * n_inputs  # the front end's mean and maximum
        if self.encoder is None:
            self.head = nn.Sequential(
                nn.Linear(head_in, head_units),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(head_units, n_classes),
            )
        else:
            self.head = classifier_head(head_in, head_units, n_classes, "elu", dropout)

    def _encode(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """``(N, T, F)`` -> the front end's ``(N, T', C)``, padded steps NaN,
        and with ``conv_skip`` its features pooled over time, ``(N, 2C)``."""
        if self.encoder is None:
            return x, None
        h, mask = self.encoder(x)
        pooled = global_pool(h, mask) if self.conv_skip else None
        if mask is not None:
            h = h.masked_fill(mask == 0, float("nan"))
        return h.transpose(1, 2), pooled

    def _patches(self, x: Tensor) -> Tensor:
        """``(N, T, F)`` -> ``(N, ceil(T / p), p * F)``, NaN-padded to a multiple."""
        p = self.patch_length
        if p == 1:
            return x
        batch, length, n_features = x.shape
        x = F.pad(x, (0, 0, 0, -length % p), value=float("nan"))
        return x.reshape(batch, -1, p * n_features)

    def forward(self, x: Tensor) -> Tensor:
        """Classify a batch of sequences.

        Parameters
        ----------
        x : Tensor of shape (N, T, n_features)
            Sequences; rows that are entirely NaN at the end are padding.
            ``head="flatten"`` needs ``T == n_timesteps``.

        Returns
        -------
        logits : Tensor of shape (N, n_classes)
            Class scores before the softmax.
        """
        n_timesteps = x.shape[1]
        x, pooled_front_end = self._encode(x)
        x = self._patches(x)
        batch, length, _ = x.shape
        # up to the last row with a value: a NaN row inside is a missing step
        lengths = sequence_lengths(x).clamp(min=1)
        x = torch.nan_to_num(x, nan=0.0)
        mask = (torch.arange(length, device=x.device)[None, :] < lengths[:, None])[
            ..., None
        ]
        if torch.compiler.is_exporting():
            # Packed sequences cannot be exported (torch.export / ONNX). A
            # forward LSTM's states at valid steps do not depend on the
            # trailing padding, so zeroing the padded steps gives what packing
            # gives. A backward direction would read the padding first: a
            # bidirectional graph is exact only for unpadded sequences and
            # returns NaN for padded ones rather than a different answer.
            states = self.lstm(x)[0] * mask
            if self.lstm.bidirectional:
                padded = ~mask.all(dim=1, keepdim=True)  # (N, 1, 1)
                states = states.masked_fill(padded, float("nan"))
        else:
            weights_dtype = next(self.lstm.parameters()).dtype
            packed = pack_padded_sequence(
                x.to(weights_dtype),
                lengths.cpu(),
                batch_first=True,
                enforce_sorted=False,
            )
            # in the weights' precision outside any autocast: CUDA's runs
            # cuDNN's LSTM in float16 even under a bfloat16 autocast
            with torch.autocast(x.device.type, enabled=False):
                out, _ = self.lstm(packed)
            states, _ = pad_packed_sequence(out, batch_first=True, total_length=length)
        if self.head_mode == "flatten":
            if length != self.n_steps:
                raise ValueError(
                    f"head='flatten' was built for {self.n_timesteps} timesteps; got "
                    f"{n_timesteps}. Pad sequences with NaN rows to "
                    "that length."
                )
            features = states.reshape(batch, -1)
        elif self.head_mode in ("mean", "max", "meanmax"):
            pooled = []
            if self.head_mode != "max":
                total = (states * mask).sum(dim=1)
                pooled.append(total / lengths[:, None].to(states.dtype))
            if self.head_mode != "mean":
                pooled.append(states.masked_fill(~mask, float("-inf")).amax(dim=1))
            features = torch.cat(pooled, dim=1)
        else:
            features = states[torch.arange(batch, device=x.device), lengths - 1]
            if self.lstm.bidirectional and self.last_backward_first:
                # the backward direction's state at the last valid step has
                # read that step only; at step 0 it has read the sequence
                hidden = self.lstm.hidden_size
                features = torch.cat([features[:, :hidden], states[:, 0, hidden:]], 1)
        if pooled_front_end is not None:
            features = torch.cat([features, pooled_front_end.to(features.dtype)], 1)
        return self.head(features)
