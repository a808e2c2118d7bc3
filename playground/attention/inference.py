"""Run a trained tiny Transformer on a person's own input, from a copy of its weights.

The UI never touches the live model: these functions rebuild the model on the CPU from the numpy
state in an `EvalEnded` (or a job snapshot), so they are safe to call from any thread while training
goes on. Bad input raises ValueError with a message fit to show. `sample` continues a prompt with a
causal model (temperature, top-k and top-p); `next_char_distribution` shows what one draw would use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.attention import tasks
from playground.attention.config import AttentionRunConfig, TaskConfig
from playground.attention.model import Transformer
from playground.attention.sampling import NextChar, adjusted, check_settings, next_char
from playground.attention.training import build_model, probe_views
from playground.attention.views import AttentionViews

MAX_GENERATE_CHARS = 2000
MAX_PROMPT_CHARS = 2000


@dataclass(frozen=True)
class InferenceResult:
    """The model's answer to one input, with its attention."""

    tokens: list[str]  # the T input tokens as display strings ([CLS] first for sentiment)
    prediction: str  # copy/reverse/sort: output symbols; key_value: the value; sentiment: the label;
    # char_lm: the most likely next character (as a display string)
    outputs: list[str]  # most likely output per position (T), or [label] for sentiment
    probabilities: np.ndarray  # (T,) float32 confidence per position, or (2,) class probabilities
    attention: np.ndarray  # (n_layers, n_heads, T, T) float32, rows sum to 1
    views: AttentionViews | None = None  # everything the trainer computes for its probe, on this input


def load_model(config: AttentionRunConfig, state: dict[str, np.ndarray]) -> Transformer:
    """The model of `config` on the CPU with the weights `state`, in eval mode.

    Raises ValueError when the weights do not fit the configuration (other sizes or task).
    """
    model = build_model(config)
    try:
        model.load_state_dict({k: torch.as_tensor(np.array(v)) for k, v in state.items()}, strict=True)
    except RuntimeError as e:
        first = str(e).splitlines()[1].strip() if "\n" in str(e) else str(e)
        raise ValueError(f"These weights do not fit this configuration: {first}") from None
    return model.eval()


def run_input(config: AttentionRunConfig, state: dict[str, np.ndarray], text: str) -> InferenceResult:
    """Encode `text` as the task does (see `tasks.encode`), run the model, return prediction and attention.

    Raises ValueError for empty or too long input, unknown symbols, words or characters, and (for
    key_value) a malformed query.
    """
    ids = tasks.encode(config.task, text)  # (1, T)
    s = tasks.spec(config.task)
    with torch.no_grad():
        views = probe_views(load_model(config, state), s, ids, tasks.task_of(config.task).mirrored)
    outputs = [str(o) for o in views.prediction]
    if tasks.task_of(config.task).answer_only:
        prediction = outputs[-1]  # the value, or the next character (space shown as "␣")
    else:
        prediction = "".join(outputs) if s.kind == "tag" else outputs[0]
    tokens = [tasks.display(t) for t in s.vocab.decode(ids[0])]
    return InferenceResult(tokens, prediction, outputs, views.probabilities, views.attention, views)


def _lm_prompt(config: AttentionRunConfig, prompt: str) -> torch.Tensor:
    """The prompt as (1, T) ids for a char_lm. Raises ValueError for another task, an empty, too long or
    unknown-character prompt."""
    cfg = config.task
    if not tasks.task_of(cfg).takes_text:
        raise ValueError(f"Text generation needs the char_lm task; this model does {cfg.task}.")
    if not prompt:
        raise ValueError("Type a prompt of at least one character.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"The prompt has {len(prompt):,} characters; at most {MAX_PROMPT_CHARS:,}.")
    return torch.tensor([tasks.spec(cfg).vocab.encode(list(prompt))])


def generate(
    config: AttentionRunConfig, state: dict[str, np.ndarray], prompt: str, n_chars: int = 200,
    temperature: float = 1.0, top_k: int = 0, seed: int = 0, top_p: float = 1.0,
) -> str:
    """Continue `prompt` by `n_chars` characters with a trained char_lm (the continuation only).

    temperature in [0, 5] (0: always the most likely character); top_k 0 (all) up to the vocabulary
    size; top_p in (0, 1] (1: all); `seed` makes the draw repeatable. The model sees the last seq_len
    characters. Raises ValueError for another task, an empty or unknown-character prompt, or out-of-range
    settings.
    """
    ids = _lm_prompt(config, prompt)
    if not (isinstance(n_chars, int) and 1 <= n_chars <= MAX_GENERATE_CHARS):
        raise ValueError(f"Generate between 1 and {MAX_GENERATE_CHARS} characters; got {n_chars!r}.")
    check_settings(temperature, top_k, top_p, len(tasks.spec(config.task).vocab))
    model = load_model(config, state)
    return sample(model, config.task, ids, n_chars, temperature, top_k, torch.Generator().manual_seed(seed), top_p)


def next_char_distribution(
    config: AttentionRunConfig, state: dict[str, np.ndarray], prompt: str, temperature: float = 1.0,
    top_k: int = 0, top_p: float = 1.0,
) -> NextChar:
    """The next character's distribution after `prompt` (its last seq_len characters), before and after the
    sampling settings. Raises ValueError as `generate` does."""
    ids = _lm_prompt(config, prompt)
    s = tasks.spec(config.task)
    check_settings(temperature, top_k, top_p, len(s.vocab))
    chars = [tasks.display(c) for c in s.outputs]
    return next_char(load_model(config, state), ids[:, -config.task.seq_len :], chars, temperature, top_k, top_p)


@torch.no_grad()
def sample(
    model: torch.nn.Module, cfg: TaskConfig, prompt: torch.Tensor, n_chars: int,
    temperature: float = 1.0, top_k: int = 0, generator: torch.Generator | None = None, top_p: float = 1.0,
) -> str:
    """Continue `prompt` ((1, T) ids on the model's device) by `n_chars` characters from a causal model.

    Each step feeds the last seq_len ids and draws from the last logits reshaped by temperature (0 means greedy,
    always the most likely character), top_k and top_p (see playground.attention.sampling.adjusted) with
    `generator` (a CPU generator; None uses torch's global RNG).
    """
    model.eval()
    ids, out = prompt, []
    for _ in range(n_chars):
        logits = model(ids[:, -cfg.seq_len :])[0, -1].float().cpu()  # (C,)
        if temperature == 0:
            nxt = int(logits.argmax())
        else:
            nxt = int(torch.multinomial(adjusted(logits, temperature, top_k, top_p), 1, generator=generator))
        out.append(nxt)
        ids = torch.cat([ids, torch.tensor([[nxt]], device=ids.device)], dim=1)
    return "".join(tasks.spec(cfg).vocab.decode(out))
