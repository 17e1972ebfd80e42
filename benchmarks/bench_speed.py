"""Speed of every skseq network: training MFU, inference latency, memory.

One table per network, on the CPU always and on a CUDA GPU whenever PyTorch
sees one:

* **training**: model FLOP/s of a full optimizer step (forward + backward
  FLOPs counted by :class:`torch.utils.flop_counter.FlopCounterMode`; LSTM
  layers, which it does not count, by their formula), as a fraction of the
  matmul rate measured in the same process just before (the best of a few
  ``2048 x 2048`` ``torch.mm``; on a GPU in fp32 and in bf16, the bf16 rows
  trained under ``torch.autocast``; PyTorch's defaults are kept, so on a GPU
  cuDNN convolutions may use TF32 while the fp32 matmul reference does not,
  and the fp32 fraction can exceed what an fp32-only step would reach);
* **inference**: median latency of one sample (batch 1) and samples/s of a
  throughput batch, in ``torch.inference_mode`` (the path ``predict``
  takes), optionally of the ``torch.compile``'d network with its compile
  time (``--compile``); for the nowcasting networks also the latency of
  the estimator's whole ``predict`` on one 128x128 sample (input checks,
  scaling and array conversions included; the estimator fitted for one
  epoch on random frames, which changes nothing in the cost);
* **memory**: peak resident memory of the process that measured the network
  (each network runs in its own process; the interpreter with torch loaded
  is reported as the baseline), on a GPU the peak allocated memory;
* the operators that dominate a training step (``torch.profiler``) for every
  network below ``--mfu-target`` of the matmul rate;
* **domain scaling**: latency per megapixel of the nowcasting networks
  (``UNetNowcaster``'s defaults, one lead) from 128x128 up to 1024x1024.

Timings are medians of repeated runs in one process with ``--threads``
threads (default 1). On a machine shared with other jobs they are upper
bounds; the ratios (MFU) are measured against a matmul rate taken under the
same load.

Run: ``python benchmarks/bench_speed.py`` (``--quick`` for a smoke run,
``--compile`` to time ``torch.compile``, ``--device cuda`` for the GPU only).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import torch
from _cli import positive_int
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from skseq.modules import (
    Conv1DActivityNet,
    ConvLSTMSeq2Seq,
    KeypointLSTMNet,
    RainNet,
)
from skseq.modules.unet import RecursiveNowcastNet

# --------------------------------------------------------------- networks
#: name -> (builder, training batch (x, y) maker, loss, throughput batch)
CLASSIFY, REGRESS = "classify", "regress"


def _frames(n, t, size, c=1):
    return torch.rand(n, t, c, *size)


def _nowcaster(two_path: bool) -> nn.Module:
    """The network of ``UNetNowcaster()``'s defaults (one lead, 4 frames)."""
    step = RainNet(5, base_channels=8, two_path=two_path, convlstm_hidden=16)
    return RecursiveNowcastNet(step, n_steps=1, advection_prior=True, residual="last")


