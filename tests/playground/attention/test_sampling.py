"""Reshaping the next-token distribution: temperature, top-k and top-p on worked examples, and the page's view."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.attention.config import AttentionRunConfig, AttentionTrainConfig, TaskConfig, TransformerConfig
from playground.attention.inference import generate, next_char_distribution
from playground.attention.sampling import adjusted
from playground.attention.training import build_model
from playground.torchkit import seeded_model, weights_copy

# probabilities 0.5, 0.25, 0.125, 0.125
LOGITS = torch.log(torch.tensor([0.5, 0.25, 0.125, 0.125]))


def test_temperature_one_is_the_softmax_and_zero_is_greedy():
    torch.testing.assert_close(adjusted(LOGITS), torch.tensor([0.5, 0.25, 0.125, 0.125]))
    torch.testing.assert_close(adjusted(LOGITS, temperature=0), torch.tensor([1.0, 0, 0, 0]))


def test_temperature_two_takes_square_roots():
    """p_i^(1/2) normalised: sqrt(.5), sqrt(.25), sqrt(.125) twice."""
    roots = np.sqrt([0.5, 0.25, 0.125, 0.125])
    np.testing.assert_allclose(adjusted(LOGITS, temperature=2).numpy(), roots / roots.sum(), rtol=1e-6)


def test_top_k_keeps_the_k_largest_renormalised():
    torch.testing.assert_close(adjusted(LOGITS, top_k=2), torch.tensor([2 / 3, 1 / 3, 0, 0]))


@pytest.mark.parametrize(("top_p", "expected"), [
    (0.5, [1.0, 0, 0, 0]),  # the first token already holds 0.5
    (0.6, [2 / 3, 1 / 3, 0, 0]),  # 0.5 < 0.6: the second is needed, 0.75 >= 0.6
    (0.8, [4 / 7, 2 / 7, 1 / 7, 0]),  # 0.75 < 0.8: a third (ties: the first of them in the sort)
    (1.0, [0.5, 0.25, 0.125, 0.125]),
])
def test_top_p_keeps_the_smallest_nucleus_reaching_p(top_p, expected):
    probs = adjusted(LOGITS, top_p=top_p)
    assert probs.sum().item() == pytest.approx(1.0)
    assert sorted(probs.tolist(), reverse=True) == pytest.approx(expected)
    assert probs[0].item() == pytest.approx(expected[0]) and probs[1].item() == pytest.approx(expected[1])


def _lm():
    config = AttentionRunConfig(TaskConfig("char_lm", seq_len=8),
                                TransformerConfig(d_model=16, n_heads=2, n_layers=1, d_ff=32, context=8),
                                AttentionTrainConfig())
    return config, weights_copy(seeded_model(0, lambda: build_model(config)))


def test_next_char_distribution_shows_the_model_and_the_draw():
    config, state = _lm()
    d = next_char_distribution(config, state, "the cat sat on the", temperature=0.5, top_k=3, top_p=1.0)
    assert len(d.chars) == len(d.model) == len(d.draw) and "␣" in d.chars
    assert d.model.sum() == pytest.approx(1.0, abs=1e-5) and d.draw.sum() == pytest.approx(1.0, abs=1e-5)
    assert (d.draw > 0).sum() == 3 and set(np.argsort(d.draw)[-3:]) == set(np.argsort(d.model)[-3:])
    sharper = np.sort(d.draw)[::-1][:3]
    kept = np.sort(d.model)[::-1][:3] ** 2  # temperature 0.5 squares the probabilities, then renormalises
    np.testing.assert_allclose(sharper, kept / kept.sum(), rtol=1e-4)
    nucleus = next_char_distribution(config, state, "the", top_p=0.3)
    ranked = np.sort(nucleus.model)[::-1]
    assert (nucleus.draw > 0).sum() == np.searchsorted(np.cumsum(ranked), 0.3) + 1
    assert math.isclose(nucleus.draw.max(), ranked[0] / ranked[: (nucleus.draw > 0).sum()].sum(), rel_tol=1e-4)


def test_bad_sampling_settings_give_clear_messages():
    config, state = _lm()
    with pytest.raises(ValueError, match="top_p must be above 0"):
        next_char_distribution(config, state, "the", top_p=0)
    with pytest.raises(ValueError, match="top_p must be above 0"):
        generate(config, state, "the", 5, top_p=1.5)
    with pytest.raises(ValueError, match="Type a prompt"):
        next_char_distribution(config, state, "")
    assert generate(config, state, "the", 20, top_p=0.5, seed=1) == generate(config, state, "the", 20, top_p=0.5,
                                                                             seed=1)
