"""A Transformer run as a runnable PyTorch script, for the tasks that can say their targets as one line of numpy
(a task's `script_targets`: the symbol tasks); other tasks are refused with the reason.

`render(config)` fills a `string.Template` with the config's values (repr()). The file imports only torch and
numpy and follows the app: the training stream and the held-out set drawn as attention/tasks draw them (generators
seeded with [seed, 0] and [seed, 1]), the Transformer of attention/model.py (its layers created in the same order,
under `torch.manual_seed(seed)` as torchkit.seeded_model does), the optimizer of torchkit.make_optimizer, the
cross-entropy of training.loss_and_accuracy, and the held-out accuracy scored in the trainer's chunks. On CPU it
prints the app's final validation accuracy (as test_accuracy) to 4 decimals; with dropout, as for the MLP script,
the app's masks come from torch's unseeded global generator, which the script seeds.
"""

from __future__ import annotations

from string import Template

from playground.attention import tasks
from playground.attention.config import AttentionRunConfig
from playground.attention.training import eval_chunk
from playground.script_parts import optimizer_values


def render(config: AttentionRunConfig) -> str:
    """The script's Python source for `config`. Raises ValueError for a task whose data it cannot rebuild."""
    task = tasks.task_of(config.task)
    targets = getattr(task, "script_targets", "")
    if not targets:
        covered = ", ".join(name for name, t in tasks.TASKS.items() if getattr(t, "script_targets", ""))
        raise ValueError(f"A script can rebuild the {covered} tasks only; the {task.label} task's data is not "
                         "written out for one.")
    t, m, tr = config.task, config.model, config.training
    values = {
        "task": task.label, "targets": targets, "symbols": repr("".join(tasks.spec(t).vocab.tokens)),
        "seq_len": repr(t.seq_len), "vocab_size": repr(t.vocab_size), "data_seed": repr(t.seed),
        "n_held_out": repr(task.n_held_out), "d_model": repr(m.d_model), "n_heads": repr(m.n_heads),
        "n_layers": repr(m.n_layers), "d_ff": repr(m.d_ff), "activation": repr(m.activation),
        "positional": repr(m.positional), "dropout": repr(m.dropout), "context": repr(m.context),
        "batch_size": repr(tr.batch_size), "steps": repr(tr.steps), **optimizer_values(tr),
        "seed": repr(tr.seed), "eval_chunk": repr(eval_chunk(tr.batch_size)),
    }
    return _TEMPLATE.substitute(values)


