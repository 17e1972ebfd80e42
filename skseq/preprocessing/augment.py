"""Roll augmentation (training only) and roll + noise oversampling."""

from __future__ import annotations

import numbers
from numbers import Real
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from skseq.base import (
    ArrayOutputMixin,
    ChannelNamesOutMixin,
    NumberInterval,
    non_negative_int,
    unfitted_on_error,
    validate_data,
    with_layout,
)
from skseq.utils.validation import (
    check_class_labels,
    check_fitted_rank,
    check_same_length,
    input_ndim,
    valid_lengths,
)

if TYPE_CHECKING:  # annotations only
    import pandas as pd
    from numpy.typing import ArrayLike
    from typing_extensions import Self

__all__ = ["RollAugmenter", "RollOversampler"]

_FLOAT_DTYPES = [np.float64, np.float32]


def _roll_each(
    X: np.ndarray, shifts: np.ndarray, lengths: np.ndarray | None = None
) -> np.ndarray:
    """Roll ``X[i]`` circularly along time by ``shifts[i]`` (vectorised).

    With ``lengths``, sequence ``i`` rolls within its first ``lengths[i]``
    steps and its trailing padding stays where it is.
    """
    T = X.shape[1]
    steps = np.arange(T)[None, :]
    if lengths is None:
        index = (steps - shifts[:, None]) % T
    else:
        period = np.maximum(lengths, 1)[:, None]
        index = np.where(
            steps < lengths[:, None], (steps - shifts[:, None]) % period, steps
        )
    return np.take_along_axis(X, index[:, :, None], axis=1)


def _sequence_lengths(X: np.ndarray) -> np.ndarray | None:
    """Steps before each sequence's trailing all-NaN rows (None: no NaN at all).

    NaN elsewhere (a missing value) rolls with its timestep; a sequence of
    NaN only is refused.
    """
    if not np.isnan(X).any():
        return None
    lengths = valid_lengths(X)
    if (lengths == 0).any():
        raise ValueError(
            f"Sequence {int(np.flatnonzero(lengths == 0)[0])} is NaN only; expected "
            "at least one timestep before its NaN padding."
        )
    return lengths


def _shift_bounds(min_shift, max_shift, T: int) -> tuple[int, int]:
    """Shift magnitudes ``[lo, hi]`` for sequences of ``T`` timesteps."""
    lo = int(min_shift)
    if lo < 0 or (max_shift is not None and int(max_shift) < lo):
        raise ValueError(
            f"Need 0 <= min_shift <= max_shift; got min_shift={min_shift}, "
            f"max_shift={max_shift}."
        )
    hi = T - 1 if max_shift is None else min(int(max_shift), T - 1)
    hi = max(hi, 0)
    if lo > hi:
        raise ValueError(
            f"min_shift={lo} needs sequences of more than {lo} timesteps; got {T}."
        )
    return lo, hi


def _shift_limits(lo: int, hi: int, lengths: np.ndarray | None) -> np.ndarray | None:
    """Largest shift magnitude of each sequence; None when ``hi`` fits them all.

    A sequence of ``L`` steps before its padding rolls by at most ``L - 1``
    (a longer roll within its steps repeats a shorter one).
    """
    if lengths is None or (lengths > hi).all():
        return None
    longest = np.minimum(hi, lengths - 1)
    too_short = np.flatnonzero(longest < lo)
    if too_short.size:
        i = int(too_short[0])
        raise ValueError(
            f"min_shift={lo} is too long for sequence {i}: it has {int(lengths[i])} "
            f"steps before its NaN padding, so shifts of at most {int(longest[i])}."
        )
    return longest


def _random_shifts(rng, n: int, lo: int, hi: int, longest=None) -> np.ndarray:
    """Shifts of magnitude in [lo, hi] (or [lo, longest[i]]), either direction."""
    if longest is None:
        magnitude = rng.randint(lo, hi + 1, size=n)
    else:
        magnitude = lo + np.floor(rng.rand(n) * (longest - lo + 1)).astype(int)
    sign = np.where(rng.rand(n) < 0.5, -1, 1)
    return magnitude * sign


