"""Tests of skseq.estimators.forecasting."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skseq import ConvLSTMForecaster
from skseq.metrics import make_frame_scorer
from skseq.utils.estimator_checks import parametrize_with_skseq_checks

TINY = ConvLSTMForecaster._get_test_params()[0]


@parametrize_with_skseq_checks(
    [ConvLSTMForecaster(**p) for p in ConvLSTMForecaster._get_test_params()]
)
def test_skseq_estimator_checks(estimator, check):
    check(estimator)


def _moving_bars(n=10, T=6, H=8, W=10, seed=0):
    """Bars moving one pixel per frame to the right (a learnable dynamic)."""
    rng = np.random.default_rng(seed)
    frames = np.zeros((n, T, H, W), dtype=np.float32)
    starts = rng.integers(0, W, size=n)
    for i, s in enumerate(starts):
        for t in range(T):
            frames[i, t, :, (s + t) % W] = 1.0
    return frames[:, : T - 2], frames[:, T - 2 :]


@pytest.mark.parametrize("rank", [4, 5])
def test_shapes_4d_and_5d_and_t_out_from_y(rank):
    X, y = _moving_bars()
    if rank == 5:
        X, y = X[:, :, None], y[:, :, None]
    est = ConvLSTMForecaster(**TINY).fit(X, y)
    assert est.n_output_frames_ == 2 and est.n_input_frames_ == 4
    assert est.predict(X).shape == y.shape


def test_multichannel_input_single_channel_target():
    X, y = _moving_bars()
    X2 = np.stack([X, 1 - X], axis=2)  # (n, T, 2, H, W)
    est = ConvLSTMForecaster(**TINY).fit(X2, y)
    assert est.n_channels_in_ == 2 and est.n_channels_out_ == 1
    assert est.predict(X2).shape == y.shape


def test_attention_requires_encoder_decoder():
    X, y = _moving_bars()
    with pytest.raises(ValueError, match="encoder_decoder=True"):
        ConvLSTMForecaster(encoder_decoder=False, attention=True).fit(X, y)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"hidden_channels": (2,)}, TypeError, "'hidden_channels' parameter"),
        ({"n_layers": 0}, ValueError, "'n_layers' parameter"),
        ({"kernel_size": 4}, ValueError, "kernel_size must be odd"),
    ],
)
def test_bad_architecture_params_fail_before_training(params, error, match):
    X = np.random.default_rng(0).random((6, 3, 8, 8))
    est = ConvLSTMForecaster(**{**TINY, **params})
    with pytest.raises(error, match=match):
        est.fit(X, X[:, -1:])
    assert not hasattr(est, "net_")


def test_frame_size_mismatch_errors():
    X, y = _moving_bars()
    with pytest.raises(ValueError, match="same size"):
        ConvLSTMForecaster(**TINY).fit(X, y[:, :, :-1])
    est = ConvLSTMForecaster(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="was fitted on"):
        est.predict(X[:, 1:])
    # any H x W (issue 15): frames of another size are forecast
    assert est.predict(X[:, :, :, :-2]).shape == (*y.shape[:-1], y.shape[-1] - 2)


def test_learns_moving_bars_better_than_persistence():
    X, y = _moving_bars(n=24)
    est = ConvLSTMForecaster(
        hidden_channels=8,
        n_layers=1,
        max_epochs=40,
        lr=1e-2,
        validation_fraction=None,
        random_state=0,
    ).fit(X, y)
    X_test, y_test = _moving_bars(n=8, seed=1)
    pred_err = np.sqrt(np.mean((est.predict(X_test) - y_test) ** 2))
    persistence = np.repeat(X_test[:, -1:], 2, axis=1)
    pers_err = np.sqrt(np.mean((persistence - y_test) ** 2))
    assert pred_err < 0.8 * pers_err


@pytest.mark.parametrize(
    "n_train, epochs",
    [(17, 200), (36, 134), (90, 67), (208, 31), (209, 30), (335, 30)],
)
def test_auto_epochs_reach_about_400_steps_and_at_least_30(n_train, epochs):
    # batch_size=16: 2, 3, 6, 13, 14 and 21 batches per epoch
    est = ConvLSTMForecaster()
    X = np.zeros((n_train + 1, 4, 1, 10, 40), np.float32)
    assert est._resolve_max_epochs(X, n_train) == epochs


def test_auto_epochs_stay_within_the_compute_budget():
    # 10^8 input values: 100 windows of 10 frames of 64 x 64 afford 152 steps,
    # fewer than 30 epochs of 6 batches take
    est = ConvLSTMForecaster()
    X = np.zeros((100, 10, 1, 64, 64), np.float32)
    assert est._resolve_max_epochs(X, 90) == 30
    X = np.zeros((40, 10, 1, 64, 64), np.float32)  # 3 batches: 51 epochs
    assert est._resolve_max_epochs(X, 36) == 51


def test_default_fit_resolves_auto_epochs():
    rng = np.random.default_rng(0)
    X = rng.random((16, 3, 1, 6, 6)).astype(np.float32)
    est = ConvLSTMForecaster(**{**TINY, "max_epochs": "auto", "batch_size": 4})
    est.fit(X, X[:, -1:])  # 16 training windows in 4 batches: 100 epochs
    assert est.max_epochs_ == 100 and len(est.history_) == 100


def test_chronological_validation_split_uses_last_samples():
    X, y = _moving_bars(n=20)
    est = ConvLSTMForecaster(**dict(TINY, validation_fraction=0.25)).fit(X, y)
    split = est.net_.train_split
    train, valid = split(X, y)
    np.testing.assert_array_equal(valid.indices, np.arange(15, 20))
    np.testing.assert_array_equal(train.indices, np.arange(15))
    assert "valid_loss" in est.history_[-1]


def test_grid_search_with_frame_scorer():
    X, y = _moving_bars(n=12)
    train, test = np.arange(6, 12), np.arange(6)
    grid = GridSearchCV(
        ConvLSTMForecaster(**TINY),
        {"hidden_channels": [2, 3], "lr": [1e-3, 1e-2]},
        scoring=make_frame_scorer("rmse"),
        cv=[(train, test), (test, train)],
    ).fit(X, y)
    scores = grid.cv_results_["split0_test_score"]
    assert np.isfinite(scores).all() and np.isfinite(grid.best_score_)
    # the score of the best candidate on the first split is -RMSE, by hand
    best = ConvLSTMForecaster(**TINY).set_params(**grid.best_params_)
    pred = best.fit(X[train], y[train]).predict(X[test])
    rmse = np.sqrt(np.mean((pred - y[test]) ** 2))
    assert scores[grid.best_index_] == pytest.approx(-rmse, rel=1e-5)


def test_score_is_r2():
    X, y = _moving_bars()
    est = ConvLSTMForecaster(**TINY).fit(X, y)
    pred = est.predict(X)
    expected = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert est.score(X, y) == pytest.approx(expected, rel=1e-4)


# ------------------------------------------------- any domain, out of core (issue 15)
def test_predicts_any_domain_tiled_equal_to_one_pass():
    X, y = _moving_bars()
    est = ConvLSTMForecaster(**TINY).fit(X, y)
    big = np.random.default_rng(1).random((3, X.shape[1], 37, 51))
    whole = est.set_params(tile_size=None).predict(big)
    tiled = est.set_params(tile_size=9).predict(big)
    assert whole.shape == (3, y.shape[1], 37, 51)
    np.testing.assert_allclose(tiled, whole, rtol=1e-5, atol=1e-5)


def test_tiled_prediction_runs_under_the_prediction_autocast(monkeypatch):
    """Tiles go through the same batch loop as one pass, so ``precision="bf16"``
    reaches them on CUDA (on the CPU the autocast is a no-op: counted here)."""
    import contextlib

    X, y = _moving_bars()
    est = ConvLSTMForecaster(**TINY, tile_size=9).fit(X, y)
    entered = []

    def autocast():
        entered.append(True)
        return contextlib.nullcontext()

    monkeypatch.setattr(est, "_autocast", autocast)
    est.set_params(batch_size=2).predict(np.zeros((5, X.shape[1], 37, 51)))
    assert len(entered) == 3  # one per batch of 2 samples


def test_frame_attention_cannot_be_tiled():
    X, y = _moving_bars()
    params = {**TINY, "attention_mode": "frame"}
    with pytest.raises(ValueError, match="cannot be computed tile by tile"):
        ConvLSTMForecaster(**params, tile_size=8).fit(X, y)
    est = ConvLSTMForecaster(**params).fit(X, y)  # "auto": one pass
    big = np.random.default_rng(1).random((2, X.shape[1], 300, 40))
    assert est.predict(big).shape == (2, y.shape[1], 300, 40)


def test_tiling_follows_the_fitted_networks_attention():
    # set_params changes the architecture at the next fit only: prediction
    # decides on tiling by the fitted network's attention
    X, y = _moving_bars()
    big = np.random.default_rng(1).random((2, X.shape[1], 37, 51))
    pixel = ConvLSTMForecaster(**TINY, attention_mode="pixel", tile_size=8).fit(X, y)
    expected = pixel.predict(big)
    pixel.set_params(attention_mode="frame")  # was refused as frame attention
    np.testing.assert_array_equal(pixel.predict(big), expected)
    frame = ConvLSTMForecaster(**TINY, attention_mode="frame").fit(X, y)
    frame.set_params(attention=False, tile_size=8)  # was tiled
    with pytest.raises(ValueError, match="cannot be computed tile by tile"):
        frame.predict(big)
    # a refit with the new parameters is checked against them
    ConvLSTMForecaster(**TINY, attention_mode="frame").fit(X, y).set_params(
        attention_mode="pixel", tile_size=8
    ).fit(X, y)


def test_strided_views_fit_like_copies():
    from skseq.preprocessing import sliding_windows

    frames = np.concatenate(_moving_bars(n=4)[0]).astype(np.float32)
    X, y = sliding_windows(frames, 3, 2, copy=False)
    X_copy, y_copy = sliding_windows(frames, 3, 2)
    lazy = ConvLSTMForecaster(**TINY).fit(X, y)
    eager = ConvLSTMForecaster(**TINY).fit(X_copy, y_copy)
    np.testing.assert_array_equal(lazy.predict(X), eager.predict(X_copy))


# ------------------------------------------------------------- predict_ensemble
def test_predict_ensemble_quantiles_match_held_out_errors():
    X, y = _moving_bars(n=40)
    est = ConvLSTMForecaster(**dict(TINY, validation_fraction=0.25)).fit(X, y)
    assert est.n_calibration_samples_ == 10  # the chronological validation split
    assert est.residual_quantiles_.shape == (2, 1, 201)  # leads, channels
    assert np.all(np.diff(est.residual_quantiles_, axis=-1) >= 0)
    members = est.predict_ensemble(X[:5], n_members=50, random_state=0)
    assert members.shape == (5, 50, 2, 8, 10)
    np.testing.assert_array_equal(
        members, est.predict_ensemble(X[:5], n_members=50, random_state=0)
    )
    # members - forecast have the held-out errors' quantiles (stratified draws)
    offsets = members - est.predict(X[:5])[:, None]
    for k in range(2):
        q = np.quantile(offsets[:, :, k], [0.1, 0.5, 0.9])
        expected = np.interp(
            [0.1, 0.5, 0.9], est._residual_levels, est.residual_quantiles_[k, 0]
        )
        np.testing.assert_allclose(q, expected, atol=0.05)
    # the wider tail of the held-out and the in-sample errors, the held-out median
    held_out = (y[-10:] - est.predict(X[-10:]))[:, 0].ravel()
    in_sample = (y[:30] - est.predict(X[:30]))[:, 0].ravel()
    low, mid, high = np.quantile(held_out, [0.1, 0.5, 0.9])
    low_in, _, high_in = np.quantile(in_sample, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(
        est.residual_quantiles_[0, 0, [20, 100, 180]],
        [min(low, low_in), mid, max(high, high_in)],
        rtol=1e-5,
        atol=1e-6,
    )


def test_intervals_per_output_channel():
    # channels of other units (here 1000 times smaller) get their own error
    # quantiles: pooled, the small channel's members spread by the large
    # one's errors, and the large one was under-covered
    X, y = _moving_bars(n=40)
    X2 = np.stack([X, X / 1000], axis=2)
    y2 = np.stack([y, y / 1000], axis=2)
    est = ConvLSTMForecaster(**dict(TINY, validation_fraction=0.25)).fit(X2, y2)
    assert est.residual_quantiles_.shape == (2, 2, 201)
    members = est.predict_ensemble(X2[:5], n_members=50, random_state=0)
    spread = (members - est.predict(X2[:5])[:, None]).std(axis=(0, 1, 2, 4, 5))
    width = est.residual_quantiles_[:, :, 180] - est.residual_quantiles_[:, :, 20]
    assert spread[1] < 0.01 * spread[0]
    assert np.all(width[:, 1] < 0.01 * width[:, 0])
    # an estimator fitted before the channels were kept apart: one table per
    # lead, pooled over the channels, used for each of them
    est.residual_quantiles_ = est.residual_quantiles_[:, 0]
    old = est.predict_ensemble(X2[:5], n_members=50, random_state=0)
    assert old.shape == members.shape
    np.testing.assert_array_equal(old[:, :, :, 0], members[:, :, :, 0])


def test_intervals_cover_a_season_the_validation_split_misses():
    """A chronological split of a calm stretch must not shrink the intervals
    below the errors of the training windows (the traffic benchmark's held-out
    weekend): the wider tail of the two sets is kept."""
    X, y = _moving_bars(n=40)
    rng = np.random.default_rng(0)
    y = y + rng.normal(0.0, 0.2, y.shape) * (np.arange(40) < 30)[:, None, None, None]
    est = ConvLSTMForecaster(**dict(TINY, validation_fraction=0.25)).fit(X, y)
    calm = est._error_quantiles(*est._validate_validation_data(X[30:], y[30:]))
    noisy = est._error_quantiles(*est._validate_validation_data(X[:30], y[:30]))
    # the noise of the training windows sets the 10 % and 90 % quantiles
    assert noisy[0, 0, 180] - noisy[0, 0, 20] > 2 * (calm[0, 0, 180] - calm[0, 0, 20])
    np.testing.assert_allclose(
        est.residual_quantiles_[..., 20], noisy[..., 20], rtol=1e-5
    )
    np.testing.assert_allclose(
        est.residual_quantiles_[..., 180], noisy[..., 180], rtol=1e-5
    )


def test_intervals_without_a_split_read_a_subset_of_the_training_windows(
    monkeypatch,
):
    # without held-out windows every training window was predicted again to
    # calibrate (all of an out-of-core archive); now at most
    # ``_n_in_sample_windows`` of them, evenly spaced
    X, y = _moving_bars(n=40)
    monkeypatch.setattr(ConvLSTMForecaster, "_n_in_sample_windows", 8)
    est = ConvLSTMForecaster(**TINY).fit(X, y)
    assert est.n_calibration_samples_ == 8
    index = np.unique(np.linspace(0, 39, 8).round().astype(int))
    expected = est._error_quantiles(*est._validate_validation_data(X[index], y[index]))
    np.testing.assert_array_equal(est.residual_quantiles_, expected)


def test_predict_ensemble_layouts_and_errors():
    X, y = _moving_bars()
    est = ConvLSTMForecaster(**TINY).fit(X[:, :, None], y[:, :, None])
    assert est.n_calibration_samples_ == len(X)  # no split: the training windows
    assert est.predict_ensemble(X[:2, :, None], 3, 1).shape == (2, 3, 1, 1, 8, 10)
    # the members of fewer leads are the first leads of the whole horizon's
    whole = est.predict_ensemble(X[:, :, None], 3, random_state=0)
    first = est.predict_ensemble(X[:, :, None], 3, 1, random_state=0)
    np.testing.assert_array_equal(first, whole[:, :, :1])
    with pytest.raises(ValueError, match="fitted horizon"):
        est.predict_ensemble(X[:2, :, None], 3, n_steps=3)
    with pytest.raises(ValueError, match="n_members"):
        est.predict_ensemble(X[:2, :, None], 0)
    est = ConvLSTMForecaster(**TINY).fit(X[:6], y[:6], validation_data=(X[6:], y[6:]))
    assert est.n_calibration_samples_ == 4


def test_predict_ensemble_draws_one_lead_at_a_time():
    # the draws of the whole horizon (float64 uniforms and int64 ranks) took
    # 7-17 times the members' memory; drawn lead by lead, about twice
    import tracemalloc

    X, y = _moving_bars(n=12, T=6, H=24, W=24)
    est = ConvLSTMForecaster(**TINY).fit(X, y)
    est.predict(X)  # warm (the network's first call allocates its own)
    tracemalloc.start()
    members = est.predict_ensemble(X, 20, n_steps=1, random_state=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * members.nbytes  # was 17x with one lead of two


# ------------------------------------------------------- known future inputs
def _calendar_frames(n_samples=10, t_in=4, t_out=2, step=0.3, seed=0):
    """Value + one sin/cos pair advancing ``step`` per frame + a noise channel."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 2 * np.pi, (n_samples, 1, 1, 1))
    rows = np.linspace(0, step, 6, endpoint=False)[None, None, :, None]
    frames = np.arange(t_in + t_out)[None, :, None, None]
    phase = np.broadcast_to(
        start + step * frames + rows, (n_samples, t_in + t_out, 6, 5)
    )
    value = np.cos(phase) + 0.1 * rng.standard_normal(phase.shape)
    noise = rng.random(phase.shape)
    full = np.stack([value, noise, np.sin(phase), np.cos(phase)], axis=2)
    return full[:, :t_in], full[:, t_in:, :1], full[:, t_in:]