NETWORKS: dict[str, dict] = {
    "convlstm_plain": {
        "title": "ConvLSTM plain: 6 frames 32x48 -> 3, 32 hidden, 2 layers",
        "build": lambda: ConvLSTMSeq2Seq(
            1, 1, 3, hidden_channels=32, encoder_decoder=False, attention=False
        ),
        "x": lambda n: _frames(n, 6, (32, 48)),
        "y": lambda n: _frames(n, 3, (32, 48)),
        "task": REGRESS,
        "batch": 8,
    },
    "convlstm_encdec_attention": {
        "title": "ConvLSTM encoder-decoder + attention (ConvLSTMForecaster's network)",
        "build": lambda: ConvLSTMSeq2Seq(1, 1, 3, hidden_channels=32),
        "x": lambda n: _frames(n, 6, (32, 48)),
        "y": lambda n: _frames(n, 3, (32, 48)),
        "task": REGRESS,
        "batch": 8,
    },
    "rainnet": {
        "title": "RainNet U-Net, module defaults (depth 3, 16 ch): 4 frames 128x128",
        "build": lambda: RainNet(4),
        "x": lambda n: _frames(n, 4, (128, 128)),
        "y": lambda n: torch.rand(n, 1, 128, 128),
        "task": REGRESS,
        "batch": 8,
    },
    "rainnet_two_path": {
        "title": "RainNet two-path (U-Net + ConvLSTM, 16 ch, 16 hidden): 4 frames 128x128",
        "build": lambda: RainNet(4, two_path=True),
        "x": lambda n: _frames(n, 4, (128, 128)),
        "y": lambda n: torch.rand(n, 1, 128, 128),
        "task": REGRESS,
        "batch": 8,
    },
    "nowcaster": {
        "title": "UNetNowcaster() network (8 ch, advection prior, residual): 128x128",
        "build": lambda: _nowcaster(False),
        "x": lambda n: _frames(n, 4, (128, 128)),
        "y": lambda n: _frames(n, 1, (128, 128)),
        "task": REGRESS,
        "batch": 4,
        "scaling": True,
        "estimator": {},
    },
    "nowcaster_two_path": {
        "title": "UNetNowcaster(two_path=True) network: 128x128",
        "build": lambda: _nowcaster(True),
        "x": lambda n: _frames(n, 4, (128, 128)),
        "y": lambda n: _frames(n, 1, (128, 128)),
        "task": REGRESS,
        "batch": 4,
        "scaling": True,
        "estimator": {"two_path": True},
    },
    "conv1d": {
        "title": "Conv1DActivityNet defaults: 600 steps x 6 channels, 10 classes",
        "build": lambda: Conv1DActivityNet(6, 10),
        "x": lambda n: torch.randn(n, 600, 6),
        "y": lambda n: torch.randint(0, 10, (n,)),
        "task": CLASSIFY,
        "batch": 32,
    },
    "keypoint_lstm": {
        "title": "KeypointLSTMNet defaults: 5 frames x 30 features, 5 classes",
        "build": lambda: KeypointLSTMNet(30, 5, 5),
        "x": lambda n: torch.randn(n, 5, 30),
        "y": lambda n: torch.randint(0, 5, (n,)),
        "task": CLASSIFY,
        "batch": 64,
    },
}

#: networks whose inference latency is also timed against the frame size
SCALING_SIZES = (128, 256, 512, 1024)


# ------------------------------------------------------------- measuring
def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def median_seconds(fn: Callable[[], object], device: str, repeats: int) -> float:
    """Median wall time of ``fn`` after two warm-up calls."""
    fn()
    fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_rate(device: str, dtype: torch.dtype, n: int = 2048, repeats: int = 5):
    """Best FLOP/s of an ``n x n`` matrix product (TF32 off for fp32)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best = float("inf")
    torch.mm(a, b)
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def _lstm_flops(model: nn.Module, run: Callable[[], object]) -> int:
    """Training FLOPs of the ``nn.LSTM`` layers (FlopCounterMode skips them):
    ``2 * 4 H (I + H)`` per step, layer and direction, times 3 for the
    backward pass."""
    total = 0

    def hook(module, args, output):
        nonlocal total
        x = args[0]
        if isinstance(x, nn.utils.rnn.PackedSequence):
            steps = x.data.shape[0]  # the valid timesteps of all sequences
        else:
            steps = x.shape[0] * x.shape[1]
        dirs = 2 if module.bidirectional else 1
        h = module.hidden_size
        for layer in range(module.num_layers):
            i = module.input_size if layer == 0 else h * dirs
            total += 3 * 2 * 4 * h * (i + h) * steps * dirs

    handles = [
        m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.LSTM)
    ]
    try:
        run()
    finally:
        for handle in handles:
            handle.remove()
    return total


def _loss(task: str, out, y):
    if task == CLASSIFY:
        return nn.functional.cross_entropy(out.float(), y)
    return nn.functional.mse_loss(out.float(), y.reshape(out.shape))


def training_step_fn(model, x, y, task, autocast_dtype=None):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    device_type = x.device.type
    context = (
        (lambda: torch.autocast(device_type, dtype=autocast_dtype))
        if autocast_dtype is not None
        else nullcontext
    )

    def step():
        optimizer.zero_grad(set_to_none=True)
        with context():
            loss = _loss(task, model(x), y)
        loss.backward()
        optimizer.step()

    return step


def top_operators(step: Callable[[], object], device: str, n: int = 5) -> list:
    """The ``n`` operators with the largest self time in one training step."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU]
    if device.startswith("cuda"):
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        step()
        _sync(device)
    key = (
        "self_device_time_total" if device.startswith("cuda") else "self_cpu_time_total"
    )
    events = sorted(prof.key_averages(), key=lambda e: getattr(e, key), reverse=True)
    total = sum(getattr(e, key) for e in events) or 1.0
    return [(e.key, getattr(e, key) / total) for e in events[:n]]


