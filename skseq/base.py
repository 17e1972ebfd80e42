"""Torch-free base of skseq's estimators, transformers and baselines.

* :func:`validate_data` -- the one input check (modelled on scikit-learn's
  ``validate_data``): converts ``X``, checks its layout and, at ``fit``,
  records the fitted input shape (``n_features_in_`` & co.) or, afterwards,
  checks ``X`` against it.
* :class:`SequenceInputMixin`, :class:`FrameInputMixin` -- the estimator side
  of it, plus the input-layout tag.
* :class:`SkseqInputTags` -- scikit-learn's input tags with the layout skseq
  reads them in (``"sequences"``, ``"frames"`` ...), so capabilities come from
  :func:`sklearn.utils.get_tags`, never from private method names.
* Parameter constraints in scikit-learn's declarative format
  (:class:`Rule`, :func:`positive_int` ...) for ``_parameter_constraints``.
* :class:`ArrayOutputMixin` -- transformers with 3D output opt out of
  ``set_output`` wrapping.

Nothing here imports torch: the transformers and baselines build on it
without loading PyTorch.
"""

from __future__ import annotations

import dataclasses
import functools
from numbers import Integral, Real
from typing import TYPE_CHECKING, Literal, TypeVar, cast, overload

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils._set_output import ADAPTERS_MANAGER, _get_output_config
from sklearn.utils._tags import InputTags
from sklearn.utils.validation import _check_feature_names, check_is_fitted

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from numpy.typing import ArrayLike, DTypeLike
    from sklearn.base import BaseEstimator
    from sklearn.utils import Tags
    from typing_extensions import Self

    from skseq.utils._lazy import LazyFrames

    class _TaggedBase:
        # what the input mixins call on the estimator class they are mixed into
        def __sklearn_tags__(self) -> Tags: ...

else:
    _TaggedBase = object

# a decorated ``fit`` keeps its signature (unfitted_on_error)
_Fit = TypeVar("_Fit", bound="Callable[..., Any]")

__all__ = [
    "ArrayOutputMixin",
    "ChannelNamesOutMixin",
    "FrameInputMixin",
    "NumberInterval",
    "Rule",
    "SequenceInputMixin",
    "SkseqInputTags",
    "check_sample_weight",
    "fraction",
    "input_layout",
    "non_negative_int",
    "positive_int",
    "positive_int_sequence",
    "unfitted_on_error",
    "validate_data",
]

# ------------------------------------------------------------------- tags
LAYOUTS = ("sequences", "frames", "any")


@dataclasses.dataclass(slots=True)
class SkseqInputTags(InputTags):
    """Input tags of scikit-learn plus the layout skseq reads ``X`` in.

    :class:`sklearn.utils.InputTags` with one more field, ``layout``. The
    input mixins (:class:`SequenceInputMixin`, :class:`FrameInputMixin`)
    put it in an estimator's tags; :func:`input_layout` reads it back.

    Parameters
    ----------
    one_d_array : bool, default=False
        Whether the input can be a 1D array.
    two_d_array : bool, default=True
        Whether the input can be a 2D array.
    three_d_array : bool, default=False
        Whether the input can be a 3D array (True for every skseq layout).
    sparse : bool, default=False
        Whether the input can be a sparse matrix.
    categorical : bool, default=False
        Whether the input can be categorical.
    string : bool, default=False
        Whether the input can be an array-like of strings.
    dict : bool, default=False
        Whether the input can be a dictionary.
    positive_only : bool, default=False
        Whether the estimator requires positive ``X``.
    allow_nan : bool, default=False
        Whether the estimator supports missing values encoded as NaN.
    pairwise : bool, default=False
        Whether ``X`` holds pairwise measures over samples.
    layout : {"sequences", "frames", "any"} or None, default=None
        ``"sequences"``: ``(n, T, C)`` (or ``(n, T)``); ``"frames"``:
        ``(n, T, [C,] H, W)``; ``"any"``: any rank >= 2 (elementwise).
        None for input of another kind (tables).
    """

    layout: str | None = None


