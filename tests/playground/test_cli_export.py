"""The command line's exports: --save-metrics and the script command."""

from __future__ import annotations

import ast
import json

import pandas as pd
import pytest

from playground.cli import main


def test_save_metrics_writes_the_runs_steps_and_evaluations_as_csv(capsys, tmp_path):
    path = tmp_path / "metrics.csv"
    code = main(["train", "--preset", "iris-keras", "--set", "epochs=3", "--json", "--save-metrics", str(path)])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["status"] == "completed"
    df = pd.read_csv(path)
    steps, evals = df[df.kind == "step"], df[df.kind == "evaluation"]
    assert list(steps.step) == list(range(1, result["steps"] + 1)) and list(evals.epoch) == [1, 2, 3]
    assert evals.test_metric.iloc[-1] == pytest.approx(result["test_accuracy"], rel=1e-8)
    assert evals.test_loss.iloc[-1] == pytest.approx(result["test_loss"], rel=1e-8)


def test_save_metrics_to_a_missing_folder_is_refused_before_training(capsys, tmp_path):
    assert main(["train", "--preset", "moons", "--save-metrics", str(tmp_path / "no" / "m.csv")]) == 2
    captured = capsys.readouterr()
    assert "does not exist" in captured.err and captured.out == ""


def test_script_prints_a_python_file_with_the_settings(capsys):
    assert main(["script", "--preset", "spiral", "--set", "epochs=2", "--set", "learning_rate=0.03"]) == 0
    source = capsys.readouterr().out
    ast.parse(source)
    assert "EPOCHS = 2\n" in source and "LEARNING_RATE = 0.03\n" in source and "N_CLASSES = 3  #" in source
    assert "TASK = 'classification'\n" in source and "import playground" not in source


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--preset", "recall"], "A script can rebuild the copy, reverse, sort tasks only; the key-value recall"),
        (["--set", "dataset=csv", "--set", "target=label"], "A script can't rebuild an uploaded CSV table"),
        (["--set", "learning_rate=100"], "learning_rate must be between"),
        (["--preset", "nope"], "unknown preset 'nope'"),
    ],
)
def test_script_refusals_exit_2_with_one_line(capsys, args, words):
    assert main(["script", *args]) == 2
    captured = capsys.readouterr()
    assert words in captured.err and "\n" not in captured.err.strip() and captured.out == ""


def test_script_takes_a_list_of_input_features(capsys):
    assert main(["script", "--preset", "xor", "--set", "features=x,y,xy", "--set", "ignore="]) == 0
    assert "return torch.stack([x, y, x * y], 1)" in capsys.readouterr().out
