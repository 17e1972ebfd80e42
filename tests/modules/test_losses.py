"""Tests of skseq.modules.losses."""

import math

import pytest
import torch

from skseq.modules.losses import (
    ClassWeightedCrossEntropyLoss,
    LogCoshL1Loss,
    LogCoshLoss,
)


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


def test_class_weighted_cross_entropy_is_torchs_but_for_weight_zero_batches():
    logits = torch.randn(6, 3, requires_grad=True)
    target = torch.tensor([0, 1, 2, 2, 1, 0])
    weight = torch.tensor([0.0, 1.0, 3.0])
    ours = ClassWeightedCrossEntropyLoss(weight=weight)
    torch.testing.assert_close(
        ours(logits, target), torch.nn.CrossEntropyLoss(weight=weight)(logits, target)
    )
    smoothed = ClassWeightedCrossEntropyLoss(weight=weight, label_smoothing=0.1)
    torch.testing.assert_close(
        smoothed(logits, target),
        torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1)(logits, target),
    )
    none = ClassWeightedCrossEntropyLoss(weight=weight, reduction="none")
    torch.testing.assert_close(
        none(logits, target),
        torch.nn.CrossEntropyLoss(weight=weight, reduction="none")(logits, target),
    )
    ignoring = ClassWeightedCrossEntropyLoss(weight=weight, ignore_index=1)
    torch.testing.assert_close(
        ignoring(logits, target),
        torch.nn.CrossEntropyLoss(weight=weight, ignore_index=1)(logits, target),
    )
    # only samples of the class of weight 0: torch's mean is 0 / 0
    only_zero = torch.tensor([0, 0, 0, 0, 0, 0])
    assert torch.isnan(torch.nn.CrossEntropyLoss(weight=weight)(logits, only_zero))
    loss = ours(logits, only_zero)
    assert loss.item() == 0.0
    loss.backward()
    assert torch.equal(logits.grad, torch.zeros_like(logits))
