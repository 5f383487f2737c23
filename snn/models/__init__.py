"""Model builders registered by name: the SNN architectures, the paper's baselines and
reference methods.

Example:
>>> from snn.models import build_model, list_models
>>> list_models("snn")
['snn_cnn', 'snn_mlp']
>>> model = build_model("snn_mlp", input_shape=(64,), num_outputs=10, depth=8, units=256)
"""

from snn.models import baselines, cnn, mlp, reference  # noqa: F401  (register builders)
from snn.models.registry import MODELS, build_model, list_models, model_arguments, model_kind

__all__ = ["MODELS", "build_model", "list_models", "model_arguments", "model_kind"]
