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
