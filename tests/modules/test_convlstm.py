"""Tests of skseq.modules.convlstm: the ConvLSTM cell, attention and seq2seq."""

import pytest
import torch
from _support import all_params_get_grad, train_and_inference_outputs
from torch import nn

from skseq.modules import ConvLSTMCell, ConvLSTMSeq2Seq, TemporalAttention


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
    all_params_get_grad(net, out)
    with pytest.raises(ValueError, match="attention=True needs encoder_decoder=True"):
        ConvLSTMSeq2Seq(1, 1, 2, encoder_decoder=False, attention=True)


# --------------------------------------------------- inference fast paths (issue 19)


@pytest.mark.parametrize("kernel_size", [3, 5])
@pytest.mark.parametrize("bias", [True, False])
def test_convlstm_cell_inference_path_matches_training_path(kernel_size, bias):
    torch.manual_seed(0)
    cell = ConvLSTMCell(3, 8, kernel_size=kernel_size, bias=bias)
    x = torch.randn(2, 3, 11, 13)
    state = (torch.randn(2, 8, 11, 13), torch.randn(2, 8, 11, 13))
    for args in [(x,), (x, state)]:  # zero state skipped, and a given state
        (h, c), (h_fast, c_fast) = train_and_inference_outputs(cell, *args)
        torch.testing.assert_close(h_fast, h, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(c_fast, c, rtol=1e-6, atol=1e-6)


def test_seq2seq_inference_path_matches_training_path():
    torch.manual_seed(0)
    model = ConvLSTMSeq2Seq(2, 2, n_out_frames=3, hidden_channels=6)
    slow, fast = train_and_inference_outputs(model, torch.randn(2, 4, 2, 9, 10))
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


def test_inference_path_keeps_its_state_in_float32_under_autocast():
    # the training path's float32 zero state promotes every step to float32;
    # the inference path kept bfloat16 states under autocast (its error grew
    # with the sequence)
    cell = ConvLSTMCell(2, 4).eval()
    x = torch.randn(2, 2, 6, 7)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        state = cell(x)
        state = cell(x, state)
    assert state[0].dtype == state[1].dtype == torch.float32
