"""skorch nets with Hugging Face ``accelerate`` support (multi-GPU, mixed precision).

The classes are defined at module level so that estimators trained through
them pickle. Importing this module does not import ``accelerate``; only an
``Accelerator`` instance passed by the user needs it.
"""

from __future__ import annotations

from skorch import NeuralNet, NeuralNetClassifier
from skorch.hf import AccelerateMixin

from skseq.estimators._nets import WeightedNeuralNet, WeightedNeuralNetClassifier

__all__ = ["AcceleratedNeuralNet", "AcceleratedNeuralNetClassifier", "accelerated"]


class AcceleratedNeuralNet(AccelerateMixin, WeightedNeuralNet):
    """:class:`skorch.NeuralNet` trained through an ``accelerate.Accelerator``."""


class AcceleratedNeuralNetClassifier(AccelerateMixin, WeightedNeuralNetClassifier):
    """:class:`skorch.NeuralNetClassifier` trained through an ``accelerate.Accelerator``."""


_ACCELERATED = {
    NeuralNet: AcceleratedNeuralNet,
    NeuralNetClassifier: AcceleratedNeuralNetClassifier,
    WeightedNeuralNet: AcceleratedNeuralNet,
    WeightedNeuralNetClassifier: AcceleratedNeuralNetClassifier,
}


def accelerated(net_class: type) -> type:
    """Return the accelerate-enabled version of a skorch net class.

    Parameters
    ----------
    net_class : type
        :class:`skorch.NeuralNet` or :class:`skorch.NeuralNetClassifier`.

    Returns
    -------
    type
        The same class with :class:`skorch.hf.AccelerateMixin` mixed in.
    """
    try:
        return _ACCELERATED[net_class]
    except KeyError:
        raise TypeError(
            f"no accelerate-enabled version of {net_class.__name__}; expected one "
            f"of {[c.__name__ for c in _ACCELERATED]}."
        ) from None