def test_find_cyclic_channels_detects_pairs_and_steps():
    from skseq.estimators.forecasting import _find_cyclic_channels

    X, _, _ = _calendar_frames(step=0.3)
    pairs, steps = _find_cyclic_channels(X.astype(np.float32), 1)
    assert pairs == [(2, 3)]
    np.testing.assert_allclose(steps, [0.3], atol=1e-5)
    # a constant phase, a pair that is not unit-norm, and a single frame: no pair
    assert _find_cyclic_channels(X[:, :, [0, 1, 0, 1]], 1) == ([], [])
    assert _find_cyclic_channels(X[:, :1], 1) == ([], [])


def _with_phase_jump(X, samples, frame, jump=2 * np.pi / 24):
    """``X`` whose pair (channels 2, 3) jumps by ``jump`` from ``frame`` on."""
    X = X.copy()
    phase = np.arctan2(X[samples, frame:, 2], X[samples, frame:, 3]) + jump
    X[samples, frame:, 2], X[samples, frame:, 3] = np.sin(phase), np.cos(phase)
    return X


def test_find_cyclic_channels_tolerates_a_few_clock_jumps():
    from skseq.estimators.forecasting import _find_cyclic_channels

    X, _, _ = _calendar_frames(n_samples=40, t_in=6, step=0.3)
    # a daylight-saving hour in 4 of 40 windows (4 of 200 frame-to-frame steps)
    jumped = _with_phase_jump(X, [10, 11, 12, 13], 3)
    pairs, steps = _find_cyclic_channels(jumped.astype(np.float32), 1)
    assert pairs == [(2, 3)]
    np.testing.assert_allclose(steps, [0.3], atol=1e-5)
    # jumps in half of the windows (20 of 200 steps): no calendar
    assert _find_cyclic_channels(_with_phase_jump(X, range(20), 3), 1) == ([], [])
    # a unit-norm pair of an angle that does not advance steadily (wind direction)
    direction = np.random.default_rng(1).uniform(-np.pi, np.pi, X[:, :, 2].shape)
    wind = X.copy()
    wind[:, :, 2], wind[:, :, 3] = np.sin(direction), np.cos(direction)
    assert _find_cyclic_channels(wind, 1) == ([], [])


