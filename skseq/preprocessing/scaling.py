"""Log transform of rain rates (RainNet's ``log(x + 0.01)``)."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skseq.base import (
    ArrayOutputMixin,
    ChannelNamesOutMixin,
    NumberInterval,
    unfitted_on_error,
    validate_data,
    with_layout,
)
from skseq.utils.validation import as_array_input, given_dtype

if TYPE_CHECKING:  # annotations only
    import pandas as pd
    from numpy.typing import ArrayLike
    from typing_extensions import Self

__all__ = ["LogTransformer"]


class LogTransformer(
    ArrayOutputMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """``log(x + offset)`` with its inverse ``max(exp(z) - offset, 0)``.

    Rain-rate fields are heavy-tailed and mostly zero; RainNet trains on
    ``log(R + 0.01)``. Works on arrays of two axes or more (tables,
    sequences, frames) and keeps float64 input in float64 (float32
    otherwise). The round trip gives the input back up to rounding: within
    about ``(1 + |log(x + offset)|) * (x + offset) * eps``, since ``exp``
    multiplies the rounding of the logarithm by ``x + offset`` (measured
    maxima: 4e-5 for values near 100 and 6e-2 near 1e5 in float32; 4e-14
    and 9e-11 in float64), so relatively less exact for values far below
    ``offset``; the inverse is clipped at 0, where the input lies.

    Parameters
    ----------
    offset : float, default=0.01
        Added before the logarithm; must be > 0.

    Attributes
    ----------
    n_features_in_ : int
        ``X.shape[1]`` for 2D input, else the product of the non-sample axes.
    n_channels_in_ : int
        Channels of 3D input (sequences ``(n_samples, n_timesteps,
        n_channels)``); set only by a fit on 3D input.
    """

    _parameter_constraints: ClassVar[dict] = {
        "offset": [NumberInterval(Real, 0, None, closed="neither")],
    }
    #: read by ChannelNamesOutMixin's naming of 3D input: names per channel
    _columns_are_timesteps = False

    def __init__(self, offset: float = 0.01):
        self.offset = offset

    def _make_test_data(self, n_samples: int = 12, random_state: int = 0):
        """Non-negative sequences for skseq's estimator checks."""
        rng = np.random.default_rng(random_state)
        return rng.gamma(0.5, 2.0, size=(n_samples, 16, 3)), None

    def __sklearn_tags__(self):
        tags = with_layout(super().__sklearn_tags__(), "any")
        tags.input_tags.positive_only = True
        return tags

    def _validate(self, X, reset: bool, check_names: bool = True) -> np.ndarray:
        if reset:
            self._validate_params()
        # DataFrames, tensors: their values' dtype; lists: numpy's reading
        # (Python floats: float64); ragged input is refused by the validation
        given = given_dtype(as_array_input(X))
        float64 = given is not None and given.kind == "f" and given.itemsize == 8
        dtype = np.float64 if float64 else np.float32
        # X itself, so that a DataFrame's column names are recorded
        X = validate_data(
            self,
            X,
            reset=reset,
            layout="any",
            dtype=dtype,
            check_feature_names=check_names,
        )
        if reset:
            self._sample_shape = X.shape[1:]
            return X
        # as many values in another shape (2D vs 3D, axes swapped) would be
        # transformed elementwise but named as the fitted shape's features
        fitted = getattr(self, "_sample_shape", None)  # None: an older skseq's fit
        if fitted is not None and X.shape[1:] != fitted:
            raise ValueError(
                f"X has samples of shape {X.shape[1:]}, but LogTransformer was "
                f"fitted on samples of shape {fitted}: give X in the shape seen in fit."
            )
        return X

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Validate ``X`` (nothing is learned).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Non-negative data of any shape (e.g. rain rates).
        y : ignored
            Not used; present for the Pipeline API.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        X = self._validate(X, reset=True)
        self._check_non_negative(X)
        self.__dict__.pop("n_channels_in_", None)  # an earlier fit's, on 3D input
        if X.ndim == 3:  # sequences: named per channel, as by the other steps
            self.n_channels_in_ = X.shape[2]
        return self

    def get_feature_names_out(
        self, input_features: ArrayLike | None = None
    ) -> np.ndarray:
        """Get the output's feature names: the input's.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input's names: after a fit on sequences ``(n_samples,
            n_timesteps, n_channels)`` one per channel (as
            :class:`~skseq.preprocessing.DerivativeIntegralFeatures` and
            the other sequence steps name them; default ``ch0``, ``ch1``,
            ...), else one per feature (scikit-learn's ``x0``, ``x1``, ...).

        Returns
        -------
        feature_names_out : ndarray of str objects
            The same names.
        """
        check_is_fitted(self, "n_features_in_")
        if hasattr(self, "n_channels_in_"):
            return ChannelNamesOutMixin.get_feature_names_out(self, input_features)
        return super().get_feature_names_out(input_features)

    def _check_non_negative(self, X):
        minimum = float(X.min())
        if minimum < 0:
            raise ValueError(
                f"Negative values in data passed to LogTransformer: it needs values "
                f">= 0 (rain rates); X has minimum {minimum:g}."
            )

    def transform(self, X: ArrayLike) -> np.ndarray | pd.DataFrame:
        """``log(X + offset)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), values >= 0
            Non-negative data of the shape seen in ``fit``.

        Returns
        -------
        Z : ndarray or DataFrame of the same shape
            ``log(X + offset)``. A DataFrame where 2D and ``set_output`` asks for one.
        """
        X = self._validate(X, reset=False)
        self._check_non_negative(X)
        return np.log(X + X.dtype.type(self.offset))

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """``max(exp(Z) - offset, 0)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Log-transformed data.

        Returns
        -------
        X_original : ndarray of the same shape
            ``exp(Z) - offset`` in the input's units, clipped at 0 (the
            transform's input is >= 0; rounding, or a model's output below
            ``log(offset)``, would otherwise give small negative values).
        """
        # a model's output in log units: no feature names to check
        Z = self._validate(X, reset=False, check_names=False)
        return np.maximum(np.exp(Z) - Z.dtype.type(self.offset), 0)