def with_layout(tags, layout: str):
    """Return ``tags`` whose ``input_tags`` record ``layout``."""
    fields = {
        f.name: getattr(tags.input_tags, f.name) for f in dataclasses.fields(InputTags)
    }
    tags.input_tags = SkseqInputTags(**fields, layout=layout)
    if layout in ("sequences", "frames", "any"):
        tags.input_tags.three_d_array = True
    return tags


def input_layout(estimator: BaseEstimator) -> str | None:
    """The input layout of ``estimator`` from its tags (None if not skseq's).

    Parameters
    ----------
    estimator : estimator instance
        Any scikit-learn estimator.

    Returns
    -------
    layout : {"sequences", "frames", "any"} or None
        What its ``X`` is: sequences ``(n_samples, n_timesteps, n_channels)``,
        frames ``(n_samples, n_frames, [C,] H, W)``, either, or None for an
        estimator without skseq's input tags.
    """
    return getattr(get_tags(estimator).input_tags, "layout", None)


# ------------------------------------------------------------ validation
def _fitted_shape_attrs(layout: str) -> tuple[str, ...]:
    return {
        "sequences": ("n_timesteps_in_", "n_channels_in_"),
        "frames": ("n_input_frames_", "n_channels_in_", "frame_shape_"),
        "any": (),
    }[layout]


@overload
def validate_data(
    estimator: BaseEstimator,
    X: ArrayLike,
    *,
    reset: bool,
    layout: str = "sequences",
    min_length: int = 1,
    allow_nan: bool = False,
    allow_2d: bool = True,
    dtype: DTypeLike | Sequence[DTypeLike] | None = np.float32,
    any_frame_size: bool = False,
    lazy: Literal[False] = False,
    name: str = "X",
    original: ArrayLike | None = None,
    check_feature_names: bool = True,
) -> np.ndarray: ...


@overload
def validate_data(
    estimator: BaseEstimator,
    X: ArrayLike,
    *,
    reset: bool,
    layout: str = "sequences",
    min_length: int = 1,
    allow_nan: bool = False,
    allow_2d: bool = True,
    dtype: DTypeLike | Sequence[DTypeLike] | None = np.float32,
    any_frame_size: bool = False,
    lazy: bool,
    name: str = "X",
    original: ArrayLike | None = None,
    check_feature_names: bool = True,
) -> np.ndarray | LazyFrames: ...


