"""The stages of attention and the head statistics: worked examples with known answers, and agreement with
PyTorch's attention and with the weights the page shows."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.attention import stages, tasks
from playground.attention.config import AttentionRunConfig, AttentionTrainConfig, TaskConfig, TransformerConfig
from playground.attention.model import attention_stages, scaled_dot_product_attention
from playground.attention.training import build_model, probe_views, train
from playground.events import EvalEnded
from playground.torchkit import seeded_model


def test_stages_of_a_worked_example():
    """q = [[1,0],[0,2]], k = [[2,0],[0,1]] (d_k = 4, padded with zeros): Q K^T = [[2,0],[0,2]], scaled by
    1/sqrt(4) = [[1,0],[0,1]], softmax rows [e/(e+1), 1/(e+1)]."""
    q = torch.tensor([[1.0, 0, 0, 0], [0, 2, 0, 0]])
    k = torch.tensor([[2.0, 0, 0, 0], [0, 1, 0, 0]])
    v = torch.tensor([[1.0, 0, 0, 0], [0, 1, 0, 0]])
    s = attention_stages(q, k, v)
    torch.testing.assert_close(s.scores, torch.tensor([[2.0, 0], [0, 2]]))
    torch.testing.assert_close(s.scaled, torch.tensor([[1.0, 0], [0, 1]]))
    torch.testing.assert_close(s.masked, s.scaled)  # no mask
    a = math.e / (math.e + 1)
    torch.testing.assert_close(s.weights, torch.tensor([[a, 1 - a], [1 - a, a]]))
    torch.testing.assert_close(s.out, torch.tensor([[a, 1 - a, 0, 0], [1 - a, a, 0, 0]]))
    causal = torch.ones(2, 2, dtype=torch.bool).tril()
    c = attention_stages(q, k, v, causal)
    assert c.masked[0, 1] == float("-inf") and c.masked[1, 0] == c.scaled[1, 0]
    torch.testing.assert_close(c.weights[0], torch.tensor([1.0, 0.0]))


@pytest.mark.parametrize("causal", [False, True])
def test_stages_agree_with_pytorch_and_with_the_trainers_attention(causal):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 6, 8, generator=g) for _ in range(3))
    mask = torch.ones(6, 6, dtype=torch.bool).tril() if causal else None
    s = attention_stages(q, k, v, mask)
    torch.testing.assert_close(s.out, F.scaled_dot_product_attention(q, k, v, is_causal=causal))
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert torch.equal(s.weights, weights) and torch.equal(s.out, out)
    torch.testing.assert_close(s.weights, s.masked.softmax(-1))


def _model(task: str, seq_len: int = 6):
    cfg = TransformerConfig(d_model=16, n_heads=2, n_layers=2, d_ff=32, context=16)
    config = AttentionRunConfig(TaskConfig(task, seq_len=seq_len, vocab_size=6), cfg, AttentionTrainConfig())
    return config, seeded_model(3, lambda: build_model(config)).eval()


@pytest.mark.parametrize("task", ["reverse", "char_lm"])
def test_probe_views_keep_stages_that_rebuild_the_shown_weights_and_pytorchs_output(task):
    """The head outputs the trainer keeps equal F.scaled_dot_product_attention on the layer's own q, k, v, and
    the softmax of the rebuilt masked scores is the attention the page shows."""
    config, model = _model(task, seq_len=8)
    inputs = tasks.probe(config.task).inputs
    seen: list[torch.Tensor] = []
    model.blocks[1].attn.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    views = probe_views(model, tasks.spec(config.task), inputs)
    attn = model.blocks[1].attn
    q, k, v = attn.qkv(seen[0]).view(1, 8, 3, 2, 8).permute(2, 0, 3, 1, 4)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=task == "char_lm")[0]  # (H, T, d_k)
    np.testing.assert_allclose(views.head_outputs[1], expected.detach().numpy(), atol=1e-5)
    for head in range(2):
        h = stages.head_stages(views.scores[1, head], views.mask, views.attention[1, head], views.head_outputs[1, head])
        np.testing.assert_allclose(h.scaled, views.scores[1, head] / math.sqrt(8), rtol=1e-6)
        np.testing.assert_allclose(torch.as_tensor(h.masked).softmax(-1).numpy(), views.attention[1, head], atol=1e-6)
        assert h.d_k == 8
    if task == "char_lm":
        assert np.isneginf(h.masked[0, 1:]).all() and np.isfinite(np.tril(h.masked)).all()
    else:
        assert views.mask is None and np.isfinite(h.masked).all()


def test_entropy_in_nats_of_known_rows():
    uniform = np.full((4, 4), 0.25)
    assert stages.entropy(uniform) == pytest.approx(math.log(4))
    assert stages.entropy(np.eye(4)) == 0.0
    causal_uniform = np.tril(np.ones((3, 3))) / np.arange(1, 4)[:, None]  # rows: 1 key, 2 keys, 3 keys
    assert stages.entropy(causal_uniform) == pytest.approx((math.log(2) + math.log(3)) / 3)
    both = np.stack([uniform, np.eye(4)])[None]  # (1, 2, 4, 4): layers, heads
    np.testing.assert_allclose(stages.entropy(both), [[math.log(4), 0.0]])


def test_pattern_shares_of_known_maps():
    names = stages.patterns(mirrored=True)
    assert names == ("previous", "self", "first", "mirror") and stages.patterns(False) == names[:3]
    identity, anti = np.eye(4), np.eye(4)[::-1]
    np.testing.assert_allclose(stages.shares(identity, names), [0, 1, 0, 0])
    # anti-diagonal: query i reads key 3-i. previous (queries 1-3): only query 2 reads key 1 -> 1/3; first
    # (queries 1-3, position 0 skipped): only query 3 reads key 0 -> 1/3.
    np.testing.assert_allclose(stages.shares(anti, names), [1 / 3, 0, 1 / 3, 1])
    shifted = np.eye(4, k=-1)
    shifted[0, 0] = 1  # query 0 has no previous token: it reads itself
    np.testing.assert_allclose(stages.shares(shifted, names), [1, 0.25, 1 / 3, 0.25])  # query 2 reads key 1: mirrored
    np.testing.assert_allclose(stages.shares(np.full((4, 4), 0.25), names), [0.25] * 4)
    with pytest.raises(ValueError, match="Unknown pattern"):
        stages.pattern_keys("next", 4)


def test_summary_lists_every_head_with_its_entropy_and_shares():
    config, model = _model("reverse")
    views = probe_views(model, tasks.spec(config.task), tasks.probe(config.task).inputs, mirrored=True)
    heads = views.summary()["heads"]
    assert [(h["layer"], h["head"]) for h in heads] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert set(heads[0]) == {"layer", "head", "entropy", "previous", "self", "first", "mirror"}
    assert heads[3]["entropy"] == pytest.approx(float(stages.entropy(views.attention[1, 1])), abs=1e-4)
    assert heads[2]["mirror"] == pytest.approx(float(np.diag(views.attention[1, 0][::-1]).mean()), abs=1e-4)


def test_a_trained_reverse_head_locks_onto_the_mirror():
    """The reverse preset's single head, trained, puts most of its weight on the mirrored position and its
    entropy falls from near ln T; every evaluation carries the statistics (the head's story)."""
    config = AttentionRunConfig(
        TaskConfig("reverse", seq_len=6, vocab_size=10),
        TransformerConfig(d_model=32, n_heads=1, n_layers=1, d_ff=64, positional="learned", context=16),
        AttentionTrainConfig(batch_size=64, steps=300, eval_every=100))
    events: list = []
    train(config, events.append)
    views = [e.views for e in events if isinstance(e, EvalEnded)]
    assert all(v.patterns == ("previous", "self", "first", "mirror") and v.shares.shape == (4, 1, 1) for v in views)
    first, last = views[0], views[-1]
    assert last.shares[3, 0, 0] > 0.8 > first.shares[3, 0, 0]
    assert last.entropy[0, 0] < 0.5 * first.entropy[0, 0]
    assert first.entropy[0, 0] > 0.8 * math.log(6)


def test_a_one_token_input_has_no_previous_or_first_share():
    """On one token, "previous" and "first" are defined nowhere (NaN), "self" is the whole row, entropy 0."""
    names = stages.patterns(False)
    np.testing.assert_array_equal(stages.shares(np.ones((1, 1)), names), [np.nan, 1.0, np.nan])
    assert stages.entropy(np.ones((1, 1))) == 0.0
