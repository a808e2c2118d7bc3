"""Where training runs: CUDA, then Apple MPS, then CPU, unless the user names one."""

from __future__ import annotations

import functools

import torch


@functools.cache
def available() -> tuple[str, ...]:
    """Device names usable here, best first; always ends with "cpu"."""
    names = []
    if torch.cuda.is_available():
        names.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("mps")
    return (*names, "cpu")


def resolve(name: str = "auto") -> torch.device:
    """The torch device for a config's `device` name ("auto", "cpu", "cuda", "mps").

    Raises ValueError when the named device is not available on this machine.
    """
    if name == "auto":
        return torch.device(available()[0])
    if name not in available():
        raise ValueError(f"Device {name!r} is not available here; available: {', '.join(available())}.")
    return torch.device(name)


def describe(device: torch.device) -> str:
    """A label for the UI: "cpu", "mps" or "cuda:0 (NVIDIA H200)"."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return device.type
