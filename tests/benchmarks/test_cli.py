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


BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.parametrize(
    "script, argv, message",
    [
        ("skill_nowcasting.py", ["--n-threads", "0"], "--n-threads: must be >= 1"),
        (
            "skill_nowcasting.py",
            ["--random-state", "-1"],
            "--random-state: must be >= 0",
        ),
        ("skill_probabilistic.py", ["--random-state", "-1"], "must be >= 0"),
        (
            "skill_probabilistic.py",
            ["--traffic", "--quick", "--out", "x.json"],
            "--quick, --out cannot be used with --traffic",
        ),
        ("bench_skill.py", ["--random-state", "-1"], "--random-state: must be >= 0"),
        (
            "bench_speed.py",
            ["--quick", "--json", "/no/such/folder/out.json"],
            "its folder does not exist",
        ),
        ("bench_out_of_core.py", ["--archive-gb", "0"], "--archive-gb: must be > 0"),
        ("bench_out_of_core.py", ["--tile-size", "0"], "--tile-size: must be >= 1"),
        (
            "bench_out_of_core.py",
            ["--dir", "/no/such/folder"],
            "not an existing folder",
        ),
    ],
)
def test_bad_option_values_are_usage_errors(script, argv, message, monkeypatch, capsys):
    # they ran into tracebacks (some after minutes of work) or were taken
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.setattr("sys.argv", [script, *argv])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(BENCHMARKS / script), run_name="__main__")
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_out_of_core_tile_size_takes_the_estimators_auto(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    module = runpy.run_path(str(BENCHMARKS / "bench_out_of_core.py"), run_name="oc")
    assert module["_tile_size"]("auto") == "auto"
    assert module["_tile_size"]("none") is None
    assert module["_tile_size"]("64") == 64


def test_speed_benchmark_on_the_gpu_only_fails_without_cuda(monkeypatch, capsys):
    # it printed "GPU rows skipped", measured nothing and exited 0
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.setattr("sys.argv", ["bench_speed.py", "--device", "cuda"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(BENCHMARKS / "bench_speed.py"), run_name="__main__")
    assert "CUDA is not available" in str(exit_info.value.code)
