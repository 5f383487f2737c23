"""Typed, range-checked arguments: one checker for config sections and builder signatures.

Config sections are dataclasses and model builders / data sources are plain functions; both
declare their arguments with type annotations, using `typing.Annotated[T, Range(...)]` for
bounds. `check` validates a value against such an annotation and `check_arguments` validates a
whole mapping against a function signature, so a YAML file, a `--set` override and a Python
call are held to exactly the same rules.
"""

import dataclasses
import inspect
import numbers
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from snn.errors import ConfigError, did_you_mean


@dataclasses.dataclass(frozen=True)
class Range:
    """Bounds of a number, for use in `Annotated[int, Range(1)]`.

    Args:
        low: smallest allowed value, or None for no lower bound.
        high: largest allowed value, or None for no upper bound.
        low_open: whether `low` itself is excluded.
        high_open: whether `high` itself is excluded.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def contains(self, value):
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        if self.high is not None and (
            value > self.high or (self.high_open and value == self.high)
        ):
            return False
        return True

    def describe(self):
        if self.low is not None and self.high is not None:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            return f"in {left}{self.low}, {self.high}{right}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {self.low}"
        return f"{'<' if self.high_open else '<='} {self.high}"


@dataclasses.dataclass(frozen=True)
class Pattern:
    """A regular expression a string must match, for use in `Annotated[str, Pattern(...)]`.

    Args:
        regex: matched against the whole string.
        description: what a matching string looks like, for error messages.
    """

    regex: str
    description: str


PositiveInt = Annotated[int, Range(1)]
UnitInterval = Annotated[float, Range(0.0, 1.0, high_open=True)]
"""A probability that may be zero but not one, such as a dropout rate."""


class _Mismatch(Exception):
    """Internal: a value does not fit an annotation (carries the offending value)."""

    def __init__(self, value):
        super().__init__(value)
        self.value = value


def describe(annotation):
    """Say in words what an annotation accepts, e.g. "an integer >= 1 or a list of ...".

    Args:
        annotation: a type annotation of the kinds `check` understands.

    Returns:
        str: a short English description.
    """
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *extras = typing.get_args(annotation)
        for extra in extras:
            if isinstance(extra, Pattern):
                return extra.description
        bounds = " ".join(e.describe() for e in extras if isinstance(e, Range))
        return f"{describe(base)} {bounds}".strip()
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in typing.get_args(annotation))
    if origin is list:
        (item,) = typing.get_args(annotation)
        return f"a list of {_plural(describe(item))}"
    if origin is dict:
        key, item = typing.get_args(annotation)
        return f"a mapping of {_plural(describe(key))} to {_plural(describe(item))}"
    if dataclasses.is_dataclass(annotation):
        return "a mapping"
    return {
        bool: "true or false",
        int: "an integer",
        float: "a number",
        str: "a string",
        Path: "a file path",
        type(None): "null",
        Any: "any value",
    }.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _plural(text):
    for singular, plural in (("an integer", "integers"), ("a number", "numbers"),
                             ("a string", "strings"), ("a list", "lists")):
        if text.startswith(singular):
            return plural + text[len(singular):]
    return text


def _is_number(value):
    # bool is a number to Python, but `depth: true` is a mistake, not 1.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# Scalar types: which values each accepts, and the conversion. NumPy scalars count as numbers.
_SCALARS = {
    type(None): (lambda v: v is None, lambda v: v),
    bool: (lambda v: isinstance(v, bool), bool),
    int: (lambda v: _is_number(v) and isinstance(v, numbers.Integral), int),
    float: (_is_number, float),
    str: (lambda v: isinstance(v, str), str),
    Path: (lambda v: isinstance(v, (str, Path)) and str(v) != "", Path),
}


def _convert(value, annotation):
    """Return `value` converted to `annotation`, or raise `_Mismatch`."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *extras = typing.get_args(annotation)
        converted = _convert(value, base)
        for extra in extras:
            if isinstance(extra, Range) and not extra.contains(converted):
                raise _Mismatch(value)
            if isinstance(extra, Pattern) and not re.fullmatch(extra.regex, converted):
                raise _Mismatch(value)
        return converted
    if origin is Literal:
        if value in typing.get_args(annotation) and isinstance(value, (str, bool, type(None))):
            return value
        raise _Mismatch(value)
    if origin in (Union, types.UnionType):
        for option in typing.get_args(annotation):
            try:
                return _convert(value, option)
            except _Mismatch:
                continue
        raise _Mismatch(value)
    if origin is list:
        (item,) = typing.get_args(annotation)
        if not isinstance(value, (list, tuple)):
            raise _Mismatch(value)
        return [_convert(v, item) for v in value]
    if origin is dict:
        key, item = typing.get_args(annotation)
        if not isinstance(value, dict):
            raise _Mismatch(value)
        return {_convert(k, key): _convert(v, item) for k, v in value.items()}
    if annotation is Any:
        return value
    if annotation in _SCALARS:
        accepts, convert = _SCALARS[annotation]
        if accepts(value):
            return convert(value)
        raise _Mismatch(value)
    raise TypeError(f"unsupported annotation {annotation!r}")


