"""skorch-wrapped scikit-learn estimators (configuration and shape handling only)."""

from skseq.estimators._callbacks import (
    NonFiniteLossError,
    RollbackOnDivergence,
    WarmEarlyStopping,
)
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
    "NonFiniteLossError",
    "RollbackOnDivergence",
    "UNetNowcaster",
    "WarmEarlyStopping",
]
