"""Classical baselines with the same fit/predict shapes as skseq's deep models.

Frame forecasters (X ``(n, T_in, [C,] H, W)``, y ``(n, T_out, [C,] H, W)``):

* :class:`PersistenceForecaster` -- repeats the last input frame (Eulerian
  persistence), the reference every nowcast must beat.
* :class:`ExtrapolationNowcaster` -- Lucas-Kanade optical flow and
  semi-Lagrangian advection of the last frame, from **pysteps** (the standard
  classical radar nowcast; needs the ``nowcast`` extra).
* :class:`STEPSNowcaster` -- pysteps' STEPS ensemble nowcast (Bowler et al.
  2006): ``predict_ensemble`` gives calibrated-by-design members, the
  classical reference of probabilistic nowcasting (``nowcast`` extra).
* :class:`SeasonalNaiveForecaster`, :class:`HistoricalAverageForecaster` --
  the same phase one season earlier, or averaged over the past seasons in the
  input window (e.g. the same hour on previous days, for traffic).

Tabular helpers for classical classifiers of sequences ``(n, T, C)``:
:class:`SequenceFlattener`, :class:`SequenceSummarizer` and
:func:`classical_classifiers`.
"""

from __future__ import annotations

import contextlib
import io
import warnings
import zlib
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from typing import TYPE_CHECKING, ClassVar, cast

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import validate_params
from sklearn.utils.validation import check_is_fitted

from skseq.base import (
    FrameInputMixin,
    NumberInterval,
    Rule,
    SequenceInputMixin,
    positive_int,
    unfitted_on_error,
    validate_data,
)
from skseq.utils._docs import fill_doc_marker
from skseq.utils._frames import FrameRegressorMixin
from skseq.utils._optional import import_pysteps
from skseq.utils._seeds import draw_seed, mixed_seed
from skseq.utils._warnings import warn_user
from skseq.utils.validation import (
    check_frame_targets,
    check_positive_int,
    input_ndim,
)

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike
    from typing_extensions import Self

__all__ = [
    "ExtrapolationNowcaster",
    "HistoricalAverageForecaster",
    "PersistenceForecaster",
    "STEPSNowcaster",
    "SeasonalNaiveForecaster",
    "SequenceFlattener",
    "SequenceSummarizer",
    "classical_classifiers",
]


#: The fitted attributes of every frame baseline, written into their
#: docstrings' ``{frame_baseline_attributes}`` line.
_FRAME_ATTRIBUTES_DOC = """\
n_input_frames_ : int
    Input frames per sample seen in ``fit``.
n_output_frames_ : int
    Frames :meth:`predict` forecasts per sample, learned from ``y``.
n_channels_in_ : int
    Channels of the input frames (1 for 4D ``X``).
frame_shape_ : tuple of int
    ``(H, W)`` of the training frames. Prediction accepts frames of any
    ``H x W``.
n_features_in_ : int
    Values per training sample, ``n_input_frames_ * C * H * W``.
target_ndim_ : int
    Rank of the ``y`` given to ``fit`` (3, 4 or 5): :meth:`predict`
    returns frames in its layout.
"""


