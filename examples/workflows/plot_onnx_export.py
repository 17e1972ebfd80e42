"""
Serving a fitted model with ONNX Runtime
========================================

:func:`skseq.export.to_onnx` turns a fitted estimator -- or a ``Pipeline`` of
skseq transformers ending in one -- into a single ONNX graph: preprocessing,
the estimator's own input scaling, the network, the softmax and the class
labels (or, for a nowcaster, the recursion over lead times, the output clip
and the inverse log transform). The graph runs in :mod:`onnxruntime` without
torch, skorch, scikit-learn or skseq.

Needs skseq's ``export`` extra (``pip install -e ".[export]"`` in a checkout;
see :doc:`/install`).
"""

# %%
# A classifier pipeline on BasicMotions
# -------------------------------------
import os
import subprocess
import sys
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from sklearn.pipeline import make_pipeline

from skseq import Conv1DActivityClassifier, UNetNowcaster
from skseq.datasets import load_basic_motions, make_radar_sequences
from skseq.export import to_onnx
from skseq.preprocessing import (
    DerivativeIntegralFeatures,
    RollAugmenter,
    sliding_windows,
)

X_train, y_train = load_basic_motions(split="train")  # (40, 100, 6), string labels
X_test, y_test = load_basic_motions(split="test")
model = make_pipeline(
    DerivativeIntegralFeatures(dt=0.1),  # 6 -> 18 channels, in the graph too
    RollAugmenter(random_state=0),  # training only: the identity in the graph
    # a short fit: this page compares the graph with predict, not skill
    Conv1DActivityClassifier(max_epochs=10, validation_fraction=None, random_state=0),
).fit(X_train, y_train)

workdir = tempfile.mkdtemp()
path = os.path.join(workdir, "basic_motions.onnx")
to_onnx(model, X_test[:2], path)
print(f"{os.path.getsize(path) / 1e3:.0f} kB written")

# %%
# Serve it without skseq
# ----------------------
# The serving side needs only numpy and onnxruntime. This script runs in a
# fresh Python process, which checks that neither torch nor skseq was
# imported. The graph takes float32 ``X`` with any number of samples and
# returns the class probabilities (columns in ``classes_`` order) and the
# labels themselves, here strings.
SERVE = """
import sys
import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(sys.argv[1])
X = np.load(sys.argv[2]).astype(np.float32)
probabilities, label = session.run(["probabilities", "label"], {"X": X})
print("inputs:", [(i.name, i.type, i.shape) for i in session.get_inputs()])
print("first labels:", label[:5])
np.save(sys.argv[3], probabilities)
assert "torch" not in sys.modules and "skseq" not in sys.modules
"""
np.save(os.path.join(workdir, "X_test.npy"), X_test)
result = subprocess.run(
    [
        sys.executable,
        "-c",
        SERVE,
        path,
        *(os.path.join(workdir, f) for f in ("X_test.npy", "proba.npy")),
    ],
    capture_output=True,
    text=True,
    check=True,
)
print(result.stdout)
proba_onnx = np.load(os.path.join(workdir, "proba.npy"))
proba_skseq = model.predict_proba(X_test)
print("largest difference from predict_proba:", np.abs(proba_onnx - proba_skseq).max())
print(
    "same labels as predict:",
    bool((model.classes_[proba_onnx.argmax(1)] == model.predict(X_test)).all()),
)

# %%
# A nowcaster
# -----------
# A tiny :class:`~skseq.UNetNowcaster` trained over three lead times: the
# graph unrolls the recursion (with the advection prior and the clip to
# the training range) and returns ``predict``'s layout ``(n, 3, H, W)``.
frames = make_radar_sequences(n_frames=40, height=48, width=48, random_state=0)
X, y = sliding_windows(frames, n_input=4, n_output=3)
nowcaster = UNetNowcaster(
    depth=2, base_channels=4, max_epochs=2, ensemble_cv=None, random_state=0
)
nowcaster.fit(X, y)

session = ort.InferenceSession(to_onnx(nowcaster, X[:2]).SerializeToString())
(nowcast_onnx,) = session.run(None, {"X": X[-1:].astype(np.float32)})
nowcast_skseq = nowcaster.predict(X[-1:])
print("nowcast shape:", nowcast_onnx.shape)
print("largest difference from predict:", np.abs(nowcast_onnx - nowcast_skseq).max())

# %%
# The last window's rain is leaving the domain, so the figure nowcasts the
# window with the most rain in its last input frame, with both runtimes, on
# a logarithmic colour scale (dry pixels, below 0.1 mm/h, white).
from matplotlib.colors import LogNorm

k = int(np.argmax(X[:, -1].sum(axis=(1, 2))))
(window_onnx,) = session.run(None, {"X": X[k : k + 1].astype(np.float32)})
window_skseq = nowcaster.predict(X[k : k + 1])
panels = [
    (X[k, -1], "last observed frame"),
    (window_skseq[0, -1], "lead 3: skseq predict"),
    (window_onnx[0, -1], "lead 3: onnxruntime"),
]
norm = LogNorm(vmin=0.1, vmax=max(image.max() for image, _ in panels))
cmap = plt.get_cmap("viridis").with_extremes(under="white", bad="white")
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), layout="constrained")
for ax, (image, title) in zip(axes, panels):
    shown = ax.imshow(image, norm=norm, cmap=cmap)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
colorbar = fig.colorbar(shown, ax=axes, label="rain rate (mm/h)", extend="min")
ticks = [tick for tick in (0.1, 0.3, 1, 3, 10, 30) if tick <= norm.vmax]
colorbar.set_ticks(ticks, labels=[f"{tick:g}" for tick in ticks])
fig.suptitle(f"window {k}: lead 3 is 15 minutes after the last frame")
plt.show()

# %%
# The two nowcasts agree to float32 rounding (the largest difference is
# printed above, for the last window). Both weaken the cells: a network
# trained for 2 epochs, to show the export, not skill.
