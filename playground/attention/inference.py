"""Run a trained tiny Transformer on a person's own input, from a copy of its weights.

The UI never touches the live model: these functions rebuild the model on the CPU from the numpy
state in an `EvalEnded` (or a job snapshot), so they are safe to call from any thread while training
goes on. Bad input raises ValueError with a message fit to show. `sample` continues a prompt with a
causal model (temperature and top-k).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.attention import tasks
from playground.attention.config import AttentionRunConfig, TaskConfig
from playground.attention.model import Transformer
from playground.attention.training import build_model, probe_views
from playground.attention.views import AttentionViews

MAX_GENERATE_CHARS = 2000
MAX_PROMPT_CHARS = 2000
MAX_TEMPERATURE = 5.0


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


def generate(
    config: AttentionRunConfig, state: dict[str, np.ndarray], prompt: str, n_chars: int = 200,
    temperature: float = 1.0, top_k: int = 0, seed: int = 0,
) -> str:
    """Continue `prompt` by `n_chars` characters with a trained char_lm (the continuation only).

    temperature in [0, 5] (0: always the most likely character); top_k 0 (all) up to the vocabulary
    size; `seed` makes the draw repeatable. The model sees the last seq_len characters. Raises
    ValueError for another task, an empty or unknown-character prompt, or out-of-range settings.
    """
    cfg = config.task
    if not tasks.task_of(cfg).takes_text:
        raise ValueError(f"Text generation needs the char_lm task; this model does {cfg.task}.")
    if not prompt:
        raise ValueError("Type a prompt of at least one character.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"The prompt has {len(prompt):,} characters; at most {MAX_PROMPT_CHARS:,}.")
    if not (isinstance(n_chars, int) and 1 <= n_chars <= MAX_GENERATE_CHARS):
        raise ValueError(f"Generate between 1 and {MAX_GENERATE_CHARS} characters; got {n_chars!r}.")
    if not 0 <= temperature <= MAX_TEMPERATURE:
        raise ValueError(f"temperature must be between 0 and {MAX_TEMPERATURE:g}; got {temperature!r}.")
    s = tasks.spec(cfg)
    if not (isinstance(top_k, int) and 0 <= top_k <= len(s.vocab)):
        raise ValueError(f"top_k must be between 0 (all) and {len(s.vocab)}; got {top_k!r}.")
    ids = torch.tensor([s.vocab.encode(list(prompt))])
    model = load_model(config, state)
    return sample(model, cfg, ids, n_chars, temperature, top_k, torch.Generator().manual_seed(seed))


@torch.no_grad()
def sample(
    model: torch.nn.Module, cfg: TaskConfig, prompt: torch.Tensor, n_chars: int,
    temperature: float = 1.0, top_k: int = 0, generator: torch.Generator | None = None,
) -> str:
    """Continue `prompt` ((1, T) ids on the model's device) by `n_chars` characters from a causal model.

    Each step feeds the last seq_len ids, divides the last logits by `temperature` (0 means greedy,
    always the most likely character), keeps the `top_k` largest (0 keeps all; Fan et al., 2018) and
    draws from the softmax with `generator` (a CPU generator; None uses torch's global RNG).
    """
    model.eval()
    ids, out = prompt, []
    for _ in range(n_chars):
        logits = model(ids[:, -cfg.seq_len :])[0, -1].float().cpu()  # (C,)
        if temperature == 0:
            nxt = int(logits.argmax())
        else:
            logits = logits / temperature
            if 0 < top_k < len(logits):
                logits[logits < logits.topk(top_k).values[-1]] = float("-inf")
            nxt = int(torch.multinomial(logits.softmax(-1), 1, generator=generator))
        out.append(nxt)
        ids = torch.cat([ids, torch.tensor([[nxt]], device=ids.device)], dim=1)
    return "".join(tasks.spec(cfg).vocab.decode(out))