class _FrameBaseline(
    FrameRegressorMixin,
    FrameInputMixin,
    RegressorMixin,
    BaseEstimator,
    metaclass=ABCMeta,
):
    """Shape bookkeeping shared by the frame baselines.

    ``fit`` learns only shapes (``n_output_frames_`` from ``y``); ``predict``
    returns ``(n, n_output_frames_, ...)`` in the layout of ``y``, for frames
    of any ``H x W`` (nothing learnt depends on the frame size, as for the
    deep frame estimators).
    """

    _parameter_constraints: ClassVar[dict] = {}
    _any_frame_size = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__doc__" in vars(cls) and cls.__doc__ is not None:  # python -OO
            cls.__doc__ = fill_doc_marker(
                cls.__doc__,
                "{frame_baseline_attributes}",
                _FRAME_ATTRIBUTES_DOC.rstrip("\n"),
            )

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Learn the input and output shapes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, [C,] H, W)
            Input frames of the training samples.
        y : array-like of shape (n_samples, n_output_frames, [C,] H, W)
            ``(n_samples, H, W)`` means one output frame.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._check_params()
        X = cast("np.ndarray", self._validate_frames(X, reset=True))
        y_ndim = np.ndim(y)  # before a 3D y becomes one output frame
        y = check_frame_targets(y, X)
        if y.shape[2] != X.shape[2]:
            raise ValueError(
                f"{type(self).__name__} forecasts the input channels; y has "
                f"{y.shape[2]} channels but X has {X.shape[2]}."
            )
        self.n_output_frames_ = y.shape[1]
        self.target_ndim_ = int(y_ndim)
        return self

    @abstractmethod
    def _forecast(self, X: np.ndarray, n_steps: int) -> np.ndarray:
        """Validated ``(n, T_in, C, H, W)`` frames -> ``(n, n_steps, C, H, W)``."""

    def _check_params(self) -> None:
        """Validate the arguments (``_parameter_constraints``; subclasses add)."""
        self._validate_params()

    def _validate_X(self, X) -> tuple[np.ndarray, bool]:
        """Validated frames ``(n, T, C, H, W)`` and whether forecasts keep the
        channel axis (:meth:`_keeps_channel_axis`)."""
        rank = input_ndim(X)
        X = self._validate_frames(X, reset=False)
        return X, self._keeps_channel_axis(X.shape[2], rank)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Forecast ``n_output_frames_`` frames.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, [C,] H, W)
            Past frames, as many per sample as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_output_frames, [C,] H, W)
            In the layout of the ``y`` seen in ``fit``.
        """
        X, _ = self._validate_X(X)
        return self._to_target_layout(self._forecast(X, self.n_output_frames_))

    def predict_sequence(self, X: ArrayLike, n_steps: int) -> np.ndarray:
        """Forecast ``n_steps`` frames, whatever ``y`` had in ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, [C,] H, W)
            Past frames, as many per sample as in ``fit``.
        n_steps : int
            Number of future frames to forecast.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_steps, [C,] H, W)
            In the layout of the ``y`` given to ``fit``, as ``predict``:
            5D where that ``y`` had a channel axis (5D, or several
            channels), 4D otherwise.
        """
        n_steps = check_positive_int(n_steps, "n_steps")
        X, had_channel_axis = self._validate_X(X)
        out = self._forecast(X, n_steps)
        return out if had_channel_axis else out[:, :, 0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


class PersistenceForecaster(_FrameBaseline):
    """Eulerian persistence: every lead time repeats the last input frame.

    Attributes
    ----------
    {frame_baseline_attributes}

    Examples
    --------
    >>> import numpy as np
    >>> from skseq.baselines import PersistenceForecaster
    >>> X = np.arange(24.0).reshape(1, 3, 2, 4)
    >>> PersistenceForecaster().fit(X, X[:, :2]).predict(X)[0, 1, 0]
    array([16., 17., 18., 19.], dtype=float32)
    """

    def __init__(self):
        pass

    def _forecast(self, X: np.ndarray, n_steps: int) -> np.ndarray:
        return np.repeat(X[:, -1:], n_steps, axis=1)


class SeasonalNaiveForecaster(_FrameBaseline):
    """The same phase of the last season: ``y[:, k] = X[:, T_in - season + k % season]``.

    For traffic heatmaps with one frame per hour and ``season_length=24``,
    each forecast hour is the same hour of the previous day.

    Parameters
    ----------
    season_length : int, default=1
        Frames per season; the input window needs at least that many frames.

    Attributes
    ----------
    {frame_baseline_attributes}
    """

    _parameter_constraints: ClassVar[dict] = {"season_length": [positive_int()]}

    def __init__(self, season_length: int = 1):
        self.season_length = season_length

    def _min_input_frames(self) -> int:
        return self.season_length

    def _forecast(self, X, n_steps):
        T = X.shape[1]
        index = [
            T - self.season_length + (k % self.season_length) for k in range(n_steps)
        ]
        return X[:, index]


class HistoricalAverageForecaster(_FrameBaseline):
    """Mean of the past seasons at the same phase, within the input window.

    ``y[:, k]`` is the mean of ``X[:, T_in - j * season + k % season]`` over
    ``j = 1, 2, ...`` (every full season the window holds, or the last
    ``n_seasons``).

    Parameters
    ----------
    season_length : int, default=1
        Period in frames (e.g. 288 five-minute frames for a daily cycle).
    n_seasons : int or None, default=None
        Seasons to average; None uses all in the window.

    Attributes
    ----------
    {frame_baseline_attributes}
    """

    _parameter_constraints: ClassVar[dict] = {
        "season_length": [positive_int()],
        "n_seasons": [positive_int(), None],
    }

    def __init__(self, season_length: int = 1, n_seasons: int | None = None):
        self.season_length = season_length
        self.n_seasons = n_seasons

    def _min_input_frames(self) -> int:
        return self.season_length * (self.n_seasons or 1)

    def _forecast(self, X, n_steps):
        T, s = X.shape[1], self.season_length
        available = T // s
        n = available if self.n_seasons is None else min(self.n_seasons, available)
        frames = []
        for k in range(n_steps):
            phase = T - s + (k % s)
            frames.append(np.mean([X[:, phase - j * s] for j in range(n)], axis=0))
        return np.stack(frames, axis=1)


class ExtrapolationNowcaster(_FrameBaseline):
    """Optical-flow extrapolation nowcast with pysteps.

    The motion field is estimated from the last ``n_frames_for_motion`` input
    frames with pysteps' dense Lucas-Kanade method and the last frame is
    advected along it with pysteps' semi-Lagrangian scheme. This is the
    standard classical radar nowcast (Germann and Zawadzki 2002 [1]_;
    Pulkkinen et al. 2019 [2]_). Needs pysteps and opencv-python-headless, skseq's ``nowcast``
    extra (``pip install -e ".[nowcast]"`` in a checkout, or
    ``pip install pysteps opencv-python-headless``). Single-channel frames only.

    Frames without trackable features (all dry or uniform) get zero motion
    from Lucas-Kanade, i.e. persistence; the other methods' errors are
    raised. Pixels advected in from outside the domain get ``fill_value``.

    Parameters
    ----------
    motion_method : str, default="LK"
        Name for :func:`pysteps.motion.get_method` (``"LK"``, ``"DARTS"``,
        ``"VET"``, ``"proesmans"``). Besides LK's any number, they take
        ``n_frames_for_motion`` of at least 6 (DARTS), 2 or 3 (VET) and
        exactly 2 (proesmans), which ``fit`` checks.
    n_frames_for_motion : int, default=3
        Last input frames used for the motion field (at least 2).
    fill_value : float, default=0.0
        Value of pixels advected from outside the domain (0 = dry).

    Attributes
    ----------
    {frame_baseline_attributes}

    References
    ----------
    .. [1] U. Germann and I. Zawadzki, "Scale-dependence of the
       predictability of precipitation from continental radar images. Part I:
       description of the methodology", Monthly Weather Review 130, 2002.
    .. [2] S. Pulkkinen, D. Nerini, A. A. Pérez Hortal, C. Velasco-Forero,
       A. Seed, U. Germann and L. Foresti, "Pysteps: an open-source Python
       library for probabilistic precipitation nowcasting (v1.0)",
       Geoscientific Model Development 12, 2019.
    """

    _parameter_constraints: ClassVar[dict] = {
        "motion_method": [str],
        "n_frames_for_motion": [NumberInterval(Integral, 2, None, closed="left")],
        "fill_value": [NumberInterval(Real, None, None, closed="neither")],
    }

    def __init__(
        self,
        motion_method: str = "LK",
        n_frames_for_motion: int = 3,
        fill_value: float = 0.0,
    ):
        self.motion_method = motion_method
        self.n_frames_for_motion = n_frames_for_motion
        self.fill_value = fill_value

    def _check_params(self):
        super()._check_params()
        motion, _ = _import_pysteps(type(self).__name__)
        try:
            motion.get_method(self.motion_method)
        except ValueError as exc:
            raise ValueError(
                f"motion_method={self.motion_method!r} is not a motion method of "
                f"pysteps.motion.get_method: {exc}"
            ) from exc
        low, high = _MOTION_FRAMES.get(self.motion_method.lower(), (2, None))
        n = self.n_frames_for_motion
        if n < low or (high is not None and n > high):
            frames = (
                f"at least {low}"
                if high is None
                else (f"exactly {low}" if low == high else f"{low} to {high}")
            )
            raise ValueError(
                f"motion_method={self.motion_method!r} estimates the motion from "
                f"{frames} frames (pysteps); got n_frames_for_motion={n}."
            )

    def _min_input_frames(self) -> int:
        return self.n_frames_for_motion

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Learn the input and output shapes (single-channel frames only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, 1, H, W)
            Input frames of the training samples.
        y : array-like of shape (n_samples, n_output_frames, H, W) or (n_samples, n_output_frames, 1, H, W)
            ``(n_samples, H, W)`` means one output frame.

        Returns
        -------
        self : object
            The fitted nowcaster.
        """
        super().fit(X, y)
        if self.n_channels_in_ != 1:
            raise ValueError(
                f"{type(self).__name__} needs single-channel frames; got "
                f"{self.n_channels_in_} channels."
            )
        self._finish_fit()
        return self

    def _finish_fit(self) -> None:
        """What a subclass learns after the shapes (nothing here)."""

    def _forecast(self, X, n_steps):
        motion, extrapolation = _import_pysteps(type(self).__name__)
        estimate_motion = motion.get_method(self.motion_method)
        advect = extrapolation.get_method("semilagrangian")
        out = np.empty((len(X), n_steps, *X.shape[2:]), dtype=np.float32)
        for i, sample in enumerate(X[:, -self.n_frames_for_motion :, 0]):
            fields = sample.astype(np.float64)
            velocity = self._motion_field(estimate_motion, fields)
            forecast = advect(fields[-1], velocity, n_steps, outval=self.fill_value)
            out[i, :, 0] = np.nan_to_num(forecast, nan=self.fill_value)
        return out

    def _motion_field(self, estimate_motion, fields: np.ndarray) -> np.ndarray:
        zero = np.zeros((2, *fields.shape[1:]))
        if np.ptp(fields) == 0:
            return zero
        if self.motion_method.lower() not in ("lk", "lucaskanade"):
            # only Lucas-Kanade fails for want of features; other methods'
            # errors are the user's to see, not a silent persistence
            try:
                velocity = estimate_motion(fields, verbose=False)
            except (ValueError, IndexError) as exc:
                raise ValueError(
                    f"pysteps' {self.motion_method!r} motion estimation failed on "
                    f"frames of {fields.shape[1]}x{fields.shape[2]} pixels "
                    f"({type(exc).__name__}: {exc}); motion_method='LK' works on "
                    "any domain."
                ) from exc
            return np.nan_to_num(np.asarray(velocity, dtype=np.float64))
        try:
            with (
                warnings.catch_warnings(),
                np.errstate(divide="ignore", invalid="ignore"),
            ):
                # pysteps warns when the few features of a near-empty field
                # cannot be screened for outliers (a singular covariance, too
                # few degrees of freedom); the motion field is still returned
                warnings.filterwarnings(
                    "ignore", "Singular matrix during outlier", UserWarning
                )
                warnings.filterwarnings("ignore", "Degrees of freedom", RuntimeWarning)
                velocity = estimate_motion(fields, verbose=False)
        except (ValueError, IndexError):  # too few trackable features
            return zero
        return np.nan_to_num(np.asarray(velocity, dtype=np.float64))


