"""Tests of skseq.metrics."""

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import GridSearchCV

from skseq.baselines import PersistenceForecaster
from skseq.metrics import (
    csi,
    far,
    mae,
    make_frame_scorer,
    make_threshold_scorer,
    nowcast_scores,
    pod,
    rmse,
)

# observed / forecast rain (mm/h); events are values > 1.0:
# obs events at 1, 2, 5; forecast events at 0, 1, 5  ->  H=2 (1, 5), M=1 (2), F=1 (0)
OBS = np.array([0.0, 2.0, 3.0, 0.0, 1.0, 7.0])
FCT = np.array([1.5, 2.0, 0.0, 0.0, 0.5, 6.0])


def test_hand_computed_values():
    assert csi(OBS, FCT, 1.0) == pytest.approx(2 / 4)
    assert pod(OBS, FCT, 1.0) == pytest.approx(2 / 3)
    assert far(OBS, FCT, 1.0) == pytest.approx(1 / 3)
    diff = FCT - OBS
    assert rmse(OBS, FCT) == pytest.approx(np.sqrt(np.mean(diff**2)))
    assert mae(OBS, FCT) == pytest.approx(np.mean(np.abs(diff)))
    assert rmse(OBS, OBS) == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_thresholds_compare_at_the_precision_of_the_data(dtype):
    # float32(0.1) > 0.1 in float64: it is at the threshold in its own precision
    obs = np.array([0.1, 0.1, 2.0, 0.0], dtype)
    fct = np.array([0.1, 2.0, 2.0, 0.0], dtype)
    hits = np.sum((obs > 0.1) & (fct > 0.1))  # numpy compares in the arrays' dtype
    union = np.sum((obs > 0.1) | (fct > 0.1))
    assert csi(obs, fct, 0.1) == hits / union == 0.5
    assert csi(obs, fct, 0.1) == csi(
        obs.astype(str).astype(float), fct.astype(str).astype(float), 0.1
    )
    # each field at its own precision
    assert pod(obs, fct.astype(np.float64), 0.1) == 1.0
    # nowcast_scores (which validates in float64 first) compares alike, and
    # so do containers of float32 values (a DataFrame, a list of arrays)
    table = nowcast_scores(obs.reshape(2, 2), fct.reshape(2, 2), thresholds=(0.1,))
    for name, score in (("CSI", csi), ("POD", pod), ("FAR", far)):
        per_lead = [score(obs[lead::2], fct[lead::2], 0.1) for lead in (0, 1)]
        np.testing.assert_equal(table[f"{name}@0.1"].to_numpy(), per_lead)
    if dtype is np.float32:
        frame = pd.DataFrame({"a": obs, "b": fct})
        assert csi(frame[["a"]], frame[["b"]], 0.1) == 0.5
    assert csi(list(obs.reshape(2, 2)), list(fct.reshape(2, 2)), 0.1) == 0.5


def test_no_events_is_nan():
    zeros = np.zeros((2, 3))
    assert np.isnan(csi(zeros, zeros)) and np.isnan(pod(zeros, zeros))
    assert np.isnan(far(zeros, zeros))


def test_axis_gives_one_score_per_lead_time():
    rng = np.random.default_rng(0)
    y = rng.random((4, 3, 5, 5)) * 4
    pred = y.copy()
    pred[:, 2] += 1.0
    per_lead = rmse(y, pred, axis=(0, 2, 3))
    np.testing.assert_allclose(per_lead, [0.0, 0.0, 1.0])
    assert mae(y, pred, axis=(0, 2, 3)).shape == (3,)
    scores = csi(y, pred, 2.0, axis=(0, 2, 3))
    assert scores[0] == 1.0 and scores[2] < 1.0


def test_nowcast_scores_table():
    rng = np.random.default_rng(0)
    y = rng.random((4, 2, 6, 6)) * 8
    table = nowcast_scores(y, y * 0.9, thresholds=(0.5, 5))
    assert list(table.index) == [1, 2] and table.index.name == "lead_time"
    assert {"MAE", "RMSE", "CSI@0.5", "POD@5", "FAR@5"} <= set(table.columns)
    assert table.loc[1, "MAE"] == pytest.approx(mae(y[:, 0], 0.9 * y[:, 0]))
    with pytest.raises(ValueError, match="lead time on axis 1"):
        nowcast_scores(np.ones(3), np.ones(3))
    # one threshold as a number; thresholds that print alike are refused
    one = nowcast_scores(y, y * 0.9, thresholds=0.5)
    pd.testing.assert_frame_equal(
        one, table[["MAE", "RMSE", "CSI@0.5", "POD@0.5", "FAR@0.5"]]
    )
    with pytest.raises(ValueError, match="same column names"):
        nowcast_scores(y, y * 0.9, thresholds=(2.0, 2.0000002))


