"""Tests of the networks in skseq.modules: shapes, gradients, equivalences, learning."""

import pytest
import torch
from torch import nn

from skseq.modules import (
    Conv1DActivityNet,
    Conv1DEncoder,
    ConvLSTMCell,
    ConvLSTMSeq2Seq,
    KeypointLSTMNet,
    RainNet,
    ResidualConv1dBlock,
    TemporalAttention,
)


def _all_params_get_grad(model, out):
    out.float().pow(2).mean().backward()
    missing = [
        n for n, p in model.named_parameters() if p.requires_grad and p.grad is None
    ]
    assert not missing, missing


def test_conv1d_net_shapes_and_gradients():
    net = Conv1DActivityNet(6, 4, channels=(8, 8), kernel_size=5, roll_augment=True)
    out = net(torch.randn(3, 32, 6))
    assert out.shape == (3, 4) and net.min_timesteps == 4
    _all_params_get_grad(net, out)


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


def test_convlstm_cell_fused_gates_equal_four_separate_convolutions():
    torch.manual_seed(0)
    cell = ConvLSTMCell(2, 3, kernel_size=3)
    x, h, c = torch.randn(1, 2, 5, 6), torch.randn(1, 3, 5, 6), torch.randn(1, 3, 5, 6)
    w, b = cell.gates.weight, cell.gates.bias
    xh = torch.cat([x, h], 1)
    gates = [
        nn.functional.conv2d(
            xh, w[k * 3 : (k + 1) * 3], b[k * 3 : (k + 1) * 3], padding=1
        )
        for k in range(4)
    ]
    i, f, o, g = (
        torch.sigmoid(gates[0]),
        torch.sigmoid(gates[1]),
        torch.sigmoid(gates[2]),
        torch.tanh(gates[3]),
    )
    c_ref = f * c + i * g
    h_ref = o * torch.tanh(c_ref)
    h_new, c_new = cell(x, (h, c))
    torch.testing.assert_close(h_new, h_ref)
    torch.testing.assert_close(c_new, c_ref)


@pytest.mark.parametrize("mode", ["pixel", "frame"])
def test_attention_weights_sum_to_one(mode):
    att = TemporalAttention(4, mode=mode)
    context, weights = att(torch.randn(2, 4, 5, 5), torch.randn(2, 7, 4, 5, 5))
    assert context.shape == (2, 4, 5, 5)
    torch.testing.assert_close(weights.sum(1), torch.ones_like(weights.sum(1)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"attention": False},
        {"encoder_decoder": False, "attention": False},
        {"attention_mode": "frame"},
    ],
)
def test_seq2seq_shapes_and_gradients(kwargs):
    net = ConvLSTMSeq2Seq(2, 1, n_out_frames=3, hidden_channels=4, n_layers=2, **kwargs)
    out = net(torch.randn(2, 5, 2, 7, 9))
    assert out.shape == (2, 3, 1, 7, 9)
    _all_params_get_grad(net, out)
    with pytest.raises(ValueError, match="attention=True needs encoder_decoder=True"):
        ConvLSTMSeq2Seq(1, 1, 2, encoder_decoder=False, attention=True)


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
    _all_params_get_grad(net, out)
    net.eval()
    x = torch.randn(1, 4, 1, 20, 20)
    torch.testing.assert_close(net(x), net(x))


@pytest.mark.parametrize("head", ["flatten", "mean", "max", "meanmax", "last"])
def test_keypoint_lstm_padding_invariance(head):
    torch.manual_seed(0)
    net = KeypointLSTMNet(
        6, 3, n_timesteps=8, hidden_size=5, n_layers=2, head=head
    ).eval()
    x = torch.randn(2, 8, 6)
    padded = x.clone()
    padded[0, 5:] = float("nan")
    out = net(padded)
    assert torch.isfinite(out).all()
    if head == "flatten":
        # the head reads the LSTM states of the 5 valid steps, then zero states
        # for the 3 padded ones (the padding never reaches the LSTM)
        with torch.no_grad():
            states = net.lstm(x[:1, :5])[0]
            states = torch.cat([states, torch.zeros(1, 3, 5)], dim=1)
            expected = net.head(states.reshape(1, -1))
        torch.testing.assert_close(out[:1], expected)
    else:
        short = KeypointLSTMNet(
            6, 3, n_timesteps=5, hidden_size=5, n_layers=2, head=head
        )
        short.load_state_dict(net.state_dict())
        torch.testing.assert_close(short.eval()(x[:1, :5]), out[:1])
    torch.testing.assert_close(net(x[1:]), out[1:])  # no state carried across samples


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
    _all_params_get_grad(encoder, h)


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


