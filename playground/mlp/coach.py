"""The MLP playground's coach rules: the shared ones (playground/coach.py) and those that read the run's training
health (mlp/health.py): a learning rate too low, dead ReLU units, vanishing or exploding gradients, saturation.

Each rule is a pure function of a `RunHistory` whose `health` holds one `Health` per evaluation. The thresholds
are chosen so that every preset (a healthy run) passes and the worked examples in the tests trip them; the values
each preset reaches are in the tests' report (tests/playground/mlp/test_coach.py).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from playground.coach import (
    MIN_EVALS,
    Diagnosis,
    Rule,
    RunHistory,
    diverged,
    overfitting,
    scaled_learning_rate,
    with_training,
)
from playground.mlp.health import SATURATING, Health

RECENT = 5  # norms and ratios are read as the median of the last RECENT evaluations (one mini-batch is noisy)
# Learning rate too low: the training loss fell by less than LOW_LR_LOSS_DROP of its first evaluation's value
# over the run, and every layer's update was under LOW_LR_UPDATE of its weights. A healthy update-to-weight ratio
# is about 1e-3 (Karpathy, "A Recipe for Training Neural Networks", 2019; the presets run at 3e-4 to 4e-3).
LOW_LR_LOSS_DROP = 0.2
LOW_LR_UPDATE = 1e-4
LOW_LR_FIX_FACTOR = 100.0  # the fix multiplies the learning rate by this
DEAD_SHARE = 0.5  # dead units: more than this share of a ReLU layer's units dead at the end
# Vanishing / exploding: the first layer's gradient norm below VANISHING_RATIO or above EXPLODING_RATIO times the
# last layer's (the presets stay within 0.3 to 7 of it).
VANISHING_RATIO = 1e-2
EXPLODING_RATIO = 1e2
# Saturation: more than SATURATED_SHARE of a tanh or sigmoid layer's units saturated at the end, and the layer
# stuck (its update under LOW_LR_UPDATE of its weights): a well-trained tanh net may saturate most of its units
# and still learn (the xor preset ends with all of its second layer's), which is no fault.
SATURATED_SHARE = 0.5


def _recent(run: RunHistory, name: str) -> np.ndarray:
    """(L,) the median of a Health field over the last RECENT evaluations, ignoring evaluations without it."""
    rows = np.array([getattr(h, name) for h in run.health[-RECENT:]])
    with np.errstate(all="ignore"):
        return np.nanmedian(rows, 0) if np.isfinite(rows).any(0).all() else np.full(rows.shape[1], np.nan)


def _layer(health: Health, i: int) -> str:
    return "the output layer" if i == health.hidden else f"hidden layer {i + 1}"


def learning_rate_too_low(run: RunHistory) -> Diagnosis | None:
    """The loss barely moved while every layer's updates were tiny against its weights, and no dead layer explains
    it (a ReLU layer dead on every point stops the loss at any learning rate: `dead_units` says so)."""
    if len(run.health) < MIN_EVALS or not np.isfinite(run.train_loss).all() or dead_units(run) is not None:
        return None
    first, last = run.train_loss[0], run.train_loss[-1]
    drop = (first - last) / first if first > 0 else 0.0
    ratio = _recent(run, "update_ratio")
    if not (drop < LOW_LR_LOSS_DROP and np.isfinite(ratio).all() and ratio.max() < LOW_LR_UPDATE):
        return None
    rate = scaled_learning_rate(run.config, LOW_LR_FIX_FACTOR)
    message = (f"The learning rate ({run.config.training.learning_rate:g}) looks too low: the training loss fell "
               f"only {drop:.1%} ({first:.3g} to {last:.3g}) over {len(run.train_loss)} evaluations, and each step "
               f"changes the weights by at most {ratio.max():.1e} of their size (healthy training moves them by "
               f"about 1e-3). Try a learning rate of {rate:g}.")
    return Diagnosis("learning_rate_too_low", message, with_training(run.config, learning_rate=rate),
                     f"Set the learning rate to {rate:g}")


def dead_units(run: RunHistory) -> Diagnosis | None:
    """More than DEAD_SHARE of a ReLU layer's units output zero on every training point: they get no gradient."""
    if not run.health:
        return None
    h = run.health[-1]
    layers = [i for i in range(h.hidden) if h.activations[i] == "relu" and h.dead[i] > DEAD_SHARE]
    if not layers:
        return None
    worst = max(layers, key=lambda i: h.dead[i])
    model = run.config.model
    leaky = tuple("leaky_relu" if a == "relu" else a for a in model.activations)
    message = (f"{h.dead[worst]:.0%} of the units of {_layer(h, worst)} (ReLU) are dead: they output zero on every "
               "training point, so they get no gradient and never recover. LeakyReLU keeps a small slope below "
               "zero; a lower learning rate also kills fewer units.")
    fix = dataclasses.replace(run.config, model=dataclasses.replace(model, activations=leaky))
    return Diagnosis("dead_units", message, fix, "Use LeakyReLU instead of ReLU")