def validate_data(
    estimator: BaseEstimator,
    X: ArrayLike,
    *,
    reset: bool,
    layout: str = "sequences",
    min_length: int = 1,
    allow_nan: bool = False,
    allow_2d: bool = True,
    dtype: DTypeLike | Sequence[DTypeLike] | None = np.float32,
    any_frame_size: bool = False,
    lazy: bool = False,
    name: str = "X",
    original: ArrayLike | None = None,
    check_feature_names: bool = True,
) -> np.ndarray | LazyFrames:
    """Validate ``X`` for ``estimator``; record or check its fitted shape.

    Modelled on :func:`sklearn.utils.validation.validate_data`: one function
    every skseq estimator, transformer and baseline validates its input with,
    so the conversion rules and the "X has N features" message exist once.

    Parameters
    ----------
    estimator : estimator instance
        Where the shape is recorded (``reset=True``) or read from.
    X : array-like
        Numpy, CPU/GPU ``torch.Tensor``, pandas (nullable dtypes included),
        lists.
    reset : bool
        True in ``fit``: record ``n_features_in_`` and the layout's shape
        attributes (sequences: ``n_timesteps_in_``, ``n_channels_in_``;
        frames: ``n_input_frames_``, ``n_channels_in_``, ``frame_shape_``),
        and ``feature_names_in_`` for a DataFrame ``X`` with string column
        names, as scikit-learn does. False afterwards: check ``X`` has that
        shape (and those column names, in that order).
    layout : {"sequences", "frames", "any"}, default="sequences"
        What ``X`` holds: sequences ``(n, T, C)`` (or ``(n, T)``), frames
        ``(n, T, [C,] H, W)``, or any array with samples first.
    min_length : int, default=1
        Fewest timesteps (sequences) or frames (frames) accepted in ``fit``.
    allow_nan : bool, default=False
        Let NaN through (padding or missing values); infinity never.
    allow_2d : bool, default=True
        Sequences only: read ``(n, T)`` as univariate sequences.
    dtype : numpy dtype, list of dtypes or None, default=np.float32
        Dtype of the returned array, as in :func:`sklearn.utils.check_array`
        (float32 by default; None keeps the input's).
    any_frame_size : bool, default=False
        Frames only, with ``reset=False``: accept frames of any ``H x W``
        (fully convolutional models); the number of frames and channels is
        still checked, ``n_features_in_`` (which depends on ``H x W``) not.
    lazy : bool, default=False
        Frames only: return out-of-core input (memmaps and views of them,
        read-only strided views, dask / xarray / zarr / h5py arrays) as a
        ``LazyFrames`` (``skseq.utils._lazy``) read batch by batch, its
        finiteness checked chunk by chunk, instead of converting it whole.
    name : str, default="X"
        The argument's name in error messages (``"X_valid"`` for a
        validation set).
    original : array-like or None, default=None
        The input as the user passed it, when the caller reshaped it before
        this validation (a table of one frame per row read as sequences of
        one step): its DataFrame column names are the feature names. None
        takes them from ``X``.
    check_feature_names : bool, default=True
        Record or check the DataFrame column names (``name="X"`` only).
        False for data that are not the estimator's input features, such as
        the output an ``inverse_transform`` takes back (scikit-learn does
        not check names there either).

    Returns
    -------
    X : ndarray or LazyFrames
        ``(n, T, C)`` for sequences, ``(n, T, C, H, W)`` for frames, the
        input's shape for ``"any"``; a ``LazyFrames`` only with
        ``lazy=True`` and out-of-core input.
    """
    from skseq.utils._lazy import check_frames_lazy, is_out_of_core
    from skseq.utils.validation import check_frames, check_sequences, to_numeric_array

    if name == "X" and check_feature_names:
        # a DataFrame's column names: recorded as feature_names_in_ in fit,
        # checked afterwards (scikit-learn's rule; validation sets and
        # targets are not the estimator's input features)
        _check_feature_names(
            estimator, X if original is None else original, reset=reset
        )
    if layout == "sequences":
        X = check_sequences(
            X,
            min_timesteps=min_length if reset else 1,
            allow_2d=allow_2d,
            allow_nan=allow_nan,
            dtype=dtype,
            name=name,
        )
        shape = tuple(X.shape[1:])
        described = "sequences of shape (n_samples, {}, {})"
    elif layout == "frames":
        check = check_frames_lazy if lazy and is_out_of_core(X) else check_frames
        kwargs = {} if check is check_frames_lazy else {"dtype": dtype}
        X, _ = check(
            X,
            name=name,
            min_frames=min_length if reset else 1,
            allow_nan=allow_nan,
            **kwargs,
        )
        shape = (X.shape[1], X.shape[2], tuple(X.shape[3:]))
        described = "frames of shape (n_frames, C, (H, W)) = ({}, {}, {})"
    elif layout == "any":
        X = to_numeric_array(X, name=name, dtype=dtype, allow_nan=allow_nan)
        if X.ndim < 2:
            raise ValueError(
                f"{name} must have shape (n_samples, ...) with at least 2 axes; got "
                f"{X.shape}. Reshape your data."
            )
        if X[:1].size == 0:
            raise ValueError(
                f"{name} has 0 values per sample (shape {X.shape}); expected at least one."
            )
        shape = ()
        described = ""
    else:
        raise ValueError(f"layout must be one of {LAYOUTS}; got {layout!r}.")
    n_features = int(np.prod(X.shape[1:]))
    attrs = _fitted_shape_attrs(layout)
    if reset:
        for name, value in zip(attrs, shape):
            setattr(estimator, name, value)
        estimator.n_features_in_ = n_features
        return X
    check_is_fitted(estimator)
    expected = tuple(getattr(estimator, name) for name in attrs)
    if layout == "frames" and any_frame_size:
        if shape[:2] != expected[:2]:
            raise ValueError(
                f"{name} has (n_frames, C) = {shape[:2]} but {type(estimator).__name__} "
                f"was fitted on {expected[:2]}; frames of any H x W are accepted, "
                "but the number of frames and channels must match the fit."
            )
        return X
    if n_features == estimator.n_features_in_ and shape != expected:
        raise ValueError(
            f"{name} has {described.format(*shape)}, but {type(estimator).__name__} "
            f"was fitted on {described.format(*expected)}: as many features in "
            "another shape."
        )
    if n_features != estimator.n_features_in_:
        detail = ""
        if attrs:
            detail = (
                f": it was fitted on {described.format(*expected)} and got "
                f"{described.format(*shape)}"
            )
        raise ValueError(
            f"{name} has {n_features} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input{detail}."
        )
    return X


