"""Shared machinery of skseq's deep estimators.

Every deep estimator is a plain scikit-learn estimator whose ``fit`` builds a
PyTorch network (from :mod:`skseq.modules`) and trains it with a
:class:`skorch.NeuralNet` stored in ``net_``. The estimator classes themselves
only declare their hyperparameters, how to validate ``X``/``y`` and how to
build their network; everything else lives here:

* seeding (``random_state`` seeds torch inside a forked RNG, so fits are
  reproducible on CPU and the caller's global RNG state is left untouched),
* the device (``"cpu"``, ``"cuda"``, ``"auto"``),
* the validation split (stratified for classifiers, chronological for
  forecasters) and early stopping through skorch callbacks,
* a guard that stops training with a clear error when the loss diverges,
* resetting to an unfitted state when ``fit`` fails half-way.
"""

from __future__ import annotations

import copy
import numbers
import warnings
from abc import abstractmethod
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import PredefinedSplit
from sklearn.utils import RegressorTags, check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, LRScheduler, ProgressBar
from skorch.dataset import Dataset, ValidSplit
from skorch.helper import predefined_split

from skseq.utils._frames import FrameRegressorMixin

__all__ = [
    "BaseDeepEstimator",
    "FitLRScheduler",
    "NonFiniteLossError",
    "StopOnNonFiniteLoss",
]

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "nadam": torch.optim.NAdam,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


class NonFiniteLossError(ValueError, FloatingPointError):
    """Raised when the training loss becomes NaN or infinite.

    A ``ValueError`` (bad data or hyperparameters are the usual cause) and a
    ``FloatingPointError``.
    """


class StopOnNonFiniteLoss(Callback):
    """skorch callback raising :class:`NonFiniteLossError` on a NaN/inf loss.

    Diverging training must never return a silently broken model: the
    estimator catches nothing here, so ``fit`` fails and the estimator is
    reset to its unfitted state.
    """

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        loss = net.history[-1, "batches", -1].get(
            "train_loss" if training else "valid_loss"
        )
        if loss is not None and not np.isfinite(loss):
            raise NonFiniteLossError(
                f"The {'training' if training else 'validation'} loss became {loss} "
                f"in epoch {len(net.history)}. Training diverged: lower `lr`, scale "
                "the input (e.g. skseq.preprocessing.LogTransformer or a "
                "StandardScaler), or check the data for extreme values."
            )


class FitLRScheduler(LRScheduler):
    """skorch's ``LRScheduler`` that lets go of its scheduler when training ends.

    skorch builds a fresh torch scheduler at the start of every ``fit`` or
    ``partial_fit`` anyway. A torch scheduler patches its optimizer's
    ``step`` with a wrapper, which does not pickle when the optimizer is an
    ``accelerate`` one; dropping the scheduler and undoing the patch when
    training ends keeps every fitted estimator picklable.
    """

    def on_train_end(self, net, **kwargs):
        scheduler = getattr(self, "lr_scheduler_", None)
        optimizer = getattr(scheduler, "optimizer", None)
        patched = vars(optimizer).get("step") if optimizer is not None else None
        if getattr(patched, "_wrapped_by_lr_sched", False):
            del optimizer.step  # back to the class's own method
        self.lr_scheduler_ = None


def _silent(*args, **kwargs) -> None:
    """A print sink that prints nothing (picklable, unlike a lambda)."""


