"""scikit-learn transformers for sequences, frames and traffic tables."""

from skseq.preprocessing.augment import RollAugmenter, RollOversampler
from skseq.preprocessing.features import DerivativeIntegralFeatures
from skseq.preprocessing.heatmap import Heatmapper
from skseq.preprocessing.keypoints import KeypointNormalizer
from skseq.preprocessing.scaling import LogTransformer
from skseq.preprocessing.windows import SlidingWindows, sliding_windows

__all__ = [
    "DerivativeIntegralFeatures",
    "Heatmapper",
    "KeypointNormalizer",
    "LogTransformer",
    "RollAugmenter",
    "RollOversampler",
    "SlidingWindows",
    "sliding_windows",
]
