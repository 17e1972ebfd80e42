"""
Activity recognition: residual Conv1D vs classical classifiers (BasicMotions)
=============================================================================

A third-placed activity-contest model classified 6-channel IMU recordings (accelerometer + gyroscope)
with residual 1D convolutions, after adding derivative and integral channels
(6 -> 18) and rolling the training sequences in time. This example runs that
recipe on the real UEA BasicMotions data shipped with skseq and compares it
with logistic regression, SVM, random forest, k-nearest neighbours and a
decision tree on flattened sequences and on per-channel summary statistics,
in one table with test accuracy and fit time.
"""

# %%
import os

import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.pipeline import make_pipeline

from skseq import Conv1DActivityClassifier
from skseq.baselines import classical_classifiers
from skseq.datasets import load_basic_motions
from skseq.model_selection import compare_estimators
from skseq.preprocessing import DerivativeIntegralFeatures, RollAugmenter

# a short, fixed training keeps this page quick; the default,
# max_epochs="auto", trains about 750 epochs on these 40 recordings
EPOCHS = 60 if os.environ.get("SKSEQ_FULL") == "1" else 30

X_train, y_train = load_basic_motions(split="train")
X_test, y_test = load_basic_motions(split="test")
print(
    f"train {X_train.shape}, test {X_test.shape}, classes {sorted(set(y_train.tolist()))}"
)

# %%
# The deep pipeline and the classical baselines
# ---------------------------------------------
models = {
    "Conv1D + derivative/integral + roll": make_pipeline(
        DerivativeIntegralFeatures(dt=0.1),
        RollAugmenter(random_state=0),
        Conv1DActivityClassifier(
            max_epochs=EPOCHS, validation_fraction=None, random_state=0
        ),
    )
}
models.update(classical_classifiers(random_state=0))
table, fitted = compare_estimators(
    models,
    X_train,
    y_train,
    X_test,
    y_test,
    scoring={"accuracy": "accuracy"},
    sort_by="accuracy",
    return_estimators=True,
)
table.round(3)

# %%
# Confusion matrix of the deep model on the test set
# --------------------------------------------------
fig, ax = plt.subplots(figsize=(5, 4.2), layout="constrained")
ConfusionMatrixDisplay.from_estimator(
    fitted["Conv1D + derivative/integral + roll"], X_test, y_test, ax=ax, colorbar=False
)
ax.set_title("Conv1DActivityClassifier, BasicMotions test")
plt.show()
