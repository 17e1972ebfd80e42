"""Stacked LSTM over pose-keypoint sequences."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["KeypointLSTMNet"]

_HEADS = ("flatten", "mean", "max", "last")


class KeypointLSTMNet(nn.Module):
    """Stacked LSTM whose head reads the hidden states of every timestep.

    Variable-length input: rows that are entirely NaN at the end of a
    sequence are padding. Sequences are packed
    (:func:`~torch.nn.utils.rnn.pack_padded_sequence`), so padding never
    reaches the LSTM; the hidden states of padded steps are zero (what the
    ``"flatten"`` head sees there), pooling heads ignore them and ``"last"``
    takes the last valid step. The state starts at zero for every sequence.

    Long sequences: with ``patch_length = p > 1`` the LSTM reads ``p``
    consecutive timesteps at once (each step of the LSTM sees a patch of
    ``p * n_features`` values), so a sequence of ``T`` steps takes
    ``ceil(T / p)`` recurrent steps. The recurrence is sequential, so this is
    what keeps a stacked LSTM trainable on sequences of hundreds or
    thousands of steps; with ``p = 1`` the network is the seed's plain
    stacked LSTM.

    Parameters
    ----------
    n_features : int
        Features per timestep (``2 * n_keypoints``).
    n_classes : int
    n_timesteps : int
        Padded sequence length (sets the ``"flatten"`` head's input size).
    hidden_size : int, default=64
    n_layers : int, default=3
    bidirectional : bool, default=False
    dropout : float, default=0.0
        Between LSTM layers and before the output layer.
    head : {"flatten", "mean", "max", "last"}, default="flatten"
    head_units : int, default=64
    patch_length : int, default=1
        Timesteps read by one recurrent step.

    Shape
    -----
    - Input: ``(N, T, n_features)``, NaN rows allowed at the end.
    - Output: ``(N, n_classes)`` logits.
    """

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
    ):
        super().__init__()
        if head not in _HEADS:
            raise ValueError(f"head must be one of {_HEADS}; got {head!r}.")
        if patch_length < 1:
            raise ValueError(f"patch_length must be >= 1; got {patch_length}.")
        self.head_mode = head
        self.patch_length = patch_length
        self.n_timesteps = n_timesteps
        self.n_steps = -(-n_timesteps // patch_length)
        self.lstm = nn.LSTM(
            n_features * patch_length,
            hidden_size,
            num_layers=n_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if n_layers > 1 else 0.0,
        )
        state_size = hidden_size * (2 if bidirectional else 1)
        head_in = state_size * self.n_steps if head == "flatten" else state_size
        self.head = nn.Sequential(
            nn.Linear(head_in, head_units),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(head_units, n_classes),
        )

    def _patches(self, x: Tensor) -> Tensor:
        """``(N, T, F)`` -> ``(N, ceil(T / p), p * F)``, NaN-padded to a multiple."""
        p = self.patch_length
        if p == 1:
            return x
        batch, length, n_features = x.shape
        x = F.pad(x, (0, 0, 0, -length % p), value=float("nan"))
        return x.reshape(batch, -1, p * n_features)

    def forward(self, x: Tensor) -> Tensor:
        x = self._patches(x)
        batch, length, _ = x.shape
        valid = ~torch.isnan(x).all(dim=2)  # (N, T)
        lengths = valid.sum(dim=1).clamp(min=1)
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
            packed = pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            out, _ = self.lstm(packed)
            states, _ = pad_packed_sequence(out, batch_first=True, total_length=length)
        if self.head_mode == "flatten":
            if length != self.n_steps:
                raise ValueError(
                    f"head='flatten' was built for {self.n_timesteps} timesteps; got "
                    f"{length * self.patch_length}. Pad sequences with NaN rows to "
                    "that length."
                )
            features = states.reshape(batch, -1)
        elif self.head_mode == "mean":
            features = (states * mask).sum(dim=1) / lengths[:, None].to(states.dtype)
        elif self.head_mode == "max":
            features = states.masked_fill(~mask, float("-inf")).amax(dim=1)
        else:
            features = states[torch.arange(batch, device=x.device), lengths - 1]
        return self.head(features)
