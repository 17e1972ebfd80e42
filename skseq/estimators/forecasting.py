"""ConvLSTM encoder-decoder forecaster of frame sequences (seed 000)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from sklearn.utils._param_validation import StrOptions

from skseq.estimators._base import (
    _LOSSES,
    TRAINING_PARAMETER_CONSTRAINTS,
    BaseFrameRegressor,
    compose_training_doc,
    positive_int,
    resolve_loss,
)
from skseq.modules.convlstm import ConvLSTMSeq2Seq

if TYPE_CHECKING:  # only for the annotation; accelerate is optional
    import accelerate

__all__ = ["ConvLSTMForecaster"]

#: Tolerances of the cyclic-pair detection: ``sin^2 + cos^2`` within this of 1,
#: and every frame-to-frame phase advance within this (radians) of their mean.
_UNIT_TOL, _STEP_TOL = 1e-3, 1e-2


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + np.pi) % (2.0 * np.pi) - np.pi


def _find_cyclic_channels(
    X: np.ndarray, first: int
) -> tuple[list[tuple[int, int]], list[float]]:
    """Channel pairs ``(sin, cos)`` of ``X`` whose phase advances linearly.

    Scans channels ``first, first + 1, ...`` of ``X`` ``(n, T, C, H, W)``: a
    pair ``(j, j + 1)`` is cyclic when ``sin^2 + cos^2 = 1`` everywhere and the
    phase ``atan2(sin, cos)`` advances by the same angle from every frame to
    the next (in every sample and pixel); that angle is its step.
    """
    X = X[:256]  # a bounded sample is plenty to measure an exact step
    pairs, steps = [], []
    j = first
    while j + 1 < X.shape[2] and X.shape[1] > 1:
        s = X[:, :, j].astype(np.float64)
        c = X[:, :, j + 1].astype(np.float64)
        if np.abs(s * s + c * c - 1.0).max() < _UNIT_TOL:
            phase = np.arctan2(s, c)
            advance = _wrap(np.diff(phase, axis=1))
            step = float(np.angle(np.exp(1j * advance).mean()))
            if np.abs(_wrap(advance - step)).max() < _STEP_TOL:
                pairs.append((j, j + 1))
                steps.append(step)
                j += 2
                continue
        j += 1
    return pairs, steps


@compose_training_doc(
    max_epochs="A sample costs its values (input frames x channels x pixels).",
)
class ConvLSTMForecaster(BaseFrameRegressor):
    """Encoder-decoder ConvLSTM with attention: past frames -> future frames.

    Built for traffic-speed heatmaps (seed 000: grayscale heatmaps of a road
    corridor; a plain ConvLSTM reached RMSE 10 km/h, an encoder-decoder 7 and
    encoder-decoder with attention about 3), usable for any frame sequence.

    The network (:class:`skseq.modules.convlstm.ConvLSTMSeq2Seq`) stacks
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
        ``log(cosh(error))``.
    known_future : {"calendar"} or None, default="calendar"
        Known future inputs of the decoder. When ``X`` has more channels
        than ``y``, channels ``n_channels_out_..`` are exogenous inputs (the
        calendar channels of :class:`~skseq.preprocessing.Heatmapper`,
        weather, ...). With ``"calendar"``, ``fit`` finds the exogenous
        channel pairs that are a sine and cosine of a phase advancing by a
        constant angle per frame (cyclic calendar channels) and measures
        that angle; each decoder step then also receives these channels of
        the last input frame rotated forward to the frame it predicts, which
        is exactly that frame's calendar. Other exogenous channels (holiday
        flags, weather) are read by the encoder only. None: the decoder gets
        no exogenous inputs. Without such pairs (single-channel input) both
        give the same network. Needs ``encoder_decoder=True`` to have an
        effect.
    {training_parameters}

    Attributes
    ----------
    n_input_frames_ : int
        Input frames per sample seen in ``fit``.
    n_output_frames_ : int
        Frames predicted per sample, learned from ``y``.
    n_channels_in_, n_channels_out_ : int
        Channels of the input and target frames (1 for 4D arrays).
    frame_shape_ : tuple of int
        ``(H, W)``.
    future_channels_ : list of tuple of int
        Input channel pairs ``(sin, cos)`` given to the decoder as known
        future inputs (empty when none).
    future_steps_ : list of float
        Phase advance per frame of each pair of ``future_channels_``, radians.
    n_features_in_ : int
        Values per input sample.
    net_ : skorch.NeuralNet
        The trained skorch net; ``module_`` and ``history_`` are shortcuts.
    max_epochs_ : int
        The number of epochs to train for (``max_epochs`` resolved).
    n_epochs_ : int
        Epochs in the training history: fewer than ``max_epochs_`` when
        early stopping ended training; with ``warm_start``, summed over the
        continued fits.

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
    >>> X = np.random.default_rng(0).random((8, 4, 12, 10))  # (n, T_in, H, W)
    >>> y = X[:, -2:]                                        # (n, T_out, H, W)
    >>> est = ConvLSTMForecaster(hidden_channels=4, max_epochs=1, random_state=0)
    >>> est.fit(X, y).predict(X).shape
    (8, 2, 12, 10)
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
        "known_future": [StrOptions({"calendar"}), None],
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
        known_future: str | None = "calendar",
        optimizer: str | type = "adam",
        lr: float = 3e-3,
        weight_decay: float = 0.0,
        max_epochs: int = 30,
        batch_size: int = 16,
        validation_fraction: float | None = 0.1,
        patience: int | None = None,
        lr_schedule: str | None = None,
        callbacks: list | None = None,
        warm_start: bool = False,
        device: str = "cpu",
        accelerator: accelerate.Accelerator | None = None,
        verbose: int = 0,
        random_state: int | np.random.RandomState | None = None,
        **kwargs,
    ):
        self.hidden_channels = hidden_channels
        self.n_layers = n_layers
        self.kernel_size = kernel_size
        self.encoder_decoder = encoder_decoder
        self.attention = attention
        self.attention_mode = attention_mode
        self.loss = loss
        self.known_future = known_future
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.device = device
        self.accelerator = accelerator
        self.verbose = verbose
        self.random_state = random_state
        self._set_passthrough_params(kwargs)

    def _check_param_combinations(self):
        if self.attention and not self.encoder_decoder:
            raise ValueError(
                "attention=True needs encoder_decoder=True (the decoder attends over "
                "the encoder states); set attention=False for the plain model."
            )
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be odd (same-size gate convolutions); got "
                f"{self.kernel_size}."
            )

    def _validate_fit_data(self, X, y):
        X = self._validate_frames(X, reset=True)
        y = self._validate_targets(y, X)
        pairs, steps = [], []
        if (
            self.known_future == "calendar"
            and self.encoder_decoder
            and self.n_channels_in_ > self.n_channels_out_
        ):
            pairs, steps = _find_cyclic_channels(X, self.n_channels_out_)
        self.future_channels_, self.future_steps_ = pairs, steps
        return X, y

    def _validate_predict_X(self, X):
        return self._validate_frames(X, reset=False)

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

    def predict(self, X) -> np.ndarray:
        """Forecast the next ``n_output_frames_`` frames.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, C, H, W)
            Past frames, the same frame count and size as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_output_frames, H, W) or (n_samples, n_output_frames, C, H, W)
            In the layout of the ``y`` given to ``fit``.
        """
        return self._to_target_layout(self._forward(X))

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
