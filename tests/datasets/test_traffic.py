"""Tests of make_traffic_speeds: a cell transmission model of a corridor."""

import numpy as np
import pandas as pd
import pytest

from skseq.datasets import make_traffic_speeds


@pytest.fixture(scope="module")
def week():
    return make_traffic_speeds(n_days=7, random_state=0)


def test_layout_and_range(week):
    assert week.shape == (7 * 288, 40)
    assert isinstance(week.index, pd.DatetimeIndex) and week.index.freq == "5min"
    assert list(week.columns[:2]) == ["loc_00", "loc_01"]
    assert week.values.min() >= 3 and week.values.max() <= 105
    assert np.isfinite(week.values).all()


def test_determinism_and_seed(week):
    pd.testing.assert_frame_equal(week, make_traffic_speeds(n_days=7, random_state=0))
    other = make_traffic_speeds(n_days=7, random_state=1)
    assert not np.allclose(week.values, other.values)


def test_jam_at_bottleneck_in_peak_and_spreads_upstream(week):
    monday = week.iloc[:288].to_numpy()
    congested = monday < 50
    bottleneck = 30  # 0.75 * 40
    morning = slice(7 * 12, 11 * 12)
    assert congested[morning, bottleneck - 1].any()  # queue right behind it
    assert not congested[morning, bottleneck + 2 :].any()  # free flow downstream
    # tail of the queue: the most upstream congested cell, over the onset
    onset = []
    for step in range(7 * 12, 10 * 12):
        cells = np.flatnonzero(congested[step, :bottleneck])
        if len(cells):
            onset.append(cells.min())
    assert len(onset) > 6
    assert onset[-1] < onset[0] - 5  # moved upstream by several cells
    assert not congested[2 * 12 : 5 * 12].any()  # night is free-flowing


def test_weekend_less_congested(week):
    weekday = (week.iloc[: 5 * 288] < 50).mean()
    weekend = (week.iloc[5 * 288 :] < 50).mean()
    assert weekend.mean() < 0.5 * weekday.mean()


def test_demand_follows_the_clock_of_a_start_at_noon():
    def congested_hours(start):
        speeds = make_traffic_speeds(
            n_days=3, noise_std=0.0, start=start, random_state=0
        )
        return sorted(set(speeds.index[speeds.min(axis=1) < 60].hour))

    midnight = congested_hours("2024-01-01")
    assert congested_hours("2024-01-01 12:00") == midnight
    assert 8 in midnight and 18 in midnight  # the morning and evening peaks


def test_demand_follows_the_local_clock_across_a_clock_change():
    import pandas as pd

    # 2024-03-31: clocks in Paris go forward at 02:00, a congested Sunday
    kw = {"n_days": 1, "freq": "15min", "noise_std": 0.0, "demand_scale": 1.6}
    local = make_traffic_speeds(
        start=pd.Timestamp("2024-03-31", tz="Europe/Paris"), random_state=0, **kw
    )
    local.index = local.index.tz_localize(None)  # the wall-clock times
    naive = make_traffic_speeds(start="2024-03-31", random_state=0, **kw)
    afternoon = naive.index[(naive.index.hour >= 12)]
    assert (naive.loc[afternoon] < 60).to_numpy().any()  # a queue to compare
    # the same demand at the same clock time: the afternoons are identical
    # (they were an hour apart when the demand followed the elapsed time)
    pd.testing.assert_frame_equal(
        local.loc[afternoon], naive.loc[afternoon], check_freq=False
    )


@pytest.mark.parametrize(
    "zone, start",
    [
        ("America/Santiago", "2024-09-06"),  # 2024-09-08 has no midnight
        ("America/Havana", "2024-03-08"),  # 2024-03-10 has no midnight
        ("America/Havana", "2024-11-01"),  # 2024-11-03 has two midnights
    ],
)
def test_clock_change_at_midnight(zone, start):
    import pandas as pd

    # the local dates split the days: pandas cannot normalise such a day's
    # times to a midnight it lacks or has twice (this raised before)
    kw = {"n_days": 3, "n_locations": 4, "freq": "1h", "noise_std": 0.0}
    local = make_traffic_speeds(
        start=pd.Timestamp(start, tz=zone), random_state=0, **kw
    )
    naive = make_traffic_speeds(start=start, random_state=0, **kw)
    assert local.shape == (72, 4) and str(local.index.tz) == zone
    assert np.isfinite(local.to_numpy()).all()
    # the two days before the change are the naive days
    np.testing.assert_array_equal(local.to_numpy()[:48], naive.to_numpy()[:48])


