"""Derivative and integral channels of sequences (6 IMU channels -> 18)."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from scipy.integrate import cumulative_trapezoid
from scipy.signal import detrend
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skseq.base import (
    ArrayOutputMixin,
    NumberInterval,
    positive_int_sequence,
    unfitted_on_error,
    validate_data,
    with_layout,
)
from skseq.utils.validation import check_fitted_rank, input_ndim, valid_lengths

if TYPE_CHECKING:  # annotations only
    import pandas as pd
    from numpy.typing import ArrayLike
    from typing_extensions import Self

__all__ = ["DerivativeIntegralFeatures"]

_FLOAT_DTYPES = [np.float64, np.float32]


class DerivativeIntegralFeatures(ArrayOutputMixin, TransformerMixin, BaseEstimator):
    """Append time derivatives and cumulative integrals of every channel.

    The seed-004 activity model fed the network the 6 IMU channels, their
    first derivative (jerk, angular acceleration) and their integral
    (velocity, angle): 6 -> 18 channels, which helped. Derivatives use
    :func:`numpy.gradient` (second-order central differences, one-sided at
    the ends); integrals use :func:`scipy.integrate.cumulative_trapezoid`
    starting at 0. An order ``k`` applies the operation ``k`` times.

    Integrating a signal with a small constant bias (sensor offset, gravity
    residue) makes a drift that grows linearly (twice: quadratically) with
    time and swamps the signal. With ``detrend_integrals=True`` each
    integrated channel has its per-sequence linear trend removed
    (:func:`scipy.signal.detrend`) after every integration.

    Variable-length sequences: pad shorter sequences at the END with rows of
    NaN, as the sequence classifiers take them. Each sequence's blocks are
    computed on its valid steps only (derivatives, integrals and trends end
    where it ends) and its padding rows stay NaN in every output channel, so
    the output goes on to a classifier as padded as it came in. NaN anywhere
    else is an error.

    Parameters
    ----------
    derivative_orders : tuple of int, default=(1,)
        Derivative orders to append (e.g. ``(1, 2)``).
    integral_orders : tuple of int, default=(1,)
        Integral orders to append (e.g. ``(1, 2)``).
    dt : float, default=1.0
        Sampling interval (derivatives divide by it, integrals multiply).
    keep_original : bool, default=True
        Keep the input channels first in the output.
    detrend_integrals : bool, default=True
        Remove the linear trend of every integral channel after each
        integration, so a small offset does not grow into a ramp.

    Attributes
    ----------
    n_timesteps_in_ : int
        Timesteps of the sequences seen in ``fit``.
    n_channels_in_ : int
        Channels of the sequences seen in ``fit`` (1 for 2D input).
    n_features_in_ : int
        ``n_timesteps * n_channels`` seen in ``fit`` (``X.shape[1]`` for 2D).
    input_ndim_ : int
        2 or 3; 2D input ``(n, T)`` (one channel) gives 2D output
        ``(n, T * n_blocks)`` with the blocks side by side.

    Examples
    --------
    >>> import numpy as np
    >>> from skseq.preprocessing import DerivativeIntegralFeatures
    >>> X = np.random.default_rng(0).normal(size=(2, 100, 6))
    >>> DerivativeIntegralFeatures().fit_transform(X).shape
    (2, 100, 18)
    """

    _parameter_constraints: ClassVar[dict] = {
        "derivative_orders": [
            positive_int_sequence("a tuple of int >= 1", allow_empty=True)
        ],
        "integral_orders": [
            positive_int_sequence("a tuple of int >= 1", allow_empty=True)
        ],
        "dt": [NumberInterval(Real, 0, None, closed="neither")],
        "keep_original": ["boolean"],
        "detrend_integrals": ["boolean"],
    }

    def __init__(
        self,
        derivative_orders: tuple[int, ...] = (1,),
        integral_orders: tuple[int, ...] = (1,),
        dt: float = 1.0,
        keep_original: bool = True,
        detrend_integrals: bool = True,
    ):
        self.derivative_orders = derivative_orders
        self.integral_orders = integral_orders
        self.dt = dt
        self.keep_original = keep_original
        self.detrend_integrals = detrend_integrals

    def _check_params(self) -> None:
        self._validate_params()
        # len(): the orders may be numpy arrays, whose truth value is ambiguous
        if not (
            self.keep_original
            or len(self.derivative_orders)
            or len(self.integral_orders)
        ):
            raise ValueError("Nothing to output: keep_original=False and no orders.")
        for name in ("derivative_orders", "integral_orders"):
            orders = [int(k) for k in getattr(self, name)]
            if len(set(orders)) < len(orders):
                raise ValueError(
                    f"{name} names an order twice ({orders}): its channels would "
                    "repeat, under the same feature names."
                )

    def _min_timesteps(self) -> int:
        return 2 if len(self.derivative_orders) else 1

    def __sklearn_tags__(self):
        return with_layout(super().__sklearn_tags__(), "sequences")

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Check parameters and record the input shape.

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
        self._check_params()
        ndim = input_ndim(X)
        X = validate_data(
            self,
            X,
            reset=True,
            min_length=self._min_timesteps(),
            dtype=_FLOAT_DTYPES,
            allow_nan=True,
        )
        self._valid_lengths(X)
        self.input_ndim_ = 2 if ndim == 2 else 3
        return self

    def _valid_lengths(self, X: np.ndarray) -> np.ndarray | None:
        """Steps before each sequence's trailing NaN rows (None: no padding).

        Raises for NaN that is not padding and for sequences too short for
        the derivatives.
        """
        nan = np.isnan(X)
        if not nan.any():
            return None
        lengths = valid_lengths(X)
        inside = np.arange(X.shape[1])[None, :] < lengths[:, None]
        if (nan & inside[:, :, None]).any():
            raise ValueError(
                "X contains NaN inside a sequence. NaN is accepted only as padding: "
                "whole rows of NaN at the end of a shorter sequence."
            )
        short = lengths < self._min_timesteps()
        if short.any():
            first = int(np.flatnonzero(short)[0])
            if not self.derivative_orders:  # then only all-NaN ones are short
                raise ValueError(
                    f"Sequence {first} is NaN only: no step before its padding."
                )
            raise ValueError(
                f"Sequence {first} has {int(lengths[short][0])} steps before its "
                f"NaN padding; at least {self._min_timesteps()} are needed for the "
                "derivatives."
            )
        return lengths

    def _blocks(self) -> list[tuple[str, int]]:
        blocks = [("", 0)] if self.keep_original else []
        blocks += [("d", k) for k in self.derivative_orders]
        blocks += [("i", k) for k in self.integral_orders]
        return blocks

    def transform(self, X: ArrayLike) -> np.ndarray | pd.DataFrame:
        """Stack the channel blocks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or (n_samples, n_timesteps)
            Sequences of the shape seen in ``fit``.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_timesteps, n_channels * n_blocks)
            Blocks in order: original, derivatives, integrals. For 2D input,
            shape ``(n_samples, n_timesteps * n_blocks)``, a DataFrame if
            ``set_output`` asks for one.
        """
        check_is_fitted(self)
        was_2d = check_fitted_rank(X, getattr(self, "input_ndim_", None), self) == 2
        X = validate_data(self, X, reset=False, dtype=_FLOAT_DTYPES, allow_nan=True)
        lengths = self._valid_lengths(X)
        if lengths is None:
            out = self._stack(X)
        else:  # each length on its valid steps, padding left NaN
            out = [np.full_like(X, np.nan) for _ in range(len(self._blocks()))]
            for length in np.unique(lengths):
                rows = np.flatnonzero(lengths == length)
                for block, part in zip(out, self._stack(X[rows, :length])):
                    block[rows, :length] = part
        if was_2d:
            return np.ascontiguousarray(np.concatenate(out, axis=1)[:, :, 0])
        return np.concatenate(out, axis=2)

    def _stack(self, X: np.ndarray) -> list[np.ndarray]:
        """The blocks of unpadded sequences ``X (n, T, C)``, each ``(n, T, C)``."""
        out = []
        for kind, order in self._blocks():
            # float64 throughout: integrals of an offset grow with the length,
            # and detrending them cancels most of their digits (float32 lost
            # 1 % of a detrended integral at 100 000 steps, 38 % at 1 000 000)
            block = X.astype(np.float64, copy=False)
            for _ in range(order):
                if kind == "d":
                    block = np.gradient(block, self.dt, axis=1)
                else:
                    block = cumulative_trapezoid(block, dx=self.dt, axis=1, initial=0)
                    if self.detrend_integrals and block.shape[1] > 1:
                        block = detrend(block, axis=1, type="linear")
            out.append(block.astype(X.dtype, copy=False))
        return out

    def get_feature_names_out(
        self, input_features: ArrayLike | None = None
    ) -> np.ndarray:
        """Output channel names: ``ch0``, ``d1_ch0``, ``i1_ch0`` ...

        For 2D input each name also carries the timestep (``t3``, ``d1_t3``),
        or the column's name for a DataFrame (``d1_<name>``).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input's channel names (its column names for 2D input), which
            the output's names are made of; None names them as above. Where
            the transformer was fitted on a DataFrame, they must be its
            columns.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output channel (per output column for 2D input).
        """
        check_is_fitted(self)
        n_names = self.n_features_in_ if self.input_ndim_ == 2 else self.n_channels_in_
        fitted_names = getattr(self, "feature_names_in_", None)
        if input_features is not None:
            base = list(np.asarray(input_features, dtype=object).ravel())
            if np.ndim(input_features) != 1 or len(base) != n_names:
                what = "columns" if self.input_ndim_ == 2 else "channels"
                raise ValueError(
                    "input_features should have length equal to the number of "
                    f"{what} ({n_names}) that {type(self).__name__} was fitted "
                    f"on; got {len(base)} names."
                )
            if fitted_names is not None and list(fitted_names) != base:
                raise ValueError(
                    "input_features is not equal to feature_names_in_ (the "
                    "columns of the DataFrame it was fitted on)."
                )
        elif self.input_ndim_ == 2 and fitted_names is not None:
            base = list(fitted_names)  # a DataFrame's columns
        elif self.input_ndim_ == 2:
            base = [f"t{t}" for t in range(n_names)]
        else:
            base = [f"ch{c}" for c in range(n_names)]
        names = []
        for kind, order in self._blocks():
            prefix = f"{kind}{order}_" if kind else ""
            names += [prefix + b for b in base]
        return np.asarray(names, dtype=object)
