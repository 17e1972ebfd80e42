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
  and (where the estimator asks for it) one that rolls training back to its
  best epoch when the loss jumps,
* resetting to an unfitted state when ``fit`` fails half-way.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import itertools
import multiprocessing
import os
import re
import threading
import warnings
from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from numbers import Real
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import PredefinedSplit
from sklearn.utils import RegressorTags
from sklearn.utils._param_validation import StrOptions, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    GradientNormClipping,
    LRScheduler,
    ProgressBar,
)
from skorch.dataset import Dataset, ValidSplit
from skorch.exceptions import DeviceWarning
from skorch.helper import predefined_split

from skseq.base import (
    FrameInputMixin,
    NumberInterval,
    Rule,
    SequenceInputMixin,
    check_sample_weight,
    fraction,
    positive_int,
    positive_int_sequence,
    reset_fitted_state,
)

# importable from here too: pickles made before they moved out name them here
from skseq.estimators._callbacks import (
    FitLRScheduler,
    NonFiniteLossError,
    RollbackOnDivergence,
    StopOnNonFiniteLoss,
    WarmEarlyStopping,
)
from skseq.estimators._nets import (
    _SAMPLE_WEIGHT,
    WeightedNeuralNet,
    WeightedNeuralNetClassifier,
    collate_samples,
)
from skseq.estimators._training_doc import (
    TRAINING_PARAMETER_DOCS,
    compose_training_doc,
)
from skseq.utils._frames import FrameRegressorMixin
from skseq.utils._lazy import LazyFrames
from skseq.utils._seeds import draw_seed, mixed_seed
from skseq.utils._warnings import warn_user

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike
    from typing_extensions import Self

__all__ = [
    "TRAINING_PARAMETER_DOCS",
    "BaseDeepEstimator",
    "FitLRScheduler",
    "FrameInputMixin",
    "NonFiniteLossError",
    "RollbackOnDivergence",
    "SequenceInputMixin",
    "StopOnNonFiniteLoss",
    "WeightedNeuralNet",
    "WeightedNeuralNetClassifier",
    "compose_training_doc",
    "evenly_spaced_indices",
    "fraction",
    "positive_int",
    "positive_int_sequence",
]

#: How DataLoader workers start (``iterator_*__num_workers > 0``) unless
#: ``iterator_*__multiprocessing_context`` says otherwise: the standard
#: library's default for the platform ("fork" on Linux before Python 3.14,
#: "forkserver" after, "spawn" on macOS and Windows).
DATALOADER_START_METHOD = multiprocessing.get_all_start_methods()[0]


class _ForkSafeRLock:
    """A re-entrant lock that a forked child process gets unheld.

    A child forked while another thread held the lock (a threaded server
    that forks a worker) would inherit it held by a thread that does not
    exist there, and wait for it forever. After a fork the child gets a new
    lock, unless the forking thread holds it itself (then it releases it on
    its way out, as in the parent).
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> _ForkSafeRLock:
        self._lock.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self._lock.release()

    def _after_fork_in_child(self) -> None:
        if not self._lock._is_owned():  # type: ignore[attr-defined]
            self._lock = threading.RLock()


#: Held by every prediction: it sets the network's modes (and the nowcaster
#: its clamp and tiles) and, for Monte-Carlo dropout, forks torch's
#: process-wide RNG, which calls from other threads would otherwise see or
#: restore half-way. Concurrent
#: predictions in threads of one process therefore run one at a time (each
#: already uses torch's threads).
PREDICTION_LOCK = _ForkSafeRLock()
if hasattr(os, "register_at_fork"):  # not on Windows, which cannot fork
    os.register_at_fork(after_in_child=PREDICTION_LOCK._after_fork_in_child)

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "nadam": torch.optim.NAdam,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


def evenly_spaced_indices(n_total: int, n: int) -> np.ndarray:
    """At most ``n`` indices of ``range(n_total)``, evenly spaced, first and
    last included (fewer when rounding makes two coincide)."""
    n = min(n_total, n)
    return np.unique(np.linspace(0, n_total - 1, n).round().astype(int))


def nonzero_scale(scale: np.ndarray, level: np.ndarray) -> np.ndarray:
    """``scale`` with 1 where it is float32 rounding noise next to ``level``.

    A channel whose spread is no larger than float32's resolution at its
    level is constant: dividing by that spread would blow rounding up, so it
    is left unscaled. The resolution is relative to the level alone, so
    that data in small units (spreads of 1e-9 in teslas or metres per
    second) are scaled like the same data in larger ones. Modifies and
    returns ``scale``.
    """
    scale[~(scale > np.finfo(np.float32).eps * np.abs(level))] = 1.0
    return scale


def callback_class(entry: Any) -> type:
    """The class of an entry of ``callbacks``: a callback, a callback class
    (skorch instantiates it) or a ``(name, callback)`` pair of either."""
    callback = entry[1] if isinstance(entry, tuple) and len(entry) == 2 else entry
    return callback if isinstance(callback, type) else type(callback)


def _callback_name(entry: Any) -> str:
    """The name skorch gives an entry of ``callbacks``: a pair's own, else
    its class's."""
    if isinstance(entry, tuple) and len(entry) == 2:
        return entry[0]
    return callback_class(entry).__name__


def _with_callback_params(callbacks: Any, params: dict[str, Any]) -> list:
    """``callbacks`` with ``callbacks__<name>__<param>`` values set, as
    skorch's nets take them: on shallow copies of the named callbacks (the
    given ones are left as they are)."""
    entries = list(callbacks or [])
    names = [_callback_name(entry) for entry in entries]
    for key, value in params.items():
        name, _, param = key[len("callbacks__") :].partition("__")
        if name not in names or not param:
            raise ValueError(
                f"Invalid parameter {key!r}: callbacks__<name>__<parameter> sets "
                f"a parameter of the callback named <name> in callbacks; they are "
                f"named {names}."
            )
        if names.count(name) > 1:
            raise ValueError(
                f"Invalid parameter {key!r}: {names.count(name)} callbacks are "
                f"named {name!r}; give them names of their own, as (name, "
                "callback) pairs."
            )
        i = names.index(name)
        entry = entries[i]
        callback = entry[1] if isinstance(entry, tuple) else entry
        if isinstance(callback, type):
            raise ValueError(
                f"Invalid parameter {key!r}: callbacks holds the class "
                f"{callback.__name__}, not an instance whose {param} could be set."
            )
        callback = copy.copy(callback)
        callback.set_params(**{param: value})
        entries[i] = (name, callback) if isinstance(entry, tuple) else callback
    return entries


def _silent(*args, **kwargs) -> None:
    """A print sink that prints nothing (picklable, unlike a lambda)."""