def test_calendar_found_across_a_daylight_saving_change():
    from skseq.datasets import make_traffic_speeds
    from skseq.preprocessing import Heatmapper, sliding_windows

    table = make_traffic_speeds(
        n_days=3, n_locations=4, freq="30min", start="2024-03-30", random_state=0
    )
    local = table.copy()  # the same instants on Berlin's clock (02:00 -> 03:00)
    local.index = table.index.tz_localize("UTC").tz_convert("Europe/Berlin")
    found = []
    for data in (table, local):
        heatmapper = Heatmapper(frame_length=1, calendar=("hour", "dayofweek"))
        X, y = sliding_windows(heatmapper.fit_transform(data), n_input=4, n_output=2)
        est = ConvLSTMForecaster(**{**TINY, "max_epochs": 1}).fit(X, y[:, :, :1])
        found.append((est.future_channels_, est.future_steps_))
    assert found[0][0] == found[1][0] == [(1, 2), (3, 4)]
    np.testing.assert_allclose(found[1][1], found[0][1], rtol=1e-6)


def test_decoder_receives_the_calendar_of_the_predicted_frames():
    X, _, future = _calendar_frames(step=-2.5)  # wraps around +-pi
    est = ConvLSTMForecaster(
        hidden_channels=3, n_layers=1, max_epochs=1, random_state=0
    ).fit(X, future[:, :, :1])
    assert est.future_channels_ == [(2, 3)]
    np.testing.assert_allclose(est.future_steps_, [-2.5], atol=1e-5)
    import torch

    x = torch.as_tensor(X, dtype=torch.float32)
    for k in (1, 2):
        got = est.module_.future_inputs(x, k).numpy()
        np.testing.assert_allclose(got, future[:, k - 1, 2:], atol=1e-4)
    assert est.module_.decoder.cells[0].in_channels == 1 + 2


