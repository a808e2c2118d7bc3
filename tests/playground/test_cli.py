import json
import subprocess
import sys

import pytest

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


def test_diverged_run_exits_zero_and_says_so(capsys):
    code = main(["train", "--preset", "moons", "--set", "optimizer=sgd", "--set", "learning_rate=10", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["status"] == "diverged" and "learning rate" in result["message"]


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
