"""Reading experiment files: strict, safe YAML and `--set KEY=VALUE` overrides, as plain data.

No Keras here (only PyYAML): the `snn` command reads a config's `training.backend` with
these functions before Keras is imported, the same way the full validation
(`snn.config.experiment`) reads it afterwards.
"""

import re
from pathlib import Path

import yaml

from snn.errors import ConfigError


class _StrictSafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, plus: duplicate keys are errors, `1e-3` is a float, and only
    true and false are booleans.

    YAML 1.1 only reads floats with a dot (`1.0e-3`); people write `1e-3`. It also reads
    yes, no, on and off as booleans, so `audit: off` would be False rather than the
    choice "off"; YAML 1.2, like JSON, has true and false only.
    """

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


_BOOL = "tag:yaml.org,2002:bool"
_StrictSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_StrictSafeLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_StrictSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def parse_yaml(text, source):
    """Parse YAML text with the strict safe loader.

    Args:
        text: str, the YAML document.
        source: str naming where it came from (a path or "--set"), for error messages.

    Returns:
        The parsed value (plain dicts, lists, strings and numbers only).

    Raises:
        ConfigError: invalid YAML, a tab, a duplicate key or a Python-object tag.
    """
    try:
        return yaml.load(text, Loader=_StrictSafeLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = error.problem or error.context
        tag = re.search(r"tag '([^']*)'", problem or "")
        if "'\\t'" in (problem or ""):
            problem = "got a tab; expected spaces (YAML allows tabs only inside quotes)"
        elif isinstance(error, yaml.constructor.ConstructorError) and tag:
            problem = (f"got the tag {tag.group(1).replace('tag:yaml.org,2002:', '!!')}; "
                       "expected plain YAML values (configs are read with a safe loader, "
                       "which runs no code)")
        raise ConfigError(f"{source}: {where}{problem}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: invalid YAML ({error})") from None


def read_config(path):
    """Read an experiment file as plain data, unvalidated.

    Args:
        path: str or Path of a YAML file.

    Returns:
        dict, the parsed mapping.

    Raises:
        ConfigError: missing, unreadable or empty file, invalid YAML, or not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: got byte {error.object[error.start]:#04x} at position "
                          f"{error.start}; expected UTF-8 YAML text") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file ({error.strerror})") from None
    raw = parse_yaml(text, str(path))
    if raw is None:
        raise ConfigError(f"{path}: the file is empty; expected an experiment mapping")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: got a {type(raw).__name__}; expected a mapping of keys")
    return raw


def apply_overrides(raw, overrides):
    """Apply "dotted.key=value" overrides to a raw config mapping, in place.

    Args:
        raw: dict, the parsed YAML.
        overrides: iterable of str.

    Returns:
        list[str]: the overridden key paths.

    Raises:
        ConfigError: an override without "=", or one that descends into a non-mapping.
    """
    keys = []
    for override in overrides:
        key, sep, text = override.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {override!r}: expected KEY=VALUE, e.g. model.depth=16")
        set_key(raw, key, parse_yaml(text, f"--set {key}"), f"--set {override!r}")
        keys.append(key)
    return keys


def get_key(raw, key, default=None):
    """The value at a dotted key of a nested mapping.

    Args:
        raw: dict, e.g. the parsed YAML or `to_dict` of a config.
        key: str, e.g. "training.learning_rate".
        default: what to return where a part of the path is missing.

    Returns:
        The value, or `default`.
    """
    node = raw
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def set_key(raw, key, value, source):
    """Set a dotted key in a raw config mapping, in place, creating sections on the way.

    Args:
        raw: dict, the parsed YAML.
        key: str, e.g. "training.learning_rate".
        value: the new value.
        source: where the setting comes from, for the error message.

    Raises:
        ConfigError: a part of the path is not a mapping.
    """
    *parents, leaf = key.split(".")
    node = raw
    for depth, part in enumerate(parents):
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{source}: {'.'.join(parents[:depth + 1])} is not a mapping")
    node[leaf] = value
