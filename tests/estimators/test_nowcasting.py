"""Tests of skseq.estimators.nowcasting."""

import pickle

import numpy as np
import pytest
import torch
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


def _rain_leads(n=6, T=4, leads=3, H=21, W=26, seed=0):
    """(X, y) with ``leads`` future frames of the drifting cells."""
    X, _ = _rain(n=n, T=T + leads, H=H, W=W, seed=seed)
    return X[:, :T], X[:, T:]


def test_multi_frame_targets_train_the_recursion():
    X, y = _rain_leads()
    assert y.shape == (6, 3, 21, 26)
    est = UNetNowcaster(**TINY).fit(X, y)
    assert est.n_output_frames_ == 3 and est.module_.n_steps == 3
    pred = est.predict(X)
    assert pred.shape == (6, 3, 21, 26)
    # predict is the recursion over the fitted leads; longer ones continue it
    np.testing.assert_allclose(pred, est.predict_sequence(X, 3), rtol=1e-6)
    np.testing.assert_allclose(
        est.predict_sequence(X, 5)[:, :3], pred, rtol=1e-5, atol=1e-6
    )
    assert est.predict_sequence(X, 1).shape == (6, 1, 21, 26)
    # score compares predict(X) with a y of the fitted layout
    assert np.isfinite(est.score(X, y))
    with pytest.raises(ValueError, match="shape"):
        est.score(X, y[:, :1])


def test_multi_frame_targets_layouts():
    X, y = _rain_leads(n=4)
    est5 = UNetNowcaster(**TINY).fit(X[:, :, None], y[:, :, None])
    assert est5.predict(X[:, :, None]).shape == (4, 3, 1, 21, 26)
    assert est5.predict_sequence(X[:, :, None], 4).shape == (4, 4, 1, 21, 26)
    assert est5.predict_sequence(X, 2).shape == (4, 2, 21, 26)


def test_target_channels_must_match_to_feed_back():
    X, y = _rain_leads(n=4)
    y2 = np.stack([y, y], axis=2)  # (n, 3, 2, H, W): two target channels
    with pytest.raises(ValueError, match="as many channels"):
        UNetNowcaster(**TINY).fit(X, y2)
    # one frame of other channels: no feedback, no residual
    est = UNetNowcaster(**dict(TINY, residual="none")).fit(X, y2[:, :1])
    assert est.predict(X).shape == (4, 1, 2, 21, 26)
    with pytest.raises(ValueError, match="output channels"):
        est.predict_sequence(X, 2)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"residual": "prior", "advection_prior": False}, "advection_prior"),
        ({"residual": "frame"}, "'residual' parameter"),
    ],
)
def test_invalid_residual(params, match):
    X, y = _rain_leads(n=4)
    with pytest.raises(ValueError, match=match):
        UNetNowcaster(**dict(TINY, **params)).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"advection_prior": False, "residual": "none"},
        {"advection_prior": True, "residual": "prior"},
        {"advection_prior": False, "residual": "last", "log_transform": True},
    ],
)
def test_variants_fit_and_predict(params):
    X, y = _rain_leads(n=4)
    est = UNetNowcaster(**dict(TINY, **params)).fit(X, y)
    pred = est.predict_sequence(X, 4)
    assert pred.shape == (4, 4, 21, 26) and np.all(np.isfinite(pred))
    low, high = est.target_range_
    assert pred.min() >= low - 1e-5 and pred.max() <= high * (1 + 1e-5)


def test_auto_epochs_count_pixels_and_unrolled_leads():
    X, y = _rain_leads(n=6, leads=3)
    est = UNetNowcaster(depth=1, base_channels=2, random_state=0)
    assert est.max_epochs == "auto" and est.batch_size == 4
    # 6 samples, batch 4 (no validation split): 2 steps per epoch; the budget
    # buys 24 steps of 3 leads on 21 x 26 frames, or 3 times as many of 1 lead
    est._auto_budget = 21 * 26 * 3 * 4 * 24
    assert est.fit(X, y).max_epochs_ == 12 == est.n_epochs_
    assert est.fit(X, y[:, :1]).max_epochs_ == 36


def test_pickle_round_trip():
    X, y = _rain_leads(n=4)
    est = UNetNowcaster(**TINY).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    np.testing.assert_array_equal(
        restored.predict_sequence(X, 4), est.predict_sequence(X, 4)
    )


