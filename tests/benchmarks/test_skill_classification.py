"""Tests of benchmarks/skill_classification.py and bench_skill.py's data options.

The suite itself (aeon's sets, MiniRocket, the deep models' skill) is run by
hand and reported in docs/benchmarks.rst; these tests check the parts that
read data from outside aeon, which need no aeon, and how seed ensembles are
built (networks of one epoch).
"""

import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench(request):
    """``bench_skill`` and ``skill_classification``, imported from benchmarks/."""
    sys.path.insert(0, str(BENCHMARKS))
    request.addfinalizer(lambda: sys.path.remove(str(BENCHMARKS)))
    import bench_skill
    import skill_classification

    return bench_skill, skill_classification


@pytest.fixture(autouse=True)
def _empty_registries(bench):
    """Each test registers its own files; none leaks into the next."""
    _, skill = bench
    yield
    skill._FILES.clear()
    skill._SPLITS.clear()
    skill.load_dataset.cache_clear()


def _write_ucr(path, rows, delimiter):
    path.write_text(
        "\n".join(delimiter.join(f"{v:g}" for v in row) for row in rows) + "\n"
    )


@pytest.mark.parametrize("delimiter", ["\t", ",", "  "])
def test_ucr_text_files_are_read_in_skseq_layout(bench, tmp_path, delimiter):
    _, skill = bench
    rng = np.random.default_rng(0)
    train = np.column_stack([[1, 2, 1], rng.normal(size=(3, 5))])
    test = np.column_stack([[2, 1], rng.normal(size=(2, 5))])
    _write_ucr(tmp_path / "a_TRAIN.txt", train, delimiter)
    _write_ucr(tmp_path / "a_TEST.txt", test, delimiter)
    skill.register_files("A", tmp_path / "a_TRAIN.txt", tmp_path / "a_TEST.txt")

    split = skill.load_dataset("A")
    assert split.X_train.shape == (3, 5, 1) and split.X_test.shape == (2, 5, 1)
    assert split.X_train.dtype == np.float32
    np.testing.assert_allclose(split.X_train[..., 0], train[:, 1:], rtol=1e-5)
    assert split.y_train.tolist() == [1, 2, 1]  # integer labels stay integers
    assert split.lengths == (5, 5)


def test_register_files_refuses_a_missing_file(bench, tmp_path):
    _, skill = bench
    (tmp_path / "train.txt").write_text("1 0.5 0.25\n")
    with pytest.raises(FileNotFoundError, match=r"X: no file .*missing\.txt"):
        skill.register_files("X", tmp_path / "train.txt", tmp_path / "missing.txt")


def _fake_watch(path, n_subjects=5, n_per_subject=4, seed=0):
    """A file laid out as seglearn's ``watch_dataset.npy``."""
    rng = np.random.default_rng(seed)
    n = n_subjects * n_per_subject
    lengths = rng.integers(6, 12, size=n)
    data = {
        "X": [rng.normal(size=(t, 6)) for t in lengths],
        "y": np.arange(n) % 2,
        "subject": np.repeat(np.arange(1, n_subjects + 1), n_per_subject),
        "y_labels": ["PEN", "ABD"],
        "X_labels": ["ax", "ay", "az", "wx", "wy", "wz"],
    }
    np.save(path, data, allow_pickle=True)
    return data


def test_seglearn_watch_folds_hold_out_whole_subjects(bench, tmp_path):
    _, skill = bench
    data = _fake_watch(tmp_path / "watch.npy")
    names = skill.register_seglearn_watch(tmp_path / "watch.npy", n_splits=5)
    assert names == [f"SeglearnWatch-{k}" for k in range(1, 6)]

    longest = max(len(x) for x in data["X"])
    held_out = []
    for name in names:
        split = skill.load_dataset(name)
        assert split.X_train.shape[1:] == (longest, 6)
        assert split.lengths == (min(map(len, data["X"])), longest)
        subjects = {}
        for part in ("train", "test"):
            X, y = getattr(split, f"X_{part}"), getattr(split, f"y_{part}")
            for series, label in zip(X, y):
                valid = series[~np.isnan(series).any(axis=1)]
                # NaN padding only at the end, the recording unchanged
                assert np.isnan(series[len(valid) :]).all()
                i = _match(data["X"], valid)
                assert label == data["y_labels"][data["y"][i]]
                subjects.setdefault(part, set()).add(data["subject"][i])
                if part == "test":
                    held_out.append(i)
        assert not subjects["train"] & subjects["test"]
    assert sorted(held_out) == list(range(len(data["X"])))  # each series once


