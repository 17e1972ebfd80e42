"""Synthetic radar rain-rate sequences: advected, growing and decaying rain cells."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from skseq.utils.validation import check_finite_real, check_positive_int

__all__ = ["make_radar_sequences"]

_DRY_BELOW = 0.1  # mm/h, rain rates below are set to exactly 0 (no echo)


def make_radar_sequences(
    n_frames: int = 64,
    height: int = 64,
    width: int = 64,
    n_cells: float | None = None,
    motion: tuple[float, float] = (1.2, 0.4),
    rotation: float = 0.004,
    mean_lifetime: float = 24.0,
    max_intensity: float = 40.0,
    random_state: int | np.random.RandomState | None = None,
) -> np.ndarray:
    """Radar-like rain-rate fields (mm/h) of moving, growing and decaying cells.

    Convective rain cells are born at random places and times (a Poisson
    process keeping about ``n_cells`` alive), carried by a smooth motion field
    -- a uniform drift ``motion`` plus a slow solid-body rotation about the
    domain centre -- and follow a life cycle: the peak rain rate grows, peaks
    and decays as ``sin(pi * age / lifetime)**2``. Each cell is an anisotropic
    Gaussian of random orientation: a radius ``r`` of 2-6 px and an
    elongation ``e`` of 1-2 give standard deviations ``r * e`` along its
    major axis and ``r / sqrt(e)`` along its minor one (1.4-12 px). Rates
    below 0.1 mm/h are exactly 0, so most pixels are dry, as on a radar
    image. Cell centres are moved with the motion field from frame to frame
    (midpoint rule), so rain mass is advected with it; a cell keeps the
    orientation it was born with while the rotation carries it round (at the
    default 0.004 rad/frame it would turn about 6 degrees in a mean
    lifetime).

    Cells are born anywhere in the domain (and up to 8 px around it) and
    carried out of it downwind; none flow in from beyond the upwind edge.
    With a drift, the upwind side is therefore drier than the downwind one,
    and the first frames, whose cells are spread evenly, are wetter than the
    later ones (with the defaults, over 40 seeds, 0.83 mm/h in the mean at
    frame 0 against 0.61 from frame 20 on).

    Parameters
    ----------
    n_frames : int, default=64
        Frames (one per radar time step, e.g. 5 minutes).
    height, width : int, default=64
        Frame size in pixels.
    n_cells : float or None, default=None
        Sets the number of cells alive at once (at most one per pixel): cells are born at
        ``n_cells / mean_lifetime`` per frame, and since they live
        ``mean_lifetime + 2`` frames on average, about ``n_cells * (1 + 2 /
        mean_lifetime)`` are alive in the steady state (4.3 for 4 with the
        default lifetime). The first frames hold fewer (the generator starts
        cells ``ceil(mean_lifetime)`` frames early, which the longer lives
        outlast: 3.4 expected at frame 0 against 4.3). None scales
        with the area (one per 1200 px^2, i.e. about 3.4 on 64x64); small
        frames then hold less than one cell, and are often dry throughout
        (8 frames of 16x16 were all zeros with 33 of 40 seeds, of 32x32
        with 16): set ``n_cells`` for them.
    motion : tuple of float, default=(1.2, 0.4)
        Uniform drift ``(dx, dy)`` in pixels per frame (x to the right, y down).
    rotation : float, default=0.004
        Angular velocity (radians per frame) of the rotating component, at
        most 0.2 in magnitude; positive turns clockwise as displayed (y
        down).
    mean_lifetime : float, default=24.0
        Cell lifetimes are 2 frames plus a gamma draw (shape 4) of this mean,
        so they average ``mean_lifetime + 2`` frames.
    max_intensity : float, default=40.0
        Largest possible peak rain rate of one cell (mm/h); peaks are drawn
        from ``[0.2, 1] * max_intensity``. Where cells overlap their rates
        add up, so a field can exceed it.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator; an int gives the same data every call.

    Returns
    -------
    rain : ndarray of shape (n_frames, height, width), float32
        Rain rate in mm/h, >= 0.

    Examples
    --------
    >>> from skseq.datasets import make_radar_sequences
    >>> rain = make_radar_sequences(n_frames=8, height=32, width=40, random_state=0)
    >>> rain.shape, bool((rain >= 0).all())
    ((8, 32, 40), True)
    """
    n_frames = check_positive_int(n_frames, "n_frames")
    height = check_positive_int(height, "height", minimum=4)
    width = check_positive_int(width, "width", minimum=4)
    mean_lifetime = check_finite_real(mean_lifetime, "mean_lifetime")
    max_intensity = check_finite_real(max_intensity, "max_intensity")
    if mean_lifetime <= 1 or max_intensity <= 0:
        raise ValueError(
            f"mean_lifetime must be > 1 and max_intensity > 0; got {mean_lifetime} "
            f"and {max_intensity}."
        )
    if n_cells is not None and not (
        0 < check_finite_real(n_cells, "n_cells") <= height * width
    ):
        raise ValueError(
            f"n_cells must be > 0 and at most one per pixel ({height * width}), "
            f"or None; got {n_cells}."
        )
    rng = check_random_state(random_state)
    mean_alive = n_cells if n_cells is not None else height * width / 1200.0
    birth_rate = mean_alive / mean_lifetime  # cells per frame (Little's law)
    centre = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    try:
        drift = np.asarray(motion, dtype=float)
    except (TypeError, ValueError):
        drift = np.full(3, np.nan)  # refused below, with the argument's name
    if drift.shape != (2,) or not np.isfinite(drift).all():
        raise ValueError(
            f"motion must be two finite numbers (dx, dy) in pixels per frame; got "
            f"{motion!r}."
        )
    rotation = check_finite_real(rotation, "rotation")
    if abs(rotation) > 0.2:
        raise ValueError(
            "rotation must be at most 0.2 radians per frame in magnitude (a turn "
            f"in 31 frames); got {rotation}."
        )

    def velocity(p: np.ndarray) -> np.ndarray:
        rel = p - centre
        return drift + rotation * np.stack([-rel[:, 1], rel[:, 0]], axis=1)

    # spin-up: cells of random ages at the start, then births every frame
    margin = 8.0
    warmup = int(np.ceil(mean_lifetime))
    births = rng.poisson(birth_rate, size=n_frames + warmup)
    n_total = int(births.sum())
    birth_time = np.repeat(np.arange(-warmup, n_frames), births).astype(float)
    birth_time += rng.uniform(0, 1, n_total)
    lifetime = rng.gamma(4.0, mean_lifetime / 4.0, n_total) + 2.0
    peak = rng.uniform(0.2, 1.0, n_total) * max_intensity
    radius = rng.uniform(2.0, 6.0, n_total)
    elongation = rng.uniform(1.0, 2.0, n_total)
    angle = rng.uniform(0, np.pi, n_total)
    position = np.column_stack(
        [
            rng.uniform(-margin, width + margin, n_total),
            rng.uniform(-margin, height + margin, n_total),
        ]
    )
    # ``position`` is where a cell is at max(birth, 0): cells alive when the
    # sequence starts are spread over the domain like those born later.
    yy, xx = np.mgrid[0:height, 0:width].astype(float)
    cos, sin = np.cos(angle), np.sin(angle)
    sx, sy = radius * elongation, radius / np.sqrt(elongation)
    rain = np.zeros((n_frames, height, width))
    for frame in range(n_frames):
        age = frame - birth_time
        alive = (age >= 0) & (age <= lifetime)
        for i in np.flatnonzero(alive):
            amplitude = peak[i] * np.sin(np.pi * age[i] / lifetime[i]) ** 2
            dx, dy = xx - position[i, 0], yy - position[i, 1]
            u = cos[i] * dx + sin[i] * dy
            v = -sin[i] * dx + cos[i] * dy
            rain[frame] += amplitude * np.exp(
                -0.5 * ((u / sx[i]) ** 2 + (v / sy[i]) ** 2)
            )
        # midpoint step, to the next frame, of every cell born by then (a cell
        # born between two frames moves only for the part of the step after
        # its birth; unborn cells keep their birth position)
        step = np.clip(frame + 1 - np.maximum(birth_time, frame), 0.0, 1.0)[:, None]
        moving = step[:, 0] > 0
        p = position[moving]
        mid = p + 0.5 * step[moving] * velocity(p)
        position[moving] = p + step[moving] * velocity(mid)
    rain[rain < _DRY_BELOW] = 0.0
    return rain.astype(np.float32)