#: Frames that pysteps' motion methods take (fewest, most; None: any more),
#: by lower-case name; the others take any number from 2.
_MOTION_FRAMES = {"darts": (6, None), "vet": (2, 3), "proesmans": (2, 2)}

#: Fewest rainy pixels in a frame for STEPS to estimate its statistics.
_MIN_WET_PIXELS = 10


class STEPSNowcaster(ExtrapolationNowcaster):
    """STEPS ensemble nowcast with pysteps (Bowler et al. 2006 [1]_).

    pysteps' ``nowcasts.steps.forecast`` on the last ``ar_order + 1`` input
    frames in dB units (``10 log10 R``, rain below ``precip_threshold`` set to
    ``zerovalue`` dB): the field is decomposed into ``n_cascade_levels``
    spatial scales, each advected along the motion field (estimated from the
    last ``n_frames_for_motion`` frames with pysteps' ``motion_method``) and
    evolved by its own AR(2) model, with stochastic perturbations from a
    non-parametric noise generator that has the observed field's power
    spectrum, perturbed motion (``vel_pert_method="bps"``), an incremental
    rain mask and CDF matching to the last observed field (pysteps'
    defaults). The members come back in mm/h. Needs pysteps and OpenCV
    (skseq's ``nowcast`` extra). Single-channel frames only.

    Samples without rain in the last frame (fewer than 10 rainy pixels) get
    dry members. Samples whose rain STEPS cannot model (fewer than 10 rainy
    pixels in one of the last three frames, or a cascade level without
    variance, for which pysteps raises an error) get members that all equal
    the extrapolation of the last frame along the motion field, with a
    warning.

    Parameters
    ----------
    n_members : int, default=20
        Members whose mean :meth:`predict` returns (:meth:`predict_ensemble`
        takes its own ``n_members``, as the deep nowcasters' does).
    n_cascade_levels : int, default=6
        Spatial scales of the cascade decomposition (pysteps' default; at
        least 3, pysteps' Gaussian bandpass filters need them).
    precip_threshold : float, default=0.1
        Smallest rain rate (mm/h) taken as rain.
    zerovalue : float, default=-15.0
        The dB value of dry pixels (below ``10 log10(precip_threshold)``).
    kmperpixel : float, default=1.0
        Pixel size in km (for the motion perturbations and the mask).
    timestep : float, default=5.0
        Minutes between frames.
    motion_method : str, default="LK"
        Name for :func:`pysteps.motion.get_method`, of a method that takes
        three frames or more (not ``"proesmans"``, which takes two).
    n_frames_for_motion : int, default=3
        Last input frames used for the motion field (at least 3: STEPS'
        AR(2) model uses the last three frames).
    random_state : int, RandomState instance or None, default=None
        Seeds the members of :meth:`predict` (and of
        :meth:`predict_ensemble` when it is given none). With None or a
        RandomState instance, ``fit`` draws the seed of :meth:`predict`
        from it once, so that two predictions are the same. Each sample's
        members are seeded from that seed and the sample's own input
        frames: its nowcast does not depend on the other samples of ``X``.

    Attributes
    ----------
    {frame_baseline_attributes}

    References
    ----------
    .. [1] N. E. Bowler, C. E. Pierce and A. W. Seed, "STEPS: a probabilistic
       precipitation forecasting scheme which merges an extrapolation nowcast
       with downscaled NWP", Quarterly Journal of the Royal Meteorological
       Society 132, 2006.
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_members": [positive_int()],
        "n_cascade_levels": [NumberInterval(Integral, 3, None, closed="left")],
        "precip_threshold": [NumberInterval(Real, 0, None, closed="neither")],
        "zerovalue": [NumberInterval(Real, None, None, closed="neither")],
        "kmperpixel": [NumberInterval(Real, 0, None, closed="neither")],
        "timestep": [NumberInterval(Real, 0, None, closed="neither")],
        "motion_method": [str],
        "n_frames_for_motion": [NumberInterval(Integral, 3, None, closed="left")],
        "random_state": ["random_state"],
    }
    #: the seed of every predict, set by ``fit``
    _predict_seed_: int

    def __init__(
        self,
        n_members: int = 20,
        n_cascade_levels: int = 6,
        precip_threshold: float = 0.1,
        zerovalue: float = -15.0,
        kmperpixel: float = 1.0,
        timestep: float = 5.0,
        motion_method: str = "LK",
        n_frames_for_motion: int = 3,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.n_members = n_members
        self.n_cascade_levels = n_cascade_levels
        self.precip_threshold = precip_threshold
        self.zerovalue = zerovalue
        self.kmperpixel = kmperpixel
        self.timestep = timestep
        self.motion_method = motion_method
        self.n_frames_for_motion = n_frames_for_motion
        self.random_state = random_state

    @classmethod
    def _get_test_params(cls):
        """Few members and a fixed seed: reproducible, fast checks."""
        return [{"n_members": 4, "random_state": 0}]

    def _check_params(self):
        # before the range of n_frames_for_motion, which it explains
        method = self.motion_method
        if (
            isinstance(method, str)
            and _MOTION_FRAMES.get(method.lower(), (2, None))[1] == 2
        ):
            raise ValueError(
                f"motion_method={self.motion_method!r} estimates the motion from "
                "exactly 2 frames (pysteps), and STEPS needs n_frames_for_motion "
                ">= 3 (its AR(2) model reads the last three frames); use 'LK', "
                "'VET' or 'DARTS'."
            )
        super()._check_params()
        rain_db = 10 * np.log10(self.precip_threshold)
        if not self.zerovalue < rain_db:
            raise ValueError(
                f"zerovalue={self.zerovalue} dB must be below the rain threshold, "
                f"10 log10(precip_threshold) = {rain_db:.3g} dB: dry pixels would "
                "be rain."
            )

    def _validate_frames(self, X, *, reset: bool, name: str = "X"):
        X = super()._validate_frames(X, reset=reset, name=name)
        lowest = np.min(X) if X.size else 0.0
        if lowest < 0:
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__}: {name} "
                f"has minimum {lowest:.6g}, but STEPS nowcasts rain rates (mm/h, "
                ">= 0); convert reflectivity in dBZ to rain rates first (e.g. "
                "pysteps.utils.conversion.to_rainrate)."
            )
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # rain rates
        return tags

    def _finish_fit(self) -> None:
        # the seed of every predict: random_state itself if an int, else
        # drawn from it once here, so that predicting twice gives one nowcast
        if isinstance(self.random_state, Integral):
            self._predict_seed_ = int(self.random_state)
        else:
            self._predict_seed_ = draw_seed(self.random_state)

    def _forecast(self, X, n_steps):
        members = self._ensemble(X, self.n_members, n_steps, self._sample_seeds(X))
        return members.mean(axis=1)

    def _sample_seeds(self, X) -> list[int]:
        """The seed of each sample's members in :meth:`predict`: the seed drawn
        in ``fit`` mixed with the sample's own input frames, so that a
        sample's nowcast does not depend on the other samples of ``X``."""
        # fitted before the seed was drawn in fit: drawn from random_state
        base = getattr(self, "_predict_seed_", None)
        if base is None:
            base = draw_seed(self.random_state)
        frames = X[:, -self.n_frames_for_motion :, 0].astype(np.float32)
        return [mixed_seed(base, zlib.crc32(sample.tobytes())) for sample in frames]

    def _ensemble(self, X, n_members, n_steps, seeds) -> np.ndarray:
        """Validated ``(n, T, 1, H, W)`` -> members ``(n, m, n_steps, 1, H, W)``,
        sample ``i`` seeded with ``seeds[i]``."""
        motion, extrapolation = _import_pysteps(type(self).__name__)
        from pysteps.nowcasts import steps

        estimate_motion = motion.get_method(self.motion_method)
        advect = extrapolation.get_method("semilagrangian")
        threshold_db = 10.0 * np.log10(self.precip_threshold)
        out = np.zeros((len(X), n_members, n_steps, *X.shape[2:]), np.float32)
        n_extrapolated = 0
        frames = X[:, -self.n_frames_for_motion :, 0]
        for i, (sample, seed) in enumerate(zip(frames, seeds, strict=True)):
            rain = sample.astype(np.float64)
            wet_pixels = np.sum(rain >= self.precip_threshold, axis=(1, 2))
            if wet_pixels[-1] < _MIN_WET_PIXELS:
                continue  # (almost) dry: nothing for STEPS to perturb
            db = np.full_like(rain, self.zerovalue)
            wet = rain >= self.precip_threshold
            db[wet] = 10.0 * np.log10(rain[wet])
            velocity = self._motion_field(estimate_motion, db)
            members = None
            # STEPS' noise generator needs wet pixels of more than one value
            varied = all(np.ptp(frame) > 0 for frame in db[-3:])
            if varied and np.all(wet_pixels[-3:] >= _MIN_WET_PIXELS):
                members = self._steps_members(
                    steps, db[-3:], velocity, n_steps, n_members, threshold_db, seed
                )
            if members is None:  # STEPS cannot estimate its statistics
                n_extrapolated += 1
                forecast = advect(rain[-1], velocity, n_steps, outval=0.0)
                out[i, :, :, 0] = np.nan_to_num(forecast)[None]
                continue
            rate = np.where(
                members >= threshold_db, 10.0 ** (np.nan_to_num(members) / 10.0), 0.0
            )
            out[i, :, :, 0] = np.nan_to_num(rate)
        if n_extrapolated:
            warn_user(
                f"STEPS could not estimate its statistics for {n_extrapolated} of "
                f"{len(X)} samples (rain in fewer than {_MIN_WET_PIXELS} pixels of "
                "one of the last three frames, a frame of one uniform value, or a "
                "cascade level without variance); their members are all the "
                "extrapolation nowcast.",
                UserWarning,
            )
        return out

    def _steps_members(self, steps, db, velocity, n_steps, n_members, thr, seed):
        """pysteps STEPS members in dB, or None where it cannot run on ``db``."""
        # STEPS seeds numpy's global generator (np.random.seed in its noise
        # set-up): the caller's global state is put back afterwards
        global_state = np.random.get_state()  # noqa: NPY002
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # STEPS' progress log
                return steps.forecast(
                    db,
                    velocity,
                    n_steps,
                    n_ens_members=n_members,
                    n_cascade_levels=self.n_cascade_levels,
                    precip_thr=thr,
                    kmperpixel=self.kmperpixel,
                    timestep=self.timestep,
                    seed=seed,
                    num_workers=1,
                )
        except ValueError as error:  # non-finite autocorrelations of a level
            if "non-finite" not in str(error):
                raise
            return None
        finally:
            np.random.set_state(global_state)  # noqa: NPY002

    def predict_ensemble(
        self,
        X: ArrayLike,
        n_members: int = 20,
        n_steps: int = 1,
        random_state: int | np.random.RandomState | None = None,
    ) -> np.ndarray:
        """STEPS ensemble nowcast.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_input_frames, H, W) or (n_samples, n_input_frames, 1, H, W)
            Past rain-rate frames (mm/h), as many as in ``fit``.
        n_members : int, default=20
            Ensemble members.
        n_steps : int, default=1
            Lead times.
        random_state : int, RandomState instance or None, default=None
            Seeds the members. None: the members of :meth:`predict` (their
            mean is its nowcast), seeded as it seeds them, sample by sample
            from the seed drawn in ``fit`` and each sample's frames, so that
            a sample's members do not depend on the other samples and the
            estimator's ``random_state`` is not used up. An int or a
            RandomState seeds the samples in turn: a sample's members then
            depend on its position in ``X``.

        Returns
        -------
        members : ndarray of shape (n_samples, n_members, n_steps, H, W) or (n_samples, n_members, n_steps, 1, H, W)
            6D where the ``y`` given to ``fit`` had a channel axis (5D),
            5D otherwise, as ``predict``.
        """
        check_is_fitted(self, "n_output_frames_")
        n_members = check_positive_int(n_members, "n_members")
        n_steps = check_positive_int(n_steps, "n_steps")
        X, had_channel_axis = self._validate_X(X)
        if random_state is None:  # predict's members
            seeds = self._sample_seeds(X)
        else:  # the samples seeded in turn
            rng = check_random_state(random_state)
            seeds = [draw_seed(rng) for _ in range(len(X))]
        out = self._ensemble(X, n_members, n_steps, seeds)
        return out if had_channel_axis else out[:, :, :, 0]


