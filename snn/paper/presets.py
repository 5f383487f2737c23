"""What the reproduction scripts share: the method configs a user names, and how a preset
cuts a network's grid, the same way for every table."""

from snn.config import load_config
from snn.errors import ConfigError
from snn.models import model_kind


def method_configs(folder, methods):
    """The configs of the methods named on the command line (`--methods`).

    Args:
        folder: Path of a table's config directory, e.g. `configs/paper/uci`.
        methods: str, comma-separated config stems, e.g. "snn,svm".

    Returns:
        list of Paths, in the order named.

    Raises:
        ConfigError: a name has no config in `folder`.
    """
    configs = [folder / f"{name}.yaml" for name in methods.split(",")]
    for path in configs:
        if not path.is_file():
            known = sorted(config.stem for config in folder.glob("*.yaml"))
            raise ConfigError(f"--methods: no config {path}; expected names of {folder}: "
                              f"{', '.join(known)}")
    return configs


def network_overrides(config, grid, epochs=None, units=256):
    """A preset's overrides of one method's config.

    A network gets the preset's grid, `units` units and rectangular layers (and `epochs`,
    if given); a reference method (SVM, random forest, ...) keeps its own small grid.

    Args:
        config: Path of the method's config; its stem (e.g. "resnet") picks its grid.
        grid: {config stem or "*" (every other network): the `sweep.grid` value, as YAML}.
        epochs: int or None (keep the config's).
        units: int, the width of every hidden layer.

    Returns:
        list of "key=value" override strings.

    Raises:
        ConfigError: the config is invalid.
    """
    if model_kind(load_config(config).model.name) == "reference":
        return []
    return [f"sweep.grid={grid.get(config.stem, grid['*'])}", f"model.units={units}",
            "model.layer_form=rectangular",
            *([f"training.epochs={epochs}"] if epochs else [])]
