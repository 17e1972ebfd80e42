"""Synthetic 2D pose-keypoint sequences of a few actions."""

from __future__ import annotations

from collections.abc import Iterable, Set

import numpy as np
from sklearn.utils import check_random_state

from skseq.utils.validation import check_finite_real, check_positive_int

__all__ = ["JOINTS", "make_keypoint_actions"]

#: Joint order of the 15-point skeleton; X[..., 2*j] is x and X[..., 2*j+1] is y.
JOINTS = (
    "head",
    "neck",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "mid_hip",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
)
_ACTIONS = ("walk", "wave", "squat", "jump")
# segment lengths relative to body height
_TORSO, _NECK, _SHOULDER, _UPPER_ARM, _FOREARM = 0.30, 0.10, 0.11, 0.17, 0.15
_HIP, _THIGH, _SHIN = 0.07, 0.24, 0.24


def _direction(angle: np.ndarray) -> np.ndarray:
    """Unit vector at ``angle`` from straight down (y up), shape (..., 2)."""
    return np.stack([np.sin(angle), -np.cos(angle)], axis=-1)


def _angles(action: str, phase: np.ndarray, amp: float) -> dict[str, np.ndarray]:
    """Joint angles (radians from vertical-down) and root offsets over time."""
    zero = np.zeros_like(phase)
    s = np.sin(phase)
    a = {
        "r_upper": zero + 0.15,
        "r_fore": zero + 0.2,
        "l_upper": zero - 0.15,
        "l_fore": zero - 0.2,
        "r_thigh": zero + 0.05,
        "r_shin": zero + 0.05,
        "l_thigh": zero - 0.05,
        "l_shin": zero - 0.05,
        "root_dx": zero,
        "root_dy": zero,
    }
    if action == "walk":
        a["r_thigh"] = 0.45 * amp * s
        a["l_thigh"] = -0.45 * amp * s
        a["r_shin"] = a["r_thigh"] - 0.3 * amp * np.clip(-s, 0, None)
        a["l_shin"] = a["l_thigh"] - 0.3 * amp * np.clip(s, 0, None)
        a["r_upper"] = -0.4 * amp * s
        a["l_upper"] = 0.4 * amp * s
        a["r_fore"] = a["r_upper"] + 0.3
        a["l_fore"] = a["l_upper"] + 0.3
        a["root_dx"] = 0.08 * (phase - phase[0])
        a["root_dy"] = 0.015 * amp * np.abs(np.cos(phase))
    elif action == "wave":
        a["r_upper"] = zero + 2.5
        a["r_fore"] = 3.1 + 0.5 * amp * s
    elif action == "squat":
        depth = 0.5 * amp * (1 - np.cos(phase))  # 0..amp
        a["r_thigh"] = 1.1 * depth
        a["l_thigh"] = -1.1 * depth
        a["r_shin"] = -0.6 * depth
        a["l_shin"] = 0.6 * depth
        a["r_upper"] = 1.3 * depth
        a["l_upper"] = -1.3 * depth
        a["r_fore"] = a["r_upper"]
        a["l_fore"] = a["l_upper"]
    elif action == "jump":
        lift = 0.25 * amp * np.clip(s, 0, None)
        crouch = 0.4 * amp * np.clip(-s, 0, None)
        a["root_dy"] = lift
        a["r_thigh"] = 0.6 * crouch
        a["l_thigh"] = -0.6 * crouch
        a["r_shin"] = -0.5 * crouch
        a["l_shin"] = 0.5 * crouch
        a["r_upper"] = 2.6 * np.clip(s, 0, None) + 0.15
        a["l_upper"] = -2.6 * np.clip(s, 0, None) - 0.15
        a["r_fore"] = a["r_upper"]
        a["l_fore"] = a["l_upper"]
    return a


def _skeleton(a: dict[str, np.ndarray], height: float, root: np.ndarray) -> np.ndarray:
    """Forward kinematics: (T, 15, 2) joint positions."""
    T = len(a["root_dx"])
    mid_hip = root[None, :] + height * np.stack([a["root_dx"], a["root_dy"]], axis=1)
    crouch = (_THIGH + _SHIN) * (
        1
        - 0.5
        * (np.cos(a["r_thigh"] - a["r_shin"]) + np.cos(a["l_thigh"] - a["l_shin"]))
    )
    mid_hip[:, 1] -= height * crouch * 0.5
    up = np.array([0.0, 1.0])
    right = np.array([1.0, 0.0])
    neck = mid_hip + height * _TORSO * up
    head = neck + height * _NECK * up
    joints = np.empty((T, 15, 2))
    joints[:, 0], joints[:, 1], joints[:, 8] = head, neck, mid_hip
    for side, sign, first in (("r", 1.0, 2), ("l", -1.0, 5)):
        shoulder = neck + sign * height * _SHOULDER * right
        elbow = shoulder + height * _UPPER_ARM * _direction(a[f"{side}_upper"])
        wrist = elbow + height * _FOREARM * _direction(a[f"{side}_fore"])
        joints[:, first], joints[:, first + 1], joints[:, first + 2] = (
            shoulder,
            elbow,
            wrist,
        )
    for side, sign, first in (("r", 1.0, 9), ("l", -1.0, 12)):
        hip = mid_hip + sign * height * _HIP * right
        knee = hip + height * _THIGH * _direction(a[f"{side}_thigh"])
        ankle = knee + height * _SHIN * _direction(a[f"{side}_shin"])
        joints[:, first], joints[:, first + 1], joints[:, first + 2] = hip, knee, ankle
    return joints