def _import_pysteps(who: str):
    import_pysteps(who)
    from pysteps import extrapolation, motion

    return motion, extrapolation


class SequenceFlattener(SequenceInputMixin, TransformerMixin, BaseEstimator):
    """Flatten sequences ``(n, T, C)`` into rows ``(n, T * C)`` for tabular models.

    2D input ``(n, T)`` is taken as univariate sequences and returned as is.
    NaN (missing values, padding of shorter sequences) passes through, so a
    :class:`~sklearn.impute.SimpleImputer` after the flattener fills it for
    models that refuse NaN; infinity is an error.

    Attributes
    ----------
    n_timesteps_in_ : int
        Timesteps ``T`` of the sequences seen in ``fit``.
    n_channels_in_ : int
        Channels ``C`` of the sequences seen in ``fit`` (1 for 2D input).
    n_features_in_ : int
        ``T * C``.
    """

    _parameter_constraints: ClassVar[dict] = {}

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Record the sequence shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels)
            Training sequences.
        y : ignored
            Not used; present for the Pipeline API.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        validate_data(self, X, reset=True, allow_nan=True, dtype=np.float64)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Flatten.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels)
            Sequences of the shape seen in ``fit``.

        Returns
        -------
        X_flat : ndarray of shape (n_samples, n_timesteps * n_channels)
            Time-major: ``[t0c0, t0c1, ..., t1c0, ...]``.
        """
        X = validate_data(self, X, reset=False, allow_nan=True, dtype=np.float64)
        return X.reshape(len(X), -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def get_feature_names_out(
        self, input_features: ArrayLike | None = None
    ) -> np.ndarray:
        """Output feature names: ``t{t}_{channel}`` per timestep and channel.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input's channel names (a previous step's
            ``get_feature_names_out`` in a ``Pipeline``), or, for univariate
            sequences given as a table ``(n, T)``, which the flattener
            returns as is, its column names. None takes the columns of a
            DataFrame seen in ``fit`` (``feature_names_in_``), else names the
            channels ``ch0``, ``ch1``, ...

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column, time-major as ``transform``'s.
        """
        check_is_fitted(self)
        columns = _column_names(self, input_features)
        if columns is not None:  # univariate table: its own columns
            return columns
        channels = _channel_names(self, input_features)
        return np.array(
            [f"t{t}_{c}" for t in range(self.n_timesteps_in_) for c in channels],
            dtype=object,
        )


_STATISTICS = {
    "mean": lambda X: X.mean(axis=1),
    "std": lambda X: X.std(axis=1),
    "min": lambda X: X.min(axis=1),
    "max": lambda X: X.max(axis=1),
    "median": lambda X: np.median(X, axis=1),
    "skew": lambda X: _constant_as_zero(stats.skew, X),
    "kurtosis": lambda X: _constant_as_zero(stats.kurtosis, X),
    "slope": lambda X: _slope(X),
}


def _constant_as_zero(moment, X: np.ndarray) -> np.ndarray:
    """scipy's ``skew`` or ``kurtosis`` over time, 0 for a constant channel.

    scipy returns NaN there, with a "precision loss" warning meant for data
    that are nearly constant; a constant channel (an idle sensor) is no
    mistake of the caller's, and its summary is 0.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)
        return np.nan_to_num(moment(X, axis=1))


