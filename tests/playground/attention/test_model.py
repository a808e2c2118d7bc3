"""The tiny Transformer: shapes, masks, equivalence with PyTorch's attention, and that it can learn."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from playground.attention.config import TransformerConfig
from playground.attention.model import (
    MultiHeadSelfAttention,
    Transformer,
    scaled_dot_product_attention,
    sinusoidal_positions,
)
from playground.torchkit import seeded_model

CFG = TransformerConfig(d_model=32, n_heads=4, n_layers=2, d_ff=64, context=16)


def _tokens(b: int = 3, t: int = 7, vocab: int = 11, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, vocab, (b, t), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_tag_head_shapes_and_attention(positional):
    cfg = TransformerConfig(d_model=32, n_heads=4, n_layers=3, d_ff=64, positional=positional, context=16)
    model = Transformer(11, 5, cfg).eval()
    logits, attention = model(_tokens(), return_attention=True)
    assert logits.shape == (3, 7, 5)
    assert len(attention) == 3 and all(w.shape == (3, 4, 7, 7) for w in attention)
    assert model(_tokens()).shape == (3, 7, 5)  # without return_attention: logits only


def test_cls_head_shape():
    model = Transformer(11, 2, CFG, head="cls", pad_id=0).eval()
    assert model(_tokens()).shape == (3, 2)


def test_every_attention_row_sums_to_one():
    for causal in (False, True):
        _, attention = Transformer(11, 5, CFG, causal=causal).eval()(_tokens(), return_attention=True)
        for w in attention:
            torch.testing.assert_close(w.sum(-1), torch.ones(3, 4, 7))


def test_causal_attention_is_zero_above_the_diagonal():
    _, attention = Transformer(11, 5, CFG, causal=True).eval()(_tokens(), return_attention=True)
    upper = torch.ones(7, 7, dtype=torch.bool).triu(1)
    for w in attention:
        assert torch.all(w[..., upper] == 0)
        assert torch.all(w[..., ~upper] > 0)


def test_padding_is_never_attended_to_and_does_not_change_real_positions():
    model = Transformer(11, 2, CFG, head="cls", pad_id=0).eval()
    short = torch.tensor([[1, 5, 6, 7]])
    padded = torch.tensor([[1, 5, 6, 7, 0, 0, 0]])
    logits_short = model(short)
    logits_padded, attention = model(padded, return_attention=True)
    for w in attention:
        assert torch.all(w[..., 4:] == 0)
    torch.testing.assert_close(logits_padded, logits_short)


def test_attention_equals_pytorch_scaled_dot_product_attention():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 3, 6, 8, generator=g) for _ in range(3))  # (B, H, T, d_k)
    out, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    out, _ = scaled_dot_product_attention(q, k, v, causal)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True))
    keys = torch.tensor([True, True, True, False, True, False])[None, None, None, :]
    out, weights = scaled_dot_product_attention(q, k, v, keys)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=keys))
    assert torch.all(weights[..., 3] == 0) and torch.all(weights[..., 5] == 0)


def test_module_attention_is_the_formula_on_its_own_projections():
    torch.manual_seed(0)
    attn = MultiHeadSelfAttention(d_model=16, n_heads=2, dropout=0.0).eval()
    x = torch.randn(2, 5, 16)
    out, weights = attn(x, None)
    q, k, v = attn.qkv(x).view(2, 5, 3, 2, 8).permute(2, 0, 3, 1, 4)
    expected = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(2, 5, 16)
    torch.testing.assert_close(out, attn.out(expected))
    torch.testing.assert_close(weights, (q @ k.transpose(-2, -1) / math.sqrt(8)).softmax(-1))


def test_weights_are_taken_before_dropout():
    cfg = TransformerConfig(d_model=32, n_heads=4, n_layers=1, d_ff=64, dropout=0.5, context=16)
    model = Transformer(11, 5, cfg).train()
    _, attention = model(_tokens(), return_attention=True)
    torch.testing.assert_close(attention[0].sum(-1), torch.ones(3, 4, 7))


def test_sinusoidal_positions_follow_vaswani():
    pe = sinusoidal_positions(10, 8)
    assert pe.shape == (10, 8)
    assert pe[3, 0] == pytest.approx(math.sin(3)) and pe[3, 1] == pytest.approx(math.cos(3))
    assert pe[5, 2] == pytest.approx(math.sin(5 / 10000 ** (2 / 8)))
    assert pe[5, 7] == pytest.approx(math.cos(5 / 10000 ** (6 / 8)))


def test_sequence_longer_than_context_is_a_clear_error():
    with pytest.raises(ValueError, match="context is 16"):
        Transformer(11, 5, CFG)(_tokens(t=17))


def test_seeded_models_are_identical():
    a = seeded_model(3, lambda: Transformer(11, 5, CFG)).eval()
    b = seeded_model(3, lambda: Transformer(11, 5, CFG)).eval()
    torch.testing.assert_close(a(_tokens()), b(_tokens()))


def test_overfits_one_tiny_batch():
    model = seeded_model(0, lambda: Transformer(11, 11, CFG))
    x = _tokens(b=4, t=6)
    y = x.flip(1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        opt.zero_grad()
        loss = F.cross_entropy(model(x).reshape(-1, 11), y.reshape(-1))
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    assert torch.equal(model.eval()(x).argmax(-1), y)


def test_a_forward_pass_without_return_attention_frees_each_layers_maps(monkeypatch):
    """Evaluating without gradients holds one layer's attention maps at a time, not every layer's: the maps are
    n_heads * T^2 per sequence and layer, the largest tensors of a run (see playground.memory)."""
    import weakref

    from playground.attention import model as transformer

    maps: list[weakref.ref] = []
    alive_at_call: list[int] = []

    def recording(*args, **kwargs):
        alive_at_call.append(sum(ref() is not None for ref in maps))
        out, weights = scaled_dot_product_attention(*args, **kwargs)
        maps.append(weakref.ref(weights))
        return out, weights

    monkeypatch.setattr(transformer, "scaled_dot_product_attention", recording)
    cfg = TransformerConfig(d_model=32, n_heads=4, n_layers=4, d_ff=64, context=16)
    model = Transformer(11, 5, cfg).eval()
    with torch.no_grad():
        model(_tokens())
    assert alive_at_call == [0, 1, 1, 1]  # the previous layer's maps only, until its block returns
    with torch.no_grad():
        _, attention = model(_tokens(), return_attention=True)
    assert alive_at_call[4:] == [0, 1, 2, 3] and len(attention) == 4  # asked for: every layer's maps are kept