def test_freq_and_start_take_numpy_and_datetime_types():
    import datetime

    pandas_alias = make_traffic_speeds(n_days=1, freq="30min", random_state=0)
    numpy_freq = make_traffic_speeds(
        n_days=1, freq=np.timedelta64(30, "m"), random_state=0
    )
    np.testing.assert_array_equal(numpy_freq.to_numpy(), pandas_alias.to_numpy())
    dated = make_traffic_speeds(
        n_days=1, freq="30min", start=datetime.date(2024, 1, 1), random_state=0
    )
    np.testing.assert_array_equal(dated.to_numpy(), pandas_alias.to_numpy())


def test_a_harsher_bottleneck_queues_longer():
    # the upstream demand does not depend on the bottleneck: the lower its
    # capacity, the more slow traffic (it was sized to it, so the reverse)
    slow = [
        (
            make_traffic_speeds(
                n_days=3, bottleneck_capacity=b, noise_std=0, random_state=0
            )
            < 60
        )
        .to_numpy()
        .sum()
        for b in (0.5, 0.7, 0.85, 1.0)
    ]
    assert slow[0] > slow[1] > slow[2] > slow[3] == 0


def test_freq_takes_pandas_aliases():
    hourly = make_traffic_speeds(n_days=1, n_locations=4, freq="h", random_state=0)
    assert len(hourly) == 24 and hourly.index.freq == "h"
    # "D" is a calendar day in pandas 3 (not a Timedelta): one step a day
    daily = [
        make_traffic_speeds(n_days=2, n_locations=4, freq=f, random_state=0)
        for f in ("D", "1D", "24h")
    ]
    for other in daily[1:]:
        np.testing.assert_array_equal(daily[0].to_numpy(), other.to_numpy())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_days": 0}, r"n_days must be an integer >= 1; got 0"),
        ({"free_flow_speed": 300}, r"free_flow_speed must be in \[30, 130\] km/h"),
        ({"bottlenecks": (1.5,)}, r"bottlenecks must be fractions in \(0, 1\)"),
        ({"freq": "7min"}, "freq must be a whole number of seconds that divides"),
        ({"freq": "500ms"}, "freq must be a whole number of seconds"),
        ({"noise_std": np.nan}, "noise_std must be a finite real number"),
        ({"demand_scale": np.inf}, "demand_scale must be a finite real number"),
        ({"bottleneck_capacity": 0}, r"bottleneck_capacity must be in \(0, 1\]"),
        ({"free_flow_speed": "90"}, "free_flow_speed must be a finite real number"),
        ({"bottlenecks": 0.5}, "bottlenecks must be a sequence of fractions"),
        ({"bottlenecks": (0.5, 0.51)}, "two lane drops in one of the 40 cells"),
        ({"freq": 300}, "pandas would read|pandas offset such as '5min'"),
        ({"start": None}, "start must be a timestamp"),
        ({"start": "next monday"}, "start must be a timestamp"),
        ({"start": 20240101}, "start must be a timestamp .* the number 20240101"),
        ({"start": np.int64(5)}, "start must be a timestamp .* the number"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_traffic_speeds(**kwargs)


def test_location_names_sort_in_road_order():
    # two digits put loc_100 between loc_10 and loc_11 once sorted (as a long
    # table's locations are by Heatmapper)
    speeds = make_traffic_speeds(n_days=1, n_locations=101, random_state=0)
    assert speeds.columns[0] == "loc_000" and speeds.columns[-1] == "loc_100"
    assert sorted(speeds.columns) == list(speeds.columns)


def test_a_bottleneck_in_the_first_cell_is_refused():
    # it limited only the entry queue: a day without any slowdown
    with pytest.raises(ValueError, match=r"at least 1 / n_locations = 0\.025"):
        make_traffic_speeds(n_days=1, bottlenecks=(0.02,), random_state=0)
    slowed = make_traffic_speeds(n_days=1, bottlenecks=(0.025,), random_state=0)
    assert slowed.values.min() < 60
    # exactly 1 / n_locations, whose product with n rounds below 1 (1/49 * 49)
    for n in (49, 98, 103):
        assert int(1 / n * n) == 0
        speeds = make_traffic_speeds(
            n_days=1, n_locations=n, bottlenecks=(1 / n,), random_state=0
        )
        assert speeds.shape[1] == n
