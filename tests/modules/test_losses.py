"""Tests of skseq.modules.losses.LogCoshL1Loss."""

import pytest
import torch

from skseq.modules.losses import LogCoshL1Loss, LogCoshLoss


def test_log_cosh_l1_is_the_weighted_sum():
    prediction, target = torch.randn(3, 4, 5), torch.randn(3, 4, 5)
    loss = LogCoshL1Loss(l1_weight=0.25)(prediction, target)
    expected = (
        0.75 * LogCoshLoss()(prediction, target)
        + 0.25 * (prediction - target).abs().mean()
    )
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(
        LogCoshL1Loss(0.0)(prediction, target), LogCoshLoss()(prediction, target)
    )
    torch.testing.assert_close(
        LogCoshL1Loss(1.0, reduction="sum")(prediction, target),
        (prediction - target).abs().sum(),
    )
    assert LogCoshL1Loss(reduction="none")(prediction, target).shape == (3, 4, 5)


def test_log_cosh_l1_has_a_kink_at_zero():
    d = torch.zeros(1, requires_grad=True)
    LogCoshL1Loss(0.25)(d + 1e-6, torch.zeros(1)).backward()
    assert d.grad.item() == pytest.approx(0.25, abs=1e-3)


def test_log_cosh_l1_invalid():
    with pytest.raises(ValueError, match="l1_weight"):
        LogCoshL1Loss(1.5)
    with pytest.raises(ValueError, match="reduction"):
        LogCoshL1Loss(reduction="median")