class RollAugmenter(
    ArrayOutputMixin, ChannelNamesOutMixin, TransformerMixin, BaseEstimator
):
    """Roll each training sequence circularly in time by a random shift.

    An activity recording may start at any phase of the movement, so a
    circular shift in time keeps its label.
    ``fit_transform`` -- what a Pipeline calls on training data -- rolls
    each sequence by a random shift of magnitude in ``[min_shift, max_shift]``
    (either direction); ``transform`` -- prediction and scoring data -- is
    the identity. Inside ``Pipeline``, ``GridSearchCV`` or
    ``cross_val_score`` only the training folds are augmented.

    ``fit_transform`` draws its shifts from a generator seeded by
    ``random_state`` at ``fit``: an int gives the same shifts at every call
    (repeated fits are reproducible), None or a ``RandomState`` new ones.

    Variable-length sequences, padded at the END with rows of NaN (as the
    sequence classifiers take them): each sequence rolls within its own
    steps, by at most its length minus one, and its padding stays at the
    end. Other NaN (a missing value, e.g. a keypoint the pose detector did
    not find) rolls with its timestep. A sequence of NaN only and infinity
    are refused.

    Parameters
    ----------
    min_shift : int, default=0
        Smallest shift magnitude (0 allows the unshifted sequence).
    max_shift : int or None, default=None
        None allows any shift up to ``n_timesteps - 1`` (up to each
        sequence's length minus one for padded sequences).
    random_state : int, RandomState instance or None, default=None
        Seeds the shifts; an int makes ``fit_transform`` reproducible.

    Attributes
    ----------
    n_timesteps_in_ : int
        Timesteps of the sequences seen in ``fit``.
    n_channels_in_ : int
        Channels of the sequences seen in ``fit`` (1 for 2D input).
    n_features_in_ : int
        ``n_timesteps * n_channels``.
    """

    _parameter_constraints: ClassVar[dict] = {
        "min_shift": [non_negative_int()],
        "max_shift": [non_negative_int(), None],
        "random_state": ["random_state"],
    }
    #: set by ``fit``: whether 2D input (returned as 2D) was fitted; None in
    #: instances fitted by an earlier skseq (``get_feature_names_out``)
    _columns_are_timesteps: bool | None = None

    def __init__(
        self,
        min_shift: int = 0,
        max_shift: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.min_shift = min_shift
        self.max_shift = max_shift
        self.random_state = random_state

    def _validate(self, X, reset: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Checked ``X`` and its sequences' lengths (None: no NaN padding)."""
        if reset:
            self._validate_params()
            self._columns_are_timesteps = input_ndim(X) == 2
        X_checked = validate_data(
            self, X, reset=reset, dtype=_FLOAT_DTYPES, allow_nan=True
        )
        return X_checked, _sequence_lengths(X_checked)

    def _shift_range(self, X: np.ndarray, lengths: np.ndarray | None) -> tuple:
        """``(lo, hi, longest)``: shift magnitudes in ``[lo, hi]``, at most
        ``longest[i]`` for sequence ``i`` (None: ``hi`` for all); raises when
        the bounds do not fit the sequences."""
        lo, hi = _shift_bounds(self.min_shift, self.max_shift, X.shape[1])
        return lo, hi, _shift_limits(lo, hi, lengths)

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Record the input shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Training sequences.
        y : ignored
            Not used; present for the Pipeline API.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._shift_range(*self._validate(X, reset=True))
        return self

    @unfitted_on_error
    def fit_transform(
        self, X: ArrayLike, y: object = None, **fit_params: Any
    ) -> np.ndarray | pd.DataFrame:
        """Fit, then return randomly rolled copies of the training sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Training sequences.
        y : ignored
            Not used; present for the Pipeline API.
        **fit_params : dict
            Ignored (scikit-learn's ``fit_transform`` signature).

        Returns
        -------
        X_rolled : ndarray or DataFrame of the input's shape
            Each training sequence rolled in time by its random shift.
            A DataFrame where 2D and ``set_output`` asks for one.
        """
        X, lengths = self._validate(X, reset=True)
        lo, hi, longest = self._shift_range(X, lengths)
        rng = check_random_state(self.random_state)
        shifts = _random_shifts(rng, len(X), lo, hi, longest)
        rolled = _roll_each(X, shifts, lengths)
        return rolled[:, :, 0] if self._columns_are_timesteps else rolled

    def transform(self, X: ArrayLike) -> np.ndarray | pd.DataFrame:
        """Identity (validated): prediction data is never augmented.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Sequences of the shape seen in ``fit``.

        Returns
        -------
        X : ndarray or DataFrame of the input's shape
            ``X``, validated and unchanged. A DataFrame where 2D and ``set_output`` asks for one.
        """
        check_is_fitted(self)
        columns = self._columns_are_timesteps
        fitted = None if columns is None else (2 if columns else 3)
        ndim = check_fitted_rank(X, fitted, self)
        # the identity: no lengths needed (an all-NaN sequence passes through)
        X = validate_data(self, X, reset=False, dtype=_FLOAT_DTYPES, allow_nan=True)
        return X[:, :, 0] if ndim == 2 else X

    def __sklearn_tags__(self):
        tags = with_layout(super().__sklearn_tags__(), "sequences")
        tags.input_tags.allow_nan = True  # padding and missing values roll
        return tags


class RollOversampler(BaseEstimator):
    """Oversample minority classes with rolled, noisy copies (imblearn API).

    A third-placed IMU activity-contest model balanced 61 imbalanced activity classes by adding copies of
    minority-class sequences, each rolled circularly in time by a random
    shift and perturbed with Gaussian noise. :meth:`fit_resample` follows
    imbalanced-learn's sampler API, so the sampler works inside
    ``imblearn.pipeline.Pipeline`` (resampling only training folds) when
    imbalanced-learn is installed; it does not require it.

    NaN-padded variable-length sequences are rolled within their own steps
    (their padding stays at the end and stays NaN), as by
    :class:`RollAugmenter`; the noise scale is each channel's standard
    deviation over the values that are not NaN.

    Parameters
    ----------
    sampling_strategy : {"auto", "not majority", "minority", "all"}, dict or float, default="auto"
        ``"auto"``/``"not majority"``: every class but the majority up to the
        majority count; ``"minority"``: only the smallest class; ``"all"``:
        every class up to the majority count; a dict ``{label: n_samples}``
        gives target counts; a float (binary problems) the desired ratio
        minority / majority.
    noise_std : float, default=0.05
        Noise standard deviation as a fraction of each channel's standard
        deviation over the training data.
    max_shift : int or None, default=None
        Largest roll; None allows any.
    random_state : int, RandomState instance or None, default=None
        Seeds the shifts, the noise and the choice of the copied sequences.

    Attributes
    ----------
    sampling_strategy_ : dict
        ``{label: number of synthetic samples}`` of the last resampling.
    n_timesteps_in_ : int
        Timesteps of the sequences of the last resampling.
    n_channels_in_ : int
        Their channels (1 for 2D input).
    n_features_in_ : int
        ``n_timesteps * n_channels``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X`` with string column names.
    """

    _sampling_type = "over-sampling"
    _parameter_constraints: ClassVar[dict] = {
        "sampling_strategy": [
            StrOptions({"auto", "not majority", "minority", "all"}),
            dict,
            NumberInterval(Real, 0, 1, closed="right"),
        ],
        "noise_std": [NumberInterval(Real, 0, None, closed="left")],
        "max_shift": [non_negative_int(), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        sampling_strategy: str | dict[Any, int] | float = "auto",
        noise_std: float = 0.05,
        max_shift: int | None = None,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.sampling_strategy = sampling_strategy
        self.noise_std = noise_std
        self.max_shift = max_shift
        self.random_state = random_state

    def _targets(self, labels: np.ndarray, counts: np.ndarray) -> dict:
        strategy = self.sampling_strategy
        majority = counts.max()
        if isinstance(strategy, dict):
            unknown = set(strategy) - set(labels.tolist())
            if unknown:
                raise ValueError(
                    f"sampling_strategy has labels not in y: {sorted(unknown)}."
                )
            out: dict[Any, int] = {}
            for label, target in strategy.items():
                current = counts[labels.tolist().index(label)]
                if not isinstance(target, numbers.Integral) or isinstance(target, bool):
                    raise TypeError(
                        f"sampling_strategy[{label!r}] must be the number of "
                        f"samples wanted (an int); got {target!r}."
                    )
                if target < current:
                    raise ValueError(
                        f"sampling_strategy asks {target} samples of {label!r}, fewer "
                        f"than the {current} present; an oversampler only adds."
                    )
                out[label] = int(target - current)
            return out
        if isinstance(strategy, numbers.Real) and not isinstance(strategy, bool):
            if len(labels) != 2 or not 0 < strategy <= 1:
                raise ValueError(
                    "A float sampling_strategy (minority/majority ratio in (0, 1]) "
                    "needs a binary problem."
                )
            minority = int(np.argmin(counts))
            target = int(np.ceil(strategy * majority))
            return {labels[minority]: max(target - counts[minority], 0)}
        if strategy in ("auto", "not majority", "all"):
            return {
                label: int(majority - count)
                for label, count in zip(labels, counts)
                if strategy == "all" or count < majority
            }
        if strategy == "minority":
            i = int(np.argmin(counts))
            return {labels[i]: int(majority - counts[i])}
        raise ValueError(
            "sampling_strategy must be 'auto', 'not majority', 'minority', 'all', a "
            f"dict or a float; got {strategy!r}."
        )

    def __sklearn_tags__(self):
        tags = with_layout(super().__sklearn_tags__(), "sequences")
        tags.input_tags.allow_nan = True  # padded sequences roll within their steps
        return tags

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Validate the data and compute ``sampling_strategy_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Training sequences; 2D input is univariate sequences.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted resampler.
        """
        self.fit_resample(X, y)
        return self

    @unfitted_on_error
    def fit_resample(
        self, X: ArrayLike, y: ArrayLike
    ) -> tuple[np.ndarray | pd.DataFrame, np.ndarray | pd.Series]:
        """Return the data with synthetic minority sequences appended.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Training sequences; 2D input is univariate sequences.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : ndarray or DataFrame of shape (n_samples + n_new, n_timesteps, n_channels) or (n_samples + n_new, n_timesteps)
            The originals first, then the synthetic samples; 2D for 2D
            input, a DataFrame with ``X``'s columns for a DataFrame ``X``
            (index reset, as imbalanced-learn does).
        y_resampled : ndarray or Series of shape (n_samples + n_new,)
            Labels of the original and the synthetic sequences; a Series with
            ``y``'s name for a Series ``y``.
        """
        self._validate_params()
        ndim = input_ndim(X)
        X_given, y_given = X, y
        X = validate_data(self, X, reset=True, dtype=_FLOAT_DTYPES, allow_nan=True)
        lengths = _sequence_lengths(X)
        if y is None:
            raise ValueError("RollOversampler requires y to be passed (class labels).")
        y = check_class_labels(y)
        check_same_length(X, y, names=("X", "y"))
        check_classification_targets(y)
        lo, hi = _shift_bounds(0, self.max_shift, X.shape[1])
        labels, counts = np.unique(y, return_counts=True)
        self.sampling_strategy_ = self._targets(labels, counts)
        rng = check_random_state(self.random_state)
        channel_std = np.nanstd(X, axis=(0, 1), keepdims=True)
        new_X, new_y = [X], [y]
        for label, n_new in self.sampling_strategy_.items():
            if n_new <= 0:
                continue
            members = np.flatnonzero(y == label)
            picks = members[rng.randint(0, len(members), size=n_new)]
            picked_lengths = None if lengths is None else lengths[picks]
            limits = _shift_limits(lo, hi, picked_lengths)
            shifts = _random_shifts(rng, n_new, lo, hi, limits)
            copies = _roll_each(X[picks], shifts, picked_lengths)
            noise = rng.normal(size=copies.shape) * self.noise_std * channel_std
            new_X.append((copies + noise).astype(X.dtype))
            new_y.append(np.full(n_new, label, dtype=y.dtype))
        X_res, y_res = np.concatenate(new_X), np.concatenate(new_y)
        return _as_given(
            X_res[:, :, 0] if ndim == 2 else X_res, y_res, X_given, y_given
        )


def _as_given(
    X_res: np.ndarray, y_res: np.ndarray, X_given: Any, y_given: Any
) -> tuple[np.ndarray | pd.DataFrame, np.ndarray | pd.Series]:
    """Resampled data in the containers given, as imbalanced-learn returns it.

    A DataFrame ``X`` (2D: one univariate sequence per row) comes back as a
    DataFrame with its columns, a Series ``y`` as a Series with its name; the
    index is a new ``RangeIndex`` (the synthetic rows have no label of their
    own).
    """
    import pandas as pd

    if isinstance(X_given, pd.DataFrame) and X_res.ndim == 2:
        X_res = pd.DataFrame(X_res, columns=X_given.columns)
    if isinstance(y_given, pd.Series):
        y_res = pd.Series(y_res, name=y_given.name)
    return X_res, y_res
