"""Pure PyTorch networks (no scikit-learn or skorch in here)."""

from skseq.modules.conv1d import Conv1DActivityNet, ResidualConv1dBlock
from skseq.modules.convlstm import (
    ConvLSTM,
    ConvLSTMCell,
    ConvLSTMSeq2Seq,
    TemporalAttention,
)
from skseq.modules.layers import (
    BatchNorm1dAnyBatch,
    RandomRoll,
    SpatialDropout1d,
    SpatialDropout2d,
    crop_padding,
    get_activation,
    pad_to_multiple,
)
from skseq.modules.losses import LogCoshLoss
from skseq.modules.recurrent import KeypointLSTMNet
from skseq.modules.unet import RainNet

__all__ = [
    "BatchNorm1dAnyBatch",
    "Conv1DActivityNet",
    "ConvLSTM",
    "ConvLSTMCell",
    "ConvLSTMSeq2Seq",
    "KeypointLSTMNet",
    "LogCoshLoss",
    "RainNet",
    "RandomRoll",
    "ResidualConv1dBlock",
    "SpatialDropout1d",
    "SpatialDropout2d",
    "TemporalAttention",
    "crop_padding",
    "get_activation",
    "pad_to_multiple",
]