def _match(series_list, valid):
    """Index of the recording equal (in float32) to ``valid``."""
    for i, x in enumerate(series_list):
        if x.shape == valid.shape and np.array_equal(x.astype(np.float32), valid):
            return i
    raise AssertionError("a fold holds a series that is not in the file")


def test_command_line_data_options(bench, tmp_path, capsys):
    bench_skill, _ = bench
    _fake_watch(tmp_path / "watch.npy")
    args = bench_skill.parse_args(
        [
            "--suite",
            "classification",
            "--datasets",
            "--seglearn-watch",
            str(tmp_path / "watch.npy"),
        ]
    )
    assert args.datasets == [f"SeglearnWatch-{k}" for k in range(1, 6)]

    for argv, message in [
        (["--files", "P=only_one.txt"], "--files takes NAME=TRAIN,TEST"),
        (["--files", f"P={tmp_path}/a.txt,{tmp_path}/b.txt"], "P: no file"),
        (["--seglearn-watch", str(tmp_path / "none.npy")], "no file"),
        (["--suite", "classification", "--datasets"], "no classification data set"),
        (["--seed-ensemble", "0"], "argument --seed-ensemble: must be >= 1; got 0"),
        (["--max-epochs", "0"], "argument --max-epochs: must be >= 1; got 0"),
        (["--n-threads", "-2"], "argument --n-threads: must be >= 1; got -2"),
    ]:
        with pytest.raises(SystemExit):
            bench_skill.parse_args(argv)
        assert message in capsys.readouterr().err


def _register_separable_set(skill, folder, name, seed):
    """Register ``name``: 12 training and 8 test series of 20 steps, two
    classes apart by their mean, written as UCR text files in ``folder``."""
    rng = np.random.default_rng(seed)
    for part, n in (("TRAIN", 12), ("TEST", 8)):
        y = np.arange(n) % 2
        X = rng.normal(size=(n, 20)) + 3 * y[:, None]
        _write_ucr(folder / f"{name}_{part}.txt", np.column_stack([y, X]), "\t")
    skill.register_files(
        name, folder / f"{name}_TRAIN.txt", folder / f"{name}_TEST.txt"
    )


def test_classical_references_run_on_registered_files(bench, tmp_path):
    """The suite runs end to end on a set read from files, without aeon."""
    _, skill = bench
    _register_separable_set(skill, tmp_path, "S", seed=1)

    results = skill.run_classification_suite(["S"], ["classical"], log=lambda _: None)
    assert len(results) == 10 and (results["error"] == "").all()
    assert results["accuracy"].max() == 1.0  # separable by the mean
    summary = skill.summarize(results)
    assert (summary["n_sets"] == 1).all()


