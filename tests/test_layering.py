"""The package's architecture: layers whose imports point only downward, and no cycles.

Every `import` of the package's own modules counts, inside functions too: an import that
is only deferred still makes one module depend on the other. The README's Layout section
shows the same table.
"""

import ast

from conftest import ROOT

PACKAGE = ROOT / "snn"

# Lowest first; a module belongs to the longest prefix that names it.
LAYERS = [
    ("L0 utilities", ["snn.version", "snn.errors", "snn.util"]),
    ("L1 domain", ["snn.theory", "snn.schema", "snn.registry", "snn.config", "snn.layers",
                   "snn.models", "snn.data", "snn.metrics", "snn.losses", "snn.evaluation",
                   "snn.comparison", "snn.diagnostics"]),
    ("L2 devices and workers", ["snn.distributed"]),
    ("L3 run directories", ["snn.runs"]),
    ("L4 training and inference", ["snn.training", "snn.inference", "snn.export"]),
    ("L5 sweeps", ["snn.sweeps"]),
    ("L6 what users call", ["snn", "snn.sklearn", "snn.report", "snn.paper", "snn.cli",
                            "snn.__main__"]),
]


def _modules():
    """{dotted module name: path} of every module of the package."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _imports(path, module, modules):
    """The package's modules that `module` (at `path`) imports, anywhere in its code."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package upward
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # `from snn import runs` imports the module snn.runs
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return {name for name in found if name in modules and name != module}


def _layer(module):
    # "snn" is the package's own __init__ alone; every other prefix takes its submodules.
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS)
               for prefix in prefixes
               if module == prefix or prefix != "snn" and module.startswith(prefix + ".")]
    assert matches, f"{module} is in no layer: add it to LAYERS and the README's table"
    return max(matches)[1]


def _graph():
    modules = _modules()
    return {module: _imports(path, module, modules) for module, path in modules.items()}


def test_every_import_points_to_the_same_layer_or_a_lower_one():
    upward = sorted(f"{module} ({LAYERS[_layer(module)][0]}) imports {imported} "
                    f"({LAYERS[_layer(imported)][0]})"
                    for module, imported_modules in _graph().items()
                    for imported in imported_modules if _layer(imported) > _layer(module))
    assert upward == []


def test_no_modules_import_each_other_in_a_cycle():
    graph = _graph()
    cycles = [component for component in _strongly_connected(graph) if len(component) > 1]
    assert cycles == []


def _strongly_connected(graph):
    """Tarjan's algorithm: the graph's strongly connected components, each sorted."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_check_sees_imports_inside_functions_and_cycles(tmp_path):
    # The checks above pass only if they can fail: a deferred upward import is found,
    # and so is a cycle.
    path = tmp_path / "module.py"
    path.write_text("def f():\n    from snn.cli import main\n    from . import sibling\n")
    modules = {"snn.theory": path, "snn.cli": None, "snn.sibling": None}
    assert _imports(path, "snn.theory", modules) == {"snn.cli", "snn.sibling"}
    assert _layer("snn.cli") > _layer("snn.theory")
    assert [c for c in _strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}})
            if len(c) > 1] == [["a", "b"]]