def resolve_device(device: str) -> str:
    """Return the torch device string for ``device`` ('cpu', 'cuda', 'auto')."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu'; got {device!r}.")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available; use "
            "device='cpu' or device='auto'."
        )
    return device


def resolve_optimizer(optimizer):
    """Return a torch optimizer class from a name or a class."""
    if isinstance(optimizer, str):
        try:
            return _OPTIMIZERS[optimizer.lower()]
        except KeyError:
            raise ValueError(
                f"Unknown optimizer {optimizer!r}; use one of {sorted(_OPTIMIZERS)} "
                "or a torch.optim.Optimizer subclass."
            ) from None
    if isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        return optimizer
    raise TypeError(
        f"optimizer must be a name in {sorted(_OPTIMIZERS)} or a "
        f"torch.optim.Optimizer subclass; got {optimizer!r}."
    )


_LR_SCHEDULES = ("cosine", None)


def _check_params(est: BaseDeepEstimator) -> None:
    """Validate the training hyperparameters shared by every deep estimator."""
    value = est.max_epochs
    if not (isinstance(value, str) and value == "auto"):
        _check_positive_integer(value, "max_epochs", "'auto' or a positive integer")
    _check_positive_integer(est.batch_size, "batch_size", "a positive integer")
    if not isinstance(est.lr, numbers.Real) or not est.lr > 0:
        raise ValueError(f"lr must be a positive number; got {est.lr!r}.")
    if not isinstance(est.weight_decay, numbers.Real) or est.weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0; got {est.weight_decay!r}.")
    vf = est.validation_fraction
    if not (
        vf is None
        or (isinstance(vf, str) and vf == "auto")
        or (isinstance(vf, numbers.Real) and 0 <= vf < 1)
    ):
        raise ValueError(
            "validation_fraction must be 'auto', None or a number in [0, 1); got "
            f"{vf!r}."
        )
    patience = est.patience
    if not (
        patience is None
        or (isinstance(patience, str) and patience == "auto")
        or (
            isinstance(patience, numbers.Integral)
            and not isinstance(patience, bool)
            and patience >= 1
        )
    ):
        raise ValueError(
            f"patience must be 'auto', None or a positive integer; got {patience!r}."
        )
    if est.lr_schedule not in est._lr_schedules:
        raise ValueError(
            f"lr_schedule must be one of {est._lr_schedules}; got {est.lr_schedule!r}."
        )


def _check_positive_integer(value, name: str, expected: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {expected}; got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be {expected}; got {value!r}.")


class BaseDeepEstimator(BaseEstimator):
    """Base class of skseq's skorch-backed estimators.

    Subclasses define ``__init__`` (storing every argument verbatim) and
    implement :meth:`_validate_fit_data`, :meth:`_validate_predict_X`,
    :meth:`_build_module` and :meth:`_build_criterion`. Shared constructor
    arguments (defined by each subclass, documented here once):

    Parameters
    ----------
    optimizer : str or torch.optim.Optimizer subclass
        ``"adam"``, ``"adamw"``, ``"nadam"``, ``"sgd"``, ``"rmsprop"`` or a class.
    lr : float
        Learning rate.
    weight_decay : float
        L2 penalty passed to the optimizer.
    max_epochs : int or "auto"
        Number of passes over the training data. ``"auto"`` (the default of
        every deep estimator) sizes training to the data: about
        ``_auto_max_steps`` optimizer steps, fewer when one step is expensive
        (at most ``_auto_budget`` samples x cost of a sample, e.g. timesteps or
        pixels, per fit -- about a minute on a 2-core CPU for the default
        networks), and never fewer than ``_auto_min_epochs`` epochs. Small
        data sets thus get many epochs and large ones few, instead of one
        fixed count that under-trains the first and over-spends on the second.
        The resolved count is ``max_epochs_``.
    batch_size : int
        Mini-batch size for training and prediction.
    validation_fraction : float, "auto" or None
        Fraction of the training data held out to compute ``valid_loss`` each
        epoch (stratified for classifiers, the last samples for forecasters).
        ``None`` or ``0`` trains on everything. ``"auto"`` holds out 10 % when
        that is at least ``_auto_min_valid`` samples and otherwise trains on
        everything: a validation set of a handful of samples is too noisy to
        stop on and costs a small data set a tenth of its data.
    patience : int, "auto" or None
        If set, stop when the validation loss (or, without a validation
        split, the training loss) has not improved for ``patience`` epochs, and
        restore the best weights (skorch's ``EarlyStopping``). ``"auto"``
        stops early only when there is a validation split, with a patience of
        a fifth of ``max_epochs_`` (at least 10).
    lr_schedule : {"cosine"} or None
        ``"cosine"`` decays the learning rate from ``lr`` to ``lr / 100``
        along a half cosine over ``max_epochs_`` epochs (skorch
        ``LRScheduler`` with ``CosineAnnealingLR``): large steps first, fine
        ones at the end, with no schedule to tune. ``None`` keeps ``lr``.
        Ignored when ``callbacks`` holds a skorch ``LRScheduler``.
    callbacks : list of skorch callbacks or (name, callback) tuples, or None
        Extra skorch callbacks (``LRScheduler``, ``Checkpoint``,
        ``MlflowLogger`` ...). They are deep-copied at each ``fit``. An
        ``LRScheduler`` here replaces the estimator's own ``lr_schedule``.
    warm_start : bool
        If True, a second ``fit`` continues training the current network
        instead of starting from a fresh one.
    device : str
        ``"cpu"``, ``"cuda"`` (or ``"cuda:N"``) or ``"auto"``. Ignored when an
        ``accelerator`` places the model itself.
    accelerator : accelerate.Accelerator or None
        Train through Hugging Face ``accelerate`` (skorch's
        :class:`~skorch.hf.AccelerateMixin`): multi-GPU or multi-node data
        parallelism under ``accelerate launch``, mixed precision, gradient
        accumulation. ``None`` trains with plain skorch on ``device``.
    verbose : int
        0 is silent, 1 prints skorch's epoch table, 2 also shows a progress bar.
    random_state : int, RandomState instance or None
        Seeds weight initialisation, shuffling, dropout and augmentation.
    """

    #: Whether the estimator is a classifier (drives the validation split).
    _is_classifier = False
    #: skorch net class that trains the module.
    _net_class = NeuralNet
    #: Values accepted by ``lr_schedule``.
    _lr_schedules: tuple = _LR_SCHEDULES
    #: ``max_epochs="auto"``: optimizer steps aimed at, ...
    _auto_max_steps = 1500
    #: ... at most this many sample-cost units per fit (see ``_sample_cost``) ...
    _auto_budget = 4_000_000
    #: ... and at least this many epochs.
    _auto_min_epochs = 10
    #: ``validation_fraction="auto"``: smallest validation split worth holding out.
    _auto_min_valid = 30

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _validate_fit_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Validate ``X, y``, record fitted shapes, return network-ready arrays."""

    @abstractmethod
    def _validate_predict_X(self, X) -> np.ndarray:
        """Validate ``X`` at predict time against the fitted shapes."""

    @abstractmethod
    def _build_module(self) -> torch.nn.Module:
        """Return a freshly initialised network for the fitted shapes."""

    @abstractmethod
    def _build_criterion(self) -> tuple[type | torch.nn.Module, dict[str, Any]]:
        """Return the loss (class or instance) and its keyword arguments."""

    @abstractmethod
    def _validate_validation_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Validate a user-given validation set against the fitted shapes."""

    def _default_callbacks(self) -> list[tuple[str, Callback]]:
        """Callbacks added by the estimator itself (the learning-rate schedule)."""
        if self.lr_schedule == "cosine":
            return [
                (
                    "lr_schedule",
                    FitLRScheduler(
                        policy=torch.optim.lr_scheduler.CosineAnnealingLR,
                        T_max=self.max_epochs_,
                        eta_min=self.lr / 100,
                    ),
                )
            ]
        return []

    def _user_schedules_lr(self) -> bool:
        """Whether ``callbacks`` holds a skorch ``LRScheduler``.

        A user's scheduler replaces ``lr_schedule``: two schedulers on one
        optimizer would compound their factors.
        """
        for callback in self.callbacks or ():
            if isinstance(callback, tuple) and len(callback) == 2:
                callback = callback[1]
            if isinstance(callback, LRScheduler):
                return True
        return False

    def _sample_cost(self, X: np.ndarray) -> float:
        """Cost of one training sample for ``max_epochs="auto"`` (its size)."""
        return float(np.prod(X.shape[1:]))

    # --------------------------------------------------------------- training
    def _resolve_validation_fraction(self, n_samples: int) -> float:
        fraction = self.validation_fraction
        if isinstance(fraction, str):  # "auto"
            return 0.1 if 0.1 * n_samples >= self._auto_min_valid else 0.0
        return fraction or 0.0

    def _resolve_max_epochs(self, X: np.ndarray, n_train: int) -> int:
        """The number of epochs to train (``max_epochs`` or its "auto" value)."""
        if not isinstance(self.max_epochs, str):
            return int(self.max_epochs)
        batch_size = min(self.batch_size, n_train)
        steps_per_epoch = int(np.ceil(n_train / batch_size))
        steps_affordable = self._auto_budget / (batch_size * self._sample_cost(X))
        steps = min(self._auto_max_steps, steps_affordable)
        return max(self._auto_min_epochs, int(np.ceil(steps / steps_per_epoch)))

    def _resolve_patience(self, has_valid: bool) -> int | None:
        if not isinstance(self.patience, str):
            return self.patience
        return max(10, self.max_epochs_ // 5) if has_valid else None

    def _make_train_split(self, y: np.ndarray, seed: int):
        fraction = self.validation_fraction_
        if not fraction:
            return None
        n = len(y)
        n_valid = int(np.floor(fraction * n))
        if self._is_classifier:
            classes, counts = np.unique(y, return_counts=True)
            if n_valid < len(classes) or n - n_valid < len(classes) or counts.min() < 2:
                warnings.warn(
                    f"validation_fraction={fraction} cannot make a stratified "
                    f"validation split of {n} samples in {len(classes)} classes; "
                    "training without a validation split.",
                    UserWarning,
                    stacklevel=3,
                )
                return None
            return ValidSplit(cv=float(fraction), stratified=True, random_state=seed)
        if n_valid < 1 or n - n_valid < 1:
            warnings.warn(
                f"validation_fraction={fraction} leaves no validation sample out of "
                f"{n}; training without a validation split.",
                UserWarning,
                stacklevel=3,
            )
            return None
        # Chronological: the last n_valid samples validate, nothing is shuffled.
        test_fold = np.full(n, -1)
        test_fold[n - n_valid :] = 0
        return ValidSplit(cv=PredefinedSplit(test_fold), stratified=False)

    def _make_callbacks(self, has_valid: bool) -> list:
        callbacks: list = [("stop_on_nonfinite_loss", StopOnNonFiniteLoss())]
        if not self._user_schedules_lr():
            callbacks += self._default_callbacks()
        if self.callbacks:
            # deep copies: a callback's state never leaks between fits/clones
            callbacks += copy.deepcopy(list(self.callbacks))
        patience = self._resolve_patience(has_valid)
        if patience is not None:
            # last, so every epoch's scores are recorded before it stops
            monitor = "valid_loss" if has_valid else "train_loss"
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor=monitor,
                        patience=patience,
                        load_best=True,
                        sink=print if self.verbose else _silent,
                    ),
                )
            )
        if self.verbose and self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        return callbacks

    def _resolve_fit_device(self) -> str:
        accelerator = self.accelerator
        if accelerator is None:
            return resolve_device(self.device)
        if not (hasattr(accelerator, "prepare") and hasattr(accelerator, "device")):
            raise TypeError(
                "accelerator must be None or an accelerate.Accelerator; got "
                f"{type(accelerator).__name__}."
            )
        return str(accelerator.device)

    def _net_class_and_placement(self) -> tuple[type, dict[str, Any]]:
        """The skorch net class and its device/accelerator arguments."""
        if self.accelerator is None:
            return self._net_class, {"device": self.device_}
        from skseq.estimators._accelerate import accelerated

        placed_by_accelerator = self.accelerator.device_placement
        return accelerated(self._net_class), {
            "accelerator": self.accelerator,
            "device": None if placed_by_accelerator else self.device_,
            # skorch prints through the accelerator's sink whatever the
            # verbosity; silence it explicitly at verbose=0
            "callbacks__print_log__sink": "auto" if self.verbose else _silent,
        }

    def _build_net(self, y_train: np.ndarray, seed: int, valid=None) -> NeuralNet:
        criterion, criterion_kwargs = self._build_criterion()
        if valid is not None:
            train_split = predefined_split(Dataset(*valid))
        else:
            train_split = self._make_train_split(y_train, seed)
        kwargs = {f"criterion__{k}": v for k, v in criterion_kwargs.items()}
        if self.weight_decay:
            kwargs["optimizer__weight_decay"] = self.weight_decay
        net_class, placement = self._net_class_and_placement()
        return net_class(
            module=self._build_module(),
            criterion=criterion,
            optimizer=resolve_optimizer(self.optimizer),
            lr=self.lr,
            max_epochs=self.max_epochs_,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=self._make_callbacks(train_split is not None),
            iterator_train__shuffle=True,
            verbose=int(bool(self.verbose)),
            **placement,
            **kwargs,
        )

    def fit(self, X, y, validation_data=None, **fit_params):
        """Train the network on ``X, y``.

        Parameters
        ----------
        X : array-like
            Training input in the layout documented by the estimator.
        y : array-like
            Targets in the layout documented by the estimator.
        validation_data : tuple (X_valid, y_valid) or None, default=None
            An explicit validation set (e.g. the held-out fold of a CV
            ensemble) used for ``valid_loss`` and early stopping instead of
            splitting off ``validation_fraction`` of ``X``.
        **fit_params : dict
            Passed on to :meth:`skorch.NeuralNet.fit`.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        continuing = self.warm_start and hasattr(self, "net_")
        try:
            return self._fit(
                X,
                y,
                continuing=continuing,
                validation_data=validation_data,
                **fit_params,
            )
        except BaseException:
            self._reset_fitted_state()
            raise

    def _fit(self, X, y, *, continuing: bool, validation_data=None, **fit_params):
        _check_params(self)
        if not continuing:
            self._reset_fitted_state()
        previous_shapes = self._fitted_shapes() if continuing else None
        X_train, y_train = self._validate_fit_data(X, y)
        valid = None
        if validation_data is not None:
            if not (
                isinstance(validation_data, tuple | list) and len(validation_data) == 2
            ):
                raise TypeError(
                    "validation_data must be a tuple (X_valid, y_valid); got "
                    f"{type(validation_data).__name__}."
                )
            valid = self._validate_validation_data(*validation_data)
        if continuing and self._fitted_shapes() != previous_shapes:
            raise ValueError(
                "warm_start=True needs data of the shape the estimator was fitted "
                f"on: {previous_shapes}; got {self._fitted_shapes()}."
            )
        self.device_ = self._resolve_fit_device()
        self.validation_fraction_ = (
            0.0
            if valid is not None
            else self._resolve_validation_fraction(len(y_train))
        )
        n_train = len(y_train) - int(np.floor(self.validation_fraction_ * len(y_train)))
        self.max_epochs_ = self._resolve_max_epochs(X_train, n_train)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        devices = (
            [torch.device(self.device_)] if self.device_.startswith("cuda") else []
        )
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            if continuing:
                self.net_.partial_fit(X_train, y_train, **fit_params)
            else:
                net = self._build_net(y_train, seed, valid)
                net.fit(X_train, y_train, **fit_params)
                self.net_ = net
        self.n_epochs_ = len(self.net_.history)
        return self

    def _fitted_shapes(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in vars(self).items()
            if k.endswith("_") and not k.startswith("_") and k.startswith("n_")
        }

    def _reset_fitted_state(self) -> None:
        for name in [
            k for k in vars(self) if k.endswith("_") and not k.startswith("_")
        ]:
            delattr(self, name)

    # ------------------------------------------------------------- prediction
    def _forward(self, X) -> np.ndarray:
        """Validated ``X`` -> raw network output as a float32 numpy array."""
        check_is_fitted(self, "net_")
        return self._network_output(self._validate_predict_X(X))

    def _network_output(self, X: np.ndarray) -> np.ndarray:
        """Run the trained network on validated input, in evaluation mode.

        The DataLoader draws a seed from torch's global RNG even when it does
        not shuffle; the RNG is forked so prediction never changes the
        caller's random state.
        """
        devices = (
            [torch.device(self.device_)] if self.device_.startswith("cuda") else []
        )
        with torch.random.fork_rng(devices=devices), torch.no_grad():
            out = self.net_.forward(X, training=False, device="cpu")
        return out.numpy()

    @property
    def history_(self):
        """skorch training history (epochs, losses, durations)."""
        check_is_fitted(self, "net_")
        return self.net_.history

    @property
    def module_(self) -> torch.nn.Module:
        """The trained PyTorch network."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags

    # ---------------------------------------------------------------- testing
    @classmethod
    def _get_test_params(cls) -> list[dict[str, Any]]:
        """Tiny configurations used by the test-suite (fast on CPU)."""
        return [{"max_epochs": 2, "random_state": 0}]


class SequenceInputMixin:
    """Validation of ``(n_samples, n_timesteps, n_channels)`` input.

    Records ``n_timesteps_in_``, ``n_channels_in_`` and ``n_features_in_``
    (``n_timesteps * n_channels``: for a 2D univariate input this is
    ``X.shape[1]``, as in scikit-learn) and checks them at predict time.
    """

    def _min_timesteps(self) -> int:
        return 1

    def _validate_sequences(self, X, *, reset: bool, allow_nan: bool = False):
        from skseq.utils.validation import check_sequences

        X = check_sequences(
            X, min_timesteps=self._min_timesteps() if reset else 1, allow_nan=allow_nan
        )
        n_timesteps, n_channels = X.shape[1:]
        if reset:
            self.n_timesteps_in_ = n_timesteps
            self.n_channels_in_ = n_channels
            self.n_features_in_ = n_timesteps * n_channels
            return X
        check_is_fitted(self)
        if (n_timesteps, n_channels) != (self.n_timesteps_in_, self.n_channels_in_):
            raise ValueError(
                f"X has {n_timesteps * n_channels} features, but "
                f"{type(self).__name__} is expecting {self.n_features_in_} features "
                f"as input: it was fitted on sequences of shape (n_samples, "
                f"{self.n_timesteps_in_}, {self.n_channels_in_}) and got (n_samples, "
                f"{n_timesteps}, {n_channels})."
            )
        return X


class FrameInputMixin:
    """Validation of frame sequences ``(n, T, H, W)`` or ``(n, T, C, H, W)``.

    Records ``n_input_frames_``, ``n_channels_in_``, ``frame_shape_`` (H, W),
    ``n_features_in_`` (values per sample) and whether the input had a channel
    axis, so that predictions come back in the caller's layout.
    """

    def _min_input_frames(self) -> int:
        return 1

    def _validate_frames(self, X, *, reset: bool):
        from skseq.utils.validation import check_frames

        X, had_channel_axis = check_frames(X, min_frames=self._min_input_frames())
        n_frames, n_channels, height, width = X.shape[1:]
        if reset:
            self.n_input_frames_ = n_frames
            self.n_channels_in_ = n_channels
            self.frame_shape_ = (height, width)
            self.n_features_in_ = n_frames * n_channels * height * width
            self.channel_axis_ = had_channel_axis
            return X
        check_is_fitted(self)
        expected = (self.n_input_frames_, self.n_channels_in_, *self.frame_shape_)
        if (n_frames, n_channels, height, width) != expected:
            raise ValueError(
                f"X has frames of shape (n_frames, C, H, W) = "
                f"{(n_frames, n_channels, height, width)}, but {type(self).__name__} "
                f"was fitted on {expected}."
            )
        return X


_LOSSES = ("mse", "mae", "huber", "logcosh")


def resolve_loss(loss: str):
    """Return the loss class for a name in ``("mse", "mae", "huber", "logcosh")``."""
    from skseq.modules.losses import LogCoshLoss

    classes = {
        "mse": torch.nn.MSELoss,
        "mae": torch.nn.L1Loss,
        "huber": torch.nn.HuberLoss,
        "logcosh": LogCoshLoss,
    }
    if loss not in classes:
        raise ValueError(f"loss must be one of {_LOSSES}; got {loss!r}.")
    return classes[loss]


class BaseFrameRegressor(FrameRegressorMixin, FrameInputMixin, BaseDeepEstimator):
    """Frame-to-frame regressors: validation of target frames and scoring.

    Predictions come back in the layout of the ``y`` seen in ``fit``
    (``(n, T_out, H, W)`` or ``(n, T_out, C, H, W)``).
    """

    def _validate_targets(self, y, X: np.ndarray) -> np.ndarray:
        from skseq.utils.validation import check_frame_targets

        y_raw_ndim = getattr(y, "ndim", None) or np.ndim(y)
        y = check_frame_targets(y, X)
        self.n_output_frames_ = y.shape[1]
        self.n_channels_out_ = y.shape[2]
        self.target_ndim_ = int(y_raw_ndim)
        return y

    def _validate_validation_data(self, X, y):
        from skseq.utils.validation import check_frame_targets

        X = self._validate_predict_X(X)
        y = check_frame_targets(y, X, name="y_valid")
        expected = (self.n_output_frames_, self.n_channels_out_)
        if y.shape[1:3] != expected:
            raise ValueError(
                f"y_valid has (n_frames, C) = {y.shape[1:3]} but y in fit had {expected}."
            )
        return X, self._network_targets(y)

    def _network_targets(self, y: np.ndarray) -> np.ndarray:
        """Validated ``(n, T_out, C, H, W)`` targets -> what the network learns."""
        return y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.input_tags.two_d_array = False
        tags.regressor_tags = RegressorTags()
        return tags
