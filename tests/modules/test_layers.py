"""Tests of skseq.modules.layers."""

import math

import numpy as np
import pytest
import torch

from skseq.modules.layers import (
    BatchNorm1dAnyBatch,
    RandomCrop,
    RandomRoll,
    crop_padding,
    get_activation,
    pad_to_multiple,
    sequence_lengths,
)


def test_get_activation():
    assert isinstance(get_activation("elu"), torch.nn.ELU)
    with pytest.raises(ValueError, match="Unknown activation"):
        get_activation("swish2")


def _shift_of(rolled, original, max_shift):
    """The circular shift along axis 0 that turns ``original`` into ``rolled``."""
    shifts = [
        s
        for s in range(-max_shift, max_shift + 1)
        if torch.equal(rolled, torch.roll(original, s, dims=0))
    ]
    assert len(shifts) == 1, f"not a circular shift by at most {max_shift}"
    return shifts[0]


def test_random_roll_train_only_reproducible_and_circular():
    x = torch.arange(16 * 6 * 3, dtype=torch.float32).reshape(16, 6, 3)
    roll = RandomRoll(max_shift=2)
    roll.eval()
    assert torch.equal(roll(x), x)
    roll.train()
    torch.manual_seed(0)
    a = roll(x)
    torch.manual_seed(0)
    assert torch.equal(a, roll(x))
    shifts = [_shift_of(a[i], x[i], 2) for i in range(len(x))]
    # every sample draws its own shift: with this seed some roll, both ways
    assert min(shifts) < 0 < max(shifts)
    torch.manual_seed(1)
    assert not torch.equal(roll(x), a)
    # dim=2 rolls the channels of each timestep instead
    channels = RandomRoll(max_shift=1, dim=2).train()
    torch.manual_seed(0)
    b = channels(x)
    assert any(_shift_of(b[i].T, x[i].T, 1) for i in range(len(x)))
    with pytest.raises(ValueError, match="max_shift must be >= 0 or None; got -1"):
        RandomRoll(max_shift=-1)
    with pytest.raises(ValueError, match="dim=0 is the batch axis"):
        RandomRoll(dim=0)


def test_random_roll_keeps_nan_padding_at_the_end():
    lengths = [6, 3, 1, 5]
    x = torch.full((4, 6, 2), float("nan"))
    for i, n in enumerate(lengths):
        x[i, :n] = torch.arange(n * 2, dtype=torch.float32).reshape(n, 2) + 100 * i
    roll = RandomRoll().train()
    torch.manual_seed(0)
    for _ in range(20):
        out = roll(x)
        for i, n in enumerate(lengths):
            assert torch.isnan(out[i, n:]).all()  # the padding stays at the end
            # the valid steps are rolled among themselves
            assert any(torch.equal(out[i, :n], x[i, :n].roll(k, 0)) for k in range(n))
    # unpadded input rolls as before, over the whole axis
    full = x[:1, :6]
    torch.manual_seed(3)
    a = roll(full)
    torch.manual_seed(3)
    shift = int(torch.randint(-5, 6, (1,)))
    assert torch.equal(a[0], full[0].roll(shift, 0))


def test_random_roll_then_crop_keeps_the_valid_steps_of_padded_sequences():
    # roll_augment with crop_fraction: the crop finds the valid steps where
    # the roll left them, at the start
    x = torch.full((200, 30, 2), float("nan"))
    x[:, :10] = torch.randn(200, 10, 2)
    roll, crop = RandomRoll().train(), RandomCrop(min_fraction=0.5).train()
    torch.manual_seed(0)
    kept = (~torch.isnan(crop(roll(x))).all(dim=2)).sum(dim=1)
    assert int(kept.min()) >= 5


def test_random_crop_keeps_a_window_of_the_valid_steps():
    torch.manual_seed(0)
    x = torch.arange(50 * 20 * 2, dtype=torch.float32).reshape(50, 20, 2)
    x[:25, 12:] = float("nan")  # half the sequences are 12 steps long
    crop = RandomCrop(min_fraction=0.5)
    crop.eval()
    assert crop(x) is x
    crop.train()
    out = crop(x)
    assert out.shape == x.shape
    kept_lengths = set()
    for i in range(len(x)):
        length = 12 if i < 25 else 20
        kept = int((~torch.isnan(out[i]).all(dim=1)).sum())
        kept_lengths.add(kept)
        assert math.ceil(0.5 * length) <= kept <= length
        assert torch.isnan(out[i, kept:]).all()  # the rest is trailing padding
        start = int(out[i, 0, 0] - x[i, 0, 0]) // 2  # values count up by 2 per step
        assert 0 <= start <= length - kept
        assert torch.equal(out[i, :kept], x[i, start : start + kept])
    assert len(kept_lengths) > 3  # lengths vary from sample to sample


def test_random_crop_of_one_keeps_everything_and_validates():
    x = torch.randn(3, 7, 2)
    assert torch.equal(RandomCrop(1.0).train()(x), x)
    with pytest.raises(ValueError, match="min_fraction"):
        RandomCrop(0.0)


@pytest.mark.parametrize(
    "shape", [(1, 1, 37, 53), (2, 3, 3, 5), (1, 1, 1, 1), (4, 8, 16)]
)
@pytest.mark.parametrize("multiple", [1, 8, 16])
def test_pad_to_multiple_and_crop_are_inverse(shape, multiple):
    x = torch.randn(shape)
    padded, pads = pad_to_multiple(x, multiple)
    assert padded.shape[-2] % multiple == 0 and padded.shape[-1] % multiple == 0
    assert padded.shape[:-2] == x.shape[:-2]
    assert torch.equal(crop_padding(padded, pads), x)


def test_reflect_padding_mirrors():
    x = torch.arange(4.0).reshape(1, 1, 1, 4)
    padded, pads = pad_to_multiple(x, 8)
    assert pads == (2, 2, 3, 4)
    assert padded[0, 0, 3].tolist() == [2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 1.0]


def test_batchnorm_any_batch_accepts_single_sample():
    bn = BatchNorm1dAnyBatch(3).train()
    assert bn(torch.randn(1, 3)).shape == (1, 3)
    assert bn(torch.randn(4, 3)).shape == (4, 3)
    # one step of one sample: one value per channel too
    single = torch.randn(1, 3, 1)
    torch.testing.assert_close(bn(single), bn.eval()(single))
    assert bn.train()(torch.randn(1, 3, 5)).shape == (1, 3, 5)  # batch statistics


@pytest.mark.parametrize("kernel_size", [2, 4, 3])
def test_same_conv1d_matches_torch_same_padding_without_warning(kernel_size):
    import warnings

    from skseq.modules.layers import same_conv1d

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns for even "same" kernels
        conv = same_conv1d(3, 5, kernel_size)
        x = torch.randn(2, 3, 11)
        out = conv(x)
    reference = torch.nn.Conv1d(3, 5, kernel_size, padding="same")
    reference.load_state_dict(conv.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.testing.assert_close(out, reference(x))
    assert out.shape == (2, 5, 11)


def test_sequence_lengths_is_the_torch_twin_of_valid_lengths():
    from skseq.utils.validation import valid_lengths

    x = torch.randn(5, 7, 2)
    x[0, 4:] = float("nan")  # padded
    x[1, 2] = float("nan")  # a missing row inside: not padding
    x[2, :] = float("nan")  # padding only
    x[3, 6, 0] = float("nan")  # one channel of the last row: a value remains
    np.testing.assert_array_equal(sequence_lengths(x).numpy(), valid_lengths(x.numpy()))
    assert sequence_lengths(x).tolist() == [4, 7, 0, 7, 7]
