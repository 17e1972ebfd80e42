"""Pure PyTorch networks (no scikit-learn or skorch in here)."""

from skseq.modules.advection import (
    advect_translation,
    estimate_translation,
    gaussian_blur,
)
from skseq.modules.conv1d import (
    Conv1DActivityNet,
    Conv1DEncoder,
    ResidualConv1dBlock,
)
from skseq.modules.convlstm import (
    ConvLSTM,
    ConvLSTMCell,
    ConvLSTMSeq2Seq,
    TemporalAttention,
)
from skseq.modules.layers import (
    BatchNorm1dAnyBatch,
    RandomCrop,
    RandomRoll,
    SpatialDropout1d,
    crop_padding,
    get_activation,
    pad_to_multiple,
)
from skseq.modules.losses import LogCoshL1Loss, LogCoshLoss
from skseq.modules.recurrent import KeypointLSTMNet
from skseq.modules.unet import RainNet, RecursiveNowcastNet

__all__ = [
    "BatchNorm1dAnyBatch",
    "Conv1DActivityNet",
    "Conv1DEncoder",
    "ConvLSTM",
    "ConvLSTMCell",
    "ConvLSTMSeq2Seq",
    "KeypointLSTMNet",
    "LogCoshL1Loss",
    "LogCoshLoss",
    "RainNet",
    "RandomCrop",
    "RandomRoll",
    "RecursiveNowcastNet",
    "ResidualConv1dBlock",
    "SpatialDropout1d",
    "TemporalAttention",
    "advect_translation",
    "crop_padding",
    "estimate_translation",
    "gaussian_blur",
    "get_activation",
    "pad_to_multiple",
]
