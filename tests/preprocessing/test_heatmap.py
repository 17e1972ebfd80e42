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