def measure(name: str, device: str, args) -> dict:
    """Every figure of one network on one device (run in its own process)."""
    spec = NETWORKS[name]
    torch.manual_seed(0)
    result: dict = {"network": name, "title": spec["title"], "device": device}
    batch = spec["batch"]
    x, y = spec["x"](batch).to(device), spec["y"](batch).to(device)
    repeats = args.repeats
    cuda = device.startswith("cuda")
    result["device_name"] = (
        torch.cuda.get_device_name(device)
        if cuda
        else f"CPU, {torch.get_num_threads()} threads"
    )

    # training: fp32, and bf16 autocast on CUDA
    precisions = [("fp32", None, torch.float32)]
    if cuda:
        precisions.append(("bf16", torch.bfloat16, torch.bfloat16))
    result["training"] = []
    for label, autocast_dtype, mm_dtype in precisions:
        torch.manual_seed(0)
        model = spec["build"]().to(device).train()
        if cuda and args.channels_last and name.startswith(("rainnet", "nowcaster")):
            model = model.to(memory_format=torch.channels_last)
        step = training_step_fn(model, x, y, spec["task"], autocast_dtype)
        with FlopCounterMode(display=False) as counter:
            lstm = _lstm_flops(model, step)
        flops = counter.get_total_flops() + lstm
        rate_peak = matmul_rate(device, mm_dtype)
        seconds = median_seconds(step, device, max(3, repeats // 3))
        row = {
            "precision": label,
            "gflop_per_step": flops / 1e9,
            "gflops": flops / seconds / 1e9,
            "matmul_gflops": rate_peak / 1e9,
            "mfu": flops / seconds / rate_peak,
            "step_ms": seconds * 1e3,
        }
        if row["mfu"] < args.mfu_target:
            row["top_ops"] = top_operators(step, device)
        result["training"].append(row)

    # inference, as predict runs it
    torch.manual_seed(0)
    model = spec["build"]().to(device).eval()
    x1 = spec["x"](1).to(device)
    xb = spec["x"](args.throughput_batch).to(device)
    # batch 1 in inference mode (predict's path) and under no_grad (the
    # training-path network, as predict ran it before), calls interleaved
    fast, slow = [], []

    def timed(times, context):
        with context():
            _sync(device)
            start = time.perf_counter()
            model(x1)
            _sync(device)
        times.append(time.perf_counter() - start)

    for _ in range(repeats + 2):
        timed(fast, torch.inference_mode)
        timed(slow, torch.no_grad)
    result["latency_ms"] = statistics.median(fast[2:]) * 1e3
    result["latency_no_grad_ms"] = statistics.median(slow[2:]) * 1e3
    with torch.inference_mode():
        per_batch = median_seconds(lambda: model(xb), device, max(3, repeats // 3))
        result["throughput"] = args.throughput_batch / per_batch
        if args.compile:
            compiled = torch.compile(model)
            start = time.perf_counter()
            compiled(x1)
            _sync(device)
            result["compile_s"] = time.perf_counter() - start
            result["compiled_latency_ms"] = (
                median_seconds(lambda: compiled(x1), device, repeats) * 1e3
            )
            out, ref = compiled(x1), model(x1)
            result["compiled_max_abs_diff"] = float((out - ref).abs().max())
        if spec.get("scaling") and not args.quick:
            result["scaling"] = []
            for size in args.sizes:
                xs = torch.rand(1, 4, 1, size, size, device=device)
                reps = max(3, repeats // max(1, size // 128) ** 2)
                seconds = median_seconds(lambda xs=xs: model(xs), device, reps)
                result["scaling"].append(
                    {
                        "size": size,
                        "ms": seconds * 1e3,
                        "ms_per_mpix": seconds * 1e3 / (size * size / 1e6),
                    }
                )
    if "estimator" in spec:
        result["predict_ms"] = estimator_predict_ms(spec["estimator"], device, repeats)
    if cuda:
        result["peak_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def estimator_predict_ms(params: dict, device: str, repeats: int) -> float:
    """Median latency of ``UNetNowcaster(**params).predict`` on one 128x128 sample.

    The estimator is fitted for one epoch on 8 random windows of 4 frames
    (the cost of ``predict`` does not depend on the weights).
    """
    import numpy as np

    from skseq import UNetNowcaster

    rng = np.random.default_rng(0)
    X = rng.gamma(0.5, 1.0, size=(8, 4, 128, 128)).astype(np.float32)
    y = rng.gamma(0.5, 1.0, size=(8, 1, 128, 128)).astype(np.float32)
    est = UNetNowcaster(max_epochs=1, device=device, random_state=0, **params)
    est.fit(X, y)
    x1 = X[:1]
    return median_seconds(lambda: est.predict(x1), device, repeats) * 1e3


# ------------------------------------------------------------- reporting
def _print_table(result: dict, target: float) -> None:
    print(f"\n### {result['title']}  [{result['device']}: {result['device_name']}]")
    print(
        "| precision | GFLOP / step | step ms | GFLOP/s | matmul GFLOP/s | of matmul |"
    )
    print("|---|---|---|---|---|---|")
    for row in result["training"]:
        print(
            f"| {row['precision']} | {row['gflop_per_step']:.3f} | {row['step_ms']:.1f} "
            f"| {row['gflops']:.1f} | {row['matmul_gflops']:.1f} | {row['mfu']:.1%} |"
        )
    line = (
        f"inference: batch 1 {result['latency_ms']:.2f} ms (median; under no_grad, "
        f"the training path: {result['latency_no_grad_ms']:.2f} ms), "
        f"throughput {result['throughput']:.1f} samples/s; "
        f"peak memory {result['peak_mib']:.0f} MiB"
    )
    if "compile_s" in result:
        line += (
            f"; torch.compile: {result['compile_s']:.1f} s to compile, batch 1 "
            f"{result['compiled_latency_ms']:.2f} ms (max |diff| "
            f"{result['compiled_max_abs_diff']:.1e})"
        )
    print(line)
    if "predict_ms" in result:
        print(
            f"estimator predict, one 128x128 sample: {result['predict_ms']:.2f} ms (median)"
        )
    for row in result["training"]:
        if "top_ops" in row:
            ops = ", ".join(f"{op} {share:.0%}" for op, share in row["top_ops"])
            print(
                f"below {target:.0%} of matmul ({row['precision']}): "
                f"top operators by self time: {ops}"
            )
    if "scaling" in result:
        print("| frame | batch-1 latency ms | ms per megapixel |")
        print("|---|---|---|")
        for row in result["scaling"]:
            print(
                f"| {row['size']}x{row['size']} | {row['ms']:.1f} | {row['ms_per_mpix']:.1f} |"
            )


def _child(name: str, device: str, argv: list[str]) -> dict:
    """Measure one network in a fresh process (its own peak memory)."""
    cmd = [sys.executable, __file__, "--child", name, "--device", device, *argv]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} on {device} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["all", "cpu", "cuda"], default="all")
    parser.add_argument("--networks", nargs="+", choices=list(NETWORKS))
    parser.add_argument("--threads", type=positive_int, default=1)
    parser.add_argument("--repeats", type=positive_int, default=21)
    parser.add_argument("--throughput-batch", type=positive_int, default=16)
    parser.add_argument(
        "--sizes", type=positive_int, nargs="+", default=list(SCALING_SIZES)
    )
    parser.add_argument("--mfu-target", type=float, default=0.8)
    parser.add_argument("--compile", action="store_true", help="time torch.compile")
    parser.add_argument(
        "--no-channels-last",
        dest="channels_last",
        action="store_false",
        help="train the U-Nets in the default layout on a GPU",
    )
    parser.add_argument("--quick", action="store_true", help="few repeats, no scaling")
    parser.add_argument("--json", help="also write all results to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.json and not Path(args.json).resolve().parent.is_dir():
        parser.error(f"--json {args.json}: its folder does not exist")
    torch.set_num_threads(args.threads)
    if args.quick:
        args.repeats = 3
    if args.child:
        print(json.dumps(measure(args.child, args.device, args)))
        return None

    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        if args.device == "cuda":
            # asked for the GPU only: measuring nothing is not a success
            sys.exit("bench_speed.py: --device cuda, but CUDA is not available")
        print("CUDA is not available: GPU rows skipped.")
        devices.remove("cuda")
    passthrough = [
        f"--threads={args.threads}",
        f"--repeats={args.repeats}",
        f"--throughput-batch={args.throughput_batch}",
        f"--mfu-target={args.mfu_target}",
        "--sizes",
        *map(str, args.sizes),
    ]
    passthrough += ["--compile"] * args.compile + ["--quick"] * args.quick
    passthrough += [] if args.channels_last else ["--no-channels-last"]
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"torch {torch.__version__}, {args.threads} thread(s); interpreter with torch "
        f"loaded: {baseline:.0f} MiB resident"
    )
    results = []
    for device in devices:
        for name in args.networks or list(NETWORKS):
            result = _child(name, device, passthrough)
            _print_table(result, args.mfu_target)
            results.append(result)
            sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
