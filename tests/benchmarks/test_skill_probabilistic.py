"""Tests of benchmarks/skill_probabilistic.py's traffic-coverage part.

The coverage figures themselves come from default forecasters fitted by hand
(docs/benchmarks.rst); these tests run the same code with a one-epoch
network to check the corridors and the table it reports.
"""

import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import skseq
from skseq.datasets import make_traffic_speeds

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
    tiny = partial(skseq.ConvLSTMForecaster, hidden_channels=2, max_epochs=1)
    monkeypatch.setattr(skseq, "ConvLSTMForecaster", tiny)
    table = probabilistic.traffic_coverage(random_state=0, corridor="short")
    assert list(table.index) == [1, 2, 3]
    coverage = table["coverage of 80% interval"]
    assert coverage.between(0, 1).all()
    assert (table["mean width (km/h)"] > 0).all()
    assert (table["RMSE of predict (km/h)"] > 0).all()
    # the overall coverage is the mean over the horizons (equal counts each)
    np.testing.assert_allclose(table["overall"].iloc[0], coverage.mean())
    # 10 days of hourly 12-row frames, 6 -> 3 windows, the last quarter
    # minus the two that overlap the training targets
    assert table["n_test"].iloc[0] == 56