def _slope(X: np.ndarray) -> np.ndarray:
    """Least-squares slope of each channel against the time index."""
    t = np.arange(X.shape[1], dtype=float)
    t -= t.mean()
    denom = float((t**2).sum()) or 1.0  # one step: a numerator of 0, slope 0
    return np.einsum("t,ntc->nc", t, X - X.mean(axis=1, keepdims=True)) / denom


def _standardised_moment(X: np.ndarray, order: int, offset: float = 0.0) -> np.ndarray:
    """``m_order / m_2 ** (order / 2) - offset`` over the non-NaN steps
    (biased moments, as :func:`scipy.stats.skew` and
    :func:`~scipy.stats.kurtosis` compute them); 0 for a constant channel,
    as :data:`_STATISTICS` gives, and NaN for a channel without data.

    A channel counts as constant where its variance is within rounding of
    0 relative to its mean (``m_2 <= (eps * mean) ** 2``, scipy's test):
    the mean of a constant float channel is not always exact, and the ratio
    of two rounding residues is noise.
    """
    mean = np.nanmean(X, axis=1, keepdims=True)
    deviation = X - mean
    m2 = np.nanmean(deviation**2, axis=1)
    moment = np.nanmean(deviation**order, axis=1)
    constant = m2 <= (np.finfo(m2.dtype).eps * mean[:, 0]) ** 2
    standardised = moment / np.where(constant, 1.0, m2) ** (order / 2) - offset
    return np.where(constant, 0.0, standardised)


