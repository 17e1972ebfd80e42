"""RainNet-style U-Net radar nowcaster."""

from __future__ import annotations

from functools import partial
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import BaseCrossValidator, KFold, check_cv
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import _num_samples, check_is_fitted

from skseq.base import NumberInterval, check_sample_weight
from skseq.estimators._base import (
    PREDICTION_LOCK,
    TRAINING_PARAMETER_CONSTRAINTS,
    BaseFrameRegressor,
    callback_class,
    evenly_spaced_indices,
    fraction,
    positive_int,
    resolve_loss,
)
from skseq.estimators._training_doc import compose_training_doc
from skseq.modules.layers import _ACTIVATIONS
from skseq.modules.losses import LogCoshL1Loss
from skseq.modules.tiling import rainnet_halo
from skseq.modules.unet import RainNet, RecursiveNowcastNet
from skseq.utils._lazy import LazyFrames, take_rows
from skseq.utils._seeds import draw_seed
from skseq.utils._warnings import warn_user
from skseq.utils.validation import check_positive_int, split_with_groups

if TYPE_CHECKING:  # annotations only (accelerate is optional)
    from collections.abc import Iterable

    import accelerate
    from numpy.typing import ArrayLike
    from sklearn.model_selection import BaseShuffleSplit

__all__ = ["UNetNowcaster"]


def _log_offset(a: np.ndarray, offset: float) -> np.ndarray:
    """``log(a + offset)`` in float32."""
    return np.log(a + np.float32(offset)).astype(np.float32)


def _steering_callbacks(callbacks: list | None) -> list | None:
    """The user's ``callbacks`` that steer training, for the calibration
    copies: without those that save or log a fit (a ``Checkpoint`` would end
    up holding a copy's weights, a logger would record every copy as a run)
    or load a saved state (a copy must not start from the model's weights).
    Entries are callbacks, their classes or ``(name, callback)`` pairs."""
    from skorch.callbacks import Checkpoint, LoadInitState, TrainEndCheckpoint
    from skorch.callbacks import logging as logging_callbacks

    records = (Checkpoint, TrainEndCheckpoint, LoadInitState)
    records += tuple(
        value
        for value in vars(logging_callbacks).values()
        if isinstance(value, type)
        and issubclass(value, logging_callbacks.Callback)
        and value.__module__ == logging_callbacks.__name__
        and value is not logging_callbacks.EpochTimer
    )

    kept = [
        entry
        for entry in callbacks or []
        if not issubclass(callback_class(entry), records)
    ]
    return kept or None


class _TooFewWindows(ValueError):
    """Too few windows to cross-fit the ensemble calibration."""


_RESIDUALS = ("none", "last", "prior")
_LOSSES = ("logcosh+mae", "logcosh", "mae", "mse", "huber")


