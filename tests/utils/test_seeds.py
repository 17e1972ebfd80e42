"""Tests of skseq.utils._seeds: the int32 seeds given to torch and pysteps."""

import numpy as np

from skseq.utils._seeds import INT32_MAX, draw_seed, mixed_seed


def test_draw_seed_reads_random_state_as_scikit_learn_does():
    assert draw_seed(3) == draw_seed(3) == np.random.RandomState(3).randint(INT32_MAX)
    rng = np.random.RandomState(0)
    first, second = draw_seed(rng), draw_seed(rng)  # an instance advances
    assert first != second
    assert 0 <= first < INT32_MAX and isinstance(first, int)


def test_mixed_seed_is_reproducible_and_varies_with_each_input():
    seeds = [mixed_seed(7, k) for k in range(50)]
    assert seeds == [mixed_seed(7, k) for k in range(50)]
    assert len(set(seeds)) == 50
    assert mixed_seed(8, 0) != mixed_seed(7, 0)
    assert all(0 <= s < INT32_MAX and isinstance(s, int) for s in seeds)
    # crc32 checksums (up to 2**32 - 1) are valid entropy
    assert 0 <= mixed_seed(7, 2**32 - 1) < INT32_MAX
