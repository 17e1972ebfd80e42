"""Tests of skseq.modules.recurrent: the keypoint LSTM network."""

import pickle

import pytest
import torch
from _support import all_params_get_grad

from skseq.modules import KeypointLSTMNet


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


@pytest.mark.parametrize("conv_skip", [False, True])
@pytest.mark.parametrize("head", ["meanmax", "last"])
def test_keypoint_lstm_conv_front_end_ignores_the_amount_of_padding(head, conv_skip):
    torch.manual_seed(0)
    kwargs = dict(hidden_size=5, n_layers=1, head=head, front_end="conv")
    kwargs.update(conv_skip=conv_skip)
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
    all_params_get_grad(net.train(), net(x))


@pytest.mark.parametrize("head", ["last", "mean"])
def test_keypoint_lstm_a_missing_step_inside_keeps_the_last_one(head):
    # a NaN row inside the sequence is a missing step (read as zeros), not
    # the start of the padding: the steps after it still count
    torch.manual_seed(0)
    net = KeypointLSTMNet(2, 2, 6, hidden_size=3, n_layers=1, head=head).eval()
    x = torch.randn(1, 6, 2)
    missing, zeros = x.clone(), x.clone()
    missing[0, 2] = float("nan")
    zeros[0, 2] = 0.0
    with torch.no_grad():
        torch.testing.assert_close(net(missing), net(zeros))


def test_lstm_runs_in_the_weights_precision_under_autocast():
    # CUDA's autocast runs cuDNN's LSTM in float16 even under bfloat16: the
    # packed LSTM runs outside it, as trained without
    net = KeypointLSTMNet(4, 3, 6, hidden_size=5, head="meanmax").eval()
    x = torch.randn(2, 6, 4)
    x[1, 4:] = float("nan")  # a padded sequence: the packed path
    expected = net(x)
    seen = []
    net.lstm.register_forward_hook(lambda m, args, out: seen.append(out[0].data.dtype))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(x.bfloat16())  # as a half-precision front end hands it over
    assert seen == [torch.float32]
    torch.testing.assert_close(out.float(), expected, rtol=0.02, atol=0.02)


def _head_input(net, x):
    captured = []
    hook = net.head.register_forward_hook(lambda m, i, o: captured.append(i[0]))
    with torch.no_grad():
        net(x)
    hook.remove()
    return captured[0]


def test_last_head_of_a_bidirectional_lstm_reads_the_whole_sequence_backward():
    # the backward state at the last step had read that step only: changing
    # every earlier step left half of the head's input unchanged
    torch.manual_seed(0)
    net = KeypointLSTMNet(
        3, 2, 10, hidden_size=4, n_layers=1, bidirectional=True, head="last"
    ).eval()
    x = torch.randn(2, 10, 3)
    changed = x.clone()
    changed[:, :-1] = torch.randn(2, 9, 3)
    diff = (_head_input(net, x) - _head_input(net, changed)).abs()
    assert diff[:, :4].amax() > 1e-3 and diff[:, 4:].amax() > 1e-3
    # padded: the backward state at step 0 of the valid steps, as unpadded
    padded = torch.cat([x[:1, :7], torch.full((1, 3, 3), float("nan"))], dim=1)
    short = KeypointLSTMNet(
        3, 2, 7, hidden_size=4, n_layers=1, bidirectional=True, head="last"
    )
    short.load_state_dict(net.state_dict())
    torch.testing.assert_close(short.eval()(x[:1, :7]), net(padded))


def test_networks_pickled_before_keep_their_last_head():
    # a network pickled by skseq <= 0.1 lacks the attribute: its trained
    # head keeps reading both directions at the last step
    torch.manual_seed(0)
    net = KeypointLSTMNet(
        3, 2, 10, hidden_size=4, n_layers=1, bidirectional=True, head="last"
    ).eval()
    old = pickle.loads(pickle.dumps(net))
    del old.__dict__["last_backward_first"]
    x = torch.randn(2, 10, 3)
    states = net.lstm(x)[0]
    with torch.no_grad():
        torch.testing.assert_close(old(x), net.head(states[:, -1]))


def test_conv_skip_head_reads_the_front_end_pooled_beside_the_lstm():
    from skseq.modules.conv1d import global_pool

    torch.manual_seed(0)
    kwargs = dict(hidden_size=5, n_layers=1, front_end="conv", conv_channels=(4, 6))
    kwargs.update(head="meanmax")
    net = KeypointLSTMNet(3, 2, 16, kernel_size=3, conv_skip=True, **kwargs).eval()
    assert net.head[0].in_features == 2 * 5 + 2 * 6  # LSTM mean/max + front end's
    x = torch.randn(2, 16, 3)
    x[1, 11:] = float("nan")
    with torch.no_grad():
        h, mask = net.encoder(x)
        states, _ = net.lstm(
            torch.nan_to_num(h.masked_fill(mask == 0, float("nan"))).transpose(1, 2)
        )
        steps = mask[:, 0, :, None]
        mean = (states * steps).sum(1) / steps.sum(1)
        high = states.masked_fill(steps == 0, float("-inf")).amax(1)
        features = torch.cat([mean, high, global_pool(h, mask)], dim=1)
        torch.testing.assert_close(net(x), net.head(features))
    plain = KeypointLSTMNet(3, 2, 16, kernel_size=3, **kwargs)
    assert plain.head[0].in_features == 2 * 5 and not plain.conv_skip
    with pytest.raises(ValueError, match="conv_skip=True needs front_end='conv'"):
        KeypointLSTMNet(3, 2, 16, conv_skip=True)
