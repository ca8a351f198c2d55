"""The layers, drawn from the code: services know nothing of HTTP, and no two packages
lean on each other.

The import graph is read with `ast` from every module under inspect_api/, every import
counted wherever it sits (module level, inside a function, under TYPE_CHECKING): a
function-level import is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import inspect_api

ROOT = Path(inspect_api.__file__).parent

# Third-party modules that are the HTTP layer: a service importing one cannot be called
# by a console or a command without faking a request.
HTTP_LIBRARIES = {"flask", "werkzeug", "flask_smorest", "flask_jwt_extended", "flask_cors",
                  "webargs", "flask_limiter"}

# Our own modules that speak HTTP (or wire the app): views, schemas, the OpenAPI and
# problem+json wiring, the request hooks, the commands and the demo loaders they run.
EDGE_MODULES = {
    "inspect_api.app", "inspect_api.api", "inspect_api.error_handlers", "inspect_api.problems",
    "inspect_api.requests", "inspect_api.inputs", "inspect_api.answers", "inspect_api.extensions",
    "inspect_api.health",
    "inspect_api.cli", "inspect_api.guard", "inspect_api.seed", "inspect_api.synthetic",
    # Query arguments, signed cursors and page bodies: what views hand back, not rules.
    "inspect_api.pagination",
    "inspect_api.auth.tokens", "inspect_api.auth.verified_tokens", "inspect_api.auth.throttle",
    "inspect_api.audit.anchoring",
}
EDGE_SUFFIXES = (".views", ".schemas")
# The web console is an edge as a whole: sign-in, pages, forms and their wiring, each
# calling the services as the API's views do.
EDGE_PACKAGES = ("inspect_api.console.",)

# App-bound registries: they find this app's instance through the app context, as
# flask-sqlalchemy's db.session does. A service calls get_store() as it uses db.session;
# the store itself (storage.base, .local, .minio_store) knows nothing of Flask. The
# lists kept per app are found the same way.
APP_BOUND = {"inspect_api.storage", "inspect_api.reports.list_cache"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> set[str]:
    """Every module `module` imports, absolute, relative ones resolved."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                # `from . import service` imports inspect_api.x.service.
                found.update(f"{target}.{alias.name}" for alias in node.names)
                found.add(target)
            else:
                found.add(node.module or "")
    return found


def import_graph() -> dict[str, set[str]]:
    return {_module_name(path): _imports(path, _module_name(path)) for path in ROOT.rglob("*.py")}


def is_edge(module: str) -> bool:
    return module in EDGE_MODULES or module.endswith(EDGE_SUFFIXES) or module.startswith(EDGE_PACKAGES)


def module_of(imported: str, graph: dict[str, set[str]]) -> str:
    """The module an import names: itself, or (`from module import name`) its parent."""
    return imported if imported in graph else imported.rpartition(".")[0]


def is_edge_target(imported: str, graph: dict[str, set[str]]) -> bool:
    """An import of an edge module or of a name inside one."""
    return is_edge(module_of(imported, graph))


def package_of(module: str) -> str:
    """inspect_api.visits.service -> visits; inspect_api.sync -> sync."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def http_imports_of_services(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for module, imported in graph.items():
        if is_edge(module) or module in APP_BOUND:
            continue
        bad = {name for name in imported
               if name.split(".")[0] in HTTP_LIBRARIES
               or (name.startswith("inspect_api.") and is_edge_target(name, graph))}
        if bad:
            found[module] = bad
    return found


def package_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Which package's services lean on which. Edges (views, schemas, the app wiring) sit
    above every package: a view may call any service (the reports views serve the
    documents, which read the reports), and no service imports an edge (the test above),
    so the rings that matter are between services."""
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imported in graph.items():
        if is_edge(module):
            continue
        for name in imported:
            if name.startswith("inspect_api.") and package_of(name) != package_of(module):
                edges[package_of(module)].add(package_of(name))
    return edges


def two_way(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for a, targets in edges.items() for b in targets
            if a < b and a in edges.get(b, set())}


def test_services_import_nothing_of_http():
    found = http_imports_of_services(import_graph())
    unexpected = {module: sorted(names) for module, names in found.items()}
    assert unexpected == {}, "services must take plain values from their views"


def test_no_two_packages_import_each_other():
    assert two_way(package_edges(import_graph())) == set()


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of packages that reach each other through any path (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(package: str) -> None:
        index[package] = low[package] = len(index)
        stack.append(package)
        for target in sorted(edges.get(package, ())):
            if target not in index:
                visit(target)
                low[package] = min(low[package], low[target])
            elif target in stack:
                low[package] = min(low[package], index[target])
        if low[package] == index[package]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == package:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for package in sorted(edges):
        if package not in index:
            visit(package)
    return found


def test_the_packages_form_layers():
    """Stronger than no two-way pair: no ring of any length (a -> b -> c -> a)."""
    assert cycles(package_edges(import_graph())) == []


def test_the_checks_see_what_they_look_for(tmp_path):
    """The graph is read right: a relative, a function-level and a package import."""
    graph = import_graph()
    assert "inspect_api.visits.models" in graph["inspect_api.visits.service"]
    assert "flask" in graph["inspect_api.app"]
    assert is_edge("inspect_api.visits.views") and not is_edge("inspect_api.visits.service")
    assert is_edge_target("inspect_api.visits.schemas.VisitSchema", graph)
    assert is_edge_target("inspect_api.api", graph)
    assert not is_edge_target("inspect_api.storage.base.ObjectStore", graph)
    assert two_way({"a": {"b"}, "b": {"a", "c"}, "c": set()}) == {("a", "b")}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from ..visits.views import blp\n")
    assert "inspect_api.visits.views.blp" in _imports(source, "inspect_api.reports.probe")


if __name__ == "__main__":  # python -m tests.unit.test_layers: print the package graph
    graph = import_graph()
    edges = package_edges(graph)
    for package in sorted(edges):
        print(f"{package} -> {', '.join(sorted(edges[package]))}")
    print("two-way:", sorted(two_way(edges)) or "none")
    print("rings:", cycles(edges) or "none")
    for module, names in sorted(http_imports_of_services(graph).items()):
        print("HTTP in", module, sorted(names))
