"""The gallery examples and the demo run end to end (small default sizes)."""

import os
import runpy
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, monkeypatch, tmp_path):
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SKSEQ_FULL", raising=False)
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    runpy.run_path(str(path), run_name="__main__")
    plt.close("all")


def test_demo_writes_table_and_figure(tmp_path, capsys):
    from skseq.demo import main

    assert main(["--output-dir", str(tmp_path), "--max-epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "Conv1D (skseq)" in out and "LogisticRegression (summary)" in out
    assert (tmp_path / "basic_motions_comparison.csv").stat().st_size > 0
    assert (tmp_path / "basic_motions_confusion.png").stat().st_size > 0


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