def resolve_device(device: str) -> str:
    """Return the torch device string for ``device`` ('cpu', 'cuda', 'auto').

    A CUDA device without an index is resolved to the current one
    (``"cuda:1"`` after ``torch.cuda.set_device(1)``): skorch resolves a bare
    ``"cuda"`` again at every call, to the calling thread's current device,
    which could differ from the one the network was trained on.
    """
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu'; got {device!r}.")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available; use "
            "device='cpu' or device='auto'."
        )
    if device == "cuda":
        return f"cuda:{torch.cuda.current_device()}"
    if device.startswith("cuda:"):
        index = device.partition(":")[2]
        count = torch.cuda.device_count()
        if index.isdigit() and int(index) >= count:
            # named here: torch would fail with an IndexError in its RNG code
            raise ValueError(
                f"device={device!r} was requested but this machine has {count} "
                f"CUDA device(s), cuda:0 to cuda:{count - 1}."
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


def _is_callback(obj) -> bool:
    return isinstance(obj, Callback) or (
        isinstance(obj, type) and issubclass(obj, Callback)
    )


def _is_callback_list(value) -> bool:
    return isinstance(value, list | tuple) and all(
        _is_callback(item)
        or (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], str)
            and _is_callback(item[1])
        )
        for item in value
    )


_DEVICE_PATTERN = re.compile(r"(cpu|auto|cuda(:\d+)?)")


#: the device argument: "cpu", "cuda", "cuda:N" or "auto" (lower case)
DEVICE = Rule(
    lambda v: isinstance(v, str) and _DEVICE_PATTERN.fullmatch(v) is not None,
    "a str among 'cpu', 'cuda', 'cuda:N' or 'auto'",
)
CALLBACKS = Rule(
    _is_callback_list,
    "a list of skorch callbacks (instances, classes or (name, callback) tuples)",
)
ACCELERATOR = Rule(
    lambda v: hasattr(v, "prepare") and hasattr(v, "device"),
    "an accelerate.Accelerator",
)
OPTIMIZER = Rule(
    lambda v: isinstance(v, type) and issubclass(v, torch.optim.Optimizer),
    "a torch.optim.Optimizer subclass",
)


#: Constraints of the training arguments every deep estimator shares; each
#: class adds its architecture arguments (``_parameter_constraints``).
TRAINING_PARAMETER_CONSTRAINTS: dict[str, list] = {
    "optimizer": [StrOptions(set(_OPTIMIZERS)), OPTIMIZER],
    "lr": [NumberInterval(Real, 0, None, closed="neither")],
    "weight_decay": [NumberInterval(Real, 0, None, closed="left")],
    "max_epochs": [positive_int(), StrOptions({"auto"})],
    "batch_size": [positive_int()],
    "validation_fraction": [fraction(), StrOptions({"auto"}), None],
    "patience": [positive_int(), StrOptions({"auto"}), None],
    "lr_schedule": [StrOptions({"cosine"}), None],
    "gradient_clip": [NumberInterval(Real, 0, None, closed="neither"), None],
    "callbacks": [CALLBACKS, None],
    "warm_start": ["boolean"],
    "device": [DEVICE],
    "accelerator": [ACCELERATOR, None],
    "compile": ["boolean"],
    "precision": [StrOptions({"fp32", "bf16"})],
    "verbose": ["verbose"],
    "random_state": ["random_state"],
}

#: skorch parameters passed through to the net (``optimizer__momentum=0.9``)
PASSTHROUGH_PREFIXES = (
    "optimizer__",
    "criterion__",
    "iterator_train__",
    "iterator_valid__",
    "compile__",
)
#: passthrough names the estimator sets itself, and the argument to use instead
_RESERVED_PASSTHROUGH = {
    "optimizer__lr": "lr",
    "optimizer__weight_decay": "weight_decay",
    "criterion__reduction": None,
    "iterator_train__batch_size": "batch_size",
    "iterator_valid__batch_size": "batch_size",
}
#: validation-iterator options that would drop or reorder predictions
_PREDICTION_ORDER_PASSTHROUGH = {
    "iterator_valid__drop_last": "cut to whole batches",
    "iterator_valid__shuffle": "shuffled",
}

#: arguments a warm-started (continued) fit honours; all others must keep
#: the values of the fit that built the network
WARM_START_CONTINUABLE = frozenset(
    {
        "max_epochs",
        "batch_size",
        "lr",
        "weight_decay",
        "validation_fraction",
        "patience",
        "lr_schedule",
        "lr_step_size",
        "lr_gamma",
        "gradient_clip",
        "callbacks",
        "warm_start",
        "verbose",
        "random_state",
        "clip_output",
        "tile_size",
        "ensemble_cv",
    }
)


def _continuable(name: str) -> bool:
    return name in WARM_START_CONTINUABLE or name.startswith(
        ("optimizer__", "iterator_train__", "iterator_valid__")
    )


