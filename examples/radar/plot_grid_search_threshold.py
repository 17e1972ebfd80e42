"""
Tuning a nowcaster with GridSearchCV and a CSI scorer
=====================================================

GridSearchCV works with a frame-to-frame model as with any regressor. The
score that matters for rain is categorical: the critical success index (CSI)
of "rain above 1 mm/h". :func:`skseq.metrics.make_threshold_scorer` turns it
into a scikit-learn scorer; the folds are chronological
(:class:`~sklearn.model_selection.TimeSeriesSplit`), so the model is always
validated on later radar frames than it was trained on.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from skseq import UNetNowcaster
from skseq.datasets import make_radar_sequences
from skseq.metrics import make_threshold_scorer
from skseq.preprocessing import sliding_windows

rain = make_radar_sequences(n_frames=80, height=40, width=40, random_state=5)
X, y = sliding_windows(rain, n_input=4, n_output=1)

search = GridSearchCV(
    # ensemble_cv=None: no ensembles here, so no calibration of them (which
    # would cost every candidate fit about one more fit)
    # a shallow network trained a few epochs per candidate: this page shows
    # the search on a threshold score, not the skill of the defaults
    UNetNowcaster(
        depth=2,
        max_epochs=4,
        validation_fraction=None,
        ensemble_cv=None,
        random_state=0,
    ),
    {"base_channels": [4, 8], "log_transform": [False, True]},
    scoring=make_threshold_scorer("csi", threshold=1.0),
    cv=TimeSeriesSplit(n_splits=3),
)
search.fit(X, y)
results = pd.DataFrame(search.cv_results_)[
    ["param_base_channels", "param_log_transform", "mean_test_score"]
]
print("best:", search.best_params_)
results.sort_values("mean_test_score", ascending=False)

# %%
scores = results.pivot(
    index="param_base_channels", columns="param_log_transform", values="mean_test_score"
)
fig, ax = plt.subplots(figsize=(5.5, 3.2))
scores.plot.bar(ax=ax, rot=0)
ax.set_xlabel("base_channels")
ax.set_ylabel("mean CV CSI at 1 mm/h")
ax.set_ylim(0, 1)
ax.legend(title="log_transform", bbox_to_anchor=(1.02, 1), loc="upper left")
ax.set_title("GridSearchCV over a UNetNowcaster")
fig.tight_layout()
plt.show()
