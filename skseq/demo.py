"""The main job on shipped data: default deep models vs classical references.

Run with ``python -m skseq.demo`` (``make demo``). A compact run of the skill
benchmark (``benchmarks/bench_skill.py``), every deep model with its
**default** parameters:

* **classification** -- UCR GunPoint (shipped with skseq: 50 train / 150 test
  series of a hand's x coordinate, "gun" vs "point"), where the classical
  references are far from perfect: ``Conv1DActivityClassifier()`` against
  logistic regression, SVM, random forest, k-nearest neighbours and a
  decision tree on raw and on summarised series (``--lstm`` adds
  ``KeypointLSTMClassifier()``, about half a minute more);
* **nowcasting** -- synthetic radar (moving, rotating, growing and decaying
  rain cells), the last 4 frames -> the next 6 (5-minute frames, leads of
  5-30 minutes): ``UNetNowcaster()`` trained on its own recursion over the 6
  leads, against persistence and, when pysteps is installed, Lucas-Kanade
  optical-flow extrapolation; MAE and CSI at 1 mm/h per lead.

It prints both tables, saves them as CSV and saves one figure of each, in
under 3 minutes on a 2-core CPU (the U-Net's default training budget is
most of it).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from skseq.baselines import (
    ExtrapolationNowcaster,
    PersistenceForecaster,
    classical_classifiers,
)
from skseq.datasets import load_gunpoint, make_radar_sequences
from skseq.estimators import (
    Conv1DActivityClassifier,
    KeypointLSTMClassifier,
    UNetNowcaster,
)
from skseq.metrics import csi, mae
from skseq.model_selection import compare_estimators, compare_forecasts_by_lead
from skseq.preprocessing import sliding_windows
from skseq.utils._optional import import_pysteps

#: Minutes between two radar frames in the nowcasting part.
FRAME_MINUTES = 5
#: Rain-rate threshold (mm/h) of the critical success index.
RAIN_THRESHOLD = 1.0


def _deep_label(model: str, max_epochs: int | str) -> str:
    """A deep model's row name: "defaults" only when they are."""
    settings = "defaults" if max_epochs == "auto" else f"max_epochs={max_epochs}"
    return f"{model} (skseq, {settings})"


def run_classification(
    output_dir: Path,
    random_state: int = 0,
    max_epochs: int | str = "auto",
    lstm: bool = False,
) -> pd.DataFrame:
    """Default deep classifiers vs classical ones on GunPoint; save table and figure.

    Parameters
    ----------
    output_dir : Path
        Where ``gunpoint_comparison.csv`` and ``gunpoint_accuracy.png`` go.
    random_state : int, default=0
        Seed of the data and the model.
    max_epochs : int or "auto", default="auto"
        The deep models' default; an integer only for quick smoke runs.
    lstm : bool, default=False
        Also fit ``KeypointLSTMClassifier`` (with its defaults).

    Returns
    -------
    table : pandas.DataFrame
        One row per model: accuracy, balanced accuracy, fit and predict time.
    """
    X_train, y_train = load_gunpoint(split="train")
    X_test, y_test = load_gunpoint(split="test")
    deep: dict[str, Any] = {"max_epochs": max_epochs, "random_state": random_state}
    models: dict[str, Any] = {
        _deep_label("Conv1D", max_epochs): Conv1DActivityClassifier(**deep)
    }
    if lstm:
        models[_deep_label("LSTM", max_epochs)] = KeypointLSTMClassifier(**deep)
    models.update(classical_classifiers(random_state=random_state))
    table = compare_estimators(
        models,
        X_train,
        y_train,
        X_test,
        y_test,
        scoring={"accuracy": "accuracy", "balanced_accuracy": "balanced_accuracy"},
        sort_by="accuracy",
    )
    table.to_csv(output_dir / "gunpoint_comparison.csv")
    print(
        f"GunPoint (UCR, real): {len(X_train)} train / {len(X_test)} test series "
        f"of {X_train.shape[1]} steps\n"
    )
    with pd.option_context("display.float_format", "{:.3f}".format):
        print(table.to_string())
    _plot_accuracy(table, output_dir / "gunpoint_accuracy.png")
    return table


def radar_split(
    random_state: int = 0, n_frames: int = 240, size: tuple[int, int] = (64, 80)
):
    """Train and test windows of two independent synthetic radar sequences.

    Parameters
    ----------
    random_state : int, default=0
        The training sequence uses it, the test sequence ``random_state + 1``.
    n_frames : int, default=240
        Frames of the training sequence (the test one has half as many).
    size : tuple of int, default=(64, 80)
        Frame height and width in pixels.

    Returns
    -------
    X_train, y_train, X_test, y_test : ndarray
        Windows of 4 input frames and the 6 frames that follow.
    """
    settings: dict[str, Any] = {
        "height": size[0],
        "width": size[1],
        "motion": (-1.0, 0.8),
    }
    train = make_radar_sequences(n_frames, random_state=random_state, **settings)
    test = make_radar_sequences(
        n_frames // 2, random_state=random_state + 1, **settings
    )
    X_train, y_train = sliding_windows(train, n_input=4, n_output=6)
    X_test, y_test = sliding_windows(test, n_input=4, n_output=6, stride=3)
    return X_train, y_train, X_test, y_test


