"""Run every benchmark script in this folder, one after the other."""

import argparse
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str] | None = None) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    parser = argparse.ArgumentParser(
        description="Run every benchmark script of this folder with its defaults, "
        "one after the other (" + ", ".join(s.name for s in scripts) + "). "
        "Each takes minutes to an hour; run one with --help to see its options."
    )
    parser.parse_args(argv)
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        sys.argv = [str(script)]
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
