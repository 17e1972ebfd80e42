"""skorch nets with a per-sample weighted loss, and how their batches are made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from skorch import NeuralNet, NeuralNetClassifier
from torch.utils.data import default_collate

from skseq.modules.losses import weighted_class_mean

if TYPE_CHECKING:

    class _NetBase:
        # what SampleWeightNetMixin uses of the skorch net it is mixed into
        device: str | torch.device
        criterion_: torch.nn.Module

        def infer(self, x: Any, **fit_params: Any) -> Any: ...

        def fit_loop(
            self, X: Any, y: Any = None, epochs: int | None = None, **fit_params: Any
        ) -> Any: ...

        def notify(self, method_name: str, **cb_kwargs: Any) -> None: ...

        def partial_fit(
            self, X: Any, y: Any = None, classes: Any = None, **fit_params: Any
        ) -> Any: ...

        def get_loss(
            self,
            y_pred: torch.Tensor,
            y_true: Any,
            X: Any = None,
            training: bool = False,
        ) -> torch.Tensor: ...

else:
    _NetBase = object

__all__ = [
    "SampleWeightNetMixin",
    "WeightedNeuralNet",
    "WeightedNeuralNetClassifier",
    "collate_samples",
]


def collate_samples(batch: list):
    """torch's ``default_collate``, stacking numpy samples in numpy first.

    skorch's dataset hands the DataLoader one row of ``X`` (and ``y``) per
    sample. ``default_collate`` makes a tensor view of each row, which torch
    warns about when the rows are read-only (``sliding_windows`` output, a
    memory map, arrays joblib shares between workers), although it only
    copies them into the batch. Stacking the rows with ``np.stack`` makes the
    same batch, with the same values and dtype, in one new writable array.

    Parameters
    ----------
    batch : list
        The samples: numpy arrays of one dtype and shape, or dicts or tuples
        of them; anything else (mixed dtypes, namedtuples, tensors) goes to
        ``default_collate``.

    Returns
    -------
    Tensor, dict or list
        As ``default_collate`` returns for the same batch.
    """
    sample = batch[0]
    if (
        isinstance(sample, np.ndarray)
        and sample.dtype.kind in "fiub"
        and all(
            isinstance(s, np.ndarray)
            and s.dtype == sample.dtype
            and s.shape == sample.shape
            for s in batch
        )
    ):
        return torch.from_numpy(np.stack(batch))
    if isinstance(sample, Mapping):
        return {key: collate_samples([s[key] for s in batch]) for key in sample}
    if type(sample) is tuple:  # namedtuples keep default_collate's handling
        return [collate_samples(list(field)) for field in zip(*batch, strict=True)]
    return default_collate(batch)


#: key of the sample weights in the dict a weighted fit hands to skorch
_SAMPLE_WEIGHT = "sample_weight"


class SampleWeightNetMixin(_NetBase):
    """skorch net mixin: a per-sample weighted loss.

    A weighted fit hands skorch ``X`` as ``{"X": X, "sample_weight": w}``
    (skorch slices dicts batch by batch, validation split included) and
    builds the criterion with ``reduction="none"``. :meth:`infer` feeds the
    network ``X`` alone; :meth:`get_loss` averages each sample's loss over
    its elements (pixels, lead times) and then the batch's samples weighted
    by ``w`` (normalised by the estimator to a mean of 1 over the training
    set, so that weights of all ones give the unweighted loss). With class
    weights ``c`` in the criterion (``class_weight``) the batch's sum is
    divided by ``sum(c[y])``, as the unweighted cross-entropy does, rather
    than by the batch size: weights of all ones then give the same fit as
    no weights there too (and a batch of classes of weight 0 a loss of 0).
    """

    #: ``torch.autocast`` dtype of the forward pass on CUDA (``precision``),
    #: set by the estimator on the net it builds; None computes in float32
    autocast_dtype: torch.dtype | None = None

    #: whether the last ``fit_loop`` was interrupted (Ctrl-C): skorch's
    #: ``partial_fit`` swallows ``KeyboardInterrupt`` and keeps the epochs
    #: trained so far; :meth:`partial_fit` (which ``fit`` calls) raises it
    #: again, so that the estimator's ``fit`` leaves no half-trained model.
    #: A ``KeyboardInterrupt`` from a callback is not an interruption but
    #: skorch's way to end training (``EarlyStopping`` raises it).
    #: (Names end in ``_``: skorch takes the other attributes of a net for
    #: its parameters.)
    interrupted_: bool = False
    _stopped_by_callback_: bool = False

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        super().partial_fit(X, y, classes=classes, **fit_params)
        if self.interrupted_:
            raise KeyboardInterrupt
        return self

    def notify(self, method_name, **cb_kwargs):
        try:
            super().notify(method_name, **cb_kwargs)
        except KeyboardInterrupt:
            self._stopped_by_callback_ = True
            raise

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        self.interrupted_ = self._stopped_by_callback_ = False
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            self.interrupted_ = not self._stopped_by_callback_
            raise

    def infer(self, x, **fit_params):
        if isinstance(x, Mapping) and _SAMPLE_WEIGHT in x:
            x = x["X"]
        if self.autocast_dtype is None or not str(self.device).startswith("cuda"):
            return super().infer(x, **fit_params)
        with torch.autocast("cuda", dtype=self.autocast_dtype):
            out = super().infer(x, **fit_params)
        # the loss and the predictions in float32
        return out.float() if torch.is_tensor(out) and out.is_floating_point() else out

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        if getattr(self.criterion_, "reduction", "mean") != "none":
            return loss
        per_sample = loss.reshape(len(loss), -1).mean(dim=1)
        if isinstance(X, Mapping) and _SAMPLE_WEIGHT in X:
            weight = torch.as_tensor(
                X[_SAMPLE_WEIGHT], dtype=per_sample.dtype, device=per_sample.device
            )
            per_sample = per_sample * weight
        class_weight = getattr(self.criterion_, "weight", None)
        if torch.is_tensor(class_weight) and torch.is_tensor(y_true):
            # per_sample holds c[y] * loss: the weighted mean of the criterion
            return weighted_class_mean(per_sample, class_weight, y_true)
        return per_sample.mean()


class WeightedNeuralNet(SampleWeightNetMixin, NeuralNet):
    """skorch ``NeuralNet`` with a per-sample weighted loss."""


class WeightedNeuralNetClassifier(SampleWeightNetMixin, NeuralNetClassifier):
    """skorch ``NeuralNetClassifier`` with a per-sample weighted loss."""
