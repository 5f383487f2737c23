"""Reduced reproductions: how a preset cuts a network's grid, the same way for every table."""

from snn.config import load_config
from snn.models import model_kind


def network_overrides(config, grid, epochs=None):
    """A preset's overrides of one method's config.

    A network gets the preset's grid, 256 units and rectangular layers (and `epochs`, if
    given); a reference method (SVM, random forest, ...) keeps its own small grid.

    Args:
        config: Path of the method's config; its stem (e.g. "resnet") picks its grid.
        grid: {config stem or "*" (every other network): the `sweep.grid` value, as YAML}.
        epochs: int or None (keep the config's).

    Returns:
        list of "key=value" override strings.

    Raises:
        ConfigError: the config is invalid.
    """
    if model_kind(load_config(config).model.name) == "reference":
        return []
    return [f"sweep.grid={grid.get(config.stem, grid['*'])}", "model.units=256",
            "model.layer_form=rectangular",
            *([f"training.epochs={epochs}"] if epochs else [])]
