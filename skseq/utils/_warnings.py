"""Warnings attributed to the user's code."""

from __future__ import annotations

import os
import sys
import warnings

#: skseq's own folder: frames in it are not the user's code
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn``, attributed to the first caller outside skseq.

    A fixed ``stacklevel`` points at the user's line from one call path only
    (an estimator's ``fit`` overridden by a subclass adds a frame); this one
    walks up to the first frame whose code is not in skseq's package, as
    pandas' ``find_stack_level`` does.

    Parameters
    ----------
    message : str
        The warning's text.
    category : Warning subclass, default=UserWarning
        The warning's class.
    """
    frame = sys._getframe(1)  # the skseq function that warns
    level = 2  # warnings.warn's stacklevel of that function's caller
    while frame.f_back is not None and os.path.abspath(
        frame.f_code.co_filename
    ).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
