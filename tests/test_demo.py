"""Tests of skseq.demo: the command-line demo runs end to end."""

import pandas as pd


def test_demo_writes_table_and_figure(tmp_path, capsys):
    from skseq.demo import main

    assert main(["--output-dir", str(tmp_path), "--max-epochs", "1"]) == 0
    out = capsys.readouterr().out
    # a smoke run: the rows do not claim the defaults
    assert "Conv1D (skseq, max_epochs=1)" in out and "(skseq, defaults)" not in out
    assert "LogisticRegression (summary)" in out and "LSTM" not in out
    assert "U-Net (skseq, max_epochs=1)" in out and "persistence" in out
    for name in (
        "gunpoint_comparison.csv",
        "gunpoint_accuracy.png",
        "radar_scores_by_lead.csv",
        "radar_scores_by_lead.png",
    ):
        assert (tmp_path / name).stat().st_size > 0
    scores = pd.read_csv(
        tmp_path / "radar_scores_by_lead.csv", header=[0, 1], index_col=0
    )
    assert [lead for metric, lead in scores.columns if metric == "MAE"] == [
        str(lead) for lead in range(1, 7)
    ]


def test_demo_refuses_bad_arguments_before_fitting(tmp_path, capsys):
    import pytest

    from skseq.demo import _deep_label, main

    assert _deep_label("Conv1D", "auto") == "Conv1D (skseq, defaults)"
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for argv, message in [
        (["--max-epochs", "0"], "--max-epochs must be >= 1"),
        (["--max-epochs", "-1"], "--max-epochs must be >= 1"),
        (["--output-dir", str(blocker / "out")], "cannot be created"),
        (["--random-state", "-1"], "--random-state must be >= 0"),
    ]:
        with pytest.raises(SystemExit):
            main(argv)
        assert message in capsys.readouterr().err


def test_demo_without_matplotlib_stops_before_fitting(tmp_path, capsys, monkeypatch):
    # it printed the classification table, then failed at the first figure
    import importlib.util

    import pytest

    import skseq.demo

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else find_spec(name, *a),
    )
    monkeypatch.setattr(skseq.demo, "run", lambda *a: pytest.fail("fitted"))
    with pytest.raises(SystemExit):
        skseq.demo.main(["--output-dir", str(tmp_path)])
    assert "'plot' extra" in capsys.readouterr().err


def test_demo_fits_the_lstm_on_request(tmp_path):
    from skseq.demo import run_classification

    table = run_classification(tmp_path, max_epochs=1, lstm=True)
    assert "LSTM (skseq, max_epochs=1)" in table.index