def test_seed_ensemble_averages_the_networks_of_consecutive_seeds(bench, tmp_path):
    """``--seed-ensemble N``: soft voting over the networks seeded r .. r + N - 1,
    each as it would be fitted alone."""
    _, skill = bench
    _register_separable_set(skill, tmp_path, "E", seed=2)
    split = skill.load_dataset("E")

    results = skill.run_classification_suite(
        ["E"], ["conv1d"], max_epochs=1, n_seeds=2, random_state=3, log=lambda _: None
    )
    assert list(results.index.unique("model")) == ["Conv1DActivityClassifier (2 seeds)"]
    assert results["error"].eq("").all()

    ensemble = skill.make_deep("conv1d", 3, max_epochs=1, n_seeds=2)
    ensemble.fit(split.X_train, split.y_train)
    members = [
        skill.make_deep("conv1d", seed, max_epochs=1).fit(split.X_train, split.y_train)
        for seed in (3, 4)
    ]
    expected = np.mean([m.predict_proba(split.X_test) for m in members], axis=0)
    np.testing.assert_allclose(ensemble.predict_proba(split.X_test), expected)
    assert skill.make_deep("lstm", 0).random_state == 0  # one network by default
    with pytest.raises(ValueError, match="n_seeds must be >= 1"):
        skill.make_deep("conv1d", 0, n_seeds=0)


def test_nowcasting_suite_gets_the_seed(bench, monkeypatch, tmp_path):
    bench_skill, _ = bench
    import pandas as pd
    import skill_nowcasting

    calls = []

    def fake_suite(**kwargs):
        calls.append(kwargs)
        return pd.DataFrame({"MAE": [0.1]}, index=["U-Net"])

    monkeypatch.setattr(skill_nowcasting, "run_nowcasting_suite", fake_suite)
    argv = ["--suite", "nowcasting", "--random-state", "3", "--quick"]
    args = bench_skill.parse_args([*argv, "--output-dir", str(tmp_path)])
    bench_skill.nowcasting(args, bench_skill.Report())
    assert calls == [{"quick": True, "random_state": 3, "unet_params": {}}]
    assert (tmp_path / "skill_nowcasting.csv").exists()
    header = bench_skill.environment_header(args, 1)
    assert "nowcasting: default UNetNowcaster, random_state=3" in header
    # --max-epochs shortens the U-Net too (a smoke run, so labelled)
    args = bench_skill.parse_args([*argv, "--max-epochs", "1"])
    report = bench_skill.Report()
    args.output_dir = tmp_path
    bench_skill.nowcasting(args, report)
    assert calls[-1]["unet_params"] == {"max_epochs": 1}


def test_classification_options_select_the_classification_suite(bench):
    bench_skill, _ = bench
    assert bench_skill.parse_args([]).suite == "all"
    assert bench_skill.parse_args(["--models", "conv1d"]).suite == "classification"
    assert bench_skill.parse_args(["--datasets=GunPoint"]).suite == "classification"
    assert bench_skill.parse_args(["--quick"]).suite == "all"
    both = ["--suite", "all", "--models", "conv1d"]
    assert bench_skill.parse_args(both).suite == "all"
    # abbreviated options (argparse takes unique prefixes) count too, and
    # options that are not given keep their defaults
    args = bench_skill.parse_args(["--mod", "conv1d"])
    assert (args.suite, args.models) == ("classification", ["conv1d"])
    assert args.datasets == list(bench_skill.DATASETS) and args.seed_ensemble == 1
    assert bench_skill.parse_args(["--seed-e", "3"]).suite == "classification"


def test_unusable_output_dir_stops_before_any_fit(bench, tmp_path):
    bench_skill, _ = bench
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    argv = ["--suite", "nowcasting", "--output-dir", str(blocker / "results")]
    with pytest.raises(SystemExit, match="cannot be created"):
        bench_skill.main(argv)


def test_seed_ensemble_is_named_in_the_report(bench):
    bench_skill, _ = bench
    args = bench_skill.parse_args(["--suite", "classification", "--seed-ensemble", "3"])
    assert bench_skill._params_label("deep", args) == "defaults, 3 seeds"
    assert bench_skill._params_label("reference", args) == "defaults"
    assert "random_state=0 to 2" in bench_skill._epochs_note(None, 0, 3)
    smoke = bench_skill.parse_args(["--max-epochs", "2", "--seed-ensemble", "2"])
    assert (
        bench_skill._params_label("deep", smoke) == "max_epochs=2 (override), 2 seeds"
    )
    single = bench_skill.parse_args([])
    assert bench_skill._params_label("deep", single) == "defaults"