def _nan_slope(X: np.ndarray) -> np.ndarray:
    """:func:`_slope` over each channel's non-NaN steps (NaN without any)."""
    valid = ~np.isnan(X)
    t = np.where(valid, np.arange(X.shape[1], dtype=float)[None, :, None], np.nan)
    t -= np.nanmean(t, axis=1, keepdims=True)
    x = X - np.nanmean(X, axis=1, keepdims=True)
    spread = np.nansum(t**2, axis=1)  # 0 for one valid step (numerator 0 too)
    slope = np.nansum(t * x, axis=1) / np.where(spread > 0, spread, 1.0)
    return np.where(valid.any(axis=1), slope, np.nan)


#: ``_STATISTICS`` over the steps that are not NaN (padding, missing values).
#: NaN-free input keeps ``_STATISTICS`` (numpy's reductions, scipy's skew and
#: kurtosis), so that its summaries stay what they were to the last digit.
_NAN_STATISTICS = {
    "mean": lambda X: np.nanmean(X, axis=1),
    "std": lambda X: np.nanstd(X, axis=1),
    "min": lambda X: np.nanmin(X, axis=1),
    "max": lambda X: np.nanmax(X, axis=1),
    "median": lambda X: np.nanmedian(X, axis=1),
    "skew": lambda X: _standardised_moment(X, 3),
    "kurtosis": lambda X: _standardised_moment(X, 4, offset=3.0),
    "slope": _nan_slope,
}


