"""Tiled inference equals one pass over the whole domain (issue 15)."""

import numpy as np
import pytest
import torch

from skseq.modules.convlstm import ConvLSTMSeq2Seq
from skseq.modules.tiling import rainnet_halo, seq2seq_halo, tiled_apply
from skseq.modules.unet import RainNet, RecursiveNowcastNet


def _frames(n=2, t=3, c=1, h=45, w=70, seed=0):
    return torch.rand((n, t, c, h, w), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(
    "depth, upsampling, two_path",
    [(1, "transpose", False), (2, "nearest", False), (3, "transpose", True)],
)
@pytest.mark.parametrize("shape", [(45, 70), (33, 17)])  # not multiples of 2**depth
def test_rainnet_tiled_equals_one_pass(depth, upsampling, two_path, shape):
    torch.manual_seed(0)
    net = RainNet(
        3,
        depth=depth,
        base_channels=4,
        upsampling=upsampling,
        two_path=two_path,
        convlstm_hidden=2,
    ).eval()
    x = _frames(h=shape[0], w=shape[1])
    with torch.no_grad():
        whole = net(x)
        tiled = tiled_apply(net, x, 8, rainnet_halo(net, 3), net.multiple)
    assert tiled.shape == whole.shape == (2, 1, *shape)
    torch.testing.assert_close(tiled, whole, rtol=1e-5, atol=1e-5)


def test_too_small_halo_differs():
    """The check has teeth: without the halo the tile seams show."""
    torch.manual_seed(0)
    net = RainNet(3, depth=2, base_channels=4).eval()
    x = _frames()
    with torch.no_grad():
        diff = (tiled_apply(net, x, 8, 0, net.multiple) - net(x)).abs().max()
    assert diff > 1e-3


def test_small_domain_runs_in_one_pass():
    calls = []

    def fn(a):
        calls.append(a.shape)
        return a[:, 0]

    x = _frames(h=20, w=30)
    torch.testing.assert_close(tiled_apply(fn, x, 32, 5), x[:, 0])
    assert len(calls) == 1


@pytest.mark.parametrize("attention", [True, False])
def test_seq2seq_tiled_equals_one_pass(attention):
    torch.manual_seed(0)
    net = ConvLSTMSeq2Seq(
        1,
        1,
        n_out_frames=2,
        hidden_channels=3,
        encoder_decoder=attention,
        attention=attention,
    ).eval()
    x = _frames(t=4, h=41, w=29)
    with torch.no_grad():
        whole = net(x)
        tiled = tiled_apply(net, x, 7, seq2seq_halo(net, 4))
    torch.testing.assert_close(tiled, whole, rtol=1e-5, atol=1e-5)


def test_recursive_net_tiles_only_in_eval_mode():
    torch.manual_seed(0)
    step = RainNet(4, depth=2, base_channels=4)
    net = RecursiveNowcastNet(step, n_steps=3, advection_prior=True, residual="last")
    x = _frames(t=3, h=50, w=61)
    net.eval()
    with torch.no_grad():
        whole = net(x)
        net.tile = (16, rainnet_halo(step, 4))
        tiled = net(x)
    torch.testing.assert_close(tiled, whole, rtol=1e-5, atol=1e-5)
    net.train()
    seen = []
    step.register_forward_hook(lambda m, i, o: seen.append(i[0].shape[-2:]))
    net(x)
    assert set(seen) == {torch.Size([50, 61])}  # training is never tiled
    np.testing.assert_equal(net.tile, (16, rainnet_halo(step, 4)))
