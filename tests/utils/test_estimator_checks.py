"""skseq.utils.estimator_checks on estimators a third party writes with
skseq's mixins, as the API reference suggests (skseq's own estimators are
checked in the test module of each)."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, column_or_1d

from skseq.base import ArrayOutputMixin, ChannelNamesOutMixin, SequenceInputMixin
from skseq.utils.estimator_checks import make_test_data, parametrize_with_skseq_checks
from skseq.utils.validation import check_same_length


class SequenceMeanRegressor(SequenceInputMixin, RegressorMixin, BaseEstimator):
    """Predicts the training target's mean: a sequence-to-value model."""

    def fit(self, X, y):
        X = self._validate_sequences(X, reset=True)
        y = column_or_1d(y)
        check_same_length(X, y, names=("X", "y"))
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = self._validate_sequences(X, reset=False)
        return np.full(len(X), self.mean_)


class CentreSequences(
    ArrayOutputMixin,
    ChannelNamesOutMixin,
    SequenceInputMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Subtracts each channel's training mean; returns ``(n, T, C)``."""

    def fit(self, X, y=None):
        X = self._validate_sequences(X, reset=True)
        self.mean_ = X.mean(axis=(0, 1))
        return self

    def transform(self, X):
        check_is_fitted(self)
        return self._validate_sequences(X, reset=False) - self.mean_


@parametrize_with_skseq_checks([SequenceMeanRegressor(), CentreSequences()])
def test_third_party_estimators_pass_the_checks(estimator, check):
    check(estimator)


def test_make_test_data_gives_sequence_regressors_a_target():
    X, y = make_test_data(SequenceMeanRegressor(), n_samples=6)
    assert X.shape == (6, 16, 3) and y.shape == (6,)
    np.testing.assert_allclose(y, X[:, :, 0].mean(axis=1))
    assert make_test_data(CentreSequences())[1] is None


def test_channel_names_after_a_dataframe_of_univariate_sequences():
    # the DataFrame's columns are timesteps: they name no output channel
    table = pd.DataFrame(np.arange(12.0).reshape(3, 4), columns=list("abcd"))
    centred = CentreSequences().fit(table)
    assert centred.transform(table).shape == (3, 4, 1)
    assert centred.get_feature_names_out().tolist() == ["ch0"]
    assert centred.get_feature_names_out(["speed"]).tolist() == ["speed"]
