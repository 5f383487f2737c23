"""Experiment configs: strict, helpful validation; YAML read safely; --set overrides."""

from pathlib import Path

import pytest

from snn.config import load_config, parse_config, save_config, to_dict
from snn.errors import ConfigError

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))
PAPER_CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs" / "paper").glob(
    "**/*.yaml"))

MINIMAL = "name: t\n"


def _write(tmp_path, text, name="experiment.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _error(tmp_path, text, overrides=()):
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path, text), overrides)
    return str(error.value)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_loads_and_says_how_to_run_it(path):
    config = load_config(path)
    first_line = path.read_text().splitlines()[0]
    command = "snn train" if config.sweep is None else "snn sweep"
    assert first_line.startswith("# ") and f"{command} configs/{path.name}" in first_line
    assert "on 2 CPU cores;" in first_line  # how long it takes, then what to expect
    assert config.name == path.stem


@pytest.mark.parametrize("path", PAPER_CONFIGS, ids=lambda p: p.name)
def test_every_paper_config_is_a_sweep_headed_by_its_command(path):
    config = load_config(path)
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("# ")
    assert "python scripts/reproduce_" in first_line or \
        f"snn sweep configs/paper/uci/{path.name}" in first_line
    assert config.sweep is not None


def test_defaults_fill_a_minimal_config(tmp_path):
    config = load_config(_write(tmp_path, MINIMAL))
    assert config.data.source == "sklearn"
    assert config.model.name == "snn_mlp"
    assert config.model.arguments["depth"] == 8
    assert config.training.early_stopping.patience == 10


def test_early_stopping_can_be_switched_off(tmp_path):
    path = _write(tmp_path, MINIMAL + "training: {early_stopping: null}\n")
    assert load_config(path).training.early_stopping is None
    assert load_config(_write(tmp_path, MINIMAL, "other.yaml"),
                       ["training.early_stopping=null"]).training.early_stopping is None


def test_scientific_notation_is_a_number(tmp_path):
    config = load_config(_write(tmp_path, MINIMAL + "training: {learning_rate: 1e-3}\n"))
    assert config.training.learning_rate == 0.001


def test_only_true_and_false_are_booleans_so_off_is_a_choice(tmp_path):
    # YAML 1.1 would read `off` as False; the choice "off" of training.audit is meant.
    config = load_config(_write(tmp_path, MINIMAL + "training: {audit: off, "
                                "drop_remainder: true}\n"), ["training.train_set_loss=off"])
    assert (config.training.audit, config.training.drop_remainder) == ("off", True)
    assert config.training.train_set_loss == "off"


@pytest.mark.parametrize("text, expected", [
    ("training: {learnig_rate: 0.1}",
     "training.learnig_rate: unknown key; did you mean 'learning_rate'?"),
    ("seeed: 1", "seeed: unknown key; did you mean 'seed'?"),
    ("model: {name: snn_mlp, dept: 4}", "model.dept: unknown key; did you mean 'depth'?"),
    ("data: {source: sklearn, nmae: iris}", "data.nmae: unknown key; did you mean 'name'?"),
    ("training: {early_stopping: {patiense: 3}}",
     "training.early_stopping.patiense: unknown key; did you mean 'patience'?"),
])
def test_unknown_keys_are_named_with_the_closest_known_key(tmp_path, text, expected):
    message = _error(tmp_path, MINIMAL + text + "\n")
    assert message.startswith(f"{tmp_path / 'experiment.yaml'}: {expected}")


@pytest.mark.parametrize("text, expected", [
    ("model: {dropout_rate: 1.0}",
     "model.dropout_rate: got 1.0 (number); expected a number in [0.0, 1.0)"),
    ("model: {depth: 0}", "model.depth: got 0 (integer); expected an integer >= 1"),
    ("training: {batch_size: -5}",
     "training.batch_size: got -5 (integer); expected an integer >= 1"),
    ("training: {learning_rate: fast}",
     "training.learning_rate: got 'fast' (string); expected a number > 0.0"),
    ("training: {epochs: 10.5}", "training.epochs: got 10.5 (number); expected an integer"),
    ("training: {optimizer: sgdd}", "training.optimizer: got 'sgdd' (string); expected one of"),
    ("training: {device: tpu}", "training.device: got 'tpu' (string); expected one of"),
    ("data: {validation_fraction: 0.5, test_fraction: 0.5}",
     "data.test_fraction: validation_fraction + test_fraction = 1; expected < 1"),
    ("training: {loss: hinge_los}", "training.loss: got 'hinge_los'; expected a Keras loss"),
    ("training: {metrics: [acuracy]}",
     "training.metrics: got 'acuracy'; expected a Keras metric name"),
    ("model: {name: resnet}", "model.name: unknown model 'resnet'; did you mean 'resnet_mlp'? "
                              "known models: batchnorm_mlp"),
    ("data: {source: feather}", "data.source: unknown source 'feather'; known sources: csv"),
    ("training: 3", "training: got 3; expected a mapping"),
    ("model: {name: [snn_mlp]}", "model.name: got ['snn_mlp'] (list); expected a string"),
])
def test_wrong_types_and_ranges_name_key_value_and_expectation(tmp_path, text, expected):
    assert expected in _error(tmp_path, MINIMAL + text + "\n")


