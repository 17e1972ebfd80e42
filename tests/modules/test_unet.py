"""Tests of skseq.modules.unet: RainNet and the recursive (unrolled) nowcast
network."""

import pytest
import torch
from _support import all_params_get_grad, train_and_inference_outputs
from torch import nn

from skseq.modules import RainNet, RecursiveNowcastNet


class _LastPlusOne(nn.Module):
    """One-step 'network': the last frame of the window plus one."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return x[:, -1] + 1.0


def test_outputs_are_fed_back():
    step = _LastPlusOne()
    net = RecursiveNowcastNet(step, n_steps=3)
    x = torch.zeros(2, 4, 1, 5, 6)
    out = net(x)
    assert out.shape == (2, 3, 1, 5, 6)
    for k in range(3):
        assert torch.all(out[:, k] == k + 1)
    # the window of step 3 ends with the two fed-back predictions
    assert torch.all(
        step.seen[2][:, -2:] == torch.tensor([1.0, 2.0])[:, None, None, None]
    )
    assert net(x, n_steps=5).shape == (2, 5, 1, 5, 6)


def test_advection_prior_is_appended_and_residuals():
    x = torch.zeros(1, 3, 1, 12, 14)
    for t in range(3):
        x[0, t, 0, 4:7, 3 + 2 * t : 6 + 2 * t] = 5.0  # a square moving right
    step = _LastPlusOne()
    net = RecursiveNowcastNet(step, n_steps=2, advection_prior=True)
    prior = net.prior(x, 2)
    out = net(x)
    assert step.seen[0].shape == (1, 4, 1, 12, 14)
    torch.testing.assert_close(step.seen[1][:, -1], prior[:, 1])
    torch.testing.assert_close(out[:, 0], prior[:, 0] + 1)  # step returns the prior + 1
    on_prior = RecursiveNowcastNet(
        _LastPlusOne(), n_steps=2, advection_prior=True, residual="prior"
    )
    torch.testing.assert_close(on_prior(x)[:, 1], 2 * prior[:, 1] + 1)
    on_last = RecursiveNowcastNet(_LastPlusOne(), n_steps=2, residual="last")
    torch.testing.assert_close(on_last(x)[:, 0], 2 * x[:, -1] + 1)


def test_straight_through_clamp():
    torch.manual_seed(0)
    step = nn.Conv2d(2, 1, 1)
    net = RecursiveNowcastNet(
        nn.Sequential(nn.Flatten(1, 2), step), n_steps=2, clamp=(0.0, 1.0)
    )
    with torch.no_grad():
        step.weight.fill_(10.0)
        step.bias.fill_(-3.0)
    x = torch.rand(3, 2, 1, 4, 5, dtype=torch.float64)
    net.double()
    x0, x1 = x[:, 0, 0], x[:, 1, 0]
    raw1 = 10 * x0 + 10 * x1 - 3  # step 1 on the window (x0, x1)
    first = raw1.clamp(0.0, 1.0)  # what step 1 returns and feeds back
    raw2 = 10 * x1 + 10 * first - 3  # step 2 on the window (x1, first)
    assert (raw1 < 0).any() and (raw1 > 1).any() and (raw2 > 1).any()
    out = net(x)
    torch.testing.assert_close(out[:, 0, 0], first)
    torch.testing.assert_close(out[:, 1, 0], raw2.clamp(0.0, 1.0))
    out.sum().backward()
    # straight-through: d out_k / d raw_k = 1 everywhere, clamped or not, so
    # the gradient of sum(out) is that of sum(raw1 + w0 x1 + w1 raw1 + b)
    # with raw1 = w0 x0 + w1 x1 + b (a plain clamp gives 0 where it clips)
    expected_weight = [
        x0.sum() + x1.sum() + 10 * x0.sum(),  # w0
        x1.sum() + first.sum() + 10 * x1.sum(),  # w1
    ]
    torch.testing.assert_close(step.weight.grad.flatten(), torch.stack(expected_weight))
    expected_bias = x0.numel() * (1 + 1 + 10.0)  # b
    torch.testing.assert_close(step.bias.grad.item(), expected_bias)


def test_rainnet_unrolled_gradients_and_consistency():
    torch.manual_seed(0)
    net = RecursiveNowcastNet(
        RainNet(5, depth=2, base_channels=4),
        n_steps=3,
        advection_prior=True,
        residual="last",
    )
    x = torch.rand(2, 4, 1, 19, 23)
    out = net(x)
    assert out.shape == (2, 3, 1, 19, 23)
    out.pow(2).mean().backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None]
    assert not missing, missing
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x, 5)[:, :3], net(x, 3))


def test_invalid_arguments():
    step = _LastPlusOne()
    with pytest.raises(ValueError, match="advection_prior"):
        RecursiveNowcastNet(step, residual="prior")
    with pytest.raises(ValueError, match="residual"):
        RecursiveNowcastNet(step, residual="frame")
    with pytest.raises(ValueError, match="n_steps"):
        RecursiveNowcastNet(step, n_steps=0)
    with pytest.raises(ValueError, match="clamp"):
        RecursiveNowcastNet(step, clamp=(1.0, 0.0))
    two_channels = RecursiveNowcastNet(
        nn.Sequential(nn.Flatten(1, 2), nn.Conv2d(3, 2, 1)), n_steps=2
    )
    assert two_channels(torch.rand(1, 3, 1, 4, 4), n_steps=1).shape == (1, 1, 2, 4, 4)
    with pytest.raises(ValueError, match="fed back"):
        two_channels(torch.rand(1, 3, 1, 4, 4))


@pytest.mark.parametrize("inference", [False, True])
def test_rainnet_convolves_in_channels_last_on_cpu(inference):
    """oneDNN's fast layout in training too, not only in inference mode."""
    net = RainNet(n_in_frames=4, base_channels=4, depth=2).train(not inference)
    seen = []
    net.down[0][0].register_forward_pre_hook(
        lambda module, args: seen.append(
            args[0].is_contiguous(memory_format=torch.channels_last)
        )
    )
    x = torch.rand(2, 4, 1, 12, 12)
    if inference:
        with torch.inference_mode():
            out = net(x)
    else:
        out = net(x)
        out.sum().backward()  # the layout is differentiable
    assert seen == [True] and out.shape == (2, 1, 12, 12)


