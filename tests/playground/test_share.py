from playground.config import DataConfig, RunConfig, SequenceRunConfig
from playground.presets import PRESETS
from playground.share import from_query, to_query


def test_defaults_make_an_empty_query():
    assert to_query(RunConfig()) == {}


def test_every_preset_round_trips_through_the_url():
    for preset in PRESETS.values():
        query = to_query(preset.config)
        assert all(isinstance(v, str) for v in query.values())
        back, notices = from_query(RunConfig, query)
        assert back == preset.config and notices == []


def test_lists_are_comma_separated():
    query = to_query(PRESETS["spiral"].config)
    assert query["model.hidden_sizes"] == "64,64,64"
    assert query["model.activations"] == "relu,relu,relu"


def test_tampered_values_fall_back_with_notices():
    cfg, notices = from_query(RunConfig, {"training.learning_rate": "lots", "data.dataset": "spiral",
                                          "bogus.key": "1", "presenter": "1"})
    assert cfg.data.dataset == "spiral" and cfg.training.learning_rate == RunConfig().training.learning_rate
    assert len(notices) == 2 and "training.learning_rate" in notices[0] and "bogus.key" in notices[1]


def test_out_of_bounds_values_give_the_defaults_and_say_why():
    cfg, notices = from_query(RunConfig, {"training.learning_rate": "1e9"})
    assert cfg == RunConfig()
    assert "learning_rate must be between" in notices[0]


def test_sequence_configs_share_too_but_never_the_corpus():
    cfg = SequenceRunConfig.from_dict({"task": {"task": "char_lm", "seq_len": 32, "text": "x" * 400},
                                       "model": {"n_heads": 4}})
    query = to_query(cfg)
    assert "task.text" not in query and query["model.n_heads"] == "4"
    back, _ = from_query(SequenceRunConfig, query)
    assert back.model.n_heads == 4 and back.task.text == ""


def test_left_out_csv_columns_stay_out_of_links():
    """Column names may hold commas or look like numbers ("01"), which the link's list format would change."""
    cfg = RunConfig(data=DataConfig(dataset="csv", target="label", ignore=("a,b", "01")))
    query = to_query(cfg)
    assert "data.ignore" not in query and query["data.target"] == "label"
    back, notices = from_query(RunConfig, {**query, "data.ignore": "01"})
    assert back.data.ignore == () and notices
