"""Tests of skseq.preprocessing.keypoints."""

import warnings

import numpy as np
import pytest

from skseq.datasets import make_keypoint_actions
from skseq.preprocessing import KeypointNormalizer
from skseq.utils.estimator_checks import parametrize_with_skseq_checks


@parametrize_with_skseq_checks(
    [KeypointNormalizer(), KeypointNormalizer(missing="zero")]
)
def test_skseq_estimator_checks(estimator, check):
    check(estimator)


def test_centred_and_scaled_invariant_to_size_and_position():
    X, _ = make_keypoint_actions(n_samples=6, noise_std=0.0, random_state=0)
    norm = KeypointNormalizer().fit(X)
    out = norm.transform(X).reshape(6, 5, 15, 2)
    np.testing.assert_allclose(out[:, :, 8], 0.0, atol=1e-6)  # mid-hip at origin
    torso = np.linalg.norm(out[:, :, 1] - out[:, :, 8], axis=-1)
    np.testing.assert_allclose(np.median(torso, axis=1), 1.0, rtol=1e-5)
    moved = X * 1.7 + np.tile([3.0, -2.0], 15)  # other size and place
    np.testing.assert_allclose(norm.transform(moved), norm.transform(X), atol=1e-5)


def test_missing_joints_stay_missing_and_are_ignored():
    X, _ = make_keypoint_actions(n_samples=4, random_state=0)
    X = X.astype(np.float64)
    X_nan = X.copy()
    X_nan[0, 2, 6:8] = np.nan  # right wrist missing in one frame
    out = KeypointNormalizer().fit_transform(X_nan)
    assert np.isnan(out[0, 2, 6:8]).all() and np.isnan(out).sum() == 2
    np.testing.assert_allclose(out[1:], KeypointNormalizer().fit_transform(X)[1:])
    X_zero = X.copy()
    X_zero[0, 2, 16:18] = 0.0  # root missing -> centred on the frame mean
    out_zero = KeypointNormalizer(missing="zero").fit_transform(X_zero)
    assert (out_zero[0, 2, 16:18] == 0).all() and np.isfinite(out_zero).all()


def test_flip_only_in_fit_transform():
    X, _ = make_keypoint_actions(n_samples=40, random_state=0)
    norm = KeypointNormalizer(flip=True, random_state=0)
    train = norm.fit_transform(X)
    plain = norm.transform(X)
    flipped = ~np.isclose(train, plain).all(axis=(1, 2))
    assert 5 < flipped.sum() < 35
    i = np.flatnonzero(flipped)[0]
    P, Q = train[i].reshape(5, 15, 2), plain[i].reshape(5, 15, 2)
    np.testing.assert_allclose(
        P[:, 2, 0], -Q[:, 5, 0], atol=1e-6
    )  # r/l shoulder swapped
    np.testing.assert_allclose(norm.transform(X), plain)


def test_errors():
    with pytest.raises(ValueError, match="2 \\* n_joints"):
        KeypointNormalizer().fit(np.ones((2, 3, 5)))
    with pytest.raises(ValueError, match="Joint indices"):
        KeypointNormalizer(root_joint=20).fit(np.ones((2, 3, 30)))
    with pytest.raises(ValueError, match="missing"):
        KeypointNormalizer(missing="drop").fit(np.ones((2, 3, 30)))
    # a mirror swaps each joint with one other: no joint in two pairs or twice
    for pairs in (((2, 5), (5, 7)), ((2, 2),)):
        with pytest.raises(ValueError, match="pairs of distinct joints"):
            KeypointNormalizer(flip=True, flip_pairs=pairs).fit(np.ones((2, 3, 30)))
    # keypoint wording (it was the generic sequences' and its 1D hint)
    with pytest.raises(ValueError, match=r"X.reshape\(n_samples, n_timesteps, -1\)"):
        KeypointNormalizer().fit(np.ones((2, 3, 15, 2)))
    with pytest.raises(ValueError, match=r"single frames \(n_samples, 2 \* n_joints"):
        KeypointNormalizer().fit(np.ones(30))
    # NaN under missing='zero' says what to do (it was "Input X contains NaN.")
    frames = np.ones((2, 3, 30))
    frames[0, 1, :2] = np.nan
    with pytest.raises(ValueError, match=r"NaN, but missing='zero'.*missing='nan'"):
        KeypointNormalizer(missing="zero").fit(frames)


