"""
Quickstart: a deep sequence classifier in a scikit-learn Pipeline
=================================================================

Fit, predict, score and cross-validate a residual Conv1D network on the real
BasicMotions data shipped with skseq, exactly as any scikit-learn estimator.
"""

# %%
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skseq import Conv1DActivityClassifier
from skseq.datasets import load_basic_motions
from skseq.preprocessing import DerivativeIntegralFeatures, RollAugmenter

X_train, y_train = load_basic_motions(split="train")  # (40, 100, 6)
X_test, y_test = load_basic_motions(split="test")

model = make_pipeline(
    DerivativeIntegralFeatures(dt=0.1),  # 6 -> 18 channels; 10 samples per second
    RollAugmenter(random_state=0),  # training folds only
    # 20 epochs keep this page quick (it fits four times); the default,
    # max_epochs="auto", trains about 750 epochs here and also scores 1.0
    Conv1DActivityClassifier(max_epochs=20, random_state=0),
)
model.fit(X_train, y_train)
print("test accuracy:", model.score(X_test, y_test))
print("3-fold CV accuracy:", cross_val_score(model, X_train, y_train, cv=3).round(3))

# %%
# The training history lives in the fitted estimator (skorch's History).
history = model[-1].history_
fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.plot(history[:, "epoch"], history[:, "train_loss"], marker="o")
ax.set_xlabel("epoch")
ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax.set_ylabel("training loss (cross-entropy)")
ax.set_title("Conv1DActivityClassifier on BasicMotions")
fig.tight_layout()
plt.show()
