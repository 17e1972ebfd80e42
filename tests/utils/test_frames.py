"""The frame forecasters' shared output layout and score (skseq.utils._frames)."""

import numpy as np
import pytest

from skseq.baselines import PersistenceForecaster


def _fitted():
    rng = np.random.default_rng(0)
    X, y = rng.random((6, 3, 4, 5)), rng.random((6, 2, 4, 5))
    return PersistenceForecaster().fit(X, y), X, y


def test_score_weighs_samples():
    from sklearn.metrics import r2_score

    est, X, y = _fitted()
    weight = np.arange(1.0, 7.0)
    expected = r2_score(
        y.ravel(), est.predict(X).ravel(), sample_weight=np.repeat(weight, 2 * 4 * 5)
    )
    assert est.score(X, y, sample_weight=weight) == pytest.approx(expected)
    # a single number weighs every sample the same, as no weights do
    assert est.score(X, y, sample_weight=2.0) == pytest.approx(est.score(X, y))


@pytest.mark.parametrize(
    "weight, error, match",
    [
        (np.ones(5), ValueError, r"shape \(6,\), one weight per sample"),
        (["a"] * 6, TypeError, "strings"),
        (-np.ones(6), ValueError, "negative"),
    ],
)
def test_score_checks_sample_weight(weight, error, match):
    est, X, y = _fitted()
    with pytest.raises(error, match=match):
        est.score(X, y, sample_weight=weight)