def test_keypoint_normalizer_keeps_the_coordinate_names():
    X, _ = make_keypoint_actions(n_samples=8, random_state=0)
    normalizer = KeypointNormalizer().fit(X)
    names = [f"{axis}{joint}" for joint in range(X.shape[2] // 2) for axis in "xy"]
    np.testing.assert_array_equal(normalizer.get_feature_names_out(names), names)
    assert normalizer.get_feature_names_out()[-1] == f"ch{X.shape[2] - 1}"


def test_keypoint_normalizer_records_the_column_names_of_a_table_of_frames():
    # one frame per row: the table is reshaped to (n, 1, 2K) before it is
    # validated, and its column names must survive that
    pd = pytest.importorskip("pandas")
    X, _ = make_keypoint_actions(n_samples=8, random_state=0)
    names = [f"{axis}{joint}" for joint in range(X.shape[2] // 2) for axis in "xy"]
    table = pd.DataFrame(X[:, 0], columns=names)
    normalizer = KeypointNormalizer().fit(table)
    np.testing.assert_array_equal(normalizer.feature_names_in_, names)
    np.testing.assert_array_equal(normalizer.get_feature_names_out(), names)
    np.testing.assert_allclose(
        normalizer.transform(table), KeypointNormalizer().fit_transform(X[:, 0])
    )
    with pytest.raises(ValueError, match="feature names should match"):
        normalizer.transform(table[names[::-1]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        normalizer.transform(X[:, 0])
    assert not hasattr(KeypointNormalizer().fit(X[:, 0]), "feature_names_in_")


def test_sequences_without_their_reference_joints_are_scaled_by_their_spread():
    # the reference joints (neck, mid-hip) never visible together in a
    # sequence: it was left in raw units beside normalised ones
    X, _ = make_keypoint_actions(n_samples=3, n_timesteps=4, random_state=0)
    pixels = 200 * X + 400  # detector pixels
    lost = pixels.copy()
    lost[1, :, 2:4] = np.nan  # the neck (joint 1) in no frame
    out = KeypointNormalizer().fit_transform(lost)
    by_spread = KeypointNormalizer(reference=None).fit_transform(lost)
    np.testing.assert_allclose(out[1], by_spread[1], rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(out[0], KeypointNormalizer().fit_transform(pixels)[0])
    assert np.nanmax(np.abs(out[1])) < 10  # not hundreds of pixels


def test_transform_leaves_the_warning_filters_alone(monkeypatch):
    # frames and sequences without joints were computed with "ignore
    # RuntimeWarning" under warnings.catch_warnings, which swaps the
    # process-wide filters: two threads transforming at once left that filter
    # in them for good (scikit-learn's check_array still sets one of its own)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 6, 30))
    X[0, 2] = np.nan  # a frame without joints
    X[1, :, 2:4] = np.nan  # the reference joints never visible
    X[2] = np.nan  # a sequence without joints
    silenced = []
    simplefilter = warnings.simplefilter

    def recorded(action, category=Warning, *args, **kwargs):
        silenced.append((action, category))
        simplefilter(action, category, *args, **kwargs)

    with monkeypatch.context() as patch:  # undone before pytest's own use
        patch.setattr(warnings, "simplefilter", recorded)
        out = KeypointNormalizer().fit_transform(X)
        centred = KeypointNormalizer(reference=None).fit_transform(X)
    assert ("ignore", RuntimeWarning) not in silenced
    assert np.isnan(out[0, 2]).all() and np.isnan(out[2]).all()
    assert np.isfinite(centred[3]).all()
