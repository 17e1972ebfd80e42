"""Traffic tables -> grayscale heatmap frames, and back."""

from __future__ import annotations

import datetime
from numbers import Integral, Real
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from skseq.base import (
    ArrayOutputMixin,
    NumberInterval,
    Rule,
    non_negative_int,
    positive_int,
    unfitted_on_error,
)
from skseq.utils.validation import as_timedelta, to_numeric_array

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike
    from typing_extensions import Self

__all__ = ["Heatmapper"]


#: Cyclic calendar fields: position within the cycle in [0, 1), continuous in
#: time (the fraction of the current unit included), so that its phase
#: advances linearly with time (exactly for minute, hour and dayofweek; to
#: within a day's share of the cycle's length for dayofyear and month).
CALENDAR_FIELDS = ("minute", "hour", "dayofweek", "dayofyear", "month")


def _wall_clock(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The local clock time of each timestamp, without its time zone.

    Traffic follows the clock on the wall: on a day when daylight saving
    time starts, 03:00 comes one hour after 01:00, and its hour is 3.
    """
    return index if index.tz is None else index.tz_localize(None)


def _day_fraction(index: pd.DatetimeIndex) -> np.ndarray:
    clock = _wall_clock(index)
    return (clock - clock.normalize()) / pd.Timedelta(days=1)


def _cycle_position(index: pd.DatetimeIndex, field: str) -> np.ndarray:
    """Position of each timestamp within the cycle of ``field``, in [0, 1)."""
    day = np.asarray(_day_fraction(index), dtype=np.float64)
    if field == "minute":  # to the nanosecond, as "hour"
        clock = _wall_clock(index)
        return np.asarray(
            (clock - clock.floor("h")) / pd.Timedelta(hours=1), np.float64
        )
    if field == "hour":
        return day
    if field == "dayofweek":
        return (index.day_of_week.to_numpy(np.float64) + day) / 7.0
    if field == "dayofyear":
        days = 365.0 + index.is_leap_year.astype(np.float64)
        return (index.day_of_year.to_numpy(np.float64) - 1.0 + day) / days
    # month
    return (
        index.month.to_numpy(np.float64)
        - 1.0
        + (index.day.to_numpy(np.float64) - 1.0 + day)
        / index.days_in_month.to_numpy(np.float64)
    ) / 12.0


def _modal_step(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The most common spacing of (at least 2) timestamps."""
    return pd.Timedelta(index.to_series().diff().mode().iloc[0])


def _valid_calendar(value) -> bool:
    if isinstance(value, str):
        return False
    names = list(value)
    return all(
        isinstance(n, str) and n in (*CALENDAR_FIELDS, "holiday") for n in names
    ) and len(set(names)) == len(names)


def _longest_run(mask: np.ndarray) -> int:
    """Longest run of True along axis 0 in any column of a 2D boolean mask."""
    longest = 0
    current = np.zeros(mask.shape[1], dtype=int)
    for row in mask:
        current = np.where(row, current + 1, 0)
        longest = max(longest, int(current.max()))
    return longest


class Heatmapper(ArrayOutputMixin, TransformerMixin, BaseEstimator):
    """Turn a table of speeds (time x location) into grayscale heatmap frames.

    A traffic-heatmap study predicted traffic on an urban motorway from heatmaps of speed
    with time on one axis and location on the other: congestion appears as
    dark bands and its propagation is visible as their slope. Grayscale (one
    channel, the speed itself) beat RGB colour maps (RMSE 15 -> 10): a colour
    map spreads one number over three correlated channels.

    Input tables may be **wide** (a DatetimeIndex, one column per location)
    or **long** (columns ``time_col``, ``location_col``, ``value_col``).
    The table is put on a regular time grid of ``freq`` (its timestamps must
    lie on it: irregular times are refused, resample them first); inner gaps
    of at most ``max_gap`` steps are interpolated linearly in time per
    location and gaps at the start or end take the nearest value, longer
    gaps raise an error. Duplicated timestamps (per location) raise an error
    unless ``duplicates="mean"`` averages them.

    Frames are consecutive blocks of ``frame_length`` timesteps: frame ``i``
    covers rows ``i * frame_length`` to ``(i + 1) * frame_length - 1`` of the
    grid; an incomplete trailing block is dropped. Values are scaled to
    [0, 1] with ``vmin``/``vmax`` (learned in ``fit`` when None) and clipped
    (so values outside the fitted range come back as its edge);
    ``invert=True`` maps ``vmin`` to 1 and ``vmax`` to 0.

    **Calendar channels.** Traffic follows the clock, which the frames alone
    do not tell a model. ``calendar=("hour", "dayofweek")`` adds, per time
    row of each frame, the sine and cosine of the row's position in the cycle
    of each field (``"minute"``: within the hour, ``"hour"``: time of day,
    ``"dayofweek"``: within the week, Monday 0, ``"dayofyear"``, ``"month"``),
    broadcast over locations; ``"holiday"`` adds one channel, 1 on the dates
    in ``holidays`` and 0 elsewhere. Positions are continuous (the hour's
    position includes its minutes, the day of week its time of day), so the
    phase of a cyclic channel advances by the same angle every frame (for
    ``"minute"``, ``"hour"`` and ``"dayofweek"``; ``"dayofyear"`` and
    ``"month"`` to within a day's share of their cycle, as years and months
    differ in length) and the calendar of future frames can be extrapolated
    from past ones (what
    :class:`~skseq.ConvLSTMForecaster` does for its decoder). Times of a
    table with a time zone are read on its local clock, which traffic
    follows: 03:00 is hour 3 on the day daylight saving time starts, and a
    holiday is a local date. Where the clock jumps, so does the phase; a
    table in UTC (or another zone without daylight saving time) keeps every
    step equal, at the cost of a rush hour that moves by an hour twice a
    year. Each table is read on its own clock, so give ``transform`` tables
    in the time zone of those given to ``fit``: the same times converted
    to UTC give every calendar channel the UTC hour. Frames then
    have shape ``(1 + k, frame_length, n_locations)``: channel 0 is the
    scaled value, channels ``1..k`` are named in ``channel_names_``. Other
    exogenous frames (weather, events) can be appended along the same axis.

    **Samples of tables.** ``X`` may also be a list of tables (each one a
    window of a longer table, e.g. the last hours before each forecast):
    ``transform`` then returns one frame sequence per table, ``(n_tables,
    n_frames, [1 + k,] frame_length, n_locations)``, so a list of windows can
    be split by :class:`~sklearn.model_selection.GridSearchCV` and fed through
    a :class:`~sklearn.pipeline.Pipeline` into a frame forecaster.

    Parameters
    ----------
    frame_length : int, default=288
        Timesteps per frame (a day of 5-minute data).
    freq : str or None, default=None
        Time grid; None infers the most common spacing in ``fit``.
    locations : list or None, default=None
        Locations to use, in this order (e.g. along the road); None keeps the
        table's column order (wide) or sorted location names (long).
    vmin, vmax : float or None, default=None
        Scaling range; None learns the data's minimum / maximum (of the
        values as read, in float32).
    invert : bool, default=False
        Map ``vmin`` to 1 and ``vmax`` to 0 (slow traffic bright).
    max_gap : int, default=3
        Longest run of missing timesteps filled (linearly in time inside the
        table, with the nearest value at its start or end).
    duplicates : {"error", "mean"}, default="error"
        Several values for one (time, location): ``"error"`` refuses them,
        ``"mean"`` averages them.
    time_col : str, default="time"
        Column of a long table that holds the timestamps.
    location_col : str, default="location"
        Column of a long table that holds the locations.
    value_col : str, default="value"
        Column of a long table that holds the values.
    calendar : tuple of str or None, default=None
        Calendar channels to add, from ``"minute"``, ``"hour"``,
        ``"dayofweek"``, ``"dayofyear"``, ``"month"`` (two channels each: sine
        and cosine) and ``"holiday"`` (one channel), in this order. None or
        ``()`` adds none and frames keep shape ``(frame_length,
        n_locations)``.
    holidays : list of date-like or None, default=None
        Dates (anything :func:`pandas.to_datetime` reads) marked 1 in the
        ``"holiday"`` channel; needed when ``calendar`` has ``"holiday"``.

    Attributes
    ----------
    locations_ : ndarray of shape (n_locations,)
        Locations, in frame column order.
    freq_ : pandas.Timedelta
        Time grid step.
    vmin_, vmax_ : float
        Scaling range.
    time_index_ : pandas.DatetimeIndex
        Grid of the table seen in ``fit`` (used by ``inverse_transform``;
        the first table's for a list of tables).
    channel_names_ : list of str
        Name of each frame channel: ``"value"`` then the calendar channels
        (``"hour_sin"``, ``"hour_cos"``, ..., ``"holiday"``); ``["value"]``
        without calendar.
    n_channels_ : int
        ``len(channel_names_)``.

    Examples
    --------
    >>> from skseq.datasets import make_traffic_speeds
    >>> from skseq.preprocessing import Heatmapper
    >>> speeds = make_traffic_speeds(n_days=3, random_state=0)
    >>> frames = Heatmapper(frame_length=288).fit_transform(speeds)
    >>> frames.shape
    (3, 288, 40)
    """

    _parameter_constraints: ClassVar[dict] = {
        "frame_length": [positive_int()],
        "freq": [str, datetime.timedelta, None],
        "locations": ["array-like", None],
        "vmin": [NumberInterval(Real, None, None, closed="neither"), None],
        "vmax": [NumberInterval(Real, None, None, closed="neither"), None],
        "invert": ["boolean"],
        "max_gap": [non_negative_int()],
        "duplicates": [StrOptions({"error", "mean"})],
        "time_col": [str, Integral],
        "location_col": [str, Integral],
        "value_col": [str, Integral],
        "calendar": [
            Rule(
                _valid_calendar,
                f"a tuple of distinct names from {(*CALENDAR_FIELDS, 'holiday')}",
            ),
            None,
        ],
        "holidays": ["array-like", None],
    }

    def __init__(
        self,
        frame_length: int = 288,
        freq: str | None = None,
        locations: list | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
        invert: bool = False,
        max_gap: int = 3,
        duplicates: str = "error",
        time_col: str = "time",
        location_col: str = "location",
        value_col: str = "value",
        calendar: tuple[str, ...] | None = None,
        holidays: list | None = None,
    ):
        self.frame_length = frame_length
        self.freq = freq
        self.locations = locations
        self.vmin = vmin
        self.vmax = vmax
        self.invert = invert
        self.max_gap = max_gap
        self.duplicates = duplicates
        self.time_col = time_col
        self.location_col = location_col
        self.value_col = value_col
        self.calendar = calendar
        self.holidays = holidays

    # ---------------------------------------------------------------- tables
    def _to_wide(self, table, locations=None) -> pd.DataFrame:
        """The table as a wide, sorted float64 frame: one column per location
        (only ``locations``, when given, whose values alone are checked)."""
        if not isinstance(table, pd.DataFrame):
            raise TypeError(
                "Heatmapper takes a pandas DataFrame: wide (DatetimeIndex, one column "
                "per location) or long (time, location, value columns); got "
                f"{type(table).__name__}."
            )
        if table.empty:
            raise ValueError("The table is empty.")
        long_cols = {self.time_col, self.location_col, self.value_col}
        if (
            table.index.name == self.time_col
            and self.time_col not in table.columns
            and {self.location_col, self.value_col} <= set(table.columns)
        ):  # a long table indexed by its times (e.g. after set_index)
            table = table.reset_index()
        if long_cols <= set(table.columns):
            if locations is not None:  # rows of other locations do not matter
                table = table[table[self.location_col].isin(list(locations))]
            keys = [self.time_col, self.location_col]
            dup = table.duplicated(keys)
            if dup.any() and self.duplicates == "error":
                first = table.loc[dup, keys].iloc[0].tolist()
                raise ValueError(
                    f"{int(dup.sum())} duplicated (time, location) rows, e.g. {first}; "
                    "deduplicate the table or pass duplicates='mean'."
                )
            # numbers before pandas averages them (its own error otherwise)
            to_numeric_array(
                table[self.value_col],
                name=f"table column {self.value_col!r}",
                allow_nan=True,
            )
            wide = table.pivot_table(
                index=self.time_col,
                columns=self.location_col,
                values=self.value_col,
                aggfunc="mean",
                dropna=False,
            )
            wide.index = self._parse_times(wide.index)
        else:
            wide = table.copy()
            if not isinstance(wide.index, pd.DatetimeIndex):
                raise ValueError(
                    "A wide table needs a DatetimeIndex; a long table needs the "
                    f"columns {sorted(long_cols)}. Got index {type(wide.index).__name__} "
                    f"and columns {list(wide.columns)[:5]}."
                )
            if wide.columns.has_duplicates:
                repeated = list(wide.columns[wide.columns.duplicated()].unique())
                raise ValueError(
                    f"The table has the column(s) {repeated[:5]} more than once; "
                    "each location must be one column."
                )
            if locations is not None:  # columns left out do not matter
                wide = self._select_locations(wide, locations)
            if wide.index.has_duplicates:
                if self.duplicates != "mean":
                    raise ValueError(
                        "The table has duplicated timestamps; deduplicate it or pass "
                        "duplicates='mean'."
                    )
                to_numeric_array(wide, name="table values", allow_nan=True)
                wide = wide.groupby(level=0).mean()
        if not wide.index.is_monotonic_increasing:
            wide = wide.sort_index()
        # the DataFrame itself: nullable columns' pd.NA is read as NaN
        values = to_numeric_array(wide, name="table values", allow_nan=True)
        return pd.DataFrame(
            values.astype(np.float64), index=wide.index, columns=wide.columns
        )

    def _regular_grid(self, wide: pd.DataFrame, freq: pd.Timedelta) -> pd.DataFrame:
        offsets = np.asarray((wide.index - wide.index[0]) / freq, dtype=np.float64)
        steps = np.round(offsets)
        # absolute: a relative tolerance grows with the offset and let
        # off-grid times of long tables through (beyond ~50 000 steps)
        # (sorted times: two within the tolerance of one grid time repeat it)
        if not (np.abs(offsets - steps) <= 1e-6).all() or (np.diff(steps) == 0).any():
            raise ValueError(
                f"Timestamps are not on a regular {freq} grid (irregular times); "
                "resample the table first, e.g. table.resample(freq).mean()."
            )
        # times within the tolerance are put on the grid: reindex matches
        # exact times only, and would replace their values by interpolation
        if (offsets != steps).any():
            elapsed = pd.to_timedelta(steps.astype(np.int64) * freq.value, unit="ns")
            snapped = wide.index[0] + elapsed
            if hasattr(snapped, "as_unit"):  # pandas >= 2: the table's unit
                snapped = snapped.as_unit(wide.index.unit)
            wide = wide.set_axis(snapped.rename(wide.index.name), axis=0)
        grid = pd.date_range(
            wide.index[0], wide.index[-1], freq=freq, name=wide.index.name
        )
        regular = wide.reindex(grid)
        gaps = regular.isna().to_numpy()
        empty = regular.columns[gaps.all(axis=0)]
        if len(empty):
            raise ValueError(
                f"Location(s) {list(empty)} have no value in the table; leave them "
                "out (locations=[...]) or fill them first."
            )
        if gaps.any():
            run = _longest_run(gaps)
            if run > self.max_gap:
                raise ValueError(
                    f"The table has a gap of {run} missing timesteps; at most "
                    f"max_gap={self.max_gap} are interpolated. Fill it yourself or "
                    "raise max_gap."
                )
            regular = regular.interpolate(method="time", limit_direction="both")
        return regular

    def _select_locations(self, wide: pd.DataFrame, locations) -> pd.DataFrame:
        if len(locations) == 0:
            raise ValueError("locations is empty; name at least one location.")
        repeated = pd.Index(locations)
        repeated = list(repeated[repeated.duplicated()].unique())
        if repeated:
            raise ValueError(
                f"locations names {repeated[:5]} more than once; each location "
                "is one column of the heatmap."
            )
        missing = [loc for loc in locations if loc not in wide.columns]
        if missing:
            raise ValueError(f"Locations {missing[:5]} are not in the table.")
        return wide[list(locations)]

    # -------------------------------------------------------------- estimator
    def _calendar_names(self) -> list[str]:
        names = ["value"]
        for field in self.calendar or ():
            names += (
                ["holiday"] if field == "holiday" else [f"{field}_sin", f"{field}_cos"]
            )
        return names

    def _parse_times(self, times: pd.Index) -> pd.DatetimeIndex:
        """The long table's time column as a DatetimeIndex."""
        if pd.api.types.is_numeric_dtype(times) or pd.api.types.is_bool_dtype(times):
            # pandas would read numbers as nanoseconds since 1970
            raise TypeError(
                f"The {self.time_col!r} column holds numbers ({times.dtype}), not "
                "times; convert it with its unit first, e.g. "
                f"pd.to_datetime(table[{self.time_col!r}], unit='s')."
            )
        try:
            return pd.DatetimeIndex(pd.to_datetime(times))
        except ValueError as exc:
            if "Mixed timezones" not in str(exc) and "utc=True" not in str(exc):
                raise
            raise ValueError(
                f"The {self.time_col!r} column holds times with different UTC "
                "offsets (e.g. local times across a daylight saving change). "
                "Convert it to one time zone first, e.g. "
                f"table[{self.time_col!r}] = pd.to_datetime(table[{self.time_col!r}], "
                "utc=True).dt.tz_convert('Europe/Berlin')."
            ) from exc

    def _holiday_dates(self) -> pd.DatetimeIndex:
        if self.holidays is None:
            raise ValueError(
                "calendar contains 'holiday' but holidays=None; pass the list of "
                "holiday dates, e.g. holidays=['2024-01-01', '2024-12-25']."
            )
        try:
            return pd.DatetimeIndex(pd.to_datetime(list(self.holidays)))
        except (TypeError, ValueError) as exc:  # pandas' DateParseError too
            raise ValueError(
                f"holidays must be dates (e.g. '2024-12-25'); pandas could not read "
                f"them: {exc}"
            ) from exc

    def _local_holidays(self, tz) -> pd.DatetimeIndex:
        """``holidays`` as local dates (no time zone) of a table in ``tz``.

        A date without a time zone is a local date already; one with a time
        zone is first converted to the table's (to naive dates if the table
        has none, its own local date).
        """
        dates = self._holiday_dates()
        if dates.tz is not None:
            dates = dates.tz_localize(None) if tz is None else dates.tz_convert(tz)
            dates = _wall_clock(dates)
        return dates.normalize()

    def _calendar_rows(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Calendar channels of each timestamp: ``(len(index), k)``."""
        columns = []
        for field in self.calendar or ():
            if field == "holiday":
                local_dates = _wall_clock(index).normalize()
                hit = local_dates.isin(self._local_holidays(index.tz))
                columns.append(np.asarray(hit, dtype=np.float64))
                continue
            phase = 2.0 * np.pi * _cycle_position(index, field)
            columns += [np.sin(phase), np.cos(phase)]
        return np.stack(columns, axis=1)

    def _grid_wide(self, wide: pd.DataFrame, freq, locations) -> pd.DataFrame:
        # locations first: gaps in the columns left out do not matter
        return self._regular_grid(self._select_locations(wide, locations), freq)

    @unfitted_on_error
    def fit(
        self,
        X: pd.DataFrame | list[pd.DataFrame] | tuple[pd.DataFrame, ...],
        y: object = None,
    ) -> Self:
        """Learn locations, time grid and scaling range from a table.

        Parameters
        ----------
        X : pandas.DataFrame or list of pandas.DataFrame
            Wide or long traffic table, or a list of such tables (windows);
            the range and grid are learned from all of them.
        y : ignored
            Not used; present for the Pipeline API.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        tables = self._tables(X)
        if self.calendar and "holiday" in self.calendar:
            self._holiday_dates()
        # each table converted once, only the locations asked for checked
        wides = [self._to_wide(t, self.locations) for t in tables]
        if self.freq is not None:
            freq = as_timedelta(self.freq)
        else:
            freq = self._common_step(wides)
        locations = (
            list(wides[0].columns) if self.locations is None else list(self.locations)
        )
        grids = [self._grid_wide(w, freq, locations) for w in wides]
        for wide in grids:
            self._check_covers_a_frame(wide)
        low = min(float(w.to_numpy().min()) for w in grids)
        high = max(float(w.to_numpy().max()) for w in grids)
        self.vmin_ = low if self.vmin is None else float(self.vmin)
        self.vmax_ = high if self.vmax is None else float(self.vmax)
        if not self.vmax_ > self.vmin_:
            if self.vmin is None and self.vmax is None:
                raise ValueError(
                    f"Every value of the table is {low:g}: a heatmap needs a range "
                    "of values. Pass vmin and vmax (the physical range, e.g. "
                    "vmin=0, vmax=110 for speeds in km/h)."
                )
            raise ValueError(
                f"Need vmax > vmin; got vmin={self.vmin_}, vmax={self.vmax_}."
            )
        self.locations_ = np.asarray(locations, dtype=object)
        self.freq_ = freq
        self.time_index_ = grids[0].index
        self.channel_names_ = self._calendar_names()
        self.n_channels_ = len(self.channel_names_)
        return self

    @staticmethod
    def _common_step(wides: list) -> pd.Timedelta:
        """The most common spacing of each table's timestamps, the same in all."""
        steps = []
        for wide in wides:
            if len(wide) < 2:
                raise ValueError("Cannot infer freq from fewer than 2 timestamps.")
            steps.append(_modal_step(wide.index))
        if len(set(steps)) > 1:
            raise ValueError(
                f"The tables have different time steps ({sorted(set(map(str, steps)))}"
                "): resample them to one, or pass freq to put them on its grid."
            )
        return steps[0]

    @staticmethod
    def _tables(X) -> list:
        if isinstance(X, list | tuple):
            if not X:
                raise ValueError("The list of tables is empty.")
            return list(X)
        return [X]

    def _check_fitted_step(self, wide: pd.DataFrame) -> None:
        """Refuse a table sampled at another step than the one ``fit`` inferred:
        a coarser one would be interpolated to ``freq_`` without a word."""
        if len(wide) < 2:
            return
        step = _modal_step(wide.index)
        if abs(step - self.freq_) > 2e-6 * self.freq_:
            raise ValueError(
                f"The table's time step is {step}, but this Heatmapper was fitted on "
                f"tables of step {self.freq_} (freq_): resample it to that step, or "
                "fit with freq=... to put every table on that grid."
            )

    def _check_covers_a_frame(self, wide: pd.DataFrame) -> None:
        if len(wide) < self.frame_length:
            raise ValueError(
                f"The table covers {len(wide)} timesteps; one frame needs "
                f"frame_length={self.frame_length}."
            )

    def _frames_of(self, table) -> np.ndarray:
        wide = self._to_wide(table, self.locations_)
        if self.freq is None:
            self._check_fitted_step(wide)
        wide = self._grid_wide(wide, self.freq_, self.locations_)
        self._check_covers_a_frame(wide)
        n_frames = len(wide) // self.frame_length
        n_rows = n_frames * self.frame_length
        values = wide.to_numpy()[:n_rows]
        scaled = np.clip((values - self.vmin_) / (self.vmax_ - self.vmin_), 0.0, 1.0)
        if self.invert:
            scaled = 1.0 - scaled
        frames = scaled.reshape(n_frames, self.frame_length, -1)
        if self.n_channels_ == 1:
            return frames.astype(np.float32)
        calendar = self._calendar_rows(wide.index[:n_rows])  # (n_rows, k)
        calendar = calendar.T.reshape(-1, n_frames, self.frame_length, 1)
        calendar = np.broadcast_to(calendar, (*calendar.shape[:3], frames.shape[2]))
        out = np.concatenate([frames[None], calendar], axis=0)  # (1 + k, n, L, N)
        return np.ascontiguousarray(out.transpose(1, 0, 2, 3), dtype=np.float32)

    def transform(
        self, X: pd.DataFrame | list[pd.DataFrame] | tuple[pd.DataFrame, ...]
    ) -> np.ndarray:
        """Table -> frames.

        Parameters
        ----------
        X : pandas.DataFrame or list of pandas.DataFrame
            Wide or long table with the fitted locations, or a list of
            tables that each give the same number of frames.

        Returns
        -------
        frames : ndarray of shape (n_frames, frame_length, n_locations) or (n_frames, n_channels, frame_length, n_locations), float32
            Values in [0, 1]; time on axis -2, location on axis -1; the
            channel axis (value, then calendar channels) only with
            ``calendar``. For a list of tables, one such array per table,
            stacked on a new first axis.
        """
        check_is_fitted(self)
        if not isinstance(X, list | tuple):
            return self._frames_of(X)
        sequences = [self._frames_of(t) for t in self._tables(X)]
        lengths = sorted({len(s) for s in sequences})
        if len(lengths) > 1:
            raise ValueError(
                "Every table of the list must give the same number of frames; got "
                f"{lengths}."
            )
        return np.stack(sequences)

    def _holds_calendar(self, frames: np.ndarray) -> bool:
        """Whether channels ``1..`` of ``(..., C, rows, locations)`` frames are
        calendar channels: sine-cosine pairs on the unit circle, 0/1 flags.

        Tells frames of ``transform`` from forecasts without a channel axis
        whose number of leads happens to equal ``n_channels_``.
        """
        names = self.channel_names_
        for j, name in enumerate(names):
            if name == "holiday" and not np.isin(frames[..., j, :, :], (0, 1)).all():
                return False
            if name.endswith("_sin"):
                s, c = frames[..., j, :, :], frames[..., j + 1, :, :]
                if not np.allclose(s * s + c * c, 1.0, atol=1e-3):
                    return False
        return True

    def inverse_transform(
        self, X: ArrayLike, index: ArrayLike | None = None
    ) -> pd.DataFrame:
        """Turn frames back into a wide table in the original units.

        Parameters
        ----------
        X : array-like of shape (n_frames, frame_length, n_locations) or (n_samples, n_frames, frame_length, n_locations)
            Heatmap frames (e.g. forecasts); extra leading axes are flattened
            in order. With ``calendar``, frames keep their channel axis,
            ``(..., C, frame_length, n_locations)`` with ``C = n_channels_``
            (frames of ``transform``) or 1 (forecasts of channel 0), and
            channel 0 alone is read.
        index : DatetimeIndex or None, default=None
            Timestamps of the rows. None uses the fitted grid when the
            number of rows matches it (the frames of the fitted table), else a
            RangeIndex.

        Returns
        -------
        table : pandas.DataFrame of shape (n_rows, n_locations)
            Columns ``locations_``.
        """
        check_is_fitted(self)
        frames = to_numeric_array(X, name="X", dtype=np.float64)
        if (
            frames.ndim < 3
            or frames.shape[-1] != len(self.locations_)
            or frames.shape[-2] != self.frame_length
        ):
            raise ValueError(
                f"X must have shape (..., frame_length={self.frame_length}, "
                f"{len(self.locations_)}); got {frames.shape}."
            )
        if self.n_channels_ > 1:
            keeps_axis = frames.ndim >= 4 and (
                frames.shape[-3] == 1
                or (
                    frames.shape[-3] == self.n_channels_
                    and self._holds_calendar(frames)
                )
            )
            if not keeps_axis:
                raise ValueError(
                    "This Heatmapper makes calendar channels: X must keep the channel "
                    f"axis, (..., C, frame_length, {len(self.locations_)}) with C = "
                    f"{self.n_channels_} (frames of transform, whose channels 1.. are "
                    f"the calendar's) or 1 (channel 0 only); got {frames.shape}. "
                    "Add it with X[..., None, :, :]."
                )
            frames = frames[..., 0, :, :]
        rows = frames.reshape(-1, len(self.locations_))
        scaled = 1.0 - rows if self.invert else rows
        values = self.vmin_ + scaled * (self.vmax_ - self.vmin_)
        n_fitted = (len(self.time_index_) // self.frame_length) * self.frame_length
        if index is None and len(values) == n_fitted:
            index = self.time_index_[:n_fitted]
        elif index is not None:
            index = self._check_index(index, len(values))
        return pd.DataFrame(values, index=index, columns=list(self.locations_))

    @staticmethod
    def _check_index(index, n_rows: int) -> pd.Index:
        """``inverse_transform``'s ``index`` as a pandas Index of ``n_rows``."""
        try:
            index = pd.Index(index)
        except TypeError:
            raise TypeError(
                f"index must be a sequence of the rows' timestamps (e.g. a "
                f"DatetimeIndex); got {type(index).__name__}."
            ) from None
        if len(index) != n_rows:
            raise ValueError(
                f"index has {len(index)} entries; X holds {n_rows} rows (its "
                "frames times frame_length)."
            )
        return index

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.dict = False
        return tags