def vanishing_or_exploding(run: RunHistory) -> Diagnosis | None:
    """The first layer's gradient norm far below (vanishing) or above (exploding) the last layer's."""
    if len(run.health) < 1:
        return None
    grad = _recent(run, "grad_norm")
    if not (np.isfinite(grad[[0, -1]]).all() and grad[-1] > 0):
        return None
    ratio = grad[0] / grad[-1]
    numbers = f"the first layer's gradient norm is {ratio:.1e} times the output layer's ({grad[0]:.2e} against " \
              f"{grad[-1]:.2e})"
    if ratio < VANISHING_RATIO:
        model = run.config.model
        relu = tuple("relu" if a in SATURATING else a for a in model.activations)
        fix = dataclasses.replace(run.config, model=dataclasses.replace(model, activations=relu, init="kaiming"))
        return Diagnosis("vanishing_gradients", f"Vanishing gradients: {numbers}, so the first layers barely learn. "
                         "ReLU activations with Kaiming initialisation, or fewer layers, keep the gradient alive.",
                         fix, "Use ReLU with Kaiming initialisation")
    if ratio > EXPLODING_RATIO:
        rate = scaled_learning_rate(run.config, 0.1)
        return Diagnosis("exploding_gradients", f"Exploding gradients: {numbers}, so the first layers take huge "
                         f"steps. Try a learning rate of {rate:g} or Xavier initialisation.",
                         with_training(run.config, learning_rate=rate), f"Set the learning rate to {rate:g}")
    return None


def saturation(run: RunHistory) -> Diagnosis | None:
    """Most units of a tanh or sigmoid layer saturated (flat parts of the curve) and the layer stuck."""
    if not run.health:
        return None
    h, ratio = run.health[-1], _recent(run, "update_ratio")
    layers = [i for i in range(h.hidden) if h.activations[i] in SATURATING and h.saturated[i] > SATURATED_SHARE
              and ratio[i] < LOW_LR_UPDATE]
    if not layers:
        return None
    i = max(layers, key=lambda j: h.saturated[j])
    rate = scaled_learning_rate(run.config, 0.1)
    message = (f"{h.saturated[i]:.0%} of the units of {_layer(h, i)} ({h.activations[i]}) are saturated: on most "
               "training points they sit on the flat ends of their curve, where the slope is near zero, and the "
               f"layer's weights have stopped moving (each step changes them by {ratio[i]:.1e} of their size). "
               f"A lower learning rate ({rate:g}) or Xavier initialisation keeps them in range.")
    return Diagnosis("saturation", message, with_training(run.config, learning_rate=rate),
                     f"Set the learning rate to {rate:g}")


RULES: tuple[Rule, ...] = (diverged, learning_rate_too_low, overfitting, dead_units, vanishing_or_exploding,
                           saturation)
