"""Tests of skseq/__init__.py: importing the package."""

import os
from pathlib import Path


def test_import_is_light():
    """`import skseq` must not pull in matplotlib, pysteps or mlflow."""
    import subprocess
    import sys

    code = (
        "import sys, skseq, skseq.preprocessing, skseq.baselines, skseq.metrics; "
        "heavy = [m for m in ('matplotlib', 'pysteps', 'mlflow') if m in sys.modules]; "
        "print(heavy)"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1]))
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_package_ships_its_type_hints():
    """PEP 561: the ``py.typed`` marker tells type checkers to read skseq's hints."""
    from importlib import resources

    assert resources.files("skseq").joinpath("py.typed").is_file()
