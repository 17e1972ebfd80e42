"""Tests of skseq.estimators.nowcasting."""

import pickle
import warnings
from typing import ClassVar

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from skseq import UNetNowcaster
from skseq.estimators._ensemble import DISPLACEMENTS
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
    # in the layout of the y of fit (4D), as predict, whatever X's rank
    assert est.predict_sequence(X[:, :, None], n_steps=2).shape == (4, 2, 37, 53)
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
    assert est5.predict_sequence(X, 2).shape == (4, 2, 1, 21, 26)  # y's layout


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


class _LastFrame(torch.nn.Module):
    """A one-step network that repeats the last frame of its window."""

    def forward(self, x):
        return x[:, -1]


def test_log_transform_round_trip_and_negative_input():
    X, y = _rain()
    params = dict(TINY, log_transform=True, residual="none", advection_prior=False)
    est = UNetNowcaster(**params).fit(X, y)
    # a network that returns its input's last frame, log(x + 0.01), gives that
    # frame back in mm/h once exp(.) - 0.01 undoes the transform (no clip)
    est.module_.step = _LastFrame()
    est.set_params(clip_output=False)
    np.testing.assert_allclose(est.predict(X), X[:, -1:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        est.predict_sequence(X, 3),
        np.repeat(X[:, -1:], 3, axis=1),
        rtol=1e-5,
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="Negative values in data passed to UNet"):
        UNetNowcaster(**dict(TINY, log_transform=True)).fit(X - 1, y)
    with pytest.raises(ValueError, match="UNetNowcaster: y has minimum -1"):
        UNetNowcaster(**dict(TINY, log_transform=True)).fit(X, y - 1)
    with pytest.raises(ValueError, match=r"Negative values in data .* X has"):
        est.predict(X - 1)


def test_log_transform_declares_positive_only_tags():
    from sklearn.utils import get_tags

    for log_transform in (False, True):
        tags = get_tags(UNetNowcaster(log_transform=log_transform))
        assert tags.input_tags.positive_only is log_transform
        assert tags.target_tags.positive_only is log_transform


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
    # a continued fit trains with the current clip_output, whatever the last
    # prediction set

    class ClampSpy(Callback):
        def on_batch_begin(self, net, **kwargs):
            clamps.append(net.module_.clamp)

    clamps = []
    est.set_params(clip_output=True, warm_start=True, max_epochs=1)
    est.set_params(callbacks=[ClampSpy()]).fit(X, y)
    assert clamps and all(c == est._network_range() for c in clamps)
    est.set_params(clip_output=False).predict(X)
    est.set_params(clip_output=True)
    clamps.clear()
    est.fit(X, y)
    assert clamps and all(c == est._network_range() for c in clamps)


def test_too_few_input_frames_and_mismatch():
    X, y = _rain()
    est = UNetNowcaster(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="was fitted on"):
        est.predict(X[:, :3])
    with pytest.raises(ValueError, match="was fitted on"):
        est.predict(X[:, :, None].repeat(2, axis=2))  # 2 channels, fitted on 1
    # any H x W (issue 15): frames of another size are nowcast
    assert est.predict(X[:, :, :30]).shape[-2:] == X[:, :, :30].shape[-2:]


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
    train, test = np.arange(4, 8), np.arange(4)
    grid = GridSearchCV(
        UNetNowcaster(**TINY),
        {"base_channels": [2, 3]},
        scoring=make_threshold_scorer("csi", threshold=1.0),
        cv=[(train, test), (test, train)],
    ).fit(X, y)
    scores = grid.cv_results_["split0_test_score"]
    assert np.isfinite(scores).all() and np.isfinite(grid.best_score_)
    # the score of the best candidate on the first split is the CSI, by hand
    best = UNetNowcaster(**TINY).set_params(**grid.best_params_)
    pred = best.fit(X[train], y[train]).predict(X[test])
    observed, forecast = y[test] > 1.0, pred > 1.0
    hits = np.sum(observed & forecast)
    assert hits > 0
    expected = hits / np.sum(observed | forecast)  # H / (H + M + F)
    assert scores[grid.best_index_] == pytest.approx(expected)


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


# ------------------------------------------------- any domain, out of core (issue 15)
def test_predicts_any_domain_tiled_equal_to_one_pass():
    X, y = _rain_leads(H=24, W=24)
    est = UNetNowcaster(**{**TINY, "depth": 2, "two_path": True}).fit(X, y)
    big, _ = _rain_leads(n=2, H=45, W=70, seed=1)  # not multiples of 2**depth
    whole = est.set_params(tile_size=None).predict_sequence(big, 4)
    tiled = est.set_params(tile_size=8).predict_sequence(big, 4)
    assert whole.shape == (2, 4, 45, 70)
    np.testing.assert_allclose(tiled, whole, rtol=1e-5, atol=1e-5)
    auto = est.set_params(tile_size="auto").predict(big)  # one pass below 256
    np.testing.assert_array_equal(auto, est.set_params(tile_size=None).predict(big))
    assert est.module_.tile is None  # the tiling plan is not left on the module


def test_tile_size_is_validated():
    X, y = _rain()
    with pytest.raises(ValueError, match="tile_size"):
        UNetNowcaster(**{**TINY, "tile_size": 0}).fit(X, y)


def test_memmap_windows_read_batch_by_batch(tmp_path, monkeypatch):
    from skseq.preprocessing import sliding_windows
    from skseq.utils import _lazy

    frames = _rain(n=1, T=20)[0][0]  # (20, H, W)
    path = tmp_path / "archive.npy"
    np.save(path, frames)
    archive = np.load(path, mmap_mode="r")
    X, y = sliding_windows(archive, 4, 2, copy=False)
    X_copy, y_copy = sliding_windows(frames, 4, 2)
    reads = []
    original = _lazy.LazyFrames._read

    def spy(self, index):
        piece = original(self, index)
        reads.append(piece.shape[0] if piece.ndim == 5 else 1)
        return piece

    monkeypatch.setattr(_lazy.LazyFrames, "_read", spy)
    monkeypatch.setattr(_lazy, "_CHUNK_VALUES", 2 * X[0].size)  # checks: 2 at a time
    params = {**TINY, "depth": 2, "log_transform": True, "validation_fraction": 0.2}
    lazy = UNetNowcaster(**params).fit(X, y)
    assert reads and max(reads) < len(X)  # never the whole X at once
    eager = UNetNowcaster(**params).fit(X_copy, y_copy)
    np.testing.assert_array_equal(lazy.predict(X), eager.predict(X_copy))
    assert lazy.target_range_ == eager.target_range_


def test_out_of_core_input_checked_for_non_finite(tmp_path):
    from skseq.preprocessing import sliding_windows

    frames = _rain(n=1, T=20)[0][0].copy()
    frames[15, 3, 4] = np.nan
    np.save(tmp_path / "a.npy", frames)
    X, y = sliding_windows(np.load(tmp_path / "a.npy", mmap_mode="r"), 4, 1, copy=False)
    with pytest.raises(ValueError, match="NaN"):
        UNetNowcaster(**TINY).fit(X, y)


def test_dask_input():
    da = pytest.importorskip("dask.array")
    X, y = _rain()
    eager = UNetNowcaster(**TINY).fit(X, y)
    lazy = UNetNowcaster(**TINY).fit(
        da.from_array(X, chunks=(3, -1, -1, -1)), da.from_array(y, chunks=3)
    )
    np.testing.assert_array_equal(
        lazy.predict(da.from_array(X, chunks=2)), eager.predict(X)
    )


def test_dask_array_on_a_local_cluster():
    """Data held by a dask cluster: fit reads it through the cluster's client."""
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    X, y = _rain()
    eager = UNetNowcaster(**TINY).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        X_dask = client.persist(da.from_array(X, chunks=(4, -1, -1, -1)))
        y_dask = client.persist(da.from_array(y, chunks=(4, -1, -1, -1)))
        lazy = UNetNowcaster(**TINY).fit(X_dask, y_dask)
        np.testing.assert_array_equal(lazy.predict(X_dask), eager.predict(X))


# ------------------------------------------------------------- predict_ensemble
@pytest.fixture(scope="module")
def fitted_leads():
    X, y = _rain_leads(n=8, leads=3)
    est = UNetNowcaster(**dict(TINY, max_epochs=3)).fit(X, y)
    return est, X, y


def test_ensemble_noise_fitted(fitted_leads):
    est, _, _ = fitted_leads
    noise = est.ensemble_noise_
    n_bins = len(noise["bin_edges"]) + 1
    assert noise["quantiles"].shape == (3, n_bins, 100)  # per fitted lead, bin
    assert np.all(np.diff(noise["quantiles"], axis=-1) >= 0)
    assert 0.5 <= noise["correlation"] <= 8.0
    assert 0 <= noise["lead_correlation"] < 1
    assert noise["n_windows"] == 8
    assert noise["displacement"].shape == (3,)  # position-error scale per lead
    assert set(noise["displacement"]) <= set(DISPLACEMENTS)


@pytest.mark.parametrize("method", ["residual", "mc_dropout"])
def test_predict_ensemble_shapes_and_reproducible(fitted_leads, method):
    est, X, _ = fitted_leads
    before = est.predict(X)
    rng_state = torch.random.get_rng_state()
    members = est.predict_ensemble(X[:3], 4, 5, random_state=0, method=method)
    assert members.shape == (3, 4, 5, 21, 26)
    assert torch.equal(torch.random.get_rng_state(), rng_state)
    np.testing.assert_array_equal(
        members, est.predict_ensemble(X[:3], 4, 5, random_state=0, method=method)
    )
    five = est.predict_ensemble(X[:3, :, None], 4, 2, random_state=0, method=method)
    assert five.shape == (3, 4, 2, 21, 26)  # the layout of the y of fit
    low, high = est.target_range_
    assert members.min() >= low and members.max() <= high
    np.testing.assert_array_equal(est.predict(X), before)  # predict unchanged


def test_mc_dropout_warns_when_members_are_identical():
    rng = np.random.default_rng(0)
    X = rng.random((6, 2, 8, 8)).astype(np.float32)
    est = UNetNowcaster(
        depth=1, base_channels=2, dropout=0.0, max_epochs=1, random_state=0
    ).fit(X, X[:, -1:])
    with pytest.warns(UserWarning, match="identical members"):
        members = est.predict_ensemble(X[:2], 3, method="mc_dropout")
    np.testing.assert_array_equal(members[:, 0], members[:, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.set_params(dropout=0.5).fit(X, X[:, -1:])
        est.predict_ensemble(X[:2], 3, method="mc_dropout", random_state=0)


def test_predict_ensemble_residual_spreads_around_predict(fitted_leads):
    est, X, y = fitted_leads
    members = est.predict_ensemble(X, 16, 3, random_state=1)
    spread = members.std(axis=1)
    assert spread.mean() > 0
    # on its calibration windows, the ensemble's CRPS beats the nowcast's MAE
    from skseq.metrics import crps_ensemble, mae

    assert crps_ensemble(y, members) < mae(y, est.predict(X))
    # different members differ, different seeds differ
    assert not np.array_equal(members[:, 0], members[:, 1])
    assert not np.array_equal(members, est.predict_ensemble(X, 16, 3, random_state=2))
    # the members' mean stays near the deterministic nowcast
    error_mean = np.abs(members.mean(axis=1) - est.predict(X)).mean()
    assert error_mean < np.abs(members - est.predict(X)[:, None]).mean()


def test_predict_ensemble_errors_and_pickle(fitted_leads):
    est, X, _ = fitted_leads
    with pytest.raises(ValueError, match="method must be"):
        est.predict_ensemble(X, method="bootstrap")
    with pytest.raises(ValueError, match="n_members"):
        est.predict_ensemble(X, n_members=0)
    with pytest.raises(ValueError, match="frames"):
        est.predict_ensemble(X[:, :2])
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(
        clone.predict_ensemble(X[:2], 3, 2, random_state=0),
        est.predict_ensemble(X[:2], 3, 2, random_state=0),
    )


def test_ensemble_calibrated_on_validation_split():
    X, y = _rain_leads(n=12, leads=2)
    est = UNetNowcaster(**dict(TINY, validation_fraction=0.25)).fit(X, y)
    assert est.ensemble_noise_["n_windows"] == 3  # the last quarter
    est = UNetNowcaster(**TINY).fit(X[:8], y[:8], validation_data=(X[8:], y[8:]))
    assert est.ensemble_noise_["n_windows"] == 4
    # errors about the validation pair name X_valid, not X
    for valid, match in [
        ((X[8:], y[9:]), r"\(X_valid: 4, y_valid: 3\)"),
        ((X[8:, :, :4], y[8:]), r"but X_valid frames are 4x"),
    ]:
        with pytest.raises(ValueError, match=match):
            UNetNowcaster(**TINY).fit(X[:8], y[:8], validation_data=valid)


def test_calibrate_ensemble_on_new_windows():
    from sklearn.exceptions import NotFittedError

    X, y = _rain_leads(n=12, leads=2)
    est = UNetNowcaster(**TINY).fit(X[:8], y[:8])
    before = est.predict(X[8:])
    fitted_noise = est.ensemble_noise_
    narrow = est.predict_ensemble(X[8:], 8, 2, random_state=0)
    # windows whose truth is far from the nowcast: a wider error model
    rng = np.random.default_rng(0)
    y_far = y[8:] + rng.gamma(2.0, 3.0, size=y[8:].shape)
    assert est.calibrate_ensemble(X[8:], y_far) is est
    assert est.ensemble_noise_["n_windows"] == 4
    assert est.ensemble_noise_ is not fitted_noise
    wide = est.predict_ensemble(X[8:], 8, 2, random_state=0)
    assert wide.std(axis=1).mean() > 2 * narrow.std(axis=1).mean()
    np.testing.assert_array_equal(est.predict(X[8:]), before)  # network unchanged
    with pytest.raises(ValueError, match="n_frames"):
        est.calibrate_ensemble(X[8:], y[8:, :1])
    with pytest.raises(NotFittedError):
        UNetNowcaster(**TINY).calibrate_ensemble(X, y)


def test_grid_search_with_crps_scorer():
    from skseq.metrics import make_crps_scorer

    X, y = _rain_leads(n=8, leads=2)
    train, test = np.arange(4, 8), np.arange(4)
    search = GridSearchCV(
        UNetNowcaster(**TINY),
        {"base_channels": [2, 3]},
        scoring=make_crps_scorer(n_members=4),
        cv=[(train, test), (test, train)],
    ).fit(X, y)
    scores = search.cv_results_["split0_test_score"]
    assert np.isfinite(scores).all() and np.isfinite(search.best_score_)
    # the score of the best candidate on the first split is -CRPS of its
    # members (drawn with the scorer's seed, 0), by the formula
    best = UNetNowcaster(**TINY).set_params(**search.best_params_)
    best.fit(X[train], y[train])
    members = best.predict_ensemble(X[test], n_members=4, n_steps=2, random_state=0)
    assert members.shape == (4, 4, 2, *y.shape[-2:])
    spread = np.abs(members[:, :, None] - members[:, None, :]).sum(axis=(1, 2))
    crps = np.abs(members - y[test][:, None]).mean(axis=1) - spread / (2 * 4**2)
    assert scores[search.best_index_] == pytest.approx(-crps.mean(), rel=1e-5)


def test_views_with_sample_weight_validation_data_and_warm_start():
    from skseq.preprocessing import sliding_windows

    frames = _rain(n=1, T=16)[0][0]
    views, copies = (
        sliding_windows(frames, 4, 2, copy=False),
        sliding_windows(frames, 4, 2),
    )
    w = np.linspace(0.5, 2, len(copies[0]))
    fits = [
        UNetNowcaster(**TINY).fit(
            X[:8], y[:8], sample_weight=w[:8], validation_data=(X[8:], y[8:])
        )
        for X, y in (views, copies)
    ]
    np.testing.assert_array_equal(fits[0].predict(views[0]), fits[1].predict(copies[0]))
    fits[0].set_params(warm_start=True, max_epochs=1).fit(*views)
    assert fits[0].n_epochs_ == TINY["max_epochs"] + 1


def test_predict_runs_in_inference_mode():
    X, y = _rain(n=4)
    est = UNetNowcaster(**TINY).fit(X, y)
    seen = []
    est.module_.register_forward_pre_hook(
        lambda module, args: seen.append(torch.is_inference_mode_enabled())
    )
    est.predict(X)
    assert seen == [True]  # one batch of 4 samples


def _sequence_windows(n_frames=30, leads=2):
    """Consecutive windows (stride 1) of one simulated radar sequence."""
    from skseq.datasets import make_radar_sequences
    from skseq.preprocessing import sliding_windows

    frames = make_radar_sequences(
        n_frames=n_frames, height=24, width=24, n_cells=6, random_state=0
    )
    return sliding_windows(frames, n_input=4, n_output=leads)


def test_calibrate_ensemble_cross_fitted():
    X, y = _sequence_windows()  # 25 windows of 4 -> 2 frames
    est = UNetNowcaster(**TINY).fit(X, y)
    before = est.predict(X)
    in_sample = est.ensemble_noise_
    assert est.calibrate_ensemble(X, y, cv=2) is est
    noise = est.ensemble_noise_
    assert noise is not in_sample
    assert noise["n_windows"] == 25  # every window held out once
    assert not np.array_equal(noise["quantiles"], in_sample["quantiles"])
    np.testing.assert_array_equal(est.predict(X), before)  # network unchanged
    # the copies are seeded like the estimator: the same error model again
    est.calibrate_ensemble(X, y, cv=2)
    np.testing.assert_array_equal(est.ensemble_noise_["quantiles"], noise["quantiles"])
    assert est.predict_ensemble(X[:2], 4, 2, random_state=0).shape == (2, 4, 2, 24, 24)


def test_calibrate_ensemble_splits_leave_out_shared_frames():
    X, y = _sequence_windows()
    est = UNetNowcaster(**TINY).fit(X, y)
    (train_a, held_a), (train_b, held_b) = est._calibration_splits(25, 2, X, y)
    np.testing.assert_array_equal(held_a, np.arange(13))
    np.testing.assert_array_equal(held_b, np.arange(13, 25))
    # window i spans frames i..i+5: none of the training windows shares one
    np.testing.assert_array_equal(train_a, np.arange(18, 25))
    np.testing.assert_array_equal(train_b, np.arange(0, 8))


def test_calibrate_ensemble_with_a_splitter_and_bad_cv():
    from sklearn.model_selection import TimeSeriesSplit

    X, y = _sequence_windows()
    est = UNetNowcaster(**TINY).fit(X, y)
    est.calibrate_ensemble(X, y, cv=TimeSeriesSplit(n_splits=2))
    assert est.ensemble_noise_["n_windows"] == 16  # two held-out blocks of 8
    noise = est.ensemble_noise_
    for cv, match in [
        (1, "between 2 and 25"),
        (True, "cv must be"),
        ("3", "cv must be"),
        ([], "gave no split"),
        (iter([]), "gave no split"),
    ]:
        with pytest.raises(ValueError, match=match):
            est.calibrate_ensemble(X, y, cv=cv)
    with pytest.raises(ValueError, match="no training window") as error:
        est.calibrate_ensemble(X[:8], y[:8], cv=2)
    assert type(error.value) is ValueError  # not fit's private fallback signal
    assert est.ensemble_noise_ is noise  # a refused call changes nothing


def test_calibrate_ensemble_with_groups_and_an_iterable_of_splits():
    from sklearn.model_selection import GroupKFold

    X, y = _sequence_windows()
    est = UNetNowcaster(**TINY).fit(X, y)
    days = np.repeat([0, 1], [12, len(X) - 12])  # the "day" of each window
    est.calibrate_ensemble(X, y, cv=GroupKFold(n_splits=2), groups=days)
    assert est.ensemble_noise_["calibration"] == "cross-fitted (2 splits)"
    by_groups = est.ensemble_noise_["quantiles"]
    # the same splits given as index arrays give the same error model
    splits = [(np.flatnonzero(days != d), np.flatnonzero(days == d)) for d in (1, 0)]
    est.calibrate_ensemble(X, y, cv=splits)
    np.testing.assert_array_equal(est.ensemble_noise_["quantiles"], by_groups)
    # a splitter that needs groups says how to give them
    with pytest.raises(ValueError, match="needs the group of each window"):
        est.calibrate_ensemble(X, y, cv=GroupKFold(n_splits=2))
    with pytest.raises(ValueError, match="needs the group of each window"):
        UNetNowcaster(**dict(TINY, ensemble_cv=GroupKFold(n_splits=2))).fit(X, y)


def test_fit_cross_fits_the_ensemble_calibration_by_default(monkeypatch):
    import skseq.estimators._ensemble as ensemble

    assert UNetNowcaster().ensemble_cv == 2
    X, y = _sequence_windows()
    calibrations = []
    fit_noise = ensemble.fit_noise
    monkeypatch.setattr(
        ensemble,
        "fit_noise",
        lambda *a, **k: calibrations.append(1) or fit_noise(*a, **k),
    )
    est = UNetNowcaster(**dict(TINY, ensemble_cv=2)).fit(X, y)
    assert est.ensemble_noise_["calibration"] == "cross-fitted (2 splits)"
    assert len(calibrations) == 1  # the copies calibrate no error model of their own
    # the same error model as cross-fitting the fitted estimator afterwards
    after = UNetNowcaster(**TINY).fit(X, y).calibrate_ensemble(X, y, cv=2)
    np.testing.assert_array_equal(
        est.ensemble_noise_["quantiles"], after.ensemble_noise_["quantiles"]
    )
    # the network does not depend on it
    np.testing.assert_array_equal(est.predict(X), after.predict(X))
    assert UNetNowcaster(**TINY).fit(X, y).ensemble_noise_["calibration"] == (
        "training windows"  # ensemble_cv=None
    )


def test_fit_calibration_falls_back_or_uses_held_out_windows():
    X, y = _sequence_windows()
    # 8 windows: every one shares frames with the other block, nothing to cross-fit
    est = UNetNowcaster(**dict(TINY, ensemble_cv=2)).fit(X[:8], y[:8])
    assert est.ensemble_noise_["calibration"] == "training windows"
    est = UNetNowcaster(**dict(TINY, ensemble_cv=2, validation_fraction=0.2))
    assert est.fit(X, y).ensemble_noise_["calibration"] == "held-out windows"
    with pytest.raises(ValueError, match="ensemble_cv"):
        UNetNowcaster(**dict(TINY, ensemble_cv=1)).fit(X, y)


def test_fit_checks_its_calibration_splits_before_training():
    from sklearn.model_selection import KFold

    from skseq.estimators import RollbackOnDivergence

    class CountsEpochs(RollbackOnDivergence):
        epochs = 0

        def on_epoch_end(self, net, **kwargs):
            type(self).epochs += 1

    X, y = _sequence_windows()
    counted = dict(TINY, callbacks=[CountsEpochs()])
    refused = [
        # a splitter that cannot split the windows
        ({"ensemble_cv": KFold(n_splits=len(X) + 1)}, {}, "n_splits"),
        # a split whose training windows all weigh 0
        (
            {"ensemble_cv": 2},
            {"sample_weight": np.r_[np.ones(12), np.zeros(12)]},
            "all zeros",
        ),
    ]
    for params, fit_params, match in refused:
        est = UNetNowcaster(**{**counted, **params})
        with pytest.raises(ValueError, match=match):
            est.fit(X[:24], y[:24], **fit_params)
        assert CountsEpochs.epochs == 0 and not hasattr(est, "net_")
    # a single number weighs every window alike, the copies' too
    weighted = UNetNowcaster(**dict(TINY, ensemble_cv=2)).fit(X, y, sample_weight=2.0)
    plain = UNetNowcaster(**dict(TINY, ensemble_cv=2)).fit(X, y)
    np.testing.assert_array_equal(
        weighted.ensemble_noise_["quantiles"], plain.ensemble_noise_["quantiles"]
    )
    # splits given as indices must be indices of the windows
    for bad in ([(np.arange(8), np.arange(8, len(X) + 1))], [(np.arange(8), [-1])]):
        with pytest.raises(ValueError, match="not indices of the"):
            plain.calibrate_ensemble(X, y, cv=bad)


def test_nowcaster_pickled_before_ensemble_cv_loads():
    X, y = _sequence_windows()
    est = UNetNowcaster(**TINY).fit(X, y)
    older = pickle.loads(pickle.dumps(est))
    del older.ensemble_cv  # pickled before the argument existed
    loaded = pickle.loads(pickle.dumps(older))
    assert loaded.ensemble_cv is None  # calibrated on its training windows
    assert "ensemble_cv" in loaded.get_params() and repr(loaded)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


@pytest.mark.parametrize("shape", [(1, 40), (40, 1)])
def test_predict_ensemble_on_frames_one_pixel_wide(shape):
    # the error field's correlation is measured along the axis that has
    # neighbours (it was NaN, and the ensemble failed, on 1-pixel frames)
    rain = np.random.default_rng(0).gamma(0.5, 2.0, (6, 5, *shape)).astype(np.float32)
    X, y = rain[:, :4], rain[:, 4:]
    est = UNetNowcaster(**dict(TINY, depth=1)).fit(X, y)
    assert np.isfinite(est.ensemble_noise_["correlation"])
    members = est.predict_ensemble(X[:2], n_members=3, random_state=0)
    assert members.shape == (2, 3, 1, *shape) and np.isfinite(members).all()


def test_log_transform_predictions_stay_in_the_target_range():
    # exp(log(0 + offset)) - offset is not exactly 0 in floating point: the
    # clipped output is clipped again after the inverse transform
    X, y = _rain(n=6)
    est = UNetNowcaster(**dict(TINY, log_transform=True)).fit(X, y)
    low, high = est.target_range_
    for out in (est.predict(X), est.predict_ensemble(X[:2], n_members=3)):
        assert out.min() >= low and out.max() <= high
    dry = UNetNowcaster(**dict(TINY, log_transform=True)).fit(0 * X, 0 * y)
    np.testing.assert_array_equal(dry.predict(X), 0)


def test_one_pixel_frames_are_refused_clearly():
    X = np.ones((6, 4, 1, 1), np.float32)
    with pytest.raises(ValueError, match="at least 2 pixels along one side"):
        UNetNowcaster(**TINY).fit(X, X[:, -1])


def test_several_output_channels_of_single_channel_input_are_kept():
    X = np.random.default_rng(0).random((10, 3, 12, 10)).astype(np.float32)
    y = np.stack([X[:, -1:], 2 * X[:, -1:]], axis=2)  # (n, 1 lead, 2 channels, ...)
    params = {**TINY, "residual": "none", "advection_prior": False}
    est = UNetNowcaster(**params).fit(X, y)
    assert est.predict(X).shape == y.shape
    np.testing.assert_array_equal(est.predict_sequence(X, 1), est.predict(X))
    members = est.predict_ensemble(X, n_members=3, random_state=0)
    assert members.shape == (10, 3, 1, 2, 12, 10)


def test_out_of_core_calibration_reads_only_its_windows(tmp_path, monkeypatch):
    # the held-out block stays unread but for the windows the calibration uses
    from _support import count_lazy_reads, memmapped_windows

    rain = np.random.default_rng(0).gamma(0.5, 2, (400, 8, 8)).astype(np.float32)
    X, y = memmapped_windows(tmp_path / "rain.npy", rain)
    reads = count_lazy_reads(monkeypatch, chunk_values=2000)
    params = {**TINY, "validation_fraction": 0.5, "batch_size": 8}
    est = UNetNowcaster(**params).fit(X, y)
    assert est.ensemble_noise_["calibration"] == "held-out windows"
    assert max(reads) <= UNetNowcaster._n_calibration_windows  # not the 198 held out


def test_out_of_core_cross_fitted_calibration_reads_only_its_windows(
    tmp_path, monkeypatch
):
    # each copy read its whole held-out block, then kept 64 of its windows
    from _support import count_lazy_reads, memmapped_windows

    rain = np.random.default_rng(0).gamma(0.5, 2, (400, 8, 8)).astype(np.float32)
    X, y = memmapped_windows(tmp_path / "rain.npy", rain)
    reads = count_lazy_reads(monkeypatch, chunk_values=2000)
    params = {**TINY, "validation_fraction": None, "ensemble_cv": 2, "batch_size": 8}
    est = UNetNowcaster(**params).fit(X, y)
    assert est.ensemble_noise_["calibration"] == "cross-fitted (2 splits)"
    assert max(reads) <= UNetNowcaster._n_calibration_windows // 2  # not 198


def test_out_of_core_windows_reach_spawned_dataloader_workers(tmp_path):
    # macOS and Windows start DataLoader workers by spawn, which pickles the
    # dataset: memory-mapped windows used to fail ("cannot pickle 'mmap.mmap'")
    from _support import memmapped_windows

    rain = np.random.default_rng(0).gamma(0.5, 2, (40, 8, 8)).astype(np.float32)
    X, y = memmapped_windows(tmp_path / "rain.npy", rain)
    params = {**TINY, "max_epochs": 1, "ensemble_cv": None}
    workers = {
        "iterator_train__num_workers": 1,
        "iterator_train__multiprocessing_context": "spawn",
    }
    in_process = UNetNowcaster(**params).fit(X, y)
    spawned = UNetNowcaster(**params, **workers).fit(X, y)
    np.testing.assert_array_equal(spawned.predict(X[:4]), in_process.predict(X[:4]))


def test_out_of_core_cross_fitting_copies_read_batch_by_batch(tmp_path, monkeypatch):
    # the copies that cross-fit the calibration took _safe_indexing copies of
    # their training windows (the whole training part of each split at once)
    from _support import memmapped_windows

    from skseq.utils._lazy import is_out_of_core

    rain = np.random.default_rng(0).gamma(0.5, 2, (60, 8, 8)).astype(np.float32)
    X, y = memmapped_windows(tmp_path / "rain.npy", rain)
    params = {**TINY, "ensemble_cv": 2, "validation_fraction": None, "batch_size": 4}
    in_memory = UNetNowcaster(**params).fit(np.array(X), np.array(y))
    copies_read_lazily = []
    fit = UNetNowcaster._fit

    def recording_fit(self, X, y, **kwargs):
        if not self._calibrates_in_fit:  # a cross-fitting copy
            copies_read_lazily.append(is_out_of_core(X) and is_out_of_core(y))
        return fit(self, X, y, **kwargs)

    monkeypatch.setattr(UNetNowcaster, "_fit", recording_fit)
    lazy = UNetNowcaster(**params).fit(X, y)
    assert lazy.ensemble_noise_["calibration"] == "cross-fitted (2 splits)"
    assert copies_read_lazily == [True, True]
    for key in ("quantiles", "displacement"):
        np.testing.assert_array_equal(
            lazy.ensemble_noise_[key], in_memory.ensemble_noise_[key]
        )


def test_calibration_copies_do_not_save_or_log_as_the_model(tmp_path):
    # the cross-fitted copies carried the user's callbacks: a Checkpoint
    # ended up holding a copy's weights (trained on 8 of 24 windows) and a
    # logger recorded three runs
    from skorch.callbacks import Checkpoint, PrintLog

    from skseq.utils.estimator_checks import make_test_data

    class CountsFits(Callback):  # steers nothing skseq knows: it is kept
        fits: ClassVar[list] = []

        def on_train_begin(self, net, X=None, **kwargs):
            type(self).fits.append(len(X))

    X, y = make_test_data(UNetNowcaster(), n_samples=24, random_state=0)
    unet = UNetNowcaster(
        depth=1,
        base_channels=2,
        max_epochs=2,
        random_state=0,
        callbacks=[
            ("checkpoint", Checkpoint(dirname=str(tmp_path), monitor=None)),
            ("quiet_log", PrintLog(sink=lambda *args: None)),
            ("counts", CountsFits()),
        ],
    ).fit(X, y)
    assert unet.ensemble_noise_["calibration"].startswith("cross-fitted")
    saved = torch.load(tmp_path / "params.pt")
    for name, weight in unet.module_.state_dict().items():
        assert torch.equal(saved[name], weight), name
    assert len(CountsFits.fits) == 3  # the model and its two copies


def test_targets_in_small_units_warn_that_the_network_learns_their_units():
    # the same frames times 0.01 were fitted to a constant forecast, silently
    from skseq.utils.estimator_checks import make_test_data

    X, y = make_test_data(UNetNowcaster(**TINY), n_samples=8)
    unet = UNetNowcaster(**dict(TINY, max_epochs=1))
    with pytest.warns(UserWarning, match=r"largest \|y\| is 0.006: below 0.1") as w:
        unet.fit(X * 0.01, y * 0.01)
    assert w[0].filename == __file__  # points at the caller's fit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unet.fit(X, y)  # mm/h-like values: no warning
        unet.fit(X, np.zeros_like(y))  # all dry: nothing to rescale


def test_verbose_labels_the_error_models_copies(capsys):
    # verbose=1 printed three epoch tables without saying that two of them
    # are the cross-fitted copies of the error model
    frames = np.random.default_rng(0).random((16, 5, 8, 8)).astype(np.float32)
    UNetNowcaster(**dict(TINY, ensemble_cv=2, verbose=1)).fit(
        frames[:, :3], frames[:, 3:]
    )
    out = capsys.readouterr().out
    assert "Error model: copy 1 of 2" in out and "Error model: copy 2 of 2" in out


def test_log_settings_and_tile_size_set_after_fit():
    from sklearn.utils._param_validation import InvalidParameterError

    frames = np.random.default_rng(0).random((8, 4, 8, 8)).astype(np.float32)
    X, y = frames[:, :2], frames[:, 2:]
    est = UNetNowcaster(**dict(TINY, log_transform=True)).fit(X, y)
    before = est.predict(X)
    # the network was trained in log space: set_params after fit read the
    # new space at every prediction (values off by several units, or NaN
    # with a negative offset); like the architecture, it waits for a refit
    est.set_params(log_transform=False)
    np.testing.assert_array_equal(est.predict(X), before)
    est.set_params(log_transform=True, log_offset=-1.0)
    np.testing.assert_array_equal(est.predict(X), before)
    # ... which reads the arguments anew
    refit = est.set_params(log_transform=False, log_offset=0.01).fit(X, y)
    np.testing.assert_array_equal(
        refit.predict(X), UNetNowcaster(**TINY).fit(X, y).predict(X)
    )
    # tile_size is read when predicting: checked there (0 ran 1-pixel cores)
    for bad in (0, 2.5, "none"):
        est.set_params(tile_size=bad)
        with pytest.raises(InvalidParameterError, match="'tile_size' parameter"):
            est.predict(X)
