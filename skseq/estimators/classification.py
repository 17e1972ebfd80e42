"""Deep classifiers of multichannel sequences.

* :class:`Conv1DActivityClassifier` -- residual 1D convolutions over sensor
  (IMU) sequences.
* :class:`KeypointLSTMClassifier` -- an LSTM over pose-keypoint and other
  sequences, behind a convolutional front end by default.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np
import torch
from scipy.special import log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from skseq.base import NumberInterval
from skseq.estimators._base import (
    _OPTIMIZERS,
    OPTIMIZER,
    TRAINING_PARAMETER_CONSTRAINTS,
    BaseDeepEstimator,
    SequenceInputMixin,
    fraction,
    nonzero_scale,
    positive_int,
    positive_int_sequence,
    resolve_optimizer,
)
from skseq.estimators._callbacks import FitLRScheduler
from skseq.estimators._nets import WeightedNeuralNetClassifier
from skseq.estimators._training_doc import compose_training_doc, fill_doc_marker
from skseq.modules.conv1d import _POOLINGS, Conv1DActivityNet, encoded_length
from skseq.modules.layers import _ACTIVATIONS
from skseq.modules.losses import ClassWeightedCrossEntropyLoss
from skseq.modules.recurrent import _HEADS, KeypointLSTMNet
from skseq.utils._nan import nan_reduce
from skseq.utils._warnings import warn_user
from skseq.utils.validation import (
    check_class_labels,
    check_same_length,
    valid_lengths,
)

if TYPE_CHECKING:  # annotations only (accelerate is optional)
    import accelerate
    from numpy.typing import ArrayLike

__all__ = ["Conv1DActivityClassifier", "KeypointLSTMClassifier"]


class BaseSequenceClassifier(ClassifierMixin, SequenceInputMixin, BaseDeepEstimator):
    """Label handling and probability outputs shared by the sequence classifiers.

    Labels may be of any type (strings too); they are encoded in ``fit`` and
    ``classes_`` holds them sorted. The network emits logits; probabilities
    are their softmax.
    """

    _is_classifier = True
    _net_class = WeightedNeuralNetClassifier
    _parameter_constraints: ClassVar[dict] = {
        **TRAINING_PARAMETER_CONSTRAINTS,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "scale_input": ["boolean"],
    }
    #: NaN inside a sequence (not only trailing padding rows) is a missing value
    _missing_values = False

    def _validate_fit_data(self, X, y):
        X = self._validate_sequences(X, reset=True, allow_nan=True)
        missing = _check_nan(X, allow_missing=self._missing_values)
        self._fit_input_scaling(X)
        self._resolve_sequence_scaling(X)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None; expected class labels of shape (n_samples,)."
            )
        if isinstance(y, torch.Tensor):  # on any device (numpy reads CPU ones)
            y = y.detach().cpu().numpy()
        y = check_class_labels(y)
        check_same_length(X, y, names=("X", "y"))
        check_classification_targets(y)
        encoder = LabelEncoder()
        y_encoded = encoder.fit_transform(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in y; "
                f"got 1 class ({encoder.classes_[:1].tolist()[0]!r})."
            )
        self.classes_ = encoder.classes_
        self.class_weight_ = self._compute_class_weight(y)
        return self._scale_input(X, missing), y_encoded.astype(np.int64)

    #: ``sequence_scaling="auto"``: the spread of the sequences' amplitudes
    #: (90th / 10th percentile of their standard deviations, in some channel)
    #: from which each sequence is also standardised on its own.
    _auto_amplitude_span = 100.0

    def _resolve_sequence_scaling(self, X: np.ndarray) -> None:
        """Set ``sequence_scaling_`` (a continued warm-started fit keeps it: it
        does not validate its data through ``_validate_fit_data``)."""
        if self.sequence_scaling == "auto":
            span = amplitude_span(X)
            self.sequence_scaling_ = bool(span > self._auto_amplitude_span)
        else:
            self.sequence_scaling_ = bool(self.sequence_scaling)

    def _fit_input_scaling(self, X: np.ndarray) -> None:
        """Learn per-channel ``input_mean_`` and ``input_scale_`` (NaN-aware).

        A channel without a single value in the training data (a keypoint
        never detected) gets mean 0 and an infinite scale: the network never
        saw it, so its values are scaled to 0, the value it trained on.
        """
        if not self.scale_input:
            self.input_mean_ = self.input_scale_ = None
            return
        mean, std = _channel_mean_std(X)
        empty = np.isnan(mean)
        if empty.any():
            warn_user(
                f"Channel(s) {np.flatnonzero(empty).tolist()} of X hold no value "
                "in any training sequence (all NaN); the network learns nothing "
                "from them and ignores their values at prediction.",
                UserWarning,
            )
        mean[empty] = 0.0
        scale = nonzero_scale(std, mean)
        scale[empty] = np.inf
        self.input_mean_ = mean.astype(np.float32)
        self.input_scale_ = scale.astype(np.float32)

    def _scale_input(self, X: np.ndarray, missing: np.ndarray | None) -> np.ndarray:
        """Standardise each channel with the statistics learnt in ``fit``.

        Missing values (``missing``, NaN inside a sequence where the class
        accepts them) are then filled with 0, the channel mean (the
        input's 0 without ``scale_input``); trailing
        all-NaN padding rows stay NaN for the network to mask.
        """
        if self.input_mean_ is not None:  # fit sets both or neither
            X = (X - self.input_mean_) / cast(np.ndarray, self.input_scale_)
        if missing is not None:
            X = np.where(missing, np.float32(0), X)
        return X

    def _validate_validation_data(self, X, y, names=("X_valid", "y_valid")):
        X = self._validate_predict_X(X, name=names[0])
        if y is None:
            raise ValueError(f"{names[1]} is None; expected class labels.")
        y = check_class_labels(y, names[1])
        check_same_length(X, y, names=names)
        check_classification_targets(y)
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(
                f"{names[1]} contains labels the network was not fitted on: "
                f"{unseen.tolist()}; its classes_ are {self.classes_.tolist()}."
            )
        return X, np.searchsorted(self.classes_, y).astype(np.int64)

    def _validate_predict_X(self, X, name="X"):
        self._check_sequence_length(X, name)
        X = self._validate_sequences(X, reset=False, allow_nan=True, name=name)
        missing = _check_nan(X, allow_missing=self._missing_values, name=name)
        return self._scale_input(X, missing)

    def _check_sequence_length(self, X, name: str) -> None:
        """Sequences of another length than the fit's: say how to pad them."""
        shape = getattr(X, "shape", None)
        fitted = getattr(self, "n_timesteps_in_", None)
        if shape is None or fitted is None or len(shape) != 3:
            return
        if shape[2] == self.n_channels_in_ and shape[1] != fitted:
            raise ValueError(
                f"{name} has sequences of {shape[1]} steps, but "
                f"{type(self).__name__} was fitted on sequences of {fitted} steps. "
                f"Pad shorter sequences at the end with rows of NaN to {fitted} "
                "steps (padding is masked, as in fit), or cut longer ones."
            )

    def _sample_cost(self, X: np.ndarray) -> float:
        """Timesteps per sequence: what one training sample costs."""
        return float(X.shape[1])

    #: ``downsample="auto"``: the longest sequence the residual Conv1D blocks
    #: see (the Conv1D classifier's and the LSTM's convolutional front end).
    _auto_max_length = 256

    def _resolve_downsample(self, n_timesteps: int) -> int:
        """Conv1D stem factor for sequences of ``n_timesteps`` (padded) steps."""
        if self.downsample == "auto":
            return max(1, -(-n_timesteps // self._auto_max_length))
        return int(self.downsample)

    def _stem_length(self, n_timesteps: int) -> int:
        """Steps the Conv1D blocks receive: ``n_timesteps`` after the stem."""
        return -(-n_timesteps // self._resolve_downsample(n_timesteps))

    def _resolve_differences(self) -> bool:
        """First differences for the Conv1D blocks (after ``downsample_``)."""
        if self.differences == "auto":
            return self.downsample_ > 1
        return bool(self.differences)

    def _build_criterion(self) -> tuple[type[torch.nn.Module], dict[str, Any]]:
        if self.class_weight_ is None:
            return torch.nn.CrossEntropyLoss, {}
        # a class may weigh 0: a batch of such classes only is no NaN
        weight = torch.as_tensor(self.class_weight_, dtype=torch.float32)
        return ClassWeightedCrossEntropyLoss, {"weight": weight}

    def _build_net(self, y_train, seed, *args, **kwargs):
        net = super()._build_net(y_train, seed, *args, **kwargs)
        # skorch's classifier needs every class up front (a validation split
        # may miss one); labels are already encoded as 0..n_classes-1.
        net.set_params(classes=np.arange(len(self.classes_)))
        return net

    def _compute_class_weight(self, y: np.ndarray) -> np.ndarray | None:
        """Weight of each class of ``classes_``, refused when it cannot train.

        A negative or non-finite weight would make the loss meaningless (the
        network maximised a class's loss, or diverged with advice about the
        learning rate), and weights that give every sample of ``y`` weight 0
        would leave the network untrained though "fitted".
        """
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, dict):
            not_numbers = {
                label: value
                for label, value in self.class_weight.items()
                if not isinstance(value, Real) or isinstance(value, bool)
            }
            if not_numbers:
                raise TypeError(
                    f"class_weight must map labels to numbers; got {not_numbers}."
                )
        weight = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        bad = ~(np.isfinite(weight) & (weight >= 0))
        if bad.any():
            raise ValueError(
                "class_weight must be finite and >= 0 for every class; got "
                f"{dict(zip(self.classes_[bad].tolist(), weight[bad].tolist()))}."
            )
        self._check_some_weight(weight[np.searchsorted(self.classes_, y)])
        return weight

    def _check_some_weight(self, weight: np.ndarray) -> None:
        """Refuse per-sample weights (class times sample weight) all zero."""
        if not weight.sum() > 0:
            raise ValueError(
                "class_weight and sample_weight give every training sample weight "
                "0: the network would not train. Give some class of y a positive "
                "weight."
            )

    def _validate_sample_weight(
        self, sample_weight, X_train, y_train
    ) -> np.ndarray | None:
        weight = super()._validate_sample_weight(sample_weight, X_train, y_train)
        if weight is not None and self.class_weight_ is not None:
            self._check_some_weight(self.class_weight_[y_train] * weight)
        return weight

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels)
            Sequences of the shape seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        logits = self._forward(X).astype(np.float64)
        return softmax(logits, axis=1)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Logarithm of the class probabilities.

        Computed from the network's logits (``log_softmax``), so it stays
        finite where a probability rounds to 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels)
            Sequences of the shape seen in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``; columns follow ``classes_``.
        """
        logits = self._forward(X).astype(np.float64)
        return log_softmax(logits, axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable class of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels)
            Sequences of the shape seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._forward(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def score(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Mean accuracy of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels)
            Sequences of the shape seen in ``fit``.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the score; None weighs them equally.

        Returns
        -------
        score : float
            Labels never seen in ``fit`` count as errors.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        # NaN inside sequences is a missing value (not only padding) for some
        tags.input_tags.allow_nan = self._missing_values
        return tags


#: The fitted attributes both classifiers share, composed into their
#: docstrings in place of the line ``{classifier_attributes}``.
_CLASSIFIER_ATTRIBUTES_DOC = """\
classes_ : ndarray of shape (n_classes,)
    Class labels.
class_weight_ : ndarray of shape (n_classes,) or None
    The weight of each class of ``classes_`` in the loss (``class_weight``
    resolved by scikit-learn's ``compute_class_weight``; None without).
n_timesteps_in_, n_channels_in_ : int
    Shape of the training sequences.
n_features_in_ : int
    ``n_timesteps_in_ * n_channels_in_``.
input_mean_, input_scale_ : ndarray of shape (n_channels,) or None
    Per-channel input scaling learnt in ``fit`` (None without
    ``scale_input``). A channel without any value in the training data has
    mean 0 and an infinite scale: its values are scaled to 0 (with
    ``scale_input=False`` they reach the network as they are)."""


#: The ``class_weight`` parameter both classifiers share, composed into
#: their docstrings in place of the line ``{class_weight_parameter}``.
_CLASS_WEIGHT_DOC = """\
class_weight : "balanced", dict or None, default=None
    Weights of the cross-entropy loss per class, given as in scikit-learn
    (``"balanced"``: ``n_samples / (n_classes * count)``). Each batch's
    loss is torch's weighted mean, ``sum(w[y] * loss) / sum(w[y])`` over
    its samples, so the weights shift a batch's loss towards its rarer
    classes but do not change its size: a batch of one class (or of one
    sample) trains as without them, and their effect grows with
    ``batch_size``. For scikit-learn's per-sample meaning (``class_weight``
    multiplying each sample's loss), pass ``sample_weight=w[y]`` to ``fit``
    instead."""


def _compose_classifier_attributes(cls):
    """Class decorator: write the shared ``class_weight`` parameter and
    fitted attributes into ``cls``'s docstring (the lines
    ``{class_weight_parameter}`` and ``{classifier_attributes}``)."""
    if cls.__doc__ is not None:  # python -OO
        for marker, text in (
            ("{class_weight_parameter}", _CLASS_WEIGHT_DOC),
            ("{classifier_attributes}", _CLASSIFIER_ATTRIBUTES_DOC),
        ):
            cls.__doc__ = fill_doc_marker(cls.__doc__, marker, text, required=True)
    return cls


@_compose_classifier_attributes
@compose_training_doc(
    optimizer="NAdam, as in the contest solution the network follows.",
    lr="""
    1e-3 (2e-3 until 2026-12-08), adopted with the batch norms'
    statistics over the valid steps: on the skill benchmark's seven sets the
    pair raised the mean accuracy over five seeds from 0.925 to 0.932, and
    on seglearn's smartwatch recordings, which had no part in choosing it,
    from 0.898 to 0.907 over three seeds (docs/benchmarks.rst).
    """,
    max_epochs="A sample costs its timesteps after the downsampling stem.",
    batch_size="""
    In training, the largest batch: ``n`` training sequences go in
    ``ceil(n / batch_size)`` batches of about equal size (see above).
    """,
)
class Conv1DActivityClassifier(BaseSequenceClassifier):
    """Residual 1D-CNN classifier of multichannel sensor sequences.

    The network (:class:`skseq.modules.Conv1DActivityNet`) follows the
    third-placed solution of a 61-class IMU activity contest:
    residual blocks of three convolutions (BatchNorm, ELU, additive skip from
    the first to the third), max pooling and spatial (channel) dropout between
    blocks, global pooling over time and a dense head -- the residual,
    globally pooled 1D CNN that Wang et al. [1]_ established as a strong
    time series classification baseline. The defaults add what the skill
    benchmark (``benchmarks/bench_skill.py``: UCR [2]_ and UEA [3]_ sets,
    against MiniRocket [4]_ and classical pipelines) measured to pay on data
    sets the seed never saw: first differences as extra input channels,
    a downsampling stem for long sequences, global average *and* max
    pooling, per-channel input scaling, a cosine learning-rate schedule, a
    training length set from the data size and training batches of about
    equal size: ``n`` training sequences go in batches of
    ``ceil(n / ceil(n / batch_size))`` (100 sequences: four batches of 25,
    not three of 32 and one of 4, whose BatchNorm statistics are noise). The
    last batch of an epoch holds what is left, which can still be small
    where that size does not divide ``n`` (993 sequences: 31 batches of 32
    and one of 1).

    Variable-length sequences: pad shorter sequences at the END with rows of
    NaN; padding is masked inside the network, so a sequence's prediction
    does not depend on the other sequences of ``X``, and the residual
    blocks' batch norms take their training statistics over the valid steps
    only, so a fit does not depend on how far the training sequences are
    padded either. The network pools
    pairs of steps, so the same sequence padded otherwise (fitted on
    another length) or not at all can differ slightly when its length is
    not a multiple of ``2 ** len(channels)`` times the stem's factor (see
    :class:`~skseq.modules.Conv1DActivityNet`). Sequences of any length
    ``>= 1`` are accepted.

    Parameters
    ----------
    channels : tuple of int, default=(32, 64, 64)
        Convolution channels of each residual block; its length is the number
        of blocks. Each block halves the time axis.
    kernel_size : int, default=9
        Temporal kernel size (the seed found large kernels work best).
    activation : str, default="elu"
        ``"elu"``, ``"relu"``, ``"gelu"``, ``"selu"``, ``"tanh"``, ``"leaky_relu"``.
    dropout : float, default=0.1
        Spatial (whole-channel) dropout after each block.
    head_units : int, default=64
        Width of the dense layer of the head.
    head_dropout : float, default=0.3
        Dropout before the output layer.
    roll_augment : bool, default=False
        Roll each training sequence circularly in time by a random shift, in
        training mode only (prediction is never augmented). A NaN-padded
        sequence rolls within its valid steps; its padding stays at the end.
    max_roll : int or None, default=None
        Largest shift of ``roll_augment``; None allows any shift.
    differences : bool or "auto", default="auto"
        Feed the first differences of every channel (``x[t] - x[t-1]``) as
        extra channels beside the raw values. ``"auto"`` does so when the
        stem downsamples (``downsample_ > 1``): the stem keeps only a summary
        of each window, so the step-to-step changes inside it (switching
        events, edges) are otherwise lost, whereas at full resolution the
        first convolution can learn a difference itself. The resolved value
        is ``differences_``.
    downsample : int or "auto", default="auto"
        Shorten the sequences this many times before the first block, keeping
        the mean, maximum and minimum of each window (1: no stem). ``"auto"``
        picks the smallest factor that brings the padded length to at most
        256 steps, so long recordings train as fast as short ones; the
        resolved factor is ``downsample_``.
    pooling : {"avgmax", "avg"}, default="avgmax"
        Global pooling over time: mean and maximum of the last block's
        features concatenated, or the mean only (the seed's).
    crop_fraction : float in (0, 1], default=1.0
        Window slicing, in training mode only: each training sequence is
        replaced by a random window of at least this fraction of its valid
        steps (:class:`skseq.modules.RandomCrop`); prediction reads
        whole sequences. 1 keeps them whole. Off by default: on the skill
        benchmark ``0.9`` gave suite means of 0.910, 0.915 and 0.913 with
        seeds 0, 1 and 2, against the default's 0.920, 0.920 and 0.926
        (PickupGestureWiimoteZ, whose sequences vary in length, 0.80-0.84;
        measured before the equal training batches, docs/benchmarks.rst).
    sequence_scaling : bool or "auto", default="auto"
        Inside the network, replace every channel by the sequence
        standardised with its own mean and standard deviation (over its
        valid steps), with that mean and log standard deviation as two more
        channels. Series recorded at very different amplitudes (appliance
        currents, uncalibrated sensors) keep their shape visible next to
        the larger ones, and the amplitude stays an input. ``"auto"`` does
        so when the training sequences' standard deviations span more than
        a factor of 100 in some channel (90th over 10th percentile;
        ``sequence_scaling_``). On PLAID, an unseen UCR set of raw appliance
        currents (span above 10**5), the classifier scored 0.49 without it
        and 0.86 with it; on the skill benchmark's sets (span 1 for the
        z-normalised ones, 12-56 for BasicMotions) and on seglearn's
        smartwatch recordings (span 11) forcing it lowered the mean
        accuracy (see docs/benchmarks.rst).
    {class_weight_parameter}
    scale_input : bool, default=True
        Standardise each channel with the training mean and standard
        deviation (``input_mean_``, ``input_scale_``).
    {training_parameters}

    Attributes
    ----------
    {classifier_attributes}
    {training_attributes}
    downsample_ : int
        Resolved downsampling factor of the stem.
    differences_ : bool
        Whether first differences were fed to the network.
    sequence_scaling_ : bool
        Whether each sequence was also standardised on its own.

    References
    ----------
    .. [1] Z. Wang, W. Yan and T. Oates, "Time series classification from
       scratch with deep neural networks: a strong baseline", International
       Joint Conference on Neural Networks (IJCNN), 2017.
    .. [2] H. A. Dau, A. Bagnall, K. Kamgar, C.-C. M. Yeh, Y. Zhu,
       S. Gharghabi, C. A. Ratanamahatana and E. Keogh, "The UCR time series
       archive", IEEE/CAA Journal of Automatica Sinica 6(6), 2019.
    .. [3] A. Bagnall, H. A. Dau, J. Lines, M. Flynn, J. Large, A. Bostrom,
       P. Southam and E. Keogh, "The UEA multivariate time series
       classification archive, 2018", arXiv:1811.00075, 2018.
    .. [4] A. Dempster, D. F. Schmidt and G. I. Webb, "MiniRocket: a very
       fast (almost) deterministic transform for time series
       classification", KDD 2021.

    Examples
    --------
    >>> from skseq import Conv1DActivityClassifier
    >>> from skseq.datasets import load_basic_motions
    >>> X, y = load_basic_motions(split="train")
    >>> clf = Conv1DActivityClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 4)
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseSequenceClassifier._parameter_constraints,
        "channels": [positive_int_sequence("a non-empty tuple of int >= 1")],
        "kernel_size": [positive_int()],
        "activation": [StrOptions(set(_ACTIVATIONS))],
        "dropout": [fraction()],
        "head_units": [positive_int()],
        "head_dropout": [fraction()],
        "roll_augment": ["boolean"],
        "max_roll": [NumberInterval(Integral, 0, None, closed="left"), None],
        "differences": ["boolean", StrOptions({"auto"})],
        "downsample": [positive_int(), StrOptions({"auto"})],
        "pooling": [StrOptions(set(_POOLINGS))],
        "crop_fraction": [NumberInterval(Real, 0, 1, closed="right")],
        "sequence_scaling": ["boolean", StrOptions({"auto"})],
    }

    def __init__(
        self,
        channels: tuple[int, ...] = (32, 64, 64),
        kernel_size: int = 9,
        activation: str = "elu",
        dropout: float = 0.1,
        head_units: int = 64,
        head_dropout: float = 0.3,
        roll_augment: bool = False,
        max_roll: int | None = None,
        differences: bool | str = "auto",
        downsample: int | str = "auto",
        pooling: str = "avgmax",
        crop_fraction: float = 1.0,
        sequence_scaling: bool | str = "auto",
        class_weight: str | dict | None = None,
        scale_input: bool = True,
        optimizer: str | type = "nadam",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        max_epochs: int | str = "auto",
        batch_size: int = 32,
        validation_fraction: float | str | None = "auto",
        patience: int | str | None = "auto",
        lr_schedule: str | None = "cosine",
        gradient_clip: float | None = None,
        callbacks: list | None = None,
        warm_start: bool = False,
        device: str = "cpu",
        accelerator: accelerate.Accelerator | None = None,
        compile: bool = False,
        precision: str = "fp32",
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        **kwargs: Any,
    ):
        self.channels = channels
        self.kernel_size = kernel_size
        self.activation = activation
        self.dropout = dropout
        self.head_units = head_units
        self.head_dropout = head_dropout
        self.roll_augment = roll_augment
        self.max_roll = max_roll
        self.differences = differences
        self.downsample = downsample
        self.pooling = pooling
        self.crop_fraction = crop_fraction
        self.sequence_scaling = sequence_scaling
        self.class_weight = class_weight
        self.scale_input = scale_input
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.gradient_clip = gradient_clip
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.device = device
        self.accelerator = accelerator
        self.compile = compile
        self.precision = precision
        self.verbose = verbose
        self.random_state = random_state
        self._set_passthrough_params(kwargs)

    #: BatchNorm in every block: a remainder batch of a few sequences would
    #: normalise with the statistics of those few (measured in docs/benchmarks.rst).
    _even_batches: ClassVar[bool] = True

    def _sample_cost(self, X):
        """Timesteps the blocks see per sequence (after the stem)."""
        return float(self._stem_length(X.shape[1]))

    def _build_module(self):
        self.downsample_ = self._resolve_downsample(self.n_timesteps_in_)
        self.differences_ = self._resolve_differences()
        return Conv1DActivityNet(
            n_channels=self.n_channels_in_,
            n_classes=len(self.classes_),
            channels=tuple(self.channels),
            kernel_size=self.kernel_size,
            activation=self.activation,
            dropout=self.dropout,
            head_units=self.head_units,
            head_dropout=self.head_dropout,
            roll_augment=self.roll_augment,
            max_roll=self.max_roll,
            differences=self.differences_,
            downsample=self.downsample_,
            pooling=self.pooling,
            crop_fraction=float(self.crop_fraction),
            sequence_scaling=self.sequence_scaling_,
            valid_step_norm=True,
        )

    @classmethod
    def _get_test_params(cls):
        return [
            {
                "channels": (4,),
                "kernel_size": 3,
                "head_units": 8,
                "max_epochs": 3,
                "validation_fraction": None,
                "random_state": 0,
            },
            {
                "channels": (4, 4),
                "kernel_size": 3,
                "head_units": 8,
                "max_epochs": 2,
                "roll_augment": True,
                "class_weight": "balanced",
                "random_state": 0,
            },
        ]


