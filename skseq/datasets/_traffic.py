"""Synthetic traffic speeds on a motorway corridor from a cell transmission model."""

from __future__ import annotations

import itertools
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from skseq.utils.validation import (
    as_timedelta,
    check_finite_real,
    check_positive_int,
)

__all__ = ["make_traffic_speeds"]

_CELL_KM = 0.5  # cell length
_LANES = 3
_JAM_DENSITY = 150.0 * _LANES  # veh/km
_WAVE_SPEED = 18.0  # km/h, backward congestion wave speed
#: The upstream demand is sized to this fraction of the road's capacity (the
#: default bottleneck's): it does not depend on the bottlenecks downstream
_DEMAND_REFERENCE = 0.7


def _daily_demand(hours: np.ndarray, weekend: bool, capacity: float) -> np.ndarray:
    """Upstream demand (veh/h) over one day: morning and evening peaks."""
    base = 0.25 + 0.25 * np.clip(np.sin(np.pi * (hours - 5.0) / 18.0), 0, None)
    if weekend:
        peaks = 0.35 * np.exp(-0.5 * ((hours - 14.0) / 2.5) ** 2)
    else:
        peaks = 0.85 * np.exp(-0.5 * ((hours - 8.0) / 1.0) ** 2) + 0.75 * np.exp(
            -0.5 * ((hours - 18.0) / 1.3) ** 2
        )
    return capacity * (base + peaks)


