"""One registry for everything a config names: model builders and data sources."""

import pytest

from snn.data import SOURCES
from snn.errors import ConfigError
from snn.models import MODELS
from snn.registry import Registry


def _registry():
    things = Registry("thing", "section.name")

    @things.register(kind="a")
    def first(depth: int = 2, seed: int = 0):
        return depth

    def second():
        return "second"

    things.register(second, name="renamed", kind="b")
    return things


def test_functions_register_by_decorator_or_call_under_a_name_with_tags():
    things = _registry()
    assert things.names() == ["first", "renamed"]
    assert things.names(kind="a") == ["first"] and things.names(kind="c") == []
    assert things.get("renamed")() == "second" and things.tags("renamed") == {"kind": "b"}
    assert list(things.arguments("first", exclude=("seed",))) == ["depth"]


def test_a_misspelled_name_is_one_line_with_the_closest_name():
    with pytest.raises(ConfigError, match=r"^section.name: unknown thing 'frist'; did you mean "
                                          r"'first'\? known things: first, renamed$") as raised:
        _registry().get("frist")
    assert raised.value.key == "section.name"
    with pytest.raises(ConfigError, match="unknown thing 'zzz'; known things: first, renamed$"):
        _registry().get("zzz")


@pytest.mark.parametrize("registry, taken", [(MODELS, "snn_mlp"), (SOURCES, "csv")])
def test_a_taken_name_is_refused_everywhere(registry, taken):
    with pytest.raises(ValueError, match="already registered"):
        registry.register(lambda: None, name=taken)
    assert registry.get(taken).__name__ != "<lambda>"
