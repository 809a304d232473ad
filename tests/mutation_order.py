"""Killer first: in a mutation run, each mutant's session runs first the tests that killed earlier mutants of the
same function.

mutmut runs a mutant's covering tests with ``-x`` in an arbitrary order (a set), so a killed mutant pays for every
passing test that happens to come before the one that fails. The mutants of one function are tried one after
another, and the test that killed one usually kills the next: each forked session appends the test that failed to
a shared file (``LENDING_MUTATION_KILLERS``, set by scripts/mutation.py), and the next session of the same
function orders its tests by those kills, the rest after them by their recorded duration, fastest first. The
verdicts do not change (every test still runs until one fails); only the time to the first failure does.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path


def function_of(mutant: str) -> str:
    """``servicing.services.posting.x_post__mutmut_12`` -> ``servicing.services.posting.x_post``."""
    return mutant.rsplit("__mutmut_", 1)[0]


def read_kills(path: Path, function: str) -> Counter[str]:
    """How many of ``function``'s mutants each test killed so far (lines ``function<TAB>nodeid``)."""
    kills: Counter[str] = Counter()
    if not path.exists():
        return kills
    for line in path.read_text().splitlines():
        name, _, nodeid = line.partition("\t")
        if name == function and nodeid:
            kills[nodeid] += 1
    return kills


def killer_first(nodeids: list[str], kills: Counter[str], durations: dict[str, float]) -> list[str]:
    """The tests that killed most first; then the others, fastest first (unknown durations last); ties keep their
    order."""
    return sorted(nodeids, key=lambda nodeid: (-kills[nodeid], durations.get(nodeid, float("inf"))))


class KillerFirst:
    """The pytest plugin: orders a mutant's session and records the test that killed it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def _function() -> str | None:
        mutant = os.environ.get("MUTANT_UNDER_TEST", "")
        return function_of(mutant) if "__mutmut_" in mutant else None

    def pytest_collection_modifyitems(self, items) -> None:
        function = self._function()
        if function is None:  # mutmut's own runs (coverage, the clean run) keep their order
            return
        stats = Path("mutmut-stats.json")  # mutmut's per-test call durations, in the session's directory
        durations = json.loads(stats.read_text()).get("duration_by_test", {}) if stats.exists() else {}
        by_id = {item.nodeid: item for item in items}
        order = killer_first(list(by_id), read_kills(self.path, function), durations)
        items[:] = [by_id[nodeid] for nodeid in order]

    def pytest_runtest_logreport(self, report) -> None:
        function = self._function()
        if function is None or not report.failed:
            return
        # One short line, appended: forked sessions side by side do not interleave within it (O_APPEND).
        with open(self.path, "a") as killers:
            killers.write(f"{function}\t{report.nodeid}\n")
