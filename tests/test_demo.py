"""Tests of skseq.demo: the command-line demo runs end to end."""

import pandas as pd


def test_demo_writes_table_and_figure(tmp_path, capsys):
    from skseq.demo import main

    assert main(["--output-dir", str(tmp_path), "--max-epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Conv1D (skseq, defaults)" in out and "LogisticRegression (summary)" in out
    assert "U-Net (skseq, defaults)" in out and "persistence" in out
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
