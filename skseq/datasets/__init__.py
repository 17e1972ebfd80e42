"""Real data shipped with skseq and physically based synthetic generators."""

from skseq.datasets._keypoints import JOINTS, make_keypoint_actions
from skseq.datasets._netcdf import load_netcdf_frames
from skseq.datasets._radar import make_radar_sequences
from skseq.datasets._real import load_basic_motions, load_gunpoint
from skseq.datasets._traffic import make_traffic_speeds

__all__ = [
    "JOINTS",
    "load_basic_motions",
    "load_gunpoint",
    "load_netcdf_frames",
    "make_keypoint_actions",
    "make_radar_sequences",
    "make_traffic_speeds",
]
