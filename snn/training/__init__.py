"""Training (L4): the trainer, its checkpoints and callbacks, and stacked training.

Example:
>>> from snn.config import load_config
>>> from snn.training import train
>>> metrics = train(load_config("configs/digits_snn.yaml"), "runs/digits")
"""

from snn.training.trainer import Experiment, evaluate, prepare, resume, train
from snn.training.stacked import train_stacked

__all__ = ["Experiment", "evaluate", "prepare", "resume", "train", "train_stacked"]
