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


class _CountsItsTransforms(CentreSequences):
    """Changes one value of a long fitted array at every transform."""

    def fit(self, X, y=None):
        super().fit(X, y)
        self.table_ = np.zeros(5000)
        return self

    def transform(self, X):
        self.table_[2500] += 1.0  # hidden in the middle of repr's "..."
        return super().transform(X)


class _AlwaysTypeError(CentreSequences):
    def fit(self, X, y=None):
        raise TypeError("fit is broken")


def test_the_checks_catch_what_they_promise():
    import pytest

    from skseq.utils.estimator_checks import (
        check_predict_leaves_state_unchanged,
        check_rejects_strings,
    )

    with pytest.raises(AssertionError, match="changed its state"):
        check_predict_leaves_state_unchanged("counts", _CountsItsTransforms())
    with pytest.raises(AssertionError, match="does not match"):
        check_rejects_strings("broken", _AlwaysTypeError())


def test_a_network_updated_by_predict_fails_the_state_check():
    # BatchNorm running statistics updated at prediction (train mode): the
    # attributes' repr is unchanged, the network's buffers are not
    import pytest
    import torch

    from skseq import Conv1DActivityClassifier
    from skseq.utils.estimator_checks import check_predict_leaves_state_unchanged

    class TrainModePredict(Conv1DActivityClassifier):
        def predict(self, X):
            self.module_.train()
            with torch.no_grad():
                self.module_(torch.as_tensor(np.asarray(X, np.float32)))
            self.module_.eval()
            return super().predict(X)

    params = Conv1DActivityClassifier._get_test_params()[0]
    with pytest.raises(AssertionError, match="changed its state"):
        check_predict_leaves_state_unchanged("leaky", TrainModePredict(**params))
