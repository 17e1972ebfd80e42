"""Warnings attributed to the user's code."""

from __future__ import annotations

import os
import sys
import warnings


def _package_dir(module) -> str:
    return os.path.dirname(os.path.abspath(module.__file__)) + os.sep


def _library_dirs() -> tuple[str, ...]:
    """Folders of skseq and of the libraries that call into it for the user
    (a Pipeline's or a search's fit, joblib's workers, skorch's callbacks)."""
    import joblib
    import sklearn
    import skorch

    import skseq

    return tuple(_package_dir(m) for m in (skseq, sklearn, joblib, skorch))


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn``, attributed to the first caller outside the libraries.

    A fixed ``stacklevel`` points at the user's line from one call path only
    (an estimator's ``fit`` overridden by a subclass adds a frame, a
    ``Pipeline`` several); this one walks up to the first frame whose code
    is not in skseq, scikit-learn, joblib or skorch, as pandas'
    ``find_stack_level`` does for pandas.

    Parameters
    ----------
    message : str
        The warning's text.
    category : Warning subclass, default=UserWarning
        The warning's class.
    """
    libraries = _library_dirs()
    frame = sys._getframe(1)  # the skseq function that warns
    level = 2  # warnings.warn's stacklevel of that function
    while frame.f_back is not None and os.path.abspath(
        frame.f_code.co_filename
    ).startswith(libraries):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
