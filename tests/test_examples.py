"""The gallery examples run end to end (small default sizes)."""

import runpy
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

EXAMPLES_DIR = Path(__file__).parents[1] / "examples"
# examples with a dedicated test below (optional dependencies, stores to check)
DEDICATED = {"plot_mlflow_tracking", "plot_dask_grid_search", "plot_onnx_export"}
#: every example, in the gallery's sections (one folder per domain) or on top
PATHS = {p.stem: p for p in EXAMPLES_DIR.rglob("plot_*.py")}
EXAMPLES = sorted(p for name, p in PATHS.items() if name not in DEDICATED)


def run_example(name, monkeypatch, tmp_path):
    """Run the example ``<name>.py`` in ``tmp_path`` at its default size."""
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SKSEQ_FULL", raising=False)
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    try:
        return runpy.run_path(str(PATHS[name]), run_name="__main__")
    finally:
        plt.close("all")


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, monkeypatch, tmp_path):
    run_example(path.stem, monkeypatch, tmp_path)


@pytest.mark.slow
def test_mlflow_example_logs_to_a_temporary_store(monkeypatch, tmp_path):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    namespace = run_example("plot_mlflow_tracking", monkeypatch, tmp_path)

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("skseq-basic-motions")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    epochs = namespace["EPOCHS"]
    for key in ("train_loss", "valid_loss", "valid_acc", "dur"):
        history = client.get_metric_history(run.info.run_id, key)
        assert sorted(m.step for m in history) == list(range(1, epochs + 1)), key
    classifier = namespace["classifier"]
    assert run.data.params["lr"] == str(classifier.lr)
    assert run.data.params["max_epochs"] == str(epochs)
    assert run.data.metrics["test_accuracy"] == pytest.approx(
        namespace["pipeline"].score(namespace["X_test"], namespace["y_test"])
    )
    # artifacts landed in the temporary directory, not in the checkout
    assert any((tmp_path / "mlruns").rglob("*.pkl"))


@pytest.mark.slow
def test_dask_example_searches_on_a_two_worker_cluster(monkeypatch, tmp_path, capsys):
    pytest.importorskip("distributed")
    namespace = run_example("plot_dask_grid_search", monkeypatch, tmp_path)
    out = capsys.readouterr().out
    assert "workers: 2" in out
    search, local = namespace["search"], namespace["local"]
    assert len(search.cv_results_["params"]) == 4
    np.testing.assert_array_equal(
        search.cv_results_["split0_test_score"], local.cv_results_["split0_test_score"]
    )
    assert search.best_params_ == local.best_params_


@pytest.mark.slow
def test_onnx_export_example_serves_without_skseq(monkeypatch, tmp_path, capsys):
    for module in ("onnx", "onnxruntime", "onnxscript"):
        pytest.importorskip(module)
    namespace = run_example("plot_onnx_export", monkeypatch, tmp_path)
    out = capsys.readouterr().out
    assert "same labels as predict: True" in out
    np.testing.assert_allclose(
        namespace["proba_onnx"], namespace["proba_skseq"], rtol=0, atol=1e-4
    )
    np.testing.assert_allclose(
        namespace["nowcast_onnx"], namespace["nowcast_skseq"], rtol=0, atol=1e-4
    )


def test_gallery_sections_have_headers_and_are_ordered():
    """Each example folder is a gallery section with a header, in conf.py's order."""
    import re

    sections = sorted(p.parent.name for p in EXAMPLES_DIR.glob("*/plot_*.py"))
    for section in set(sections):
        header = (EXAMPLES_DIR / section / "README.txt").read_text().splitlines()
        assert header[1] == "-" * len(header[0]), section
    conf = (EXAMPLES_DIR.parent / "docs" / "conf.py").read_text()
    ordered = re.findall(r'"\.\./examples/(\w+)"', conf)
    assert sorted(ordered) == sorted(set(sections))
