"""benchmarks/_cli.py: the integer types of the benchmark scripts' options."""

import argparse
import runpy
from pathlib import Path

import pytest

CLI = runpy.run_path(
    str(Path(__file__).resolve().parents[2] / "benchmarks" / "_cli.py"),
    run_name="_cli",
)


def test_counts_below_their_minimum_are_usage_errors(capsys):
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--repeats", type=CLI["positive_int"], default=3)
    parser.add_argument("--warmup", type=CLI["nonnegative_int"], default=1)
    args = parser.parse_args(["--repeats", "5", "--warmup", "0"])
    assert (args.repeats, args.warmup) == (5, 0)
    for argv, message in [
        (["--repeats", "0"], "argument --repeats: must be >= 1; got 0"),
        (["--warmup", "-1"], "argument --warmup: must be >= 0; got -1"),
        (["--repeats", "x"], "argument --repeats: 'x' is not an integer"),
    ]:
        with pytest.raises(SystemExit):
            parser.parse_args(argv)
        assert message in capsys.readouterr().err
