"""Tests of skseq.baselines."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from skseq.baselines import (
    ExtrapolationNowcaster,
    HistoricalAverageForecaster,
    PersistenceForecaster,
    SeasonalNaiveForecaster,
    SequenceFlattener,
    SequenceSummarizer,
    classical_classifiers,
)
from skseq.utils.estimator_checks import parametrize_with_skseq_checks


@parametrize_with_checks([SequenceFlattener(), SequenceSummarizer()])
def test_sklearn_checks_tabular_helpers(estimator, check):
    check(estimator)


@parametrize_with_skseq_checks(
    [
        PersistenceForecaster(),
        SeasonalNaiveForecaster(season_length=2),
        HistoricalAverageForecaster(season_length=2),
    ]
)
def test_skseq_checks_frame_baselines(estimator, check):
    check(estimator)


def test_persistence_exact_and_layouts():
    X = np.arange(2 * 3 * 2 * 4, dtype=float).reshape(2, 3, 2, 4)
    est = PersistenceForecaster().fit(X, X[:, :2])
    np.testing.assert_array_equal(est.predict(X), np.repeat(X[:, -1:], 2, axis=1))
    assert PersistenceForecaster().fit(X, X[:, 0]).predict(X).shape == (2, 2, 4)
    X5 = X[:, :, None]
    assert PersistenceForecaster().fit(X5, X5[:, :1]).predict(X5).shape == (
        2,
        1,
        1,
        2,
        4,
    )
    assert est.predict_sequence(X, 5).shape == (2, 5, 2, 4)
    # the layout of the y of fit, as predict, whatever X's rank
    assert est.predict_sequence(X5, 5).shape == (2, 5, 2, 4)
    five = PersistenceForecaster().fit(X5, X5[:, :1])
    assert five.predict_sequence(X, 3).shape == (2, 3, 1, 2, 4)


@pytest.mark.parametrize(
    "est",
    [
        PersistenceForecaster(),
        SeasonalNaiveForecaster(season_length=2),
        HistoricalAverageForecaster(season_length=2),
    ],
)
def test_frame_baselines_predict_frames_of_any_size(est):
    # nothing they learn depends on H x W, as for the deep frame estimators
    rng = np.random.default_rng(0)
    est.fit(rng.random((4, 4, 6, 5)), rng.random((4, 2, 6, 5)))
    larger = rng.random((2, 4, 11, 9))
    assert est.predict(larger).shape == (2, 2, 11, 9)
    np.testing.assert_array_equal(est.predict(larger)[:1], est.predict(larger[:1]))
    with pytest.raises(ValueError, match="frames"):
        est.predict(larger[:, :3])  # fewer input frames than in fit


def _periodic(n=3, T=12, season=4, H=3, W=2):
    pattern = np.random.default_rng(0).random((season, H, W))
    frames = np.stack([pattern[t % season] for t in range(T + season)])
    X = np.stack([frames[:T]] * n)
    y = np.stack([frames[T : T + season]] * n)
    return X, y


def test_seasonal_naive_exact_on_periodic_signal():
    X, y = _periodic()
    est = SeasonalNaiveForecaster(season_length=4).fit(X, y)
    np.testing.assert_allclose(est.predict(X), y)
    with pytest.raises(ValueError, match="at least 4 required"):
        SeasonalNaiveForecaster(season_length=4).fit(X[:, :3], y)


def test_historical_average_exact_and_averaging():
    X, y = _periodic()
    np.testing.assert_allclose(HistoricalAverageForecaster(4).fit(X, y).predict(X), y)
    X_noisy = X.copy()
    X_noisy[:, -4:] += 1.0  # last season shifted up by 1; 3 seasons in the window
    pred = HistoricalAverageForecaster(4).fit(X_noisy, y).predict(X_noisy)
    np.testing.assert_allclose(pred, y + 1 / 3, rtol=1e-6)
    pred_last = (
        HistoricalAverageForecaster(4, n_seasons=1).fit(X_noisy, y).predict(X_noisy)
    )
    np.testing.assert_allclose(pred_last, y + 1, rtol=1e-6)


def test_bad_params_and_shapes():
    X, y = _periodic()
    with pytest.raises(ValueError, match="season_length"):
        SeasonalNaiveForecaster(season_length=0).fit(X, y)
    est = PersistenceForecaster().fit(X, y)
    assert est.predict(X[:, :, :2]).shape == (3, 4, 2, 2)  # any frame size
    with pytest.raises(ValueError, match="same size"):
        PersistenceForecaster().fit(X, y[..., :1])


def _blob_frames(n_frames=6, H=48, W=48, speed=2.0):
    yy, xx = np.mgrid[:H, :W]
    return np.stack(
        [
            8 * np.exp(-((yy - 24) ** 2 + (xx - 12 - speed * t) ** 2) / 30)
            for t in range(n_frames)
        ]
    )


def test_extrapolation_moves_rain_and_beats_persistence():
    pytest.importorskip("pysteps")
    frames = _blob_frames()
    X, y = frames[None, :4], frames[None, 4:]
    est = ExtrapolationNowcaster().fit(X, y)
    pred = est.predict(X)
    assert pred.shape == y.shape
    mae_flow = np.abs(pred - y).mean()
    mae_persistence = np.abs(PersistenceForecaster().fit(X, y).predict(X) - y).mean()
    assert mae_flow < 0.2 * mae_persistence
    centroid_x = (pred[0, -1] * np.arange(48)[None, :]).sum() / pred[0, -1].sum()
    assert centroid_x == pytest.approx(12 + 2 * 5, abs=1.0)  # moved right


def test_extrapolation_dry_frames_are_persistence():
    pytest.importorskip("pysteps")
    X = np.zeros((2, 4, 20, 20))
    est = ExtrapolationNowcaster().fit(X, X[:, :2])
    np.testing.assert_array_equal(est.predict(X), np.zeros((2, 2, 20, 20)))
    with pytest.raises(ValueError, match="single-channel"):
        ExtrapolationNowcaster().fit(
            np.zeros((2, 4, 2, 8, 8)), np.zeros((2, 1, 2, 8, 8))
        )
    with pytest.raises(ValueError, match="n_frames_for_motion"):
        ExtrapolationNowcaster(n_frames_for_motion=1).fit(X, X[:, :1])


def test_steps_ensemble_moves_rain_and_spreads():
    pytest.importorskip("pysteps")
    from skseq.baselines import STEPSNowcaster
    from skseq.metrics import crps_ensemble

    frames = _blob_frames(n_frames=9)
    X, y = frames[None, :4], frames[None, 4:]
    est = STEPSNowcaster(n_members=4, random_state=0).fit(X, y)
    members = est.predict_ensemble(X, n_members=6, n_steps=5, random_state=0)
    assert members.shape == (1, 6, 5, 48, 48)
    assert members.min() >= 0 and members.std(axis=1).mean() > 0
    np.testing.assert_array_equal(
        members, est.predict_ensemble(X, n_members=6, n_steps=5, random_state=0)
    )
    assert est.predict_ensemble(X[:, :, None], 3, 2).shape == (1, 3, 2, 48, 48)
    # better than persistence repeated as one member
    persistence = np.repeat(X[:, None, -1:], 5, axis=2)
    assert crps_ensemble(y, members) < crps_ensemble(y, persistence)
    # predict: the mean of n_members members, y's layout
    assert est.predict(X).shape == y.shape
    # reflectivity in dBZ (negative where dry) passed for rain rates was
    # silently taken as dry there
    dbz = 10 * np.log10(np.maximum(X, 1e-3))
    with pytest.raises(ValueError, match=r"Negative values .* convert reflectivity"):
        STEPSNowcaster(n_members=4).fit(dbz, y)
    with pytest.raises(ValueError, match=r"Negative values .* X has minimum -30"):
        est.predict_ensemble(dbz, n_members=2)
    assert est.__sklearn_tags__().input_tags.positive_only
    # proesmans takes exactly 2 frames, STEPS at least 3: one message for
    # both (they contradicted each other)
    for n in (2, 3):
        with pytest.raises(ValueError, match="STEPS needs n_frames_for_motion >= 3"):
            STEPSNowcaster(motion_method="proesmans", n_frames_for_motion=n).fit(X, y)


def test_steps_leaves_numpy_global_state_alone():
    pytest.importorskip("pysteps")
    from skseq.baselines import STEPSNowcaster

    frames = _blob_frames(n_frames=9)
    X, y = frames[None, :4], frames[None, 4:]
    est = STEPSNowcaster(n_members=4, random_state=0).fit(X, y)
    # numpy's legacy global state (pysteps' STEPS has an np.random.seed call)
    key, *rest = np.random.get_state()[1:]  # noqa: NPY002
    key = key.copy()
    est.predict_ensemble(X, 2, 2)
    after_key, *after_rest = np.random.get_state()[1:]  # noqa: NPY002
    np.testing.assert_array_equal(after_key, key)
    assert after_rest == rest


def test_steps_predict_is_the_same_twice_without_a_seed():
    pytest.importorskip("pysteps")
    from skseq.baselines import STEPSNowcaster

    frames = _blob_frames(n_frames=7)
    X, y = frames[None, :4], frames[None, 4:]
    est = STEPSNowcaster(n_members=2, n_cascade_levels=3).fit(X, y)
    np.testing.assert_array_equal(est.predict(X), est.predict(X))
    seeded = STEPSNowcaster(n_members=2, n_cascade_levels=3, random_state=3)
    np.testing.assert_array_equal(
        seeded.fit(X, y).predict(X), clone(seeded).fit(X, y).predict(X)
    )
    # a RandomState instance is drawn from once, in fit: ensembles without a
    # seed of their own are predict's members, and do not use it up
    drawn = STEPSNowcaster(
        n_members=2, n_cascade_levels=3, random_state=np.random.RandomState(0)
    ).fit(X, y)
    state = drawn.random_state.get_state()[2]
    first = drawn.predict_ensemble(X, 2, 3)
    np.testing.assert_array_equal(drawn.predict_ensemble(X, 2, 3), first)
    np.testing.assert_allclose(first.mean(axis=1), drawn.predict(X), rtol=1e-6)
    assert drawn.random_state.get_state()[2] == state


def test_steps_predict_of_a_sample_does_not_depend_on_the_others():
    # each sample's members are seeded from the fitted seed and its own frames
    # (they were seeded in turn, so a window's nowcast moved with its position)
    pytest.importorskip("pysteps")
    from skseq.baselines import STEPSNowcaster

    windows = np.stack([_blob_frames(n_frames=6, speed=v) for v in (2.0, 1.0, 3.0)])
    X, y = windows[:, :4], windows[:, 4:]
    est = STEPSNowcaster(n_members=3, n_cascade_levels=3, random_state=0).fit(X, y)
    whole = est.predict(X)
    np.testing.assert_array_equal(est.predict(X[1:]), whole[1:])
    np.testing.assert_array_equal(est.predict(X[::-1]), whole[::-1])
    members = est.predict_ensemble(X[1:], 3, 2)  # no seed: predict's members
    np.testing.assert_allclose(members.mean(axis=1), whole[1:], rtol=1e-6)
    assert np.ptp(members, axis=1).max() > 0  # the members do differ


def test_extrapolation_checks_the_motion_method_in_fit():
    pytest.importorskip("pysteps")
    from skseq.baselines import STEPSNowcaster

    X = np.zeros((2, 4, 20, 20))
    for cls in (ExtrapolationNowcaster, STEPSNowcaster):
        with pytest.raises(ValueError, match="motion_method='foo' is not a motion"):
            cls(motion_method="foo").fit(X, X[:, :1])


def test_extrapolation_refit_on_multichannel_frames_leaves_it_unfitted():
    pytest.importorskip("pysteps")
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from skseq.baselines import STEPSNowcaster

    X = np.zeros((2, 4, 20, 20))
    two_channels = np.zeros((2, 4, 2, 20, 20))
    for cls in (ExtrapolationNowcaster, STEPSNowcaster):
        est = cls().fit(X, X[:, :1])
        with pytest.raises(ValueError, match=f"{cls.__name__} needs single-channel"):
            est.fit(two_channels, two_channels[:, :1])
        with pytest.raises(NotFittedError):
            check_is_fitted(est)


@pytest.mark.parametrize(
    "method, refused, taken", [("DARTS", 3, 7), ("proesmans", 3, 2), ("VET", 4, 3)]
)
def test_motion_methods_get_the_frames_they_take(method, refused, taken):
    pytest.importorskip("pysteps")
    frames = _blob_frames(n_frames=8, H=64, W=64)
    X, y = frames[None, :7], frames[None, 7:]
    est = ExtrapolationNowcaster(motion_method=method, n_frames_for_motion=refused)
    with pytest.raises(ValueError, match=f"motion_method='{method}' estimates"):
        est.fit(X, y)
    # with the frames it takes, the method moves the blob (not persistence)
    est.set_params(n_frames_for_motion=taken).fit(X, y)
    xx = np.arange(64)
    centre = (est.predict(X)[0, 0].sum(axis=0) * xx).sum() / est.predict(X)[0, 0].sum()
    last = (X[0, -1].sum(axis=0) * xx).sum() / X[0, -1].sum()
    assert centre - last > 1.0  # about 2 pixels a frame
    if method == "DARTS":  # too small a domain for it: said so, not persistence
        with pytest.raises(ValueError, match="'DARTS' motion estimation failed"):
            est.predict(X[:, :, :40, :40])


def test_steps_dry_input_and_errors():
    pytest.importorskip("pysteps")
    from skseq.baselines import STEPSNowcaster

    X = np.zeros((2, 4, 20, 20))
    est = STEPSNowcaster().fit(X, X[:, :2])
    np.testing.assert_array_equal(est.predict_ensemble(X, 3, 2), 0.0)
    with pytest.raises(ValueError, match="n_frames_for_motion"):
        STEPSNowcaster(n_frames_for_motion=2).fit(X, X[:, :1])
    with pytest.raises(ValueError, match="n_members"):
        est.predict_ensemble(X, n_members=0)
    with pytest.raises(ValueError, match=r"zerovalue=10.0 dB must be below"):
        STEPSNowcaster(zerovalue=10.0).fit(X, X[:, :1])


def test_steps_uniform_wet_frames_get_extrapolation_members():
    """pysteps' noise generator fails on a field of one value: such samples
    get the extrapolation nowcast, as other fields STEPS cannot take."""
    pytest.importorskip("pysteps")
    from skseq.baselines import STEPSNowcaster

    X = np.full((2, 3, 16, 16), 2.0)
    est = STEPSNowcaster(n_members=2, random_state=0).fit(X, X[:, :2])
    with pytest.warns(UserWarning, match="2 of 2 samples.*uniform value"):
        members = est.predict_ensemble(X, 3, 2)
    np.testing.assert_allclose(members, 2.0, atol=1e-5)


def test_steps_needs_three_cascade_levels():
    pytest.importorskip("pysteps")
    from sklearn.utils._param_validation import InvalidParameterError

    from skseq.baselines import STEPSNowcaster

    X = np.zeros((2, 3, 8, 8))
    with pytest.raises(InvalidParameterError, match="n_cascade_levels"):
        STEPSNowcaster(n_cascade_levels=2).fit(X, X[:, :1])


def _extrapolation_of(X, n_steps):
    from skseq.baselines import ExtrapolationNowcaster

    return ExtrapolationNowcaster().fit(X, X[:, :n_steps]).predict(X)


def test_steps_falls_back_to_extrapolation_where_it_cannot_run(monkeypatch):
    """A nearly dry earlier frame, or pysteps failing on non-finite statistics
    of a cascade level: every member is the extrapolation nowcast, and a
    warning says how many samples."""
    pytest.importorskip("pysteps")
    from pysteps.nowcasts import steps

    from skseq.baselines import STEPSNowcaster

    frames = _blob_frames(n_frames=6)
    X = np.stack([frames[:4], frames[:4]])
    X[0, 1] = 0.0  # sample 0: a dry frame among the last three
    est = STEPSNowcaster(random_state=0).fit(X, X[:, :2])
    with pytest.warns(UserWarning, match="1 of 2 samples"):
        members = est.predict_ensemble(X, 3, 2, random_state=0)
    # identical members: the extrapolation (its motion field estimated on the
    # dB frames STEPS would have used, so close to ExtrapolationNowcaster's)
    np.testing.assert_array_equal(members[0], np.repeat(members[0, :1], 3, axis=0))
    np.testing.assert_allclose(members[0, 0], _extrapolation_of(X[:1], 2)[0], atol=5e-3)
    assert members[1].std(axis=0).mean() > 0  # sample 1: STEPS members

    def fails(*args, **kwargs):
        raise ValueError("x contains non-finite values")

    monkeypatch.setattr(steps, "forecast", fails)
    with pytest.warns(UserWarning, match="2 of 2 samples"):
        members = est.predict_ensemble(X, 3, 2, random_state=0)
    np.testing.assert_allclose(members[1, 0], _extrapolation_of(X[1:], 2)[0], atol=5e-3)

    def breaks(*args, **kwargs):
        raise ValueError("something else")

    monkeypatch.setattr(steps, "forecast", breaks)
    with pytest.raises(ValueError, match="something else"):
        est.predict_ensemble(X[1:], 3, 2, random_state=0)


def test_flattener_and_summarizer_values():
    X = np.arange(2 * 4 * 3, dtype=float).reshape(2, 4, 3)
    flat = SequenceFlattener().fit(X)
    np.testing.assert_array_equal(flat.transform(X), X.reshape(2, 12))
    assert flat.get_feature_names_out()[:4].tolist() == [
        "t0_ch0",
        "t0_ch1",
        "t0_ch2",
        "t1_ch0",
    ]
    summ = SequenceSummarizer(statistics=("mean", "max", "slope")).fit(X)
    out = summ.transform(X)
    assert out.shape == (2, 9)
    np.testing.assert_allclose(out[0, :3], [X[0, :, 0].mean(), X[0, :, 0].max(), 3.0])
    assert summ.get_feature_names_out()[:3].tolist() == [
        "ch0_mean",
        "ch0_max",
        "ch0_slope",
    ]
    with pytest.raises(ValueError, match="names among"):
        SequenceSummarizer(statistics=("mode",)).fit(X)
    with pytest.raises(ValueError, match="distinct names"):  # repeated columns
        SequenceSummarizer(statistics=("mean", "mean")).fit(X)


def test_classical_transformers_name_features_from_the_input():
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    from skseq.preprocessing import DerivativeIntegralFeatures

    table = pd.DataFrame(np.ones((3, 4)), columns=list("abcd"))
    flat = SequenceFlattener().set_output(transform="pandas").fit(table)
    # a univariate table goes through as is, under its own column names
    assert flat.get_feature_names_out().tolist() == list("abcd")
    assert flat.transform(table).columns.tolist() == list("abcd")
    with pytest.raises(ValueError, match="not the column names seen in fit"):
        flat.get_feature_names_out(list("wxyz"))
    summ = SequenceSummarizer(statistics=("mean",)).fit(table)
    assert summ.get_feature_names_out().tolist() == ["ch0_mean"]
    # in a Pipeline, the previous step's channel names
    X = np.random.default_rng(0).normal(size=(4, 3, 2))
    flat_pipe = make_pipeline(DerivativeIntegralFeatures(), SequenceFlattener()).fit(X)
    assert flat_pipe.get_feature_names_out()[:3].tolist() == [
        "t0_ch0",
        "t0_ch1",
        "t0_d1_ch0",
    ]
    summ_pipe = make_pipeline(
        DerivativeIntegralFeatures(derivative_orders=(), integral_orders=()),
        SequenceSummarizer(statistics=("max",)),
    ).fit(X)
    assert summ_pipe.get_feature_names_out().tolist() == ["ch0_max", "ch1_max"]
    named = SequenceSummarizer(statistics=("max",)).fit(X)
    assert named.get_feature_names_out(["ax", "ay"]).tolist() == ["ax_max", "ay_max"]
    for transformer in (SequenceFlattener().fit(X), named):
        with pytest.raises(ValueError, match="fitted on 2 channel"):
            transformer.get_feature_names_out(["x", "y", "z"])


def test_summarizer_leaves_nan_padding_out_of_every_statistic():
    from scipy import stats

    rng = np.random.default_rng(0)
    lengths = [7, 3, 1, 5]
    X = np.full((4, 7, 2), np.nan)
    for i, n in enumerate(lengths):
        X[i, :n] = rng.normal(size=(n, 2)) + np.arange(n)[:, None]
    X[3, 2, 1] = np.nan  # a missing value inside a sequence
    summ = SequenceSummarizer().fit(X)
    out = summ.transform(X).reshape(4, 2, -1)
    assert np.isfinite(out).all()
    for i, n in enumerate(lengths):
        for c in range(2):
            x = X[i, :n, c]
            t = np.arange(n)[~np.isnan(x)]
            x = x[~np.isnan(x)]
            # each sequence alone, unpadded, by the NaN-free path
            alone = SequenceSummarizer().fit_transform(x[None, :, None])[0]
            expected = alone.copy()
            expected[-1] = np.polyfit(t, x, 1)[0] if len(x) > 1 else 0.0
            np.testing.assert_allclose(out[i, c], expected, atol=1e-12)
            if len(x) > 2 and x.std() > 0:
                np.testing.assert_allclose(
                    out[i, c, 5:7], [stats.skew(x), stats.kurtosis(x)], atol=1e-12
                )
    X[1, :, 1] = np.nan  # a channel without data
    out = summ.transform(X).reshape(4, 2, -1)
    assert np.isnan(out[1, 1]).all()
    assert np.isfinite(out[:, 0]).all() and np.isfinite(out[[0, 2, 3], 1]).all()


def test_summarizer_constant_channel_moments_are_zero_with_or_without_padding():
    # a constant channel's mean is not always exact in floating point; its
    # skew and kurtosis are 0 whichever path (NaN-free or not) the batch takes
    rng = np.random.RandomState(0)
    X = rng.randn(2, 10, 2)
    X[:, :, 1] = 0.1
    summ = SequenceSummarizer(statistics=("std", "skew", "kurtosis"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no precision-loss warning either
        plain = summ.fit_transform(X)
        padded = X.copy()
        padded[0, -1] = np.nan  # another sample's padding
        with_padding = summ.fit_transform(padded)
    np.testing.assert_array_equal(plain[1, 4:], [0.0, 0.0])
    np.testing.assert_array_equal(with_padding[1, 4:], [0.0, 0.0])
    np.testing.assert_allclose(with_padding[1], plain[1], atol=1e-12)


def test_classical_classifiers_take_nan_padded_sequences():
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 15)
    X = rng.normal(size=(30, 10, 2))
    X[y == "b"] += 2
    for i, n in enumerate(rng.integers(3, 11, size=30)):
        X[i, n:] = np.nan
    for name, model in classical_classifiers(random_state=0).items():
        assert model.fit(X, y).score(X, y) > 0.9, name
    # no training sequence reaches the last steps, and a channel of one
    # sequence has no value: the flattened pipelines dropped those columns
    # (with a warning at every fit, ignoring them at prediction) and the
    # summary ones with NaN-intolerant models failed
    X[:, 8:] = np.nan
    X[0, :, 1] = np.nan
    test = rng.normal(size=(4, 10, 2))
    for name, model in classical_classifiers(random_state=0).items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.fit(X, y)
        assert model.predict(test).shape == (4,), name
        assert model[:2].transform(X).shape[1] == (20 if "flat" in name else 16)


def test_classical_classifiers_fit_sequences():
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 15)
    X = rng.normal(size=(30, 10, 2))
    X[y == "b"] += 2
    models = classical_classifiers(random_state=0)
    assert len(models) == 10
    for name, model in models.items():
        assert model.fit(X, y).score(X, y) > 0.9, name


def test_classical_classifiers_check_random_state_when_made():
    from sklearn.utils._param_validation import InvalidParameterError

    for bad in ("0", 1.5, [0], -1):
        with pytest.raises(InvalidParameterError, match="'random_state' parameter"):
            classical_classifiers(random_state=bad)
    shared = np.random.RandomState(0)
    models = classical_classifiers(random_state=shared)
    assert models["SVC (summary)"][-1].random_state is shared
    assert classical_classifiers(np.int64(3))["SVC (summary)"][-1].random_state == 3


def test_sequence_flattener_passes_nan_for_an_imputer():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 5, 2))
    X[0, 1, 0] = np.nan
    y = np.arange(30) % 2
    flat = SequenceFlattener().fit(X).transform(X)
    assert np.isnan(flat[0, 2]) and np.isfinite(np.delete(flat[0], 2)).all()
    model = make_pipeline(SequenceFlattener(), SimpleImputer(), LogisticRegression())
    assert model.fit(X, y).predict(X).shape == (30,)
    X[1, 0, 0] = np.inf
    with pytest.raises(ValueError, match="inf"):
        SequenceFlattener().fit(X)


def test_summarizer_slope_of_two_steps_is_the_least_squares_slope():
    from skseq.baselines import SequenceSummarizer

    X = np.array([[0.0, 1.0], [0.0, 3.0]])  # two univariate steps: 1 and 3
    slope = SequenceSummarizer(statistics=("slope",)).fit_transform(X)
    np.testing.assert_allclose(slope[:, 0], [1.0, 3.0])  # was 0.5 and 1.5
    padded = np.array([[[0.0], [2.0], [np.nan]], [[1.0], [1.0], [4.0]]])
    slope = SequenceSummarizer(statistics=("slope",)).fit_transform(padded)
    np.testing.assert_allclose(
        slope[:, 0], [2.0, np.polyfit([0, 1, 2], [1, 1, 4], 1)[0]]
    )


def test_summaries_of_channels_without_data_leave_the_warning_filters_alone(
    monkeypatch,
):
    # computed with "ignore RuntimeWarning" under warnings.catch_warnings,
    # which swaps the process-wide filters (not thread-safe: threads could
    # leave the filter in them for good)
    import warnings

    silenced = []
    simplefilter = warnings.simplefilter

    def recorded(action, category=Warning, *args, **kwargs):
        silenced.append((action, category))
        simplefilter(action, category, *args, **kwargs)

    S = np.random.default_rng(0).normal(size=(5, 10, 3))
    S[0, :, 1] = np.nan
    S[1, 6:] = np.nan
    statistics = ("mean", "std", "min", "max", "median", "skew", "kurtosis", "slope")
    summarizer = SequenceSummarizer(statistics=statistics).fit(S)
    with monkeypatch.context() as patch:  # undone before pytest's own use
        patch.setattr(warnings, "simplefilter", recorded)
        summary = summarizer.transform(S).reshape(5, 3, -1)
    assert ("ignore", RuntimeWarning) not in silenced
    # (sequence, channel, statistic): channel 1 of sequence 0 has no data
    assert np.isnan(summary[0, 1]).all() and np.isfinite(summary[1:]).all()
    assert np.isfinite(summary[0, [0, 2]]).all()


def test_summarizer_checks_statistics_set_after_fit():
    from sklearn.utils._param_validation import InvalidParameterError

    X = np.random.default_rng(0).normal(size=(4, 6, 2))
    summarizer = SequenceSummarizer().fit(X)
    # a bare KeyError('variance') before
    for bad in (("mean", "variance"), "mean"):
        summarizer.set_params(statistics=bad)
        with pytest.raises(InvalidParameterError, match="'statistics' parameter"):
            summarizer.transform(X)
