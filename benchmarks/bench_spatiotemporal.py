"""Throughput, latency and memory of the spatiotemporal networks on this machine.

* Training throughput of ConvLSTMSeq2Seq and RainNet in model FLOP/s (forward +
  backward FLOPs counted by :class:`torch.utils.flop_counter.FlopCounterMode`),
  compared with the machine's measured fp32 matmul peak (a large ``torch.mm``).
* Inference latency of one 128x128 nowcast (batch 1, 4 input frames) with
  RainNet's module defaults (depth 3, 16 base channels; ``UNetNowcaster``
  trains 8 by default), median of repeated runs.
* Peak resident memory of the process.

Run: ``python benchmarks/bench_spatiotemporal.py``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from skseq.modules.convlstm import ConvLSTMSeq2Seq
from skseq.modules.unet import RainNet


def matmul_peak(n: int = 2048, repeats: int = 5) -> float:
    """Best fp32 FLOP/s of an ``n x n`` matrix product."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def training_flops_per_second(model, x, y, steps: int = 5) -> tuple[float, float]:
    """(FLOPs of one training step, achieved FLOP/s) for ``model`` on ``x, y``."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    with FlopCounterMode(display=False) as counter:
        step()
    flops = counter.get_total_flops()
    step()  # warm-up
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return flops, flops / statistics.median(times)


def nowcast_latency(model, size: int = 128, repeats: int = 20) -> float:
    """Median seconds for one (1, 4, 1, size, size) -> next-frame prediction."""
    model.eval()
    x = torch.rand(1, 4, 1, size, size)
    times = []
    with torch.inference_mode():
        model(x)
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    peak = matmul_peak()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"fp32 matmul peak (2048^2 mm): {peak / 1e9:.1f} GFLOP/s\n")

    x = torch.rand(args.batch, 6, 1, 32, 48)  # traffic-heatmap-like frames
    y = torch.rand(args.batch, 3, 1, 32, 48)
    for name, kwargs in {
        "ConvLSTM plain": {"encoder_decoder": False, "attention": False},
        "ConvLSTM enc-dec": {"attention": False},
        "ConvLSTM enc-dec+attention": {},
    }.items():
        model = ConvLSTMSeq2Seq(1, 1, n_out_frames=3, hidden_channels=32, **kwargs)
        flops, rate = training_flops_per_second(model, x, y)
        print(
            f"{name:28s} {flops / 1e9:7.2f} GFLOP/step  {rate / 1e9:6.1f} GFLOP/s  "
            f"{rate / peak:6.1%} of matmul peak"
        )

    x = torch.rand(args.batch, 4, 1, 128, 128)
    y = torch.rand(args.batch, 1, 128, 128)
    rainnet = RainNet(4)
    flops, rate = training_flops_per_second(rainnet, x, y)
    print(
        f"{'RainNet (depth 3, 16 ch)':28s} {flops / 1e9:7.2f} GFLOP/step  "
        f"{rate / 1e9:6.1f} GFLOP/s  {rate / peak:6.1%} of matmul peak"
    )
    for name, model in {
        "RainNet": RainNet(4),
        "RainNet two-path": RainNet(4, two_path=True),
    }.items():
        latency = nowcast_latency(model)
        print(f"{name:28s} one 128x128 nowcast: {latency * 1e3:6.1f} ms (median)")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of this process: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
