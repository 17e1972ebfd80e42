"""
Pose keypoints with missing joints: stacked LSTM vs imputation
==============================================================

Pose detectors miss joints -- an arm behind the body, a foot out of the
picture -- and return NaN for them. A behaviour-classification project
classified actions from 15 such keypoints (x, y) over 5 frames with a
depth-3 LSTM whose head reads every timestep. :class:`skseq.KeypointLSTMClassifier`
takes the missing joints as they are: they are left out of its input
scaling and carry no signal into the network. Classical classifiers need
the gaps filled first, here with the mean of each feature
(:class:`~sklearn.impute.SimpleImputer` after
:class:`~skseq.baselines.SequenceFlattener`).

The data are simulated skeletons (:func:`skseq.datasets.make_keypoint_actions`:
subjects of different heights, positions and speeds, with detector noise),
normalised by :class:`skseq.preprocessing.KeypointNormalizer`, which keeps
missing joints missing. Each joint detection is then dropped independently
with a probability from 0 to 60 %, and every model is fitted and scored on
the same data at each rate.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skseq import KeypointLSTMClassifier
from skseq.baselines import classical_classifiers
from skseq.datasets import make_keypoint_actions
from skseq.preprocessing import KeypointNormalizer

FULL = os.environ.get("SKSEQ_FULL") == "1"
SEEDS = (0, 1, 2) if FULL else (0,)
MISSING_RATES = (0.0, 0.2, 0.4, 0.6)


def drop_joints(X, rate, rng):
    """Set each joint's (x, y) to NaN with probability ``rate``."""
    n, T, F = X.shape
    joints = X.reshape(n, T, F // 2, 2).copy()
    joints[rng.random((n, T, F // 2)) < rate] = np.nan
    return joints.reshape(n, T, F)


def models(random_state):
    lstm = KeypointLSTMClassifier(random_state=random_state)  # the defaults
    found = {"KeypointLSTM (NaN as missing)": make_pipeline(KeypointNormalizer(), lstm)}
    for name, pipeline in classical_classifiers(random_state=random_state).items():
        if name.endswith("(flattened)") and not name.startswith("DecisionTree"):
            steps = [step for _, step in pipeline.steps]
            label = name.replace("(flattened)", "(mean-imputed)")
            found[label] = make_pipeline(
                KeypointNormalizer(), steps[0], SimpleImputer(), *steps[1:]
            )
    return found


# %%
# Fit every model at every missing rate
# -------------------------------------
rows = []
for seed in SEEDS:
    X, y = make_keypoint_actions(n_samples=400, noise_std=0.05, random_state=seed)
    rng = np.random.default_rng(seed)
    for rate in MISSING_RATES:
        X_missing = drop_joints(X, rate, rng)
        X_train, X_test, y_train, y_test = train_test_split(
            X_missing, y, test_size=0.3, stratify=y, random_state=seed
        )
        for name, model in models(seed).items():
            score = model.fit(X_train, y_train).score(X_test, y_test)
            rows.append(
                {"model": name, "missing": rate, "seed": seed, "accuracy": score}
            )

scores = pd.DataFrame(rows)
table = scores.pivot_table(
    index="model", columns="missing", values="accuracy", aggfunc="mean"
)
table.columns = [f"{rate:.0%} missing" for rate in table.columns]
table = table.sort_values(table.columns[-1], ascending=False).round(3)
table

# %%
# With every joint present, all models separate the four actions almost
# perfectly. As joints go missing, mean imputation puts each missing
# coordinate at the average pose, which looks like no action in particular;
# the LSTM instead reads the joints that were seen in each frame. At 20 %
# missing all models are within a few points of each other; from 40 % the
# imputed KNN falls behind (0.81 at 40 %, where the LSTM, SVC, random forest
# and logistic regression still lie between 0.94 and 0.98), and at 60 % every
# imputed model falls behind the LSTM. With ``SKSEQ_FULL=1`` (three seeds; the
# LSTM with its defaults, 167 epochs under ``max_epochs="auto"``, about 5 s
# per fit with one torch thread) the mean accuracies measured on 2026-12-07
# were 0.958 for the LSTM vs 0.967 for the best imputed model (SVC) at 40 %
# missing, and 0.931 vs 0.853 at 60 %; per seed the LSTM scored 0.950 /
# 0.933 / 0.992 and 0.917 / 0.942 / 0.933. (Until that day the normaliser
# left a sequence whose two reference joints are never visible together --
# about 0.84 ** 5 = 42 % of them at 60 % missing -- in metres instead of
# scaling it by its joints' spread, and every model scored lower there:
# 0.867 for the LSTM, 0.792 for the SVC.) On complete UCR/UEA
# series the LSTM is weaker than the Conv1D classifier (see the benchmarks
# page): its strength is input like this.
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name, accuracy in table.iterrows():
    ax.plot(
        [100 * rate for rate in MISSING_RATES],
        accuracy.to_numpy(),
        marker="o",
        linewidth=2.5 if name.startswith("KeypointLSTM") else 1.2,
        label=name,
    )
ax.set_xlabel("joint detections missing (%)")
ax.set_ylabel("test accuracy")
ax.set_title("Simulated actions, 15 keypoints x 5 frames")
ax.grid(alpha=0.3)
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()
plt.show()
