"""Tests of skseq.modules.conv1d: the 1D convolutional encoder and network."""

import pickle

import pytest
import torch
from _support import all_params_get_grad
from torch import nn

from skseq.modules import (
    Conv1DActivityNet,
    Conv1DEncoder,
    ConvLSTMSeq2Seq,
    KeypointLSTMNet,
    RainNet,
    ResidualConv1dBlock,
)


def test_conv1d_net_shapes_and_gradients():
    net = Conv1DActivityNet(6, 4, channels=(8, 8), kernel_size=5, roll_augment=True)
    out = net(torch.randn(3, 32, 6))
    assert out.shape == (3, 4) and net.min_timesteps == 4
    all_params_get_grad(net, out)


@pytest.mark.parametrize("differences", [False, True])
@pytest.mark.parametrize("downsample", [1, 3])
@pytest.mark.parametrize("pooling", ["avg", "avgmax"])
def test_conv1d_net_extra_padding_never_changes_logits(
    differences, downsample, pooling
):
    torch.manual_seed(0)
    net = Conv1DActivityNet(
        2,
        3,
        channels=(4, 4),
        kernel_size=3,
        differences=differences,
        downsample=downsample,
        pooling=pooling,
    ).eval()
    x = torch.randn(4, 24, 2)
    x[1:, 17:] = float("nan")  # three sequences of 17 steps
    more_padding = torch.cat([x, torch.full((4, 24, 2), float("nan"))], dim=1)
    with torch.no_grad():
        logits = net(x)
        torch.testing.assert_close(net(more_padding), logits)
        # a batch without padding takes the unmasked path: same logits
        torch.testing.assert_close(net(x[:1]), logits[:1])
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("momentum", [0.1, None])
def test_training_batch_norm_over_valid_steps_ignores_padding(momentum):
    # in training, BatchNorm takes its batch statistics (and so the running
    # ones used at prediction) over padded steps too: a fit depended on how
    # much padding its data had; valid_step_norm leaves the padding out
    torch.manual_seed(0)
    block = ResidualConv1dBlock(2, 4, kernel_size=3, valid_step_norm=True).train()
    twin = ResidualConv1dBlock(2, 4, kernel_size=3, valid_step_norm=True).train()
    twin.load_state_dict(block.state_dict())
    for module in [*block.modules(), *twin.modules()]:
        if isinstance(module, nn.BatchNorm1d):
            module.momentum = momentum
    x = torch.randn(3, 2, 16)
    mask = torch.ones(3, 1, 16)
    mask[1:, :, 8:] = 0  # two sequences of 8 steps
    x = x * mask
    longer = torch.cat([x, torch.zeros(3, 2, 48)], dim=2)
    longer_mask = torch.cat([mask, torch.zeros(3, 1, 48)], dim=2)
    out, _ = block(x, mask)
    out_longer, _ = twin(longer, longer_mask)
    torch.testing.assert_close(out_longer[:, :, :8], out)
    for bn, bn_longer in zip(
        (m for m in block.modules() if isinstance(m, nn.BatchNorm1d)),
        (m for m in twin.modules() if isinstance(m, nn.BatchNorm1d)),
        strict=True,
    ):
        torch.testing.assert_close(bn_longer.running_mean, bn.running_mean)
        torch.testing.assert_close(bn_longer.running_var, bn.running_var)
    # the valid steps' statistics are torch's own over those steps
    from skseq.modules.conv1d import _masked_conv_bn

    reference = ResidualConv1dBlock(2, 4, kernel_size=3).train()
    reference.load_state_dict(block.state_dict())
    h = reference.conv1[0](x)
    valid = h.transpose(1, 2)[mask[:, 0] > 0]  # (n_valid, 4)
    expected = nn.functional.batch_norm(
        valid[:, :, None], None, None, training=True, eps=reference.conv1[1].eps
    )[:, :, 0]
    normalised = _masked_conv_bn(reference.conv1, x, mask).transpose(1, 2)
    torch.testing.assert_close(normalised[mask[:, 0] > 0], expected)


def test_batch_norm_over_every_step_is_the_default_of_the_modules():
    # the LSTM's front end (and blocks pickled by skseq 0.1) keep torch's
    # batch norm: statistics over every step, padding included
    torch.manual_seed(0)
    block = ResidualConv1dBlock(2, 4, kernel_size=3).train()
    assert not block.valid_step_norm
    x = torch.randn(3, 2, 16)
    mask = torch.ones(3, 1, 16)
    mask[1:, :, 8:] = 0
    x = x * mask
    with torch.no_grad():
        every_step = block.conv1[0](x).mean(dim=(0, 2))
    block(x, mask)
    bn = block.conv1[1]
    torch.testing.assert_close(bn.running_mean, bn.momentum * every_step)
    pickled = pickle.loads(pickle.dumps(block))
    del pickled.__dict__["valid_step_norm"]  # as pickled by skseq 0.1
    assert not pickled.valid_step_norm


def test_conv1d_net_stem_summarises_windows():
    from skseq.modules.conv1d import _masked_downsample

    x = torch.tensor([[[1.0, 5.0, -2.0, 4.0, 0.0]]])
    mask = torch.tensor([[[1.0, 1.0, 1.0, 1.0, 0.0]]])  # the last step is padding
    summary, pooled_mask = _masked_downsample(x, mask, 2)
    expected = torch.tensor([[[3.0, 1.0, 0.0], [5.0, 4.0, 0.0], [1.0, -2.0, 0.0]]])
    torch.testing.assert_close(summary, expected)
    torch.testing.assert_close(pooled_mask, torch.tensor([[[1.0, 1.0, 0.0]]]))


