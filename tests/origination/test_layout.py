"""Origination's layout (issue 9, item 24): no import circles between its modules, and the modules split by
sub-domain stay small. ``make lint`` enforces the circles package by package (import-linter); this test names
the modules of any circle."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

import origination

ROOT = Path(origination.__file__).parent
# Being split by another change of the same issue; nothing else may join a circle.
KNOWN = {"origination.services.compliance", "origination.services.disclosures", "origination.selectors.compliance"}


def _circles(graph) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_circle_between_origination_modules():
    circles = _circles(grimp.build_graph("origination"))
    assert [sorted(c) for c in circles if not c <= KNOWN] == []


@pytest.mark.parametrize("package", ["demo", "services/intake", "forms/intake"])
def test_the_split_modules_stay_under_400_lines(package):
    sizes = {path.name: len(path.read_text().splitlines()) for path in (ROOT / package).glob("*.py")}
    assert len(sizes) >= 4
    assert {name: lines for name, lines in sizes.items() if lines > 400} == {}
