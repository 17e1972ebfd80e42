"""Tests of make_keypoint_actions."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from skseq.datasets import make_keypoint_actions
from skseq.datasets._keypoints import JOINTS


def test_layout_balance_and_determinism():
    X, y = make_keypoint_actions(n_samples=40, random_state=0)
    assert X.shape == (40, 5, 30) and X.dtype == np.float32 and len(JOINTS) == 15
    assert np.unique(y, return_counts=True)[1].tolist() == [10, 10, 10, 10]
    X2, y2 = make_keypoint_actions(n_samples=40, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_actions_are_separable():
    X, y = make_keypoint_actions(n_samples=200, random_state=0)
    score = cross_val_score(
        LogisticRegression(max_iter=2000), X.reshape(200, -1), y, cv=3
    )
    assert score.mean() > 0.8


def test_limb_lengths_constant_within_a_sample():
    X, _ = make_keypoint_actions(
        n_samples=20, n_timesteps=8, noise_std=0.0, random_state=1
    )
    joints = X.reshape(20, 8, 15, 2)
    for a, b in [(2, 3), (3, 4), (9, 10), (10, 11)]:  # upper arm, forearm, thigh, shin
        length = np.linalg.norm(joints[:, :, a] - joints[:, :, b], axis=-1)
        np.testing.assert_allclose(
            length, np.repeat(length[:, :1], 8, axis=1), rtol=1e-4
        )


def test_weights_and_errors():
    _, y = make_keypoint_actions(
        n_samples=300, actions=("walk", "wave"), weights=(0.9, 0.1), random_state=0
    )
    assert (y == "wave").mean() < 0.2
    # relative weights whose sum overflows are still relative weights
    _, huge = make_keypoint_actions(
        n_samples=300,
        actions=("walk", "wave"),
        weights=(1.62e308, 0.18e308),
        random_state=0,
    )
    np.testing.assert_array_equal(huge, y)
    with pytest.raises(ValueError, match="actions"):
        make_keypoint_actions(actions=("fly", "walk"))
    # a name given twice would make the classes unbalanced
    with pytest.raises(ValueError, match="each given once"):
        make_keypoint_actions(actions=("walk", "walk", "wave"))
    with pytest.raises(ValueError, match="noise_std must be a finite real number"):
        make_keypoint_actions(noise_std=float("nan"))
    with pytest.raises(ValueError, match="weights"):
        make_keypoint_actions(actions=("walk", "wave"), weights=(1.0,))
    with pytest.raises(ValueError, match="weights must be finite"):
        make_keypoint_actions(actions=("walk", "wave"), weights=(1.0, np.inf))
    with pytest.raises(ValueError, match="weights must be numbers, one per action"):
        make_keypoint_actions(weights="abcd")
    for actions in (None, "squat"):  # a string would be read letter by letter
        with pytest.raises(TypeError, match="actions must be a sequence of names"):
            make_keypoint_actions(actions=actions)
    # any iterable of names, a generator too
    _, y = make_keypoint_actions(
        n_samples=4, actions=(a for a in ("walk", "jump")), random_state=0
    )
    assert set(y) == {"walk", "jump"}


def test_a_set_of_actions_is_refused():
    # a set's order follows string hashing, which changes between processes:
    # the same random_state gave other labels in another interpreter
    with pytest.raises(TypeError, match="not a set"):
        make_keypoint_actions(actions={"walk", "wave"}, random_state=0)
    _, y = make_keypoint_actions(n_samples=4, actions=["walk", "wave"], random_state=0)
    assert set(y) == {"walk", "wave"}
