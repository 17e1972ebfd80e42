"""Run every benchmark script in this folder, one after the other."""

import argparse
import runpy
import sys
import traceback
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
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        sys.argv = [str(script)]
        try:  # one script's failure (a missing extra) does not stop the others
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (None, 0):
                failed.append(f"{script.name} (exit status {exc.code})")
        except Exception as exc:  # reported, then the next script
            traceback.print_exc()
            failed.append(f"{script.name} ({type(exc).__name__}: {exc})")
    if failed:
        print("\nFailed: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
