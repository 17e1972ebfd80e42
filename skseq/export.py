"""Export fitted skseq models for serving: ONNX graphs and safetensors weights.

:func:`to_onnx` turns a fitted deep estimator, or a :class:`~sklearn.pipeline.Pipeline`
of skseq transformers followed by one, into a self-contained ONNX graph that
reproduces ``predict`` / ``predict_proba`` -- preprocessing, the estimator's own
input scaling, the network and the post-processing (softmax and class labels,
inverse log transform, output clipping, the layout of ``y``) -- so it runs in
:mod:`onnxruntime` (or any ONNX runtime) without torch, skorch, scikit-learn or
skseq. The graph is composed as a torch module (:func:`export_module`) and
exported with :func:`torch.onnx.export` (the ``torch.export``-based exporter).

:func:`save_weights` / :func:`load_weights` are the light alternative: the
network's weights in a `safetensors <https://huggingface.co/docs/safetensors>`_
file, loaded back into an estimator fitted (or warm-started) on data of the
same shapes.

Needs skseq's ``export`` extra: onnx, onnxruntime, onnxscript and safetensors
(``pip install -e ".[export]"`` in a checkout; see the installation page).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import warnings
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from torch import Tensor, nn

from skseq.modules.layers import sequence_lengths
from skseq.utils.validation import as_array_input, check_file_path, to_numeric_array

if TYPE_CHECKING:
    import onnx
    from numpy.typing import ArrayLike, DTypeLike
    from sklearn.base import BaseEstimator

    from skseq.estimators._base import BaseDeepEstimator
    from skseq.modules.unet import RecursiveNowcastNet

#: the estimator given to :func:`load_weights`, which returns it
_DeepEstimator = TypeVar("_DeepEstimator", bound="BaseDeepEstimator")

__all__ = ["export_module", "load_weights", "save_weights", "to_onnx"]

#: name of the graph's input
INPUT_NAME = "X"


# ----------------------------------------------------------------- transformers
class _LogTransform(nn.Module):
    """:class:`~skseq.preprocessing.LogTransformer`: ``log(x + offset)``."""

    def __init__(self, offset: float):
        super().__init__()
        self.offset = float(offset)

    def forward(self, x: Tensor) -> Tensor:
        return torch.log(x + self.offset)


class _DerivativeIntegral(nn.Module):
    """:class:`~skseq.preprocessing.DerivativeIntegralFeatures` of ``(N, T, C)``.

    ``numpy.gradient`` (central differences, one-sided at the ends),
    ``scipy.integrate.cumulative_trapezoid(initial=0)`` and
    ``scipy.signal.detrend(type="linear")``, all along the time axis, in the
    input's dtype. NaN-padded sequences (rows of NaN at the end) are
    computed on their valid steps only, their padding left NaN, as the
    transformer does: one-sided differences at their last valid step and the
    detrending line fitted to their valid steps.
    """

    def __init__(self, blocks: list[tuple[str, int]], dt: float, detrend: bool):
        super().__init__()
        self.blocks = list(blocks)
        self.dt = float(dt)
        self.detrend = bool(detrend)

    def _gradient(self, x: Tensor, step: Tensor, length: Tensor) -> Tensor:
        diff = (x[:, 1:] - x[:, :-1]) / self.dt
        zero = torch.zeros_like(x[:, :1])
        forward = torch.cat([diff, zero], dim=1)
        backward = torch.cat([zero, diff], dim=1)
        central = torch.cat([zero, (x[:, 2:] - x[:, :-2]) / (2 * self.dt), zero], 1)
        out = torch.where(step == length - 1, backward, central)
        return torch.where(step == 0, forward, out)

    def _integral(self, x: Tensor, step: Tensor, length: Tensor) -> Tensor:
        steps = (x[:, 1:] + x[:, :-1]) * (self.dt / 2)
        out = torch.cat([torch.zeros_like(x[:, :1]), torch.cumsum(steps, dim=1)], 1)
        if not self.detrend:
            return out
        valid = (step < length).to(x.dtype)
        t = (step - (length - 1) / 2) * valid  # centred on each sequence's steps
        centred = (out - (out * valid).sum(dim=1, keepdim=True) / length) * valid
        spread = (t * t).sum(dim=1, keepdim=True)
        slope = (t * centred).sum(dim=1, keepdim=True) / torch.where(
            spread > 0, spread, torch.ones_like(spread)
        )
        return centred - slope * t

    def forward(self, x: Tensor) -> Tensor:
        padding = torch.isnan(x).all(dim=2, keepdim=True)  # (N, T, 1)
        length = (~padding).sum(dim=1, keepdim=True).to(x.dtype)
        step = torch.arange(x.shape[1], dtype=x.dtype, device=x.device)[None, :, None]
        x = torch.where(padding, torch.zeros_like(x), x)
        parts = []
        for kind, order in self.blocks:
            block = x
            op = self._gradient if kind == "d" else self._integral
            for _ in range(order):  # valid steps never read the padding
                block = op(block, step, length)
            parts.append(block)
        out = torch.cat(parts, dim=2)
        return torch.where(padding, torch.full_like(out, float("nan")), out)


class _KeypointNormalize(nn.Module):
    """:meth:`~skseq.preprocessing.KeypointNormalizer.transform` of ``(N, T, 2K)``.

    Computed in float64 like the transformer (NaN-aware means, numpy's
    median of an even count: the mean of the two middle values).
    """

    def __init__(self, root_joint, reference, missing: str):
        super().__init__()
        self.root_joint = root_joint
        self.reference = None if reference is None else tuple(reference)
        self.missing = missing

    @staticmethod
    def _nanmean(x: Tensor, dim: int, keepdim: bool = False) -> Tensor:
        valid = ~torch.isnan(x)
        total = torch.where(valid, x, torch.zeros_like(x)).sum(dim, keepdim=keepdim)
        return total / valid.sum(dim, keepdim=keepdim).to(x.dtype)

    @staticmethod
    def _nanmedian_last(x: Tensor) -> Tensor:
        """numpy's ``nanmedian`` over the last axis (NaN if all NaN)."""
        valid = ~torch.isnan(x)
        count = valid.sum(-1, keepdim=True)
        ordered = torch.sort(torch.where(valid, x, torch.full_like(x, np.inf)), -1)[0]
        low = torch.gather(ordered, -1, ((count - 1) // 2).clamp(min=0))
        high = torch.gather(ordered, -1, (count // 2).clamp(max=x.shape[-1] - 1))
        median = (low + high) / 2
        return torch.where(count > 0, median, torch.full_like(median, np.nan))[..., 0]

    def forward(self, x: Tensor) -> Tensor:
        dtype = x.dtype
        n, length = x.shape[0], x.shape[1]
        P = x.to(torch.float64).reshape(n, length, -1, 2)
        if self.missing == "nan":
            missing = torch.isnan(P).any(dim=-1)
        else:
            missing = (P == 0).all(dim=-1)
        P = P.masked_fill(missing[..., None], np.nan)
        frame_mean = self._nanmean(P, dim=2, keepdim=True)
        if self.root_joint is None:
            centre = frame_mean
        else:
            root = P[:, :, self.root_joint : self.root_joint + 1]
            centre = torch.where(torch.isnan(root), frame_mean, root)
        P = P - centre
        spread = self._nanmedian_last(
            torch.sqrt(self._nanmean((P**2).sum(dim=-1), dim=2))
        )
        if self.reference is not None:
            a, b = self.reference
            length_ = torch.linalg.vector_norm(P[:, :, a] - P[:, :, b], dim=-1)
            scale = self._nanmedian_last(length_)
            # reference joints never both visible: the sequence's spread
            usable = torch.isfinite(scale) & (scale > 0)
            scale = torch.where(usable, scale, spread)
        else:
            scale = spread
        ok = torch.isfinite(scale) & (scale > 0)
        scale = torch.where(ok, scale, torch.ones_like(scale))
        P = P / scale[:, None, None, None]
        fill = np.nan if self.missing == "nan" else 0.0
        P = P.masked_fill(torch.isnan(P).any(dim=-1, keepdim=True), fill)
        return P.reshape(n, length, -1).to(dtype)


def _transformer_module(name: str, transformer) -> nn.Module:
    """The tensor equivalent of a fitted transformer (3D sequences or frames)."""
    from skseq.preprocessing import (
        DerivativeIntegralFeatures,
        KeypointNormalizer,
        LogTransformer,
        RollAugmenter,
    )

    check_is_fitted(transformer)
    if type(transformer) is RollAugmenter:
        return nn.Identity()  # augments training data only
    if type(transformer) is LogTransformer:
        return _LogTransform(transformer.offset)
    if type(transformer) is DerivativeIntegralFeatures:
        if transformer.input_ndim_ != 3:
            raise ValueError(
                f"to_onnx exports DerivativeIntegralFeatures (step {name!r}) for 3D "
                "sequences (n_samples, n_timesteps, n_channels) only; it was fitted "
                "on 2D input."
            )
        return _DerivativeIntegral(
            transformer._blocks(), transformer.dt, transformer.detrend_integrals
        )
    if type(transformer) is KeypointNormalizer:
        # fitted before the rank was recorded: as exported then (sequences)
        if getattr(transformer, "input_ndim_", 3) != 3:
            raise ValueError(
                f"to_onnx exports KeypointNormalizer (step {name!r}) for 3D "
                "keypoint sequences (n_samples, n_timesteps, 2 * n_joints) only; "
                "it was fitted on single frames (2D input)."
            )
        return _KeypointNormalize(
            transformer.root_joint, transformer.reference, transformer.missing
        )
    raise TypeError(
        f"to_onnx cannot export the pipeline step {name!r} "
        f"({type(transformer).__name__}): it has no graph equivalent. Supported "
        "transformers: LogTransformer, DerivativeIntegralFeatures, "
        "KeypointNormalizer, RollAugmenter (and 'passthrough'). Apply the other "
        "steps before the exported graph, or export the final estimator alone."
    )


# ------------------------------------------------------------------- estimators
def _network(estimator) -> nn.Module:
    """A CPU copy of the trained network in evaluation mode."""
    return copy.deepcopy(estimator._unwrapped_module()).to("cpu").eval()


def _fill_missing(x: Tensor) -> Tensor:
    """``(N, T, C)``: NaN before each sequence's trailing padding -> 0.

    What the classifiers' ``predict`` does to missing values after scaling
    (0 is the channel mean); the trailing all-NaN rows stay NaN for the
    network to mask. A row of NaN inside a sequence (a frame without any
    keypoint) is a missing frame, not the end of the sequence.
    """
    steps = torch.arange(x.shape[1], device=x.device)  # (T,)
    inside = (steps[None, :] < sequence_lengths(x)[:, None])[..., None]  # (N, T, 1)
    return torch.where(torch.isnan(x) & inside, torch.zeros_like(x), x)


class _ClassifierGraph(nn.Module):
    """Sequence classifier: input scaling -> network -> softmax and argmax."""

    # buffers, registered when the estimator scales its input
    mean: Tensor
    scale: Tensor

    def __init__(self, estimator, input_ndim: int):
        super().__init__()
        self.network = _network(estimator)
        self.add_channel = input_ndim == 2  # (n, T) is one channel
        # classifiers that take missing values fill them in predict
        self.fill_missing = bool(estimator._missing_values)
        mean, scale = estimator.input_mean_, estimator.input_scale_
        self.scaled = mean is not None
        if self.scaled:
            self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
            self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = x.to(torch.float32)
        if self.add_channel:
            x = x[..., None]
        if self.scaled:
            x = (x - self.mean) / self.scale
        if self.fill_missing:
            x = _fill_missing(x)
        logits = self.network(x)
        return torch.softmax(logits, dim=1), torch.argmax(logits, dim=1)


def _target_layout(y: Tensor, target_ndim: int) -> Tensor:
    """(n, T_out, C, H, W) -> the layout of the ``y`` seen in ``fit``."""
    if target_ndim == 5:
        return y
    if target_ndim == 4:
        return y[:, :, 0]
    return y[:, 0, 0]


def _channel_buffer(values) -> Tensor:
    """Per-channel ``(C,)`` statistics as a ``(C, 1, 1)`` float32 tensor."""
    return torch.as_tensor(np.asarray(values), dtype=torch.float32)[:, None, None]


class _ForecasterGraph(nn.Module):
    """:class:`~skseq.ConvLSTMForecaster`: input scaling -> network -> target
    scaling undone -> layout of ``y``."""

    # buffers, registered when the estimator scales its data
    input_offset: Tensor
    input_scale: Tensor
    target_offset: Tensor
    target_scale: Tensor

    def __init__(self, estimator, input_ndim: int):
        super().__init__()
        self.network = _network(estimator)
        self.add_channel = input_ndim == 4
        self.target_ndim = int(estimator.target_ndim_)
        self.scaled = getattr(estimator, "input_offset_", None) is not None
        if self.scaled:
            for name in (
                "input_offset_",
                "input_scale_",
                "target_offset_",
                "target_scale_",
            ):
                buffer = _channel_buffer(getattr(estimator, name))
                self.register_buffer(name.rstrip("_"), buffer)

    def _frames(self, x: Tensor) -> Tensor:
        """Input as float32 ``(n, T_in, C, H, W)`` frames."""
        x = x.to(torch.float32)
        return x[:, :, None] if self.add_channel else x

    def forward(self, x: Tensor) -> Tensor:
        x = self._frames(x)
        if self.scaled:
            x = (x - self.input_offset) / self.input_scale
        out = self.network(x)
        if self.scaled:
            out = out * self.target_scale + self.target_offset
        return _target_layout(out, self.target_ndim)


class _NowcasterGraph(_ForecasterGraph):
    """:class:`~skseq.UNetNowcaster`: log transform -> unrolled network ->
    clip -> inverse log transform -> layout of ``y``."""

    def __init__(self, estimator, input_ndim: int):
        super().__init__(estimator, input_ndim)
        clamp = estimator._network_range() if estimator.clip_output else None
        cast("RecursiveNowcastNet", self.network).clamp = clamp  # as predict sets it
        self.clamp = clamp
        self.n_steps = int(estimator.n_output_frames_)
        self.log_offset = float(estimator.log_offset) if estimator.log_transform else 0
        self.target_range = estimator.target_range_ if estimator.clip_output else None

    def forward(self, x: Tensor) -> Tensor:
        x = self._frames(x)
        if self.log_offset:
            x = torch.log(x + self.log_offset)
        out = self.network(x, self.n_steps)
        if self.clamp is not None:
            out = out.clamp(*self.clamp)
        if self.log_offset:
            out = torch.exp(out.to(torch.float64)) - self.log_offset
            if self.target_range is not None:
                out = out.clamp(*self.target_range)
            out = out.to(torch.float32)
        return _target_layout(out, self.target_ndim)


class _FoldEnsembleGraph(nn.Module):
    """:class:`~skseq.ensemble.FoldEnsembleClassifier`: mean of the fold
    models' probabilities, the class of the largest."""

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        proba = torch.stack([member(x)[0] for member in self.members]).mean(dim=0)
        return proba, torch.argmax(proba, dim=1)


def _estimator_graph(estimator, input_ndim: int) -> tuple[nn.Module, list[str]]:
    from skseq.ensemble import FoldEnsembleClassifier
    from skseq.estimators.classification import BaseSequenceClassifier
    from skseq.estimators.forecasting import ConvLSTMForecaster
    from skseq.estimators.nowcasting import UNetNowcaster

    if isinstance(estimator, FoldEnsembleClassifier):
        check_is_fitted(estimator, "estimators_")
        members = [_graph(member, input_ndim)[0] for member in estimator.estimators_]
        return _FoldEnsembleGraph(members), ["probabilities", "label"]
    if isinstance(estimator, BaseSequenceClassifier):
        check_is_fitted(estimator, "net_")
        if input_ndim not in (2, 3):
            raise ValueError(
                f"{type(estimator).__name__} takes sequences (n_samples, "
                f"n_timesteps, n_channels); X_example has {input_ndim} axes."
            )
        return _ClassifierGraph(estimator, input_ndim), ["probabilities", "label"]
    frame_graphs = {
        UNetNowcaster: _NowcasterGraph,
        ConvLSTMForecaster: _ForecasterGraph,
    }
    for cls, graph in frame_graphs.items():
        if isinstance(estimator, cls):
            check_is_fitted(estimator, "net_")
            if input_ndim not in (4, 5):
                raise ValueError(
                    f"{type(estimator).__name__} takes frames (n_samples, n_frames, "
                    f"[C,] H, W); X_example has {input_ndim} axes."
                )
            return graph(estimator, input_ndim), ["y_pred"]
    raise TypeError(
        f"to_onnx cannot export {type(estimator).__name__}: supported final "
        "estimators are Conv1DActivityClassifier, KeypointLSTMClassifier, "
        "ConvLSTMForecaster, UNetNowcaster and a FoldEnsembleClassifier of "
        "(pipelines ending in) the classifiers."
    )


class _PipelineGraph(nn.Module):
    def __init__(self, transformers: list[nn.Module], estimator: nn.Module):
        super().__init__()
        self.transformers = nn.ModuleList(transformers)
        self.estimator = estimator

    def forward(self, x: Tensor):
        for transformer in self.transformers:
            x = transformer(x)
        return self.estimator(x)


def _split(fitted) -> tuple[list[tuple[str, Any]], Any]:
    """``(transformer steps, final estimator)``, searches and frozen steps unwrapped."""
    fitted = _unwrap(fitted)
    if not isinstance(fitted, Pipeline):
        return [], fitted
    steps = [
        (name, _unwrap(step))
        for name, step in fitted.steps[:-1]
        if step is not None and step != "passthrough"
    ]
    return steps, _unwrap(fitted.steps[-1][1])


def _example_array(X_example, dtype) -> np.ndarray:
    """``X_example`` as a numpy array of ``dtype`` and 2 samples."""
    try:
        as_dtype = np.dtype(dtype)
    except TypeError:  # not a dtype at all ("bogus")
        as_dtype = None
    if as_dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype!r}.")
    X = to_numeric_array(
        X_example, name="X_example", dtype=as_dtype, ensure_finite=False
    )
    if X.ndim < 2 or len(X) < 1:
        raise ValueError(
            "X_example must be an array of shape (n_samples, ...) with at least one "
            f"sample; got shape {X.shape}."
        )
    if not np.isfinite(X).all():
        # NaN padding is fine in the graph, but trace on finite data
        X = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
    # trace with 2 samples: a batch of one would be specialised to size 1
    return np.concatenate([X[:1], X[:1]]) if len(X) == 1 else X[:2]


def export_module(
    fitted: BaseEstimator, X_example: ArrayLike
) -> tuple[nn.Module, list[str]]:
    """The torch module that :func:`to_onnx` exports, and its output names.

    Parameters
    ----------
    fitted : fitted estimator or Pipeline
        See :func:`to_onnx`.
    X_example : array-like
        Input in the layout ``fitted.predict`` takes; its rank (e.g. 4D or
        5D frames) is the rank of the graph's input.

    Returns
    -------
    module : torch.nn.Module
        In evaluation mode, taking ``X`` (float32 or float64) and returning
        ``(probabilities, label_index)`` for classifiers, ``y_pred`` for
        regressors.
    output_names : list of str
        Names of the module's outputs, in order: ``["probabilities",
        "label"]`` for classifiers (the graph of :func:`to_onnx` maps the
        index to the label), ``["y_pred"]`` for regressors.
    """
    return _graph(fitted, np.ndim(X_example))


def _unwrap(fitted):
    """The fitted model inside a fitted search or a ``FrozenEstimator``.

    A search fitted with ``refit`` (``GridSearchCV`` and the like) exports its
    ``best_estimator_`` (one fitted without refit is a ``TypeError``); a
    :class:`sklearn.frozen.FrozenEstimator` its ``estimator``. Anything else
    is returned as is.
    """
    from sklearn.frozen import FrozenEstimator

    while True:
        if isinstance(fitted, FrozenEstimator):
            fitted = fitted.estimator
        elif hasattr(fitted, "cv_results_"):  # GridSearchCV and the like
            if not hasattr(fitted, "best_estimator_"):
                raise TypeError(
                    f"to_onnx exports a fitted {type(fitted).__name__}'s "
                    "best_estimator_, which it has only when fitted with refit; "
                    "fit the estimator with best_params_ and export that."
                )
            fitted = fitted.best_estimator_
        else:
            return fitted


def _graph(fitted, input_ndim: int) -> tuple[nn.Module, list[str]]:
    steps, estimator = _split(fitted)
    transformers = [_transformer_module(name, step) for name, step in steps]
    graph, outputs = _estimator_graph(estimator, input_ndim)
    return _PipelineGraph(transformers, graph).eval(), outputs


def _label_output(model, classes: np.ndarray) -> None:
    """Turn the graph's class-index output into ``label`` (a Gather on classes_)."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    index_output = graph.output[1]
    index_name = index_output.name
    index_output_name = "label_index"
    # rename the index output everywhere it is produced or used
    for node in graph.node:
        for i, name in enumerate(node.output):
            if name == index_name:
                node.output[i] = index_output_name
        for i, name in enumerate(node.input):
            if name == index_name:
                node.input[i] = index_output_name
    if classes.dtype.kind in "OUS":
        values = np.array([str(c) for c in classes], dtype=object)
        elem_type = onnx.TensorProto.STRING
    else:
        values = np.asarray(classes)
        if values.dtype == np.float16:
            values = values.astype(np.float32)
        elem_type = helper.np_dtype_to_tensor_dtype(values.dtype)
    graph.initializer.append(numpy_helper.from_array(values, name="classes"))
    graph.node.append(
        helper.make_node(
            "Gather", ["classes", index_output_name], ["label"], axis=0, name="label"
        )
    )
    batch_dim = index_output.type.tensor_type.shape.dim[0]
    label = helper.make_tensor_value_info("label", elem_type, [None])
    label.type.tensor_type.shape.dim[0].CopyFrom(batch_dim)
    graph.output.remove(index_output)
    graph.output.append(label)


def to_onnx(
    fitted: BaseEstimator,
    X_example: ArrayLike,
    path: str | os.PathLike | None = None,
    *,
    dtype: DTypeLike = np.float32,
) -> onnx.ModelProto:
    """Export a fitted estimator or pipeline to an ONNX graph.

    The graph reproduces ``predict`` (and ``predict_proba``) of ``fitted``,
    including the preprocessing steps of a pipeline, the estimator's own
    input scaling and its post-processing, so it can be served with
    :mod:`onnxruntime` without skseq, torch or scikit-learn installed.

    Parameters
    ----------
    fitted : fitted estimator or sklearn.pipeline.Pipeline
        A fitted :class:`~skseq.Conv1DActivityClassifier`,
        :class:`~skseq.KeypointLSTMClassifier`,
        :class:`~skseq.ConvLSTMForecaster` or :class:`~skseq.UNetNowcaster`,
        or a ``Pipeline`` of skseq transformers with a tensor equivalent
        (:class:`~skseq.preprocessing.LogTransformer`,
        :class:`~skseq.preprocessing.DerivativeIntegralFeatures` on 3D
        sequences, :class:`~skseq.preprocessing.KeypointNormalizer`,
        :class:`~skseq.preprocessing.RollAugmenter` (the identity at
        prediction time), ``"passthrough"``) ending in one of them. Any
        other step raises a ``TypeError`` naming it. A
        :class:`~skseq.ensemble.FoldEnsembleClassifier` of such classifiers
        (or pipelines) exports as the mean of its fold models'
        probabilities. A search fitted with ``refit`` (``GridSearchCV``
        and the like) exports its ``best_estimator_``, a
        :class:`~sklearn.frozen.FrozenEstimator` the estimator it wraps.
    X_example : array-like of shape (n_samples, ...)
        A few samples in the layout ``predict`` takes; the graph's input
        ``X`` has their shape with a dynamic batch axis (the other axes are
        fixed, as in ``predict``).
    path : str, path-like or None, default=None
        If given, the model is also written there (``.onnx``).
    dtype : {np.float32, np.float64}, default=np.float32
        The dtype of the input ``X``. The network always runs in float32
        (as in ``predict``); ``np.float64`` runs a pipeline's preprocessing
        in float64, as scikit-learn does on float64 data, which matters for
        integrals of long sequences (``DerivativeIntegralFeatures``).

    Returns
    -------
    model : onnx.ModelProto
        Its metadata (``metadata_props``) names the exported steps
        (``skseq_model``), the skseq version and, for classifiers, the
        ``classes`` (JSON). One input ``X``. Classifiers have two outputs: ``probabilities``
        (float32, ``(n_samples, n_classes)``, columns in ``classes_`` order)
        and ``label`` (``(n_samples,)``, values of ``classes_``: a string
        tensor for string labels). Regressors have one output ``y_pred``
        (float32) in the layout of ``predict``.

    Notes
    -----
    The graph does not validate its input: give it values of the fitted
    shape (onnxruntime checks the shape and dtype), finite but for the NaN
    described here. NaN padding of
    shorter sequences (whole NaN rows at the end) works in the graph of
    :class:`~skseq.Conv1DActivityClassifier` and of a unidirectional
    :class:`~skseq.KeypointLSTMClassifier`; a bidirectional LSTM graph is
    exact for unpadded sequences and returns NaN probabilities for padded
    ones once the padding reaches the steps its LSTM reads (behind the
    convolutional front end's pooling, a few rows of padding still give
    exact probabilities). Missing values inside a sequence (NaN before its
    padding: a joint or a whole frame without a keypoint), which the
    :class:`~skseq.KeypointLSTMClassifier` accepts, are filled in the graph
    as in its ``predict``. A ``UNetNowcaster`` graph predicts
    ``n_output_frames_`` lead times (``predict``, not ``predict_sequence``)
    on frames of the example's ``H x W``.

    Examples
    --------
    >>> from skseq import Conv1DActivityClassifier
    >>> from skseq.datasets import load_basic_motions
    >>> from skseq.export import to_onnx
    >>> X, y = load_basic_motions(split="train")
    >>> clf = Conv1DActivityClassifier(max_epochs=1, random_state=0).fit(X, y)
    >>> model = to_onnx(clf, X[:2])  # or to_onnx(clf, X[:2], "clf.onnx")
    >>> [output.name for output in model.graph.output]
    ['probabilities', 'label']
    >>> import onnxruntime as ort
    >>> session = ort.InferenceSession(model.SerializeToString())
    >>> proba, label = session.run(None, {"X": X.astype("float32")})
    >>> proba.shape
    (40, 4)
    """
    try:
        import onnx
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "to_onnx needs onnx, onnxscript and (to run the graph) onnxruntime, "
            "skseq's 'export' extra: pip install onnx onnxscript onnxruntime "
            "safetensors (or, in a skseq checkout, pip install -e '.[export]')."
        ) from exc

    if path is not None:
        path = check_file_path(path)
    fitted = _unwrap(fitted)
    estimator = _split(fitted)[1]
    X = _example_array(X_example, dtype)
    check_is_fitted(fitted)
    # the estimator's own checks of the example (shape, NaN), with its messages
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.predict(as_array_input(X_example)[:2])
    module, outputs = export_module(fitted, X)
    output_names = ["probabilities", "label_index"] if len(outputs) == 2 else outputs
    x = torch.as_tensor(X)
    batch = torch.export.Dim("batch")
    exporter_logger = logging.getLogger("torch.onnx")
    level = exporter_logger.level
    exporter_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                module,
                (x,),
                dynamo=True,
                input_names=[INPUT_NAME],
                output_names=output_names,
                dynamic_shapes=({0: batch},),
                verbose=False,
            )
    finally:
        exporter_logger.setLevel(level)
    # dynamo=True returns an ONNXProgram (torch types the result as optional)
    model = cast("torch.onnx.ONNXProgram", program).model_proto
    if len(outputs) == 2:
        _label_output(model, np.asarray(estimator.classes_))
    model.doc_string = f"skseq export of {_describe(fitted)}"
    from skseq import __version__

    props = {"skseq_version": __version__, "skseq_model": _describe(fitted)}
    if len(outputs) == 2:
        props["classes"] = json.dumps(np.asarray(estimator.classes_).tolist())
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    if path is not None:
        onnx.save(model, path)
    return model


def _describe(fitted) -> str:
    steps, estimator = _split(fitted)
    names = [type(step).__name__ for _, step in steps] + [type(estimator).__name__]
    return " -> ".join(names)


# -------------------------------------------------------------------- weights
#: fitted arrays stored next to the weights (what predict needs besides them)
_FITTED_ARRAYS = (
    "input_mean_",
    "input_scale_",
    "input_offset_",
    "target_offset_",
    "target_scale_",
    "target_range_",
)
_PREFIX = "skseq."
#: the ensembles' error models (``predict_ensemble``): ConvLSTMForecaster's
#: quantiles (float64) and UNetNowcaster's noise (arrays and numbers)
_ERROR_QUANTILES = "residual_quantiles_"
_NOISE = "ensemble_noise_"


def _save_error_model(estimator, state: dict, metadata: dict) -> None:
    """Add ``estimator``'s ensemble error model to ``state`` and ``metadata``."""
    if getattr(estimator, _ERROR_QUANTILES, None) is not None:
        state[_PREFIX + _ERROR_QUANTILES] = torch.as_tensor(
            np.ascontiguousarray(getattr(estimator, _ERROR_QUANTILES), np.float64)
        )
        metadata["n_calibration_samples"] = str(estimator.n_calibration_samples_)
    noise = getattr(estimator, _NOISE, None)
    if noise is not None:
        numbers = {}
        for key, value in noise.items():
            if isinstance(value, np.ndarray):
                state[f"{_PREFIX}{_NOISE}.{key}"] = torch.as_tensor(
                    np.ascontiguousarray(value)
                )
            else:  # numbers and text (numpy scalars as Python ones)
                numbers[key] = value.item() if isinstance(value, np.generic) else value
        metadata["ensemble_noise"] = json.dumps(numbers)


def _load_error_model(estimator, fitted: dict, metadata: dict) -> None:
    """Set the error model :func:`_save_error_model` stored (files written
    before it was stored leave ``estimator``'s own)."""
    if _ERROR_QUANTILES in fitted:
        quantiles = fitted.pop(_ERROR_QUANTILES).cpu().numpy()
        setattr(estimator, _ERROR_QUANTILES, quantiles)
        estimator.n_calibration_samples_ = int(metadata["n_calibration_samples"])
    arrays = {
        name[len(_NOISE) + 1 :]: fitted.pop(name).cpu().numpy()
        for name in list(fitted)
        if name.startswith(_NOISE + ".")
    }
    if "ensemble_noise" in metadata:
        noise = json.loads(metadata["ensemble_noise"])
        setattr(estimator, _NOISE, {**arrays, **noise})


def _import_safetensors(caller: str):
    """The safetensors package, or an ImportError naming skseq's extra."""
    try:
        import safetensors
        import safetensors.torch  # the submodule that save_weights uses
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs safetensors, in skseq's 'export' extra: pip install "
            "safetensors (or, in a skseq checkout, pip install -e '.[export]')."
        ) from exc
    return safetensors


def save_weights(estimator: BaseDeepEstimator, path: str | os.PathLike) -> None:
    """Write the trained network's weights to a safetensors file.

    The light alternative to pickling or ONNX: the file holds tensors only
    (no code, safe to load), plus what ``predict`` needs besides the weights
    (the input and target scaling, the nowcaster's clipping range, the
    forecaster's calendar steps), the error model of ``predict_ensemble``
    (the forecaster's residual quantiles, the nowcaster's noise) and the
    class labels as metadata. :func:`load_weights` reads it back into an
    estimator of the same hyperparameters fitted on data of the same shapes,
    whose predictions and ensembles are then those of the saved one.

    Parameters
    ----------
    estimator : fitted skseq deep estimator
        The estimator whose trained network is written.
    path : str or path-like
        Destination, e.g. ``"model.safetensors"``.
    """
    save_file = _import_safetensors("save_weights").torch.save_file

    _check_deep_estimator(estimator, "save_weights")
    check_is_fitted(estimator, "net_")
    path = check_file_path(path)
    network = estimator._unwrapped_module()
    state = {k: v.detach().cpu().contiguous() for k, v in network.state_dict().items()}
    for name in _FITTED_ARRAYS:
        value = getattr(estimator, name, None)
        if value is not None:
            state[_PREFIX + name] = torch.as_tensor(np.asarray(value, np.float64))
    metadata = {"estimator": type(estimator).__name__}
    if hasattr(estimator, "classes_"):
        metadata["classes"] = json.dumps(np.asarray(estimator.classes_).tolist())
    if hasattr(estimator, "future_channels_"):  # the decoder's calendar
        metadata["future_channels"] = json.dumps(estimator.future_channels_)
        metadata["future_steps"] = json.dumps(estimator.future_steps_)
    if hasattr(estimator, "sequence_scaling_"):  # "auto", as resolved on its data
        metadata["sequence_scaling"] = json.dumps(estimator.sequence_scaling_)
    metadata["shapes"] = json.dumps(_fitted_shapes(estimator))
    metadata["params"] = json.dumps(_prediction_params(estimator))
    _save_error_model(estimator, state, metadata)
    save_file(state, path, metadata=metadata)


#: the fitted sizes that the saved network and its error model must share
#: with the estimator loading them (frame sizes may differ: the frame
#: estimators take any H x W; so ``n_features_in_``, which counts the
#: pixels, is not among them)
_SHAPE_ATTRIBUTES = (
    "n_timesteps_in_",
    "n_input_frames_",
    "n_output_frames_",
    "n_channels_in_",
    "n_channels_out_",
)


def _fitted_shapes(estimator) -> dict[str, int]:
    return {
        name: int(getattr(estimator, name))
        for name in _SHAPE_ATTRIBUTES
        if isinstance(getattr(estimator, name, None), int | np.integer)
    }


def _check_saved_shapes(estimator, metadata: dict) -> None:
    """Refuse an estimator fitted on data of other sizes than the saved one
    (files written before the sizes were saved are not checked)."""
    if "shapes" not in metadata:
        return
    saved = json.loads(metadata["shapes"])
    here = _fitted_shapes(estimator)
    differ = {k: (v, here[k]) for k, v in saved.items() if k in here and here[k] != v}
    if differ:
        listed = ", ".join(f"{k}={a} (this one: {b})" for k, (a, b) in differ.items())
        raise ValueError(
            f"The saved {metadata.get('estimator', 'estimator')} was fitted on "
            f"data of other sizes: {listed}. Fit this one on data of the saved "
            "one's sizes before loading."
        )


def _check_deep_estimator(estimator, function: str) -> None:
    from skseq.estimators._base import BaseDeepEstimator

    if not isinstance(estimator, BaseDeepEstimator):
        raise TypeError(
            f"{function} needs a fitted skseq deep estimator (e.g. "
            f"UNetNowcaster); got {type(estimator).__name__}."
        )


def _saved_future_steps(estimator, metadata: dict) -> list[float] | None:
    """The saved forecaster's calendar phase steps, after checking that it
    rotated the same calendar channels in its decoder as ``estimator``."""
    if "future_channels" not in metadata or not hasattr(estimator, "future_channels_"):
        return None
    saved = [tuple(pair) for pair in json.loads(metadata["future_channels"])]
    here = [tuple(pair) for pair in estimator.future_channels_]
    if saved != here:
        raise ValueError(
            "The saved forecaster's decoder rotates the calendar channel pairs "
            f"{saved} of its input (known_future='calendar'); this one was fitted "
            f"on data where they are {here}. Fit it on data with the same calendar "
            "channels before loading."
        )
    return [float(step) for step in json.loads(metadata["future_steps"])]


#: arguments that steer training only, besides the shared training ones,
#: and those read at prediction time: weights may be loaded into an
#: estimator trained otherwise, or predicting with other such settings
_TRAINING_ONLY_ARGUMENTS = frozenset(
    {
        "class_weight",
        "crop_fraction",
        "ensemble_cv",
        "loss",
        "lr_gamma",
        "lr_step_size",
        "max_roll",
        "roll_augment",
        # read when predicting: the loading estimator's own choice
        "clip_output",
        "tile_size",
    }
)


def _prediction_params(estimator) -> dict[str, Any]:
    """The constructor arguments that shape the network or its predictions
    (not those of training), as JSON values: what :func:`load_weights`
    compares, because the weights do not hold them (``log_transform``,
    ``scale_input``, the stem's ``downsample`` ...)."""
    from skseq.estimators._base import (
        PASSTHROUGH_PREFIXES,
        TRAINING_PARAMETER_CONSTRAINTS,
    )

    params = {
        # "auto" as resolved in fit (downsample_, front_end_ ...), so that an
        # estimator given the value "auto" chose on the saved one's data fits
        name: getattr(estimator, f"{name}_", value) if _is_auto(value) else value
        for name, value in estimator.get_params(deep=False).items()
        if name not in TRAINING_PARAMETER_CONSTRAINTS
        and name not in _TRAINING_ONLY_ARGUMENTS
        and not name.startswith(PASSTHROUGH_PREFIXES)
    }
    # tuples as lists, numpy numbers as Python ones, other objects by repr
    return json.loads(json.dumps(params, default=_json_value))


def _is_auto(value: Any) -> bool:
    return isinstance(value, str) and value == "auto"


def _json_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else repr(value)


def _check_saved_settings(estimator, metadata: dict, fitted: set[str], path) -> None:
    """Refuse an estimator whose settings are not the saved one's: its
    prediction arguments (files since they were recorded) and which fitted
    scaling arrays it has (``scale_input=False`` has none)."""
    if "params" in metadata:
        saved = json.loads(metadata["params"])
        own = _prediction_params(estimator)
        differ = [k for k in saved if k in own and saved[k] != own[k]]
        if differ:
            settings = ", ".join(
                f"{k}={saved[k]!r} (this one: {own[k]!r})" for k in differ
            )
            raise ValueError(
                f"{os.fspath(path)!r} was saved from a {type(estimator).__name__} "
                f"with {settings}; the weights hold no settings, so load them "
                "into an estimator fitted with the saved ones."
            )
    own_arrays = {n for n in _FITTED_ARRAYS if getattr(estimator, n, None) is not None}
    if fitted != own_arrays:
        raise ValueError(
            f"{os.fspath(path)!r} holds the fitted scaling {sorted(fitted)}, this "
            f"{type(estimator).__name__} has {sorted(own_arrays)}: fit it with the "
            "saved estimator's scale_input (or log_transform, clip_output) first."
        )


def _check_saved_sequence_scaling(estimator, metadata: dict) -> None:
    """Refuse a classifier that scales sequences otherwise than the saved one
    (``sequence_scaling="auto"`` is decided from the data's amplitudes)."""
    if "sequence_scaling" not in metadata or not hasattr(
        estimator, "sequence_scaling_"
    ):
        return
    saved = json.loads(metadata["sequence_scaling"])
    if saved != estimator.sequence_scaling_:
        raise ValueError(
            f"The saved classifier was trained with sequence_scaling_={saved} "
            "(its sequence_scaling, or what 'auto' chose on its data); this one "
            f"with sequence_scaling_={estimator.sequence_scaling_}. Fit it with "
            f"sequence_scaling={saved} before loading."
        )


def load_weights(estimator: _DeepEstimator, path: str | os.PathLike) -> _DeepEstimator:
    """Load weights written by :func:`save_weights` into a fitted estimator.

    Parameters
    ----------
    estimator : fitted skseq deep estimator
        Of the class and hyperparameters of the saved one, fitted on data of
        the same shapes and classes (e.g. for one epoch on a few samples).
        The arguments that shape the network or its predictions (all but
        those of training, such as ``lr``, ``max_epochs`` or
        ``class_weight``, and ``tile_size`` and ``clip_output``, read when
        predicting) must be the saved one's: they are recorded in the file
        and compared.
    path : str or path-like
        File written by :func:`save_weights`.

    Returns
    -------
    estimator : estimator
        The same estimator, with the loaded weights.
    """
    safe_open = _import_safetensors("load_weights").safe_open
    from safetensors.torch import load_file

    _check_deep_estimator(estimator, "load_weights")
    check_is_fitted(estimator, "net_")
    path = check_file_path(path, exists=True)
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
        # the fitted scaling arrays stored beside the weights
        saved_arrays = {
            k[len(_PREFIX) :] for k in f.keys() if k.startswith(_PREFIX)
        } & set(_FITTED_ARRAYS)
    saved = metadata.get("estimator")
    if saved is not None and saved != type(estimator).__name__:
        raise ValueError(
            f"{path!r} holds the weights of a {saved}; got a "
            f"{type(estimator).__name__}."
        )
    if "classes" in metadata and hasattr(estimator, "classes_"):
        classes = json.loads(metadata["classes"])
        if classes != np.asarray(estimator.classes_).tolist():
            raise ValueError(
                f"The saved classifier has classes {classes}; this one has "
                f"{np.asarray(estimator.classes_).tolist()}."
            )
    _check_saved_sequence_scaling(estimator, metadata)
    _check_saved_shapes(estimator, metadata)
    _check_saved_settings(estimator, metadata, saved_arrays, path)
    # Any: a forecaster's network (ConvLSTMSeq2Seq) gets its future_steps below
    network: Any = estimator._unwrapped_module()
    future_steps = _saved_future_steps(estimator, metadata)
    device = next(network.parameters()).device
    state = load_file(path, device=str(device))
    fitted = {
        k[len(_PREFIX) :]: state.pop(k) for k in list(state) if k.startswith(_PREFIX)
    }
    backup = {k: v.clone() for k, v in network.state_dict().items()}
    try:
        network.load_state_dict(state)
    except RuntimeError as exc:  # torch may have copied some tensors already
        network.load_state_dict(backup)
        raise ValueError(
            f"The weights in {path!r} do not fit this "
            f"{type(estimator).__name__}'s network: fit it with the saved "
            "estimator's hyperparameters on data of the same shapes (number of "
            f"frames or timesteps, channels and outputs). Torch says: {exc}"
        ) from exc
    if future_steps is not None:
        estimator.future_steps_ = network.future_steps = future_steps
    _load_error_model(estimator, fitted, metadata)
    for name, value in fitted.items():
        array = value.cpu().numpy()
        if name == "target_range_":
            estimator.target_range_ = (float(array[0]), float(array[1]))
        else:
            setattr(estimator, name, array.astype(np.float32))
    return estimator
