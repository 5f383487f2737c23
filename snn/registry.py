"""Functions registered by name: model builders, data sources, anything chosen in a config.

One `Registry` per kind of thing. A function registers under its own name or a given one,
with tags (a model's `kind`, say); a name can be taken once; a config names it, and a
misspelled name gets one line with the closest known name. The function's annotated
arguments are the config keys it takes (`snn.schema.signature_spec`).
"""


from snn.errors import ConfigError, did_you_mean
from snn.schema import signature_spec


class Registry:
    """Named functions of one kind, each with tags.

    Args:
        kind: str, what the functions are, for messages: "model", "source".
        key: str, the config key that names one, for messages: "model.name".

    Example:
    >>> models = Registry("model", "model.name")
    >>> @models.register(kind="snn")
    ... def tiny(depth: int = 2):
    ...     return depth
    >>> models.names(kind="snn"), models.get("tiny")()
    (['tiny'], 2)
    """

    def __init__(self, kind, key):
        self.kind, self.key = kind, key
        self._entries = {}  # name -> (function, tags)

    def register(self, function=None, *, name=None, **tags):
        """Register `function` under `name` (default: its own name), with `tags`.

        Use as a decorator, `@registry.register(kind="snn")`, or as a call,
        `registry.register(function, name="msra_mlp", kind="baseline")`.

        Args:
            function: the function, or None to return a decorator.
            name: str, the name a config gives it; default `function.__name__`.
            **tags: str values to select it by in `names`.

        Returns:
            The function unchanged, or (without `function`) a decorator.

        Raises:
            ValueError: the name is taken.
        """
        def add(function):
            entry = name or function.__name__
            if entry in self._entries:
                raise ValueError(f"a {self.kind} named {entry!r} is already registered")
            self._entries[entry] = (function, tags)
            return function

        return add if function is None else add(function)

    def get(self, name):
        """The function registered as `name`.

        Raises:
            ConfigError: no such name; the message suggests the closest one and lists all.
        """
        if name not in self._entries:
            hint = did_you_mean(name, self._entries)
            raise ConfigError(f"{self.key}: unknown {self.kind} {name!r}; {hint}known "
                              f"{self.kind}s: {', '.join(self.names())}", key=self.key)
        return self._entries[name][0]

    def names(self, **tags):
        """The registered names whose tags include `tags`, sorted.

        Returns:
            list[str].
        """
        return sorted(name for name, (_, own) in self._entries.items()
                      if all(own.get(tag) == value for tag, value in tags.items()))

    def tags(self, name):
        """The tags `name` was registered with.

        Raises:
            ConfigError: no such name.
        """
        self.get(name)
        return dict(self._entries[name][1])

    def arguments(self, name, exclude=()):
        """The config arguments of `name`'s function: {argument: (annotation, default)}.

        Args:
            name: a registered name.
            exclude: arguments the caller supplies, not the config.

        Raises:
            ConfigError: no such name.
        """
        return signature_spec(self.get(name), exclude=exclude)