def check_sample_weight(sample_weight: ArrayLike, n_samples: int) -> np.ndarray:
    """Validate ``sample_weight``: ``(n_samples,)``, finite, >= 0, not all 0.

    A single number weighs every sample the same, as in scikit-learn.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or float
        One weight per sample, or one number for all of them.
    n_samples : int
        Samples the weights are for.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,), float64
        The weights as float64.

    Raises
    ------
    ValueError
        If the weights have another shape, are negative, not finite or all
        zero.
    """
    from skseq.utils.validation import to_numeric_array

    if isinstance(sample_weight, Real) and not isinstance(sample_weight, bool):
        sample_weight = np.full(n_samples, float(sample_weight))
    weight = to_numeric_array(sample_weight, name="sample_weight", dtype=np.float64)
    if weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per sample; "
            f"got shape {weight.shape}."
        )
    if (weight < 0).any():
        raise ValueError("sample_weight contains negative values; weights are >= 0.")
    if not weight.sum() > 0:
        raise ValueError("sample_weight must not be all zeros.")
    return weight


def unfitted_on_error(fit: _Fit) -> _Fit:
    """Decorate ``fit``: if it raises, the estimator is left unfitted.

    ``fit`` validates and records the input shape (:func:`validate_data`)
    before its other checks; a fit that then fails must not leave those, or
    the attributes of an earlier fit, behind (``check_is_fitted`` would call
    a half-fitted estimator fitted).

    Parameters
    ----------
    fit : callable
        The ``fit`` method, ``fit(self, *args, **kwargs)``.

    Returns
    -------
    wrapper : callable
        ``fit``, which on any exception deletes the estimator's fitted
        attributes (names ending in ``_``, as :func:`check_is_fitted
        <sklearn.utils.validation.check_is_fitted>` counts them) before
        raising it again.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            reset_fitted_state(self)
            raise

    return cast("_Fit", wrapper)


def reset_fitted_state(estimator) -> None:
    """Delete the fitted attributes.

    These are the names ending in ``_`` but not starting with ``__``, private
    ones (``_seed_``) included: scikit-learn's ``check_is_fitted`` counts
    each of them as a sign of a fit.
    """
    for name in [
        k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")
    ]:
        delattr(estimator, name)


class SequenceInputMixin(_TaggedBase):
    """Validation of ``(n_samples, n_timesteps, n_channels)`` input.

    Records ``n_timesteps_in_``, ``n_channels_in_`` and ``n_features_in_``
    (``n_timesteps * n_channels``: for a 2D univariate input this is
    ``X.shape[1]``, as in scikit-learn) and checks them at predict time.
    """

    def _min_timesteps(self) -> int:
        return 1

    def _validate_sequences(
        self, X, *, reset: bool, allow_nan: bool = False, name: str = "X"
    ):
        return validate_data(
            self,
            X,
            reset=reset,
            layout="sequences",
            min_length=self._min_timesteps(),
            allow_nan=allow_nan,
            name=name,
        )

    def __sklearn_tags__(self):
        return with_layout(super().__sklearn_tags__(), "sequences")


class FrameInputMixin(_TaggedBase):
    """Validation of frame sequences ``(n, T, H, W)`` or ``(n, T, C, H, W)``.

    Records ``n_input_frames_``, ``n_channels_in_``, ``frame_shape_`` (H, W)
    and ``n_features_in_`` (values per sample) and checks them afterwards.
    """

    #: predict on frames of any H x W (fully convolutional networks)
    _any_frame_size = False
    #: read out-of-core input (memmaps, strided views, dask ...) batch by batch
    _lazy_frames = False

    def _min_input_frames(self) -> int:
        return 1

    def _validate_frames(self, X, *, reset: bool, name: str = "X"):
        return validate_data(
            self,
            X,
            reset=reset,
            layout="frames",
            min_length=self._min_input_frames(),
            any_frame_size=self._any_frame_size,
            lazy=self._lazy_frames,
            name=name,
        )

    def __sklearn_tags__(self):
        tags = with_layout(super().__sklearn_tags__(), "frames")
        tags.input_tags.two_d_array = False
        return tags


# ----------------------------------------------------------- constraints
class Rule(HasMethods):
    """A parameter constraint given by a predicate and its description.

    For what scikit-learn's constraint objects (``Interval``, ``StrOptions``
    ...) cannot say: a list of skorch callbacks, a device string, a tuple of
    positive integers. It is a ``HasMethods`` only so that
    :mod:`sklearn.utils._param_validation` takes it as one of its own
    constraints (and its test generator produces an invalid value for it:
    an object without methods).

    Parameters
    ----------
    predicate : callable
        Called with a parameter's value: the value satisfies the constraint
        when it returns a true value (and not when it raises).
    description : str
        What the constraint asks for, as scikit-learn's error message names
        it: "The 'x' parameter of Est must be {description}. Got ...".

    Examples
    --------
    >>> from skseq.base import Rule
    >>> rule = Rule(lambda v: isinstance(v, tuple), "a tuple")
    >>> rule.is_satisfied_by((1, 2)), rule.is_satisfied_by([1, 2])
    (True, False)
    """

    def __init__(self, predicate: Callable[[Any], object], description: str):
        super().__init__([])
        self.predicate = predicate
        self.description = description

    def is_satisfied_by(self, val: object) -> bool:
        """Tell whether ``val`` satisfies the constraint.

        Parameters
        ----------
        val : object
            A parameter's value.

        Returns
        -------
        satisfied : bool
            ``predicate(val)`` as a bool; False where the predicate raises.
        """
        try:
            return bool(self.predicate(val))
        except Exception:  # a predicate never raises: unsatisfied
            return False

    def __str__(self) -> str:
        return self.description


class NumberInterval(Interval):
    """The ``Interval`` constraint of scikit-learn, which a bool does not satisfy.

    Python counts ``True`` as the integer 1, so scikit-learn's ``Interval``
    takes ``max_epochs=True`` or ``lr=True`` for 1; a bool there is a
    mistake (a flag given for a number), refused like a string.

    Parameters
    ----------
    type : {numbers.Integral, numbers.Real, RealNotInt}
        The set of numbers the interval is in.
    left : float, int or None
        The left bound; None for no bound.
    right : float, int or None
        The right bound; None for no bound.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval.
    """

    def is_satisfied_by(self, val) -> bool:
        """Whether ``val`` is a number (not a bool) in the interval.

        Parameters
        ----------
        val : object
            The value of the argument.

        Returns
        -------
        satisfied : bool
            True if ``val`` satisfies the constraint.
        """
        return not isinstance(val, bool | np.bool_) and super().is_satisfied_by(val)


def positive_int() -> Interval:
    """Constraint: an integer >= 1 (numpy integers included, bools not).

    Returns
    -------
    constraint : Interval
        ``NumberInterval(Integral, 1, None, closed="left")``.
    """
    return NumberInterval(Integral, 1, None, closed="left")


def non_negative_int() -> Interval:
    """Constraint: an integer >= 0 (numpy integers included, bools not).

    Returns
    -------
    constraint : Interval
        ``NumberInterval(Integral, 0, None, closed="left")``.
    """
    return NumberInterval(Integral, 0, None, closed="left")


def fraction(closed: str = "left") -> Interval:
    """Constraint: a real number between 0 and 1.

    Parameters
    ----------
    closed : {"left", "right", "both", "neither"}, default="left"
        Which bounds the interval includes, as in scikit-learn's
        ``Interval``: ``"left"`` is ``[0, 1)``, ``"both"`` ``[0, 1]``.

    Returns
    -------
    constraint : Interval
        ``NumberInterval(Real, 0, 1, closed=closed)`` (bools refused).
    """
    return NumberInterval(Real, 0, 1, closed=closed)


def positive_int_sequence(description: str, *, allow_empty: bool = False) -> Rule:
    """Constraint: a tuple, list or 1D array of integers >= 1 (non-empty by default).

    Parameters
    ----------
    description : str
        What the constraint asks for, in error messages (:class:`Rule`).
    allow_empty : bool, default=False
        Accept an empty sequence.

    Returns
    -------
    constraint : Rule
        The constraint (booleans are not integers here).
    """
    return Rule(
        lambda v: (
            isinstance(v, tuple | list | np.ndarray)
            and np.ndim(v) == 1
            and (allow_empty or len(v) > 0)
            and all(
                # typeshed's numbers.Integral declares only < and <=
                isinstance(c, Integral) and not isinstance(c, bool) and c >= 1  # type: ignore[operator]
                for c in v
            )
        ),
        description,
    )


# ---------------------------------------------------------------- output
class ArrayOutputMixin:
    """``set_output`` for a transformer whose output may have more than 2 dimensions.

    scikit-learn wraps ``transform`` and ``fit_transform`` of every
    transformer that has ``get_feature_names_out`` so that
    ``sklearn.set_config(transform_output="pandas")`` (or ``"polars"``) or
    ``set_output(transform="pandas")`` returns DataFrames. A DataFrame holds a
    2D table only, so skseq's transformers of sequences and frames opt out
    of scikit-learn's wrapping (``auto_wrap_output_keys=None``, as
    scikit-learn documents for such classes) and wrap their output
    themselves where it is a table: a 2D output becomes a DataFrame with the
    columns of ``get_feature_names_out`` (and the input's index, where it
    had one), while 3D and higher outputs stay numpy arrays, whatever the
    configuration. ``set_output`` is accepted either way, so that
    ``Pipeline.set_output`` works for every step.

    Put it first among the bases, before ``TransformerMixin``.
    """

    def __init_subclass__(cls, **kwargs):
        kwargs.setdefault("auto_wrap_output_keys", None)
        super().__init_subclass__(**kwargs)
        for name in ("transform", "fit_transform"):
            method = cls.__dict__.get(name)
            if method is not None and not hasattr(method, "_wraps_table_output"):
                setattr(cls, name, _table_output(method))

    def set_output(self, *, transform: str | None = None) -> Self:
        """Set the container of 2D outputs.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Container of the output of ``transform`` and ``fit_transform``
            where it is 2D (a table): ``"default"`` a numpy array,
            ``"pandas"`` or ``"polars"`` a DataFrame; None leaves the
            configuration unchanged. Outputs of more than two dimensions
            (sequences, frames) stay numpy arrays: DataFrames cannot hold
            them.

        Returns
        -------
        self : object
            The transformer.
        """
        if transform is None:
            return self
        if transform not in _OUTPUT_CONTAINERS:
            raise ValueError(
                f"transform must be one of {sorted(_OUTPUT_CONTAINERS)} or None; "
                f"got {transform!r}."
            )
        config = dict(getattr(self, "_sklearn_output_config", {}))
        config["transform"] = transform
        self._sklearn_output_config = config
        return self


#: containers ``ArrayOutputMixin.set_output`` accepts (scikit-learn's)
_OUTPUT_CONTAINERS = frozenset({"default", "pandas", "polars"})


def _table_output(method: Callable) -> Callable:
    """Wrap ``transform`` or ``fit_transform`` so that a 2D output follows ``set_output``."""

    @functools.wraps(method)
    def wrapped(self, X, *args, **kwargs):
        out = method(self, X, *args, **kwargs)
        if np.ndim(out) != 2 or not hasattr(self, "get_feature_names_out"):
            return out
        container = _get_output_config("transform", self)["dense"]
        if container == "default":
            return out
        # the input's index only where the rows are the input's rows
        index_source = X if getattr(X, "shape", (None,))[0] == len(out) else None
        return ADAPTERS_MANAGER.adapters[container].create_container(
            out, index_source, columns=self.get_feature_names_out
        )

    wrapped._wraps_table_output = True  # type: ignore[attr-defined]
    return wrapped


class ChannelNamesOutMixin:
    """``get_feature_names_out`` of a transformer that keeps its input's channels.

    The features of a sequence are its channels over time, so the output's
    names are the input's channel names: ``input_features`` when given (the
    previous step's names in a ``Pipeline``), else ``ch0``, ``ch1``, ... as
    :class:`~skseq.preprocessing.DerivativeIntegralFeatures` names its 3D
    output. A transformer fitted on 2D input that it returns as 2D (one
    column per timestep) sets ``_columns_are_timesteps = True`` in ``fit``:
    its names are then per column (``t0``, ``t1``, ...); such a class sets
    the class attribute to None, so that an instance fitted before it was
    recorded asks to be fitted again.
    """

    _columns_are_timesteps: bool | None = False
    # set by ``fit`` (declared here for type checkers only)
    n_features_in_: int
    n_channels_in_: int

    def get_feature_names_out(
        self, input_features: ArrayLike | None = None
    ) -> np.ndarray:
        """Get the output channels' names: the input's.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input's channel names (its column names for 2D input returned
            as 2D); None takes ``feature_names_in_`` (fitted on a DataFrame)
            when it has a name per output channel (per column), or names them
            ``ch0``, ``ch1``, ... (``t0``, ``t1``, ...).

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output channel (per column).
        """
        check_is_fitted(self, "n_channels_in_")
        per_column = self._columns_are_timesteps
        if per_column is None:
            raise NotFittedError(
                f"This {type(self).__name__} was fitted by an earlier skseq, which "
                "did not record whether its input was 2D; fit it again to name "
                "its output."
            )
        n_names = self.n_features_in_ if per_column else self.n_channels_in_
        fitted_names = getattr(self, "feature_names_in_", None)
        if (
            input_features is None
            and fitted_names is not None
            and len(fitted_names) == n_names
        ):
            # a DataFrame's columns, as in sklearn: those of a table of frames
            # name its channels; those of univariate sequences are timesteps,
            # which name no channel of the output's channel axis
            input_features = fitted_names
        if input_features is None:
            prefix = "t" if per_column else "ch"
            return np.asarray([f"{prefix}{i}" for i in range(n_names)], dtype=object)
        names = np.asarray(input_features, dtype=object)
        if names.ndim != 1 or len(names) != n_names:
            what = "columns" if per_column else "channels"
            raise ValueError(
                "input_features should have length equal to the number of "
                f"{what} ({n_names}) that {type(self).__name__} was fitted on; "
                f"got {names.size} names."
            )
        if (
            fitted_names is not None
            and len(fitted_names) == n_names
            and not np.array_equal(names, fitted_names)
        ):
            raise ValueError(
                "input_features is not equal to feature_names_in_ (the columns of "
                "the DataFrame it was fitted on)."
            )
        return names