def test_conv1d_net_rejects_bad_stem_and_pooling():
    with pytest.raises(ValueError, match="downsample"):
        Conv1DActivityNet(2, 3, downsample=0)
    with pytest.raises(ValueError, match="pooling"):
        Conv1DActivityNet(2, 3, pooling="median")


def test_residual_skip_from_first_to_third_conv():
    block = ResidualConv1dBlock(2, 4, kernel_size=3).eval()
    nn.init.zeros_(block.conv3[0].weight)
    nn.init.zeros_(block.conv3[1].bias)
    x = torch.randn(2, 2, 8)
    first = block.act1(block.conv1(x))
    # conv3 contributes only its BatchNorm bias (0): output = act(first), pooled
    expected = block.pool(block.act3(first))
    torch.testing.assert_close(block(x), expected)


def test_conv1d_net_loads_weights_saved_before_the_encoder():
    net = Conv1DActivityNet(3, 2, channels=(4, 4), kernel_size=3).eval()
    old_keys = {
        k.replace("encoder.blocks.", "blocks."): v for k, v in net.state_dict().items()
    }
    assert any(k.startswith("blocks.") for k in old_keys)
    other = Conv1DActivityNet(3, 2, channels=(4, 4), kernel_size=3).eval()
    other.load_state_dict(old_keys)
    x = torch.randn(2, 16, 3)
    torch.testing.assert_close(other(x), net(x))


def test_sequence_scaling_standardises_each_sequence_and_keeps_its_scale():
    from skseq.modules.conv1d import _sequence_standardized

    torch.manual_seed(0)
    x = torch.randn(3, 10, 2)
    x[1] = 1000.0 * x[1] + 50.0  # the same kind of series at another amplitude
    x[2, 6:] = float("nan")  # padding
    out = _sequence_standardized(x)
    assert out.shape == (3, 10, 6)
    assert torch.isnan(out[2, 6:]).all() and torch.isfinite(out[2, :6]).all()
    for i, n in ((0, 10), (1, 10), (2, 6)):
        z = out[i, :n, :2]
        torch.testing.assert_close(z.mean(0), torch.zeros(2), atol=1e-4, rtol=0)
        std = z.std(0, unbiased=False)
        torch.testing.assert_close(std, torch.ones(2), atol=1e-3, rtol=0)
        # mean and log-std: constant channels that give x back
        mean, log_std = out[i, :n, 2:4], out[i, :n, 4:6]
        assert (mean == mean[0]).all() and (log_std == log_std[0]).all()
        restored = z * log_std.exp() + mean
        torch.testing.assert_close(restored, x[i, :n], atol=1e-2, rtol=1e-4)
    # a sequence scaled up keeps its standardised shape; only log-std moves
    scaled = _sequence_standardized(x[:1] * 1e4)
    torch.testing.assert_close(scaled[0, :, :2], out[0, :, :2], atol=1e-4, rtol=0)
    shift = torch.log(torch.tensor(1e4))
    torch.testing.assert_close(
        scaled[0, :, 4:], out[0, :, 4:] + shift, atol=1e-3, rtol=0
    )


def test_conv1d_encoder_with_sequence_scaling_takes_three_channels_per_input():
    encoder = Conv1DEncoder(2, (4,), kernel_size=3, sequence_scaling=True)
    assert encoder.blocks[0].conv1[0].in_channels == 6
    h, mask = encoder(torch.randn(2, 8, 2))
    assert h.shape == (2, 4, 4) and mask is None
    all_params_get_grad(encoder, h)


@pytest.mark.parametrize(
    ("T", "downsample"), [(1, 1), (7, 1), (12, 1), (33, 1), (33, 4)]
)
def test_conv1d_encoder_output_length(T, downsample):
    encoder = Conv1DEncoder(3, (4, 4), kernel_size=3, downsample=downsample).eval()
    h, mask = encoder(torch.randn(2, T, 3))
    assert h.shape == (2, 4, encoder.output_length(T))
    if T // downsample < encoder.min_timesteps:  # padded inside: a mask comes back
        assert mask.shape == (2, 1, encoder.output_length(T))
    else:
        assert mask is None


# ------------------------------------------- every network on tiny data
# (the Conv1D network first; the LSTM, ConvLSTM and RainNet ones alongside)
def _overfit(model, x, y, loss_fn, steps=80, lr=1e-2):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    return first, loss.item()


def test_networks_can_overfit_tiny_data():
    torch.manual_seed(0)
    ce = nn.CrossEntropyLoss()
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    first, last = _overfit(
        Conv1DActivityNet(3, 3, channels=(8,), kernel_size=3),
        torch.randn(6, 16, 3),
        y,
        ce,
    )
    assert last < 0.3 * first
    first, last = _overfit(
        KeypointLSTMNet(4, 3, 5, hidden_size=16, n_layers=1),
        torch.randn(6, 5, 4),
        y,
        ce,
    )
    assert last < 0.3 * first
    x = torch.rand(4, 3, 1, 8, 8)
    first, last = _overfit(
        ConvLSTMSeq2Seq(1, 1, 2, hidden_channels=8, n_layers=1),
        x,
        x[:, -2:],
        nn.MSELoss(),
    )
    assert last < 0.3 * first
    first, last = _overfit(
        RainNet(3, depth=2, base_channels=8, dropout=0.0), x, x[:, -1], nn.MSELoss()
    )
    assert last < 0.3 * first