class SequenceSummarizer(SequenceInputMixin, TransformerMixin, BaseEstimator):
    """Per-channel summary statistics of sequences, for tabular models.

    NaN (the padding of shorter sequences, missing values) is left out of
    the statistics: each is computed over a channel's steps that are not
    NaN (the slope against their time indices). A channel with no such step
    gets NaN statistics. Infinity is an error.

    Parameters
    ----------
    statistics : tuple of str, default=("mean", "std", "min", "max", "median", "skew", "kurtosis", "slope")
        Any of those names.

    Attributes
    ----------
    n_timesteps_in_ : int
        Timesteps of the sequences seen in ``fit``.
    n_channels_in_ : int
        Channels of the sequences seen in ``fit`` (1 for 2D input).
    n_features_in_ : int
        ``n_timesteps * n_channels`` seen in ``fit``.
    """

    _parameter_constraints: ClassVar[dict] = {
        "statistics": [
            Rule(
                lambda v: (
                    isinstance(v, tuple | list)
                    and len(v) > 0
                    and all(isinstance(s, str) and s in _STATISTICS for s in v)
                    and len(set(v)) == len(v)
                ),
                f"a non-empty tuple of distinct names among {sorted(_STATISTICS)}",
            )
        ],
    }

    def __init__(
        self,
        statistics: tuple[str, ...] = (
            "mean",
            "std",
            "min",
            "max",
            "median",
            "skew",
            "kurtosis",
            "slope",
        ),
    ):
        self.statistics = statistics

    @unfitted_on_error
    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Check the statistics and record the channel count.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels)
            Training sequences.
        y : ignored
            Not used; present for the Pipeline API.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        validate_data(self, X, reset=True, allow_nan=True, dtype=np.float64)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Summarise each channel.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels)
            Sequences of the shape seen in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_samples, n_channels * n_statistics)
            Channel-major: all statistics of channel 0, then channel 1, ...
        """
        self._validate_params()  # statistics may have been set since fit
        X = validate_data(self, X, reset=False, allow_nan=True, dtype=np.float64)
        if np.isnan(X).any():
            # channels without data: NaN (computed on zeros: numpy's reductions
            # would warn, and silencing warnings is not thread-safe)
            empty = np.isnan(X).all(axis=1)  # (n, C)
            X = np.where(empty[:, None], 0.0, X)
            columns = [
                np.where(empty, np.nan, _NAN_STATISTICS[s](X)) for s in self.statistics
            ]
        else:
            columns = [_STATISTICS[s](X) for s in self.statistics]  # each (n, C)
        return np.stack(columns, axis=2).reshape(len(X), -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def get_feature_names_out(
        self, input_features: ArrayLike | None = None
    ) -> np.ndarray:
        """Output feature names ``{channel}_{statistic}``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input's channel names (a previous step's
            ``get_feature_names_out`` in a ``Pipeline``); None (or the
            column names of univariate sequences given as a table ``(n, T)``,
            whose one channel has no name) names the channels ``ch0``,
            ``ch1``, ...

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self)
        if _column_names(self, input_features) is not None:
            input_features = None  # a table's columns are timesteps, not channels
        channels = _channel_names(self, input_features)
        return np.array(
            [f"{c}_{s}" for c in channels for s in self.statistics], dtype=object
        )


