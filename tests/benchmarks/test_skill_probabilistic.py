"""Tests of benchmarks/skill_probabilistic.py's traffic-coverage part.

The coverage figures themselves come from default forecasters fitted by hand
(docs/benchmarks.rst); these tests run the same code with a one-epoch
network to check the corridors and the table it reports.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import skseq
from skseq.datasets import make_traffic_speeds
from skseq.preprocessing import Heatmapper, sliding_windows

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def probabilistic(request):
    """``skill_probabilistic``, imported from benchmarks/."""
    sys.path.insert(0, str(BENCHMARKS))
    request.addfinalizer(lambda: sys.path.remove(str(BENCHMARKS)))
    import skill_probabilistic

    return skill_probabilistic


@pytest.mark.parametrize("corridor", ["default", "two-bottleneck", "short"])
def test_corridors_make_traffic_speeds(probabilistic, corridor):
    settings, first_seed, v_max = probabilistic.CORRIDORS[corridor]
    speeds = make_traffic_speeds(**settings, random_state=first_seed)
    assert speeds.shape[1] == settings["n_locations"]
    assert 0 < speeds.to_numpy().max() <= v_max


def test_traffic_coverage_table(probabilistic, monkeypatch):
    Forecaster, fitted = skseq.ConvLSTMForecaster, []

    def tiny(**kwargs):  # a one-epoch network, kept to check the table with
        fitted.append(Forecaster(hidden_channels=2, max_epochs=1, **kwargs))
        return fitted[-1]

    monkeypatch.setattr(skseq, "ConvLSTMForecaster", tiny)
    table = probabilistic.traffic_coverage(random_state=0, corridor="short")
    assert list(table.index) == [1, 2, 3]
    # the figures, recomputed from the forecaster the benchmark fitted
    (est,) = fitted
    settings, first_seed, v_max = probabilistic.CORRIDORS["short"]
    speeds = make_traffic_speeds(**settings, random_state=first_seed)
    frames = Heatmapper(frame_length=12, vmin=0.0, vmax=v_max).fit_transform(speeds)
    X, y = sliding_windows(frames, n_input=6, n_output=3)
    test = slice(int(0.75 * len(X)) + 2, len(X))
    members = v_max * est.predict_ensemble(X[test], 20, random_state=0)
    low, high = np.quantile(members, [0.1, 0.9], axis=1)
    truth = v_max * y[test]
    inside = (truth >= low) & (truth <= high)
    coverage = table["coverage of 80% interval"]
    np.testing.assert_allclose(coverage, inside.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(
        table["mean width (km/h)"], (high - low).mean(axis=(0, 2, 3)), rtol=1e-6
    )
    rmse = np.sqrt(((v_max * est.predict(X[test]) - truth) ** 2).mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(table["RMSE of predict (km/h)"], rmse, rtol=1e-6)
    assert np.isfinite(table["fit_time_s"]).all() and table["fit_time_s"].iloc[0] > 0
    assert table["n_calibration"].iloc[0] == est.n_calibration_samples_
    # the overall coverage is the mean over the horizons (equal counts each)
    np.testing.assert_allclose(table["overall"].iloc[0], coverage.mean())
    # 10 days of hourly 12-row frames, 6 -> 3 windows, the last quarter
    # minus the two that overlap the training targets
    assert table["n_test"].iloc[0] == 56