def make_keypoint_actions(
    n_samples: int = 200,
    n_timesteps: int = 5,
    actions: tuple[str, ...] = _ACTIONS,
    noise_std: float = 0.01,
    weights: tuple[float, ...] | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """2D skeletons (15 joints) performing actions, as keypoint sequences.

    A kinematic stick figure (segment lengths proportional to the subject's
    height) performs one of ``"walk"``, ``"wave"``, ``"squat"``, ``"jump"``;
    joint angles follow each action's periodic pattern. Every sample varies
    the subject's height (1.5-1.9 m), position, movement amplitude, speed and
    starting phase; Gaussian noise models keypoint-detector jitter. Layout of
    common pose detectors: ``n_timesteps`` frames of 15 joints x (x, y) = 30 features.

    Bone lengths are exact (without noise); the figure is a kinematic
    sketch, not a physical body: the squat lowers the ankles with the hips
    (by about 17 cm at its deepest, the jump's crouch by about 2 cm), and
    the walk, always toward +x, swings the legs in the image plane, and no
    foot stays planted (the lower ankle moves faster than the hips). Classes are told apart by their
    joint patterns, as on detector output; do not read contact or balance
    from them.

    Parameters
    ----------
    n_samples : int, default=200
        Number of sequences.
    n_timesteps : int, default=5
        Frames per sequence.
    actions : tuple of str, default=("walk", "wave", "squat", "jump")
        Any subset of at least 2, each named once.
    noise_std : float, default=0.01
        Keypoint noise in metres.
    weights : tuple of float or None, default=None
        Class proportions (normalised); None gives balanced classes.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator; an int gives the same data every call.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, 30), float32
        ``X[:, t, 2*j]`` and ``X[:, t, 2*j+1]`` are the x and y (up) position
        in metres of joint ``j`` in :data:`~skseq.datasets.JOINTS` order.
    y : ndarray of shape (n_samples,), str
        Action names.

    Examples
    --------
    >>> from skseq.datasets import make_keypoint_actions
    >>> X, y = make_keypoint_actions(n_samples=8, random_state=0)
    >>> X.shape
    (8, 5, 30)
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    n_timesteps = check_positive_int(n_timesteps, "n_timesteps", minimum=2)
    if isinstance(actions, str | Set) or not isinstance(actions, Iterable):
        # a set's order changes between processes (string hashing): the
        # same random_state would give other data, and weights other actions
        raise TypeError(
            f"actions must be a sequence of names from {_ACTIONS} (ordered: "
            f"a list or tuple, not a set); got {actions!r}."
        )
    actions = tuple(actions)
    unknown = [a for a in actions if a not in _ACTIONS]
    if unknown or len(set(actions)) < 2 or len(set(actions)) < len(actions):
        raise ValueError(
            f"actions must be at least 2 distinct names from {_ACTIONS}, each "
            f"given once; got {actions}."
        )
    if check_finite_real(noise_std, "noise_std") < 0:
        raise ValueError(f"noise_std must be >= 0; got {noise_std}.")
    rng = check_random_state(random_state)
    if weights is None:
        labels = np.array(actions)[np.arange(n_samples) % len(actions)]
        labels = labels[rng.permutation(n_samples)]
    else:
        try:
            p = np.asarray(weights, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"weights must be numbers, one per action; got {weights!r}."
            ) from None
        if p.shape != (len(actions),) or not np.isfinite(p).all() or (p < 0).any():
            raise ValueError("weights must be finite and >= 0, one per action.")
        if not p.any():
            raise ValueError("weights must not all be 0.")
        with np.errstate(over="ignore"):
            if not np.isfinite(p.sum()):  # finite weights whose sum overflows
                p = p / p.max()
        labels = rng.choice(np.array(actions), size=n_samples, p=p / p.sum())
    X = np.empty((n_samples, n_timesteps, 30))
    for i, action in enumerate(labels):
        height = rng.uniform(1.5, 1.9)
        root = rng.uniform([-1.0, 0.8], [1.0, 1.2])
        speed = rng.uniform(0.8, 1.25) * 2 * np.pi / 8.0  # ~8 frames per cycle
        phase = rng.uniform(0, 2 * np.pi) + speed * np.arange(n_timesteps)
        angles = _angles(action, phase, amp=rng.uniform(0.8, 1.2))
        X[i] = _skeleton(angles, height, root).reshape(n_timesteps, 30)
    X += rng.normal(0.0, noise_std, size=X.shape)
    return X.astype(np.float32), labels.astype(str)