@_compose_classifier_attributes
@compose_training_doc(
    optimizer=(
        'str, torch.optim.Optimizer subclass or "auto"',
        """
        ``"adam"``, ``"adamw"``, ``"nadam"``, ``"sgd"``, ``"rmsprop"``, an
        optimizer class such as ``torch.optim.SGD``, or ``"auto"``: NAdam
        behind the convolutional front end (the Conv1D classifier's; Adam
        scored 4-6 points lower on ArrowHead there), Adam without it (the
        LSTM's before the front end; with NAdam one of three seeds failed
        to train on ItalyPowerDemand). Its other arguments are passed as
        ``optimizer__<name>`` (see ``**kwargs``; with ``"auto"`` they must
        suit both).
        """,
    ),
    lr=(
        'float or "auto"',
        """
        Learning rate of the optimizer (> 0). ``"auto"``: 1e-3 behind the
        convolutional front end (the Conv1D classifier's; 2e-3 until
        2026-12-08, which scored 0.927 against 0.930 over five seeds of the
        skill benchmark with ``conv_skip``, and 5e-3 about 2 points lower on
        the long benchmark sets), 5e-3 without it (the
        LSTM reading raw timesteps scored 0.956 at 5e-3 against 0.933 at
        2e-3 with NAdam on the keypoints with 40 % missing joints, and 0.958
        with Adam at 5e-3, its ``optimizer="auto"``).
        """,
    ),
    max_epochs=(
        "A sample costs the timesteps its front end's blocks see (after the "
        "stem), or without front end its recurrent steps (timesteps / patch "
        "length)."
    ),
    batch_size="""
    Behind the convolutional front end (its BatchNorm), the largest
    training batch: ``n`` training sequences go in ``ceil(n / batch_size)``
    batches of about equal size, as in :class:`Conv1DActivityClassifier`; without
    it, full batches and a remainder.
    """,
    lr_schedule=(
        '{"cosine", "step"} or None',
        """
        ``"cosine"`` decays the learning rate from ``lr`` to ``lr / 100``
        along a half cosine over ``max_epochs_`` epochs; ``"step"`` is the
        seed's schedule: divide it by ``1 / lr_gamma`` every
        ``lr_step_size`` epochs. ``None`` keeps ``lr``. Ignored when
        ``callbacks`` holds a skorch ``LRScheduler``.
        """,
    ),
)
class KeypointLSTMClassifier(BaseSequenceClassifier):
    """LSTM classifier of pose-keypoint and other multichannel sequences.

    Follows a behaviour-classification project (15 keypoints x (x, y) over 5
    frames -> behaviour): a stacked LSTM [1]_ (depth 3) reading the raw
    coordinates of every frame, whose head reads the hidden states of
    **all** timesteps. That is the network for short sequences (under 16
    steps with the default front end).

    Longer sequences (``front_end="auto"`` resolves to ``"conv"``) go through
    a convolutional front end first, as in DeepConvLSTM [2]_: the stem and
    residual Conv1D blocks of :class:`Conv1DActivityClassifier` turn the
    sequence into local features, each block halving the time axis; one
    LSTM layer reads those features step by step, and the head reads the
    mean and the maximum of its hidden states over the valid steps beside
    the mean and the maximum of the front end's features (``conv_skip``),
    trained with NAdam at a learning rate of 1e-3 and equal training batches
    for the front end's BatchNorm. On the skill benchmark
    (``benchmarks/bench_skill.py``, UCR [3]_ / UEA sets never used to tune
    the seed) the LSTM reading raw values was far behind MiniRocket and the
    Conv1D classifier on long series (seed 0: OSULeaf 0.52, ACSF1 0.56,
    suite mean 0.769); with the front end its mean is 0.930 over five seeds
    (MiniRocket's 0.934). On the 5-frame keypoints
    with missing joints of the gallery the front end was worse than the
    seed's network (0.922 against 0.958 at 40 % missing): a sequence of 5
    steps leaves the LSTM one pooled step. From 16 steps on, where it leaves
    two or more, it was as good or better (JapaneseVowels, 7-29 steps:
    0.980 against 0.944 over three seeds; ItalyPowerDemand, 24 steps; the
    keypoints of 16 and 32 frames). ``n_layers``, ``head``, ``optimizer``
    and ``lr`` follow the resolved front end unless set (``front_end_``,
    ``n_layers_``, ``head_``): shorter sequences get the seed's network and
    its training unchanged. The figures are in docs/benchmarks.rst.

    Variable-length sequences: pad shorter sequences at the END with rows of
    NaN to a common length. Padding is excluded by packing the sequences
    (:func:`torch.nn.utils.rnn.pack_padded_sequence`) and masked in the
    convolutional front end, so a sequence's prediction does not depend on
    the other sequences of ``X``; behind the front end, which pools pairs
    of steps, the same sequence padded otherwise can differ slightly, as
    for :class:`Conv1DActivityClassifier`. Unlike that classifier's, the
    front end's batch norms take their training statistics over every step,
    padding included (over the valid steps only, the LSTM scored lower on
    the padded benchmark data), so a fit depends on how far the training
    sequences are padded: pad to the longest sequence, not beyond.

    Missing keypoints: NaN anywhere before a sequence's padding (a joint the
    pose detector did not find, as :class:`~skseq.preprocessing.KeypointNormalizer`
    with ``missing="nan"`` returns it; a frame where none was found) is a
    missing value. It is left out of the input scaling statistics and, after
    scaling, filled with 0 -- the channel's mean, so a missing coordinate
    carries no signal. With ``scale_input=False`` it is filled with 0 in the
    input's own units: a point at the origin, the skeleton's centre after
    :class:`~skseq.preprocessing.KeypointNormalizer` but a corner of the
    image in pixel coordinates. A frame whose every coordinate is missing
    is thus a frame of zeros, unless it is trailing (then it is padding). A
    sequence of NaN only is an error.

    Parameters
    ----------
    front_end : {"auto", "conv"} or None, default="auto"
        What the LSTM reads: the features of residual Conv1D blocks
        (``"conv"``) or the timesteps themselves (None, the seed's).
        ``"auto"``: the front end for sequences of more than 64 steps and
        wherever its blocks leave the LSTM at least 2 steps (``T`` after the
        stem ``>= 2 * 2 ** len(conv_channels)``: sequences of 16 steps or
        more with the default three blocks), none for shorter ones, which it
        would reduce to a single step.
    conv_channels : tuple of int, default=(32, 64, 64)
        With ``front_end="conv"``: channels of each residual block (its
        length is the number of blocks; each halves the time axis).
    kernel_size : int, default=9
        With ``front_end="conv"``: temporal kernel of the convolutions.
    differences : bool or "auto", default="auto"
        With ``front_end="conv"``: first differences of every channel as
        extra input channels; ``"auto"`` as in
        :class:`Conv1DActivityClassifier` (when the stem downsamples).
    downsample : int or "auto", default="auto"
        With ``front_end="conv"``: the stem's factor; ``"auto"`` as in
        :class:`Conv1DActivityClassifier` (at most 256 steps reach the
        blocks).
    sequence_scaling : bool or "auto", default="auto"
        With ``front_end="conv"``: each sequence standardised on its own,
        with its mean and log standard deviation as channels, as in
        :class:`Conv1DActivityClassifier` (``"auto"`` likewise).
    hidden_size : int, default=64
        LSTM hidden units per layer (and direction).
    n_layers : int or "auto", default="auto"
        Stacked LSTM depth. ``"auto"``: 1 behind the convolutional front end
        (one layer scored as well as three or better there on the skill
        benchmark), 3 without it (the seed's).
    bidirectional : bool, default=False
        Run every LSTM layer in both directions (doubles the hidden state).
    dropout : float, default=0.3
        Dropout between LSTM layers and in the head. The seed used none; on
        the skill benchmark's small training sets the LSTM reached a training
        loss of 0 and dropout 0.3 raised the test accuracy on 6 of 7 sets.
    head : {"auto", "flatten", "meanmax", "mean", "max", "last"}, default="auto"
        How the head reads the hidden states: all steps concatenated
        (``"flatten"``, the seed's), their mean and maximum over the valid
        steps (``"meanmax"``), the mean or the maximum alone, or the last
        valid state (bidirectional: the backward direction's at the first
        step, where it has read the whole sequence). ``"auto"``:
        ``"meanmax"`` behind the convolutional front end, ``"flatten"``
        without it.
    head_units : int, default=64
        Width of the head's hidden layer.
    conv_skip : bool, default=True
        With ``front_end="conv"``: the head also reads the front end's
        features pooled over time (their mean and maximum over the valid
        steps, what :class:`Conv1DActivityClassifier`'s head reads), beside
        the LSTM's: a skip connection around the LSTM, so that features the
        recurrence does not carry still reach the head. On the skill
        benchmark it raised the suite mean from 0.923 to 0.927 over five
        seeds (OSULeaf from 0.903 to 0.952), and to 0.930 with ``lr=1e-3``;
        on seglearn's smartwatch recordings, never used to choose it, 0.902
        and 0.905 against 0.902. False: the head reads the LSTM's states
        alone (the previous default).
    patch_length : int or "auto", default="auto"
        Steps the LSTM reads at once (timesteps, or front-end steps): each
        recurrent step sees a patch of ``patch_length`` consecutive steps,
        so ``T`` steps take ``ceil(T / patch_length)`` recurrent steps (the
        recurrence is sequential; this keeps a stacked LSTM trainable on
        sequences of hundreds or thousands of steps). ``"auto"`` picks the
        smallest patch that leaves at most 64 recurrent steps (1 behind the
        default convolutional front end, whose three blocks leave at most
        32; with fewer blocks it may leave more, and the patch grows).
    lr_step_size : int or None, default=30
        With ``lr_schedule="step"``: epochs between learning-rate drops
        (skorch ``LRScheduler`` with ``StepLR``). Ignored by the other
        schedules.
    lr_gamma : float in (0, 1], default=0.5
        With ``lr_schedule="step"``: factor applied to the learning rate at
        each drop.
    {class_weight_parameter}
    scale_input : bool, default=True
        Standardise each channel with the training mean and standard
        deviation (``input_mean_``, ``input_scale_``; missing values left
        out).
    {training_parameters}

    Attributes
    ----------
    {classifier_attributes}
    {training_attributes}
    front_end_ : {"conv"} or None
        The resolved front end.
    n_layers_ : int
        The resolved LSTM depth.
    head_ : str
        The resolved head.
    downsample_ : int
        Resolved factor of the front end's stem (1 without front end).
    differences_ : bool
        Whether the front end was fed first differences (False without).
    sequence_scaling_ : bool
        Resolved ``sequence_scaling`` (used by the front end only: False
        without it).

    References
    ----------
    .. [1] S. Hochreiter and J. Schmidhuber, "Long short-term memory",
       Neural Computation 9(8), 1997.
    .. [2] F. J. Ordóñez and D. Roggen, "Deep convolutional and LSTM
       recurrent neural networks for multimodal wearable activity
       recognition", Sensors 16(1), 115, 2016.
    .. [3] H. A. Dau, A. Bagnall, K. Kamgar, C.-C. M. Yeh, Y. Zhu,
       S. Gharghabi, C. A. Ratanamahatana and E. Keogh, "The UCR time series
       archive", IEEE/CAA Journal of Automatica Sinica 6(6), 2019.

    Examples
    --------
    >>> from skseq import KeypointLSTMClassifier
    >>> from skseq.datasets import make_keypoint_actions
    >>> X, y = make_keypoint_actions(n_samples=40, random_state=0)
    >>> clf = KeypointLSTMClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseSequenceClassifier._parameter_constraints,
        "front_end": [StrOptions({"auto", "conv"}), None],
        "conv_channels": [positive_int_sequence("a non-empty tuple of int >= 1")],
        "kernel_size": [positive_int()],
        "differences": ["boolean", StrOptions({"auto"})],
        "downsample": [positive_int(), StrOptions({"auto"})],
        "sequence_scaling": ["boolean", StrOptions({"auto"})],
        "hidden_size": [positive_int()],
        "n_layers": [positive_int(), StrOptions({"auto"})],
        "bidirectional": ["boolean"],
        "dropout": [fraction()],
        "head": [StrOptions({*_HEADS, "auto"})],
        "head_units": [positive_int()],
        "conv_skip": ["boolean"],
        "patch_length": [positive_int(), StrOptions({"auto"})],
        "lr_step_size": [positive_int(), None],
        "lr_gamma": [NumberInterval(Real, 0, 1, closed="right")],
        "lr_schedule": [StrOptions({"cosine", "step"}), None],
        "lr": [NumberInterval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "optimizer": [StrOptions({*_OPTIMIZERS, "auto"}), OPTIMIZER],
    }
    # estimators pickled before conv_skip existed keep their network on refit
    _arguments_of_older_pickles: ClassVar[dict] = {
        **BaseSequenceClassifier._arguments_of_older_pickles,
        "conv_skip": False,
    }
    #: ``patch_length="auto"``: the longest sequence the LSTM steps through.
    _auto_max_lstm_steps = 64
    #: ``front_end="auto"``: the fewest steps the front end must leave the
    #: LSTM (16 timesteps with the default three blocks).
    _auto_min_front_end_steps = 2
    _missing_values = True

    def __init__(
        self,
        front_end: str | None = "auto",
        conv_channels: tuple[int, ...] = (32, 64, 64),
        kernel_size: int = 9,
        differences: bool | str = "auto",
        downsample: int | str = "auto",
        sequence_scaling: bool | str = "auto",
        hidden_size: int = 64,
        n_layers: int | str = "auto",
        bidirectional: bool = False,
        dropout: float = 0.3,
        head: str = "auto",
        head_units: int = 64,
        conv_skip: bool = True,
        patch_length: int | str = "auto",
        lr_step_size: int = 30,
        lr_gamma: float = 0.5,
        class_weight: str | dict | None = None,
        scale_input: bool = True,
        optimizer: str | type = "auto",
        lr: float | str = "auto",
        weight_decay: float = 0.0,
        max_epochs: int | str = "auto",
        batch_size: int = 32,
        validation_fraction: float | str | None = "auto",
        patience: int | str | None = "auto",
        lr_schedule: str | None = "cosine",
        gradient_clip: float | None = None,
        callbacks: list | None = None,
        warm_start: bool = False,
        device: str = "cpu",
        accelerator: accelerate.Accelerator | None = None,
        compile: bool = False,
        precision: str = "fp32",
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        **kwargs: Any,
    ):
        self.front_end = front_end
        self.conv_channels = conv_channels
        self.kernel_size = kernel_size
        self.differences = differences
        self.downsample = downsample
        self.sequence_scaling = sequence_scaling
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.head = head
        self.head_units = head_units
        self.conv_skip = conv_skip
        self.patch_length = patch_length
        self.lr_step_size = lr_step_size
        self.lr_gamma = lr_gamma
        self.class_weight = class_weight
        self.scale_input = scale_input
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.gradient_clip = gradient_clip
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.device = device
        self.accelerator = accelerator
        self.compile = compile
        self.precision = precision
        self.verbose = verbose
        self.random_state = random_state
        self._set_passthrough_params(kwargs)

    def _check_param_combinations(self):
        if self.lr_schedule == "step" and self.lr_step_size is None:
            raise ValueError(
                "lr_schedule='step' needs lr_step_size (epochs between drops); got "
                "None."
            )

    def _resolve_front_end(self) -> str | None:
        """``front_end`` for the fitted sequence length (``"auto"`` resolved).

        A fitted estimator's is ``front_end_``: a continued (warm-started)
        fit trains the network it has, with that network's settings.
        """
        if hasattr(self, "front_end_"):
            return self.front_end_
        if self.front_end == "auto":
            n_blocks = len(self.conv_channels)
            steps = encoded_length(self._stem_length(self.n_timesteps_in_), n_blocks)
            long = self.n_timesteps_in_ > self._auto_max_lstm_steps
            return "conv" if long or steps >= self._auto_min_front_end_steps else None
        return self.front_end

    def _resolve_optimizer(self) -> type:
        """``optimizer="auto"``: NAdam behind the convolutional front end, Adam without."""
        if self.optimizer == "auto":
            conv = self._resolve_front_end() == "conv"
            return resolve_optimizer("nadam" if conv else "adam")
        return super()._resolve_optimizer()

    def _optimizer_choices(self) -> tuple[type, ...]:
        if self.optimizer == "auto":
            return (resolve_optimizer("adam"), resolve_optimizer("nadam"))
        return super()._optimizer_choices()

    def _resolve_lr(self) -> float:
        """``lr="auto"``: 1e-3 behind the convolutional front end, 5e-3 without."""
        if self.lr == "auto":
            return 1e-3 if self._resolve_front_end() == "conv" else 5e-3
        return float(self.lr)

    # a read-only property over the base's class-level setting: typing has no
    # read-only class attribute for the base to declare
    @property
    def _even_batches(self) -> bool:  # type: ignore[override]
        """Equal training batches for the front end's BatchNorm."""
        return self._resolve_front_end() == "conv"

    def _steps_read(self, n_timesteps: int) -> int:
        """Steps the LSTM's input has: timesteps, or front-end steps."""
        if self._resolve_front_end() != "conv":
            return n_timesteps
        return encoded_length(self._stem_length(n_timesteps), len(self.conv_channels))

    def _resolve_patch_length(self) -> int:
        if isinstance(self.patch_length, str):  # "auto"
            steps = self._steps_read(self.n_timesteps_in_)
            return -(-steps // self._auto_max_lstm_steps)
        return int(self.patch_length)

    def _sample_cost(self, X):
        """Timesteps the front end's blocks see, or the recurrent steps."""
        if self._resolve_front_end() == "conv":
            return float(self._stem_length(X.shape[1]))
        return float(-(-X.shape[1] // self._resolve_patch_length()))

    def _default_callbacks(self):
        if self.lr_schedule != "step":
            return super()._default_callbacks()
        return [
            (
                "lr_step_schedule",
                FitLRScheduler(
                    policy=torch.optim.lr_scheduler.StepLR,
                    step_size=self.lr_step_size,
                    gamma=self.lr_gamma,
                ),
            )
        ]

    def _build_module(self):
        self.front_end_ = self._resolve_front_end()
        conv = self.front_end_ == "conv"
        self.downsample_ = self._resolve_downsample(self.n_timesteps_in_) if conv else 1
        self.differences_ = self._resolve_differences() if conv else False
        # the front end scales each sequence; without it nothing would
        self.sequence_scaling_ = self.sequence_scaling_ and conv
        # behind the front end: one layer read by pooling; without: the seed's
        self.n_layers_ = (
            (1 if conv else 3) if self.n_layers == "auto" else self.n_layers
        )
        self.head_ = (
            ("meanmax" if conv else "flatten") if self.head == "auto" else self.head
        )
        return KeypointLSTMNet(
            n_features=self.n_channels_in_,
            n_classes=len(self.classes_),
            n_timesteps=self.n_timesteps_in_,
            # torch's LSTM wants Python numbers; numpy scalars are accepted here
            hidden_size=int(self.hidden_size),
            n_layers=int(self.n_layers_),
            bidirectional=bool(self.bidirectional),
            dropout=float(self.dropout),
            head=self.head_,
            head_units=int(self.head_units),
            patch_length=self._resolve_patch_length(),
            front_end=self.front_end_,
            conv_channels=tuple(int(c) for c in self.conv_channels),
            kernel_size=int(self.kernel_size),
            differences=self.differences_,
            downsample=self.downsample_,
            sequence_scaling=self.sequence_scaling_,
            conv_skip=bool(self.conv_skip) and conv,
        )

    @classmethod
    def _get_test_params(cls):
        return [
            {
                "front_end": "conv",
                "conv_channels": (4,),
                "kernel_size": 3,
                "hidden_size": 4,
                "head_units": 4,
                "max_epochs": 3,
                "validation_fraction": None,
                "random_state": 0,
            },
            {
                "front_end": None,
                "hidden_size": 4,
                "n_layers": 2,
                "head": "flatten",
                "bidirectional": True,
                "head_units": 4,
                "max_epochs": 2,
                "lr_step_size": 1,
                "random_state": 0,
            },
        ]


def _channel_mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each channel over its non-NaN values.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_channels)

    Returns
    -------
    mean, std : ndarray of shape (n_channels,), float64
        NaN for a channel without any value. numpy's ``nanstd`` squares the
        deviations of float32 input in float32: a channel where that
        overflows (values beyond about 1e19) is computed again in float64.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        # channels without values: NaN
        mean = nan_reduce(np.nanmean, X, axis=(0, 1), dtype=np.float64)
        std = nan_reduce(np.nanstd, X, axis=(0, 1), dtype=np.float64)
    for c in np.flatnonzero(np.isfinite(mean) & ~np.isfinite(std)):
        values = X[:, :, c].astype(np.float64)
        values = values[~np.isnan(values)]
        std[c] = np.sqrt(np.mean((values - mean[c]) ** 2))
    return mean, std


def amplitude_span(X: np.ndarray) -> float:
    """How many times the sequences' amplitudes differ, in the widest channel.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_channels)
        NaN (padding, missing values) is left out.

    Returns
    -------
    span : float
        The largest, over channels, ratio of the 90th to the 10th percentile
        of the standard deviations of the sequences that vary (constant
        sequences, such as an idle recording, an event channel that stays at
        0 or a sequence of one step, say nothing about amplitudes and are
        left out); 1 for a channel with fewer than two such sequences.
    """
    spans = [1.0]
    for c in range(X.shape[2]):
        # float64 one channel at a time: float32 squares overflow; NaN for
        # sequences without values
        stds = nan_reduce(np.nanstd, X[:, :, c].astype(np.float64), axis=1)  # (n,)
        varying = stds[stds > 0]  # NaN (no value) compares False
        if varying.size >= 2:
            low, high = np.percentile(varying, [10, 90])
            spans.append(high / low)
    return float(max(spans))


def _check_nan(
    X: np.ndarray, *, allow_missing: bool, name: str = "X"
) -> np.ndarray | None:
    """Check the NaN in ``X``; return the mask of missing values (or None).

    Trailing rows of NaN (every channel) are padding of a shorter sequence.
    With ``allow_missing``, NaN anywhere before the padding is a missing
    value (e.g. a keypoint the pose detector did not find) and its mask is
    returned; without, such NaN is an error.
    """
    nan_mask = np.isnan(X)
    if not nan_mask.any():
        return None
    lengths = valid_lengths(X)
    if (lengths == 0).any():
        empty = np.flatnonzero(lengths == 0)
        raise ValueError(
            f"{name} contains {len(empty)} sequence(s) made only of NaN padding (at "
            f"index {_first_indices(empty)}); every sequence needs at least one "
            "timestep of data."
        )
    inside = np.arange(X.shape[1])[None, :] < lengths[:, None]
    missing = nan_mask & inside[:, :, None]
    if not missing.any():
        return None
    if not allow_missing:
        where = _first_indices(np.flatnonzero(missing.any(axis=(1, 2))))
        if (nan_mask.any(axis=2) & ~nan_mask.all(axis=2)).any():
            raise ValueError(
                f"{name} contains NaN in only some channels of a timestep (sequences "
                f"at index {where}). NaN is accepted only as padding: whole rows of "
                "NaN at the end of a shorter sequence."
            )
        raise ValueError(
            f"{name} contains NaN rows in the middle of a sequence (sequences at "
            f"index {where}). NaN is accepted only as padding at the end of a "
            "shorter sequence (pad after the data)."
        )
    return missing


def _first_indices(indices: np.ndarray, n: int = 5) -> str:
    """``"3, 17"`` or ``"3, 17, 20, 21, 40, ..."``: sample indices for a message."""
    shown = ", ".join(str(int(i)) for i in indices[:n])
    return shown + (", ..." if len(indices) > n else "")
