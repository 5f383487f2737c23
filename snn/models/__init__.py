"""Model builders: the SNN architectures, registered by name.

Example:
>>> from snn.models import build_model, list_models
>>> list_models("snn")
['snn_cnn', 'snn_mlp']
>>> model = build_model("snn_mlp", input_shape=(64,), num_outputs=10, depth=8, units=256)
"""

from snn.models import baselines, cnn, mlp  # noqa: F401  (registers the builders)
from snn.models.registry import build_model, list_models, model_arguments, model_kind
from snn.models.registry import register_model

__all__ = ["build_model", "list_models", "model_arguments", "model_kind", "register_model"]
