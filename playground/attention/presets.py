"""Named starting points for the attention playground, each a complete `AttentionRunConfig`.

Each is sized to learn in well under a minute on a 2-core CPU and to show a known attention pattern.
The measured held-out accuracy and time of each are in benchmarks/ and the tests check "reverse".
"""

from __future__ import annotations

from playground.attention.config import AttentionRunConfig, AttentionTrainConfig, TaskConfig, TransformerConfig
from playground.presets import Preset


def _run(task: dict, model: dict, **training) -> AttentionRunConfig:
    return AttentionRunConfig(TaskConfig(**task), TransformerConfig(**model), AttentionTrainConfig(**training))


PRESETS: dict[str, Preset] = {
    "reverse": Preset(
        "reverse: 1 layer, 1 head. Each position must read its mirror image, so the anti-diagonal appears.",
        _run({"task": "reverse", "seq_len": 10, "vocab_size": 10},
             {"d_model": 32, "n_heads": 1, "n_layers": 1, "d_ff": 64, "positional": "learned", "context": 16},
             learning_rate=0.003, batch_size=64, steps=600, eval_every=25),
    ),
    "sort": Preset(
        "sort digits: 1 layer, 1 head. Left positions weigh the small digits, right ones the large: a soft rank.",
        _run({"task": "sort", "seq_len": 8, "vocab_size": 10},
             {"d_model": 64, "n_heads": 1, "n_layers": 1, "d_ff": 128, "positional": "learned", "context": 16},
             learning_rate=0.003, batch_size=64, steps=800, eval_every=25),
    ),
    "recall": Preset(
        "key-value recall: 1 layer, 2 heads. In 'a3 c1 b7 d4 e9 f0 = c' the query c finds its pair and answers 1.",
        _run({"task": "key_value", "seq_len": 8, "vocab_size": 8},
             {"d_model": 64, "n_heads": 2, "n_layers": 1, "d_ff": 128, "positional": "learned", "context": 16},
             learning_rate=0.003, batch_size=64, steps=500, eval_every=25),
    ),
    "sentiment": Preset(
        "sentiment with negation: 'the movie was not good' is negative. Watch [CLS] attend to 'not'.",
        _run({"task": "sentiment", "seq_len": 14},
             {"d_model": 64, "n_heads": 2, "n_layers": 1, "d_ff": 128, "context": 16},
             learning_rate=0.003, batch_size=64, steps=400, eval_every=25),
    ),
    "tiny-lm": Preset(
        "tiny language model: 2 layers, 4 heads, causal, on a built-in story. Sample text as it learns.",
        _run({"task": "char_lm", "seq_len": 32},
             {"d_model": 64, "n_heads": 4, "n_layers": 2, "d_ff": 256, "dropout": 0.1, "context": 32},
             learning_rate=0.003, batch_size=32, steps=600, eval_every=50),
    ),
}

DEFAULT_PRESET = "reverse"
