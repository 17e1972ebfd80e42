"""
Hyperparameter search on a Dask cluster
=======================================

When one machine is too small for a grid search, scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` can send its fits to a Dask
cluster through joblib: ``with joblib.parallel_backend("dask"):`` around
``fit`` runs each (candidate, fold) fit as a Dask task on the cluster's
workers. Nothing in skseq is specific to this -- its estimators are plain
scikit-learn estimators that pickle -- so the same code scales from a
:class:`distributed.LocalCluster` on a laptop to a cluster of many machines
(``Client("tcp://scheduler:8786")``).

This example tunes the residual Conv1D classifier on BasicMotions over a
2-worker local cluster and checks that the search finds exactly the scores of
the same search run in this process: ``random_state`` makes every fit
reproducible wherever it runs -- given the same number of torch threads (see
below).

Install skseq's ``dask`` extra first (``pip install -e ".[dask]"`` in a
checkout; see :doc:`/install`). On a real cluster every worker needs skseq and
the same torch version installed.
"""

# %%
import os
import time

import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skseq import Conv1DActivityClassifier
from skseq.datasets import load_basic_motions

FULL = os.environ.get("SKSEQ_FULL") == "1"
# a few epochs: this page shows the workflow (eight fits on Dask workers),
# not the skill of the defaults (max_epochs="auto" trains far longer)
EPOCHS = 30 if FULL else 6

X, y = load_basic_motions(split="train")
search = GridSearchCV(
    Conv1DActivityClassifier(
        channels=(16, 32), max_epochs=EPOCHS, validation_fraction=None, random_state=0
    ),
    param_grid={"kernel_size": [3, 9], "lr": [1e-3, 5e-3]},
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
    n_jobs=-1,
)

# %%
# The search on a local Dask cluster, and the same search in this process
# ------------------------------------------------------------------------
# One thread per worker process: each fit already uses torch's own threads,
# and Dask limits them (``OMP_NUM_THREADS=1`` in its workers) so two workers
# share two cores without oversubscription.
#
# The number of torch threads changes the order in which torch sums partial
# results, and over a training run such last-bit differences can change a
# score. So the in-process search that checks the Dask result runs with one
# torch thread too; then every fit is bit-for-bit the same.
#
# Dask starts its worker processes by "spawn", which re-imports a script run
# as ``python plot_dask_grid_search.py``: the ``__main__`` guard keeps the
# workers from starting clusters of their own.
if __name__ == "__main__":
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        print(f"workers: {len(client.scheduler_info()['workers'])}")
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            search.fit(X, y)
        dask_seconds = time.perf_counter() - start
    dask_scores = search.cv_results_["mean_test_score"]
    results = pd.DataFrame(search.cv_results_["params"]).assign(
        mean_accuracy=dask_scores, std_accuracy=search.cv_results_["std_test_score"]
    )
    print(results.round(3).to_string(index=False))
    print(f"best {search.best_params_}, search took {dask_seconds:.1f} s on Dask")

    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = GridSearchCV(**{**search.get_params(deep=False), "n_jobs": 1}).fit(X, y)
    finally:
        torch.set_num_threads(torch_threads)
    assert np.array_equal(local.cv_results_["mean_test_score"], dask_scores)
    print("in-process search (1 torch thread): identical mean scores")

    # the mean accuracy of each candidate (bars) and its accuracy on each of
    # the three folds (dots; the table's std_accuracy is their spread), the
    # candidates named as in the table
    n_folds = search.n_splits_
    folds = np.array(
        [search.cv_results_[f"split{i}_test_score"] for i in range(n_folds)]
    )
    labels = [
        f"kernel_size={p['kernel_size']}, lr={p['lr']:g}"
        for p in search.cv_results_["params"]
    ]
    fig, ax = plt.subplots(figsize=(8.5, 3), layout="constrained")
    ax.barh(labels, dask_scores, color="C0", alpha=0.6, label="mean over the folds")
    for i, fold in enumerate(folds):
        ax.plot(
            fold,
            labels,
            "ko",
            ms=5,
            alpha=0.7,
            label=f"each of the {n_folds} folds" if i == 0 else None,
        )
    ax.set(xlim=(0, 1.03), xticks=np.linspace(0, 1, 6), xlabel="CV accuracy")
    ax.set_title("GridSearchCV on a 2-worker Dask cluster")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    plt.show()
