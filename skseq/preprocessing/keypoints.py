"""Normalisation of 2D pose-keypoint sequences."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions

from skseq.base import (
    ArrayOutputMixin,
    ChannelNamesOutMixin,
    Rule,
    non_negative_int,
    unfitted_on_error,
    validate_data,
    with_layout,
)
from skseq.utils._nan import nan_reduce
from skseq.utils.validation import check_sequences, input_ndim

if TYPE_CHECKING:  # annotations only
    import pandas as pd
    from numpy.typing import ArrayLike
    from typing_extensions import Self

__all__ = ["KeypointNormalizer"]

#: left/right joint pairs of skseq.datasets' 15-joint skeleton
DEFAULT_FLIP_PAIRS = ((2, 5), (3, 6), (4, 7), (9, 12), (10, 13), (11, 14))


def _is_pair(value) -> bool:
    return (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(
            # typeshed's numbers.Integral declares only < and <=
            isinstance(j, Integral) and not isinstance(j, bool) and j >= 0  # type: ignore[operator]
            for j in value
        )
    )


_JOINT_PAIR = Rule(_is_pair, "a pair (int, int) of joint indices")


def _rms_spread(P: np.ndarray) -> np.ndarray:
    """Median over frames of the RMS distance of the visible joints from the
    centre: ``(n,)`` for centred joints ``P`` of shape ``(n, T, K, 2)``."""
    radius = np.sqrt(nan_reduce(np.nanmean, (P**2).sum(axis=-1), axis=2))
    return nan_reduce(np.nanmedian, radius, axis=1)


class KeypointNormalizer(
    ArrayOutputMixin, ChannelNamesOutMixin, TransformerMixin, BaseEstimator
):
    """Centre, scale and optionally mirror pose-keypoint sequences.

    Input rows are ``[x0, y0, x1, y1, ...]`` for ``K`` joints: sequences
    ``(n_samples, n_timesteps, 2 * K)``, or ``(n_samples, 2 * K)`` for one
    frame per sample (returned 2D). Every frame is
    centred on the root joint (or, if the root is missing in that frame, on
    the mean of the frame's visible joints), and every sequence is divided by
    the median over frames of the reference length (e.g. neck to mid-hip),
    so subjects of different size and position look alike.

    Missing joints are explicit: with ``missing="nan"`` a joint is missing
    when either coordinate is NaN; with ``missing="zero"`` (the convention of
    many pose detectors) when both are exactly 0. Missing joints are left out
    of every statistic and come back missing (NaN, or (0, 0)). With
    ``missing="zero"`` the visible root joint is centred at (0, 0) too, the
    missing marker: the output is not meant to be normalised again (a
    second pass would take the root for missing).
    :class:`~skseq.KeypointLSTMClassifier` takes the NaN ones as they are
    (filled with the channel mean after its input scaling).

    With ``flip=True``, ``fit_transform`` (training data only) mirrors each
    sequence with probability 1/2 horizontally and swaps left/right joints;
    ``transform`` never flips.

    Parameters
    ----------
    root_joint : int or None, default=8
        Index of the centring joint (8 = mid-hip in
        :func:`skseq.datasets.make_keypoint_actions`); None centres on the
        mean of visible joints.
    reference : tuple of two int or None, default=(1, 8)
        Joints whose distance is the unit length (neck, mid-hip = torso); None
        uses the RMS distance of visible joints from the centre, as does a
        sequence in which the reference joints are never both visible (or
        coincide). A sequence without any spread (one visible joint) is
        left unscaled.
    flip : bool, default=False
        In ``fit_transform`` only: mirror each sequence with probability 1/2
        horizontally and swap the ``flip_pairs`` joints.
    flip_pairs : tuple of (int, int), default=((2, 5), (3, 6), (4, 7), (9, 12), (10, 13), (11, 14))
        Joint index pairs swapped by a flip. The default pairs the right and
        left shoulders, elbows, wrists, hips, knees and ankles of
        :data:`skseq.datasets.JOINTS`.
    missing : {"nan", "zero"}, default="nan"
        How the input marks a missing joint: NaN coordinates, or both
        coordinates exactly 0 (many pose detectors); it is returned the same way.
    random_state : int, RandomState instance or None, default=None
        Seeds which sequences ``flip`` mirrors.

    Attributes
    ----------
    n_joints_ : int
        Joints ``K`` per frame.
    input_ndim_ : int
        Rank of the input seen in ``fit``: 3 for sequences, 2 for single
        frames ``(n_samples, 2 * n_joints)``.
    n_timesteps_in_ : int
        Frames per sequence seen in ``fit`` (1 for 2D input).
    n_channels_in_ : int
        Values per frame, ``2 * K``.
    n_features_in_ : int
        ``n_timesteps * 2 * K``.
    """

    _parameter_constraints: ClassVar[dict] = {
        "root_joint": [non_negative_int(), None],
        "reference": [_JOINT_PAIR, None],
        "flip": ["boolean"],
        "flip_pairs": [
            Rule(
                lambda v: (
                    isinstance(v, tuple | list)
                    and all(map(_is_pair, v))
                    # a mirror swaps each joint with one other joint
                    and len({int(j) for pair in v for j in pair}) == 2 * len(v)
                ),
                "a tuple of (int, int) pairs of distinct joints, each joint in "
                "one pair at most",
            )
        ],
        "missing": [StrOptions({"nan", "zero"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        root_joint: int | None = 8,
        reference: tuple[int, int] | None = (1, 8),
        flip: bool = False,
        flip_pairs: tuple[tuple[int, int], ...] = DEFAULT_FLIP_PAIRS,
        missing: str = "nan",
        random_state: int | np.random.RandomState | None = None,
    ):
        self.root_joint = root_joint
        self.reference = reference
        self.flip = flip
        self.flip_pairs = flip_pairs
        self.missing = missing
        self.random_state = random_state

    def _validate(self, X, reset: bool) -> tuple[np.ndarray, int | None]:
        if reset:
            self._validate_params()
        ndim = input_ndim(X)
        if ndim is not None and ndim not in (2, 3):
            hint = (
                " For (n_samples, n_timesteps, n_joints, 2) arrays, pass "
                "X.reshape(n_samples, n_timesteps, -1)."
                if ndim == 4
                else ""
            )
            raise ValueError(
                "X must be keypoint sequences (n_samples, n_timesteps, 2 * "
                "n_joints) or single frames (n_samples, 2 * n_joints), (x, y) per "
                f"joint; got {ndim}D with shape {np.shape(X)}.{hint}"
            )
        allow_nan = self.missing == "nan"
        frames = check_sequences(X, allow_nan=True, dtype=[np.float64, np.float32])
        if not allow_nan and np.isnan(frames).any():
            raise ValueError(
                "X contains NaN, but missing='zero' marks a missing joint with "
                "(0, 0); use missing='nan' for joints (and padding) marked NaN."
            )
        if ndim == 2:  # one frame per sample: (n, 2K) -> (n, 1, 2K)
            frames = frames.transpose(0, 2, 1)
        X = validate_data(
            self, frames, reset=reset, allow_nan=allow_nan, dtype=None, original=X
        )
        if X.shape[2] % 2:
            raise ValueError(
                f"X must have 2 * n_joints features per frame ([x0, y0, x1, y1, ...]); "
                f"got {X.shape[2]}."
            )
        n_joints = X.shape[2] // 2
        if reset:
            used = [
                j for j in (self.root_joint, *(self.reference or ())) if j is not None
            ]
            used += [j for pair in (self.flip_pairs if self.flip else ()) for j in pair]
            if any(not 0 <= j < n_joints for j in used):
                raise ValueError(
                    f"Joint indices {used} must be in [0, {n_joints}) for {n_joints} joints."
                )
            self.n_joints_ = n_joints
            self.input_ndim_ = ndim
        return X, ndim

    def _normalize(self, X: np.ndarray) -> np.ndarray:
        n, T, _ = X.shape
        P = X.reshape(n, T, -1, 2).astype(np.float64)
        if self.missing == "nan":
            missing = np.isnan(P).any(axis=-1)
        else:
            missing = (P == 0).all(axis=-1)
        # numpy's stubs type .any/.all(axis=...) as np.bool | ndarray; P is 4D
        P = np.where(missing[..., None], np.nan, P)  # type: ignore[index]
        with np.errstate(invalid="ignore"):
            # frames without any visible joint: NaN
            frame_mean = nan_reduce(np.nanmean, P, axis=2, keepdims=True)
            if self.root_joint is None:
                centre = frame_mean
            else:
                root = P[:, :, self.root_joint : self.root_joint + 1]
                centre = np.where(np.isnan(root), frame_mean, root)
            P = P - centre
            if self.reference is not None:
                a, b = self.reference
                length = np.linalg.norm(P[:, :, a] - P[:, :, b], axis=-1)  # (n, T)
                scale = nan_reduce(np.nanmedian, length, axis=1)  # (n,)
                # a reference joint never visible in a sequence (or the two
                # coinciding): that sequence's RMS spread, not its raw units
                usable = np.isfinite(scale) & (scale > 0)
                if not usable.all():
                    scale = np.where(usable, scale, _rms_spread(P))
            else:
                scale = _rms_spread(P)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        P = P / scale[:, None, None, None]
        return P

    def _output(self, P: np.ndarray, dtype, ndim) -> np.ndarray:
        missing = np.isnan(P).any(axis=-1, keepdims=True)
        fill = np.nan if self.missing == "nan" else 0.0
        P = np.where(missing, fill, P)
        out = P.reshape(P.shape[0], P.shape[1], -1).astype(dtype)
        return out[:, 0] if ndim == 2 else out

    def _make_test_data(self, n_samples: int = 12, random_state: int = 0):
        """Keypoint-shaped data for skseq's estimator checks: (n, 5, 30)."""
        rng = np.random.default_rng(random_state)
        return rng.normal(size=(n_samples, 5, 30)), None

    def __sklearn_tags__(self):
        tags = with_layout(super().__sklearn_tags__(), "sequences")
        tags.input_tags.allow_nan = self.missing == "nan"
        return tags

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Check joint indices against the input.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, 2 * n_joints) or (n_samples, 2 * n_joints)
            Training sequences, or one frame per sample (2D).
        y : ignored
            Not used; present for the Pipeline API.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate(X, reset=True)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray | pd.DataFrame:
        """Centre and scale (never flips).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, 2 * n_joints) or (n_samples, 2 * n_joints)
            Keypoint sequences (or single frames, 2D) with as many frames
            and joints as in ``fit``.

        Returns
        -------
        X_norm : ndarray or DataFrame of the shape of ``X``
            Centred and scaled keypoints (``fit_transform`` with
            ``flip=True``: each sequence mirrored with probability 1/2).
            A DataFrame where 2D and ``set_output`` asks for one.
        """
        X, ndim = self._validate(X, reset=False)
        return self._output(self._normalize(X), X.dtype, ndim)

    @unfitted_on_error
    def fit_transform(
        self, X: ArrayLike, y: object = None, **fit_params: Any
    ) -> np.ndarray | pd.DataFrame:
        """Fit, normalise and, with ``flip=True``, mirror each sequence at random.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, 2 * n_joints) or (n_samples, 2 * n_joints)
            Training keypoint sequences, ``(x, y)`` per joint, or one frame
            per sample (2D).
        y : ignored
            Not used; present for the Pipeline API.
        **fit_params : dict
            Ignored (scikit-learn's ``fit_transform`` signature).

        Returns
        -------
        X_norm : ndarray or DataFrame of the shape of ``X``
            Centred and scaled keypoints, in the input's missing-value
            convention. A DataFrame where 2D and ``set_output`` asks for one.
        """
        X, ndim = self._validate(X, reset=True)
        P = self._normalize(X)
        if self.flip:
            rng = check_random_state(self.random_state)
            chosen = rng.rand(len(P)) < 0.5
            flipped = P[chosen].copy()
            flipped[..., 0] *= -1
            for a, b in self.flip_pairs:
                flipped[:, :, [a, b]] = flipped[:, :, [b, a]]
            P[chosen] = flipped
        return self._output(P, X.dtype, ndim)
