import warnings
from pathlib import Path

import pytest

from playground.settings import ENV_VARS, Settings, load, settings_path

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "playground.toml"
    path.write_text(text)
    return path


def load_quietly(**kwargs) -> Settings:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        return load(**kwargs)


def test_defaults_without_a_file_or_variables(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no playground.toml here
    assert load_quietly(environ={}) == Settings()
    assert Settings() == Settings(max_jobs=None, session_grace_s=15.0, max_params=5_000_000, max_job_seconds=600.0)
    assert settings_path({}) == Path("playground.toml")
    assert settings_path({"PLAYGROUND_SETTINGS": "/etc/pg.toml"}) == Path("/etc/pg.toml")


def test_environment_beats_file_beats_default(tmp_path):
    path = write(tmp_path, "[server]\nmax_jobs = 4\nsession_grace_s = 30\nmax_params = 1_000\n")
    env = {"PLAYGROUND_MAX_JOBS": "8", "PLAYGROUND_MAX_JOB_SECONDS": "90.5"}
    assert load_quietly(environ=env, path=path) == Settings(max_jobs=8, session_grace_s=30.0, max_params=1000,
                                                          max_job_seconds=90.5)


def test_the_file_comes_from_the_environment_variable(tmp_path, monkeypatch):
    path = write(tmp_path, "[server]\nsession_grace_s = 0\n")
    monkeypatch.chdir(tmp_path.parent)
    assert load_quietly(environ={"PLAYGROUND_SETTINGS": str(path)}).session_grace_s == 0.0


def test_the_file_in_the_working_directory_is_read_by_default(tmp_path, monkeypatch):
    write(tmp_path, "[server]\nmax_params = 42\n")
    monkeypatch.chdir(tmp_path)
    assert load_quietly(environ={}).max_params == 42


@pytest.mark.parametrize("text, match", [
    ("[server\nmax_jobs = 2", "could not be read"),  # not TOML
    ("[server]\nmax_job = 2\n", "unknown key 'max_job'"),
    ("max_jobs = 2\n", "unknown key 'max_jobs'"),  # outside the [server] table
    ("server = 3\n", "must be a table"),
    ("[server]\nmax_jobs = 0\n", r"max_jobs must be a whole number of at least 1; got 0"),
    ("[server]\nmax_jobs = 2.5\n", "max_jobs must be a whole number"),
    ("[server]\nmax_jobs = true\n", "max_jobs must be a whole number"),
    ("[server]\nmax_params = \"lots\"\n", "max_params must be a whole number"),
    ("[server]\nsession_grace_s = -1\n", "session_grace_s must be a number of seconds of at least 0"),
    ("[server]\nsession_grace_s = inf\n", "session_grace_s must be"),
    ("[server]\nmax_params = 1" + "0" * 400 + "\n", "max_params must be a whole number"),
    ("[server]\nmax_job_seconds = 0\n", "max_job_seconds must be a number of seconds greater than 0"),
])
def test_a_bad_file_warns_naming_the_file_and_uses_the_defaults(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.warns(UserWarning, match=match) as record:
        settings = load(environ={}, path=path)
    assert settings == Settings()
    assert all(str(path) in str(w.message) for w in record)


def test_one_bad_key_leaves_the_good_ones(tmp_path):
    path = write(tmp_path, "[server]\nmax_jobs = 3\nmax_params = -5\nextra = 1\n")
    with pytest.warns(UserWarning) as record:
        settings = load(environ={}, path=path)
    assert settings == Settings(max_jobs=3)
    assert len(record) == 2


def test_a_file_that_cannot_be_read_warns(tmp_path):
    bad = tmp_path / "binary.toml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.warns(UserWarning, match="could not be read"):
        assert load(environ={}, path=bad) == Settings()
    with pytest.warns(UserWarning, match="could not be read"):
        assert load(environ={}, path=tmp_path) == Settings()  # a directory


def test_a_missing_file_is_quiet_unless_it_was_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_quietly(environ={}) == Settings()
    with pytest.warns(UserWarning, match="not found"):
        assert load(environ={"PLAYGROUND_SETTINGS": str(tmp_path / "nope.toml")}) == Settings()


def test_a_bad_variable_falls_back_to_the_file(tmp_path):
    path = write(tmp_path, "[server]\nmax_jobs = 3\n")
    with pytest.warns(UserWarning, match="PLAYGROUND_MAX_JOBS must be a whole number.*Using 3"):
        assert load(environ={"PLAYGROUND_MAX_JOBS": "many"}, path=path).max_jobs == 3
    with pytest.warns(UserWarning, match="PLAYGROUND_MAX_PARAMS.*Using 5,000,000"):
        assert load(environ={"PLAYGROUND_MAX_PARAMS": "0"}, path=path).max_params == 5_000_000
    assert load_quietly(environ={"PLAYGROUND_MAX_PARAMS": "2e6", "PLAYGROUND_MAX_JOBS": " 2 "},
                        path=path) == Settings(max_jobs=2, max_params=2_000_000)


def test_the_example_file_names_every_key_and_uncommented_keeps_the_defaults(tmp_path):
    text = (ROOT / "playground.example.toml").read_text()
    assert load_quietly(environ={}, path=ROOT / "playground.example.toml") == Settings()  # all commented out
    uncommented = "\n".join(line.removeprefix("# ") if " = " in line else line for line in text.splitlines())
    for key, variable in ENV_VARS.items():
        assert f"\n{key} = " in uncommented and variable in text
    path = write(tmp_path, uncommented)
    assert load_quietly(environ={}, path=path) == Settings(max_jobs=4)  # the one example that is not a default


def test_the_run_memory_budget_comes_from_the_file_or_the_environment(tmp_path):
    path = write(tmp_path, "[server]\nmax_run_memory_mb = 512\n")
    assert load_quietly(environ={}, path=path).max_run_memory_mb == 512
    assert load_quietly(environ={"PLAYGROUND_MAX_RUN_MEMORY_MB": "2048"}, path=path).max_run_memory_mb == 2048
    with pytest.warns(UserWarning, match="max_run_memory_mb must be a whole number of at least 1; got 0"):
        assert load(environ={}, path=write(tmp_path, "[server]\nmax_run_memory_mb = 0\n")).max_run_memory_mb == 256


def test_the_executor_comes_from_the_file_or_the_environment(tmp_path):
    assert Settings().executor == "thread"
    path = write(tmp_path, '[server]\nexecutor = "ray"\n')
    assert load_quietly(environ={}, path=path).executor == "ray"
    assert load_quietly(environ={"PLAYGROUND_EXECUTOR": " Thread "}, path=path).executor == "thread"
    with pytest.warns(UserWarning, match="PLAYGROUND_EXECUTOR must be one of 'thread', 'ray'; got 'dask'. Using 'ray'"):
        assert load(environ={"PLAYGROUND_EXECUTOR": "dask"}, path=path).executor == "ray"
    with pytest.warns(UserWarning, match=r"\[server\] executor must be one of 'thread', 'ray'; got 2"):
        assert load(environ={}, path=write(tmp_path, "[server]\nexecutor = 2\n")).executor == "thread"
