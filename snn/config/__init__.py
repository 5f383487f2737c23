"""Experiment configs, without Keras: reading YAML and `--set` overrides (`reader`), the
backend a run asks for (`backend`), and the validated experiment (`experiment`).

Example:
>>> config = load_config("configs/digits_snn.yaml", overrides=["model.depth=16"])
>>> config.model.arguments["depth"]
16
"""

from snn.config.backend import BACKENDS, configured_backend, use_backend
from snn.config.experiment import OPTIMIZERS, STEPS_PER_EXECUTION, DataConfig
from snn.config.experiment import EarlyStoppingConfig, EvaluationConfig, ExperimentConfig
from snn.config.experiment import ModelConfig, OutputConfig, SearchConfig, SweepConfig
from snn.config.experiment import TrainingConfig
from snn.config.experiment import load_config, parse_config, save_config, to_dict
from snn.config.reader import apply_overrides, first_difference, get_key, parse_yaml
from snn.config.reader import read_config, set_key

__all__ = ["BACKENDS", "OPTIMIZERS", "STEPS_PER_EXECUTION", "DataConfig", "EarlyStoppingConfig",
           "EvaluationConfig", "ExperimentConfig", "ModelConfig", "OutputConfig", "SearchConfig",
           "SweepConfig", "TrainingConfig", "apply_overrides", "configured_backend",
           "first_difference", "get_key",
           "load_config", "parse_config", "parse_yaml", "read_config", "save_config", "set_key",
           "to_dict", "use_backend"]