def run_nowcasting(
    output_dir: Path, random_state: int = 0, max_epochs: int | str = "auto"
) -> pd.DataFrame:
    """Default UNetNowcaster vs persistence and LK extrapolation, leads 1-6.

    Parameters
    ----------
    output_dir : Path
        Where ``radar_scores_by_lead.csv`` and ``radar_scores_by_lead.png`` go.
    random_state : int, default=0
        Seed of the data and the model.
    max_epochs : int or "auto", default="auto"
        Epochs of training (``"auto"``: the estimator's default).

    Returns
    -------
    table : pandas.DataFrame
        One row per model; columns ``(metric, lead)`` and the times.
    """
    X_train, y_train, X_test, y_test = radar_split(random_state)
    models = {
        # ensemble_cv=None: the network is the default's; it only skips the
        # copies that cross-fit the ensembles' error model (calibrated on
        # the training windows instead), which the demo does not draw
        _deep_label("U-Net", max_epochs): UNetNowcaster(
            max_epochs=max_epochs, random_state=random_state, ensemble_cv=None
        ),
        "persistence": PersistenceForecaster(),
    }
    try:
        import_pysteps("the radar demo's extrapolation baseline")
    except ImportError:
        print("pysteps is not installed: no optical-flow extrapolation baseline.")
    else:
        models["pysteps LK extrapolation"] = ExtrapolationNowcaster()
    metrics: dict[str, Callable[..., Any]] = {
        "MAE": mae,
        f"CSI@{RAIN_THRESHOLD:g}": partial(csi, threshold=RAIN_THRESHOLD),
    }
    table = compare_forecasts_by_lead(
        models, X_train, y_train, X_test, y_test, metrics=metrics
    )
    table.to_csv(output_dir / "radar_scores_by_lead.csv")
    print(
        f"\nSynthetic radar: {len(X_train)} training / {len(X_test)} test windows "
        f"of 4 frames of {X_train.shape[-2]}x{X_train.shape[-1]} px -> 6 frames "
        f"({FRAME_MINUTES}-minute frames)\n"
    )
    with pd.option_context("display.float_format", "{:.3f}".format):
        print(table.to_string())
    _plot_scores_by_lead(table, output_dir / "radar_scores_by_lead.png")
    return table


def run(
    output_dir: Path,
    random_state: int = 0,
    max_epochs: int | str = "auto",
    lstm: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both parts of the demo; return the classification and nowcasting tables.

    Parameters
    ----------
    output_dir : Path
        Where both parts write their tables (CSV) and figures (PNG).
    random_state : int, default=0
        Seed of the data and the model.
    max_epochs : int or "auto", default="auto"
        Epochs of training (``"auto"``: the estimator's default).
    lstm : bool, default=False
        Also fit ``KeypointLSTMClassifier`` in the classification part.

    Returns
    -------
    classification, nowcasting : pandas.DataFrame
        The tables of the two parts: accuracies of the classifiers, and
        scores of the nowcasts by lead time.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    classification = run_classification(output_dir, random_state, max_epochs, lstm)
    nowcasting = run_nowcasting(output_dir, random_state, max_epochs)
    print(f"\nTables (CSV) and figures (PNG) saved in {output_dir}/.")
    return classification, nowcasting


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_accuracy(table: pd.DataFrame, path: Path) -> None:
    plt = _pyplot()
    ordered = table.sort_values("accuracy")
    colours = ["tab:blue" if "skseq" in n else "tab:gray" for n in ordered.index]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.barh(ordered.index, ordered["accuracy"], color=colours)
    for y, (acc, fit) in enumerate(zip(ordered["accuracy"], ordered["fit_time_s"])):
        ax.text(acc + 0.005, y, f"{acc:.3f}  ({fit:.1f} s)", va="center", fontsize=8)
    ax.set_xlim(max(0.0, ordered["accuracy"].min() - 0.1), 1.08)
    ax.set_xlabel("test accuracy (fit time)")
    ax.set_title("GunPoint: skseq defaults (blue) vs classical (grey)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_scores_by_lead(table: pd.DataFrame, path: Path) -> None:
    plt = _pyplot()
    metrics = [m for m in table.columns.get_level_values(0).unique() if "time" not in m]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6))
    for ax, metric in zip(axes, metrics):
        for name, row in table[metric].iterrows():
            minutes = [FRAME_MINUTES * int(lead) for lead in row.index]
            ax.plot(minutes, row.to_numpy(), marker="o", label=name)
        ax.set_xlabel("lead time (minutes)")
        better = "lower" if metric == "MAE" else "higher"
        unit = " (mm/h)" if metric == "MAE" else ""
        ax.set_title(f"{metric}{unit}, {better} is better")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point of ``python -m skseq.demo``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path("demo_output"))
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="override the deep models' max_epochs='auto' (smoke runs only; "
        "the tables then name it instead of 'defaults')",
    )
    parser.add_argument(
        "--lstm",
        action="store_true",
        help="also fit KeypointLSTMClassifier on GunPoint (about half a minute more)",
    )
    args = parser.parse_args(argv)
    if args.max_epochs is not None and args.max_epochs < 1:
        parser.error(f"--max-epochs must be >= 1; got {args.max_epochs}")
    if args.random_state < 0:
        parser.error(f"--random-state must be >= 0; got {args.random_state}")
    if importlib.util.find_spec("matplotlib") is None:  # the figures, after the fits
        parser.error(
            "the demo draws its figures with matplotlib, skseq's 'plot' extra: "
            "pip install matplotlib (or, in a skseq checkout, make demo)."
        )
    try:  # before the fits, not after them
        args.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"--output-dir {args.output_dir} cannot be created: {exc}")
    max_epochs = "auto" if args.max_epochs is None else args.max_epochs
    run(args.output_dir, args.random_state, max_epochs, args.lstm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
