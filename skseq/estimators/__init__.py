"""skorch-wrapped scikit-learn estimators (configuration and shape handling only)."""

from skseq.estimators._base import RollbackOnDivergence
from skseq.estimators.classification import (
    Conv1DActivityClassifier,
    KeypointLSTMClassifier,
)
from skseq.estimators.forecasting import ConvLSTMForecaster
from skseq.estimators.nowcasting import UNetNowcaster

__all__ = [
    "Conv1DActivityClassifier",
    "ConvLSTMForecaster",
    "KeypointLSTMClassifier",
    "RollbackOnDivergence",
    "UNetNowcaster",
]
