"""benchmarks/run_all.py (``make benchmark``): its command line runs nothing
but what it is asked to."""

import runpy
import sys
from pathlib import Path

import pytest

RUN_ALL = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"


@pytest.fixture
def run_all(monkeypatch):
    """The script's ``main``, with ``runpy.run_path`` recording what it would run."""
    namespace = runpy.run_path(str(RUN_ALL), run_name="run_all")
    monkeypatch.setattr(sys, "argv", list(sys.argv))  # main sets each script's
    started = []
    monkeypatch.setattr(
        namespace["runpy"], "run_path", lambda path, **kwargs: started.append(path)
    )
    return namespace["main"], started


def test_help_runs_no_benchmark(run_all, capsys):
    main, started = run_all
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "bench_skill.py" in capsys.readouterr().out
    assert started == []


def test_unknown_option_is_refused(run_all):
    main, started = run_all
    with pytest.raises(SystemExit) as exit_info:
        main(["--quick"])
    assert exit_info.value.code == 2
    assert started == []


def test_without_options_runs_every_bench_script(run_all):
    main, started = run_all
    assert main([]) == 0
    names = [Path(path).name for path in started]
    assert names == sorted(p.name for p in RUN_ALL.parent.glob("bench_*.py"))


def test_a_failing_script_does_not_stop_the_others(monkeypatch, capsys):
    namespace = runpy.run_path(str(RUN_ALL), run_name="run_all")
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    started = []

    def run_path(path, **kwargs):
        started.append(Path(path).name)
        if len(started) == 1:
            raise ImportError("needs aeon")
        if len(started) == 2:
            raise SystemExit(2)

    monkeypatch.setattr(namespace["runpy"], "run_path", run_path)
    assert namespace["main"]([]) == 1
    scripts = sorted(p.name for p in RUN_ALL.parent.glob("bench_*.py"))
    assert started == scripts  # every one ran
    err = capsys.readouterr().err
    assert f"{scripts[0]} (ImportError: needs aeon)" in err
    assert f"{scripts[1]} (exit status 2)" in err
