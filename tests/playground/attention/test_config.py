"""Tests for playground.attention.config."""

import pytest

from playground.attention.config import AttentionRunConfig


def test_a_one_character_corpus_is_called_that():
    with pytest.raises(ValueError, match=r"too short: 1 character; seq_len"):
        AttentionRunConfig.from_dict({"task": {"task": "char_lm", "text": "a"}})