def _same_value(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(np.all(a == b))
    except Exception:
        return False


def _is_fitted_name(name: str) -> bool:
    """Fitted attributes: public names ending in ``_``, and the private record."""
    return (name.endswith("_") and not name.startswith("_")) or (
        name == "_first_fit_params"
    )


@compose_training_doc
class BaseDeepEstimator(BaseEstimator, metaclass=ABCMeta):
    """Base class of skseq's skorch-backed estimators.

    Subclasses define ``__init__`` (storing every argument verbatim) and
    implement :meth:`_validate_fit_data`, :meth:`_validate_predict_X`,
    :meth:`_build_module` and :meth:`_build_criterion`. The constructor
    arguments they share (each subclass defines them in its ``__init__``) are
    documented once, in ``TRAINING_PARAMETER_DOCS``, and composed into every
    estimator's docstring by :func:`compose_training_doc`:

    Parameters
    ----------
    {training_parameters}

    Notes
    -----
    Every constructor argument is checked first thing in ``fit``, before
    any data is read or torch code runs, against the class's
    ``_parameter_constraints`` (scikit-learn's declarative format; a
    violation raises ``sklearn.utils._param_validation.InvalidParameterError``,
    a ``ValueError`` and ``TypeError``); numpy scalars are accepted wherever
    Python numbers are. Combinations with the data (e.g. the U-Net depth
    against the frame size) are checked once the data is validated, still
    before a network is built.

    ``fit(X, y, sample_weight=...)`` weighs each sample's loss; with
    scikit-learn's metadata routing (``sklearn.set_config(
    enable_metadata_routing=True)``) request it with
    ``est.set_fit_request(sample_weight=True)`` to receive it through a
    ``Pipeline`` or a search.

    A fit whose loss, final weights or outputs are NaN or infinite raises
    :class:`NonFiniteLossError` and leaves the estimator unfitted.
    """

    #: Whether the estimator is a classifier (drives the validation split).
    _is_classifier = False
    #: skorch net class that trains the module.
    _net_class = WeightedNeuralNet
    #: Constructor arguments added after estimators were first pickled, and
    #: the value that describes how such an older estimator was trained: an
    #: unpickled estimator without them gets these (so that ``get_params``,
    #: ``repr`` and a warm-started fit work on it).
    _arguments_of_older_pickles: ClassVar[dict[str, Any]] = {"gradient_clip": None}
    #: Constraints of every constructor argument (scikit-learn's format),
    #: checked first thing in ``fit``; subclasses add their own arguments.
    _parameter_constraints: ClassVar[dict] = TRAINING_PARAMETER_CONSTRAINTS
    #: ``max_epochs="auto"``: optimizer steps aimed at, ...
    _auto_max_steps = 1500
    #: ... at most this many sample-cost units per fit (see ``_sample_cost``) ...
    _auto_budget = 4_000_000
    #: ... and at least this many epochs.
    _auto_min_epochs = 10
    #: ``validation_fraction="auto"``: smallest validation split worth holding out.
    _auto_min_valid = 30
    #: Whether fits roll back to their best epoch when the training loss
    #: jumps (:class:`RollbackOnDivergence`).
    _rollback_on_divergence: ClassVar[bool] = False
    #: Whether training batches are evened out (``_training_batch_size``).
    _even_batches: ClassVar[bool] = False
    # set by ``fit`` (declared for type checkers): the skorch net that
    # trained ``module_``
    net_: NeuralNet

    def __setstate__(self, state):
        for name, value in self._arguments_of_older_pickles.items():
            state.setdefault(name, value)
        super().__setstate__(state)
        net = self.__dict__.get("net_")
        if net is None:
            return
        own = self._passthrough_params()  # a user's own choices are kept
        if not torch.cuda.is_available():
            # fitted on a GPU, loaded where there is none (skorch maps it to
            # the CPU): the page-locked batches skseq chose would make torch
            # warn at every prediction
            for key in ("iterator_train__pin_memory", "iterator_valid__pin_memory"):
                if getattr(net, key, False) and key not in own:
                    setattr(net, key, False)
        for key in (
            "iterator_train__multiprocessing_context",
            "iterator_valid__multiprocessing_context",
        ):
            # skseq chose the fitting platform's start method ("fork" on
            # Linux, which Windows lacks): this platform's is the one to use
            if getattr(net, key, None) is not None and key not in own:
                setattr(net, key, DATALOADER_START_METHOD)

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _validate_fit_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Validate ``X, y``, record fitted shapes, return network-ready arrays."""

    @abstractmethod
    def _validate_predict_X(self, X, name: str = "X") -> np.ndarray:
        """Validate ``X`` at predict time against the fitted shapes (named
        ``name`` in error messages)."""

    @abstractmethod
    def _build_module(self) -> torch.nn.Module:
        """Return a freshly initialised network for the fitted shapes."""

    @abstractmethod
    def _build_criterion(self) -> tuple[type | torch.nn.Module, dict[str, Any]]:
        """Return the loss (class or instance) and its keyword arguments."""

    @abstractmethod
    def _validate_validation_data(
        self, X, y, names=("X_valid", "y_valid")
    ) -> tuple[np.ndarray, np.ndarray]:
        """Validate data against the fitted state (a validation set, or the
        data of a warm-started fit), named ``names`` in error messages."""

    def _resolve_optimizer(self) -> type:
        """The optimizer class (estimators with ``optimizer="auto"`` resolve it)."""
        return resolve_optimizer(self.optimizer)

    def _optimizer_choices(self) -> tuple[type, ...]:
        """Optimizers ``fit`` may use: ``optimizer__`` arguments must suit each."""
        return (resolve_optimizer(self.optimizer),)

    def _resolve_lr(self) -> float:
        """The optimizer's learning rate (estimators with ``lr="auto"`` resolve it)."""
        return float(self.lr)

    def _default_callbacks(self) -> list[tuple[str, Callback]]:
        """Callbacks added by the estimator itself (the learning-rate schedule)."""
        if self.lr_schedule == "cosine":
            return [
                (
                    "lr_schedule",
                    FitLRScheduler(
                        policy=torch.optim.lr_scheduler.CosineAnnealingLR,
                        T_max=self.max_epochs_,
                        eta_min=self._resolve_lr() / 100,
                    ),
                )
            ]
        return []

    def _user_callback(self, kind: type) -> bool:
        """Whether ``callbacks`` holds a callback of class ``kind``.

        A user's ``LRScheduler`` replaces ``lr_schedule`` (two schedulers on
        one optimizer would compound their factors), a user's
        ``EarlyStopping`` the one of ``patience`` and a user's
        :class:`RollbackOnDivergence` the estimator's own: two would stop or
        roll back the same fit by different rules.
        """
        return any(
            issubclass(callback_class(entry), kind) for entry in self.callbacks or ()
        )

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
        batch_size = min(self._training_batch_size(n_train), n_train)
        steps_per_epoch = int(np.ceil(n_train / batch_size))
        steps_affordable = self._auto_budget / (batch_size * self._sample_cost(X))
        steps = min(self._auto_max_steps, steps_affordable)
        return max(self._auto_min_epochs, int(np.ceil(steps / steps_per_epoch)))

    def _training_batch_size(self, n_train: int) -> int:
        """Batch size of the training iterator for ``n_train`` training samples.

        ``batch_size``; with ``_even_batches``, the smallest size that still
        needs no more batches than ``batch_size`` does (``ceil(n_train /
        batch_size)``), so that the batches of an epoch are about equal:
        100 samples and ``batch_size=32`` train in four batches of 25
        instead of three of 32 and one of 4, whose BatchNorm statistics and
        gradient are mostly noise. The batches per epoch are as many;
        ``max_epochs="auto"`` counts the budget in these batches (smaller
        batches: more epochs of the same cost).
        """
        batch_size = int(self.batch_size)
        if not self._even_batches or n_train <= batch_size:
            return batch_size
        n_batches = -(-n_train // batch_size)
        return -(-n_train // n_batches)

    def _resolve_patience(self, has_valid: bool) -> int | None:
        if not isinstance(self.patience, str):
            return self.patience
        return max(10, self.max_epochs_ // 5) if has_valid else None

    def _resolve_early_stopping_warm_up(self) -> int:
        """Epochs early stopping does not watch: the first fifth under "auto".

        A given ``patience`` watches from the first epoch, as skorch does.
        """
        if not isinstance(self.patience, str):
            return 0
        return self.max_epochs_ // 5

    def _n_validation(self, n: int) -> int:
        """Samples the validation split holds out of ``n`` training samples.

        Classifiers: as many as skorch's stratified ``ValidSplit`` holds out
        (scikit-learn's shuffle splits round ``validation_fraction_ * n``
        up); the chronological split of the other estimators rounds down.
        """
        fraction = self.validation_fraction_
        if not fraction:
            return 0
        if self._is_classifier:
            return int(np.ceil(fraction * n))
        return int(np.floor(fraction * n))

    def _check_validation_split(self, y: np.ndarray) -> float:
        """``validation_fraction_`` for targets ``y``: 0.0 if it cannot split them.

        A stratified split needs at least as many samples as classes on each
        side, two samples in every class, and every class in the training
        part: ``count * n_train >= n`` for the smallest class (a rare class
        may still miss the validation part, as in scikit-learn's stratified
        splits); a chronological split needs at least one validation sample.
        Otherwise training goes on without a validation split, as the
        returned fraction says; a warning tells a user who set the fraction,
        ``"auto"`` (a split only where one is possible) does not.
        """
        fraction = self.validation_fraction_
        if not fraction:
            return 0.0
        n = len(y)
        n_valid = self._n_validation(n)
        if self._is_classifier:
            classes, counts = np.unique(y, return_counts=True)
            n_train = n - n_valid
            if (
                n_valid < len(classes)
                or n_train < len(classes)
                or counts.min() < 2
                # the split gives each class at least floor(count * n_train / n)
                # training samples: below 1, a rare class could miss training
                or counts.min() * n_train < n
            ):
                self._warn_no_validation_split(
                    f"validation_fraction={fraction} cannot make a stratified "
                    f"validation split of {n} samples in {len(classes)} classes"
                )
                return 0.0
        elif n_valid < 1 or n - n_valid < 1:
            self._warn_no_validation_split(
                f"validation_fraction={fraction} leaves no validation sample out of {n}"
            )
            return 0.0
        return fraction

    def _warn_no_validation_split(self, reason: str) -> None:
        """Warn that training goes on without a split, unless it was ``"auto"``."""
        if isinstance(self.validation_fraction, str):  # "auto"
            return
        warn_user(
            f"{reason}; training without a validation split.",
            UserWarning,
        )

    def _make_train_split(self, y: np.ndarray, seed: int):
        """skorch's ``train_split`` for ``validation_fraction_`` (None: no split)."""
        fraction = self.validation_fraction_
        if not fraction:
            return None
        if self._is_classifier:
            return ValidSplit(cv=float(fraction), stratified=True, random_state=seed)
        # Chronological: the last n_valid samples validate, nothing is shuffled.
        n = len(y)
        test_fold = np.full(n, -1)
        test_fold[n - self._n_validation(n) :] = 0
        return ValidSplit(cv=PredefinedSplit(test_fold), stratified=False)

    def _make_callbacks(self, has_valid: bool) -> list:
        callbacks: list = [("stop_on_nonfinite_loss", StopOnNonFiniteLoss())]
        if self.gradient_clip is not None:
            # before the user's callbacks: they see the clipped gradients
            callbacks.append(
                (
                    "gradient_clip",
                    GradientNormClipping(gradient_clip_value=self.gradient_clip),
                )
            )
        patience = self._resolve_patience(has_valid)
        early_stopping = patience is not None and not self._user_callback(EarlyStopping)
        if self._rollback_on_divergence and not self._user_callback(
            RollbackOnDivergence
        ):
            # the fit ends on the best epoch's weights: by the validation loss
            # where early stopping watches one (it restores that epoch, unless
            # it is the last), else by the training loss (the rollback's own)
            rollback = RollbackOnDivergence(sink=print if self.verbose else _silent)
            if early_stopping and has_valid:
                rollback.set_params(tolerance=None)
            callbacks.append(("rollback_on_divergence", rollback))
        if not self._user_callback(LRScheduler):
            callbacks += self._default_callbacks()
        if self.callbacks:
            # deep copies: a callback's state never leaks between fits/clones
            memo: dict[int, Any] = {}  # one memo: shared objects stay shared
            for entry in self.callbacks:
                try:
                    callbacks.append(copy.deepcopy(entry, memo))
                except Exception as exc:
                    raise TypeError(
                        "callbacks are deep-copied at each fit, so that a "
                        "callback's state never leaks between fits and clones, "
                        f"but {_callback_name(entry)} cannot be copied ({exc}). "
                        "Open files, locks or writers in its on_train_begin, not "
                        "in its constructor, and close and delete them in its "
                        "on_train_end, so that the fitted estimator can be "
                        "copied and pickled too."
                    ) from exc
        if early_stopping:
            # last, so every epoch's scores are recorded before it stops
            monitor = "valid_loss" if has_valid else "train_loss"
            callbacks.append(
                (
                    "early_stopping",
                    WarmEarlyStopping(
                        monitor=monitor,
                        patience=patience,
                        load_best=True,
                        start_from_epoch=self._resolve_early_stopping_warm_up(),
                        sink=print if self.verbose else _silent,
                    ),
                )
            )
        if self.verbose and self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        return callbacks

    def _resolve_fit_device(self) -> str:
        if self.accelerator is None:
            return resolve_device(self.device)
        return str(self.accelerator.device)

    def _net_class_and_placement(self, device: str) -> tuple[type, dict[str, Any]]:
        """The skorch net class and its device/accelerator arguments."""
        if self.accelerator is None:
            return self._net_class, {"device": device}
        from skseq.estimators._accelerate import accelerated

        placed_by_accelerator = self.accelerator.device_placement
        return accelerated(self._net_class), {
            "accelerator": self.accelerator,
            "device": None if placed_by_accelerator else device,
            # skorch prints through the accelerator's sink whatever the
            # verbosity; silence it explicitly at verbose=0
            "callbacks__print_log__sink": "auto" if self.verbose else _silent,
        }

    # ------------------------------------------------- skorch passthrough params
    def _set_passthrough_params(self, kwargs: dict[str, Any]) -> None:
        """Store ``optimizer__*``, ``criterion__*``, ``iterator_*__*`` arguments.

        Called by ``__init__`` with its ``**kwargs``: any other name is the
        ``TypeError`` Python gives for an unexpected keyword argument.
        """
        for key in kwargs:
            if not any(
                key.startswith(prefix) and len(key) > len(prefix)
                for prefix in PASSTHROUGH_PREFIXES
            ):
                raise TypeError(
                    f"{type(self).__name__}.__init__() got an unexpected keyword "
                    f"argument {key!r}. Besides its own arguments it takes skorch "
                    f"parameters prefixed with {', '.join(PASSTHROUGH_PREFIXES)}."
                )
        # = vars(self), which mypy types as a read-only mappingproxy here
        self.__dict__.update(kwargs)

    def _check_training_batches(self, n_train: int) -> None:
        """Refuse a fit that would train on no batch: skorch's
        ``iterator_train__drop_last=True`` with fewer training samples than a
        batch (the network would be returned as initialised)."""
        own = self._passthrough_params()
        if not own.get("iterator_train__drop_last"):
            return
        batch_size = own.get(
            "iterator_train__batch_size", self._training_batch_size(n_train)
        )
        if n_train < batch_size:
            raise ValueError(
                f"iterator_train__drop_last=True drops every training batch: "
                f"{n_train} training samples are fewer than a batch of "
                f"{batch_size}, so the network would not train. Lower "
                "batch_size, or drop iterator_train__drop_last."
            )

    def _passthrough_params(self) -> dict[str, Any]:
        return {
            k: v for k, v in vars(self).items() if k.startswith(PASSTHROUGH_PREFIXES)
        }

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments, skorch passthrough parameters included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of estimator-valued arguments, as
            ``<argument>__<name>`` (as in scikit-learn).

        Returns
        -------
        params : dict
            Argument name -> value, with the ``optimizer__*``,
            ``criterion__*`` and ``iterator_*__*`` parameters given to the
            constructor or ``set_params``.
        """
        params = super().get_params(deep=deep)
        params.update(self._passthrough_params())
        return params

    def set_params(self, **params: Any) -> Self:
        """Set arguments; ``optimizer__*`` & co. are stored for the skorch net.

        Parameters
        ----------
        **params : dict
            Constructor arguments (``lr=1e-3``) and skorch passthrough
            parameters (``optimizer__momentum=0.9``, see ``**kwargs`` of the
            class). Applied at the next ``fit``.

        Returns
        -------
        self : object
            The estimator.
        """
        passthrough = {
            k: params.pop(k) for k in list(params) if k.startswith(PASSTHROUGH_PREFIXES)
        }
        if passthrough:
            self._set_passthrough_params(passthrough)
        nested = {k: params.pop(k) for k in list(params) if k.startswith("callbacks__")}
        super().set_params(**params)
        if nested:
            callbacks = _with_callback_params(
                self.get_params(False)["callbacks"], nested
            )
            super().set_params(callbacks=callbacks)
        return self

    def _check_passthrough_params(self) -> None:
        """Refuse passthrough names the estimator sets or skorch would reject."""
        from torch.utils.data import DataLoader

        passthrough = self._passthrough_params()
        for key in passthrough:
            if key in _RESERVED_PASSTHROUGH:
                instead = _RESERVED_PASSTHROUGH[key]
                hint = f"use {instead}= instead" if instead else "it is set by skseq"
                raise ValueError(f"{key} cannot be passed through to skorch: {hint}.")
            if key == "criterion__weight" and "class_weight" in self.get_params(False):
                raise ValueError(
                    "criterion__weight cannot be passed through: use class_weight=."
                )
            if key in _PREDICTION_ORDER_PASSTHROUGH and passthrough[key]:
                raise ValueError(
                    f"{key}=True cannot be passed through: the validation "
                    "iterator also serves predict, whose rows would be "
                    f"{_PREDICTION_ORDER_PASSTHROUGH[key]}."
                )
        targets: list[tuple[str, Callable[..., Any], str]] = [
            *[
                ("optimizer__", opt, "the optimizer")
                for opt in self._optimizer_choices()
            ],
            ("iterator_train__", DataLoader, "torch's DataLoader"),
            ("iterator_valid__", DataLoader, "torch's DataLoader"),
            ("compile__", torch.compile, "torch.compile"),
        ]
        for prefix, target, what in targets:
            accepted = inspect.signature(target).parameters
            if any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
                continue  # takes any keyword
            for key in passthrough:
                name = key[len(prefix) :]
                if key.startswith(prefix) and name.split("__")[0] not in accepted:
                    raise ValueError(
                        f"{key}: {what} ({getattr(target, '__name__', target)}) "
                        f"has no parameter {name!r}."
                    )

    def _build_net(
        self,
        y_train: np.ndarray,
        seed: int,
        device: str,
        valid=None,
        weighted: bool = False,
        *,
        n_train: int,
    ) -> NeuralNet:
        criterion, criterion_kwargs = self._build_criterion()
        if valid is not None:
            train_split = predefined_split(Dataset(*valid))
        else:
            train_split = self._make_train_split(y_train, seed)
        kwargs = {f"criterion__{k}": v for k, v in criterion_kwargs.items()}
        if weighted:
            kwargs["criterion__reduction"] = "none"
        if self.weight_decay:
            kwargs["optimizer__weight_decay"] = float(self.weight_decay)
        kwargs["iterator_train__shuffle"] = True
        kwargs["iterator_train__batch_size"] = self._training_batch_size(n_train)
        kwargs["iterator_train__collate_fn"] = collate_samples
        kwargs["iterator_valid__collate_fn"] = collate_samples
        if device.startswith("cuda"):
            # page-locked batches: faster host-to-GPU copies (skorch copies
            # with a plain .to(device), so not asynchronous ones)
            kwargs["iterator_train__pin_memory"] = True
            kwargs["iterator_valid__pin_memory"] = True
        kwargs.update(self._passthrough_params())
        for prefix in ("iterator_train__", "iterator_valid__"):
            if kwargs.get(prefix + "num_workers") and (
                prefix + "multiprocessing_context" not in kwargs
            ):
                # the platform's start method: inside a joblib worker (e.g.
                # GridSearchCV(n_jobs=2)) the default context is loky's, from
                # which torch's DataLoader cannot start its workers
                kwargs[prefix + "multiprocessing_context"] = DATALOADER_START_METHOD
        net_class, placement = self._net_class_and_placement(device)
        net = net_class(
            module=self._build_module(),
            criterion=criterion,
            optimizer=self._resolve_optimizer(),
            lr=self._resolve_lr(),
            max_epochs=self.max_epochs_,
            batch_size=int(self.batch_size),
            train_split=train_split,
            callbacks=self._make_callbacks(train_split is not None),
            verbose=int(bool(self.verbose)),
            compile=bool(self.compile),
            **placement,
            **kwargs,
        )
        net.autocast_dtype = self._autocast_dtype()
        return net

    def _autocast_dtype(self) -> torch.dtype | None:
        """The ``torch.autocast`` dtype of ``precision`` (None for float32)."""
        return torch.bfloat16 if self.precision == "bf16" else None

    def _check_precision(self, device: str) -> None:
        """``precision="bf16"`` needs CUDA and no accelerator (it has its own)."""
        if self.precision == "fp32":
            return
        if self.accelerator is not None:
            raise ValueError(
                f"precision={self.precision!r} cannot be combined with an "
                "accelerator, which sets the precision itself: use "
                "accelerate.Accelerator(mixed_precision='bf16') instead."
            )
        if not device.startswith("cuda"):
            raise ValueError(
                f"precision={self.precision!r} trains under torch.autocast on a CUDA "
                f"device, but this fit runs on {device!r}. Use precision='fp32' on "
                "the CPU (without bf16 units it would be emulated slowly, and the "
                "results would differ from float32), or device='cuda'."
            )
        major, minor = torch.cuda.get_device_capability(device)
        if major < 8:
            # bf16 tensor cores start with Ampere (compute capability 8.0);
            # torch.cuda.is_bf16_supported() also counts emulation
            raise ValueError(
                f"precision={self.precision!r} needs bf16 tensor cores (compute "
                f"capability 8.0 or higher); {device!r} has {major}.{minor}, where "
                "bf16 would be emulated slowly or fail. Use precision='fp32'."
            )

    def _autocast(self):
        """Context of the network's forward pass at prediction time."""
        dtype = getattr(self.net_, "autocast_dtype", None)
        if dtype is None or not self.device_.startswith("cuda"):
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=dtype)

    def _continue_net(
        self, y_train: np.ndarray, seed: int, valid, weighted: bool, n_train: int
    ):
        """Hand the current training arguments to the fitted net (warm start)."""
        net = self.net_
        if valid is not None:
            train_split = predefined_split(Dataset(*valid))
        else:
            train_split = self._make_train_split(y_train, seed)
        reduction = "none" if weighted else "mean"
        if getattr(net.criterion_, "reduction", reduction) != reduction:
            # in place: set_params would re-initialise the optimizer too
            net.criterion_.reduction = reduction
            net.criterion__reduction = reduction
        optimizer_params = {
            k: v
            for k, v in self._passthrough_params().items()
            if k.startswith("optimizer__")
        }
        if not self._user_callback(LRScheduler):
            # skseq's schedule runs anew from the current lr; a user's
            # LRScheduler resumes from the optimizer's (skorch's rule)
            optimizer_params["lr"] = self._resolve_lr()
        net.set_params(
            optimizer__weight_decay=float(self.weight_decay), **optimizer_params
        )
        net.max_epochs = self.max_epochs_
        net.batch_size = int(self.batch_size)
        net.iterator_train__batch_size = self._training_batch_size(n_train)
        net.train_split = train_split
        net.verbose = int(bool(self.verbose))
        for key, value in self._passthrough_params().items():
            if key.startswith("iterator_"):
                setattr(net, key, value)
        net.callbacks = self._make_callbacks(train_split is not None)
        net.initialize_callbacks()

    # ---------------------------------------------------------------- fitting
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        validation_data: tuple[ArrayLike, ArrayLike] | None = None,
        *,
        X_val: ArrayLike | None = None,
        y_val: ArrayLike | None = None,
    ) -> Self:
        """Train the network on ``X, y``.

        With ``warm_start=True`` and a fitted network, ``fit`` continues
        training it (see the ``warm_start`` parameter): the network, its
        weights, the optimizer state and what was learnt from the first
        fit's data (classes, input scaling) are kept, and ``max_epochs`` more
        epochs are trained with the current training arguments. A fit that
        fails leaves the estimator unfitted, or, when it was continuing, as
        it was before the call.

        Parameters
        ----------
        X : array-like
            Training input in the layout documented by the estimator (numpy,
            CPU ``torch.Tensor``, pandas incl. nullable dtypes for 2D input).
        y : array-like
            Targets in the layout documented by the estimator.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss (the validation
            loss included): each sample's loss, averaged over its elements,
            counts ``sample_weight[i] / mean(sample_weight)`` times. None
            weighs all samples equally. With scikit-learn's metadata routing
            request it with ``set_fit_request(sample_weight=True)``.
        validation_data : tuple (X_valid, y_valid) or None, default=None
            An explicit validation set (e.g. the held-out fold of a CV
            ensemble) used for ``valid_loss`` and early stopping instead of
            splitting off ``validation_fraction`` of ``X``.
        X_val, y_val : array-like or None, default=None
            The same validation set as two arguments (both or neither; not
            with ``validation_data``), as scikit-learn's
            ``HistGradientBoostingClassifier.fit`` takes it. In a ``Pipeline``
            its input then goes through the preprocessing steps too:
            ``Pipeline(steps, transform_input=["X_val"])`` with
            ``set_fit_request(X_val=True, y_val=True)`` on this estimator
            (metadata routing enabled); the targets ``y_val`` are passed on
            as they are.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        continuing = self.warm_start and hasattr(self, "net_")
        snapshot = self._snapshot_fitted_state() if continuing else None
        try:
            self._validate_params()
            self._check_passthrough_params()
            validation_data = _validation_set(validation_data, X_val, y_val)
            if continuing:
                self._check_warm_start_params()
            else:  # the record of the previous fit (read while fitting)
                self.__dict__.pop("_first_fit_params", None)
            return self._fit(
                X,
                y,
                continuing=continuing,
                sample_weight=sample_weight,
                validation_data=validation_data,
            )
        except BaseException:
            self._reset_fitted_state()
            if snapshot is not None:
                self.__dict__.update(snapshot)
            raise

    def _check_warm_start_params(self) -> None:
        """A continued fit cannot change what shapes the network or its input."""
        first = getattr(self, "_first_fit_params", None)
        if first is None:  # fitted by an skseq that did not record them
            return
        # an older estimator's record lacks the arguments added since: it was
        # trained as their value for older pickles describes
        older = self._arguments_of_older_pickles
        first = {**{k: v for k, v in older.items() if not _continuable(k)}, **first}
        current = {k: v for k, v in self.get_params(deep=False).items()}
        changed = sorted(
            k
            for k in set(first) | {k for k in current if not _continuable(k)}
            if not _same_value(first.get(k), current.get(k))
        )
        if changed:
            moved = ""
            if {"device", "precision"} & set(changed):
                # e.g. fitted on a GPU, continued where there is none: the
                # device error advises device='cpu', which this refuses
                moved = (
                    " A network trained on one device or precision continues "
                    "training only there (it predicts anywhere)."
                )
            raise ValueError(
                f"warm_start=True continues training the fitted network, which "
                f"cannot change {changed} (the fitted network was built with "
                f"{ {k: first.get(k) for k in changed} }).{moved} A continued fit "
                f"honours only {sorted(WARM_START_CONTINUABLE & set(current))} and "
                "optimizer__/iterator_* "
                "parameters; set warm_start=False to fit a new network."
            )

    def _snapshot_fitted_state(self) -> dict[str, Any] | None:
        """A copy of the fitted state, restored if a continued fit fails."""
        state = {k: v for k, v in vars(self).items() if _is_fitted_name(k)}
        try:
            with warnings.catch_warnings():
                # skorch's __setstate__ of a net placed by an accelerator
                # (device=None) warns that it sets the device to the CPU
                warnings.simplefilter("ignore", DeviceWarning)
                state["net_"] = copy.deepcopy(self.net_)
        except Exception:  # a net that cannot be copied (some accelerators)
            return None
        return state

    def _validate_sample_weight(
        self, sample_weight, X_train, y_train
    ) -> np.ndarray | None:
        """``sample_weight`` checked, as float32 of mean 1 (None: unweighted);
        ``y_train`` the targets the network learns."""
        if sample_weight is None:
            return None
        weight = check_sample_weight(sample_weight, len(X_train))
        return (weight / weight.mean()).astype(np.float32)

    def _fit(self, X, y, *, continuing: bool, sample_weight=None, validation_data=None):
        if not continuing:
            self._reset_fitted_state()
            X_train, y_train = self._validate_fit_data(X, y)
        else:
            try:
                X_train, y_train = self._validate_validation_data(
                    X, y, names=("X", "y")
                )
            except (ValueError, TypeError) as exc:
                raise type(exc)(
                    "warm_start=True continues training the fitted network on data "
                    f"like the first fit's: {exc} Set warm_start=False to fit a new "
                    "network."
                ) from exc
        # a continued fit too: its parameters may have changed since
        self._check_param_combinations()
        weight = self._validate_sample_weight(sample_weight, X_train, y_train)
        valid = None
        if validation_data is not None:
            if not (
                isinstance(validation_data, tuple | list) and len(validation_data) == 2
            ):
                raise TypeError(
                    "validation_data must be a tuple (X_valid, y_valid); got "
                    f"{type(validation_data).__name__}."
                )
            X_valid, y_valid = validation_data
            valid = self._validate_validation_data(
                X_valid, y_valid, names=_validation_names(validation_data)
            )
        device = self._resolve_fit_device()
        self._check_precision(device)
        self.validation_fraction_ = (
            0.0
            if valid is not None
            else self._resolve_validation_fraction(len(y_train))
        )
        self.validation_fraction_ = self._check_validation_split(y_train)
        n_train = len(y_train) - self._n_validation(len(y_train))
        self._check_training_batches(n_train)
        self.max_epochs_ = self._resolve_max_epochs(X_train, n_train)
        self._check_validation_monitors(valid is not None, len(y_train))
        self._check_before_training(X, y, weight, has_valid=valid is not None)
        seed = draw_seed(self.random_state)
        if continuing:
            # the seed mixed with the epochs trained so far: a continued fit
            # draws other batches, dropout masks and shifts than the fit
            # before it (an int random_state would replay its first epochs),
            # and the same ones when continued from the same state
            seed = mixed_seed(seed, len(self.net_.history))
        net_X = X_train if weight is None else {"X": X_train, _SAMPLE_WEIGHT: weight}
        devices = [torch.device(device)] if device.startswith("cuda") else []
        with (
            torch.random.fork_rng(devices=devices),
            self._explained_missing_validation_score(valid is not None, len(y_train)),
        ):
            seed_generators(seed, device)
            if continuing:
                self._continue_net(y_train, seed, valid, weight is not None, n_train)
                self.net_.partial_fit(net_X, y_train)
            else:
                net = self._build_net(
                    y_train,
                    seed,
                    device,
                    valid,
                    weighted=weight is not None,
                    n_train=n_train,
                )
                net.fit(net_X, y_train)
                self.net_ = net
                self._first_fit_params = {
                    k: v
                    for k, v in self.get_params(deep=False).items()
                    if not _continuable(k)
                }
        # evaluation mode, in which prediction runs it: the trained module_
        # called directly has no dropout (training sets its mode every step)
        self.net_.module_.eval()
        if valid is not None:
            # skorch's predefined split holds the caller's validation data: a
            # fitted model keeps none (its pickle's size, memory maps that
            # cannot be pickled); a continued fit sets its own split
            self.net_.train_split = None
        self._check_finite_fit(X_train)
        self.n_epochs_ = len(self.net_.history)
        return self

    @contextlib.contextmanager
    def _explained_missing_validation_score(self, has_valid: bool, n_samples: int):
        """Explain skorch's ``KeyError`` for a validation score of a fit without one.

        A user's callback that reads ``valid_loss`` (an ``EarlyStopping``'s
        default monitor) or another ``valid_*`` score finds none in the
        history when the fit holds no window out; skorch's error does not
        say why. Other errors pass through.
        """
        try:
            yield
        except KeyError as exc:
            message = str(exc.args[0]) if exc.args else ""
            if (
                has_valid
                or self.validation_fraction_
                or not message.startswith("Key 'valid")
            ):
                raise
            raise ValueError(
                f"{message} {self._no_validation_advice(n_samples)}"
            ) from exc

    def _no_validation_advice(self, n_samples: int) -> str:
        return (
            "A callback reads a validation score, but this fit holds no sample "
            f"out (validation_fraction={self.validation_fraction!r} on "
            f"{n_samples} samples). Pass validation_data, set "
            "validation_fraction, or have the callback monitor a training "
            "score ('train_loss')."
        )

    def _check_validation_monitors(self, has_valid: bool, n_samples: int) -> None:
        """Refuse, before training, a user callback monitoring a validation score
        of a fit that holds nothing out (it would fail after its first epoch)."""
        if has_valid or self.validation_fraction_:
            return
        for callback in self.callbacks or ():
            name, callback = (
                callback
                if isinstance(callback, tuple) and len(callback) == 2
                else (type(callback).__name__, callback)
            )
            monitor = getattr(callback, "monitor", None)
            if isinstance(monitor, str) and monitor.startswith("valid"):
                raise ValueError(
                    f"The callback {name!r} monitors {monitor!r}. "
                    f"{self._no_validation_advice(n_samples)}"
                )

    def _check_before_training(self, X, y, sample_weight, *, has_valid: bool) -> None:
        """Checks of what the fit does after training, run before it (hook).

        ``X, y`` as given to ``fit``, ``sample_weight`` validated (or None);
        ``has_valid``: ``validation_data`` was given. Runs after
        ``validation_fraction_`` and ``max_epochs_`` are resolved.
        """

    def _check_param_combinations(self) -> None:
        """Arguments valid alone but not together or not for this data (hook).

        Runs after the data is validated (its shapes recorded) and before any
        network is built; ``_parameter_constraints`` checks each argument.
        """

    def _check_finite_fit(self, X_train: np.ndarray) -> None:
        """Refuse a trained network with non-finite weights or outputs.

        The loss guard sees every batch's loss, but not the weights after the
        last optimizer step, nor outputs that overflow with finite weights.
        """
        module = self.net_.module_
        for name, tensor in itertools.chain(
            module.named_parameters(), module.named_buffers()
        ):
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                raise NonFiniteLossError(
                    f"Training left non-finite weights ({name} contains NaN or "
                    "infinity): it diverged on its last steps. Lower `lr`, scale "
                    "the input, or check the data for extreme values."
                )
        if not np.isfinite(self._network_output(X_train[: self.batch_size])).all():
            raise NonFiniteLossError(
                "The trained network outputs NaN or infinity on the training data. "
                "Lower `lr`, scale the input, or check the data for extreme values."
            )

    def _reset_fitted_state(self) -> None:
        reset_fitted_state(self)
        self.__dict__.pop("_first_fit_params", None)  # = vars(self)

    # ------------------------------------------------------------- prediction
    @property
    def device_(self) -> str:
        """The device the trained network is on (derived, never stored).

        A network trained on CUDA and unpickled on a machine without CUDA is
        on the CPU (skorch maps it there), and so is its prediction.
        """
        check_is_fitted(self, "net_")
        module = self.net_.module_
        for tensor in itertools.chain(module.parameters(), module.buffers()):
            return str(tensor.device)
        return "cpu"

    def _forward(self, X) -> np.ndarray:
        """Validated ``X`` -> raw network output as a float32 numpy array."""
        check_is_fitted(self, "net_")
        return self._network_output(self._validate_predict_X(X))

    def _network_output(self, X: np.ndarray) -> np.ndarray:
        """Run the trained network on validated input, in evaluation mode.

        torch's process-wide RNG is neither read nor written: the DataLoader,
        which draws a seed even when it does not shuffle, draws it from a
        generator of its own (unless the user gave it one). Forking the
        global RNG instead restored it afterwards, under a fit running in
        another thread, which then drew the same numbers again.
        """
        net = self.net_
        own_generator = "iterator_valid__generator" not in net.__dict__
        with PREDICTION_LOCK, torch.inference_mode():
            if own_generator:
                net.iterator_valid__generator = torch.Generator()
            try:
                out = net.forward(X, training=False, device="cpu")
            finally:
                if own_generator:
                    del net.iterator_valid__generator
        return out.numpy()

    def _predict_in_batches(
        self,
        X: np.ndarray,
        forward,
        *,
        batch_size: int | None = None,
        seed: int | None = None,
        dropout: bool = False,
    ) -> list[np.ndarray]:
        """``forward`` applied to ``X`` batch by batch, as prediction runs it.

        Each batch of ``X`` (a tensor on ``device_``) goes through
        ``forward`` in evaluation mode, under ``torch.inference_mode`` and the
        prediction autocast (``precision="bf16"`` on CUDA), all under
        ``PREDICTION_LOCK``. ``seed`` seeds torch's RNG and ``dropout=True``
        leaves the network's dropout layers on (Monte-Carlo dropout); the RNG
        is then forked, so that prediction never changes the caller's random
        state. A deterministic pass (neither) leaves the RNG alone.

        Returns the float32 outputs, one array per batch (empty for empty
        ``X``).
        """
        module = self.module_
        device = self.device_
        devices = [torch.device(device)] if device.startswith("cuda") else []
        batch_size = self.batch_size if batch_size is None else batch_size
        outputs = []
        with PREDICTION_LOCK:  # the modes below are the module's, for all threads
            was_training = module.training
            module.train(False)
            if dropout:
                for layer in module.modules():
                    if isinstance(layer, torch.nn.modules.dropout._DropoutNd):
                        layer.train(True)
            try:
                # a deterministic pass draws nothing: torch's process-wide RNG
                # is left alone (forked and restored, it would rewind a fit
                # running in another thread)
                uses_rng = seed is not None or dropout
                forked = (
                    torch.random.fork_rng(devices=devices)
                    if uses_rng
                    else contextlib.nullcontext()
                )
                with forked, torch.inference_mode():
                    if seed is not None:
                        seed_generators(seed, device)
                    for start in range(0, len(X), batch_size):
                        batch = torch.as_tensor(X[start : start + batch_size])
                        with self._autocast():
                            out = forward(batch.to(device))
                        outputs.append(out.to("cpu", torch.float32).numpy())
            finally:
                module.train(was_training)
        return outputs

    @property
    def history_(self):
        """The skorch training history (epochs, losses, durations)."""
        check_is_fitted(self, "net_")
        return self.net_.history

    @property
    def module_(self) -> torch.nn.Module:
        """The trained PyTorch network."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    def _unwrapped_module(self) -> torch.nn.Module:
        """The trained network itself, also when accelerate wrapped it for data
        parallelism or ``torch.compile`` (``compile=True``) wrapped it."""
        module = self.module_
        for attribute in ("_orig_mod", "module", "_orig_mod"):
            module = getattr(module, attribute, module)
        return module

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


#: ``tile_size="auto"``: the side of a tile's core, in pixels
AUTO_TILE_SIZE = 256


def seed_generators(seed: int, device: str | torch.device) -> None:
    """Seed the CPU generator and that of ``device`` (a CUDA or MPS device).

    ``torch.manual_seed`` reseeds every GPU's generator too, while a fit or
    a prediction forks (saves and restores) only its own device's: a fit on
    the CPU of a GPU machine, or on ``cuda:0`` of a multi-GPU one, would
    leave the other generators reseeded. On the CPU the CPU generator is
    seeded exactly as ``torch.manual_seed`` seeds it.
    """
    torch.default_generator.manual_seed(seed)
    device = torch.device(device)
    if device.type == "cuda":
        with torch.cuda.device(device):
            torch.cuda.manual_seed(seed)
    elif device.type == "mps":  # an accelerator's Apple GPU: seeded as before
        torch.mps.manual_seed(seed)


class BaseFrameRegressor(FrameRegressorMixin, FrameInputMixin, BaseDeepEstimator):
    """Frame-to-frame regressors: validation of target frames and scoring.

    Predictions come back in the layout of the ``y`` seen in ``fit``
    (``(n, T_out, H, W)`` or ``(n, T_out, C, H, W)``). The networks are
    fully convolutional: they predict on frames of any ``H x W`` (tile by
    tile on large domains, see ``tile_size``), and out-of-core input
    (memmaps, strided views, dask / xarray / zarr arrays) is read batch by
    batch.
    """

    _any_frame_size = True
    _lazy_frames = True

    def _tile_plan(self, halo: int) -> tuple[int, int] | None:
        """``(tile_size, halo)`` for tiled prediction, or None for one pass."""
        # read at prediction time, so checked there too (set_params after fit)
        validate_parameter_constraints(
            {"tile_size": self._parameter_constraints["tile_size"]},
            {"tile_size": self.tile_size},
            caller_name=type(self).__name__,
        )
        if self.tile_size is None:
            return None
        size = AUTO_TILE_SIZE if self.tile_size == "auto" else int(self.tile_size)
        return size, int(halo)

    def _has_channel_axis(self, X) -> bool:
        """Whether frames forecast from ``X`` keep a channel axis
        (:meth:`_keeps_channel_axis`)."""
        return self._keeps_channel_axis(self.n_channels_out_, np.ndim(X))

    def _validate_targets(self, y, X: np.ndarray) -> np.ndarray:
        from skseq.utils.validation import check_frame_targets

        y_raw_ndim = getattr(y, "ndim", None) or np.ndim(y)
        y = check_frame_targets(y, X, lazy=self._lazy_frames)
        self.n_output_frames_ = y.shape[1]
        self.n_channels_out_ = y.shape[2]
        self.target_ndim_ = int(y_raw_ndim)
        return y

    def _validate_validation_data(self, X, y, names=("X_valid", "y_valid")):
        from skseq.utils.validation import check_frame_targets

        X = self._validate_predict_X(X, name=names[0])
        y = check_frame_targets(
            y, X, name=names[1], lazy=self._lazy_frames, X_name=names[0]
        )
        expected = (self.n_output_frames_, self.n_channels_out_)
        if y.shape[1:3] != expected:
            raise ValueError(
                f"{names[1]} has (n_frames, C) = {y.shape[1:3]} but the y the "
                f"network was fitted on had {expected}."
            )
        return X, self._network_targets(y, names[1])

    def _held_out_windows(self, X, y, validation_data=None):
        """The windows ``fit`` held out, to calibrate ensembles on.

        ``validation_data`` when given, else the chronological validation
        split of ``fit`` (its last samples), else -- without a split -- the
        training windows themselves; validated as network inputs and targets.
        """
        if validation_data is not None:
            X_valid, y_valid = validation_data
            return self._validate_validation_data(
                X_valid, y_valid, names=_validation_names(validation_data)
            )
        X, y = self._validate_validation_data(X, y, names=("X", "y"))
        n_valid = self._n_validation(len(X))
        if not n_valid:
            return X, y
        # out of core: the held-out rows unread (a calibration reads what it uses)
        start = len(X) - n_valid
        return tuple(
            a.rows(start, len(a)) if isinstance(a, LazyFrames) else a[start:]
            for a in (X, y)
        )

    def _network_targets(self, y: np.ndarray, name: str = "y") -> np.ndarray:
        """Validated ``(n, T_out, C, H, W)`` targets -> what the network learns
        (``name``: the targets' argument, for error messages)."""
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


def _validation_set(validation_data, X_val, y_val):
    """``fit``'s validation set, given as ``validation_data`` or as ``X_val, y_val``."""
    if X_val is None and y_val is None:
        return validation_data
    if X_val is None or y_val is None:
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(
            f"{given} was given without {missing}: a validation set needs both."
        )
    if validation_data is not None:
        raise ValueError(
            "Pass the validation set either as validation_data or as X_val and "
            "y_val, not both."
        )
    return _ArgumentPair((X_val, y_val), names=("X_val", "y_val"))


class _ArgumentPair(tuple):
    """A validation set ``(X, y)`` that remembers the names of the arguments
    it was given as, for error messages."""

    names: tuple[str, str]

    def __new__(cls, pair: tuple, names: tuple[str, str] = ("X_valid", "y_valid")):
        self = super().__new__(cls, pair)
        self.names = names
        return self


def _validation_names(validation_data) -> tuple[str, str]:
    """The names of a validation set's arrays in error messages."""
    return getattr(validation_data, "names", ("X_valid", "y_valid"))