_TEMPLATE = Template('''"""Train a tiny Transformer on the $task task, as the attention playground trains it.

Needs torch and numpy only. Run it with `python this_file.py`: it draws the same training stream and held-out set,
builds the same model, trains it and prints the held-out token accuracy on one line (test_accuracy=...). On CPU it
reaches the playground's result (its "validation accuracy"); with dropout, the playground draws its masks from
torch's global generator, which it does not seed (two of its runs differ too; this script seeds it).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SYMBOLS = $symbols  # token id -> symbol
SEQ_LEN = $seq_len
VOCAB_SIZE = $vocab_size
DATA_SEED = $data_seed  # the training stream draws from a generator seeded [DATA_SEED, 0], the held-out set [.., 1]
N_HELD_OUT = $n_held_out
D_MODEL = $d_model
N_HEADS = $n_heads
N_LAYERS = $n_layers
D_FF = $d_ff
ACTIVATION = $activation
POSITIONAL = $positional  # sinusoidal or learned
DROPOUT = $dropout
CONTEXT = $context
LEARNING_RATE = $learning_rate
BATCH_SIZE = $batch_size
STEPS = $steps
WEIGHT_DECAY = $weight_decay
SEED = $seed  # seeds the initial weights
EVAL_CHUNK = $eval_chunk  # held-out sequences per forward pass
DEVICE = "cpu"  # the playground's result is reproduced on CPU


def batch(n, rng):
    """n sequences of SEQ_LEN symbol ids (inputs) and the id expected at each position (targets), (n, T) each."""
    x = rng.integers(0, VOCAB_SIZE, size=(n, SEQ_LEN))
    return torch.as_tensor(np.ascontiguousarray(x)), torch.as_tensor(np.ascontiguousarray($targets))


def sinusoidal_positions(n_positions, d_model):
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...) (Vaswani et al., 2017, 3.5)."""
    pos = torch.arange(n_positions, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(n_positions, d_model)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)[:, : d_model // 2]
    return pe


class MultiHeadSelfAttention(nn.Module):
    """softmax(Q K^T / sqrt(d_k)) V for N_HEADS heads of width d_k = D_MODEL / N_HEADS, concatenated, projected."""

    def __init__(self):
        super().__init__()
        self.n_heads, self.d_k = N_HEADS, D_MODEL // N_HEADS
        self.qkv = nn.Linear(D_MODEL, 3 * D_MODEL)
        self.out = nn.Linear(D_MODEL, D_MODEL)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.n_heads, self.d_k).permute(2, 0, 3, 1, 4)  # each (B, H, T, d_k)
        weights = ((q @ k.transpose(-2, -1)) / math.sqrt(self.d_k)).softmax(dim=-1)  # (B, H, T, T)
        heads = self.dropout(weights) @ v  # (B, H, T, d_k)
        return self.out(heads.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """A pre-norm block: x + Dropout(MHSA(LN(x))), then x + Dropout(FF(LN(x)))."""

    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D_MODEL)
        self.attn = MultiHeadSelfAttention()
        self.ln2 = nn.LayerNorm(D_MODEL)
        activation = {"relu": nn.ReLU, "gelu": nn.GELU}[ACTIVATION]
        self.ff = nn.Sequential(nn.Linear(D_MODEL, D_FF), activation(), nn.Linear(D_FF, D_MODEL))
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, x):
        x = x + self.dropout(self.attn(self.ln1(x)))
        return x + self.dropout(self.ff(self.ln2(x)))


class Transformer(nn.Module):
    """Token embedding + positions -> N_LAYERS blocks -> LayerNorm -> a label per position (logits)."""

    def __init__(self, n_outputs):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, D_MODEL)
        if POSITIONAL == "learned":
            self.positions = nn.Parameter(torch.randn(CONTEXT, D_MODEL) * 0.02)
        else:
            self.register_buffer("positions", sinusoidal_positions(CONTEXT, D_MODEL), persistent=False)
        self.dropout = nn.Dropout(DROPOUT)
        self.blocks = nn.ModuleList(Block() for _ in range(N_LAYERS))
        self.ln_f = nn.LayerNorm(D_MODEL)
        self.head = nn.Linear(D_MODEL, n_outputs)

    def forward(self, tokens):
        x = self.dropout(self.embed(tokens) + self.positions[: tokens.shape[1]])  # (B, T, D_MODEL)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))  # (B, T, n_outputs)


$make_optimizer


def main():
    torch.set_num_threads(1)  # as the playground trains: a small network is fastest on one thread
    torch.manual_seed(SEED)  # the initial weights
    model = Transformer(VOCAB_SIZE).to(DEVICE)
    torch.manual_seed(SEED)  # dropout's masks (see the docstring)
    optimizer = make_optimizer(model.parameters())
    stream = np.random.default_rng([DATA_SEED, 0])
    for step in range(1, STEPS + 1):
        x, y = batch(BATCH_SIZE, stream)
        optimizer.zero_grad(set_to_none=True)
        logits = model(x.to(DEVICE))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.to(DEVICE).reshape(-1))
        if not math.isfinite(loss.item()):
            raise SystemExit(f"The loss reached {loss.item()} at step {step}: training diverged.")
        loss.backward()
        optimizer.step()
        if step % max(1, STEPS // 10) == 0 or step == STEPS:
            print(f"step {step}/{STEPS}: batch loss {loss.item():.4f}")

    model.eval()
    x, y = batch(N_HELD_OUT, np.random.default_rng([DATA_SEED, 1]))
    correct = scored = 0.0
    with torch.no_grad():
        for i in range(0, len(x), EVAL_CHUNK):  # chunk by chunk, as the playground scores
            logits, targets = model(x[i : i + EVAL_CHUNK].to(DEVICE)), y[i : i + EVAL_CHUNK].to(DEVICE).reshape(-1)
            hits = (logits.reshape(-1, logits.shape[-1]).argmax(-1) == targets).float().mean().item()
            correct, scored = correct + hits * len(targets), scored + len(targets)
    print(f"test_accuracy={correct / scored:.4f}")


if __name__ == "__main__":
    main()
''')