def test_known_future_none_and_plain_model_use_no_future_inputs():
    X, y, _ = _calendar_frames()
    for params in (
        {"known_future": None},
        {"encoder_decoder": False, "attention": False},
    ):
        est = ConvLSTMForecaster(
            hidden_channels=3, n_layers=1, max_epochs=1, random_state=0, **params
        ).fit(X, y)
        assert est.future_channels_ == []
    assert est.predict(X).shape == y.shape


def test_single_channel_input_unchanged_by_known_future():
    X = np.random.default_rng(0).random((8, 3, 6, 5))
    preds = [
        ConvLSTMForecaster(
            hidden_channels=3, n_layers=1, max_epochs=2, random_state=0, known_future=k
        )
        .fit(X, X[:, -2:])
        .predict(X)
        for k in ("calendar", None)
    ]
    np.testing.assert_array_equal(*preds)


def test_calendar_model_pickles_and_predicts_identically():
    import pickle

    X, y, _ = _calendar_frames()
    est = ConvLSTMForecaster(
        hidden_channels=3, n_layers=1, max_epochs=2, random_state=0
    )
    pred = est.fit(X, y).predict(X)
    assert pred.shape == y.shape
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), pred)
    again = ConvLSTMForecaster(
        hidden_channels=3, n_layers=1, max_epochs=2, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), pred)


