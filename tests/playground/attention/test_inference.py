"""Running a person's input through a copy of the weights: predictions, attention and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from playground.attention.config import AttentionRunConfig, AttentionTrainConfig, TaskConfig, TransformerConfig
from playground.attention.inference import generate, load_model, run_input
from playground.attention.training import build_model, train
from playground.events import EvalEnded
from playground.torchkit import seeded_model, weights_copy

MODEL = TransformerConfig(d_model=32, n_heads=1, n_layers=1, d_ff=64, positional="learned", context=16)


def _untrained(config: AttentionRunConfig) -> dict[str, np.ndarray]:
    return weights_copy(seeded_model(0, lambda: build_model(config)))


@pytest.fixture(scope="module")
def reverse():
    """A reverse model trained to (near) perfection on 6 symbols: about 2 s on a 2-core CPU."""
    config = AttentionRunConfig(TaskConfig("reverse", seq_len=6, vocab_size=10), MODEL,
                               AttentionTrainConfig(batch_size=64, steps=300, eval_every=300))
    events: list = []
    train(config, events.append)
    final = [e for e in events if isinstance(e, EvalEnded)][-1]
    assert final.test_metric > 0.98, final
    return config, final.state


def test_run_input_reverses(reverse):
    config, state = reverse
    result = run_input(config, state, "3 1 4 1 5 9")
    assert result.tokens == list("314159")
    assert result.prediction == "951413" and result.outputs == list("951413")
    assert result.attention.shape == (1, 1, 6, 6) and result.attention.dtype == np.float32
    np.testing.assert_allclose(result.attention.sum(-1), 1.0, atol=1e-5)
    assert result.probabilities.shape == (6,) and np.all(result.probabilities > 0.5)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"), ("   ", "empty"), ("1234567", "at most 6"), ("12345", "reads exactly 6"),
    ("12345x", "Unknown token 'x'"),
])
def test_run_input_rejects_bad_input(reverse, text, message):
    config, state = reverse
    with pytest.raises(ValueError, match=message):
        run_input(config, state, text)


def test_weights_that_do_not_fit_are_a_clear_error(reverse):
    config, state = reverse
    other = AttentionRunConfig(config.task, TransformerConfig(d_model=16, n_heads=1, n_layers=1, context=16))
    with pytest.raises(ValueError, match="do not fit"):
        load_model(other, state)


def test_run_input_for_sentiment_and_key_value():
    config = AttentionRunConfig(TaskConfig("sentiment", seq_len=14), MODEL)
    result = run_input(config, _untrained(config), "The movie was not good.")
    assert result.tokens[0] == "[CLS]" and result.prediction in ("negative", "positive")
    assert result.probabilities.shape == (2,) and result.attention.shape == (1, 1, 6, 6)
    config = AttentionRunConfig(TaskConfig("key_value", seq_len=5, vocab_size=6), MODEL)
    result = run_input(config, _untrained(config), "a3 c1 b7 = c")
    assert result.tokens == ["a3", "c1", "b7", "=", "c"] and result.prediction in "0123456789"


def test_generate_continues_a_prompt():
    config = AttentionRunConfig(TaskConfig("char_lm", seq_len=16), MODEL)
    state = _untrained(config)
    text = generate(config, state, "the sea", n_chars=40, temperature=0.8, top_k=5, seed=3)
    assert len(text) == 40 and text == generate(config, state, "the sea", 40, 0.8, 5, 3)
    assert len(generate(config, state, "a long prompt that is longer than the context", 5)) == 5


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"prompt": ""}, "at least one character"),
    ({"prompt": "hello!"}, "Unknown token '!'"),
    ({"prompt": "the", "n_chars": 0}, "between 1 and"),
    ({"prompt": "the", "temperature": -1.0}, "temperature"),
    ({"prompt": "the", "top_k": 1000}, "top_k"),
])
def test_generate_rejects_bad_settings(kwargs, message):
    config = AttentionRunConfig(TaskConfig("char_lm", seq_len=16), MODEL)
    with pytest.raises(ValueError, match=message):
        generate(config, _untrained(config), **kwargs)


def test_generate_needs_a_language_model(reverse):
    config, state = reverse
    with pytest.raises(ValueError, match="char_lm"):
        generate(config, state, "123")
