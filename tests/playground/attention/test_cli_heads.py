"""The command line's --json for an attention preset: every head's final entropy and pattern shares."""

from __future__ import annotations

import json
import math

from playground.cli import main


def test_reverse_json_lists_its_head_locked_on_the_mirror(capsys):
    assert main(["train", "--preset", "reverse", "--set", "steps=400", "--set", "seq_len=6", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "completed"
    (head,) = result["heads"]  # the reverse preset: 1 layer, 1 head
    assert set(head) == {"layer", "head", "entropy", "previous", "self", "first", "mirror"}
    assert (head["layer"], head["head"]) == (1, 1)
    assert head["mirror"] > 0.8 and 0 <= head["entropy"] < 0.5 * math.log(6)


def test_an_unmirrored_task_has_no_mirror_share_and_one_entry_per_head(capsys):
    args = ["train", "--preset", "tiny-lm", "--set", "steps=2", "--set", "eval_every=1", "--json"]
    assert main(args) == 0
    heads = json.loads(capsys.readouterr().out)["heads"]
    assert [(h["layer"], h["head"]) for h in heads] == [(layer, head) for layer in (1, 2) for head in (1, 2, 3, 4)]
    assert all(set(h) == {"layer", "head", "entropy", "previous", "self", "first"} for h in heads)
    assert all(0 <= h["entropy"] <= math.log(32) for h in heads)


def test_an_mlp_preset_has_no_heads(capsys):
    assert main(["train", "--preset", "iris-keras", "--set", "epochs=1", "--json"]) == 0
    assert "heads" not in json.loads(capsys.readouterr().out)
