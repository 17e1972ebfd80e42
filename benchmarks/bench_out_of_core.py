"""Out-of-core training and large-domain nowcasting: peak memory and frames/s.

Two measurements, each in its own child process (so that each peak is its
own: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child, the parent
also reports ``RUSAGE_CHILDREN``, the largest peak of its children so far):

* ``train``: a first child writes a float32 frame archive of ``--archive-gb``
  GB to ``--dir`` (``(n_frames, H, W)``, ``H = W = --frame-size``, smooth
  moving fields); the measured child opens it as a read-only ``np.memmap``, windows it with
  ``sliding_windows(archive, 4, 1, stride=--stride, copy=False)`` (read-only
  strided views, nothing copied) and trains ``UNetNowcaster`` for one epoch
  (``max_epochs=1``, no validation split, ``ensemble_cv=None``: no
  cross-fitted copies for the ensembles' error model). Reported: the peak resident memory
  of the process, the archive size, the windows, and training frames/s
  (input windows per second of the epoch). The archive is deleted afterwards.
* ``predict``: fits a ``UNetNowcaster`` on 32x32 patches, then nowcasts one
  ``--domain`` x ``--domain`` sample (4 frames -> ``--leads`` leads) with
  ``tile_size=--tile-size``. Reported: resident memory before the nowcast, the
  peak during it (the difference is the extra memory of the nowcast) and
  output frames/s.

Run with defaults for a quick check (a 0.1 GB archive); the figures in
docs/benchmarks.rst come from::

    OMP_NUM_THREADS=1 python benchmarks/bench_out_of_core.py \\
        --archive-gb 2.5 --frame-size 256 --stride 16 --domain 1024

Keep the archive on a disk with room for it (``df -h /tmp``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _cli import positive_int


def _rss_mib() -> float:
    """Current resident memory of this process (MiB), from /proc."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _write_archive(path: Path, n_frames: int, size: int) -> None:
    """A float32 ``.npy`` archive of smooth moving rain-like fields.

    Written chunk by chunk with plain file writes, not through a memory map
    (pages written through a map would count in the writer's memory).
    """
    import numpy as np

    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    header = {"descr": "<f4", "fortran_order": False, "shape": (n_frames, size, size)}
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for start in range(0, n_frames, 64):
            t = np.arange(start, min(start + 64, n_frames), dtype=np.float32)
            t = t[:, None, None]
            field = np.sin(6.0 * (xx - 0.01 * t)) * np.cos(5.0 * (yy + 0.007 * t))
            f.write((np.maximum(field, 0.0) * 10.0).astype("<f4").tobytes())


def child_write(args) -> dict:
    size = args.frame_size
    n_frames = int(args.archive_gb * 1e9 // (size * size * 4))
    _write_archive(Path(args.archive), n_frames, size)
    return {"written": args.archive}


def child_train(args) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from skseq import UNetNowcaster
    from skseq.preprocessing import sliding_windows

    path = Path(args.archive)
    archive = np.load(path, mmap_mode="r")
    X, y = sliding_windows(archive, 4, 1, stride=args.stride, copy=False)
    rss_before = _rss_mib()
    est = UNetNowcaster(
        max_epochs=1,
        validation_fraction=None,
        # one network's epoch: no cross-fitted error model (two more fits)
        ensemble_cv=None,
        patience=None,
        batch_size=args.batch_size,
        random_state=0,
    )
    start = time.perf_counter()
    est.fit(X, y)
    seconds = time.perf_counter() - start
    epoch = float(est.history_[-1, "dur"])
    return {
        "archive_gb": path.stat().st_size / 1e9,
        "archive_shape": list(archive.shape),
        "windows": len(X),
        "stride": args.stride,
        "fit_seconds": seconds,
        "epoch_seconds": epoch,
        "train_windows_per_s": len(X) / epoch,
        "rss_before_fit_mib": rss_before,
        "peak_rss_mib": _peak_mib(),
    }


def child_predict(args) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from skseq import UNetNowcaster
    from skseq.datasets import make_radar_sequences
    from skseq.preprocessing import sliding_windows

    patches = make_radar_sequences(n_frames=40, height=32, width=32, random_state=0)
    X, y = sliding_windows(patches, 4, args.leads)
    est = UNetNowcaster(max_epochs=2, random_state=0, tile_size=args.tile_size)
    est.fit(X, y)
    domain = make_radar_sequences(
        n_frames=4, height=args.domain, width=args.domain, random_state=1
    )[None].astype(np.float32)
    est.predict(domain[:, :, :32, :32])  # warm-up on a patch
    rss_before = _rss_mib()
    start = time.perf_counter()
    pred = est.predict(domain)
    seconds = time.perf_counter() - start
    return {
        "domain": list(pred.shape[-2:]),
        "leads": int(pred.shape[1]),
        "tile_size": args.tile_size,
        "predict_seconds": seconds,
        "output_frames_per_s": pred.shape[1] / seconds,
        "rss_before_predict_mib": rss_before,
        "peak_rss_mib": _peak_mib(),
        "extra_peak_mib": _peak_mib() - rss_before,
    }


def _run_child(kind: str, argv: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, *argv]
    child = subprocess.run(cmd, capture_output=True, text=True)
    if child.returncode:  # the child's own error, not only its exit status
        raise SystemExit(
            f"the {kind!r} child process failed (exit status {child.returncode}):\n"
            + child.stderr.strip()[-2000:]
        )
    out = child.stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["parent_children_maxrss_mib"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    return result


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0; got {value}")
    return value


def _tile_size(text: str):
    if text in ("none", "auto"):
        return None if text == "none" else text
    return positive_int(text)


def _folder(text: str) -> str:
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not an existing folder")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive-gb", type=_positive_float, default=0.1)
    parser.add_argument("--frame-size", type=positive_int, default=256)
    parser.add_argument("--stride", type=positive_int, default=1)
    parser.add_argument("--batch-size", type=positive_int, default=4)
    parser.add_argument("--domain", type=positive_int, default=512)
    parser.add_argument("--leads", type=positive_int, default=1)
    parser.add_argument(
        "--tile-size",
        type=_tile_size,
        default=256,
        help='pixels, "auto" (the estimator\'s default: 256) or "none" (one pass)',
    )
    parser.add_argument("--threads", type=positive_int, default=1)
    parser.add_argument("--dir", type=_folder, default=tempfile.gettempdir())
    parser.add_argument("--only", choices=["train", "predict"], default=None)
    # internal: the measured child processes (not shown in --help)
    parser.add_argument(
        "--child",
        choices=["write", "train", "predict"],
        default=None,
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--archive", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        children = {"write": child_write, "train": child_train}
        print(json.dumps(children.get(args.child, child_predict)(args)))
        return
    argv = [a for a in sys.argv[1:] if not a.startswith("--only")]
    if args.only in argv:
        argv.remove(args.only)
    if args.only in (None, "predict"):
        print("predict", json.dumps(_run_child("predict", argv), indent=1), flush=True)
    if args.only in (None, "train"):
        archive = Path(args.dir) / f"skseq_bench_archive_{os.getpid()}.npy"
        try:
            _run_child("write", [*argv, "--archive", str(archive)])
            result = _run_child("train", [*argv, "--archive", str(archive)])
            print("train", json.dumps(result, indent=1), flush=True)
        finally:
            archive.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
