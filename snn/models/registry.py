"""Model builders registered by name; one factory builds any of them."""

from snn.registry import Registry
from snn.schema import check_arguments, signature_spec

MODELS = Registry("model", "model.name")
"""The model builders, tagged with their `kind`: "snn" for self-normalizing networks (they
must pass `snn.diagnostics.audit`), "baseline" for the paper's competing networks,
"reference" for its non-neural methods (SVM, random forest). A builder is a function
`(input_shape, num_outputs, **arguments) -> keras.Model`, or an unfitted scikit-learn
estimator for "reference"; its annotated keyword arguments are its config keys."""

# Supplied by the trainer (from the data and the experiment seed), not by a config's model:.
SUPPLIED_ARGUMENTS = ("input_shape", "num_outputs", "seed")


def list_models(kind=None):
    """The names of the registered model builders, sorted.

    Args:
        kind: None for all, or "snn" / "baseline" / "reference".

    Returns:
        list[str].
    """
    return MODELS.names() if kind is None else MODELS.names(kind=kind)


def model_kind(name):
    """"snn", "baseline" or "reference", as registered.

    Raises:
        ConfigError: `name` is not registered.
    """
    return MODELS.tags(name)["kind"]


def model_arguments(name):
    """The config arguments of a builder: {name: (annotation, default)}.

    Args:
        name: a registered model name.

    Returns:
        dict, without `input_shape`, `num_outputs` and `seed`, which the trainer supplies.

    Raises:
        ConfigError: `name` is not registered (the message lists the known names).
    """
    return MODELS.arguments(name, exclude=SUPPLIED_ARGUMENTS)


def build_model(name, **kwargs):
    """Build a registered model by name.

    Args:
        name: a name from `list_models()`, e.g. "snn_mlp".
        **kwargs: the builder's arguments, including `input_shape` (tuple of ints, without
            the batch dimension) and `num_outputs` (int).

    Returns:
        keras.Model, not compiled; or an unfitted scikit-learn estimator for a "reference"
        model.

    Raises:
        ConfigError: unknown model name, unknown argument, wrong type or out-of-range value
            (the message names the argument as `model.<argument>`).

    Example:
    >>> model = build_model("snn_mlp", input_shape=(64,), num_outputs=10, depth=4, seed=0)
    >>> model.output_shape
    (None, 10)
    """
    builder = MODELS.get(name)
    arguments = check_arguments(signature_spec(builder), kwargs, "model")
    return builder(**arguments)
