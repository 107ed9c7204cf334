"""The package layout: the sweep machinery never imports the figures, and no package imports in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("datasets", "losses", "training", "sweeps", "analysis", "experiments")


def imports(path: Path) -> set[str]:
    """Modules ``path`` imports, at its top, inside a function (a deferred import still ties the two modules) or
    under ``if TYPE_CHECKING`` (a type-only import is still a cycle for a reader and a type checker)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    return {name: {m for m in imports(path) if m in modules} - {name} for name, path in modules.items()}


def test_the_sweep_machinery_imports_nothing_from_the_figures():
    graph = import_graph()
    upward = {
        (a, b) for a, edges in graph.items() if a.startswith("sweeps") for b in edges if b.startswith("experiments")
    }
    assert not upward, f"sweeps/ must not import experiments/: {sorted(upward)}"


@pytest.mark.parametrize("lower", ["datasets", "losses"])
def test_the_data_and_loss_packages_import_nothing_else_of_the_suite(lower):
    others = {p for p in PACKAGES if p != lower}
    graph = import_graph()
    leaks = {(a, b) for a, edges in graph.items() if a.startswith(lower) for b in edges if b.split(".")[0] in others}
    assert not leaks, sorted(leaks)


def test_no_modules_import_each_other_in_a_cycle():
    graph = import_graph()
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in done:
                visit(nxt, [*path, nxt])
        done.add(node)

    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    assert not cycles, f"import cycles: {cycles[:3]}"


def lazy_references() -> list[tuple[str, object]]:
    """Every function an experiment names by string (``sweeps.spec.Lazy``): its run, data source, figure and
    claim check, and each preset's own figure and claim check."""
    from experiments.registry import EXPERIMENTS

    found = []
    for name, experiment in EXPERIMENTS.items():
        for role in ("run", "data_source", "figure", "claim_check"):
            found.append((f"{name}.{role}", getattr(experiment, role)))
        for preset_name, preset in experiment.presets.items():
            found += [(f"{name}[{preset_name}].{role}", getattr(preset, role)) for role in ("figure", "claim_check")]
    return [(label, reference) for label, reference in found if reference is not None]


def test_every_lazy_reference_of_every_experiment_resolves_to_a_function():
    from sweeps.spec import Lazy

    references = lazy_references()
    assert any(isinstance(reference, Lazy) for _, reference in references)
    for label, reference in references:
        function = reference.resolve() if isinstance(reference, Lazy) else reference
        assert callable(function), label


def test_a_misspelt_lazy_reference_fails_naming_it():
    from sweeps.spec import Lazy

    with pytest.raises(ImportError, match="experiments.runs.randbit.rnu is not a function"):
        Lazy("experiments.runs.randbit", "rnu").resolve()
    with pytest.raises(ImportError):
        Lazy("experiments.runs.randbits", "run").resolve()
