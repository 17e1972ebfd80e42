"""Tests of skseq.modules.losses: LogCoshLoss and LogCoshL1Loss."""

import math

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


def test_logcosh_matches_formula_and_is_stable():
    d = torch.linspace(-5, 5, 11)
    loss = LogCoshLoss(reduction="none")(d, torch.zeros_like(d))
    torch.testing.assert_close(loss, torch.log(torch.cosh(d)))
    big = LogCoshLoss()(torch.tensor([1e4, -1e4]), torch.zeros(2))
    assert torch.isfinite(big) and big.item() == pytest.approx(
        1e4 - math.log(2), rel=1e-6
    )
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        LogCoshLoss(reduction="median")
