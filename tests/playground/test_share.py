from playground.attention.config import AttentionRunConfig
from playground.mlp.config import DataConfig, MLPRunConfig
from playground.mlp.presets import PRESETS
from playground.share import from_query, to_query


def test_defaults_make_an_empty_query():
    assert to_query(MLPRunConfig()) == {}


def test_every_preset_round_trips_through_the_url():
    for preset in PRESETS.values():
        query = to_query(preset.config)
        assert all(isinstance(v, str) for v in query.values())
        back, notices = from_query(MLPRunConfig, query)
        assert back == preset.config and notices == []


def test_lists_are_comma_separated():
    query = to_query(PRESETS["spiral"].config)
    assert query["model.hidden_sizes"] == "64,64,64"
    assert query["model.activations"] == "relu,relu,relu"


def test_tampered_values_fall_back_with_notices():
    cfg, notices = from_query(MLPRunConfig, {"training.learning_rate": "lots", "data.dataset": "spiral",
                                          "bogus.key": "1", "presenter": "1"})
    assert cfg.data.dataset == "spiral" and cfg.training.learning_rate == MLPRunConfig().training.learning_rate
    assert len(notices) == 2 and "training.learning_rate" in notices[0] and "bogus.key" in notices[1]


def test_an_out_of_bounds_value_is_dropped_with_the_reason_and_the_rest_kept():
    cfg, notices = from_query(MLPRunConfig, {"training.learning_rate": "1e9"})
    assert cfg == MLPRunConfig()
    assert notices[0].startswith("Ignored training.learning_rate='1e9': learning_rate must be between")
    cfg, notices = from_query(MLPRunConfig, {"data.dataset": "blobs", "data.n_classes": "7", "training.epochs": "50"})
    assert (cfg.data.dataset, cfg.data.n_classes, cfg.training.epochs) == ("blobs", MLPRunConfig().data.n_classes, 50)
    assert len(notices) == 1 and notices[0].startswith("Ignored data.n_classes='7'")


def test_two_bad_values_are_each_dropped_with_their_own_reason():
    cfg, notices = from_query(MLPRunConfig, {"training.learning_rate": "1e9", "data.n_classes": "7",
                                          "data.dataset": "blobs"})
    assert cfg.data.dataset == "blobs" and cfg.training == MLPRunConfig().training
    by_key = {n.split(":")[0]: n for n in notices}
    assert set(by_key) == {"Ignored training.learning_rate='1e9'", "Ignored data.n_classes='7'"}
    assert "learning_rate must be between" in by_key["Ignored training.learning_rate='1e9'"]
    assert "n_classes" in by_key["Ignored data.n_classes='7'"]


def test_settings_that_conflict_are_dropped_until_the_rest_is_valid():
    cfg, notices = from_query(MLPRunConfig, {"model.hidden_sizes": "8,8,8", "model.activations": "relu",
                                          "training.epochs": "50"})
    assert cfg.training.epochs == 50 and cfg.model == MLPRunConfig().model
    assert [n.split(":")[0] for n in notices] == ["Ignored model.hidden_sizes='8,8,8'",
                                                  "Ignored model.activations='relu'"]
    assert all("Give one activation per hidden layer" in n for n in notices)
    valid = {"model.hidden_sizes": "8,8,8", "model.activations": "relu,relu,relu", "training.learning_rate": "1e9"}
    cfg, notices = from_query(MLPRunConfig, valid)  # the widths and activations agree: only the rate goes
    assert cfg.model.hidden_sizes == (8, 8, 8) and len(notices) == 1 and "learning_rate" in notices[0]


def test_layer_widths_must_be_numbers():
    cfg, notices = from_query(MLPRunConfig, {"model.hidden_sizes": "abc", "data.dataset": "xor"})
    assert cfg.model == MLPRunConfig().model and cfg.data.dataset == "xor"
    assert notices == ["Ignored model.hidden_sizes='abc': not a valid value."]


def test_attention_configs_share_too_but_never_the_corpus():
    cfg = AttentionRunConfig.from_dict({"task": {"task": "char_lm", "seq_len": 32, "text": "x" * 400},
                                       "model": {"n_heads": 4}})
    query = to_query(cfg)
    assert "task.text" not in query and query["model.n_heads"] == "4"
    back, _ = from_query(AttentionRunConfig, query)
    assert back.model.n_heads == 4 and back.task.text == ""


def test_left_out_csv_columns_stay_out_of_links():
    """Column names may hold commas or look like numbers ("01"), which the link's list format would change."""
    cfg = MLPRunConfig(data=DataConfig(dataset="csv", target="label", ignore=("a,b", "01")))
    query = to_query(cfg)
    assert "data.ignore" not in query and query["data.target"] == "label"
    back, notices = from_query(MLPRunConfig, {**query, "data.ignore": "01"})
    assert back.data.ignore == () and notices


def test_a_width_over_the_limit_is_refused_for_its_size():
    cfg, notices = from_query(MLPRunConfig, {"model.hidden_sizes": "9999", "training.epochs": "50"})
    assert cfg.model == MLPRunConfig().model and cfg.training.epochs == 50
    assert len(notices) == 1 and notices[0].startswith("Ignored model.hidden_sizes='9999'")
    assert "between 1 and 512" in notices[0] and "activation" not in notices[0]


def test_a_classroom_link_round_trips_its_settings_and_its_hidden_and_locked_fields():
    from playground.share import Classroom, classroom_from_query, classroom_query

    lesson = PRESETS["spiral"].config
    query = classroom_query(lesson, hidden=["data.dataset", "model.hidden_sizes"],
                            locked=["training.optimizer", "data.dataset"])
    assert query["hide"] == "data.dataset,model.hidden_sizes" and query["lock"] == "training.optimizer"
    back, notices = from_query(MLPRunConfig, query)
    assert back == lesson and notices == []  # hide and lock have no dot: page parameters to the settings
    rules, notices = classroom_from_query(MLPRunConfig, query)
    assert rules == Classroom(frozenset({"data.dataset", "model.hidden_sizes"}), frozenset({"training.optimizer"}))
    assert notices == [] and rules.fixed == {"data.dataset", "model.hidden_sizes", "training.optimizer"}
    assert "hide" not in classroom_query(lesson) and not classroom_from_query(MLPRunConfig, to_query(lesson))[0]


def test_a_tampered_classroom_link_keeps_its_valid_part_with_notices():
    from playground.share import Classroom, classroom_from_query

    params = {"hide": "data.dataset,,model.depth, <script>", "lock": "training.learning_rate,training.epochs",
              "training.learning_rate": "1e9", "training.epochs": "50"}
    rules, notices = classroom_from_query(MLPRunConfig, params)
    assert rules == Classroom(frozenset({"data.dataset"}), frozenset({"training.epochs"}))
    assert notices == [
        "Ignored the unknown setting 'model.depth' in the link's hide list.",
        "Ignored the malformed setting name '<script>' in the link's hide list.",
        "The link fixes training.learning_rate, but its value '1e9' is not valid: that setting is left free, at "
        "its default."]
    rules, notices = classroom_from_query(MLPRunConfig, {"lock": "training.optimizer", "hide": "x" * 5000},
                                          allowed=["training.learning_rate"])
    assert not rules and len(notices) == 2  # a list too long, and a field the page cannot lock
    assert "5,000 characters" in notices[0] and "unknown setting 'training.optimizer'" in notices[1]