@pytest.mark.parametrize("head", ["meanmax", "last"])
def test_keypoint_lstm_conv_front_end_ignores_the_amount_of_padding(head):
    torch.manual_seed(0)
    kwargs = dict(hidden_size=5, n_layers=1, head=head, front_end="conv")
    kwargs.update(conv_channels=(4, 4), kernel_size=3, differences=True)
    net = KeypointLSTMNet(3, 2, n_timesteps=12, **kwargs).eval()
    longer = KeypointLSTMNet(3, 2, n_timesteps=20, **kwargs).eval()
    longer.load_state_dict(net.state_dict())
    assert net.n_steps == 3 and longer.n_steps == 5  # the LSTM reads T // 4 steps
    x = torch.randn(2, 12, 3)
    x[0, 9:] = float("nan")
    out = net(x)
    assert out.shape == (2, 2) and torch.isfinite(out).all()
    more_padding = torch.cat([x, torch.full((2, 8, 3), float("nan"))], dim=1)
    torch.testing.assert_close(longer(more_padding), out)
    _all_params_get_grad(net.train(), net(x))


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


# --------------------------------------------------- inference fast paths (issue 19)
def _train_and_inference_outputs(model, *inputs):
    """Outputs of the training path (``no_grad``) and of ``inference_mode``."""
    model.eval()
    with torch.no_grad():
        slow = model(*inputs)
    with torch.inference_mode():
        fast = model(*inputs)
    return slow, fast


@pytest.mark.parametrize("kernel_size", [3, 5])
@pytest.mark.parametrize("bias", [True, False])
def test_convlstm_cell_inference_path_matches_training_path(kernel_size, bias):
    torch.manual_seed(0)
    cell = ConvLSTMCell(3, 8, kernel_size=kernel_size, bias=bias)
    x = torch.randn(2, 3, 11, 13)
    state = (torch.randn(2, 8, 11, 13), torch.randn(2, 8, 11, 13))
    for args in [(x,), (x, state)]:  # zero state skipped, and a given state
        (h, c), (h_fast, c_fast) = _train_and_inference_outputs(cell, *args)
        torch.testing.assert_close(h_fast, h, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(c_fast, c, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"two_path": True, "convlstm_hidden": 4}])
def test_rainnet_inference_path_matches_training_path(kwargs):
    torch.manual_seed(0)
    net = RainNet(3, depth=2, base_channels=4, **kwargs)
    x = torch.rand(2, 3, 1, 20, 28)
    slow, fast = _train_and_inference_outputs(net, x)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-6)
    assert not fast.requires_grad and torch.is_inference(fast)


def test_seq2seq_inference_path_matches_training_path():
    torch.manual_seed(0)
    model = ConvLSTMSeq2Seq(2, 2, n_out_frames=3, hidden_channels=6)
    slow, fast = _train_and_inference_outputs(model, torch.randn(2, 4, 2, 9, 10))
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-6)


def test_training_path_is_untouched_by_inference_fast_path():
    """Outside inference mode the cell is the fused-gates reference formula."""
    torch.manual_seed(0)
    cell = ConvLSTMCell(2, 4)
    x, h, c = torch.randn(1, 2, 6, 7), torch.randn(1, 4, 6, 7), torch.randn(1, 4, 6, 7)
    i, f, o, g = cell.gates(torch.cat([x, h], 1)).chunk(4, 1)
    c_ref = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_ref = torch.sigmoid(o) * torch.tanh(c_ref)
    h_new, c_new = cell(x, (h, c))
    assert torch.equal(h_new, h_ref) and torch.equal(c_new, c_ref)


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