def _column_names(transformer, input_features) -> np.ndarray | None:
    """The column names of univariate sequences given as a table ``(n, T)``.

    ``input_features`` if it names the ``n_features_in_`` columns of one
    channel, else the ``feature_names_in_`` of a DataFrame seen in ``fit``
    when ``input_features`` is None or equals them; None otherwise.
    """
    fitted = getattr(transformer, "feature_names_in_", None)
    if input_features is None:
        return None if fitted is None else np.asarray(fitted, dtype=object)
    names = np.asarray(input_features, dtype=object)
    one_channel = transformer.n_channels_in_ == 1
    if one_channel and names.ndim == 1 and len(names) == transformer.n_features_in_:
        if fitted is not None and not np.array_equal(names, fitted):
            raise ValueError(
                f"input_features is not equal to feature_names_in_: "
                f"{names.tolist()} are not the column names seen in fit, "
                f"{list(fitted)}."
            )
        if len(names) > 1 or transformer.n_timesteps_in_ == 1:
            return names
    return None


def _channel_names(transformer, input_features) -> np.ndarray:
    """``input_features`` as one name per channel, or ``ch0``, ``ch1``, ..."""
    n_channels = transformer.n_channels_in_
    if input_features is None:
        return np.array([f"ch{c}" for c in range(n_channels)], dtype=object)
    names = np.asarray(input_features, dtype=object)
    if names.ndim != 1 or len(names) != n_channels:
        raise ValueError(
            "input_features should have length equal to the number of channels "
            f"({n_channels}): {type(transformer).__name__} was fitted on "
            f"{n_channels} channel(s) of {transformer.n_timesteps_in_} timesteps "
            f"(pass one name per channel, or None); got {names.size} names."
        )
    return names


@validate_params({"random_state": ["random_state"]}, prefer_skip_nested_validation=True)
def classical_classifiers(
    random_state: int | np.random.RandomState | None = None,
) -> dict[str, object]:
    """The five classical baselines of a traffic-state comparison, as Pipelines.

    Logistic regression, SVM (RBF), random forest, k-nearest neighbours and a
    decision tree, each on flattened sequences and on per-channel summary
    statistics (scaled where the model is scale-sensitive). Variable-length
    sequences padded with NaN at the end are accepted: the flattened ones
    get 0 where they are NaN (a :class:`~sklearn.impute.SimpleImputer`
    after the :class:`SequenceFlattener`), the summaries leave NaN out (and
    are 0 for a channel without a value in a sequence, after another).

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Seed of the randomised models (SVM, random forest, decision tree);
        a ``RandomState`` instance is shared by them, as scikit-learn shares
        one.

    Returns
    -------
    models : dict of str to Pipeline
        Unfitted pipelines taking ``(n, T, C)`` sequences.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    def models():
        return {
            "LogisticRegression": (LogisticRegression(max_iter=2000), True),
            "SVC": (SVC(random_state=random_state), True),
            "RandomForest": (
                RandomForestClassifier(n_estimators=200, random_state=random_state),
                False,
            ),
            "KNN": (KNeighborsClassifier(n_neighbors=3), True),
            "DecisionTree": (DecisionTreeClassifier(random_state=random_state), False),
        }

    def zeros_for_nan():
        # keep_empty_features: a column NaN in every training sequence (a
        # step no training sequence reaches) is kept, as 0, not dropped
        return SimpleImputer(
            strategy="constant", fill_value=0.0, keep_empty_features=True
        )

    out: dict[str, object] = {}
    for features, make_features in (
        ("flattened", lambda: [SequenceFlattener(), zeros_for_nan()]),
        ("summary", lambda: [SequenceSummarizer(), zeros_for_nan()]),
    ):
        for name, (model, scaled) in models().items():
            steps = make_features() + ([StandardScaler()] if scaled else []) + [model]
            out[f"{name} ({features})"] = make_pipeline(*steps)
    return out
