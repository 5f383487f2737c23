"""Model builders registered by name; one factory builds any of them."""

from snn.errors import ConfigError
from snn.schema import check_arguments, signature_spec

_BUILDERS = {}
_KINDS = {}

# Supplied by the trainer (from the data and the experiment seed), not by a config's model:.
SUPPLIED_ARGUMENTS = ("input_shape", "num_outputs", "seed")


def register_model(builder, kind="snn"):
    """Register a model builder under its function name (use as a decorator).

    The builder's annotated keyword arguments are its config keys: `build_model` and the
    config loader validate against them.

    Args:
        builder: function `(input_shape, num_outputs, **arguments) -> keras.Model`, or an
            unfitted scikit-learn estimator for kind "reference".
        kind: "snn" for self-normalizing networks (they must pass `snn.diagnostics.audit`),
            "baseline" for the paper's competing networks, "reference" for its
            non-neural methods (SVM, random forest).

    Returns:
        The builder, unchanged.

    Raises:
        ValueError: a builder of the same name is already registered.
    """
    if builder.__name__ in _BUILDERS:
        raise ValueError(f"a model named {builder.__name__!r} is already registered")
    _BUILDERS[builder.__name__] = builder
    _KINDS[builder.__name__] = kind
    return builder


def list_models(kind=None):
    """The names of the registered model builders, sorted.

    Args:
        kind: None for all, or "snn" / "baseline" / "reference".

    Returns:
        list[str].
    """
    return sorted(name for name in _BUILDERS if kind in (None, _KINDS[name]))


def model_kind(name):
    """"snn", "baseline" or "reference", as registered.

    Raises:
        ConfigError: `name` is not registered.
    """
    _builder(name)
    return _KINDS[name]


def model_arguments(name):
    """The config arguments of a builder: {name: (annotation, default)}.

    Args:
        name: a registered model name.

    Returns:
        dict, without `input_shape`, `num_outputs` and `seed`, which the trainer supplies.

    Raises:
        ConfigError: `name` is not registered (the message lists the known names).
    """
    return signature_spec(_builder(name), exclude=SUPPLIED_ARGUMENTS)


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
    builder = _builder(name)
    arguments = check_arguments(signature_spec(builder), kwargs, "model")
    return builder(**arguments)


def _builder(name):
    if name not in _BUILDERS:
        raise ConfigError(
            f"model.name: unknown model {name!r}; known models: {', '.join(list_models())}",
            key="model.name",
        )
    return _BUILDERS[name]