# ------------------------------------------------ RainNet (the one-step U-Net)


@pytest.mark.parametrize("two_path", [False, True])
@pytest.mark.parametrize("upsampling", ["transpose", "nearest"])
def test_rainnet_any_size(two_path, upsampling):
    net = RainNet(
        4,
        depth=3,
        base_channels=4,
        two_path=two_path,
        convlstm_hidden=3,
        upsampling=upsampling,
    )
    out = net(torch.randn(2, 4, 1, 37, 53))
    assert out.shape == (2, 1, 37, 53) and net.multiple == 8
    all_params_get_grad(net, out)
    net.eval()
    x = torch.randn(1, 4, 1, 20, 20)
    torch.testing.assert_close(net(x), net(x))


@pytest.mark.parametrize("kwargs", [{}, {"two_path": True, "convlstm_hidden": 4}])
def test_rainnet_inference_path_matches_training_path(kwargs):
    torch.manual_seed(0)
    net = RainNet(3, depth=2, base_channels=4, **kwargs)
    x = torch.rand(2, 3, 1, 20, 28)
    slow, fast = train_and_inference_outputs(net, x)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-6)
    assert not fast.requires_grad and torch.is_inference(fast)


def test_advection_prior_runs_in_float32_under_autocast(monkeypatch):
    # CUDA's autocast runs the blur in half precision, and its FFTs refuse
    # bfloat16: the prior now runs outside the autocast, in float32
    import skseq.modules.advection as advection

    seen = []
    rfft2 = torch.fft.rfft2
    monkeypatch.setattr(
        advection.torch.fft,
        "rfft2",
        lambda x, *a, **k: seen.append(x.dtype) or rfft2(x, *a, **k),
    )
    net = RecursiveNowcastNet(_LastPlusOne(), n_steps=2, advection_prior=True)
    x = torch.rand(2, 3, 1, 16, 16)
    expected = net.prior(x, 2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        prior = net.prior(x.bfloat16(), 2)
    assert set(seen) == {torch.float32} and prior.dtype == torch.float32
    torch.testing.assert_close(prior, expected, rtol=0.02, atol=0.02)
