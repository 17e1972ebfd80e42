"""Tests of skseq.preprocessing.scaling."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skseq.preprocessing import LogTransformer


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4)),
        elements=st.floats(0, 500),
    )
)
def test_exact_round_trip_any_rank(X):
    t = LogTransformer().fit(X)
    Z = t.transform(X)
    assert Z.shape == X.shape and np.isfinite(Z).all()
    np.testing.assert_allclose(t.inverse_transform(Z), X, rtol=1e-12, atol=1e-12)


def test_float32_round_trip_of_dry_pixels_stays_non_negative():
    rain = np.zeros((4, 8, 8), np.float32)
    rain[:, :2] = np.float32(1e-6)
    t = LogTransformer().fit(rain)
    back = t.inverse_transform(t.transform(rain))
    assert back.min() >= 0  # exp(log(0.01)) - 0.01 is -9.3e-10 in float32
    np.testing.assert_allclose(back, rain, atol=1e-8)
    t.transform(back)  # a valid input again


def test_values_and_negative_input():
    X = np.array([[0.0, 0.99]])
    np.testing.assert_allclose(
        LogTransformer(offset=0.01).fit_transform(X), [[np.log(0.01), 0.0]]
    )
    with pytest.raises(ValueError, match="minimum -1"):
        LogTransformer().fit(-np.ones((2, 2)))
    t = LogTransformer().fit(np.ones((2, 2)))
    with pytest.raises(ValueError, match="Negative values"):
        t.transform(-np.ones((2, 2)))
    with pytest.raises(ValueError, match="offset"):
        LogTransformer(offset=0).fit(np.ones((2, 2)))
    assert (
        LogTransformer().fit_transform(np.ones((2, 2), dtype=np.float32)).dtype
        == np.float32
    )


def test_float64_dataframes_and_tensors_stay_float64():
    import pandas as pd
    import torch

    X = np.random.default_rng(0).gamma(0.5, 2, size=(3, 4))
    for data in (pd.DataFrame(X), torch.from_numpy(X)):
        t = LogTransformer().fit(data)
        Z = t.transform(data)
        assert Z.dtype == np.float64
        np.testing.assert_allclose(t.inverse_transform(Z), X, rtol=1e-12, atol=1e-14)
    assert LogTransformer().fit_transform(pd.DataFrame(X, dtype="float32")).dtype == (
        np.float32
    )
    # Python floats are float64 to numpy: a list keeps their precision
    t = LogTransformer().fit(X.tolist())
    assert t.transform(X.tolist()).dtype == np.float64
    np.testing.assert_array_equal(t.transform(X.tolist()), t.transform(X))
    big_endian = X.astype(">f8")  # float64 in the other byte order
    t = LogTransformer().fit(big_endian)
    Z = t.transform(big_endian)
    assert Z.dtype == np.float64
    np.testing.assert_allclose(t.inverse_transform(Z), X, rtol=1e-12, atol=1e-14)


def test_feature_names_per_channel_of_sequences():
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    from skseq.baselines import SequenceSummarizer
    from skseq.preprocessing import RollAugmenter

    X = np.random.default_rng(0).gamma(1.0, 1.0, size=(10, 5, 2))
    # sequences: one name per channel, so that the sequence steps chain
    pipe = make_pipeline(LogTransformer(), SequenceSummarizer(statistics=("mean",)))
    assert list(pipe.fit(X).get_feature_names_out()) == ["ch0_mean", "ch1_mean"]
    pipe = make_pipeline(RollAugmenter(random_state=0), LogTransformer())
    assert list(pipe.fit(X).get_feature_names_out()) == ["ch0", "ch1"]
    # tables and frames: one name per feature, as scikit-learn's
    log = LogTransformer().fit(X)
    assert list(log.fit(X[:, :, 0]).get_feature_names_out()) == [
        f"x{i}" for i in range(5)
    ]
    table = pd.DataFrame(X[:, :, 0], columns=list("abcde"))
    assert list(LogTransformer().fit(table).get_feature_names_out()) == list("abcde")
    assert len(LogTransformer().fit(X[:, :, :, None]).get_feature_names_out()) == 10


def test_transform_refuses_samples_of_another_shape():
    # as many values in another shape would be named as the fitted features
    t = LogTransformer().fit(np.ones((3, 4, 5)))
    for bad in (np.ones((3, 20)), np.ones((3, 5, 4))):
        for method in (t.transform, t.inverse_transform):
            with pytest.raises(
                ValueError, match=r"fitted on samples of shape \(4, 5\)"
            ):
                method(bad)
    assert t.transform(np.ones((2, 4, 5))).shape == (2, 4, 5)


@pytest.mark.parametrize(
    "dtype, value, bound",
    [
        (np.float32, 100, 4e-5),
        (np.float32, 1e5, 6.5e-2),
        (np.float64, 100, 5e-14),
        (np.float64, 1e5, 9e-11),
    ],
)
def test_round_trip_within_the_documented_rounding(dtype, value, bound):
    rng = np.random.default_rng(0)
    x = (value * (1 + rng.uniform(-5e-4, 5e-4, size=(200, 50)))).astype(dtype)
    t = LogTransformer().fit(x)
    err = np.abs(t.inverse_transform(t.transform(x)).astype(np.float64) - x).max()
    eps = np.finfo(dtype).eps
    assert err <= (1 + abs(np.log(value + 0.01))) * (value + 0.01) * eps
    assert err <= bound


def test_inverse_transform_takes_arrays_after_a_dataframe_fit():
    # a model's output comes back as numpy: scikit-learn checks no feature
    # names in inverse_transform; this one warned "X does not have valid
    # feature names"
    import warnings

    import pandas as pd

    table = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [3.0, 0.5, 0.0]})
    t = LogTransformer().fit(table)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = t.inverse_transform(np.asarray(t.transform(table)))
    np.testing.assert_allclose(back, table.to_numpy(), atol=1e-6)
    with pytest.warns(UserWarning, match="feature names"):
        t.transform(table.to_numpy())  # transform still checks them
