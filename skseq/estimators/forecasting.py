"""ConvLSTM encoder-decoder forecaster of frame sequences."""

from __future__ import annotations

import numbers
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from skseq.estimators._base import (
    _LOSSES,
    TRAINING_PARAMETER_CONSTRAINTS,
    BaseFrameRegressor,
    evenly_spaced_indices,
    nonzero_scale,
    positive_int,
    resolve_loss,
)
from skseq.estimators._training_doc import compose_training_doc
from skseq.modules.convlstm import ConvLSTMSeq2Seq
from skseq.modules.tiling import seq2seq_halo, tiled_apply
from skseq.utils._lazy import LazyFrames
from skseq.utils.validation import check_positive_int

if TYPE_CHECKING:  # annotations only (accelerate is optional)
    import accelerate
    from numpy.typing import ArrayLike

__all__ = ["ConvLSTMForecaster"]

#: Tolerances of the cyclic-pair detection: ``sin^2 + cos^2`` within this of 1,
#: and a frame-to-frame phase advance within this (radians) of the step.
_UNIT_TOL, _STEP_TOL = 1e-3, 1e-2
#: Fraction of a cyclic pair's frame-to-frame advances (per sample) that may
#: jump off its step: a local clock's daylight-saving change, in the few
#: windows around it.
_MAX_JUMPS = 0.05


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + np.pi) % (2.0 * np.pi) - np.pi


def _find_cyclic_channels(
    X: np.ndarray, first: int
) -> tuple[list[tuple[int, int]], list[float]]:
    """Channel pairs ``(sin, cos)`` of ``X`` whose phase advances linearly.

    Scans channels ``first, first + 1, ...`` of ``X`` ``(n, T, C, H, W)``: a
    pair ``(j, j + 1)`` is cyclic when ``sin^2 + cos^2 = 1`` everywhere and the
    phase ``atan2(sin, cos)`` advances by the same angle from frame to frame
    (in every pixel), in all but at most ``_MAX_JUMPS`` of the samples'
    frame-to-frame steps (where a local clock jumps); that angle is its step.
    """
    X = X[:256]  # a bounded sample is plenty to measure an exact step
    pairs, steps = [], []
    j = first
    while j + 1 < X.shape[2] and X.shape[1] > 1:
        s = X[:, :, j].astype(np.float64)
        c = X[:, :, j + 1].astype(np.float64)
        if np.abs(s * s + c * c - 1.0).max() < _UNIT_TOL:
            step = _common_step(_wrap(np.diff(np.arctan2(s, c), axis=1)))
            if step is not None:
                pairs.append((j, j + 1))
                steps.append(step)
                j += 2
                continue
        j += 1
    return pairs, steps


def _common_step(advance: np.ndarray) -> float | None:
    """The angle a pair's phase advances by from frame to frame, or None.

    ``advance (n, T - 1, H, W)``: the wrapped advances. The step is the
    median advance (around their circular mean: unmoved by a few jumps),
    refined as the circular mean of the advances within ``_STEP_TOL`` of it;
    None when fewer than ``1 - _MAX_JUMPS`` of the frame-to-frame steps
    advance by it in every pixel.
    """
    turns = np.exp(1j * advance)
    centre = np.angle(turns.mean())
    centre += np.median(_wrap(advance - centre))
    on_step = np.abs(_wrap(advance - centre)) < _STEP_TOL
    if on_step.all(axis=(-2, -1)).mean() < 1 - _MAX_JUMPS:
        return None
    return float(np.angle(turns[on_step].mean()))


#: Windows the per-channel ranges of ``scale_input`` are read from (evenly
#: spaced; all of them up to this many), this many at a time.
_N_SCALING_WINDOWS = 512
_SCALING_BATCH = 64


