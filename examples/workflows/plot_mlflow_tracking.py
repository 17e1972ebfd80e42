"""
Experiment tracking with MLflow
===============================

The traffic-heatmap study behind skseq tracked its ConvLSTM runs with MLflow. Every skseq deep estimator
takes skorch callbacks, so skorch's :class:`~skorch.callbacks.MlflowLogger`
logs each epoch's training and validation scores to the active MLflow run.
This example fits the BasicMotions activity pipeline inside a run and logs

* every epoch's ``train_loss``, ``valid_loss``, ``valid_acc`` and duration
  (the logger),
* the estimator's hyperparameters and the test accuracy,
* the fitted pipeline itself as an MLflow model, loaded back to check that it
  predicts exactly what the original predicts.

Install skseq's ``tracking`` extra first (``pip install -e ".[tracking]"`` in
a checkout; see :doc:`/install`). The store
is a local SQLite file (``mlflow.db``) with artifacts in ``./mlruns`` unless
the environment variable ``MLFLOW_TRACKING_URI`` names another store; browse
it with ``mlflow ui --backend-store-uri sqlite:///mlflow.db``. (MLflow 3
refuses the older plain-directory file store unless
``MLFLOW_ALLOW_FILE_STORE=true``; SQLite is its local replacement.)
"""

# %%
import logging
import os
import textwrap

import matplotlib.pyplot as plt
import mlflow
import numpy as np
from mlflow.tracking import MlflowClient
from sklearn.pipeline import make_pipeline
from skorch.callbacks import MlflowLogger

from skseq import Conv1DActivityClassifier
from skseq.datasets import load_basic_motions
from skseq.preprocessing import DerivativeIntegralFeatures

# a short fit: this page shows what MLflow records, epoch by epoch
EPOCHS = 40 if os.environ.get("SKSEQ_FULL") == "1" else 15

# MLflow logs its own bookkeeping (creating the database, the experiment) and
# a reminder that pickled models execute code when loaded; this example only
# reloads the model it has just written, so show errors only.
logging.getLogger("mlflow").setLevel(logging.ERROR)

mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db"))
mlflow.set_experiment("skseq-basic-motions")

X_train, y_train = load_basic_motions(split="train")
X_test, y_test = load_basic_motions(split="test")

# %%
# Fit inside a run
# ----------------
# The logger finds the active run itself; ``terminate_after_train=False``
# leaves ending the run to the ``with`` block, so parameters and the model can
# still be logged after ``fit``.
classifier = Conv1DActivityClassifier(
    max_epochs=EPOCHS,
    validation_fraction=0.25,  # a validation split even for 40 samples: valid_loss
    callbacks=[("mlflow", MlflowLogger(terminate_after_train=False))],
    random_state=0,
)
pipeline = make_pipeline(DerivativeIntegralFeatures(dt=0.1), classifier)

with mlflow.start_run(run_name="conv1d-derivative-integral") as run:
    pipeline.fit(X_train, y_train)
    params = {
        name: value
        for name, value in classifier.get_params().items()
        if name != "callbacks"
    }
    mlflow.log_params(params)
    mlflow.log_metric("test_accuracy", pipeline.score(X_test, y_test))
    # skops (MLflow's default format) cannot serialise torch modules.
    model_info = mlflow.sklearn.log_model(
        pipeline, name="model", serialization_format="cloudpickle"
    )

# %%
# Read the run back from the store
# --------------------------------
client = MlflowClient()
logged = client.get_run(run.info.run_id)
print(f"run {run.info.run_id}: {logged.info.status}")
print(f"test accuracy {logged.data.metrics['test_accuracy']:.3f}")
print(textwrap.fill("logged parameters: " + ", ".join(sorted(logged.data.params)), 79))

history = {
    key: [m.value for m in client.get_metric_history(run.info.run_id, key)]
    for key in ("train_loss", "valid_loss")
}
print(f"{len(history['train_loss'])} epochs of train_loss logged")

reloaded = mlflow.sklearn.load_model(model_info.model_uri)
assert np.array_equal(reloaded.predict(X_test), pipeline.predict(X_test))
print("the reloaded model predicts exactly what the fitted one does")

fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
for key, values in history.items():
    ax.plot(np.arange(1, len(values) + 1), values, label=key)
ax.set_xlabel("epoch")
ax.set_ylabel("cross-entropy")
ax.set_title("Learning curves read back from MLflow")
ax.legend()
plt.show()