def test_errors():
    with pytest.raises(ValueError, match="same shape"):
        rmse(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        csi(np.array([np.nan, 1.0]), np.ones(2))
    with pytest.raises(ValueError, match="Unknown threshold score"):
        make_threshold_scorer("ets")
    with pytest.raises(ValueError, match="Unknown frame score"):
        make_frame_scorer("r2")


@pytest.mark.parametrize("score", [csi, pod, far])
def test_threshold_must_be_a_finite_number(score):
    with pytest.raises(
        TypeError, match=r"threshold must be a finite real number; got '1'"
    ):
        score(OBS, FCT, threshold="1")
    with pytest.raises(
        ValueError, match="threshold must be a finite real number; got nan"
    ):
        score(OBS, FCT, threshold=np.nan)
    # numpy numbers, also 0-d arrays, are numbers
    assert score(OBS, FCT, threshold=np.float32(1.0)) == score(OBS, FCT, 1.0)
    assert score(OBS, FCT, threshold=np.array(1)) == score(OBS, FCT, 1.0)


def test_threshold_scorer_checks_its_threshold_when_made():
    # not later, inside a grid search
    with pytest.raises(TypeError, match="threshold must be a finite real number"):
        make_threshold_scorer("csi", threshold="x")
    with pytest.raises(ValueError, match="threshold must be a finite real number"):
        make_threshold_scorer("pod", threshold=np.inf)


def test_scorer_signs_in_grid_search():
    X = np.zeros((12, 1))
    y = np.tile([0.0, 3.0], 6)
    grid = GridSearchCV(
        DummyRegressor(),
        {"strategy": ["constant"], "constant": [0.0, 3.0]},
        scoring=make_threshold_scorer("far", threshold=1.0),
        cv=2,
    )
    # constant 0 never forecasts rain: FAR undefined (NaN); constant 3 always:
    # FAR = 0.5, negated by the scorer
    grid.fit(X, y)
    results = grid.cv_results_["mean_test_score"]
    assert results[1] == pytest.approx(-0.5)
    csi_scorer = make_threshold_scorer("csi", threshold=1.0)
    est = DummyRegressor(strategy="constant", constant=3.0).fit(X, y)
    assert csi_scorer(est, X, y) == pytest.approx(0.5)
    rmse_scorer = make_frame_scorer("rmse")
    assert rmse_scorer(est, X, y) == pytest.approx(-np.sqrt(np.mean((3 - y) ** 2)))


def test_frame_scorer_on_4d_targets():
    rng = np.random.default_rng(0)
    X = rng.random((6, 3, 4, 4))
    y = X[:, -1:] + 0.5
    est = PersistenceForecaster().fit(X, y)
    assert make_frame_scorer("mae")(est, X, y) == pytest.approx(-0.5)


def test_matches_pysteps_det_cat_fct():
    pytest.importorskip("pysteps")
    from pysteps.verification.detcatscores import det_cat_fct

    rng = np.random.default_rng(1)
    obs = rng.gamma(0.5, 3.0, size=(3, 20, 20))
    fct = obs * rng.uniform(0.5, 1.5, size=obs.shape)
    for threshold in (0.5, 1.0, 5.0):
        ref = det_cat_fct(fct, obs, threshold, ["CSI", "POD", "FAR"])
        assert csi(obs, fct, threshold) == pytest.approx(ref["CSI"])
        assert pod(obs, fct, threshold) == pytest.approx(ref["POD"])
        assert far(obs, fct, threshold) == pytest.approx(ref["FAR"])


@pytest.mark.parametrize("shape", [(2, 0, 3), (2, 3, 0, 4)])
def test_arrays_without_values_are_refused(shape):
    # a zero-length axis beyond the second gave NaN with numpy's warnings
    # (csi: silently), where (2, 0) was already refused
    from skseq.metrics import crps_ensemble, csi, mae, rmse

    empty = np.zeros(shape)
    for score in (rmse, mae, csi):
        with pytest.raises(ValueError, match="y_true has no value"):
            score(empty, empty)
    with pytest.raises(ValueError, match="y_true has no value"):
        crps_ensemble(empty, np.zeros((shape[0], 3, *shape[1:])))