@compose_training_doc(
    max_epochs="""
    Here a sample costs its pixels x lead times of ``y`` (unrolled steps),
    with a budget of ``1.4e8`` per fit: about 3 minutes on one CPU core
    with the default network, e.g. 14 epochs of 231 samples of 6 x 80 x 96
    (167-168 s in docs/benchmarks.rst).
    """,
    gradient_clip="""
    On by default here: trained through its own fed-back outputs, the
    recursion can amplify a gradient like a recurrent network's. On the
    probabilistic skill benchmark (``random_state=2``) an unclipped fit's
    gradient norm jumped from under 10 to 7.6e5 in one epoch and its training
    loss from 0.37 to 1.28, never to recover (0.67 after 25 epochs, against
    0.24 with the default clipping); clipping at 10 or 50 did not prevent it.
    """,
)
class UNetNowcaster(BaseFrameRegressor):
    """U-Net nowcaster: the last few radar frames -> the next frames, recursively.

    The one-step network (:class:`skseq.modules.RainNet`) follows
    RainNet (Ayzel et al. 2020 [1]_): the input frames are stacked as channels
    of a U-Net (Ronneberger et al. 2015 [2]_) with max-pooling encoder levels, dropout at the two deepest
    levels, transposed convolution (or nearest) upsampling with skip
    connections and a linear output. Frames of any size work: they are
    mirror-padded to a multiple of ``2 ** depth`` inside the network and
    cropped back (the seed's 120x120 crash). ``two_path=True`` adds a
    ConvLSTM path (Shi et al. 2015 [3]_) over the input frames, concatenated with the U-Net output
    before a 3x3 output convolution (the winning model of a radar nowcasting contest).

    Longer lead times are nowcast recursively, as in RainNet: each predicted
    frame is appended to the input window for the next step
    (:class:`skseq.modules.RecursiveNowcastNet`). ``fit`` takes targets
    at one or several lead times, ``y[:, k]`` being the frame ``k + 1``
    steps after the last input frame, and trains the network *unrolled* over
    all of them: the loss covers every lead and its gradient flows through
    the fed-back predictions, so the network learns from its own outputs and
    stays skilful at long leads (trained on one-step targets only, its small
    errors compound step after step). Fit on windows of as many future
    frames as the leads you care about, e.g.
    ``sliding_windows(frames, n_input=4, n_output=6)``.

    The defaults were chosen by measurement (``benchmarks/skill_nowcasting.py``:
    simulated radar with rotating wind, growing and decaying cells, training
    and test sequences from different seeds), against pysteps' Lucas-Kanade
    extrapolation and persistence, and explain themselves:

    * ``advection_prior=True``: every step also sees the last observed frame
      shifted along the motion estimated from the input frames (one
      translation per sample by FFT cross-correlation,
      :func:`skseq.modules.estimate_translation`) as far as that step's lead time. Moving
      rain is thus placed right at every lead without the network having to
      learn the motion from a few hundred samples; it spends its capacity on
      what the shift misses (rotation, growth and decay, new cells).
    * ``residual="last"``: the network predicts the change from the last
      frame of its window, which starts it near persistence instead of
      zero.
    * ``loss="logcosh+mae"`` (``0.75 logcosh + 0.25 |error|``, per lead,
      in ``y``'s units): the absolute error alone gives the per-pixel median,
      which at long (uncertain) leads shrinks rain areas and loses CSI;
      RainNet's log-cosh alone, quadratic below one unit, spreads light rain
      over dry pixels and loses MAE at long leads; the mix keeps both ahead.
    * ``base_channels=8``: on a CPU, more epochs of a network with 8 base
      channels did as well as RainNet's 16 channels at about a third of the
      cost per epoch.
    * ``max_epochs="auto"`` with a budget of ``1.4e8`` pixels x unrolled lead
      times (about 3 minutes on one CPU core), ``batch_size=4``, ``lr=2e-3``
      with a cosine decay: skill kept growing with training well past 10
      epochs of a few hundred windows, and at equal compute smaller batches
      (more steps) won.
    * ``log_transform=False``: training on ``log(R + 0.01)`` lost CSI.

    The reasons for ``base_channels``, the training length and
    ``log_transform`` come from development runs of the first release,
    not kept on the benchmarks page; the skill of the defaults is measured
    in docs/benchmarks.rst.

    Trained through its own fed-back outputs, a fit can diverge: the
    gradient can explode through the recursion (on the probabilistic skill
    benchmark, ``random_state=2``, its median norm per batch went from 2-3
    to 219 in one epoch and to 3e16 in the next, its largest to infinity). Two guards are on:
    ``gradient_clip=1.0``, and a rollback
    (:class:`skseq.estimators.RollbackOnDivergence`): when an epoch's
    training loss is above 1.25 times the lowest so far, the weights and the
    optimizer state go back to the best epoch's and the learning rate is
    halved (the epoch's ``history_`` row gets a ``"rollback"`` entry), and a
    fit that ends more than 2 % above its best training loss ends on the
    best epoch's weights (with a validation split, early stopping decides
    instead: the fit ends on the epoch of the best validation loss). A
    ``RollbackOnDivergence`` of your own in
    ``callbacks`` (another ``factor``, say) replaces this one.

    Fitted on 231 windows (4 -> 6 frames of 80x96), these defaults beat both
    baselines in MAE and CSI at 1 mm/h at every lead 1-6 on the skill
    benchmark's two generator settings (two seeds each) and on a slow,
    never-used setting; on a never-used setting with fast motion and
    short-lived cells they kept the lower MAE at every lead but fell behind
    the Lucas-Kanade extrapolation in lead-6 CSI (docs/benchmarks.rst).

    Parameters
    ----------
    depth : int, default=3
        Pooling levels of the U-Net (RainNet used 4 with 64..1024 channels;
        the default is CPU-sized).
    base_channels : int, default=8
        Channels of the first level; level ``k`` has ``base_channels * 2**k``
        (RainNet: 64; 8 trains fast enough on a CPU for many epochs).
    dropout : float, default=0.5
        Dropout at the two deepest levels.
    upsampling : {"transpose", "nearest"}, default="transpose"
        Decoder upsampling: a learnt transposed convolution (RainNet's
        Conv2DTranspose) or nearest-neighbour resizing followed by a
        convolution.
    activation : {"relu", "elu", "gelu", "selu", "tanh", "leaky_relu"}, default="relu"
        Activation after every convolution.
    two_path : bool, default=False
        Add the ConvLSTM path over the input frames.
    convlstm_hidden : int, default=16
        Hidden channels of the ConvLSTM path.
    advection_prior : bool, default=True
        Give every step, as one more input frame, the last observed frame
        advected to that step's lead time along the motion estimated from the
        input frames (from the mean over channels).
    residual : {"last", "prior", "none"}, default="last"
        The network predicts the change from the last frame of its window
        (``"last"``), the correction to the advection prior (``"prior"``,
        needs ``advection_prior=True``) or the frame itself (``"none"``, the
        original RainNet).
    loss : {"logcosh+mae", "logcosh", "mae", "mse", "huber"}, default="logcosh+mae"
        Averaged over all lead times and pixels. ``"logcosh+mae"`` is
        ``0.75 * logcosh + 0.25 * |error|``
        (:class:`skseq.modules.LogCoshL1Loss`); ``"logcosh"`` is
        RainNet's loss.
    log_transform : bool, default=False
        Train on ``log(x + log_offset)`` of inputs and targets (rain rates);
        predictions are transformed back with the exact inverse. Negative
        input is then an error. Like the architecture, it is read by
        ``fit``: a fitted estimator predicts in the space it was trained in
        until it is fitted again.
    log_offset : float, default=0.01
        The ``c`` of ``log(x + c)`` with ``log_transform=True`` (> 0; 0.01
        as RainNet's, for rain rates in mm/h); read by ``fit``, as
        ``log_transform``.
    clip_output : bool, default=True
        Clip every predicted frame to ``target_range_``, the smallest and
        largest target value seen in ``fit`` (for rain rates: non-negative
        and no heavier than the heaviest rain trained on). The clip is part
        of the recursion (each frame is clipped before it is fed back), in
        training too, where the gradient passes it unchanged. Without it, a
        value beyond anything seen in training is extrapolated again at the
        next step and a recursive nowcast can grow without bound. Read at
        prediction time too, so ``set_params(clip_output=False)`` on a fitted
        estimator shows the raw network output.
    tile_size : int, "auto" or None, default="auto"
        Prediction on large domains, whatever frame size the network was
        fitted on: each step of the recursion runs the U-Net tile by tile,
        on cores of ``tile_size`` pixels (rounded up to a multiple of
        ``2 ** depth``) extended on each side by a halo covering the
        network's receptive field, and keeps the cores; the advection prior,
        the residual and the clip stay on the whole domain. The result
        equals one pass over the whole domain (up to float rounding) while
        memory grows with the tile, not the domain. ``"auto"`` uses cores of
        256 pixels (frames up to 256x256 run in one pass, as with ``None``);
        ``None`` always runs one pass. Read at prediction time; training is
        never tiled.
    ensemble_cv : int, cross-validation splitter or None, default=2
        How ``fit`` calibrates :meth:`predict_ensemble` when it holds no
        window out (no validation split, as with the defaults on fewer than
        300 windows, and no ``validation_data``): by cross-fitting over
        ``ensemble_cv`` contiguous blocks of the training windows, as
        :meth:`calibrate_ensemble` with ``cv=ensemble_cv`` (copies of the
        estimator fitted on each block's complement, their errors on the
        block pooled; the copies run the ``callbacks`` that steer training,
        not those that save, log or load a fit: a ``Checkpoint`` holds the
        model's weights). The network and :meth:`predict` are the same whatever
        this is; it costs about one more fit with ``2`` (two copies on half
        the windows each, trained as many epochs), nothing with ``None``,
        which calibrates on the training windows themselves -- where the
        network errs less than on new data, so the ensemble comes out too
        narrow (spread/skill 0.42-0.71, 0.69-0.91 and 0.50-0.67 on the
        probabilistic skill benchmark's three seeds, against 0.77-0.95,
        0.90-1.00 and 0.80-1.05 with ``2``; networks re-fitted since the
        U-Net trains in ``channels_last`` gave 0.68-0.82, 0.86-0.99 and
        0.79-1.01 with ``2``). On small, briefly trained fits
        the copies (half the windows, as many epochs) err more than the full
        network, and the error model they give is biased: there, use
        ``3`` (copies on two thirds of the windows, at twice the cost; on
        the probabilistic gallery example's small run CRPS 0.033-0.074 at
        leads 1-3 against 0.043-0.096 with ``2``, both measured before the
        fix of the members' noise at the borders, after which ``2`` gives
        0.042-0.100) or calibrate on another
        sequence (:meth:`calibrate_ensemble`). Set it to None when
        you do not need ensembles. With too few windows to leave a training
        window in every split, ``fit`` falls back to the training windows;
        a splitter that cannot split them, or a split whose training windows
        all weigh 0, is refused before training.
        A splitter that needs groups (``GroupKFold`` over days) cannot be
        given them in ``fit``: fit with ``ensemble_cv=None``, then
        ``calibrate_ensemble(X, y, cv=..., groups=...)``.
    {training_parameters}

    Attributes
    ----------
    n_input_frames_ : int
        Input frames per sample seen in ``fit``.
    n_channels_in_, n_channels_out_ : int
        Channels of the input and target frames (1 for 4D arrays).
    n_output_frames_ : int
        Lead times in the ``y`` given to ``fit``: the steps the network was
        trained unrolled over, and the frames :meth:`predict` returns.
    target_ndim_ : int
        Rank of the ``y`` given to ``fit`` (3, 4 or 5): ``predict`` returns
        frames in its layout.
    frame_shape_ : tuple of int
        ``(H, W)`` of the training frames. Prediction accepts frames of any
        ``H x W`` (the U-Net mirror-pads them to a multiple of ``2 ** depth``
        and crops back).
    n_features_in_ : int
        Values per input sample in ``fit``.
    target_range_ : tuple of float
        ``(min, max)`` of the ``y`` of the fit that built the network (a
        warm-started fit keeps it, see ``warm_start``), in its units.
    {training_attributes}
    ensemble_noise_ : dict
        The noise of :meth:`predict_ensemble`, estimated at the end of
        ``fit`` (the network fixed) on the validation split (or
        ``validation_data``; without one, cross-fitted as ``ensemble_cv``
        says), or by :meth:`calibrate_ensemble`, in network space:
        ``"bin_edges"`` (edges of the intensity bins of the smoothed
        nowcast), ``"quantiles"`` (quantiles at levels ``0.005, 0.015, ...,
        0.995`` of the nowcast's errors per lead time and bin,
        ``(n_output_frames, n_bins, 100)``), ``"displacement"`` (scale in
        pixels of the members' position errors per lead time,
        ``(n_output_frames,)``; 0: no move), ``"correlation"`` (spatial
        scale of the draws in pixels, from the lead-1 errors),
        ``"lead_correlation"`` (their lead-to-lead correlation),
        ``"n_windows"`` (calibration windows, at most 128) and
        ``"calibration"`` (which windows: ``"held-out
        windows"``, ``"cross-fitted (k splits)"``, ``"training windows"``
        or ``"new windows"``).

    See Also
    --------
    skseq.baselines.ExtrapolationNowcaster : The classical reference, pysteps'
        optical-flow extrapolation.
    skseq.baselines.PersistenceForecaster : The last frame, unchanged.

    References
    ----------
    .. [1] G. Ayzel, T. Scheffer and M. Heistermann, "RainNet v1.0: a
       convolutional neural network for radar-based precipitation
       nowcasting", Geoscientific Model Development 13, 2020.
    .. [2] O. Ronneberger, P. Fischer and T. Brox, "U-Net: convolutional
       networks for biomedical image segmentation", MICCAI 2015.
    .. [3] X. Shi, Z. Chen, H. Wang, D.-Y. Yeung, W.-K. Wong and W.-C. Woo,
       "Convolutional LSTM network: a machine learning approach for
       precipitation nowcasting", Advances in Neural Information Processing
       Systems 28 (NeurIPS), 2015.

    Examples
    --------
    >>> from skseq import UNetNowcaster
    >>> from skseq.datasets import make_radar_sequences
    >>> from skseq.preprocessing import sliding_windows
    >>> frames = make_radar_sequences(n_frames=24, height=37, width=53, random_state=0)
    >>> X, y = sliding_windows(frames, n_input=4, n_output=3)
    >>> est = UNetNowcaster(depth=2, base_channels=4, max_epochs=1, random_state=0)
    >>> est.fit(X, y).predict(X).shape
    (18, 3, 37, 53)
    >>> est.predict_sequence(X[:2], n_steps=5).shape
    (2, 5, 37, 53)
    """

    _parameter_constraints: ClassVar[dict] = {
        **TRAINING_PARAMETER_CONSTRAINTS,
        "depth": [positive_int()],
        "base_channels": [positive_int()],
        "dropout": [fraction()],
        "upsampling": [StrOptions({"transpose", "nearest"})],
        "activation": [StrOptions(set(_ACTIVATIONS))],
        "two_path": ["boolean"],
        "convlstm_hidden": [positive_int()],
        "advection_prior": ["boolean"],
        "residual": [StrOptions(set(_RESIDUALS))],
        "loss": [StrOptions(set(_LOSSES))],
        "log_transform": ["boolean"],
        "log_offset": [NumberInterval(Real, 0, None, closed="neither")],
        "ensemble_cv": [
            NumberInterval(Integral, 2, None, closed="left"),
            HasMethods(["split"]),
            None,
        ],
        "clip_output": ["boolean"],
        "tile_size": [positive_int(), StrOptions({"auto"}), None],
    }

    def __init__(
        self,
        depth: int = 3,
        base_channels: int = 8,
        dropout: float = 0.5,
        upsampling: str = "transpose",
        activation: str = "relu",
        two_path: bool = False,
        convlstm_hidden: int = 16,
        advection_prior: bool = True,
        residual: str = "last",
        loss: str = "logcosh+mae",
        log_transform: bool = False,
        log_offset: float = 0.01,
        clip_output: bool = True,
        tile_size: int | str | None = "auto",
        ensemble_cv: int | BaseCrossValidator | None = 2,
        optimizer: str | type = "adam",
        lr: float = 2e-3,
        weight_decay: float = 0.0,
        max_epochs: int | str = "auto",
        batch_size: int = 4,
        validation_fraction: float | str | None = "auto",
        patience: int | str | None = "auto",
        lr_schedule: str | None = "cosine",
        gradient_clip: float | None = 1.0,
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
        self.depth = depth
        self.base_channels = base_channels
        self.dropout = dropout
        self.upsampling = upsampling
        self.activation = activation
        self.two_path = two_path
        self.convlstm_hidden = convlstm_hidden
        self.advection_prior = advection_prior
        self.residual = residual
        self.loss = loss
        self.log_transform = log_transform
        self.log_offset = log_offset
        self.clip_output = clip_output
        self.tile_size = tile_size
        self.ensemble_cv = ensemble_cv
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

    #: ``max_epochs="auto"``: the compute budget of one fit, in pixels x
    #: unrolled steps (one sample of ``T_out`` lead times on ``H x W`` frames
    #: costs ``H * W * T_out``), about 3 minutes with the default network on
    #: one core of a 2-core CPU (167-168 s for 231 windows of 6 x 80 x 96).
    _auto_budget = 140_000_000

    #: Trained through its own fed-back outputs, a fit can diverge.
    _rollback_on_divergence: ClassVar[bool] = True

    #: Fitted before ``ensemble_cv`` existed: calibrated on the training windows.
    _arguments_of_older_pickles: ClassVar[dict] = {
        **BaseFrameRegressor._arguments_of_older_pickles,
        "ensemble_cv": None,
    }

    def _sample_cost(self, X: np.ndarray) -> float:
        """Pixels x unrolled steps of one training sample (for "auto")."""
        return float(np.prod(X.shape[-2:]) * self.n_output_frames_)

    # --------------------------------------------------------------- transforms
    def _log_settings(self) -> tuple[bool, float]:
        """``(log_transform, log_offset)`` of the fitted network (arguments
        set since ``fit`` wait for the next one); the arguments' own values
        before and during a fit."""
        fitted = getattr(self, "_first_fit_params", None) or {}
        return (
            fitted.get("log_transform", self.log_transform),
            fitted.get("log_offset", self.log_offset),
        )

    def _forward_transform(self, a: np.ndarray, name: str) -> np.ndarray:
        log_transform, log_offset = self._log_settings()
        if not log_transform:
            return a
        minimum = float(a.min())
        if minimum < 0:
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__}: {name} "
                f"has minimum {minimum:g}, but log_transform=True computes "
                "log(x + log_offset) of rain rates, which must be >= 0."
            )
        if isinstance(a, LazyFrames):  # out of core: transformed batch by batch
            return a.with_transform(partial(_log_offset, offset=log_offset))
        return _log_offset(a, log_offset)

    def _inverse_transform(self, a: np.ndarray) -> np.ndarray:
        log_transform, log_offset = self._log_settings()
        if not log_transform:
            return a
        out = np.exp(a.astype(np.float64)) - log_offset
        if self.clip_output:  # exp(log(v + offset)) - offset is v up to rounding
            out = np.clip(out, *self.target_range_)
        return out.astype(np.float32)

    def _network_range(self) -> tuple[float, float]:
        """``target_range_`` in network space (after the log transform)."""
        low, high = self._forward_transform(
            np.asarray(self.target_range_, dtype=np.float32), "y"
        )
        return float(low), float(high)

    # -------------------------------------------------------------- validation
    def _check_param_combinations(self):
        if self.residual == "prior" and not self.advection_prior:
            raise ValueError(
                "residual='prior' corrects the advection prior; it needs "
                "advection_prior=True."
            )
        height, width = self.frame_shape_
        if max(height, width) < 2:
            raise ValueError(
                f"UNetNowcaster needs frames of at least 2 pixels along one side "
                f"(its shallowest U-Net, depth=1, halves them once); got "
                f"{height}x{width} frames."
            )
        if 2**self.depth > max(height, width):
            raise ValueError(
                f"depth={self.depth} halves the frames {self.depth} times (a factor "
                f"{2**self.depth}), but they are only {height}x{width}: the deepest "
                "level would be smaller than one pixel and the frames would be "
                "padded far beyond their size. Use depth <= "
                f"{int(np.log2(max(height, width)))} for frames of this size."
            )

    def _validate_fit_data(self, X, y):
        X = self._validate_frames(X, reset=True)
        y = self._validate_targets(y, X)
        if self.n_channels_out_ != self.n_channels_in_ and (
            self.n_output_frames_ > 1 or self.residual != "none"
        ):
            raise ValueError(
                f"y has {self.n_channels_out_} channels but X has "
                f"{self.n_channels_in_}. UNetNowcaster feeds each predicted frame "
                "back as input (several output frames) and adds it to a frame of "
                "the input (residual='last' or 'prior'), which needs as many "
                "channels in y as in X; use one output frame and residual='none' "
                "for other target channels."
            )
        X, targets = self._forward_transform(X, "X"), self._network_targets(y)
        self.target_range_ = (float(y.min()), float(y.max()))
        largest = max(abs(v) for v in self.target_range_)
        if 0 < largest < self._smallest_target_scale:
            warn_user(
                f"UNetNowcaster learns y in its own units (no input scaling; its "
                f"defaults are tuned for rain rates in mm/h), and the largest |y| "
                f"is {largest:.3g}: below {self._smallest_target_scale} it fits "
                "poorly. Multiply X and y by a power of ten that brings the "
                "largest values to 1-100, and divide the predictions by it.",
                UserWarning,
            )
        return X, targets

    #: Targets whose largest magnitude is below this warn in ``fit``: the same
    #: frames times 0.1 (largest value 0.06) were fitted with a correlation
    #: of 0.56 with the targets, against 0.97 (tiny network, 30 epochs), and
    #: times 0.01 gave a constant forecast.
    _smallest_target_scale = 0.1

    def _network_targets(self, y, name="y"):
        return self._forward_transform(y, name)

    def _member_range(self) -> tuple[float, float] | None:
        """Where ``_clip_network_output`` and the network's clamp clip (None:
        nowhere), in network space."""
        return self._network_range() if self.clip_output else None

    def _clip_network_output(self, a: np.ndarray) -> np.ndarray:
        """Clip network-space output to ``target_range_`` (when ``clip_output``)."""
        if not self.clip_output:
            return a
        return np.clip(a, *self._network_range())

    def _validate_predict_X(self, X, name="X"):
        return self._forward_transform(
            self._validate_frames(X, reset=False, name=name), name
        )

    def _build_criterion(self):
        if self.loss == "logcosh+mae":
            return LogCoshL1Loss, {"l1_weight": 0.25}
        return resolve_loss(self.loss), {}

    def _build_module(self):
        step = RainNet(
            n_in_frames=self.n_input_frames_ + int(bool(self.advection_prior)),
            in_channels=self.n_channels_in_,
            out_channels=self.n_channels_out_,
            depth=self.depth,
            base_channels=self.base_channels,
            dropout=self.dropout,
            upsampling=self.upsampling,
            activation=self.activation,
            two_path=self.two_path,
            convlstm_hidden=self.convlstm_hidden,
        )
        return RecursiveNowcastNet(
            step,
            n_steps=self.n_output_frames_,
            advection_prior=bool(self.advection_prior),
            residual=self.residual,
            clamp=self._member_range(),
        )

    def _continue_net(self, *args, **kwargs) -> None:
        # a continued fit trains with the current clip_output (the clamp
        # otherwise kept whatever the last prediction set)
        network = cast(RecursiveNowcastNet, self._unwrapped_module())
        network.clamp = self._member_range()
        super()._continue_net(*args, **kwargs)

    # -------------------------------------------------------------- prediction
    def _network_output(
        self,
        X: np.ndarray,
        n_steps: int | None = None,
        *,
        seed: int | None = None,
        dropout: bool = False,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """Unroll the trained network ``n_steps`` leads on validated input.

        Returns network-space frames ``(n, n_steps, C, H, W)``. The module's
        clamp follows the current ``clip_output``. The RNG is forked so that
        prediction never changes the caller's random state. ``seed`` (of
        torch's forked RNG) and ``dropout`` (dropout layers left on) are for
        Monte-Carlo dropout ensembles.
        """
        module = self.module_
        network = cast(RecursiveNowcastNet, self._unwrapped_module())
        n_steps = self.n_output_frames_ if n_steps is None else n_steps
        with PREDICTION_LOCK:  # the clamp and the tiles are the module's
            network.clamp = self._member_range()
            # only a RainNet step has a known receptive field to tile with
            network.tile = (
                self._tile_plan(
                    rainnet_halo(
                        network.step,
                        # torch types a ModuleList's items as plain Modules
                        # (here nn.Sequential blocks, which are indexable)
                        network.step.down[0][0].in_channels,  # type: ignore[index]
                    )
                )
                if isinstance(network.step, RainNet)
                else None
            )
            try:
                outputs = self._predict_in_batches(
                    X,
                    lambda batch: module(batch, n_steps),
                    batch_size=batch_size,
                    seed=seed,
                    dropout=dropout,
                )
            finally:
                network.tile = None
        if not outputs:
            return np.empty(
                (0, n_steps, self.n_channels_out_, *X.shape[-2:]), np.float32
            )
        return np.concatenate(outputs)

    def _nowcast(self, X, n_steps: int | None) -> np.ndarray:
        """Validated and transformed ``X`` -> clipped frames in data units."""
        check_is_fitted(self, "net_")
        window = self._validate_predict_X(X)
        out = self._clip_network_output(self._network_output(window, n_steps))
        return self._inverse_transform(out)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Nowcast the lead times the estimator was fitted on.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, C, H, W)
            Past frames, as many per sample and with as many channels as in
            ``fit``, of any ``H x W``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_output_frames, H, W), (n_samples, H, W) or (n_samples, n_output_frames, C, H, W)
            The next ``n_output_frames_`` frames (as many as the ``y`` given
            to ``fit`` had), in that ``y``'s layout, so that
            ``score(X, y)`` compares like with like. Equal to
            ``predict_sequence(X, n_output_frames_)`` up to the layout.
        """
        return self._to_target_layout(self._nowcast(X, None))

    def predict_sequence(self, X: ArrayLike, n_steps: int) -> np.ndarray:
        """Recursive multi-step nowcast: each prediction is fed back as input.

        Any number of steps, whatever the number of lead times in ``fit``
        (beyond them the network runs on its own outputs further than it was
        trained to).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, C, H, W)
            Past frames, as many per sample and with as many channels as in
            ``fit``, of any ``H x W``.
        n_steps : int
            Number of future frames.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_steps, H, W) or (n_samples, n_steps, C, H, W)
            In the layout of the ``y`` given to ``fit``, as ``predict``: 5D
            where that ``y`` had a channel axis (5D ``y``, or several
            channels), 4D otherwise.
        """
        check_is_fitted(self, "net_")
        n_steps = check_positive_int(n_steps, "n_steps")
        if n_steps > 1 and self.n_channels_out_ != self.n_channels_in_:
            raise ValueError(
                "predict_sequence feeds predictions back as inputs, which needs as "
                f"many output channels ({self.n_channels_out_}) as input channels "
                f"({self.n_channels_in_})."
            )
        out = self._nowcast(X, n_steps)
        return out if self._has_channel_axis(X) else out[:, :, 0]

    # ---------------------------------------------------------------- ensembles
    #: Calibration of the ensemble noise: at most this many windows.
    _n_calibration_windows = 128
    #: Whether ``fit`` calibrates the ensemble: not the copies that
    #: cross-fit it, whose errors on their held-out windows are what counts.
    _calibrates_in_fit = True

    def _check_before_training(self, X, y, sample_weight, *, has_valid: bool) -> None:
        # the splits that cross-fit the calibration after training, made and
        # checked before it: a splitter that cannot split these windows, or a
        # split whose training windows all weigh 0, fails without training
        self._calibration_plan = None
        if (
            not self._calibrates_in_fit
            or has_valid
            or self.validation_fraction_ > 0
            or self.ensemble_cv is None
        ):
            return
        try:
            splits = list(
                self._calibration_splits(
                    _num_samples(y), self.ensemble_cv, X, y, name="ensemble_cv"
                )
            )
        except _TooFewWindows:  # calibrate on the training windows
            return
        if sample_weight is not None:
            for train, _ in splits:
                if not sample_weight[train].sum() > 0:
                    raise ValueError(
                        f"ensemble_cv={self.ensemble_cv!r}: the sample_weight of "
                        "a split's training windows is all zeros, so its copy "
                        "cannot be fitted; give those windows weight or set "
                        "ensemble_cv=None."
                    )
        self._calibration_plan = splits

    def _fit(self, X, y, **kwargs):
        try:
            super()._fit(X, y, **kwargs)
            splits = getattr(self, "_calibration_plan", None)
        finally:
            self.__dict__.pop("_calibration_plan", None)
        if not self._calibrates_in_fit:
            return self
        validation_data = kwargs.get("validation_data")
        held_out = validation_data is not None or self.validation_fraction_ > 0
        if splits:
            X_net, y_net = self._validate_validation_data(X, y, names=("X", "y"))
            sample_weight = kwargs.get("sample_weight")
            if sample_weight is not None:  # a scalar weighs every window alike
                sample_weight = check_sample_weight(sample_weight, len(y_net))
            self.ensemble_noise_ = self._cross_fitted_noise(
                X, y, X_net, y_net, splits, sample_weight
            )
        else:
            X_cal, y_cal = self._held_out_windows(X, y, validation_data)
            self.ensemble_noise_ = self._calibrate_ensemble(X_cal, y_cal)
            self.ensemble_noise_["calibration"] = (
                "held-out windows" if held_out else "training windows"
            )
        return self

    def calibrate_ensemble(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        cv: int
        | BaseCrossValidator
        | BaseShuffleSplit
        | Iterable[tuple[ArrayLike, ArrayLike]]
        | None = None,
        groups: ArrayLike | None = None,
    ) -> UNetNowcaster:
        """Re-estimate the error model of ``predict_ensemble`` out of sample.

        ``fit`` calibrates the ensemble on the windows it holds out, or --
        without a validation split, as with the defaults on fewer than 300
        windows -- by cross-fitting (``ensemble_cv``). This re-calibrates a
        fitted estimator on errors made on unseen windows, without changing
        the network (only ``ensemble_noise_`` changes; ``predict`` does
        not):

        * ``cv=None``: ``X, y`` are windows of another sequence the network
          was not trained on (another day, another radar). On the
          probabilistic skill benchmark a second simulated sequence of 240
          frames brought the spread/skill ratio of the training-window
          calibration from 0.42-0.71 to 0.65-0.77 (``random_state=0``),
          from 0.69-0.91 to 0.83-0.97 (1) and from 0.50-0.67 to 0.70-0.91
          (2).
        * ``cv=k`` (or a splitter): cross-fitting, as scikit-learn's
          :class:`~sklearn.calibration.CalibratedClassifierCV` does.
          ``X, y`` are the training windows (those given to ``fit``); a
          copy of this estimator (same parameters, trained as many epochs as
          this one, ``n_epochs_``) is fitted on each split's training
          windows, and the errors its nowcast makes on the held-out ones are
          pooled into the error model. With an int, the splits are ``k``
          contiguous blocks (:class:`~sklearn.model_selection.KFold` without
          shuffling: blocks of time for windows in time order), and the
          training windows that share a frame with a held-out window are left
          out (those within ``n_input_frames + n_output_frames - 1``
          positions of it, for consecutive windows one frame apart, as
          :func:`skseq.preprocessing.sliding_windows` makes them). A splitter
          (an object with ``split(X, y, groups)``, e.g. ``GroupKFold`` with
          the day of each window as ``groups``) or an iterable of
          ``(train, held_out)`` index arrays is used as given. ``cv=2``
          costs about one more fit (two networks on half the windows each)
          and on the same benchmark brought the
          spread/skill ratio of the training-window calibration to
          0.77-0.95 (0), 0.90-1.00 (1) and 0.80-1.05 (2); networks re-fitted
          since the U-Net trains in ``channels_last`` gave 0.68-0.82,
          0.86-0.99 and 0.79-1.01, and pooled over six test sequences
          0.85-1.20 (docs/benchmarks.rst); it is what ``fit`` does by
          default.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, C, H, W)
            Past frames, as in ``fit``.
        y : array-like of shape (n_samples, n_output_frames, H, W), (n_samples, H, W) or (n_samples, n_output_frames, C, H, W)
            The frames that followed, as many per sample as the ``y`` of
            ``fit`` had.
        cv : int, cross-validation splitter, iterable or None, default=None
            None: ``X, y`` are new windows, the fitted network's errors on
            them calibrate the ensemble. An int >= 2, a splitter or an
            iterable of ``(train, held_out)`` index arrays: cross-fitting on
            ``X, y`` (see above).
        groups : array-like of shape (n_samples,) or None, default=None
            Group of each window (e.g. its day), passed to the splitter's
            ``split`` (``GroupKFold`` needs it). Ignored by ``cv=None`` and
            by an int.

        Returns
        -------
        self : UNetNowcaster
            With ``ensemble_noise_`` estimated on ``X, y``.
        """
        check_is_fitted(self, "net_")
        X_net, y_net = self._validate_validation_data(X, y, names=("X", "y"))
        if cv is None:
            self.ensemble_noise_ = self._calibrate_ensemble(X_net, y_net)
            self.ensemble_noise_["calibration"] = "new windows"
            return self
        try:
            splits = list(self._calibration_splits(len(X_net), cv, X, y, groups))
        except _TooFewWindows as error:  # fit's private fallback signal
            raise ValueError(str(error)) from None
        self.ensemble_noise_ = self._cross_fitted_noise(X, y, X_net, y_net, splits)
        return self

    def _cross_fitted_noise(
        self, X, y, X_net: np.ndarray, y_net: np.ndarray, splits, sample_weight=None
    ) -> dict:
        """The error model from copies fitted on each split's training windows.

        ``X, y`` as given by the user (the copies validate them again),
        ``X_net, y_net`` validated network inputs and targets.
        """
        from skseq.estimators._ensemble import fit_noise

        forecasts, targets = [], []
        n_per_split = max(1, self._n_calibration_windows // len(splits))
        for k, (train, held_out) in enumerate(splits, start=1):
            if self.verbose:  # the copies' epoch tables follow the network's
                print(
                    f"Error model: copy {k} of {len(splits)}, fitted on "
                    f"{len(train)} windows, nowcasts the {len(held_out)} held out."
                )
            fold = clone(self).set_params(
                max_epochs=self.n_epochs_,
                warm_start=False,
                ensemble_cv=None,
                callbacks=_steering_callbacks(self.callbacks),
            )
            fold._calibrates_in_fit = False
            weight = (
                None
                if sample_weight is None
                else _safe_indexing(np.asarray(sample_weight), train)
            )
            # out of core: the copies read their windows batch by batch too
            fold.fit(take_rows(X, train), take_rows(y, train), sample_weight=weight)
            # the windows used, not the whole held-out block, are read
            used = held_out[evenly_spaced_indices(len(held_out), n_per_split)]
            forecast, target = fold._calibration_nowcasts(X_net, y_net, used)
            forecasts.append(forecast)
            targets.append(target)
        noise = fit_noise(
            np.concatenate(forecasts), np.concatenate(targets), self._member_range()
        )
        noise["calibration"] = f"cross-fitted ({len(splits)} splits)"
        return noise

    def _calibration_splits(
        self, n_windows: int, cv, X, y, groups=None, name: str = "cv"
    ):
        """``(train, held_out)`` index pairs of ``calibrate_ensemble(cv=...)``
        (``fit``'s ``ensemble_cv``: ``name`` in the messages)."""
        # an iterable of splits is named, not printed whole
        shown = f"{name}={cv!r}" if hasattr(cv, "split") or np.isscalar(cv) else name
        if isinstance(cv, Integral) and not isinstance(cv, bool):
            # typeshed's numbers.Integral declares only < and <=
            if not 2 <= cv <= n_windows:  # type: ignore[operator]
                raise _TooFewWindows(
                    f"{shown} splits {n_windows} windows into {cv} blocks; it "
                    f"must be an int between 2 and {n_windows}."
                )
            # windows i and j share a frame when |i - j| < this (stride 1)
            reach = self.n_input_frames_ + self.n_output_frames_
            for train, held_out in KFold(n_splits=cv).split(np.arange(n_windows)):
                lo, hi = held_out.min(), held_out.max()
                train = train[(train <= lo - reach) | (train >= hi + reach)]
                if len(train) == 0:
                    raise _TooFewWindows(
                        f"{shown}: with the windows that share frames with the "
                        f"held-out block {lo}-{hi} left out, no training window "
                        f"is left of the {n_windows}; use fewer splits or more "
                        "windows."
                    )
                yield train, held_out
            return
        try:
            # a splitter as it is; an iterable of (train, held_out) wrapped
            splitter = None if isinstance(cv, str | bool) else check_cv(cv)
        except (TypeError, ValueError):
            splitter = None
        if splitter is None:
            raise ValueError(
                "cv must be None, an int >= 2, a cross-validation splitter (an "
                "object with a split method) or an iterable of (train, held_out) "
                f"index arrays; got {cv!r}."
            )
        splits = split_with_groups(
            splitter,
            X,
            y,
            groups,
            f"The splitter {cv!r} needs the group of each window: call "
            "calibrate_ensemble(X, y, cv=..., groups=...) (fit cannot take groups: "
            "fit with ensemble_cv=None, then calibrate).",
        )
        if not splits:
            raise ValueError(
                f"{shown} gave no split (an empty list, or a generator used up "
                "earlier); pass a splitter such as KFold(3) or a list of "
                "(train, held_out) index pairs."
            )
        for train, held_out in splits:
            train, held_out = np.asarray(train), np.asarray(held_out)
            if len(train) == 0 or len(held_out) == 0:
                raise ValueError(
                    f"{shown}: a split has no training or no held-out window."
                )
            for part in (train, held_out):
                if part.dtype.kind not in "iu" or not (
                    0 <= part.min() and part.max() < n_windows
                ):
                    raise ValueError(
                        f"{shown}: a split is not indices of the "
                        f"{n_windows} windows (integers from 0 to "
                        f"{n_windows - 1}); got {part[:8]!r}."
                    )
            yield train, held_out

    def _calibrate_ensemble(self, X: np.ndarray, y: np.ndarray) -> dict:
        """The error model of ``predict_ensemble`` on network-space ``X, y``."""
        from skseq.estimators._ensemble import fit_noise

        index = evenly_spaced_indices(len(X), self._n_calibration_windows)
        return fit_noise(*self._calibration_nowcasts(X, y, index), self._member_range())

    def _calibration_nowcasts(
        self, X: np.ndarray, y: np.ndarray, index: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Clipped nowcasts and targets of the windows ``index`` of the
        network-space ``X, y`` (only those are read)."""
        return self._clip_network_output(self._network_output(X[index])), y[index]

    def predict_ensemble(
        self,
        X: ArrayLike,
        n_members: int = 20,
        n_steps: int = 1,
        random_state: int | np.random.RandomState | None = None,
        *,
        method: str = "residual",
    ) -> np.ndarray:
        """Ensemble nowcast: the recursive nowcast plus calibrated errors.

        ``method="residual"`` (the default, chosen by measurement in
        ``benchmarks/skill_probabilistic.py``): member ``j`` at lead ``k``
        is the recursive nowcast (:meth:`predict_sequence`) plus an error
        drawn from the errors that nowcast made at lead ``k`` on
        calibration windows (``fit``'s validation split or
        ``validation_data``, else cross-fitted as ``ensemble_cv`` says, or
        the windows of :meth:`calibrate_ensemble`), among pixels of
        similar smoothed nowcast intensity (``ensemble_noise_``). The draws
        are spatially correlated and correlated from lead to lead (a
        Gaussian copula with the errors' quantiles as marginals), then
        clipped like the nowcast. Before its error is added, a member's
        nowcast is moved by a position error of its own (a 2D Gaussian
        offset kept over the leads, scaled per lead as
        ``ensemble_noise_["displacement"]`` says; the errors are then those
        of nowcasts moved the same way): the scale is chosen per lead,
        from 0 to 3 pixels, by the CRPS of small ensembles on the
        calibration windows, so that moved rain cells spread the members
        where the errors are about position. Beyond the fitted lead times
        the last one's errors and scale are reused.

        ``method="mc_dropout"``: Monte-Carlo dropout (Gal and Ghahramani
        2016): the network's dropout layers stay on, each member running the
        recursion on its own outputs; not calibrated (measured far too
        narrow with the defaults: the deepest features that the dropout
        layers drop carry little to the output, and with one benchmark seed
        nothing, so that the members were identical; a warning says so).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, C, H, W)
            Past frames, as many per sample as in ``fit``.
        n_members : int, default=20
            Ensemble members.
        n_steps : int, default=1
            Lead times (any number, as :meth:`predict_sequence`).
        random_state : int, RandomState instance or None, default=None
            Seeds the members; an int gives the same members every call
            (with ``method="mc_dropout"``, every call with the same
            ``batch_size``: the dropout masks are drawn batch by batch).
            Torch's global random state is left as it was.
        method : {"residual", "mc_dropout"}, default="residual"
            How the members differ (see above).

        Returns
        -------
        members : ndarray of shape (n_samples, n_members, n_steps, H, W) or (n_samples, n_members, n_steps, C, H, W)
            6D where the ``y`` given to ``fit`` had a channel axis (5D
            ``y``, or several channels), 5D otherwise, as ``predict``; in
            ``y``'s units.
        """
        from skseq.estimators._ensemble import sample_members

        check_is_fitted(self, "net_")
        n_members = check_positive_int(n_members, "n_members")
        n_steps = check_positive_int(n_steps, "n_steps")
        if method not in ("residual", "mc_dropout"):
            raise ValueError(
                f"method must be 'residual' or 'mc_dropout'; got {method!r}."
            )
        if n_steps > 1 and self.n_channels_out_ != self.n_channels_in_:
            raise ValueError(
                "predict_ensemble feeds predictions back as inputs, which needs as "
                f"many output channels ({self.n_channels_out_}) as input channels "
                f"({self.n_channels_in_})."
            )
        if method == "residual" and not hasattr(self, "ensemble_noise_"):
            raise AttributeError(
                "This estimator has no ensemble_noise_ (fitted by an skseq "
                "without predict_ensemble); refit it."
            )
        window = self._validate_predict_X(X)
        rng = check_random_state(random_state)
        if method == "residual":
            forecast = self._clip_network_output(self._network_output(window, n_steps))
            out = sample_members(forecast, self.ensemble_noise_, n_members, rng)
        else:
            members = np.repeat(window, n_members, axis=0)
            out = self._network_output(
                members,
                n_steps,
                seed=draw_seed(rng),
                dropout=True,
                batch_size=self.batch_size * n_members,
            )
            out = out.reshape(len(window), n_members, *out.shape[1:])
            self._warn_if_members_identical(out)
        out = self._inverse_transform(self._clip_network_output(out))
        return out if self._has_channel_axis(X) else out[:, :, :, 0]

    @staticmethod
    def _warn_if_members_identical(members: np.ndarray) -> None:
        """Warn when Monte-Carlo dropout members ``(n, m, ...)`` do not differ."""
        if members.shape[1] < 2 or members.size == 0:
            return
        spread = float(np.max(np.ptp(members, axis=1)))
        if spread <= 1e-5 * max(1.0, float(np.max(np.abs(members)))):
            warn_user(
                "method='mc_dropout' drew identical members: the fitted network's "
                "output does not depend on its dropout layers (dropout=0, or the "
                "features they drop do not reach the output), or the clip to "
                "target_range_ (clip_output) removed their differences (e.g. on "
                "dry input). method='residual' draws calibrated members.",
                UserWarning,
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # log(x + log_offset) of rain rates: fit refuses negative X and y
        tags.input_tags.positive_only = bool(self.log_transform)
        tags.target_tags.positive_only = bool(self.log_transform)
        return tags

    @classmethod
    def _get_test_params(cls):
        return [
            {
                "depth": 1,
                "base_channels": 2,
                "max_epochs": 2,
                "validation_fraction": None,
                "ensemble_cv": None,
                "random_state": 0,
            },
            {
                "depth": 2,
                "base_channels": 2,
                "two_path": True,
                "convlstm_hidden": 2,
                "upsampling": "nearest",
                "advection_prior": False,
                "residual": "none",
                "max_epochs": 2,
                "random_state": 0,
            },
        ]
