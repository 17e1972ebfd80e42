"""Tests of skseq.preprocessing.heatmap."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skseq.datasets import make_traffic_speeds
from skseq.preprocessing import Heatmapper


@pytest.fixture(scope="module")
def speeds():
    return make_traffic_speeds(n_days=2, n_locations=6, random_state=0)


def _long(wide):
    return (
        wide.rename_axis(index="time", columns="location")
        .stack()
        .rename("value")
        .reset_index()
    )


def test_wide_and_long_give_the_same_frames(speeds):
    a = Heatmapper().fit_transform(speeds)
    b = Heatmapper(locations=list(speeds.columns)).fit_transform(_long(speeds))
    assert a.shape == (2, 288, 6) and a.dtype == np.float32
    np.testing.assert_allclose(a, b)
    assert a.min() == 0.0 and a.max() == 1.0


def test_long_tables_indexed_by_time_and_numeric_times(speeds):
    long = _long(speeds)
    expected = Heatmapper().fit_transform(long)
    # indexed by its times (set_index): it was taken for a wide table, and
    # the advice of the error that followed led to a second one
    np.testing.assert_array_equal(
        Heatmapper().fit_transform(long.set_index("time")), expected
    )
    # numbers are no times: pandas read them as nanoseconds since 1970
    seconds = (long["time"] - pd.Timestamp("1970-01-01")) // pd.Timedelta("1s")
    numeric = long.assign(time=seconds)
    with pytest.raises(TypeError, match=r"holds numbers .* unit=.s."):
        Heatmapper().fit(numeric)


def test_round_trip_in_original_units(speeds):
    h = Heatmapper(invert=True).fit(speeds)
    back = h.inverse_transform(h.transform(speeds))
    pd.testing.assert_index_equal(back.index, speeds.index)
    assert list(back.columns) == list(speeds.columns)
    np.testing.assert_allclose(back.to_numpy(), speeds.to_numpy(), rtol=1e-5, atol=1e-4)


def test_scaling_order_invert_and_trailing_rows(speeds):
    h = Heatmapper(
        frame_length=100, vmin=0, vmax=120, invert=True, locations=["loc_05", "loc_00"]
    ).fit(speeds)
    frames = h.transform(speeds)
    assert frames.shape == (5, 100, 2)  # 576 rows -> 5 full frames, rest dropped
    np.testing.assert_allclose(
        frames[0, :, 0], 1 - speeds["loc_05"].iloc[:100] / 120, rtol=1e-5
    )


def test_gaps_duplicates_and_irregular_times(speeds):
    gappy = speeds.copy()
    gappy.iloc[10:12, 0] = np.nan
    filled = Heatmapper(max_gap=3).fit_transform(gappy)
    assert np.isfinite(filled).all()
    dropped = speeds.drop(speeds.index[20:22])
    assert Heatmapper(max_gap=2).fit_transform(dropped).shape == (2, 288, 6)
    with pytest.raises(ValueError, match="gap of 5"):
        Heatmapper(max_gap=3).fit(speeds.drop(speeds.index[20:25]))
    dup = pd.concat([speeds.iloc[:5], speeds])
    with pytest.raises(ValueError, match="duplicated"):
        Heatmapper().fit(dup)
    assert Heatmapper(duplicates="mean").fit_transform(dup.sort_index()).shape[0] == 2
    long = _long(speeds)
    with pytest.raises(ValueError, match="duplicated"):
        Heatmapper().fit(pd.concat([long, long.iloc[:3]]))
    irregular = speeds.copy()
    irregular.index = irregular.index + pd.to_timedelta(
        np.r_[0, np.full(len(speeds) - 1, 7)], unit="s"
    )
    with pytest.raises(ValueError, match="regular"):
        Heatmapper(freq="5min").fit(irregular)


def test_nullable_columns_read_pd_na_as_a_gap(speeds):
    gappy = speeds.copy()
    gappy.iloc[10:12, 0] = np.nan
    nullable = speeds.astype("Float64")
    nullable.iloc[10:12, 0] = pd.NA
    expected = Heatmapper(max_gap=3).fit_transform(gappy)
    np.testing.assert_array_equal(
        Heatmapper(max_gap=3).fit_transform(nullable), expected
    )
    long = _long(nullable)
    assert long["value"].dtype == "Float64"
    from_long = Heatmapper(max_gap=3, locations=list(speeds.columns))
    np.testing.assert_array_equal(from_long.fit_transform(long), expected)


def test_a_location_without_values_is_named(speeds):
    empty = speeds.copy()
    empty["loc_02"] = np.nan
    for heatmapper in (Heatmapper(max_gap=1000), Heatmapper(vmin=0, vmax=120)):
        with pytest.raises(ValueError, match=r"\['loc_02'\] have no value"):
            heatmapper.fit(empty)
    # left out, it does not matter (nor do the gaps of the columns left out)
    kept = [c for c in speeds.columns if c != "loc_02"]
    frames = Heatmapper(locations=kept).fit_transform(empty)
    np.testing.assert_array_equal(
        frames, Heatmapper(locations=kept).fit_transform(speeds)
    )


def test_freq_takes_pandas_aliases(speeds):
    hourly = speeds.resample("h").mean()
    frames = Heatmapper(frame_length=24, freq="h").fit_transform(hourly)
    assert frames.shape == (2, 24, 6)
    np.testing.assert_array_equal(
        frames, Heatmapper(frame_length=24, freq="1h").fit_transform(hourly)
    )


def test_input_errors(speeds):
    with pytest.raises(TypeError, match="DataFrame"):
        Heatmapper().fit(speeds.to_numpy())
    with pytest.raises(ValueError, match="DatetimeIndex"):
        Heatmapper().fit(speeds.reset_index(drop=True))
    with pytest.raises(ValueError, match="frame_length"):
        Heatmapper(frame_length=1000).fit(speeds)
    with pytest.raises(ValueError, match="not in the table"):
        Heatmapper(locations=["nowhere"]).fit(speeds)
    bad = speeds.astype(object)
    bad.iloc[0, 0] = "fast"
    with pytest.raises(TypeError, match="strings"):
        Heatmapper().fit(bad)


def test_params_clone_pickle(speeds):
    h = Heatmapper(frame_length=144, invert=True).fit(speeds)
    assert clone(h).get_params() == h.get_params()
    restored = pickle.loads(pickle.dumps(h))
    np.testing.assert_array_equal(restored.transform(speeds), h.transform(speeds))


# ------------------------------------------------------------------ calendar
def test_calendar_channels_encode_each_row(speeds):
    h = Heatmapper(
        frame_length=12,
        calendar=("hour", "dayofweek", "holiday"),
        holidays=["2024-01-02"],
    )
    frames = h.fit_transform(speeds)
    assert frames.shape == (48, 6, 12, 6) and frames.dtype == np.float32
    assert h.channel_names_ == [
        "value",
        "hour_sin",
        "hour_cos",
        "dayofweek_sin",
        "dayofweek_cos",
        "holiday",
    ]
    assert h.n_channels_ == 6
    np.testing.assert_array_equal(
        frames[:, 0], Heatmapper(frame_length=12).fit_transform(speeds)
    )
    # calendar channels are constant over locations
    np.testing.assert_array_equal(frames[:, 1:], frames[:, 1:, :, :1].repeat(6, -1))
    times = speeds.index[:576]
    day = (times.hour + times.minute / 60) / 24
    week = (times.day_of_week + day) / 7
    rows = frames[:, 1:, :, 0].transpose(0, 2, 1).reshape(576, 5)
    expected = np.stack(
        [
            np.sin(2 * np.pi * day),
            np.cos(2 * np.pi * day),
            np.sin(2 * np.pi * week),
            np.cos(2 * np.pi * week),
            (times.normalize() == pd.Timestamp("2024-01-02")).astype(float),
        ],
        axis=1,
    )
    np.testing.assert_allclose(rows, expected, atol=1e-6)


def test_calendar_phase_advances_by_a_constant_step(speeds):
    h = Heatmapper(frame_length=12, calendar=("minute", "dayofyear", "month"))
    frames = h.fit_transform(speeds).astype(np.float64)
    for k in (1, 3, 5):
        phase = np.arctan2(frames[:, k], frames[:, k + 1])
        advance = np.angle(np.exp(1j * np.diff(phase, axis=0)))
        assert np.ptp(advance) < 1e-4


def _hours_of(frames: np.ndarray) -> np.ndarray:
    """Hour of day of each row of frame 0 from its (sin, cos) channels."""
    return (np.arctan2(frames[0, 1, :, 0], frames[0, 2, :, 0]) / (2 * np.pi) * 24) % 24


def test_calendar_of_a_table_with_a_time_zone_is_the_local_clock():
    # the day daylight saving time starts in Berlin: 02:00 never happens
    index = pd.date_range("2024-03-31", periods=24, freq="h", tz="Europe/Berlin")
    wide = pd.DataFrame(np.arange(48.0).reshape(24, 2), index=index, columns=["a", "b"])
    frames = Heatmapper(frame_length=24, calendar=("hour",)).fit_transform(wide)
    np.testing.assert_allclose(_hours_of(frames), index.hour, atol=1e-4)  # float32
    # a holiday is a local date, given as a plain date or with a time zone
    index = pd.date_range("2024-01-01", periods=48, freq="h", tz="Europe/Berlin")
    wide = pd.DataFrame(np.arange(96.0).reshape(48, 2), index=index, columns=["a", "b"])
    for holidays in (["2024-01-01"], [pd.Timestamp("2024-01-01", tz="Europe/Berlin")]):
        heatmapper = Heatmapper(
            frame_length=24, calendar=("holiday",), holidays=holidays
        )
        for table in (wide, wide.tz_localize(None)):
            flags = heatmapper.fit_transform(table)[:, 1].mean(axis=(1, 2))
            np.testing.assert_array_equal(flags, [1.0, 0.0])
    # in UTC, the Berlin day starts at 23:00 on the day before
    heatmapper = Heatmapper(
        frame_length=24, calendar=("holiday",), holidays=["2024-01-01"]
    )
    flags = heatmapper.fit_transform(wide.tz_convert("UTC"))[:, 1, :, 0]
    np.testing.assert_array_equal(flags[0], np.r_[0.0, np.ones(23)])


def test_long_table_with_mixed_utc_offsets_says_how_to_convert():
    index = pd.date_range("2024-03-30 20:00", periods=16, freq="h", tz="Europe/Berlin")
    long = pd.DataFrame(
        {
            "time": np.repeat(index.strftime("%Y-%m-%dT%H:%M:%S%z"), 2),
            "location": ["a", "b"] * 16,
            "value": np.arange(32.0),
        }
    )
    with pytest.raises(ValueError, match=r"different UTC offsets.*tz_convert"):
        Heatmapper(frame_length=8).fit(long)
    long["time"] = pd.to_datetime(long["time"], utc=True).dt.tz_convert("Europe/Berlin")
    assert Heatmapper(frame_length=8).fit_transform(long).shape == (2, 8, 2)


def test_a_list_of_tables_of_different_steps_is_refused_without_freq():
    def table(start, freq):
        index = pd.date_range(start, periods=24, freq=freq)
        return pd.DataFrame({"a": np.arange(24.0), "b": np.arange(24.0)}, index=index)

    five, ten = table("2024-01-01", "5min"), table("2024-01-02", "10min")
    for tables in ([five, ten], [ten, five]):  # whatever the order
        with pytest.raises(ValueError, match="different time steps"):
            Heatmapper(frame_length=4).fit(tables)
    assert Heatmapper(frame_length=4).fit([five, five]).freq_ == pd.Timedelta("5min")
    # with freq given, each is put on its grid (the 10-minute one interpolated)
    assert Heatmapper(frame_length=4, freq="5min").fit([five, ten]).freq_ == (
        pd.Timedelta("5min")
    )


def test_tables_of_strings_are_refused_before_pandas_averages_them():
    index = pd.date_range("2024-01-01", periods=4, freq="h")
    long = pd.DataFrame(
        {"time": np.repeat(index, 2), "location": ["a", "b"] * 4, "value": "x"}
    )
    with pytest.raises(TypeError, match="table column 'value' contains strings"):
        Heatmapper(frame_length=2).fit(long)
    wide = pd.DataFrame({"a": ["x"] * 4}, index=index.repeat([1, 1, 1, 1]))
    wide.index = index[[0, 0, 1, 2]]  # a duplicated timestamp to average
    with pytest.raises(TypeError, match="table values contains strings"):
        Heatmapper(frame_length=2, duplicates="mean").fit(wide)


def test_calendar_none_and_empty_keep_3d_frames(speeds):
    for calendar in (None, ()):
        h = Heatmapper(frame_length=12, calendar=calendar)
        assert h.fit_transform(speeds).shape == (48, 12, 6)
        assert h.channel_names_ == ["value"]


def test_calendar_errors(speeds):
    with pytest.raises(ValueError, match="holidays=None"):
        Heatmapper(calendar=("holiday",)).fit(speeds)
    with pytest.raises(ValueError, match="holidays must be dates"):
        Heatmapper(calendar=("holiday",), holidays=["notadate"]).fit(speeds)
    for bad in ("hour", ("hour", "hour"), ("weekday",)):
        with pytest.raises(ValueError, match="calendar"):
            Heatmapper(calendar=bad).fit(speeds)


def test_inverse_transform_reads_channel_0(speeds):
    h = Heatmapper(frame_length=12, calendar=("hour",)).fit(speeds)
    frames = h.transform(speeds)
    back = h.inverse_transform(frames)
    pd.testing.assert_index_equal(back.index, speeds.index)
    np.testing.assert_allclose(back.to_numpy(), speeds.to_numpy(), atol=1e-3)
    # channel-0 forecasts with a channel axis of 1
    np.testing.assert_allclose(
        h.inverse_transform(frames[:, :1]).to_numpy(), back.to_numpy()
    )
    with pytest.raises(ValueError, match="channel axis"):
        h.inverse_transform(frames[:, 0])
    # a forecast without the channel axis whose leads are as many as the
    # channels (1 + 2 here) is not read as frames with channels
    leads = frames[None, :3, 0]  # (1, 3 leads, 12, 6)
    with pytest.raises(ValueError, match="channel axis"):
        h.inverse_transform(leads)
    np.testing.assert_allclose(
        h.inverse_transform(leads[:, :, None]).to_numpy(),
        back.to_numpy()[: 3 * 12],
    )


def test_inverse_transform_checks_frame_length_and_index(speeds):
    h = Heatmapper(frame_length=12).fit(speeds)
    frames = h.transform(speeds)
    with pytest.raises(ValueError, match="frame_length=12"):
        h.inverse_transform(frames[:, :5])
    rows = frames[:2].size // 6  # 24 rows
    index = pd.date_range("2024-01-01", periods=rows, freq="5min")
    back = h.inverse_transform(frames[:2], index=index)
    pd.testing.assert_index_equal(back.index, index)
    with pytest.raises(ValueError, match="index has 23 entries; X holds 24 rows"):
        h.inverse_transform(frames[:2], index=index[:-1])
    with pytest.raises(TypeError, match="index must be a sequence"):
        h.inverse_transform(frames[:2], index="abc")


def test_empty_or_repeated_locations_are_refused_and_leave_it_unfitted(speeds):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    first = speeds.columns[0]
    for locations, match in [
        ([], "locations is empty"),
        ([first, first], "more than once"),
    ]:
        with pytest.raises(ValueError, match=match):
            Heatmapper(locations=locations).fit(speeds)
    # a refit that fails after learning the range leaves no half-fitted state
    h = Heatmapper().fit(speeds)
    with pytest.raises(ValueError):
        h.set_params(vmin=200.0, vmax=100.0).fit(speeds)
    with pytest.raises(NotFittedError):
        check_is_fitted(h)


def test_list_of_tables_gives_one_sequence_per_table(speeds):
    h = Heatmapper(frame_length=12, vmin=0.0, vmax=110.0, calendar=("hour",))
    windows = [speeds.iloc[s : s + 36] for s in (0, 12, 100)]
    out = h.fit_transform(windows)
    assert out.shape == (3, 3, 3, 12, 6)
    whole = h.transform(speeds)
    np.testing.assert_array_equal(out[1], whole[1:4])
    with pytest.raises(ValueError, match="same number of frames"):
        h.transform([speeds.iloc[:36], speeds.iloc[:24]])
    with pytest.raises(ValueError, match="empty"):
        h.fit([])


def test_calendar_in_pipeline_grid_search_and_pickle(speeds):
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import Pipeline

    from skseq import ConvLSTMForecaster

    frames = Heatmapper(frame_length=12, vmin=0.0, vmax=110.0).fit_transform(speeds)
    starts = range(0, 40, 2)
    X = [speeds.iloc[12 * s : 12 * (s + 3)] for s in starts]  # 3 hours each
    y = np.stack([frames[s + 3 : s + 5] for s in starts])[:, :, None]  # channel 0
    pipe = Pipeline(
        [
            ("heatmapper", Heatmapper(frame_length=12, vmin=0.0, vmax=110.0)),
            (
                "forecaster",
                ConvLSTMForecaster(
                    hidden_channels=3,
                    n_layers=1,
                    max_epochs=1,
                    validation_fraction=None,
                    random_state=0,
                ),
            ),
        ]
    )
    search = GridSearchCV(
        pipe,
        {"heatmapper__calendar": [None, ("hour",), ("hour", "dayofweek")]},
        cv=KFold(2),
    ).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 3
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_.set_params(heatmapper__calendar=("hour",)).fit(X, y)
    assert best[-1].n_channels_in_ == 3 and best[-1].future_channels_ == [(1, 2)]
    pred = best.predict(X)
    assert pred.shape == y.shape
    restored = pickle.loads(pickle.dumps(best))
    np.testing.assert_array_equal(restored.predict(X), pred)


def test_constant_table_asks_for_vmin_and_vmax():
    index = pd.date_range("2026-01-05", periods=36, freq="5min")
    table = pd.DataFrame(50.0, index=index, columns=["loc_00", "loc_01"])
    with pytest.raises(
        ValueError, match=r"Every value of the table is 50.*vmin and vmax"
    ):
        Heatmapper(frame_length=12).fit(table)
    frames = Heatmapper(frame_length=12, vmin=0, vmax=100).fit_transform(table)
    np.testing.assert_allclose(frames, 0.5)


def test_off_grid_times_of_long_tables_are_refused():
    # the relative tolerance of np.allclose grew with the offset: beyond
    # ~50 000 steps an off-grid time passed and its value was dropped
    index = pd.date_range("2024-01-01", periods=100_001, freq="1s")
    index = index.insert(90_000, index[90_000] + pd.Timedelta("400ms")).delete(90_001)
    table = pd.DataFrame({"a": np.ones(len(index))}, index=index)
    with pytest.raises(ValueError, match="not on a regular"):
        Heatmapper(frame_length=10, freq="1s").fit(table)


def _hourly(values_a, values_b=None):
    index = pd.date_range("2024-01-01", periods=len(values_a), freq="h", name="time")
    if values_b is None:
        values_b = np.arange(len(values_a), dtype=float)
    return pd.DataFrame({"a": values_a, "b": values_b}, index=index)


def test_times_within_the_tolerance_keep_their_values():
    # 1 ms off the hourly grid: accepted as on it, so its value must be used,
    # not replaced by an interpolation of its neighbours
    table = _hourly([10.0, 20, 30, 99, 50, 60, 70, 80])
    jittered = table.index.to_series()
    jittered.iloc[3] += pd.Timedelta("1ms")
    table.index = pd.DatetimeIndex(jittered.to_numpy(), name="time")
    heat = Heatmapper(frame_length=4).fit(table)
    assert heat.vmax_ == 99.0
    restored = heat.inverse_transform(heat.transform(table))
    np.testing.assert_allclose(
        restored["a"], [10, 20, 30, 99, 50, 60, 70, 80], atol=1e-4
    )
    # every time after the first off by the same 1 ms: nothing is missing
    shifted = _hourly(np.arange(8.0))
    shifted.index = shifted.index[:1].append(shifted.index[1:] + pd.Timedelta("1ms"))
    assert Heatmapper(frame_length=4).fit(shifted).transform(shifted).shape == (2, 4, 2)


def test_a_coarser_table_is_refused_at_transform():
    index = pd.date_range("2024-01-01", periods=12, freq="5min", name="time")
    table = pd.DataFrame({"a": np.arange(12.0), "b": np.arange(12.0) * 2}, index=index)
    heat = Heatmapper(frame_length=4).fit(table)
    with pytest.raises(ValueError, match=r"time step is 0 days 00:10:00.*00:05:00"):
        heat.transform(table.resample("10min").mean())
    # with freq given, every table is put on its grid, as documented
    given = Heatmapper(frame_length=4, freq="5min").fit(table)
    assert given.transform(table.resample("10min").mean()).shape == (2, 4, 2)


def test_columns_left_out_are_not_checked_and_repeated_columns_refused():
    table = _hourly(np.arange(12.0))
    noted = table.assign(note="x", broken=np.inf)
    heat = Heatmapper(frame_length=4, locations=["a", "b"]).fit(noted)
    np.testing.assert_array_equal(heat.transform(noted), heat.transform(table))
    assert Heatmapper(frame_length=4).fit(table).transform(noted).shape == (3, 4, 2)
    long = table.reset_index().melt(id_vars="time", var_name="location")
    extra = pd.DataFrame({"time": table.index, "location": "c", "value": np.inf})
    long = pd.concat([long, extra])
    heat = Heatmapper(frame_length=4, locations=["a", "b"]).fit(long)
    np.testing.assert_array_equal(heat.transform(long), heat.transform(table))
    repeated = pd.concat([table, table[["a"]]], axis=1)
    for locations in (None, ["a", "b"]):
        with pytest.raises(ValueError, match=r"column\(s\) \['a'\] more than once"):
            Heatmapper(frame_length=4, locations=locations).fit(repeated)


def test_minute_phase_advances_below_a_second():
    index = pd.date_range("2024-01-01", periods=8, freq="500ms")
    table = pd.DataFrame({"a": np.arange(8.0), "b": np.arange(8.0) + 1}, index=index)
    frames = Heatmapper(frame_length=4, calendar=("minute",)).fit_transform(table)
    sin, cos = frames[:, 1, :, 0].ravel(), frames[:, 2, :, 0].ravel()
    seconds = (np.arctan2(sin, cos) / (2 * np.pi)) % 1 * 3600
    np.testing.assert_allclose(seconds, np.arange(8) * 0.5, atol=1e-3)
