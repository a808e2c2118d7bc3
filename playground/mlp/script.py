"""A run as a runnable PyTorch script: one self-contained file that rebuilds the data, the model and the training
of an `MLPRunConfig` and prints its final test metric.

`render(config)` fills a `string.Template` with the config's values (each written with repr()). The file imports
only torch, numpy and scikit-learn, and follows the app step by step: the generator and seed of mlp/data.py, the
same split (stratified where data.py stratifies) and standardisation, the derived features of mlp/features.py,
the MLP of mlp/model.py built under `torch.manual_seed(seed)` as torchkit.seeded_model builds it, the optimizer
of torchkit.make_optimizer, each epoch's batch order from a `torch.Generator` seeded with the training seed, and
the same loss. On CPU it ends at the app's final test metric for the same config, to the 4 decimals it prints,
dropout included (the app draws its masks from a generator seeded with torchkit.dropout_seed(seed); the script
seeds torch's global generator so after building the model, and nn.Dropout draws the same masks), except a diverging
run (the app stops it, the script stops at a non-finite loss only).
"""

from __future__ import annotations

import json
import textwrap
from string import Template

from playground.mlp.config import CLASSIFICATION_2D, REGRESSION_2D, MLPRunConfig
from playground.script_parts import optimizer_values

# How each built-in dataset is made, as mlp/data.py makes it (GENERATORS, LOADERS): code for the body of
# load_data(), which must set x, y and class_names; a generator's code draws from `rng`,
# np.random.default_rng(DATA_SEED).
_SEED = "int(rng.integers(2**31 - 1))"  # data._seed: scikit-learn's random_state, drawn from the generator
_GENERATED = {
    "moons": f"x, y = datasets.make_moons(N_SAMPLES, noise=NOISE, random_state={_SEED})",
    "circles": f"x, y = datasets.make_circles(N_SAMPLES, noise=NOISE, factor=0.5, random_state={_SEED})",
    "blobs": f"x, y = datasets.make_blobs(N_SAMPLES, centers=N_CLASSES, cluster_std=0.5 + NOISE,\n"
             f"                                  center_box=(-4.0, 4.0), random_state={_SEED})",
    "xor": "x = rng.uniform(-1.0, 1.0, size=(N_SAMPLES, 2))\n"
           "y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # class 1 in quadrants I and III, labelled before noise\n"
           "x = x + rng.normal(0.0, NOISE, x.shape)",
    "spiral": "y = np.arange(N_SAMPLES) % N_CLASSES\n"
              "t = rng.uniform(0.0, 1.0, N_SAMPLES)  # position along the arm\n"
              "angle = 3.0 * np.pi * t + 2.0 * np.pi * y / N_CLASSES  # 1.5 turns per arm, arms evenly rotated\n"
              "x = 2.0 * t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])\n"
              "x = x + rng.normal(0.0, NOISE, x.shape)",
    "gaussian": "y = np.arange(N_SAMPLES) % N_CLASSES\n"
                "phi = 2.0 * np.pi * np.arange(N_CLASSES) / N_CLASSES\n"
                "centres = 2.0 * np.column_stack([np.cos(phi), np.sin(phi)])  # on a circle of radius 2\n"
                "x = centres[y] + rng.normal(0.0, 0.5 + NOISE, (N_SAMPLES, 2))",
    "plane": "x = rng.uniform(-2.0, 2.0, size=(N_SAMPLES, 2))\n"
             "y = x[:, 0] + 0.5 * x[:, 1] + rng.normal(0.0, NOISE, N_SAMPLES)",
    "ripple": "x = rng.uniform(-3.0, 3.0, size=(N_SAMPLES, 2))\n"
              "y = np.sin(x[:, 0]) * np.cos(x[:, 1]) + rng.normal(0.0, NOISE, N_SAMPLES)",
}
_LOADED = ("bunch = datasets.load_{name}()  # bundled with scikit-learn: nothing is downloaded\n"
           "x, y = bunch.data, bunch.target\n"
           "class_names = [str(c) for c in bunch.target_names]")
_CLASS_IDS = "class_names = [str(c) for c in range(int(y.max()) + 1)]"
# mlp/features.py: each derived input from the standardised point (x, y)
_FEATURES = {"x": "x", "y": "y", "x2": "x * x", "y2": "y * y", "xy": "x * y", "sin_x": "torch.sin(x)",
             "sin_y": "torch.sin(y)"}


