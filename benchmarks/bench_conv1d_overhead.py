"""Wrapper overhead: Conv1DActivityClassifier vs a plain PyTorch training loop.

Trains the same network (the :class:`skseq.modules.conv1d.Conv1DActivityNet`
the default estimator builds for the data, with the same initial weights) on
the same data with the same optimiser (NAdam at a constant rate), batch size
and number of epochs, once with a hand-written loop and once through the
sklearn estimator, and reports training samples per second of both, their
ratio and peak resident memory.

Run: ``python benchmarks/bench_conv1d_overhead.py [--epochs 20] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import torch
from _cli import positive_int

from skseq import Conv1DActivityClassifier
from skseq.modules.conv1d import Conv1DActivityNet


def make_data(n=512, T=128, C=6, n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    t = np.linspace(0, 4 * np.pi, T)
    X = rng.normal(scale=0.5, size=(n, T, C)).astype(np.float32)
    X[:, :, 0] += np.sin((y[:, None] + 1) * t[None, :])
    return X, y


def estimator_network(X, y, seed) -> torch.nn.Module:
    """The network the default estimator builds for ``X, y``, freshly
    initialised (its pooling, head, stem and differences resolved for this
    data, as in the wrapped fit)."""
    clf = Conv1DActivityClassifier(max_epochs=1, random_state=seed).fit(X, y)
    torch.manual_seed(seed)
    net = clf._build_module()
    assert isinstance(net, Conv1DActivityNet)
    return net


def plain_loop(X, y, epochs, batch_size, lr, seed):
    net = estimator_network(X, y, seed)
    optimizer = torch.optim.NAdam(net.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)
    start = time.perf_counter()
    net.train()
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def wrapped(X, y, epochs, batch_size, lr, seed):
    clf = Conv1DActivityClassifier(
        max_epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        lr_schedule=None,  # the plain loop keeps a constant rate too
        validation_fraction=None,
        random_state=seed,
    )
    start = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=positive_int, default=10)
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--batch-size", type=positive_int, default=32)
    args = parser.parse_args(argv)
    X, y = make_data()
    n_seen = len(X) * args.epochs
    results = {"plain PyTorch loop": [], "Conv1DActivityClassifier": []}
    for repeat in range(args.repeats):  # interleaved, so drift hits both
        results["plain PyTorch loop"].append(
            plain_loop(X, y, args.epochs, args.batch_size, 2e-3, repeat)
        )
        results["Conv1DActivityClassifier"].append(
            wrapped(X, y, args.epochs, args.batch_size, 2e-3, repeat)
        )
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, data {X.shape}"
    )
    best = {}
    for name, times in results.items():
        best[name] = n_seen / min(times)
        print(f"{name:28s} {best[name]:9.1f} samples/s (best of {args.repeats})")
    ratio = best["Conv1DActivityClassifier"] / best["plain PyTorch loop"]
    print(f"wrapper / plain throughput ratio: {ratio:.3f}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