def _channel_ranges(
    frames, keep: tuple[int, ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel minimum and range of ``(n, T, C, H, W)`` frames.

    Read from at most ``_N_SCALING_WINDOWS`` evenly spaced samples (batch by
    batch from out-of-core frames). Channels in ``keep`` get offset 0 and
    scale 1 (left as they are), and so do constant channels (scale 1).

    Returns
    -------
    offset, scale : ndarray of shape (C,), float32
        ``(frames - offset) / scale`` spans [0, 1] in every other channel.
    """
    index = evenly_spaced_indices(len(frames), _N_SCALING_WINDOWS)
    lows, highs = [], []
    for start in range(0, len(index), _SCALING_BATCH):  # out of core: a batch at once
        batch = np.asarray(frames[index[start : start + _SCALING_BATCH]])
        lows.append(batch.min(axis=(0, 1, 3, 4)))
        highs.append(batch.max(axis=(0, 1, 3, 4)))
    low = np.min(lows, axis=0).astype(np.float64)
    scale = nonzero_scale(np.max(highs, axis=0).astype(np.float64) - low, low)
    low[list(keep)], scale[list(keep)] = 0.0, 1.0
    return low.astype(np.float32), scale.astype(np.float32)


def _rescale(a: np.ndarray, offset: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(a - offset) / scale`` over the channel axis of ``(..., C, H, W)`` frames."""
    return ((a - offset[:, None, None]) / scale[:, None, None]).astype(np.float32)


@compose_training_doc(
    max_epochs=(
        'int or "auto"',
        """
        Number of passes over the training data. ``"auto"`` trains at least
        30 epochs, and more on small data sets: as many as about 400
        optimizer steps take, within a compute budget of 100 million input values
        (a sample costs its frames x channels x pixels), so that a few dozen
        windows are not left after some 90 steps. Training sets of 14
        batches or more (209 training windows at ``batch_size=16``, about 233
        passed to ``fit`` with the default 10 % validation split) get the
        30 epochs of the former default. The resolved count is ``max_epochs_``.
        """,
    ),
)
class ConvLSTMForecaster(BaseFrameRegressor):
    """Encoder-decoder ConvLSTM with attention: past frames -> future frames.

    Built for traffic-speed heatmaps (a study of grayscale heatmaps of a road
    corridor: a plain ConvLSTM reached RMSE 10 km/h, an encoder-decoder 7 and
    encoder-decoder with attention about 3), usable for any frame sequence.

    The network (:class:`skseq.modules.ConvLSTMSeq2Seq`) stacks
    ConvLSTM cells (Shi et al. 2015 [1]_) in an encoder; a decoder ConvLSTM starts
    from the encoder's final state and unrolls one step per output frame;
    with ``attention=True`` each decoder step attends over all encoder hidden
    states. ``encoder_decoder=False`` gives the plain model (one convolution
    head on the last hidden state), so the seed's ablation can be reproduced.

    Parameters
    ----------
    hidden_channels : int, default=16
        Channels of every ConvLSTM hidden state.
    n_layers : int, default=2
        Stacked ConvLSTM layers in the encoder (and decoder).
    kernel_size : int, default=3
        Spatial kernel of the gate convolutions.
    encoder_decoder : bool, default=True
        Use the encoder-decoder architecture (else the plain stacked model).
    attention : bool, default=True
        Attention of the decoder over encoder states (needs
        ``encoder_decoder=True``).
    attention_mode : {"pixel", "frame"}, default="pixel"
        One attention weight per pixel and encoder frame, or one per frame.
    loss : {"mse", "mae", "huber", "logcosh"}, default="mse"
        Training loss over all output frames and pixels: squared error,
        absolute error, Huber (squared below 1, absolute above) or
        ``log(cosh(error))``. The errors are those of the scaled targets
        (``scale_input=True``: [0, 1]), which rarely exceed 1: there Huber
        is half the squared error and log-cosh close to it, so they fit
        like ``"mse"`` (measured: Huber's training loss exactly half of
        MSE's, every epoch). For robustness to large errors, use ``"mae"``,
        or set Huber's threshold in scaled units, e.g.
        ``criterion__delta=0.05``.
    tile_size : int, "auto" or None, default="auto"
        Prediction on large domains, whatever frame size the network was
        fitted on: the network runs tile by tile, on cores of ``tile_size``
        pixels extended on each side by a halo covering its receptive field
        (gate convolutions of every layer at every encoder and decoder step),
        keeping the cores. The result equals one pass over the whole domain
        (up to float rounding) while memory grows with the tile, not the
        domain. ``"auto"`` uses cores of 256 pixels (frames up to 256x256 run
        in one pass, as with ``None``); ``None`` always runs one pass.
        ``attention_mode="frame"`` averages attention scores over the whole
        frame, so its output depends on the entire domain and cannot be
        tiled: ``"auto"`` then runs one pass and an integer is an error.
        Read at prediction time; training is never tiled.
    known_future : {"calendar"} or None, default="calendar"
        Known future inputs of the decoder. When ``X`` has more channels
        than ``y``, channels ``n_channels_out_..`` are exogenous inputs (the
        calendar channels of :class:`~skseq.preprocessing.Heatmapper`,
        weather, ...). With ``"calendar"``, ``fit`` finds the exogenous
        channel pairs that are a sine and cosine of a phase advancing by a
        constant angle per frame (cyclic calendar channels) and measures
        that angle; each decoder step then also receives these channels of
        the last input frame rotated forward to the frame it predicts, which
        is exactly that frame's calendar when the output frames follow the
        input frames directly (``sliding_windows`` with ``gap=0``; with a
        gap, the decoder's calendar is ``gap`` frames behind its targets',
        a constant offset the network learns around). It needs at least two
        input frames to measure the step (with one, the calendar channels
        are read by the encoder only). Where a local clock jumps (a
        daylight-saving change of a table with a time zone; at most 5 % of
        the windows' frame-to-frame steps) the pair is still found, and the
        decoder steps after a jump inside the forecast horizon get the
        calendar of a clock without it, an hour off. Other exogenous
        channels (holiday flags, weather) are read by the encoder only.
        None: the decoder gets no exogenous inputs. Without such pairs
        (single-channel input) both give the same network. Needs
        ``encoder_decoder=True`` to have an effect.
    scale_input : bool, default=True
        Rescale every input channel and every target channel from its range
        over the training windows (minimum and maximum, learnt in ``fit``
        from at most 512 evenly spaced windows) to
        [0, 1], the range of the heatmaps the network and its defaults were
        made for, and undo the target's scaling on the output, so that the
        same data give the same forecasts in any units: speeds as [0, 1]
        heatmaps or in km/h, temperatures in kelvin. The cyclic calendar
        channels of ``known_future`` (already in [-1, 1]) are left as they
        are. Without it, data far from [0, 1] train badly with the default
        learning rate (measured: frames of ``20 x + 270`` fitted to an error
        about 100 times that of the same frames in [0, 1]).
    {training_parameters}

    Attributes
    ----------
    n_input_frames_ : int
        Input frames per sample seen in ``fit``.
    n_output_frames_ : int
        Frames predicted per sample, learned from ``y``.
    target_ndim_ : int
        Rank of the ``y`` given to ``fit`` (3, 4 or 5): ``predict`` returns
        frames in its layout.
    n_channels_in_, n_channels_out_ : int
        Channels of the input and target frames (1 for 4D arrays).
    frame_shape_ : tuple of int
        ``(H, W)`` of the training frames. Prediction accepts frames of any
        ``H x W`` (every layer is a same-size convolution).
    future_channels_ : list of tuple of int
        Input channel pairs ``(sin, cos)`` given to the decoder as known
        future inputs (empty when none).
    future_steps_ : list of float
        Phase advance per frame of each pair of ``future_channels_``, radians.
    n_features_in_ : int
        Values per input sample.
    input_offset_, input_scale_ : ndarray of shape (n_input_channels,) or None
        Per-channel minimum and range (maximum - minimum) of the training
        input, read from at most 512 evenly spaced windows (all of them up
        to 512; a rarer extreme elsewhere is scaled beyond [0, 1]): the
        network reads ``(X - input_offset_) / input_scale_``
        (``scale_input``; offset 0 and scale 1 for calendar channels, scale 1
        for constant channels; None without scaling).
    target_offset_, target_scale_ : ndarray of shape (n_output_channels,) or None
        The same for the target frames; the network's output ``z`` is
        returned as ``z * target_scale_ + target_offset_``.
    {training_attributes}
    residual_quantiles_ : ndarray of shape (n_output_frames, n_output_channels, 201)
        Quantiles (levels ``0, 0.005, ..., 1``) of the errors
        ``y - predict(X)`` of each lead time and output channel, pooled over
        pixels (channels may be of different units): the intervals of
        :meth:`predict_ensemble`. Estimated on
        the held-out windows (the validation split or ``validation_data``
        of ``fit``) and on the training windows, keeping at every level the
        wider of the two (the lower quantile below the median, the higher
        above it; the held-out median): a chronological validation split is
        a short stretch of the series that can miss part of its seasonal
        cycle (measured: a 10 % split of four weeks of traffic held only a
        weekend, with errors a quarter to a third of the test week's), and in-sample
        errors understate those of an overfitted network. Without held-out
        windows, the training windows alone (at most 512, evenly spaced).
    n_calibration_samples_ : int
        Held-out windows the ``residual_quantiles_`` were estimated on (the
        training windows read when there were none).

    References
    ----------
    .. [1] X. Shi, Z. Chen, H. Wang, D.-Y. Yeung, W.-K. Wong and W.-C. Woo,
       "Convolutional LSTM network: a machine learning approach for
       precipitation nowcasting", Advances in Neural Information Processing
       Systems 28 (NeurIPS), 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skseq import ConvLSTMForecaster
    >>> X = np.random.default_rng(0).random((10, 4, 12, 10))  # (n, T_in, H, W)
    >>> y = X[:, -2:]                                         # (n, T_out, H, W)
    >>> est = ConvLSTMForecaster(hidden_channels=4, max_epochs=1, random_state=0)
    >>> est.fit(X, y).predict(X).shape
    (10, 2, 12, 10)
    """

    _parameter_constraints: ClassVar[dict] = {
        **TRAINING_PARAMETER_CONSTRAINTS,
        "hidden_channels": [positive_int()],
        "n_layers": [positive_int()],
        "kernel_size": [positive_int()],
        "encoder_decoder": ["boolean"],
        "attention": ["boolean"],
        "attention_mode": [StrOptions({"pixel", "frame"})],
        "loss": [StrOptions(set(_LOSSES))],
        "tile_size": [positive_int(), StrOptions({"auto"}), None],
        "known_future": [StrOptions({"calendar"}), None],
        "scale_input": ["boolean"],
    }
    #: ``max_epochs="auto"``: at least 30 epochs (the former fixed default),
    #: more to reach about 400 optimizer steps on small data, within 10^8
    #: input values per fit.
    _auto_min_epochs = 30
    _auto_max_steps = 400
    _auto_budget = 100_000_000
    #: Fitted before ``scale_input`` existed: unscaled.
    _arguments_of_older_pickles: ClassVar[dict] = {
        **BaseFrameRegressor._arguments_of_older_pickles,
        "scale_input": False,
    }

    def __init__(
        self,
        hidden_channels: int = 16,
        n_layers: int = 2,
        kernel_size: int = 3,
        encoder_decoder: bool = True,
        attention: bool = True,
        attention_mode: str = "pixel",
        loss: str = "mse",
        tile_size: int | str | None = "auto",
        known_future: str | None = "calendar",
        scale_input: bool = True,
        optimizer: str | type = "adam",
        lr: float = 3e-3,
        weight_decay: float = 0.0,
        max_epochs: int | str = "auto",
        batch_size: int = 16,
        validation_fraction: float | None = 0.1,
        patience: int | None = None,
        lr_schedule: str | None = None,
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
        self.hidden_channels = hidden_channels
        self.n_layers = n_layers
        self.kernel_size = kernel_size
        self.encoder_decoder = encoder_decoder
        self.attention = attention
        self.attention_mode = attention_mode
        self.loss = loss
        self.tile_size = tile_size
        self.known_future = known_future
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
        if self.attention and not self.encoder_decoder:
            raise ValueError(
                "attention=True needs encoder_decoder=True (the decoder attends over "
                "the encoder states); set attention=False for the plain model."
            )
        self._tile_plan(0, self.attention_mode if self.attention else None)
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be odd (same-size gate convolutions); got "
                f"{self.kernel_size}."
            )

    def _validate_fit_data(self, X, y):
        X = self._validate_frames(X, reset=True)
        y = self._validate_targets(y, X)
        pairs: list[tuple[int, int]] = []
        steps: list[float] = []
        if (
            self.known_future == "calendar"
            and self.encoder_decoder
            and self.n_channels_in_ > self.n_channels_out_
        ):
            pairs, steps = _find_cyclic_channels(X, self.n_channels_out_)
        self.future_channels_, self.future_steps_ = pairs, steps
        self._fit_scaling(X, y)
        return self._scale(X, "input"), self._network_targets(y)

    def _fit_scaling(self, X, y) -> None:
        """Learn ``input_offset_``, ``input_scale_``, ``target_offset_`` and
        ``target_scale_`` (None without ``scale_input``)."""
        if not self.scale_input:
            self.input_offset_ = self.input_scale_ = None
            self.target_offset_ = self.target_scale_ = None
            return
        calendar = tuple(c for pair in self.future_channels_ for c in pair)
        self.input_offset_, self.input_scale_ = _channel_ranges(X, keep=calendar)
        self.target_offset_, self.target_scale_ = _channel_ranges(y)

    def _scale(self, frames, which: str):
        """Rescale ``(n, T, C, H, W)`` frames with the ``which`` (``"input"``
        or ``"target"``) ranges of ``fit``."""
        offset = getattr(self, f"{which}_offset_", None)  # absent from older pickles
        if offset is None:
            return frames
        scaling = partial(
            _rescale, offset=offset, scale=getattr(self, f"{which}_scale_")
        )
        if isinstance(frames, LazyFrames):  # out of core: batch by batch
            return frames.with_transform(scaling)
        return scaling(frames)

    def _unscale_output(self, out: np.ndarray) -> np.ndarray:
        """Network output ``(n, T_out, C, H, W)`` -> the units of ``y``."""
        out = np.asarray(out)
        offset = getattr(self, "target_offset_", None)  # absent from older pickles
        if offset is None:
            return out
        scale = cast(np.ndarray, self.target_scale_)[:, None, None]  # set with offset
        return (out * scale + offset[:, None, None]).astype(np.float32)

    def _network_targets(self, y, name="y"):
        return self._scale(y, "target")

    def _validate_predict_X(self, X, name="X"):
        return self._scale(self._validate_frames(X, reset=False, name=name), "input")

    def _build_criterion(self):
        return resolve_loss(self.loss), {}

    def _build_module(self):
        return ConvLSTMSeq2Seq(
            in_channels=self.n_channels_in_,
            out_channels=self.n_channels_out_,
            n_out_frames=self.n_output_frames_,
            hidden_channels=self.hidden_channels,
            n_layers=self.n_layers,
            kernel_size=self.kernel_size,
            encoder_decoder=self.encoder_decoder,
            attention=self.attention,
            attention_mode=self.attention_mode,
            future_pairs=self.future_channels_,
            future_steps=self.future_steps_,
        )

    def _tile_plan(
        self, halo: int, attention_mode: str | None = "fitted"
    ) -> tuple[int, int] | None:
        """``(tile_size, halo)``, or None: one pass (frame attention).

        ``attention_mode`` is the network's (None: no attention);
        ``"fitted"``: the fitted network's, which ``set_params`` changes
        only at the next fit.
        """
        if attention_mode == "fitted":
            # the plain model (encoder_decoder=False) has no attention
            attention = getattr(self._unwrapped_module(), "attention", None)
            attention_mode = None if attention is None else attention.mode
        if attention_mode == "frame":
            if isinstance(self.tile_size, numbers.Integral):
                raise ValueError(
                    "attention_mode='frame' averages attention scores over the "
                    "whole frame, so the output depends on the entire domain and "
                    "cannot be computed tile by tile; use tile_size=None or "
                    "'auto' (both run one pass) or attention_mode='pixel'."
                )
            return None
        return super()._tile_plan(halo)

    def _network_output(self, X) -> np.ndarray:
        """Network output ``(n, T_out, C, H, W)``, tile by tile on large domains."""
        module = self.module_
        tile = self._tile_plan(
            seq2seq_halo(
                cast(ConvLSTMSeq2Seq, self._unwrapped_module()), self.n_input_frames_
            )
        )
        if tile is None or max(X.shape[-2:]) <= tile[0]:
            return super()._network_output(X)
        outputs = self._predict_in_batches(
            X, lambda batch: tiled_apply(module, batch, *tile)
        )
        return np.concatenate(outputs)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Forecast the next ``n_output_frames_`` frames.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, C, H, W)
            Past frames, as many per sample and with as many channels as in
            ``fit``, of any ``H x W``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_output_frames, H, W) or (n_samples, n_output_frames, C, H, W)
            In the layout of the ``y`` given to ``fit``.
        """
        return self._to_target_layout(self._unscale_output(self._forward(X)))

    #: Quantile levels of ``residual_quantiles_``.
    _residual_levels = np.linspace(0.0, 1.0, 201)

    #: In-sample errors compared with the held-out ones: at most this many
    #: training windows, evenly spaced.
    _n_in_sample_windows = 512

    def _fit(self, X, y, **kwargs):
        super()._fit(X, y, **kwargs)
        self._calibrate_intervals(X, y, kwargs.get("validation_data"))
        return self

    def _calibrate_intervals(self, X, y, validation_data=None) -> None:
        """Fit ``residual_quantiles_`` on the windows ``fit`` saw."""
        in_sample = self._in_sample_windows(X, y, validation_data)
        if validation_data is None and not self._n_validation(len(X)):
            # nothing held out: the training windows alone (a subset of them,
            # so that large or out-of-core data are not all predicted again)
            self.residual_quantiles_ = self._error_quantiles(*in_sample)
            self.n_calibration_samples_ = len(in_sample[0])
            return
        X_cal, y_cal = self._held_out_windows(X, y, validation_data)
        quantiles = self._error_quantiles(X_cal, y_cal)
        # the wider tail of held-out and in-sample errors
        other = self._error_quantiles(*in_sample)
        levels = self._residual_levels[None]
        quantiles = np.where(levels < 0.5, np.minimum(quantiles, other), quantiles)
        quantiles = np.where(levels > 0.5, np.maximum(quantiles, other), quantiles)
        self.residual_quantiles_ = quantiles
        self.n_calibration_samples_ = len(X_cal)

    def _error_quantiles(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Quantiles ``(n_output_frames, n_output_channels, 201)`` of the
        errors ``y - f(X)``, in the units of ``y`` (``X`` and ``y`` as the
        network reads and learns them)."""
        residuals = self._unscale_output(y) - self._unscale_output(
            self._network_output(X)
        )
        # (n, T_out, C, H, W) -> (T_out, C, n * H * W)
        residuals = np.moveaxis(residuals, 0, 2).reshape(*residuals.shape[1:3], -1)
        return np.moveaxis(np.quantile(residuals, self._residual_levels, axis=2), 0, -1)

    def _channel_quantiles(self) -> np.ndarray:
        """``residual_quantiles_`` as ``(n_output_frames, n_output_channels,
        201)``: an estimator fitted before skseq kept them per channel has
        one table per lead, pooled over the channels."""
        quantiles = np.asarray(self.residual_quantiles_)
        if quantiles.ndim == 2:
            quantiles = np.repeat(quantiles[:, None], self.n_channels_out_, axis=1)
        return quantiles

    def _in_sample_windows(self, X, y, validation_data=None):
        """Training windows of ``fit`` (at most ``_n_in_sample_windows``,
        evenly spaced), without the windows it held out."""
        X, y = self._validate_validation_data(X, y, names=("X", "y"))
        n_train = len(X)
        if validation_data is None:
            n_train -= self._n_validation(n_train)
        # only these windows are read (out-of-core input: not the whole part)
        index = evenly_spaced_indices(n_train, self._n_in_sample_windows)
        return X[index], y[index]

    def predict_ensemble(
        self,
        X: ArrayLike,
        n_members: int = 20,
        n_steps: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> np.ndarray:
        """Ensemble forecast from the errors ``fit`` saw at each lead time.

        Member ``j`` at lead ``k`` is ``predict(X)[:, k] + Q_k(u)``, with
        ``Q_k`` the quantile function of the errors at lead ``k`` seen in
        ``fit`` (``residual_quantiles_``: the wider of the held-out and the
        in-sample errors, split-conformal style: Vovk et al. 2005, Lei et
        al. 2018) and ``u`` a stratified uniform draw per pixel
        (``(j' + U) / n_members`` for a random permutation ``j'`` of the
        members), so that the members' ``q``-quantile is the ``q``-quantile
        of those errors added to the forecast: the interval between the
        members' 10 % and 90 % quantiles covers about 80 % of values like
        the ones ``fit`` saw.

        The draws are independent between pixels, lead times and channels:
        the members describe the uncertainty of each value (its intervals,
        its exceedance probabilities), not how the errors of neighbouring
        pixels or successive leads move together. Sums or means of the
        members over an area or over several leads are therefore too narrow
        (measured on frames whose errors all pixels shared: the members'
        80 % intervals of the domain mean covered 19-27 %); forecast such an
        aggregate as a target of its own instead.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, C, H, W)
            Past frames, as in ``fit``.
        n_members : int, default=20
            Ensemble members.
        n_steps : int or None, default=None
            The first ``n_steps`` lead times (at most ``n_output_frames_``,
            the fitted horizon); None gives all.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; an int gives the same members every call.

        Returns
        -------
        members : ndarray of shape (n_samples, n_members, n_steps, H, W) or (n_samples, n_members, n_steps, C, H, W)
            In the layout of the ``y`` given to ``fit``, as ``predict``:
            6D where that ``y`` had a channel axis (5D ``y``, or several
            channels), 5D otherwise (e.g. 5D ``X`` with calendar channels and
            4D ``y``).
        """
        check_is_fitted(self, "residual_quantiles_")
        n_members = check_positive_int(n_members, "n_members")
        if n_steps is None:
            n_steps = self.n_output_frames_
        n_steps = check_positive_int(n_steps, "n_steps")
        if n_steps > self.n_output_frames_:
            raise ValueError(
                f"n_steps={n_steps} is beyond the fitted horizon: ConvLSTMForecaster "
                f"forecasts the {self.n_output_frames_} frames of the y it was fitted "
                "on, directly (not recursively)."
            )
        forecast = self._unscale_output(self._forward(X))
        rng = check_random_state(random_state)
        n, _, n_channels, *frame = forecast.shape
        members = np.empty((n, n_members, n_steps, n_channels, *frame), np.float32)
        quantiles = self._channel_quantiles()
        # drawn lead by lead (one lead and channel at a time in memory), so
        # that the members of fewer leads are the first leads of the whole
        # horizon's (same random_state)
        shape = (n, n_members, *frame)
        for k in range(n_steps):
            for c in range(n_channels):
                order = np.argsort(rng.random_sample(shape), axis=1)
                u = (order + rng.random_sample(shape)) / n_members
                del order
                residual = np.interp(u, self._residual_levels, quantiles[k, c])
                members[:, :, k, c] = forecast[:, None, k, c] + residual
        return members if self._has_channel_axis(X) else members[:, :, :, 0]

    @classmethod
    def _get_test_params(cls):
        return [
            {
                "hidden_channels": 3,
                "n_layers": 1,
                "max_epochs": 2,
                "validation_fraction": None,
                "random_state": 0,
            },
            {
                "hidden_channels": 3,
                "n_layers": 1,
                "encoder_decoder": False,
                "attention": False,
                "max_epochs": 2,
                "random_state": 0,
            },
        ]
