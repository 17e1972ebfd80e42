"""Tests of skseq.preprocessing.augment."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skseq.baselines import SequenceSummarizer
from skseq.preprocessing import RollAugmenter, RollOversampler


def _X(n=6, T=10, C=2, seed=0):
    return np.random.default_rng(seed).normal(size=(n, T, C))


def test_fit_transform_rolls_transform_is_identity():
    X = _X()
    aug = RollAugmenter(min_shift=1, random_state=0)
    rolled = aug.fit_transform(X)
    np.testing.assert_array_equal(aug.transform(X), X)
    for i in range(len(X)):  # each row is a circular shift of its original
        shifts = [
            s for s in range(1, 10) if np.allclose(np.roll(X[i], s, axis=0), rolled[i])
        ]
        assert len(shifts) == 1
    np.testing.assert_array_equal(
        RollAugmenter(min_shift=1, random_state=0).fit_transform(X), rolled
    )


@given(st.integers(1, 8), st.integers(2, 20), st.integers(0, 3))
def test_roll_preserves_values_per_sequence(n, T, max_shift):
    X = _X(n, T)
    rolled = RollAugmenter(max_shift=max_shift, random_state=1).fit_transform(X)
    np.testing.assert_allclose(np.sort(rolled, axis=1), np.sort(X, axis=1))
    assert np.isfinite(rolled).all()


def test_only_training_folds_are_augmented_in_a_pipeline():
    X, y = _X(20, 12), np.repeat(["a", "b"], 10)
    seen = []

    class Spy(SequenceSummarizer):
        def transform(self, X):
            seen.append(X.copy())
            return super().transform(X)

    from sklearn.linear_model import LogisticRegression

    pipe = make_pipeline(RollAugmenter(random_state=0), Spy(), LogisticRegression())
    pipe.fit(X, y)
    pipe.predict(X)
    assert not np.allclose(seen[0], X)  # training data was rolled
    np.testing.assert_array_equal(seen[-1], X)  # prediction data was not
    grid = GridSearchCV(pipe, {"rollaugmenter__max_shift": [1, 5]}, cv=2).fit(X, y)
    assert grid.best_params_["rollaugmenter__max_shift"] in (1, 5)


def test_bad_shift_bounds():
    with pytest.raises(ValueError, match="min_shift"):
        RollAugmenter(min_shift=3, max_shift=1).fit(_X())


def test_oversampler_balances_with_noisy_rolled_copies():
    X = _X(10, 16)
    y = np.array(["a"] * 8 + ["b"] * 2)
    X_res, y_res = RollOversampler(noise_std=0.1, random_state=0).fit_resample(X, y)
    assert (y_res == "a").sum() == 8 and (y_res == "b").sum() == 8
    np.testing.assert_array_equal(X_res[:10], X)  # originals first, untouched
    new = X_res[10:]
    assert not any(np.allclose(new[0], X[i]) for i in range(10))
    # a synthetic sample is close to a rolled copy of a minority sample
    errors = [
        np.abs(np.roll(X[i], s, axis=0) - new[0]).mean()
        for i in (8, 9)
        for s in range(16)
    ]
    assert min(errors) < 0.15


@pytest.mark.parametrize(
    "strategy, counts",
    [
        ("minority", {"a": 8, "b": 8, "c": 4}),
        ("not majority", {"a": 8, "b": 8, "c": 8}),
        ({"b": 5}, {"a": 8, "b": 5, "c": 4}),
    ],
)
def test_sampling_strategies(strategy, counts):
    X = _X(14, 8)
    y = np.array(["a"] * 8 + ["b"] * 2 + ["c"] * 4)
    _, y_res = RollOversampler(sampling_strategy=strategy, random_state=0).fit_resample(
        X, y
    )
    got = dict(zip(*np.unique(y_res, return_counts=True)))
    assert got == counts


def test_oversampler_errors_and_float_strategy():
    X, y = _X(10, 8), np.array([0] * 8 + [1] * 2)
    _, y_res = RollOversampler(sampling_strategy=0.5, random_state=0).fit_resample(X, y)
    assert (y_res == 1).sum() == 4
    with pytest.raises(ValueError, match="fewer"):
        RollOversampler(sampling_strategy={0: 2}).fit_resample(X, y)
    with pytest.raises(ValueError, match="sampling_strategy"):
        RollOversampler(sampling_strategy="most").fit_resample(X, y)
    with pytest.raises(ValueError, match="Inconsistent"):
        RollOversampler().fit_resample(X, y[:-1])
    with pytest.raises(TypeError, match=r"sampling_strategy\[1\] must be the"):
        RollOversampler(sampling_strategy={1: "a"}).fit_resample(X, y)
    # labels as the classifiers check them: missing ones named, types not mixed
    labels = np.array(["a"] * 8 + ["b", None], dtype=object)
    with pytest.raises(ValueError, match="y contains missing values"):
        RollOversampler().fit_resample(X, labels)
    with pytest.raises(TypeError, match="mixes string labels"):
        RollOversampler().fit_resample(X, np.array(["a"] * 8 + [1, 1], dtype=object))


def test_inside_imblearn_pipeline():
    imblearn = pytest.importorskip("imblearn")
    from sklearn.linear_model import LogisticRegression

    X, y = _X(30, 8), np.array([0] * 24 + [1] * 6)
    X[y == 1] += 1.5
    pipe = imblearn.pipeline.make_pipeline(
        RollOversampler(random_state=0), SequenceSummarizer(), LogisticRegression()
    )
    assert pipe.fit(X, y).predict(X).shape == (30,)


def _padded(seed=0):
    """Sequences of 8, 5 and 3 steps NaN-padded to 8, one with a missing value."""
    X = _X(3, 8, 2, seed)
    X[1, 5:] = np.nan
    X[2, 3:] = np.nan
    X[0, 2, 1] = np.nan  # a missing value, not padding
    return X


def test_padded_sequences_roll_within_their_length():
    X = _padded()
    rolled = RollAugmenter(min_shift=1, random_state=0).fit_transform(X)
    for i, length in enumerate([8, 5, 3]):
        assert np.isnan(rolled[i, length:]).all()  # padding stays at the end
        matches = [
            s
            for s in range(1, length)
            if np.allclose(
                np.roll(X[i, :length], s, axis=0), rolled[i, :length], equal_nan=True
            )
        ]
        assert len(matches) == 1  # a circular shift of its own steps
    assert np.isnan(rolled[0]).sum() == 1  # the missing value moved with its step


def test_unpadded_input_rolls_as_before_padding_was_accepted():
    X = _X(20, 12)
    rng = np.random.RandomState(0)  # the draws of the code before padding
    shifts = rng.randint(0, 12, size=20)
    signs = np.where(rng.rand(20) < 0.5, -1, 1)
    expected = np.stack([np.roll(x, s, axis=0) for x, s in zip(X, shifts * signs)])
    np.testing.assert_array_equal(
        RollAugmenter(random_state=0).fit_transform(X), expected
    )


def test_padded_input_errors_name_the_sequence():
    X = _padded()
    with pytest.raises(ValueError, match="sequence 2: it has 3 steps"):
        RollAugmenter(min_shift=3).fit(X)
    aug = RollAugmenter(min_shift=3)
    with pytest.raises(ValueError, match="min_shift=3 is too long"):
        aug.fit_transform(X)
    assert not hasattr(aug, "n_features_in_")  # nothing half-fitted
    X[1] = np.nan
    with pytest.raises(ValueError, match="Sequence 1 is NaN only"):
        RollAugmenter().fit(X)
    with pytest.raises(ValueError, match="needs sequences of more than 9 timesteps"):
        RollAugmenter(min_shift=9).fit(_X(T=8))
    X = _padded()
    X[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        RollAugmenter().fit(X)


def test_oversampler_keeps_padding_at_the_end():
    X = _padded()
    X_res, y_res = RollOversampler(
        sampling_strategy={1: 6}, random_state=0
    ).fit_resample(X, [0, 1, 1])
    for x, label in zip(X_res[3:], y_res[3:]):
        assert label == 1
        length = 8 - np.isnan(x).all(axis=1)[::-1].argmin()
        assert length in (3, 5)  # a copy of sequence 1 or 2, padding kept
        assert np.isfinite(x[:length]).all() and np.isnan(x[length:]).all()


def test_roll_augmenter_names_its_channels_in_a_pipeline():
    from skseq.preprocessing import DerivativeIntegralFeatures

    X = np.random.default_rng(0).normal(size=(6, 10, 2))
    pre = make_pipeline(DerivativeIntegralFeatures(), RollAugmenter(random_state=0))
    names = pre.fit(X).get_feature_names_out()
    np.testing.assert_array_equal(names, pre[0].get_feature_names_out())
    assert list(RollAugmenter().fit(X).get_feature_names_out()) == ["ch0", "ch1"]
    # 2D input comes back 2D: one name per column (timestep)
    fitted = RollAugmenter().fit(X[:, :, 0])
    assert list(fitted.get_feature_names_out()) == [f"t{t}" for t in range(10)]
    augmenting = RollAugmenter(random_state=0)
    augmenting.fit_transform(X[:, :, 0])
    assert len(augmenting.get_feature_names_out()) == 10
    with pytest.raises(
        ValueError, match=r"number of channels \(2\) that RollAugmenter was fitted on"
    ):
        RollAugmenter().fit(X).get_feature_names_out(["a", "b", "c"])
    # fitted by an earlier skseq, which did not record the input's rank
    from sklearn.exceptions import NotFittedError

    del fitted._columns_are_timesteps
    with pytest.raises(NotFittedError, match="fit it again"):
        fitted.get_feature_names_out()


def test_transform_refuses_another_rank_than_fit():
    # the output's rank (and its feature names) follow the fitted rank
    X = _X(C=1)
    aug = RollAugmenter(random_state=0).fit(X)
    with pytest.raises(ValueError, match="X is 2D but RollAugmenter was fitted on 3D"):
        aug.transform(X[:, :, 0])
    aug.fit(X[:, :, 0])
    with pytest.raises(ValueError, match="X is 3D but RollAugmenter was fitted on 2D"):
        aug.transform(X)


def test_transform_passes_an_all_nan_sequence_through():
    # transform is the identity: an empty (all-padding) sequence is no error there
    X = _X()
    X_pred = X.copy()
    X_pred[1] = np.nan
    out = RollAugmenter(random_state=0).fit(X).transform(X_pred)
    np.testing.assert_array_equal(out, X_pred)


def test_oversampler_keeps_pandas_containers():
    """A DataFrame X and a Series y come back as such, as imbalanced-learn does."""
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(_X(6, 5, 1)[:, :, 0], columns=[f"t{i}" for i in range(5)])
    y = pd.Series([0, 0, 0, 0, 1, 1], name="activity", index=list("abcdef"))
    sampler = RollOversampler(random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == list(X.columns)
    assert isinstance(y_res, pd.Series) and y_res.name == "activity"
    assert X_res.shape == (8, 5) and list(y_res) == [0, 0, 0, 0, 1, 1, 1, 1]
    np.testing.assert_array_equal(X_res.to_numpy()[:6], X.to_numpy())
    assert sampler.n_features_in_ == 5 and list(sampler.feature_names_in_) == list(
        X.columns
    )
    # numpy input: numpy output, and the names of a previous DataFrame are gone
    X_np, y_np = sampler.fit_resample(X.to_numpy()[:, :, None], y.to_numpy())
    assert type(X_np) is np.ndarray and type(y_np) is np.ndarray
    assert X_np.shape == (8, 5, 1) and not hasattr(sampler, "feature_names_in_")
