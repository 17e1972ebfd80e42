"""
Radar nowcasting: U-Net vs persistence and optical-flow extrapolation
=====================================================================

RainNet nowcasts rain from the last 4 radar frames with a U-Net, and the
winner of a radar nowcasting contest added a ConvLSTM path to it. Here
:class:`skseq.UNetNowcaster` with its default parameters (but for a shorter
training in the gallery's small run; its two-path variant joins with
``SKSEQ_FULL=1``) learns from simulated radar sequences -- rain cells that drift
with a rotating wind, grow and decay (:func:`skseq.datasets.make_radar_sequences`,
one frame per 5 minutes) -- and is compared, lead time by lead time, with:

* Eulerian persistence (the last frame repeats),
* Lagrangian extrapolation with pysteps (Lucas-Kanade motion field and
  semi-Lagrangian advection), the standard classical nowcast.

Scores: MAE in mm/h (lower is better) and the critical success index (CSI)
at 1 mm/h (higher is better).
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skseq import UNetNowcaster
from skseq.baselines import ExtrapolationNowcaster, PersistenceForecaster
from skseq.datasets import make_radar_sequences
from skseq.metrics import nowcast_scores
from skseq.preprocessing import sliding_windows

FULL = os.environ.get("SKSEQ_FULL") == "1"
# the default training budget (max_epochs="auto") takes minutes on a CPU;
# the gallery's small run trains 6 epochs and leaves out the two-path model
# (about 5 times slower to train)
N_FRAMES, SIZE, MAX_EPOCHS = (480, 64, "auto") if FULL else (200, 48, 6)
N_IN, LEADS, MINUTES_PER_FRAME = 4, 3, 5

# %%
# Simulated radar, split in time
# ------------------------------
rain = make_radar_sequences(n_frames=N_FRAMES, height=SIZE, width=SIZE, random_state=0)
cut = int(0.75 * N_FRAMES)
X_train, y_train = sliding_windows(rain[:cut], n_input=N_IN, n_output=LEADS)
X_test, y_test = sliding_windows(rain[cut:], n_input=N_IN, n_output=LEADS, stride=2)
print(f"rain {rain.shape} mm/h, wet fraction {np.mean(rain > 0):.2f}")
print(f"train windows {X_train.shape} -> {y_train.shape}")
print(f"test windows {X_test.shape} -> {y_test.shape}")

# %%
# Fit and nowcast up to 15 minutes ahead
# --------------------------------------
# The U-Nets learn from all ``LEADS`` target frames: in training they are
# unrolled over the lead times, each prediction fed back as an input frame,
# exactly as ``predict_sequence`` nowcasts.
models = {
    "persistence": PersistenceForecaster(),
    "pysteps extrapolation": ExtrapolationNowcaster(),
    # ensemble_cv=None: deterministic nowcasts only, so ``fit`` skips
    # calibrating ``predict_ensemble`` (about one more fit)
    "U-Net": UNetNowcaster(max_epochs=MAX_EPOCHS, ensemble_cv=None, random_state=0),
}
if FULL:
    models["U-Net + ConvLSTM path"] = UNetNowcaster(
        two_path=True, max_epochs=MAX_EPOCHS, ensemble_cv=None, random_state=0
    )
forecasts, scores = {}, []
for name, model in models.items():
    model.fit(X_train, y_train)
    forecasts[name] = model.predict_sequence(X_test, n_steps=LEADS)
    table = nowcast_scores(y_test, forecasts[name], thresholds=(1.0,))
    table.index = table.index * MINUTES_PER_FRAME
    scores.append(table[["MAE", "CSI@1"]].assign(model=name))

scores = pd.concat(scores).rename_axis("lead (min)").reset_index()
table = scores.pivot_table(index="model", columns="lead (min)", values=["MAE", "CSI@1"])
table.round(3)

# %%
# Skill against lead time
# -----------------------
fig, (ax_mae, ax_csi) = plt.subplots(1, 2, figsize=(9, 3.4))
for name, group in scores.groupby("model", sort=False):
    ax_mae.plot(group["lead (min)"], group["MAE"], marker="o", label=name)
    ax_csi.plot(group["lead (min)"], group["CSI@1"], marker="o", label=name)
ax_mae.set(
    xlabel="lead time (min)", ylabel="MAE (mm/h)", title="error (lower is better)"
)
ax_csi.set(
    xlabel="lead time (min)",
    ylabel="CSI at 1 mm/h",
    title="rain area (higher is better)",
)
for ax in (ax_mae, ax_csi):
    ax.set_xticks([MINUTES_PER_FRAME * k for k in range(1, LEADS + 1)])
    ax.grid(alpha=0.3)
ax_csi.legend(fontsize=9)
fig.tight_layout()
plt.show()

# %%
# The table and the curves are those of this run, up to 15 minutes ahead
# at both sizes. With the default training budget (``SKSEQ_FULL=1``: 480
# frames of 64 x 64, ``max_epochs="auto"``) the U-Net gets ahead of both
# baselines at every lead here too. Up to 30 minutes, on the skill
# benchmark's radar simulated with other settings, the default U-Net beats
# both baselines on MAE and CSI at every lead (not the CSI at 30 minutes on
# a never-used setting with fast motion and short-lived cells); those
# measured tables are on the documentation's benchmarks page.

# %%
# Observed and nowcast rain, 15 minutes ahead
# -------------------------------------------
# The window with the most rain at the last lead among those whose observed
# rain stays off the frame's border (a cell cut by the domain's edge shows
# little of the nowcasts), in pysteps' colours for rain rates: its classes
# up to the first boundary above the rain shown, dry pixels white (pysteps
# is already imported by the extrapolation baseline).
from matplotlib.colors import BoundaryNorm, ListedColormap
from pysteps.visualization.precipfields import get_colormap

cmap, _, levels, level_labels = get_colormap("intensity", "mm/h", "pysteps")
last = y_test[:, -1]
wet = last >= levels[0]
on_border = wet[:, [0, -1], :].any(axis=(1, 2)) | wet[:, :, [0, -1]].any(axis=(1, 2))
candidates = np.flatnonzero(~on_border) if not on_border.all() else np.arange(len(last))
sample = int(candidates[np.argmax(last[candidates].sum(axis=(1, 2)))])
panels = [("observed", y_test[sample, -1])]
panels += [(name, forecast[sample, -1]) for name, forecast in forecasts.items()]
peak = max(field.max() for _, field in panels)
n_classes = min(int(np.searchsorted(levels, peak, side="right")), len(levels) - 1)
rain_cmap = ListedColormap(cmap(np.arange(n_classes))).with_extremes(bad="white")
rain_norm = BoundaryNorm(levels[: n_classes + 1], n_classes)
fig, axes = plt.subplots(1, len(panels), figsize=(10, 3.0), layout="constrained")
for ax, (title, field) in zip(axes, panels):
    image = ax.imshow(
        np.ma.masked_less(field, levels[0]), cmap=rain_cmap, norm=rain_norm
    )
    ax.set_title(title, fontsize=11)
    ax.set_xticks([])
    ax.set_yticks([])
colorbar = fig.colorbar(image, ax=axes, label="rain rate (mm/h)")
colorbar.set_ticks(levels[: n_classes + 1], labels=level_labels[: n_classes + 1])
fig.suptitle(f"{LEADS * MINUTES_PER_FRAME} minutes ahead, test window {sample}")
plt.show()

# %%
# In this run the window shown holds a single cell that grows from about
# 12 to 27 mm/h at its core in these 15 minutes: no nowcast foresees the
# growth (all three peak near 12 mm/h). Persistence leaves the cell where it
# was; the extrapolation moves it to where it is observed, and the U-Net
# to about the same place, smoother and a little wider.
