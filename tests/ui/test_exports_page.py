"""Both pages' downloads (weights, config, metrics, the MLP's script) and their config import."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from safetensors import safe_open
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import app_test

from playground.attention.config import AttentionRunConfig
from playground.attention.presets import PRESETS as ATTENTION_PRESETS
from playground.mlp.config import MLPRunConfig
from playground.mlp.presets import PRESETS
from tests.ui.conftest import HOSTILE, progress_text, run_until, shown_text


@pytest.fixture
def media(monkeypatch):
    """The bytes behind a download button: AppTest keeps each run's media in a storage of its own, recorded here."""
    stores: list[MemoryMediaFileStorage] = []

    class Recorded(MemoryMediaFileStorage):
        def __init__(self, endpoint: str) -> None:
            super().__init__(endpoint)
            stores.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recorded)
    return lambda button: stores[-1].get_file(button.proto.url.rsplit("/", 1)[-1]).content


def _buttons(at) -> dict:
    return {b.proto.label: b for b in at.get("download_button")}


def test_an_mlp_run_offers_its_weights_config_metrics_and_script(media, app, tmp_path):
    app.switch_page("app_pages/mlp.py").run()
    app.number_input(key="mlp.epochs").set_value(3).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    buttons = _buttons(app)
    assert set(buttons) == {"Download weights (.safetensors)", "Download config (.json)", "Download metrics (.csv)",
                            "Download PyTorch script (.py)"}
    config = MLPRunConfig.from_json(media(buttons["Download config (.json)"]).decode())
    assert config.training.epochs == 3 and config.data.dataset == "moons"
    metrics = pd.read_csv(io.BytesIO(media(buttons["Download metrics (.csv)"])))
    evals = metrics[metrics.kind == "evaluation"]
    assert list(evals.epoch) == [1, 2, 3] and set(evals.metric) == {"accuracy"}
    assert f"{evals.test_metric.iloc[-1]:.3f}" == next(m.value for m in app.metric if m.label == "Test accuracy")
    path = tmp_path / "mlp.safetensors"
    path.write_bytes(media(buttons["Download weights (.safetensors)"]))
    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata()
    assert json.loads(meta["class_names"]) == ["0", "1"] and len(json.loads(meta["feature_std"])) == 2
    script = media(buttons["Download PyTorch script (.py)"]).decode()
    compile(script, "train_mlp.py", "exec")
    assert "EPOCHS = 3\n" in script


def test_an_attention_run_offers_its_weights_config_metrics_and_script(media, app):
    app.switch_page("app_pages/attention.py").run()
    app.number_input(key="attention.training.steps").set_value(20).run()
    app.number_input(key="attention.training.eval_every").set_value(10).run()
    app.button(key="attention.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at), timeout=120)
    buttons = _buttons(app)
    assert set(buttons) == {"Download weights (.safetensors)", "Download config (.json)", "Download metrics (.csv)",
                            "Download PyTorch script (.py)"}
    config = AttentionRunConfig.from_json(media(buttons["Download config (.json)"]).decode())
    assert config.training.steps == 20
    script = media(buttons["Download PyTorch script (.py)"]).decode()
    compile(script, "train_attention.py", "exec")
    assert "STEPS = 20\n" in script
    metrics = pd.read_csv(io.BytesIO(media(buttons["Download metrics (.csv)"])))
    evals = metrics[metrics.kind == "evaluation"]
    assert list(evals.step) == [0, 10, 20] and metrics.epoch.isna().all()  # the untrained model is scored first
    assert set(evals.metric) == {"token accuracy"}
    assert (metrics.kind == "step").sum() == 20


def _import(at, page: str, name: str, raw: bytes):
    at.file_uploader(key=f"{page}.import_config").set_value((name, raw, "application/json")).run()
    assert not at.exception
    return at


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{oops", "is not valid JSON"),
        (ATTENTION_PRESETS["reverse"].config.to_json().encode(), "is a config of the Attention playground"),
        (b'{"model": {"hidden_sizes": [8], "activations": ["relu"], "colour": 1}}', "Unknown MLPConfig settings"),
        (b'{"training": {"batch_size": 0}}', "batch_size must be between 1 and 100,000; got 0."),
        (b"1" * 2_000_000, "a config file is at most 1 MB"),
    ],
)
def test_a_bad_config_file_gets_a_message_and_the_mlp_form_keeps_its_settings(app, raw, words):
    app.switch_page("app_pages/mlp.py").run()
    app.number_input(key="mlp.batch_size").set_value(7).run()
    _import(app, "mlp", "settings.json", raw)
    errors = [e.value for e in app.error]
    assert any(words in shown_text(e) and "settings.json" in shown_text(e) for e in errors), errors
    assert app.number_input(key="mlp.batch_size").value == 7
    assert app.selectbox(key="mlp.dataset").value == "moons" and app.button(key="mlp.train").disabled is False


def test_a_good_config_file_sets_the_mlp_form(app):
    app.switch_page("app_pages/mlp.py").run()
    config = PRESETS["iris-keras"].config
    _import(app, "mlp", "iris.json", config.to_json().encode())
    assert app.selectbox(key="mlp.dataset").value == "iris"
    assert app.number_input(key="mlp.width.1").value == 64 and app.number_input(key="mlp.batch_size").value == 16
    assert any("Loaded the settings of iris.json" in shown_text(s.value) for s in app.success)
    # the form's config is the file's: the preset it matches is not marked as changed once picked
    app.selectbox(key="mlp.preset").set_value("iris-keras").run()
    assert "Settings changed" not in " ".join(c.value for c in app.caption)


def test_the_attention_form_takes_a_good_file_and_refuses_an_mlp_one(app):
    app.switch_page("app_pages/attention.py").run()
    _import(app, "attention", f"{HOSTILE}.json", PRESETS["moons"].config.to_json().encode())
    error = next(e.value for e in app.error)
    assert shown_text(error).startswith(f"{HOSTILE}.json is a config of the MLP playground")  # shown as written
    config = ATTENTION_PRESETS["sort"].config
    _import(app, "attention", "sort.json", config.to_json().encode())
    assert app.selectbox(key="attention.task.task").value == config.task.task
    assert app.number_input(key="attention.model.d_model").value == config.model.d_model
    assert not app.error


def test_a_run_on_an_uploaded_table_says_why_it_has_no_script(media, app):
    app.switch_page("app_pages/mlp.py").run()
    app.selectbox(key="mlp.dataset").set_value("csv").run()
    rows = "\n".join(f"{i % 7},{(i * 3) % 11},{'yes' if i % 7 > 3 else 'no'}" for i in range(60))
    app.file_uploader(key="mlp.upload").set_value(("data.csv", f"a,b,label\n{rows}\n".encode(), "text/csv")).run()
    app.number_input(key="mlp.epochs").set_value(2).run()
    app.button(key="mlp.train").click().run()
    run_until(app, lambda at: "completed" in progress_text(at))
    buttons = _buttons(app)
    assert set(buttons) == {"Download weights (.safetensors)", "Download config (.json)", "Download metrics (.csv)"}
    assert any("A script can't rebuild an uploaded CSV table" in shown_text(c.value) for c in app.caption)
    config = MLPRunConfig.from_json(media(buttons["Download config (.json)"]).decode())
    assert config.data.target == "label"
