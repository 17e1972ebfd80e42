"""skseq: scikit-learn compatible deep sequence and spatiotemporal models.

The four deep estimators are importable from the top level; they load
PyTorch and skorch on first access, so ``import skseq`` stays light.

>>> from skseq import ConvLSTMForecaster, UNetNowcaster
>>> from skseq import Conv1DActivityClassifier, KeypointLSTMClassifier
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0.dev0"

_LAZY = {
    "ConvLSTMForecaster": "skseq.estimators.forecasting",
    "UNetNowcaster": "skseq.estimators.nowcasting",
    "Conv1DActivityClassifier": "skseq.estimators.classification",
    "KeypointLSTMClassifier": "skseq.estimators.classification",
}

__all__ = [*sorted(_LAZY), "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'skseq' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
