"""Argument types shared by the benchmark scripts' command lines."""

import argparse


def positive_int(text: str) -> int:
    """An ``argparse`` type: an integer >= 1 (argparse reports anything else).

    Parameters
    ----------
    text : str
        The command-line value.

    Returns
    -------
    value : int
    """
    return _int_at_least(text, 1)


def nonnegative_int(text: str) -> int:
    """An ``argparse`` type: an integer >= 0.

    Parameters
    ----------
    text : str
        The command-line value.

    Returns
    -------
    value : int
    """
    return _int_at_least(text, 0)


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be >= {minimum}; got {value}")
    return value