def render(config: MLPRunConfig) -> str:
    """The script's Python source for `config`. Raises ValueError for a dataset it cannot rebuild: an uploaded
    CSV table (its rows are the user's and are not put in a file that may be shared)."""
    d, m, t = config.data, config.model, config.training
    if d.dataset == "csv":
        raise ValueError("A script can't rebuild an uploaded CSV table: export a run on a built-in dataset, or "
                         "load your table in the script's load_data() yourself.")
    regression = d.dataset in REGRESSION_2D
    generated = d.dataset in CLASSIFICATION_2D + REGRESSION_2D
    if generated:
        classes = "class_names = []  # regression" if regression else _CLASS_IDS
        making = "rng = np.random.default_rng(DATA_SEED)\n" + _GENERATED[d.dataset] + "\n" + classes
    else:
        making = _LOADED.format(name=d.dataset)
    derived = generated and tuple(d.features) != ("x", "y")
    input_names = ", ".join(d.features) + " of each point (x, y)" if derived else "the features themselves"
    values = {
        "title": f"an MLP on the {d.dataset} dataset",
        "config_json": _settings_comment(config),
        "n_samples": repr(d.n_samples), "noise": repr(d.noise),
        "n_classes": repr(d.n_classes), "test_fraction": repr(d.test_fraction), "data_seed": repr(d.seed),
        "hidden_sizes": repr(tuple(m.hidden_sizes)),
        "activations": repr(tuple(m.activations)), "dropout": repr(m.dropout), "init": repr(m.init),
        "batch_size": repr(t.batch_size), "epochs": repr(t.epochs), **optimizer_values(t),
        "seed": repr(t.seed), "task": repr("regression" if regression else "classification"),
        "making": _indent(making, 4), "input_names": input_names,
        "datasets_import": "from sklearn import datasets\n" if "datasets." in making else "",
        "inputs": ("x, y = points[:, 0], points[:, 1]\n    return torch.stack([" +
                   ", ".join(_FEATURES[f] for f in d.features) + "], 1)") if derived else "return points",
    }
    return _TEMPLATE.substitute(values)


def _settings_comment(config: MLPRunConfig) -> str:
    """The config as comment lines, a part per line (wrapped at 116 characters)."""
    lines = [textwrap.wrap(f"{part}: {json.dumps(value)}", 112, initial_indent="# ", subsequent_indent="#     ")
             for part, value in config.to_dict().items()]
    return "\n".join(line for part in lines for line in part)


def _indent(code: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in code.split("\n"))


