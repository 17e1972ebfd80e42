"""The main job on shipped data: deep model vs classical baselines.

Run with ``python -m skseq.demo`` (``make demo``). It fits, on the UEA
BasicMotions data set shipped with skseq (6-channel accelerometer and
gyroscope recordings, 4 activities, 40 train / 40 test sequences):

* ``Pipeline(DerivativeIntegralFeatures -> RollAugmenter -> Conv1DActivityClassifier)``,
* classical classifiers (logistic regression, SVM, random forest, k-nearest
  neighbours, decision tree) on flattened and on summary-statistic features,

prints one table of test accuracy, balanced accuracy and fit time, and saves
the table (CSV) and a confusion-matrix figure of the deep model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from sklearn.pipeline import make_pipeline

from skseq.baselines import classical_classifiers
from skseq.datasets import load_basic_motions
from skseq.estimators import Conv1DActivityClassifier
from skseq.model_selection import compare_estimators
from skseq.preprocessing import DerivativeIntegralFeatures, RollAugmenter


def deep_activity_pipeline(random_state: int = 0, max_epochs: int = 60):
    """The seed-004 recipe for BasicMotions.

    Parameters
    ----------
    random_state : int, default=0
    max_epochs : int, default=60

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``(n, T, 6)`` sequences -> labels.
    """
    return make_pipeline(
        DerivativeIntegralFeatures(),
        RollAugmenter(random_state=random_state),
        Conv1DActivityClassifier(
            max_epochs=max_epochs, validation_fraction=None, random_state=random_state
        ),
    )


def run(output_dir: Path, random_state: int = 0, max_epochs: int = 60) -> pd.DataFrame:
    """Fit all models, print and save the comparison; return the table.

    Parameters
    ----------
    output_dir : Path
        Where ``basic_motions_comparison.csv`` and
        ``basic_motions_confusion.png`` are written.
    random_state : int, default=0
    max_epochs : int, default=60

    Returns
    -------
    table : pandas.DataFrame
    """
    X_train, y_train = load_basic_motions(split="train")
    X_test, y_test = load_basic_motions(split="test")
    models = {"Conv1D (skseq)": deep_activity_pipeline(random_state, max_epochs)}
    models.update(classical_classifiers(random_state=random_state))
    table, fitted = compare_estimators(
        models,
        X_train,
        y_train,
        X_test,
        y_test,
        scoring={"accuracy": "accuracy", "balanced_accuracy": "balanced_accuracy"},
        sort_by="accuracy",
        return_estimators=True,
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(output_dir / "basic_motions_comparison.csv")
    with pd.option_context("display.float_format", "{:.3f}".format):
        print(
            f"BasicMotions (UEA): {len(X_train)} train / {len(X_test)} test "
            f"sequences of shape {X_train.shape[1:]}\n"
        )
        print(table.to_string())
    _save_confusion_matrix(
        fitted["Conv1D (skseq)"],
        X_test,
        y_test,
        output_dir / "basic_motions_confusion.png",
    )
    return table


def _save_confusion_matrix(model, X_test, y_test, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ConfusionMatrixDisplay.from_estimator(model, X_test, y_test, ax=ax, colorbar=False)
    ax.set_title("Conv1DActivityClassifier on BasicMotions (test)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"\nSaved {path} and the table as CSV beside it.")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point of ``python -m skseq.demo``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path("demo_output"))
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--max-epochs", type=int, default=60)
    args = parser.parse_args(argv)
    run(args.output_dir, args.random_state, args.max_epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
