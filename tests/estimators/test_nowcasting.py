"""Tests of skseq.estimators.nowcasting."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skseq import UNetNowcaster
from skseq.metrics import make_threshold_scorer
from skseq.utils.estimator_checks import parametrize_with_skseq_checks

TINY = UNetNowcaster._get_test_params()[0]


@parametrize_with_skseq_checks(
    [UNetNowcaster(**p) for p in UNetNowcaster._get_test_params()]
)
def test_skseq_estimator_checks(estimator, check):
    check(estimator)


def _rain(n=8, T=4, H=37, W=53, seed=0):
    """Gaussian rain cells drifting right by one pixel per frame, in mm/h."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:H, :W]
    frames = np.zeros((n, T + 1, H, W), dtype=np.float32)
    for i in range(n):
        cy, cx = rng.uniform(5, H - 5), rng.uniform(5, W - 15)
        for t in range(T + 1):
            frames[i, t] = 10 * np.exp(-((yy - cy) ** 2 + (xx - cx - t) ** 2) / 20)
    frames[frames < 0.1] = 0.0
    return frames[:, :T], frames[:, T:]


def test_odd_frame_size_and_layouts():
    X, y = _rain()
    est = UNetNowcaster(**dict(TINY, depth=3)).fit(X, y)
    assert est.predict(X).shape == (8, 1, 37, 53)
    est3 = UNetNowcaster(**TINY).fit(X, y[:, 0])  # y as (n, H, W)
    assert est3.predict(X).shape == (8, 37, 53)
    est5 = UNetNowcaster(**TINY).fit(X[:, :, None], y[:, :, None])
    assert est5.predict(X[:, :, None]).shape == (8, 1, 1, 37, 53)


@pytest.mark.parametrize("two_path", [False, True])
def test_predict_sequence_shape(two_path):
    X, y = _rain(n=4)
    est = UNetNowcaster(**dict(TINY, two_path=two_path, convlstm_hidden=2)).fit(X, y)
    assert est.predict_sequence(X, n_steps=3).shape == (4, 3, 37, 53)
    assert est.predict_sequence(X[:, :, None], n_steps=2).shape == (4, 2, 1, 37, 53)
    np.testing.assert_allclose(est.predict_sequence(X, 1)[:, 0], est.predict(X)[:, 0])


def test_rejects_multi_frame_targets():
    X, _ = _rain()
    with pytest.raises(ValueError, match="one frame ahead"):
        UNetNowcaster(**TINY).fit(X, X[:, :2])


def test_log_transform_round_trip_and_negative_input():
    X, y = _rain()
    est = UNetNowcaster(**dict(TINY, log_transform=True)).fit(X, y)
    assert np.all(est.predict(X) > -0.01 - 1e-6)
    with pytest.raises(ValueError, match="negative values"):
        UNetNowcaster(**dict(TINY, log_transform=True)).fit(X - 1, y)
    with pytest.raises(ValueError, match="negative values"):
        est.predict(X - 1)


@pytest.mark.parametrize("log_transform", [False, True])
def test_clip_output_bounds_predictions_and_fed_back_frames(log_transform):
    X, y = _rain()
    est = UNetNowcaster(**dict(TINY, log_transform=log_transform)).fit(X, y)
    assert est.target_range_ == (float(y.min()), float(y.max()))
    # a network output far outside anything seen in training, in network space
    wild = np.where(np.indices(y[:, 0].shape).sum(axis=0) % 2 == 0, 50.0, -50.0)
    fed_back = []

    def network_output(window):
        fed_back.append(window[:, -1].copy())
        return wild[: len(window), np.newaxis].astype(np.float32)  # (n, C, H, W)

    est._network_output = network_output
    low, high = est.target_range_
    for pred in (est.predict(X), est.predict_sequence(X, n_steps=3)):
        np.testing.assert_allclose(pred.min(), low, atol=1e-5)
        np.testing.assert_allclose(pred.max(), high, rtol=1e-5)
    # the frames predict_sequence fed back were clipped too (in network space)
    network_high = np.log(high + 0.01) if log_transform else high
    assert max(frame.max() for frame in fed_back[2:]) <= network_high + 1e-5

    est.set_params(clip_output=False)
    assert est.predict(X).max() > 4 * high  # exp(50) or 50, unclipped


def test_too_few_input_frames_and_mismatch():
    X, y = _rain()
    est = UNetNowcaster(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="was fitted on"):
        est.predict(X[:, :3])
    with pytest.raises(ValueError, match="was fitted on"):
        est.predict(X[:, :, :30])


def test_beats_persistence_on_moving_cells():
    X, y = _rain(n=32, H=24, W=32)
    est = UNetNowcaster(
        depth=2,
        base_channels=8,
        dropout=0.0,
        max_epochs=60,
        lr=3e-3,
        validation_fraction=None,
        random_state=0,
    ).fit(X, y)
    X_test, y_test = _rain(n=8, H=24, W=32, seed=1)
    mae_model = np.abs(est.predict(X_test) - y_test).mean()
    mae_persistence = np.abs(X_test[:, -1:] - y_test).mean()
    assert mae_model < mae_persistence


def test_grid_search_with_threshold_scorer():
    X, y = _rain(n=8, H=16, W=24)
    grid = GridSearchCV(
        UNetNowcaster(**TINY),
        {"base_channels": [2, 3]},
        scoring=make_threshold_scorer("csi", threshold=1.0),
        cv=2,
    ).fit(X, y)
    assert 0.0 <= grid.best_score_ <= 1.0 or np.isnan(grid.best_score_)
