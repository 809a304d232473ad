"""Issue 17, "effects, not only status codes": every view test that POSTs reads the database after its last POST
(the row, the state, the audit event, or that nothing was written). A static check of the test sources, so a new
test that asserts only a status code or a redirect fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AREAS = ("servicing", "origination", "crm", "core")
POST = "client.post("
# A database read after the POST: a manager query, a refresh, a related manager, the audit log, sent mail, or a
# helper that counts rows (named in its test file).
EFFECT = re.compile(
    r"objects\.|refresh_from_db|AuditEvent|\.exists\(\)|\.count\(\)|\.get\(\)|selectors\.|outbox|marked\(|_counts\("
)
# Tests whose last POST cannot write: a 404 on an id that does not exist, after the effects were asserted.
EXEMPT = {
    "servicing/plans/test_views_plans.py::test_a_refused_transition_is_a_409_with_the_reason",
}


def _tests_whose_last_post_is_unchecked(root: Path = ROOT) -> list[str]:
    found = []
    for area in AREAS:
        for path in sorted((root / area).rglob("test_*.py")):
            source = path.read_text()
            if POST not in source:
                continue
            lines = source.splitlines()
            for node in ast.walk(ast.parse(source)):
                if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test")):
                    continue
                body = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                last = body.rfind(POST)
                if last >= 0 and not EFFECT.search(body[last:]):
                    found.append(f"{path.relative_to(root).as_posix()}::{node.name}")
    return sorted(found)


def test_every_view_test_that_posts_reads_what_was_written():
    unchecked = set(_tests_whose_last_post_is_unchecked())
    assert sorted(unchecked - EXEMPT) == []
    assert EXEMPT.issubset(unchecked)  # an exemption no longer needed is removed


def test_the_check_flags_a_test_that_asserts_only_the_status(tmp_path):
    (tmp_path / "crm").mkdir()
    (tmp_path / "crm" / "test_x.py").write_text(
        "def test_only_status(client):\n    assert client.post('/x/').status_code == 302\n\n\n"
        "def test_with_effect(client):\n    client.post('/x/')\n    assert Lead.objects.count() == 1\n"
    )
    assert _tests_whose_last_post_is_unchecked(tmp_path) == ["crm/test_x.py::test_only_status"]