def test_log_transform_round_trip_and_negative_input():
    X, y = _rain()
    est = UNetNowcaster(**dict(TINY, log_transform=True)).fit(X, y)
    assert np.all(est.predict(X) > -0.01 - 1e-6)
    with pytest.raises(ValueError, match="negative values"):
        UNetNowcaster(**dict(TINY, log_transform=True)).fit(X - 1, y)
    with pytest.raises(ValueError, match="negative values"):
        est.predict(X - 1)


class _Wild(torch.nn.Module):
    """A one-step network far outside the training range; records its input."""

    def __init__(self):
        super().__init__()
        self.windows = []

    def forward(self, x):
        self.windows.append(x.detach().clone())
        n, _, c, h, w = x.shape
        checker = torch.from_numpy(np.indices((h, w)).sum(axis=0) % 2 == 0)
        return torch.where(checker, 50.0, -50.0).expand(n, c, h, w).float()


@pytest.mark.parametrize("log_transform", [False, True])
def test_clip_output_bounds_predictions_and_fed_back_frames(log_transform):
    X, y = _rain_leads()
    est = UNetNowcaster(**dict(TINY, log_transform=log_transform)).fit(X, y)
    assert est.target_range_ == (float(y.min()), float(y.max()))
    low, high = est.target_range_
    network_low, network_high = (
        (np.log(low + 0.01), np.log(high + 0.01)) if log_transform else (low, high)
    )
    # the clip is part of the trained recursion (in network space)
    np.testing.assert_allclose(est.module_.clamp, (network_low, network_high))
    wild = _Wild()
    est.module_.step = wild
    for pred in (est.predict(X), est.predict_sequence(X, n_steps=4)):
        np.testing.assert_allclose(pred.min(), low, atol=1e-5)
        np.testing.assert_allclose(pred.max(), high, rtol=1e-5)
    # the frames predict_sequence fed back were clipped too: the last frame of
    # the window (before the appended advection prior) from step 2 on
    fed_back = [window[:, -2].numpy() for window in wild.windows[-3:]]
    assert max(frame.max() for frame in fed_back) <= network_high + 1e-5
    assert min(frame.min() for frame in fed_back) >= network_low - 1e-5

    est.set_params(clip_output=False)
    with np.errstate(over="ignore"):  # exp(50 k) at lead k
        assert est.predict(X).max() > 4 * high  # unclipped


def test_clip_output_false_trains_without_clamp():
    X, y = _rain_leads(n=4)
    est = UNetNowcaster(**dict(TINY, clip_output=False)).fit(X, y)
    assert est.module_.clamp is None


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


def test_accelerator_on_cpu_predicts_like_plain_skorch():
    accelerate = pytest.importorskip("accelerate")
    X, y = _rain_leads(n=4)
    plain = UNetNowcaster(**TINY).fit(X, y)
    accelerated = UNetNowcaster(
        **TINY, accelerator=accelerate.Accelerator(cpu=True)
    ).fit(X, y)
    np.testing.assert_array_equal(accelerated.predict(X), plain.predict(X))
    np.testing.assert_array_equal(
        accelerated.predict_sequence(X, 4), plain.predict_sequence(X, 4)
    )


@pytest.mark.parametrize("two_path", [False, True])
def test_predict_fast_path_matches_training_path(two_path):
    """predict runs in inference mode (channels_last, fused ConvLSTM gates);
    it gives the outputs of the training-path network within 1e-5."""
    X, y = _rain_leads(n=4)
    est = UNetNowcaster(**dict(TINY, two_path=two_path, convlstm_hidden=3)).fit(X, y)
    module = est.module_.eval()
    with torch.no_grad():
        slow = module(torch.as_tensor(X[:, :, None]), 4)[:, :, 0].numpy()
    np.testing.assert_allclose(est.predict_sequence(X, 4), slow, rtol=1e-5, atol=1e-5)


def test_predict_runs_in_inference_mode():
    X, y = _rain(n=4)
    est = UNetNowcaster(**TINY).fit(X, y)
    seen = []
    est.module_.register_forward_pre_hook(
        lambda module, args: seen.append(torch.is_inference_mode_enabled())
    )
    est.predict(X)
    assert seen == [True]  # one batch of 4 samples