def make_traffic_speeds(
    n_days: int = 7,
    n_locations: int = 40,
    freq: str = "5min",
    free_flow_speed: float = 90.0,
    bottlenecks: tuple[float, ...] = (0.75,),
    bottleneck_capacity: float = 0.7,
    demand_scale: float = 1.0,
    noise_std: float = 2.0,
    start: str = "2024-01-01",
    random_state: int | np.random.RandomState | None = None,
) -> pd.DataFrame:
    """Simulate speeds (km/h) along a motorway corridor with a traffic-flow model.

    A cell transmission model (Daganzo 1994), the Godunov discretisation of
    the LWR kinematic-wave model with a triangular fundamental diagram
    (free-flow speed ``free_flow_speed``, congestion wave speed 18 km/h, jam
    density 150 veh/km/lane, 3 lanes), on ``n_locations`` cells of 0.5 km.
    Traffic enters upstream with a daily demand profile (weekday morning and
    evening peaks, a weekend midday bulge, day-to-day variation) and leaves
    freely downstream. At each bottleneck (a lane drop: capacity reduced to
    ``bottleneck_capacity`` of normal) the peak demand exceeds capacity, so a
    queue forms and its tail travels UPSTREAM at the speed of the shock
    between arriving and queued traffic (7-8 km/h with the default demand; at
    most the 18 km/h of the congestion wave), then dissolves after the peak
    -- the pattern of real speed heatmaps.

    Parameters
    ----------
    n_days : int, default=7
        Days simulated, starting at ``start`` (weekends included).
    n_locations : int, default=40
        Detector locations (cells), ordered upstream -> downstream.
    freq : str, default="5min"
        Aggregation interval (a pandas offset of whole seconds dividing a day).
    free_flow_speed : float, default=90.0
        Speed of uncongested traffic in km/h, between 30 and 130.
    bottlenecks : tuple of float, default=(0.75,)
        Bottleneck positions as fractions of the corridor length in (0, 1),
        at least ``1 / n_locations`` (the first cell has no queue to show).
    bottleneck_capacity : float, default=0.7
        Capacity at a bottleneck relative to the normal capacity, in (0, 1]:
        the lower, the longer the queues (the demand does not depend on it).
    demand_scale : float, default=1.0
        Multiplies the upstream demand, whose weekday peaks reach about 0.86
        of the road's capacity (1.22 times the default bottleneck's): with
        ``bottleneck_capacity`` 0.75 or less a queue forms on every weekday,
        at 0.8 on most (34 of 40 weekdays: eight seeds, a week each), near 0.86 on
        some days only (the demand varies from day to day).
    noise_std : float, default=2.0
        Standard deviation (km/h) of Gaussian detector noise.
    start : str or datetime-like, default="2024-01-01"
        First timestamp (a Monday by default); a number is refused (pandas
        would read it as nanoseconds since 1970). The demand follows the
        clock: a start at noon begins with the evening peak. With a time
        zone, the intervals are equal in elapsed time and the demand follows
        the local clock, so a day of a clock change holds an hour of
        intervals more or fewer and the last intervals may fall on the day
        after the ``n_days``-th.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator; an int gives the same data every call.

    Returns
    -------
    speeds : pandas.DataFrame of shape (n_days * intervals_per_day, n_locations)
        Mean speed per interval in km/h, DatetimeIndex named ``"time"``,
        columns ``"loc_00"``, ``"loc_01"``, ... upstream first (three digits
        from 101 locations on, so that sorted names keep the road's order).

    Examples
    --------
    >>> from skseq.datasets import make_traffic_speeds
    >>> speeds = make_traffic_speeds(n_days=2, random_state=0)
    >>> speeds.shape
    (576, 40)
    """
    n_days = check_positive_int(n_days, "n_days")
    n_locations = check_positive_int(n_locations, "n_locations", minimum=2)
    free_flow_speed = check_finite_real(free_flow_speed, "free_flow_speed")
    bottleneck_capacity = check_finite_real(bottleneck_capacity, "bottleneck_capacity")
    if np.ndim(bottlenecks) != 1:
        raise TypeError(
            "bottlenecks must be a sequence of fractions in (0, 1), e.g. (0.75,); "
            f"got {bottlenecks!r}."
        )
    bottlenecks = tuple(check_finite_real(b, "each bottleneck") for b in bottlenecks)
    if not 30 <= free_flow_speed <= 130:
        raise ValueError(
            f"free_flow_speed must be in [30, 130] km/h; got {free_flow_speed}."
        )
    if not 0 < bottleneck_capacity <= 1:
        raise ValueError(
            f"bottleneck_capacity must be in (0, 1]; got {bottleneck_capacity}."
        )
    if any(not 0 < b < 1 for b in bottlenecks):
        raise ValueError(f"bottlenecks must be fractions in (0, 1); got {bottlenecks}.")
    demand_scale = check_finite_real(demand_scale, "demand_scale")
    noise_std = check_finite_real(noise_std, "noise_std")
    if demand_scale <= 0 or noise_std < 0:
        raise ValueError(
            f"demand_scale must be > 0 and noise_std >= 0; got {demand_scale} and "
            f"{noise_std}."
        )
    # pandas would read a bare number as nanoseconds (numpy's timedelta64 is
    # an integer type to numbers.Real, but carries its unit)
    if isinstance(freq, Real) and not isinstance(freq, np.timedelta64):
        raise TypeError(
            f"freq must be a pandas offset such as '5min' or a Timedelta; got {freq!r}."
        )
    if isinstance(start, Real | np.number):  # nanoseconds since 1970 to pandas
        raise TypeError(
            f"start must be a timestamp such as '2024-01-01'; got the number {start!r}."
        )
    try:
        first = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"start must be a timestamp such as '2024-01-01'; {exc}"
        ) from None
    if first is pd.NaT:
        raise ValueError(
            f"start must be a timestamp such as '2024-01-01'; got {start!r}."
        )
    # b * n a rounding error below an integer (1 / 49 * 49) is that integer
    cells = [min(int(b * n_locations + 1e-9), n_locations - 1) for b in bottlenecks]
    if 0 in cells:
        # the first cell's capacity limits only the entry queue, which no
        # detector sees: the data would show no congestion
        raise ValueError(
            f"bottlenecks {bottlenecks} put a lane drop in the first of the "
            f"{n_locations} cells, where no queue can form on the road; give "
            f"positions of at least 1 / n_locations = {1 / n_locations:.3g}."
        )
    if len(set(cells)) < len(cells):
        raise ValueError(
            f"bottlenecks {bottlenecks} put two lane drops in one of the "
            f"{n_locations} cells, whose capacities would compound; give positions "
            "at least one cell apart."
        )
    interval_s = as_timedelta(freq).total_seconds()
    if interval_s <= 0 or interval_s % 1 or 86400 % interval_s:
        raise ValueError(
            "freq must be a whole number of seconds that divides a day into whole "
            f"intervals; got {freq!r}."
        )
    rng = check_random_state(random_state)

    vf, w, kj = float(free_flow_speed), _WAVE_SPEED, _JAM_DENSITY
    capacity = vf * w * kj / (vf + w)  # veh/h
    cell_capacity = np.full(n_locations, capacity)
    cell_capacity[cells] *= bottleneck_capacity  # one lane drop per cell
    dt_h = 0.9 * _CELL_KM / vf  # CFL: vf * dt <= cell length
    substeps = int(np.ceil(interval_s / 3600.0 / dt_h))
    dt_h = interval_s / 3600.0 / substeps
    per_day = int(86400 // interval_s)
    if isinstance(freq, np.timedelta64):  # date_range takes pandas' own types
        freq = pd.Timedelta(freq)
    index = pd.date_range(first, periods=n_days * per_day, freq=freq, name="time")
    # the demand follows the clock: hours of the day at the intervals' middles,
    # in local time (a day of a clock change is an hour shorter or longer)
    wall_clock = index.tz_localize(None)
    seconds = (wall_clock - wall_clock.normalize()).total_seconds().to_numpy()
    hours = (seconds / interval_s + 0.5) * interval_s / 3600.0
    dates = wall_clock.normalize()  # local dates: a day may lack its midnight
    day_starts = [*np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]]), len(index)]

    density = np.zeros(n_locations)
    queue = 0.0  # vehicles waiting to enter (vertical queue)
    mean_density = np.empty((len(index), n_locations))
    for first, end in itertools.pairwise(day_starts):
        weekend = index[first].day_of_week >= 5
        shift = rng.normal(0.0, 0.25)  # peak timing varies by ~15 min
        scale = demand_scale * rng.normal(1.0, 0.05)
        demand = scale * _daily_demand(
            hours[first:end] - shift, weekend, capacity * _DEMAND_REFERENCE
        )
        for step in range(end - first):
            acc = np.zeros(n_locations)
            for _ in range(substeps):
                sending = np.minimum(vf * density, cell_capacity)
                receiving = np.minimum(cell_capacity, w * (kj - density))
                inner = np.minimum(sending[:-1], receiving[1:])
                inflow = min(demand[step] + queue / dt_h, receiving[0])
                queue += (demand[step] - inflow) * dt_h
                flow_in = np.concatenate(([inflow], inner))
                flow_out = np.concatenate((inner, [sending[-1]]))
                density = density + dt_h / _CELL_KM * (flow_in - flow_out)
                acc += density
            mean_density[first + step] = acc / substeps

    # speed from the triangular fundamental diagram at the mean density
    with np.errstate(divide="ignore"):
        congested = w * (kj / np.maximum(mean_density, 1e-9) - 1.0)
    speed = np.minimum(vf, congested)
    speed = speed + rng.normal(0.0, noise_std, size=speed.shape) if noise_std else speed
    speed = np.clip(speed, 3.0, vf + 15.0)
    # one width for all, so that sorted names keep the road's order (loc_100
    # sorted between loc_10 and loc_11 with two digits)
    width = max(2, len(str(n_locations - 1)))
    columns = [f"loc_{i:0{width}d}" for i in range(n_locations)]
    return pd.DataFrame(speed, index=index, columns=pd.Index(columns, name="location"))
