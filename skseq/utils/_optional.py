"""Imports of optional dependencies, with the messages users need."""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
from types import ModuleType


def import_pysteps(needed_by: str) -> ModuleType:
    """Import pysteps without the configuration banner it prints.

    pysteps prints the path of its configuration file on first import unless
    that file sets ``silent_import``; a library call should not write to
    stdout, so the first import runs with stdout captured (and discarded).

    Parameters
    ----------
    needed_by : str
        What needs pysteps, named in the ``ImportError`` when it is missing.

    Returns
    -------
    pysteps : module
    """
    if sys.modules.get("pysteps") is not None:
        return sys.modules["pysteps"]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return importlib.import_module("pysteps")
    except ImportError as exc:
        raise ImportError(
            f"{needed_by} needs pysteps and OpenCV, skseq's 'nowcast' extra: "
            "pip install pysteps opencv-python-headless (or, in a skseq checkout, "
            "pip install -e '.[nowcast]')."
        ) from exc
