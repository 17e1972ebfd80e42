"""Prediction latency: onnxruntime on an exported graph vs skseq's ``predict``.

Two serving cases of the issue (#16):

* one 128x128 nowcast: :class:`~skseq.UNetNowcaster` with its default
  architecture (4 input frames, advection prior, residual on the last frame,
  clip), batch of 1, for 1 and 6 lead times;
* a batch of 256 IMU windows (600 steps x 6 channels):
  :class:`~skseq.Conv1DActivityClassifier` with its default architecture,
  ``predict_proba``.

The weights are barely trained (one epoch on a few samples): latency does not
depend on them. Both sides use the same number of threads (``--threads``, torch
intra-op threads and onnxruntime's ``intra_op_num_threads``); each figure is the
median of ``--repeats`` calls after ``--warmup`` calls, the skseq and
onnxruntime calls alternating (fair on a shared machine). The skseq figure is
the whole ``predict`` / ``predict_proba`` call (validation, float32 cast,
network, post-processing), the onnxruntime figure the whole ``session.run``.

Run: ``python benchmarks/bench_export.py [--threads 1] [--repeats 30]``.
Needs the ``export`` extra (onnx, onnxruntime, onnxscript).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from _cli import nonnegative_int, positive_int


def median_ms(fns, repeats: int, warmup: int) -> list[float]:
    """Median milliseconds of each of ``fns``, called in alternation.

    Alternating the calls (a, b, a, b, ...) exposes both to the same load of a
    shared machine, so their ratio is fairer than that of two blocks of calls.
    """
    for _ in range(warmup):
        for fn in fns:
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, record in zip(fns, times):
            start = time.perf_counter()
            fn()
            record.append(time.perf_counter() - start)
    return [1e3 * float(np.median(t)) for t in times]


def session(model, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options)


def measure(case: str, est, method: str, X_example, X, output: str, args) -> dict:
    """Export, check and time one fitted estimator against its ONNX graph.

    ``est.<method>`` is what the graph's ``output`` reproduces; the graph is
    exported from ``X_example`` and both are timed on ``X``.
    """
    from skseq.export import to_onnx

    predict = getattr(est, method)
    start = time.perf_counter()
    model = to_onnx(est, X_example)
    export_s = time.perf_counter() - start
    sess = session(model, args.threads)
    out = sess.run([output], {"X": X})[0]
    diff = float(np.abs(out - predict(X)).max())
    skseq_ms, onnx_ms = median_ms(
        [lambda: predict(X), lambda: sess.run(None, {"X": X})],
        args.repeats,
        args.warmup,
    )
    return {
        "case": case,
        "skseq_ms": skseq_ms,
        "onnx_ms": onnx_ms,
        "max_abs_diff": diff,
        "export_s": export_s,
    }


def nowcast_case(n_leads: int, args) -> dict:
    from skseq import UNetNowcaster

    rng = np.random.default_rng(0)
    frames = rng.gamma(0.5, 2.0, size=(3, 4 + n_leads, 128, 128)).astype(np.float32)
    X, y = frames[:, :4], frames[:, 4:]
    est = UNetNowcaster(max_epochs=1, validation_fraction=None, random_state=0)
    est.fit(X, y)
    case = f"one 128x128 nowcast, {n_leads} lead{'s' * (n_leads > 1)} (UNetNowcaster)"
    return measure(case, est, "predict", X[:1], X[:1], "y_pred", args)


def imu_case(args) -> dict:
    from skseq import Conv1DActivityClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, args.timesteps, 6)).astype(np.float32)
    y = np.arange(256) % 6
    est = Conv1DActivityClassifier(
        max_epochs=1, validation_fraction=None, random_state=0
    )
    est.fit(X[:32], y[:32])
    case = f"256 IMU windows of {args.timesteps} x 6 (Conv1DActivityClassifier)"
    return measure(case, est, "predict_proba", X[:2], X, "probabilities", args)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=positive_int, default=1)
    parser.add_argument("--repeats", type=positive_int, default=30)
    parser.add_argument("--warmup", type=nonnegative_int, default=3)
    parser.add_argument("--timesteps", type=positive_int, default=600)
    args = parser.parse_args(argv)
    try:
        import onnxruntime
    except ImportError:
        print(
            "bench_export: skipped (needs the export extra: pip install -e '.[export]')."
        )
        return
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=UserWarning)
    rows = [nowcast_case(1, args), nowcast_case(6, args), imu_case(args)]
    print(
        f"threads={args.threads}, median of {args.repeats} alternating calls after "
        f"{args.warmup} warm-up calls; torch {torch.__version__}, onnxruntime "
        f"{onnxruntime.__version__}"
    )
    header = f"{'case':<62} {'skseq ms':>9} {'onnx ms':>9} {'speed-up':>8} {'max |diff|':>10} {'export s':>8}"
    print(header)
    for r in rows:
        print(
            f"{r['case']:<62} {r['skseq_ms']:>9.1f} {r['onnx_ms']:>9.1f} "
            f"{r['skseq_ms'] / r['onnx_ms']:>7.2f}x {r['max_abs_diff']:>10.1e} "
            f"{r['export_s']:>8.1f}"
        )


if __name__ == "__main__":
    main()
