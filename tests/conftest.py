"""Shared test helpers: a recording sink for trainer events and small, fast configs."""

from __future__ import annotations

import dataclasses
import threading

import pytest
import torch

from playground.mlp.config import DataConfig, MLPConfig, MLPRunConfig, TrainConfig

# Training threads run with one intra-op thread (see playground.jobs); tests that train in the main thread
# do the same, so they measure the same code path and do not oversubscribe a small CI machine.
torch.set_num_threads(1)


class Recorder:
    """An `emit` callback that keeps every event, thread-safely."""

    def __init__(self) -> None:
        self.events: list = []
        self._lock = threading.Lock()

    def __call__(self, event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind) -> list:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def tiny_config(**training) -> MLPRunConfig:
    """Moons, 200 points, one hidden layer of 8: trains in a fraction of a second."""
    return MLPRunConfig(
        data=DataConfig(dataset="moons", n_samples=200, noise=0.1),
        model=MLPConfig(hidden_sizes=(8,), activations=("tanh",)),
        training=dataclasses.replace(TrainConfig(epochs=5, batch_size=16, learning_rate=0.05), **training),
    )


@pytest.fixture
def tiny() -> MLPRunConfig:
    return tiny_config()


@pytest.fixture(scope="session")
def ray_executor():
    """The process-wide Ray executor on one local Ray instance (every core; ~10 s to start), shared by every Ray
    test of the session, and shut down (actors killed, the instance stopped) at the session's end.

    Created in a thread that ends at once, as a Streamlit script run's thread does: the instance must outlive it."""
    pytest.importorskip("ray")
    from playground import executors

    made: list = []
    first_use = threading.Thread(target=lambda: made.append(executors.shared("ray")))
    first_use.start()
    first_use.join()
    executor = made[0]
    assert executor.name == "ray", executor.notice
    yield executor
    executors.shutdown()
