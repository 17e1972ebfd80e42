"""Output layout and scoring shared by every frame forecaster (deep or classical)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike


class FrameRegressorMixin:
    """Return predictions in the layout of the fitted ``y``; score with R².

    Expects ``target_ndim_`` (the rank of the ``y`` given to ``fit``: 3 for
    ``(n, H, W)``, 4 for ``(n, T_out, H, W)``, 5 for ``(n, T_out, C, H, W)``).
    """

    target_ndim_: int

    if TYPE_CHECKING:  # provided by the estimator that uses the mixin

        def predict(self, X: ArrayLike) -> np.ndarray: ...

    def _keeps_channel_axis(self, n_channels: int, x_ndim: int | None) -> bool:
        """Whether sequences and ensembles of ``n_channels`` output channels
        keep a channel axis: as the ``y`` given to ``fit`` had one (5D ``y``,
        or several channels), so that they come in ``y``'s layout like
        ``predict`` (5D ``X`` of several input channels, 4D ``y`` of the
        value: 4D frames). Fitted before ``target_ndim_`` was recorded: as
        ``X``, of rank ``x_ndim``."""
        if n_channels > 1:
            return True
        target_ndim = getattr(self, "target_ndim_", None)
        return x_ndim == 5 if target_ndim is None else target_ndim == 5

    def _to_target_layout(self, y: np.ndarray) -> np.ndarray:
        """(n, T_out, C, H, W) -> the layout of the ``y`` seen in ``fit``."""
        if self.target_ndim_ == 5:
            return y
        if self.target_ndim_ == 4:
            return y[:, :, 0]
        return y[:, 0, 0]

    def score(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Coefficient of determination R² over all predicted values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, [C,] H, W)
            Past frames, as many per sample as in ``fit``.
        y : array-like of the shape of the ``y`` used in ``fit``
            Target frames in the layout of the ``y`` given to ``fit``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the score; None weighs them equally.

        Returns
        -------
        score : float
            R² of the flattened frames: every pixel of every lead time is one
            value, so constant pixels do not dominate the score.
        """
        from sklearn.metrics import r2_score

        from skseq.base import check_sample_weight
        from skseq.utils.validation import to_numeric_array

        y_pred = self.predict(X)
        y_true = to_numeric_array(y, name="y")
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"y has shape {y_true.shape} but predictions have shape {y_pred.shape}."
            )
        weights = None
        if sample_weight is not None:
            per_sample = int(np.prod(y_true.shape[1:]))
            weights = np.repeat(
                check_sample_weight(sample_weight, len(y_true)), per_sample
            )
        return float(r2_score(y_true.ravel(), y_pred.ravel(), sample_weight=weights))