def test_calendar_model_exports_to_onnx():
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from skseq.export import to_onnx

    X, y, _ = _calendar_frames()
    est = ConvLSTMForecaster(
        hidden_channels=3, n_layers=1, max_epochs=1, random_state=0
    ).fit(X, y)
    model = to_onnx(est, X[:2])
    session = ort.InferenceSession(model.SerializeToString())
    name = session.get_inputs()[0].name
    out = session.run(None, {name: X[:4].astype(np.float32)})[0]
    np.testing.assert_allclose(out, est.predict(X[:4]), atol=1e-5)


def test_calendar_model_tiled_equals_one_pass_on_a_larger_domain():
    """Known-future inputs and tiled prediction (issues 17 and 15) together."""
    X, y, _ = _calendar_frames()
    est = ConvLSTMForecaster(
        hidden_channels=3, n_layers=1, max_epochs=1, random_state=0
    ).fit(X, y)
    assert est.future_channels_ == [(2, 3)]
    rng = np.random.default_rng(1)
    big = np.tile(X[:2], (1, 1, 1, 4, 5)) + 0.01 * rng.random((2, 4, 4, 24, 25))
    big[:, :, 2:] = np.tile(X[:2, :, 2:], (1, 1, 1, 4, 5))  # keep the calendar
    whole = est.set_params(tile_size=None).predict(big)
    tiled = est.set_params(tile_size=8).predict(big)
    assert whole.shape == (2, 2, 1, 24, 25)
    np.testing.assert_allclose(tiled, whole, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scale, offset", [(20.0, 270.0), (0.01, -3.0)])
def test_scale_input_fits_the_same_in_any_units(scale, offset):
    X, y = _moving_bars(n=12)
    est = ConvLSTMForecaster(**TINY).fit(X, y)
    other = ConvLSTMForecaster(**TINY).fit(X * scale + offset, y * scale + offset)
    np.testing.assert_allclose(
        other.predict(X * scale + offset),
        est.predict(X) * scale + offset,
        rtol=1e-4,
        atol=1e-3 * scale,
    )
    # the intervals are in the units of y too
    np.testing.assert_allclose(
        other.residual_quantiles_, est.residual_quantiles_ * scale, atol=1e-3 * scale
    )
    np.testing.assert_allclose(
        other.target_offset_, y.min() * scale + offset, rtol=1e-5
    )
    np.testing.assert_allclose(other.target_scale_, np.ptp(y) * scale, rtol=1e-4)


def test_scale_input_leaves_calendar_and_constant_channels_and_can_be_off():
    X, y, _ = _calendar_frames()
    X = np.concatenate([X, np.full_like(X[:, :, :1], 7.0)], axis=2)  # constant
    est = ConvLSTMForecaster(hidden_channels=3, n_layers=1, max_epochs=1).fit(X, y)
    assert est.future_channels_ == [(2, 3)]
    np.testing.assert_array_equal(est.input_offset_[2:4], [0, 0])
    np.testing.assert_array_equal(est.input_scale_[2:4], [1, 1])
    assert est.input_scale_[4] == 1 and est.input_offset_[4] == 7
    np.testing.assert_allclose(
        est.input_offset_[:2], X[:, :, :2].min(axis=(0, 1, 3, 4))
    )
    np.testing.assert_allclose(
        est.input_scale_[:2], np.ptp(X[:, :, :2], axis=(0, 1, 3, 4))
    )
    raw = ConvLSTMForecaster(
        hidden_channels=3, n_layers=1, max_epochs=1, scale_input=False
    ).fit(X, y)
    assert raw.input_offset_ is None and raw.target_scale_ is None


def test_scale_input_learns_data_far_from_the_unit_range():
    # temperatures in kelvin: without scaling the default learning rate leaves
    # the network far from the targets (measured: an error about 100 times
    # that of the same frames in [0, 1]); with it, kelvin are learnt as well
    # as the unit range is without it (these bars span [0, 1] exactly)
    X, y = _moving_bars(n=24)
    params = dict(TINY, max_epochs=5)
    unit = ConvLSTMForecaster(**params, scale_input=False).fit(X, y)
    unit_error = np.abs(unit.predict(X) - y).mean()
    X, y = 20 * X + 270, 20 * y + 270
    scaled = ConvLSTMForecaster(**params).fit(X, y)
    raw = ConvLSTMForecaster(**params, scale_input=False).fit(X, y)
    error = np.abs(scaled.predict(X) - y).mean()
    assert error == pytest.approx(20 * unit_error, rel=1e-3)
    assert error < np.abs(raw.predict(X) - y).mean() / 5


def test_pickle_of_an_unscaled_release_predicts_unscaled():
    # an estimator pickled before scale_input existed has neither the
    # parameter nor the statistics: it predicts as it was trained, unscaled
    import pickle

    X, y = _moving_bars()
    est = ConvLSTMForecaster(**TINY, scale_input=False).fit(X, y)
    state = est.__getstate__()
    for name in ("input_offset_", "input_scale_", "target_offset_", "target_scale_"):
        del state[name]
    del state["scale_input"]
    # nor did its record of the first fit's arguments (checked by warm starts)
    del state["_first_fit_params"]["scale_input"]
    old = ConvLSTMForecaster.__new__(ConvLSTMForecaster)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    assert old.scale_input is False
    np.testing.assert_array_equal(old.predict(X), est.predict(X))
    # and it continues training as it was trained
    old.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert old.n_epochs_ == est.n_epochs_ + 1


def test_several_output_channels_of_single_channel_input_are_kept():
    from skseq.metrics import crps_ensemble, make_crps_scorer

    X = np.random.default_rng(0).random((10, 3, 12, 10)).astype(np.float32)
    y = np.stack([X[:, -2:], 2 * X[:, -2:]], axis=2)  # (n, 2 leads, 2 channels, ...)
    est = ConvLSTMForecaster(**TINY).fit(X, y)
    assert est.predict(X).shape == y.shape
    members = est.predict_ensemble(X, n_members=3, random_state=0)
    assert members.shape == (10, 3, 2, 2, 12, 10)
    score = make_crps_scorer(n_members=3)(est, X, y)
    assert score == pytest.approx(-crps_ensemble(y, members))


def test_out_of_core_fit_reads_only_the_windows_it_uses(tmp_path, monkeypatch):
    # the scaling statistics batch by batch, the in-sample calibration
    # windows alone (not the whole training part)
    from _support import count_lazy_reads, memmapped_windows

    frames = np.random.default_rng(0).random((700, 6, 6)).astype(np.float32)
    X, y = memmapped_windows(tmp_path / "frames.npy", frames)
    reads = count_lazy_reads(monkeypatch)
    est = ConvLSTMForecaster(**{**TINY, "validation_fraction": 0.1}).fit(X, y)
    assert max(reads) <= 512  # never the ~620 training windows at once
    assert est.input_scale_ is not None
