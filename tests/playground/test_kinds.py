"""Tests for playground.kinds: the one table of playgrounds."""

from pathlib import Path

import pytest

from playground import kinds
from playground.attention.config import AttentionRunConfig
from playground.mlp.config import MLPRunConfig

ROOT = Path(__file__).resolve().parents[2]


def test_each_config_type_finds_its_playground_trainer_and_memory_estimate():
    from playground.attention import memory as attention_memory
    from playground.attention import training as attention_training
    from playground.mlp import memory as mlp_memory
    from playground.mlp import training as mlp_training

    assert kinds.trainer_for(MLPRunConfig()) is mlp_training.train
    assert kinds.trainer_for(AttentionRunConfig()) is attention_training.train
    assert kinds.kind_of(MLPRunConfig()).memory() is mlp_memory
    assert kinds.kind_of(AttentionRunConfig()).memory() is attention_memory
    assert kinds.find(object()) is None
    with pytest.raises(ValueError, match="No playground trains a object"):
        kinds.kind_of(object())


def test_every_kind_has_a_page_its_presets_and_a_default_among_them():
    assert [k.name for k in kinds.KINDS] == ["mlp", "attention"] and set(kinds.BY_NAME) == {"mlp", "attention"}
    for kind in kinds.KINDS:
        assert (ROOT / kind.page).is_file()
        assert kind.default_preset in kind.presets
        assert all(isinstance(p.config, kind.config_type) for p in kind.presets.values())
    every = kinds.all_presets()
    assert len(every) == sum(len(k.presets) for k in kinds.KINDS)  # preset names are unique across playgrounds
