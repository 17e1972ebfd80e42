"""Argument types shared by the benchmark scripts' command lines."""

import argparse
from collections.abc import Callable


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An ``argparse`` type: an integer >= ``minimum``.

    Parameters
    ----------
    minimum : int
        The smallest value accepted.

    Returns
    -------
    parse : callable
        ``parse(text) -> int``; anything else is an
        ``argparse.ArgumentTypeError``, which argparse reports as a usage
        error naming the option.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}; got {value}")
        return value

    return parse


#: A count (repeats, threads, sizes, ...): an integer >= 1.
positive_int = int_at_least(1)
#: An integer >= 0 (warm-up calls, ...).
nonnegative_int = int_at_least(0)


def skill_parser(doc: str, quick_help: str) -> argparse.ArgumentParser:
    """The command line shared by the radar skill benchmarks.

    A parser described by ``doc``'s first line, its defaults shown in
    ``--help``, with ``--quick`` (described by ``quick_help``) and
    ``--random-state`` (the seed of the data and the models, >= 0).
    """
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument(
        "--random-state", type=nonnegative_int, default=0, help="data and model seed"
    )
    return parser