def test_missing_name_is_reported(tmp_path):
    assert "name: missing; expected a name of letters" in _error(tmp_path, "seed: 1\n")


def test_duplicate_keys_are_an_error(tmp_path):
    message = _error(tmp_path, MINIMAL + "seed: 1\nseed: 2\n")
    assert "line 3, column 1: duplicate key 'seed' (first at line 2)" in message


def test_python_object_tags_are_refused(tmp_path):
    message = _error(tmp_path, MINIMAL + "seed: !!python/object/apply:os.system ['true']\n")
    assert ("line 2, column 7: got the tag !!python/object/apply:os.system; expected plain "
            "YAML values" in message)


def test_tabs_are_reported_with_their_line(tmp_path):
    assert "line 3, column 1: got a tab; expected spaces" in \
        _error(tmp_path, MINIMAL + "training:\n\tepochs: 3\n")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_overrides_are_applied_and_validated(tmp_path):
    path = _write(tmp_path, MINIMAL)
    config = load_config(path, ["model.depth=16", "training.epochs=3",
                                "model.units=[64, 32, 16, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8]"])
    assert config.model.arguments["depth"] == 16
    assert config.training.epochs == 3
    message = _error(tmp_path, MINIMAL, ["training.learning_rate=-1"])
    assert message.startswith("--set: training.learning_rate: got -1")
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        load_config(path, ["model.depth"])
    assert _error(tmp_path, MINIMAL, ["training.epoch=3"]).startswith(
        "--set: training.epoch: unknown key; did you mean 'epochs'?")


def test_resolved_config_round_trips(tmp_path):
    config = load_config(CONFIGS[0], ["training.epochs=7"])
    save_config(config, tmp_path / "resolved.yaml")
    assert load_config(tmp_path / "resolved.yaml") == config
    assert parse_config(to_dict(config)) == config


def test_a_base_file_is_merged_section_by_section_along_a_chain(tmp_path):
    (tmp_path / "root.yaml").write_text(
        "name: root\nseed: 3\ndata: {source: sklearn, name: iris}\n"
        "model: {name: snn_mlp, depth: 2, units: 8}\n"
        "training: {epochs: 7, learning_rate: 0.1, batch_size: 16}\n")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "middle.yaml").write_text(
        "base: ../root.yaml\ntraining: {learning_rate: 0.05}\n")
    (tmp_path / "child.yaml").write_text(
        "base: shared/middle.yaml\nname: child\nmodel: {depth: 4}\n")
    config = load_config(tmp_path / "child.yaml")
    assert config.name == "child" and config.seed == 3
    assert (config.model.arguments["depth"], config.model.arguments["units"]) == (4, 8)
    assert (config.training.epochs, config.training.learning_rate,
            config.training.batch_size) == (7, 0.05, 16)


def test_environment_variables_and_defaults_are_substituted(tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_TEST_TABLES", "/data/tables")
    monkeypatch.delenv("SNN_TEST_EPOCHS", raising=False)
    (tmp_path / "c.yaml").write_text(
        "name: t\ndata: {source: csv, path: '${SNN_TEST_TABLES}/penguins.csv', label: species}\n"
        "model: {name: snn_mlp, depth: 2, units: 8}\n"
        "training: {epochs: '${SNN_TEST_EPOCHS:-12}'}\n")
    config = load_config(tmp_path / "c.yaml")
    assert str(config.data.options["path"]) == "/data/tables/penguins.csv"
    assert config.training.epochs == 12  # one reference alone is read as YAML: a number
