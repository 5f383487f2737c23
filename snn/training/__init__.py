"""Training (L4): the trainer, its checkpoints and callbacks.

Example:
>>> from snn.config import load_config
>>> from snn.training import train
>>> metrics = train(load_config("configs/digits_snn.yaml"), "runs/digits")
"""

from snn.training.trainer import Experiment, evaluate, prepare, resume, train

__all__ = ["Experiment", "evaluate", "prepare", "resume", "train"]
