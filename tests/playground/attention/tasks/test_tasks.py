"""Sequence tasks: labels on worked examples, shapes, determinism, splits, probes, encoding and sampling."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from playground.attention import inference, tasks
from playground.attention.config import AttentionRunConfig, TaskConfig, TransformerConfig
from playground.attention.corpus import CORPUS
from playground.attention.model import Transformer
from playground.attention.presets import PRESETS
from playground.attention.tasks import MAX_TEXT_CHARS, TASK_NAMES, sentiment
from playground.torchkit import seeded_model


def _batch(cfg: TaskConfig, n: int = 16, seed: int = 0) -> tasks.Batch:
    return tasks.make_batch(cfg, n, np.random.default_rng(seed))


def _strings(cfg: TaskConfig, ids) -> list[str]:
    return tasks.spec(cfg).vocab.decode(ids)


@pytest.mark.parametrize("task", TASK_NAMES)
def test_shapes_dtypes_and_determinism(task):
    cfg = TaskConfig(task, seq_len=14 if task == "sentiment" else 8, vocab_size=6)
    a, b, c = _batch(cfg, seed=1), _batch(cfg, seed=1), _batch(cfg, seed=2)
    assert a.inputs.shape == (16, cfg.seq_len) and a.inputs.dtype == torch.long
    assert a.targets.shape == ((16,) if task == "sentiment" else (16, cfg.seq_len))
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    assert not torch.equal(a.inputs, c.inputs)
    assert int(a.inputs.max()) < len(tasks.spec(cfg).vocab)
    scored = a.targets[a.targets != tasks.IGNORE]
    assert 0 <= int(scored.min()) and int(scored.max()) < len(tasks.spec(cfg).outputs)


def test_copy_reverse_sort_labels():
    for task, rule in [("copy", lambda s: s), ("reverse", lambda s: s[::-1]), ("sort", sorted)]:
        cfg = TaskConfig(task, seq_len=6, vocab_size=10)
        batch = _batch(cfg)
        for x, y in zip(batch.inputs, batch.targets, strict=True):
            assert _strings(cfg, y) == list(rule(_strings(cfg, x)))
    cfg = TaskConfig("reverse", seq_len=4, vocab_size=10)
    assert tasks.encode(cfg, "3 1 4 1").tolist() == [[3, 1, 4, 1]] == tasks.encode(cfg, "3141").tolist()


def test_key_value_labels():
    cfg = TaskConfig("key_value", seq_len=6, vocab_size=6)
    batch = _batch(cfg, n=64)
    for x, y in zip(batch.inputs, batch.targets, strict=True):
        tokens = _strings(cfg, x)  # e.g. ["d3", "c8", "f5", "e0", "=", "d"]
        pairs = dict(tokens[:-2])  # "d3" -> ("d", "3")
        assert tokens[-2] == "=" and len(pairs) == 4
        assert y[:-1].eq(tasks.IGNORE).all()
        assert tasks.spec(cfg).outputs[int(y[-1])] == pairs[tokens[-1]]
    assert tasks.encode(cfg, "a3 c1 b7 d2 = c").tolist() == tasks.encode(cfg, "a3c1b7d2=c").tolist()


@pytest.mark.parametrize(("sentence", "label"), [
    ("the movie was good", 1), ("the movie was not good", 0), ("the film is not very bad", 1),
    ("the plot was dull but the music was great", 1), ("the plot was great but the music was not good", 0),
    ("the acting was not good but the ending was not bad", 1),
])
def test_sentiment_worked_examples(sentence, label):
    assert sentiment.label(sentence.split()) == label


def test_sentiment_batches_follow_the_rule_and_fit():
    cfg = TaskConfig("sentiment", seq_len=14)
    batch = _batch(cfg, n=200)
    assert batch.inputs[:, 0].eq(1).all()  # [CLS] first
    for x, y in zip(batch.inputs, batch.targets, strict=True):
        words = [w for w in _strings(cfg, x)[1:] if w != tasks.PAD]
        assert int(y) == sentiment.label(words)
    assert 0.3 < batch.targets.float().mean() < 0.7  # balanced classes
    assert (batch.inputs == 0).any()  # some sentences are padded


def test_sentiment_held_out_sentences_never_appear_in_training():
    cfg = TaskConfig("sentiment", seq_len=14)

    def sentences(batch):
        return {tuple(_strings(cfg, x)) for x in batch.inputs}

    assert not sentences(tasks.held_out(cfg)) & sentences(_batch(cfg, n=2000))


def test_held_out_is_fixed_and_differs_from_training():
    cfg = TaskConfig("reverse", seq_len=8, vocab_size=10, seed=5)
    a, b = tasks.held_out(cfg), tasks.held_out(cfg)
    assert torch.equal(a.inputs, b.inputs) and len(a.inputs) == tasks.N_HELD_OUT
    train = tasks.make_batch(cfg, 512, tasks.train_rng(cfg))
    assert not torch.equal(train.inputs, a.inputs)


def test_char_lm_targets_are_the_next_characters_and_held_out_is_the_last_tenth():
    cfg = TaskConfig("char_lm", seq_len=16)
    spec = tasks.spec(cfg)
    batch = _batch(cfg)
    assert torch.equal(batch.inputs[:, 1:], batch.targets[:, :-1])
    train, held = spec.splits
    assert len(train) + len(held) == len(CORPUS) and len(held) == len(CORPUS) - int(len(CORPUS) * 0.9)
    window = "".join(spec.vocab.decode(tasks.held_out(cfg).inputs[0]))
    assert window in CORPUS[int(len(CORPUS) * 0.9):]


def test_char_lm_uses_the_users_text():
    text = "abc abd " * 30
    cfg = TaskConfig("char_lm", seq_len=8, text=text)
    assert tasks.spec(cfg).vocab.tokens == (" ", "a", "b", "c", "d")


@pytest.mark.parametrize("task", TASK_NAMES)
def test_probe_is_fixed_and_labelled(task):
    cfg = TaskConfig(task, seq_len=14 if task == "sentiment" else 10, vocab_size=10)
    a, b = tasks.probe(cfg), tasks.probe(cfg)
    assert torch.equal(a.inputs, b.inputs) and a.tokens == b.tokens
    assert a.inputs.shape == (1, len(a.tokens))
    assert len(a.targets) == (1 if task == "sentiment" else len(a.tokens))


def test_reverse_probe_has_distinct_symbols():
    probe = tasks.probe(TaskConfig("reverse", seq_len=10, vocab_size=10))
    assert sorted(probe.tokens) == list("0123456789") and probe.targets == probe.tokens[::-1]


def test_sentiment_probe_is_the_negation_example():
    probe = tasks.probe(TaskConfig("sentiment", seq_len=14))
    assert probe.tokens[0] == tasks.CLS and "not" in probe.tokens and probe.targets == ["negative"]


@pytest.mark.parametrize(("cfg", "text", "message"), [
    (TaskConfig("reverse", seq_len=4), "", "empty"),
    (TaskConfig("reverse", seq_len=4), "12345", "at most 4"),
    (TaskConfig("reverse", seq_len=4), "123", "reads exactly 4"),
    (TaskConfig("reverse", seq_len=4, vocab_size=5), "1239", "Unknown token '9'"),
    (TaskConfig("key_value", seq_len=5, vocab_size=6), "a3 b4 c1", "'=' and a key"),
    (TaskConfig("key_value", seq_len=5, vocab_size=6), "a3 a4 c1 = a", "each key once"),
    (TaskConfig("key_value", seq_len=5, vocab_size=6), "a3 b4 c1 = d", "each key once"),
    (TaskConfig("sentiment", seq_len=14), "the movie was fantastic", "Unknown token 'fantastic'"),
    (TaskConfig("sentiment", seq_len=14), "the movie " * 7, "at most 13"),
    (TaskConfig("char_lm", seq_len=8), "the sea!", "Unknown token '!'"),
    (TaskConfig("char_lm", seq_len=8), "the sea was", "at most 8"),
])
def test_encode_rejects_bad_input_clearly(cfg, text, message):
    with pytest.raises(ValueError, match=message):
        tasks.encode(cfg, text)


def test_sentiment_encode_ignores_case_and_punctuation():
    cfg = TaskConfig("sentiment", seq_len=14)
    ids = tasks.encode(cfg, "The movie was NOT good!")
    assert _strings(cfg, ids[0]) == [tasks.CLS, "the", "movie", "was", "not", "good"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"task": "char_lm", "seq_len": 8, "text": "ab\x00" * 100}, "binary"),
    ({"task": "char_lm", "seq_len": 32, "text": "short text"}, "too short"),
    ({"task": "char_lm", "seq_len": 8, "text": "a" * (MAX_TEXT_CHARS + 1)}, "too long"),
    ({"task": "char_lm", "seq_len": 8, "text": "".join(chr(0x4E00 + i) for i in range(300))}, "distinct"),
    ({"task": "key_value", "seq_len": 10, "vocab_size": 4}, "distinct keys"),
    ({"task": "sentiment", "seq_len": 8}, "at least 14"),
    ({"task": "anagram"}, "task must be one of"),
])
def test_task_config_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TaskConfig(**kwargs)


def test_config_messages_and_round_trip():
    with pytest.raises(ValueError, match=r"d_model \(30\) must be divisible by n_heads \(4\)"):
        TransformerConfig(d_model=30, n_heads=4)
    with pytest.raises(ValueError, match="longer than the model's context"):
        AttentionRunConfig(TaskConfig(seq_len=40), TransformerConfig(context=32))
    cfg = AttentionRunConfig(TaskConfig("char_lm", seq_len=16, text="one two\r\nthree " * 20))
    assert "\r" not in cfg.task.text
    assert AttentionRunConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ValueError, match="Unknown"):
        AttentionRunConfig.from_dict({"task": {"colour": "red"}})


def _lm_model(cfg: TaskConfig) -> Transformer:
    n = len(tasks.spec(cfg).vocab)
    model_cfg = TransformerConfig(d_model=16, n_heads=2, n_layers=1, d_ff=32, context=cfg.seq_len)
    return seeded_model(0, lambda: Transformer(n, n, model_cfg, causal=True)).eval()


def test_sample_greedy_topk_and_seed():
    cfg = TaskConfig("char_lm", seq_len=8)
    model, prompt = _lm_model(cfg), tasks.encode(cfg, "the sea")
    greedy = inference.sample(model, cfg, prompt, 20, temperature=0)
    assert len(greedy) == 20 and set(greedy) <= set(CORPUS)
    assert inference.sample(model, cfg, prompt, 20, temperature=1.0, top_k=1) == greedy
    a = inference.sample(model, cfg, prompt, 30, 1.5, 0, torch.Generator().manual_seed(1))
    b = inference.sample(model, cfg, prompt, 30, 1.5, 0, torch.Generator().manual_seed(1))
    assert a == b


EXAMPLE_CONFIGS = [
    *(TaskConfig(task, seq_len=n, vocab_size=v) for task in ("copy", "reverse", "sort")
      for n in (2, 8, 50, 128) for v in (2, 10, 26)),
    *(TaskConfig("key_value", seq_len=n, vocab_size=26) for n in (3, 4, 5, 8, 12, 28)),
    TaskConfig("key_value", seq_len=8, vocab_size=6),
    TaskConfig("sentiment", seq_len=14),
    TaskConfig("char_lm", seq_len=2), TaskConfig("char_lm", seq_len=32),
    TaskConfig("char_lm", seq_len=16, text="xyz\n" * 100),
]


@pytest.mark.parametrize("cfg", EXAMPLE_CONFIGS, ids=lambda c: f"{c.task}-{c.seq_len}-{c.vocab_size}")
def test_example_is_a_valid_input_for_its_config(cfg):
    example = tasks.example(cfg)
    tasks.encode(cfg, example)  # raises if the example does not fit
    assert example in tasks.input_help(cfg)


def test_recall_examples_fit_the_recall_preset():
    """The README, the preset's description and the messages show inputs the recall preset accepts."""
    description, config = PRESETS["recall"].description, PRESETS["recall"].config
    cfg = config.task
    assert tasks.example(cfg) == "a3 c1 b7 d4 e9 f0 = c"
    quoted = re.search(r"'([^']*=[^']*)'", description).group(1)
    readme = Path(__file__).resolve().parents[4].joinpath("README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| recall |"))
    for example in (quoted, re.search(r"`([^`]*)`", row).group(1)):
        assert tasks.encode(cfg, example).shape == (1, cfg.seq_len), example
    with pytest.raises(ValueError) as e:
        tasks.encode(cfg, "a3 c1 b7 = c")
    message = str(e.value)
    assert "exactly 8 tokens (6 key-value pairs" in message and "one per character" not in message
    tasks.encode(cfg, re.search(r"e\.g\. '([^']*)'", message).group(1))  # the message's own example fits


@pytest.mark.parametrize(("text", "message"), [
    ("a3 b4 c1", "'=' and a key"), ("a3 a4 c1 d2 e5 f6 = a", "each key once"),
])
def test_key_value_messages_give_an_example_for_the_config(text, message):
    cfg = TaskConfig("key_value", seq_len=8, vocab_size=8)
    with pytest.raises(ValueError, match=message) as e:
        tasks.encode(cfg, text)
    assert tasks.example(cfg) in str(e.value)