_TEMPLATE = Template('''"""Train $title as the MLP playground trains it with these settings.

Needs torch, numpy and scikit-learn only. Run it with `python this_file.py`: it rebuilds the data, the model and
the training, and ends by printing the final test metric on one line (test_accuracy=... or test_r2=...). On CPU it
reaches the playground's result for the same settings, except that a run whose loss blows up is stopped by the
playground ("diverged") but goes on here until the loss is not a number.
"""

from __future__ import annotations

import math

import numpy as np
import torch
${datasets_import}from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

# The run's settings, as the playground's config file has them:
$config_json
N_SAMPLES = $n_samples  # generated datasets only; bundled ones use all their rows
NOISE = $noise  # std of the Gaussian noise on generated points
N_CLASSES = $n_classes  # blobs, Gaussian clusters: classes; spiral: arms
TEST_FRACTION = $test_fraction  # share of rows held out for testing
DATA_SEED = $data_seed  # seeds the data and the split
TASK = $task
HIDDEN_SIZES = $hidden_sizes
ACTIVATIONS = $activations
DROPOUT = $dropout
INIT = $init  # default (PyTorch's own), xavier or kaiming
LEARNING_RATE = $learning_rate
BATCH_SIZE = $batch_size
EPOCHS = $epochs
WEIGHT_DECAY = $weight_decay
SEED = $seed  # seeds the initial weights and the order of the batches
DROPOUT_SEED = (SEED + 0x9E3779B9) % 2**32  # seeds dropout's masks: a stream apart from the batches' order
DEVICE = "cpu"  # the playground's result is reproduced on CPU


def load_data():
    """All rows: features x (n, d), targets y (n,), and the class names ([] for regression)."""
$making
    return np.asarray(x, np.float64), np.asarray(y), class_names


def split_and_scale(x, y):
    """Train and test splits (stratified by class where every class fits in both), features standardised with the
    training split's mean and std (and a regression target too): float32 features, int64 classes."""
    stratify = None
    if TASK == "classification":
        counts = np.bincount(y)
        counts = counts[counts > 0]
        n_test = math.ceil(TEST_FRACTION * len(y))  # train_test_split rounds the test share up
        if counts.min() >= 2 and min(n_test, len(y) - n_test) >= len(counts):
            stratify = y
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=TEST_FRACTION, random_state=DATA_SEED,
                                                        stratify=stratify)
    scaler = StandardScaler().fit(x_train)  # the training split only: the test split must not leak into it
    x_train, x_test = scaler.transform(x_train).astype(np.float32), scaler.transform(x_test).astype(np.float32)
    if TASK == "regression":
        y_scaler = StandardScaler().fit(y_train.reshape(-1, 1))
        y_train, y_test = (y_scaler.transform(v.reshape(-1, 1)).ravel().astype(np.float32) for v in (y_train, y_test))
    else:
        y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    return x_train, y_train, x_test, y_test


def inputs(points):
    """The network's inputs from the standardised features (n, d):
    $input_names."""
    $inputs


ACTIVATION_MODULES = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU,
                      "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}
GAIN_NAMES = {"relu": "relu", "leaky_relu": "leaky_relu", "tanh": "tanh", "sigmoid": "sigmoid"}


def initialise(linear, activation):
    """Xavier/Glorot or Kaiming/He with the gain of the activation that follows; "default" keeps PyTorch's."""
    if INIT == "default":
        return
    gain_name = GAIN_NAMES.get(activation, "linear")
    if INIT == "xavier":
        nn.init.xavier_uniform_(linear.weight, gain=nn.init.calculate_gain(gain_name))
    else:
        nonlinearity = gain_name if gain_name in ("relu", "leaky_relu") else "linear"
        nn.init.kaiming_uniform_(linear.weight, nonlinearity=nonlinearity)
    nn.init.zeros_(linear.bias)


class MLP(nn.Module):
    """Linear -> activation -> dropout per hidden layer, then a linear output layer (logits for classes)."""

    def __init__(self, n_inputs, n_outputs):
        super().__init__()
        layers = []
        width = n_inputs
        for size, activation in zip(HIDDEN_SIZES, ACTIVATIONS):
            linear = nn.Linear(width, size)
            initialise(linear, activation)
            layers += [linear, ACTIVATION_MODULES[activation]()]
            if DROPOUT > 0:
                layers.append(nn.Dropout(DROPOUT))
            width = size
        self.output = nn.Linear(width, n_outputs)
        initialise(self.output, "identity")
        self.hidden = nn.Sequential(*layers)

    def forward(self, x):
        return self.output(self.hidden(x))  # (batch, n_inputs) -> (batch, n_outputs)


$make_optimizer


def main():
    torch.set_num_threads(1)  # as the playground trains: a small network is fastest on one thread
    x, y, class_names = load_data()
    x_train, y_train, x_test, y_test = split_and_scale(x, y)
    classify = TASK == "classification"
    y_type = torch.long if classify else torch.float32
    xs = inputs(torch.as_tensor(x_train, device=DEVICE))
    ys = torch.as_tensor(y_train, dtype=y_type, device=DEVICE)
    xt = inputs(torch.as_tensor(x_test, device=DEVICE))
    yt = torch.as_tensor(y_test, dtype=y_type, device=DEVICE)
    torch.manual_seed(SEED)  # the initial weights
    model = MLP(xs.shape[1], len(class_names) if classify else 1).to(DEVICE)
    # Dropout's masks come from torch's global generator here, seeded as the playground seeds its dropout generator:
    # both draw the same masks in the same order.
    torch.manual_seed(DROPOUT_SEED)
    optimizer = make_optimizer(model.parameters())
    loss_fn = nn.CrossEntropyLoss() if classify else nn.MSELoss()

    def outputs(rows):
        out = model(rows)
        return out if classify else out.squeeze(-1)

    order_generator = torch.Generator().manual_seed(SEED)  # each epoch's batch order
    n, batch_size = len(xs), min(BATCH_SIZE, len(xs))
    for epoch in range(1, EPOCHS + 1):
        order = torch.randperm(n, generator=order_generator).to(DEVICE)
        losses = []
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(outputs(xs[rows]), ys[rows])
            losses.append(loss.item())
            if not math.isfinite(losses[-1]):
                raise SystemExit(f"The loss reached {losses[-1]} at epoch {epoch}: training diverged.")
            loss.backward()
            optimizer.step()
        if epoch % max(1, EPOCHS // 10) == 0 or epoch == EPOCHS:
            print(f"epoch {epoch}/{EPOCHS}: mean batch loss {sum(losses) / len(losses):.4f}")

    model.eval()
    with torch.no_grad():
        out = outputs(xt)
        if classify:
            accuracy = (out.argmax(-1) == yt).float().sum().item() / len(yt)
            print(f"test_accuracy={accuracy:.4f}")
        else:
            ss_res = float(((out - yt) ** 2).sum())
            ss_tot = float(((yt - yt.mean()) ** 2).sum())
            print(f"test_r2={1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0:.4f}")


if __name__ == "__main__":
    main()
''')
