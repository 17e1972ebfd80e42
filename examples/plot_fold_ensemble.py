"""
Fold ensembles: stratified K-fold models averaged
=================================================

The third-placed model of an IMU activity contest trained one network per fold of
a stratified 10-fold cross-validation and averaged their predicted
probabilities; each fold's held-out part served for early stopping.
:class:`skseq.ensemble.FoldEnsembleClassifier` does exactly that for any
classifier. Here: 4 folds on BasicMotions, compared with one network.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.model_selection import StratifiedKFold

from skseq import Conv1DActivityClassifier
from skseq.datasets import load_basic_motions
from skseq.ensemble import FoldEnsembleClassifier

X_train, y_train = load_basic_motions(split="train")
X_test, y_test = load_basic_motions(split="test")
network = Conv1DActivityClassifier(
    channels=(16, 32), max_epochs=25, patience=5, random_state=0
)
single = Conv1DActivityClassifier(
    channels=(16, 32), max_epochs=25, validation_fraction=None, random_state=0
).fit(X_train, y_train)
ensemble = FoldEnsembleClassifier(
    network,
    cv=StratifiedKFold(4, shuffle=True, random_state=0),
    early_stopping_on_fold=True,
).fit(X_train, y_train)
print("single network test accuracy:", single.score(X_test, y_test))
print("4-fold ensemble test accuracy:", ensemble.score(X_test, y_test))
print("epochs per fold model:", [m.n_epochs_ for m in ensemble.estimators_])

# %%
fig, ax = plt.subplots(figsize=(5, 3))
for k, model in enumerate(ensemble.estimators_):
    ax.plot(model.history_[:, "valid_loss"], label=f"fold {k}")
ax.set_xlabel("epoch")
ax.set_ylabel("held-out fold loss")
ax.legend()
plt.show()
