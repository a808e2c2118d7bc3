"""Same seed, same curve: short runs of many configurations (tests/playground/reference_curves.py) give the step
losses, evaluations and ends stored from the straightforward training step (autograd, nn modules, torch.optim,
`.item()` per step), within a relative 1e-4 (summation order may change the last bits on another machine), and a
run repeated gives exactly the same numbers."""

import json
import math

import numpy as np
import pytest

from tests.playground.reference_curves import CASES, STORED, run_case

REFERENCE = json.loads(STORED.read_text())


def test_the_stored_values_cover_every_case():
    assert set(REFERENCE) == set(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_curves_match_the_straightforward_step(name):
    got, ref = run_case(name), REFERENCE[name]
    assert got["steps"] == ref["steps"]
    np.testing.assert_allclose(got["losses"], ref["losses"], rtol=1e-4, atol=1e-7)
    assert [e[0] for e in got["evals"]] == [e[0] for e in ref["evals"]]
    np.testing.assert_allclose([e[1:] for e in got["evals"]], [e[1:] for e in ref["evals"]], rtol=1e-4, atol=1e-7)
    assert got["end"][:2] == ref["end"][:2]  # completed, or diverged at the same step


@pytest.mark.parametrize("name", ["dropout-adam", "rmsprop-elu-3class", "attention-reverse"])
def test_a_run_repeated_gives_exactly_the_same_numbers(name):
    a, b = run_case(name), run_case(name)
    assert a == b and all(math.isfinite(v) for v in a["losses"])
