"""Tests of skseq.preprocessing.features."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.integrate import cumulative_trapezoid
from scipy.signal import detrend

from skseq.preprocessing import DerivativeIntegralFeatures


def test_default_is_6_to_18_channels_as_in_the_seed():
    X = np.random.default_rng(0).normal(size=(3, 50, 6))
    t = DerivativeIntegralFeatures(dt=0.1)
    out = t.fit_transform(X)
    assert out.shape == (3, 50, 18)
    np.testing.assert_allclose(out[..., :6], X)
    np.testing.assert_allclose(out[..., 6:12], np.gradient(X, 0.1, axis=1))
    integral = cumulative_trapezoid(X, dx=0.1, axis=1, initial=0)
    np.testing.assert_allclose(out[..., 12:], detrend(integral, axis=1), atol=1e-12)
    names = t.get_feature_names_out()
    assert names[0] == "ch0" and names[6] == "d1_ch0" and names[12] == "i1_ch0"
    # the input's channel names, e.g. a previous step's, name the output
    axes = [f"{s}_{a}" for s in ("acc", "gyr") for a in "xyz"]
    named = t.get_feature_names_out(axes)
    assert named[0] == "acc_x" and named[6] == "d1_acc_x" and named[17] == "i1_gyr_z"
    with pytest.raises(
        ValueError,
        match=r"input_features should have length equal to the number of .* got 5 names",
    ):
        t.get_feature_names_out(axes[:5])


def test_orders_and_drift_removal():
    t = np.linspace(0, 2 * np.pi, 200)
    X = (np.sin(t) + 0.3)[None, :, None]  # bias -> drift when integrated
    raw = DerivativeIntegralFeatures(
        derivative_orders=(2,),
        integral_orders=(2,),
        dt=t[1],
        keep_original=False,
        detrend_integrals=False,
    ).fit_transform(X)
    np.testing.assert_allclose(raw[0, 5:-5, 0], -np.sin(t[5:-5]), atol=1e-3)
    fixed = DerivativeIntegralFeatures(
        derivative_orders=(), integral_orders=(1,), dt=t[1], keep_original=False
    ).fit_transform(X)
    assert np.abs(fixed).max() < 1.5  # the 0.3 * t drift is removed
    assert np.abs(raw[0, :, 1]).max() > 3


def test_two_d_input_and_errors():
    X = np.random.default_rng(0).normal(size=(4, 20))
    t = DerivativeIntegralFeatures().fit(X)
    assert t.transform(X).shape == (4, 60)
    assert t.get_feature_names_out()[20] == "d1_t0"
    with pytest.raises(ValueError, match="expecting 20 features"):
        t.transform(X[:, :10])
    with pytest.raises(ValueError, match="dt"):
        DerivativeIntegralFeatures(dt=0).fit(X)
    with pytest.raises(ValueError, match="Nothing to output"):
        DerivativeIntegralFeatures((), (), keep_original=False).fit(X)


def test_orders_as_numpy_arrays_as_the_constraint_allows():
    X = np.random.default_rng(0).normal(size=(3, 12, 2))
    as_tuples = DerivativeIntegralFeatures((1, 2), (1,), keep_original=False)
    as_arrays = DerivativeIntegralFeatures(
        np.array([1, 2]), np.array([1]), keep_original=False
    )
    np.testing.assert_array_equal(
        as_arrays.fit_transform(X), as_tuples.fit_transform(X)
    )
    with pytest.raises(ValueError, match="Nothing to output"):
        DerivativeIntegralFeatures(
            np.array([], dtype=int), np.array([], dtype=int), keep_original=False
        ).fit(X)


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(2, 30), st.integers(1, 3)),
        elements=st.floats(-1e3, 1e3),
    )
)
def test_shape_contract_and_finite(X):
    out = DerivativeIntegralFeatures().fit_transform(X)
    assert out.shape == (*X.shape[:2], 3 * X.shape[2])
    assert np.isfinite(out).all()


def test_nan_padded_sequences_are_transformed_on_their_valid_steps():
    rng = np.random.default_rng(0)
    lengths = [40, 25, 40, 7]
    X = np.full((4, 40, 3), np.nan)
    for i, n in enumerate(lengths):
        X[i, :n] = rng.normal(size=(n, 3))
    t = DerivativeIntegralFeatures(derivative_orders=(1, 2), integral_orders=(1,))
    out = t.fit_transform(X)
    assert out.shape == (4, 40, 12)
    for i, n in enumerate(lengths):
        # the blocks of the sequence alone; its padding rows NaN throughout
        own = DerivativeIntegralFeatures(
            derivative_orders=(1, 2), integral_orders=(1,)
        ).fit_transform(X[i : i + 1, :n])
        np.testing.assert_allclose(out[i, :n], own[0], atol=1e-12)
        assert np.isnan(out[i, n:]).all()


def test_nan_that_is_not_padding_is_refused():
    X = np.random.default_rng(0).normal(size=(3, 20, 2))
    inside = X.copy()
    inside[1, 5, 0] = np.nan
    with pytest.raises(ValueError, match="inside a sequence"):
        DerivativeIntegralFeatures().fit(inside)
    gap = X.copy()
    gap[1, 5] = np.nan  # a whole row, but not at the end
    with pytest.raises(ValueError, match="inside a sequence"):
        DerivativeIntegralFeatures().fit(X).transform(gap)
    short = X.copy()
    short[2, 1:] = np.nan  # one step left: no derivative
    with pytest.raises(ValueError, match="at least 2"):
        DerivativeIntegralFeatures().fit(short)
    with pytest.raises(ValueError, match=r"inf"):
        DerivativeIntegralFeatures().fit(np.where(np.isnan(short), np.inf, short))


def test_padded_pipeline_into_the_conv1d_classifier():
    from sklearn.pipeline import make_pipeline

    from skseq import Conv1DActivityClassifier

    rng = np.random.default_rng(0)
    y = np.arange(16) % 2
    X = rng.normal(size=(16, 30, 2))
    X[y == 1, :, 0] += 1.0
    X[::3, 20:] = np.nan  # every third sequence 20 steps long
    pipe = make_pipeline(
        DerivativeIntegralFeatures(),
        Conv1DActivityClassifier(
            channels=(4,), kernel_size=3, head_units=4, max_epochs=2, random_state=0
        ),
    ).fit(X, y)
    proba = pipe.predict_proba(X)
    assert proba.shape == (16, 2) and np.isfinite(proba).all()


def test_derivative_integral_orders_named_twice_are_refused():
    from skseq.preprocessing import DerivativeIntegralFeatures

    with pytest.raises(ValueError, match="integral_orders names an order twice"):
        DerivativeIntegralFeatures(integral_orders=(1, 1)).fit(np.zeros((2, 5, 1)))


def test_float32_integrals_of_long_sequences_keep_their_digits():
    # integrated and detrended in float32, an accelerometer-like channel
    # (offset 9.81) lost 1.3 % of its detrended integral at 100 000 steps
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(1, 100_000, 1)) + 9.81).astype(np.float32)
    features = DerivativeIntegralFeatures(derivative_orders=(), integral_orders=(1, 2))
    out = features.fit_transform(X)
    assert out.dtype == np.float32
    x = X[0, :, 0].astype(np.float64)
    i1 = detrend(cumulative_trapezoid(x, initial=0), type="linear")
    i2 = detrend(cumulative_trapezoid(i1, initial=0), type="linear")
    for k, reference in enumerate((i1, i2), start=1):
        error = np.abs(out[0, :, k] - reference).max() / np.abs(reference).max()
        assert error < 1e-6, (k, error)


def test_transform_refuses_another_rank_than_fit():
    X = np.random.default_rng(0).normal(size=(4, 8, 1))
    t = DerivativeIntegralFeatures().fit(X)
    with pytest.raises(ValueError, match="X is 2D but DerivativeIntegralFeatures"):
        t.transform(X[:, :, 0])
    t.fit(X[:, :, 0])
    with pytest.raises(ValueError, match=r"X is 3D but .* fitted on 2D"):
        t.transform(X)
    assert t.transform(X[:, :, 0]).shape == (4, 24)


def test_an_all_nan_sequence_is_named_as_such_without_derivatives():
    # the message spoke of derivatives that were not asked for
    X = np.ones((2, 5, 1))
    X[1] = np.nan
    with pytest.raises(ValueError, match="Sequence 1 is NaN only"):
        DerivativeIntegralFeatures(derivative_orders=()).fit(X)
    with pytest.raises(ValueError, match="needed for the derivatives"):
        DerivativeIntegralFeatures(derivative_orders=(1,)).fit(X)
