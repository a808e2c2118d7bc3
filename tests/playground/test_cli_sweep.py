"""`python -m playground train --sweep KEY=V1,V2,...`: one JSON object per variant, then the sweep's."""

from __future__ import annotations

import dataclasses
import json

import pytest

from playground.cli import main, run_training
from playground.mlp.presets import PRESETS


def _lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_sweep_json_prints_each_variant_then_the_sweeps_seconds(capsys):
    code = main(["train", "--preset", "moons", "--set", "epochs=3", "--sweep", "learning_rate=0.1,0.01,0.001",
                 "--json"])
    assert code == 0
    *variants, total = _lines(capsys)
    assert [v["value"] for v in variants] == [0.1, 0.01, 0.001]
    for v in variants:
        assert v["status"] == "completed" and v["steps"] == 75 and v["setting"] == "learning_rate"
        assert 0.5 < v["test_accuracy"] <= 1 and v["test_loss"] > 0
    assert total["sweep"] == "learning_rate" and total["status"] == "completed" and total["seconds"] > 0


def test_a_sweep_variant_reports_what_the_same_run_alone_reports(capsys):
    assert main(["train", "--preset", "moons", "--set", "epochs=2", "--sweep", "seed=0,5", "--json"]) == 0
    variants = _lines(capsys)[:-1]
    cfg = PRESETS["moons"].config
    alone = run_training("moons", dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, epochs=2,
                                                                                         seed=5)), False)
    assert variants[1]["test_loss"] == pytest.approx(alone["test_loss"], rel=1e-4)
    assert variants[1]["test_accuracy"] == pytest.approx(alone["test_accuracy"], abs=1 / 200)


def test_a_mixed_shape_sweep_runs_each_variant(capsys):
    assert main(["train", "--preset", "moons", "--set", "epochs=1", "--sweep", "activation=relu,tanh", "--json"]) == 0
    variants = _lines(capsys)[:-1]
    assert [(v["value"], v["status"]) for v in variants] == [("relu", "completed"), ("tanh", "completed")]


@pytest.mark.parametrize(("sweep", "words"), [
    ("learning_rate=" + ",".join(str(0.001 * (i + 1)) for i in range(9)), "2 to 8 values"),
    ("learning_rate=0.1,20", "learning_rate must be between 1e-05 and 10; got 20"),
    ("momentum=0.1,0.2", "Unknown sweep setting 'momentum'"),
    ("learning_rate", "needs KEY=V1,V2"),
])
def test_bad_sweeps_exit_2_with_one_line(capsys, sweep, words):
    assert main(["train", "--preset", "moons", "--sweep", sweep, "--json"]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_a_sweep_over_the_memory_budget_is_refused(capsys, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_RUN_MEMORY_MB", "40")
    code = main(["train", "--preset", "moons", "--set", "hidden_sizes=256,256", "--sweep",
                 "learning_rate=0.1,0.01,0.001,0.3,0.03,0.003,0.0003,1", "--json"])
    assert code == 2
    assert "8 models trained together" in capsys.readouterr().err


def test_attention_presets_get_a_message(capsys):
    assert main(["train", "--preset", "reverse", "--sweep", "seed=1,2"]) == 2
    assert "offered in the MLP playground only" in capsys.readouterr().err
