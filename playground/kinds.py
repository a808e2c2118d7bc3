"""The one table of playgrounds: for each, its config type, trainer, presets, page and titles.

Nothing else in the project lists the playgrounds: the job runner finds a config's trainer here, the memory
budget its estimate, the command line its presets, the app its pages and navigation, Home its links, the
sidebar its job badges. Adding a playground is a subpackage (config, training, views, presets, memory), a page
file, and one entry in `KINDS`.

Trainers and memory estimates are named by module path and imported on first use: the table itself imports
only configs and presets (a trainer's module imports torch's optimizers, about a second), and the shared
modules that need the table (playground.memory, playground.jobs) import it when they use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from playground.attention import presets as attention_presets
from playground.attention.config import AttentionRunConfig
from playground.mlp import presets as mlp_presets
from playground.mlp.config import MLPRunConfig
from playground.presets import Preset

Trainer = Callable[..., None]  # train(config, emit, control, **inputs): see playground.loop.fit


@dataclass(frozen=True)
class Kind:
    """One playground."""

    name: str  # the page's URL path, its job's key in a session and the prefix of its widget keys
    title: str  # the page's title, e.g. "MLP playground"
    short: str  # how the sidebar names its job, e.g. "MLP"
    icon: str  # a Material icon for the navigation
    page: str  # the page file, relative to the app's root
    summary: str  # one Markdown paragraph for Home
    config_type: type
    trainer_path: str  # "module:function" of its trainer
    memory_path: str  # the module that estimates its runs' memory (a playground.memory.Estimator)
    presets: Mapping[str, Preset]
    default_preset: str
    rules_path: str = "playground.coach:COMMON_RULES"  # "module:name" of its coach's rules (playground.coach)
    sweep_path: str = ""  # the module of its sweeps (SETTINGS, train_sweep: playground.sweep); "" for none
    script_path: str | None = None  # "module:function" rendering a config as a runnable script; None: not offered

    def script(self) -> Callable[[Any], str] | None:
        """render(config) -> the Python source of a runnable script (raises ValueError for a config it cannot
        rebuild), or None for a playground that offers none."""
        if self.script_path is None:
            return None
        module, _, name = self.script_path.partition(":")
        return getattr(importlib.import_module(module), name)

    def trainer(self) -> Trainer:
        module, _, name = self.trainer_path.partition(":")
        return getattr(importlib.import_module(module), name)

    def memory(self) -> Any:
        return importlib.import_module(self.memory_path)

    def sweeps(self) -> Any:
        """Its sweep module (playground.sweep), imported on first use; None when it offers no sweeps."""
        return importlib.import_module(self.sweep_path) if self.sweep_path else None

    def rules(self) -> tuple:
        module, _, name = self.rules_path.partition(":")
        return getattr(importlib.import_module(module), name)


KINDS: tuple[Kind, ...] = (
    Kind("mlp", "MLP playground", "MLP", ":material/scatter_plot:", "app_pages/mlp.py",
         "pick a dataset (moons, spirals, XOR, iris, digits or your own CSV), choose hidden layers, widths, "
         "activations, optimizer and learning rate, then train, pause and single-step; the page's address is a link "
         "to your setup. Try a learning rate of 10 with SGD to see a run diverge.",
         MLPRunConfig, "playground.mlp.training:train", "playground.mlp.memory", mlp_presets.PRESETS,
         mlp_presets.DEFAULT_PRESET, rules_path="playground.mlp.coach:RULES",
         sweep_path="playground.mlp.sweep", script_path="playground.mlp.script:render"),
    Kind("attention", "Attention playground", "Attention", ":material/grid_on:", "app_pages/attention.py",
         "train a tiny Transformer on reverse, sort, recall, sentiment with negation or a character language "
         "model, and watch its attention heatmaps form while it learns; replay how the pattern appeared, and type "
         "your own input.",
         AttentionRunConfig, "playground.attention.training:train", "playground.attention.memory",
         attention_presets.PRESETS, attention_presets.DEFAULT_PRESET, script_path="playground.attention.script:render"),
)
BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}


def find(config: Any) -> Kind | None:
    """The playground whose config `config` is; None for a type no playground owns."""
    return next((kind for kind in KINDS if isinstance(config, kind.config_type)), None)


def kind_of(config: Any) -> Kind:
    """The playground whose config `config` is. Raises ValueError for a type no playground owns."""
    if (kind := find(config)) is None:
        raise ValueError(f"No playground trains a {type(config).__name__}.")
    return kind


def trainer_for(config: Any) -> Trainer:
    """The training function for `config` (its module imported on first use)."""
    return kind_of(config).trainer()


def all_presets() -> dict[str, Preset]:
    """Every playground's presets, by name (names are unique across playgrounds)."""
    table: dict[str, Preset] = {}
    for kind in KINDS:
        table.update(kind.presets)
    return table
