"""Integer seeds, drawn and mixed alike wherever skseq seeds torch or pysteps.

Both take seeds that fit an int32 (numpy's legacy seeding, which pysteps
uses, refuses larger ones).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

#: Seeds are drawn below this bound (the largest int32).
INT32_MAX = int(np.iinfo(np.int32).max)


def draw_seed(random_state: int | np.random.RandomState | None) -> int:
    """Draw one int32 seed from ``random_state`` (as ``check_random_state`` reads it).

    A ``RandomState`` instance advances, so that successive calls give
    successive seeds; an int gives the same seed every call.
    """
    return int(check_random_state(random_state).randint(INT32_MAX))


def mixed_seed(*entropy: int) -> int:
    """Mix several non-negative ints into one int32 seed.

    ``mixed_seed(seed, k)`` differs for every ``k`` and is the same for the
    same ``(seed, k)``: a seed varied by what should vary it (the epochs
    trained so far, a checksum of a sample's data).
    """
    state = np.random.SeedSequence(list(entropy)).generate_state(1)[0]
    return int(state % INT32_MAX)