def check(value, annotation, key):
    """Validate and convert one value.

    Args:
        value: the value as read from YAML or passed from Python.
        annotation: the declared type, e.g. `Annotated[float, Range(0, 1)]`.
        key: the dotted key path used in the error message, e.g. "training.learning_rate".

    Returns:
        The value converted to the declared type (ints widen to floats, strings to Paths).

    Raises:
        ConfigError: the value does not have the declared type or is out of range.
    """
    try:
        return _convert(value, annotation)
    except _Mismatch:
        raise ConfigError(
            f"{key}: got {value!r} ({_yaml_type(value)}); expected {describe(annotation)}",
            key=key,
        ) from None


def _yaml_type(value):
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string",
            list: "list", dict: "mapping"}.get(type(value), type(value).__name__)


def unknown_key(key, known):
    """Build the error for a key that is not allowed, suggesting the closest known key.

    Args:
        key: the full dotted path of the unknown key, e.g. "training.learnig_rate".
        known: the keys allowed at that level.

    Returns:
        ConfigError: ready to raise.
    """
    hint = did_you_mean(key.rsplit(".", 1)[-1], known)
    return ConfigError(f"{key}: unknown key; {hint}known keys: {', '.join(sorted(known))}",
                       key=key)


def signature_spec(function, exclude=()):
    """The declared arguments of a function: {name: (annotation, default)}.

    Args:
        function: a builder or data source with annotated keyword arguments.
        exclude: argument names that are supplied by the caller, not by the user.

    Returns:
        dict: `default` is `inspect.Parameter.empty` for required arguments.
    """
    hints = typing.get_type_hints(function, include_extras=True)
    return {
        name: (hints.get(name, Any), param.default)
        for name, param in inspect.signature(function).parameters.items()
        if name not in exclude
    }


def check_arguments(spec, values, prefix):
    """Validate a mapping of arguments against a signature spec.

    Args:
        spec: {name: (annotation, default)} as returned by `signature_spec`.
        values: the user's arguments (a mapping).
        prefix: the key path of the mapping, e.g. "model", for error messages.

    Returns:
        dict: every argument, converted; the ones not given take their defaults.

    Raises:
        ConfigError: an unknown key, a wrong type, an out-of-range value or a missing
            required argument.
    """
    for name in values:
        if name not in spec:
            raise unknown_key(f"{prefix}.{name}", spec)
    for name, (annotation, default) in spec.items():
        if default is inspect.Parameter.empty and name not in values:
            raise ConfigError(f"{prefix}.{name}: missing; expected {describe(annotation)}",
                              key=f"{prefix}.{name}")
    return {name: check(values.get(name, default), annotation, f"{prefix}.{name}")
            for name, (annotation, default) in spec.items()}
