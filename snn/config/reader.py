"""Reading experiment files: strict, safe YAML and `--set KEY=VALUE` overrides, as plain data.

No Keras here (only PyYAML): the `snn` command reads a config's `training.backend` with
these functions before Keras is imported, the same way the full validation
(`snn.config.experiment`) reads it afterwards.
"""

import os
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
    """Read an experiment file as plain data, unvalidated, its `base:` and `${VAR}` resolved.

    `base: other.yaml` (a path relative to the file) starts from another experiment file:
    each section's keys from this file replace the same keys of the base's section, and
    a top-level value replaces the base's. A string value may name environment variables,
    `${VAR}` or `${VAR:-default}`; a value that is one such reference alone is read as
    YAML once substituted, so `epochs: ${EPOCHS:-10}` is a number.

    Args:
        path: str or Path of a YAML file.

    Returns:
        dict, the parsed mapping.

    Raises:
        ConfigError: missing, unreadable or empty file, invalid YAML, not a mapping, a
            `base:` file that is missing or leads back to this one, or an unset variable
            without a default.
    """
    return _read_composed(Path(path), ())


def _read_composed(path, chain):
    raw = expand_variables(_read_file(path), str(path))
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ConfigError(f"{path}: base: got {base!r}; expected the path of another "
                          "experiment file")
    base_path = path.parent / base
    visited = chain + (path.resolve(),)
    if base_path.resolve() in visited:
        cycle = " -> ".join(p.name for p in visited + (base_path.resolve(),))
        raise ConfigError(f"{path}: base: {base!r} leads back to itself ({cycle}); expected "
                          "a chain of files without a cycle")
    if not base_path.is_file():
        raise ConfigError(f"{path}: base: {base!r} not found (looked for {base_path})")
    merged = _read_composed(base_path, visited)
    for key, value in raw.items():
        section = merged.get(key)
        merged[key] = ({**section, **value} if isinstance(section, dict) and
                       isinstance(value, dict) else value)
    return merged


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_variables(raw, source, key=""):
    """Substitute `${VAR}` and `${VAR:-default}` in every string of a parsed config.

    Args:
        raw: the parsed YAML (dicts, lists, scalars).
        source: the file, for messages.
        key: the dotted key path of `raw`, for messages.

    Returns:
        A copy with every reference replaced by the variable's value (or its default).

    Raises:
        ConfigError: a variable is unset and has no default.
    """
    if isinstance(raw, dict):
        return {name: expand_variables(value, source, f"{key}.{name}" if key else str(name))
                for name, value in raw.items()}
    if isinstance(raw, list):
        return [expand_variables(value, source, f"{key}[{i}]") for i, value in enumerate(raw)]
    if not isinstance(raw, str) or "${" not in raw:
        return raw

    def value(match):
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise ConfigError(f"{source}: {key}: ${{{name}}} is not set; set the environment "
                              f"variable or give a default, ${{{name}:-default}}")
        return default

    whole = _VARIABLE.fullmatch(raw)
    expanded = _VARIABLE.sub(value, raw)
    return parse_yaml(expanded, f"{source}: {key}") if whole and expanded else expanded


def _read_file(path):
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


def first_difference(one, other, skip=()):
    """The first dotted key, in the mappings' order, whose values differ.

    Args:
        one, other: nested dicts, e.g. two `to_dict` configs.
        skip: dotted keys left out of the comparison, with everything under them.

    Returns:
        str, e.g. "training.batch_size", or None where they agree outside `skip`.
    """
    return _difference(one, other, set(skip), "")


def _difference(one, other, skip, prefix):
    for key in dict.fromkeys([*one, *other]):
        dotted = f"{prefix}{key}"
        if dotted in skip:
            continue
        a, b = one.get(key), other.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            found = _difference(a, b, skip, dotted + ".")
            if found:
                return found
        elif a != b:
            return dotted
    return None


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
