import json
import subprocess
import sys

import pytest

from playground.attention import presets as attention_presets
from playground.cli import apply_overrides, main
from playground.mlp.presets import PRESETS


def test_presets_lists_every_preset(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name in PRESETS:
        assert name in out


def test_train_json_prints_one_object_with_the_result(capsys):
    code = main(["train", "--preset", "iris-keras", "--set", "epochs=5", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert result["status"] == "completed" and result["steps"] == 5 * 8  # 120 rows / batch 16
    assert result["device"] == "cpu" or result["device"].startswith(("cuda", "mps"))
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "seconds"):
        assert isinstance(result[key], float)
    assert result["diagnoses"] == []  # a healthy run


def test_train_json_has_the_coachs_diagnoses(capsys):
    assert main(["train", "--preset", "moons", "--set", "learning_rate=0.00001", "--set", "epochs=20", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [d["kind"] for d in result["diagnoses"]] == ["learning_rate_too_low"]
    assert "too low" in result["diagnoses"][0]["message"]


def test_diverged_run_exits_zero_and_says_so(capsys):
    code = main(["train", "--preset", "moons", "--set", "optimizer=sgd", "--set", "learning_rate=10", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["status"] == "diverged" and "learning rate" in result["message"]
    assert result["diagnoses"] == [{"kind": "diverged", "message": result["message"]}]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "learning_rate=100"], "learning_rate must be between"),
        (["--set", "nonsense=1"], "Unknown setting 'nonsense'"),
        (["--set", "seed=3"], "Ambiguous setting 'seed'"),
        (["--set", "epochs"], "needs key=value"),
        (["--preset", "nope"], "unknown preset 'nope'"),
    ],
)
def test_bad_settings_exit_2_with_one_line(capsys, args, words):
    assert main(["train", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err


def test_overrides_accept_paths_lists_and_unique_names():
    cfg = apply_overrides(PRESETS["moons"].config,
                          ["hidden_sizes=4,4,4", "activations=tanh,gelu,relu", "data.seed=5", "training.seed=6"])
    assert cfg.model.hidden_sizes == (4, 4, 4) and cfg.model.activations == ("tanh", "gelu", "relu")
    assert cfg.data.seed == 5 and cfg.training.seed == 6


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "playground", "presets"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "iris-keras" in out.stdout


def test_a_new_depth_alone_repeats_the_last_activation():
    deeper = apply_overrides(PRESETS["circles"].config, ["hidden_sizes=32,32,32"])
    assert deeper.model.hidden_sizes == (32, 32, 32) and deeper.model.activations == ("tanh",) * 3
    linear = apply_overrides(PRESETS["circles"].config, ["hidden_sizes="])
    assert linear.model.hidden_sizes == () and linear.model.activations == ()


def test_a_run_over_the_memory_budget_is_refused_as_bad_settings(capsys, monkeypatch):
    from playground.memory import over_budget
    from playground.settings import Limits

    worst = ["--set", "d_model=256", "--set", "n_heads=8", "--set", "n_layers=6", "--set", "d_ff=1024",
             "--set", "context=128", "--set", "seq_len=128", "--set", "batch_size=256"]  # 32,768 tokens a step
    monkeypatch.delenv("PLAYGROUND_MAX_RUN_MEMORY_MB", raising=False)
    assert main(["train", "--preset", "reverse", *worst]) == 2
    config = apply_overrides(attention_presets.PRESETS["reverse"].config, worst[1::2])
    err = capsys.readouterr().err
    assert err == f"error: {over_budget(config, Limits.from_settings().max_memory_mb)}\n" and " MB of memory" in err
    monkeypatch.setenv("PLAYGROUND_MAX_RUN_MEMORY_MB", "1")  # the server's setting decides, not a fixed number
    assert main(["train", "--preset", "iris-keras", "--set", "epochs=1", "--json"]) == 2
    assert "this server allows 1 MB per run" in capsys.readouterr().err


def test_attention_json_has_diagnoses_with_divergence(capsys):
    args = ["train", "--preset", "reverse", "--set", "optimizer=sgd", "--set", "learning_rate=10", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "diverged"
    assert result["diagnoses"] == [{"kind": "diverged", "message": result["message"]}]
    assert main(["train", "--preset", "reverse", "--set", "steps=20", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["diagnoses"] == []


def test_schedule_changes_the_running_jobs_settings_at_those_steps(capsys):
    code = main(["train", "--preset", "moons", "--set", "epochs=4", "--schedule", "learning_rate=30:0.1,60:0.001",
                 "--schedule", "batch_size=10:50", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["status"] == "completed"
    # moons: 800 training rows, 25 steps of 32 per epoch; the batch size waits for epoch 1's end (step 25)
    assert result["schedule"] == [{"step": 25, "name": "batch_size", "value": 50},
                                  {"step": 30, "name": "learning_rate", "value": 0.1},
                                  {"step": 60, "name": "learning_rate", "value": 0.001}]
    assert result["steps"] == 25 + 3 * 16
    assert result["stopped_early"] is False and result["best_epoch"] is None


@pytest.mark.parametrize("schedule, message", [
    ("learning_rate=10:50", "--schedule learning_rate at step 10: learning_rate must be between"),
    ("epochs=10:5", "NAME one of learning_rate, weight_decay, batch_size"),
    ("learning_rate=ten:0.1", "STEP:VALUE"),
])
def test_a_bad_schedule_exits_2_with_the_reason(capsys, schedule, message):
    assert main(["train", "--preset", "moons", "--schedule", schedule, "--json"]) == 2
    assert message in capsys.readouterr().err


def test_json_says_whether_early_stopping_ended_the_run_and_its_best_epoch(capsys):
    code = main(["train", "--preset", "moons", "--set", "epochs=300", "--set", "patience=3",
                 "--set", "restore_best_weights=true", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["status"] == "completed" and result["stopped_early"] is True
    assert isinstance(result["best_epoch"], int) and result["steps"] < 300 * 25
    assert result["steps"] == (result["best_epoch"] + 3) * 20  # 640 rows left for training: 20 steps an epoch
    assert "Restored the weights" in result["message"] and isinstance(result["validation_loss"], float)


def test_json_names_the_transformers_best_step(capsys):
    code = main(["train", "--preset", "reverse", "--set", "steps=60", "--set", "eval_every=20",
                 "--set", "target_metric=0.0", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["stopped_early"] is True and result["best_epoch"] == 20 and result["steps"] == 20
