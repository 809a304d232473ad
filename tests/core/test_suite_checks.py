"""The suite's own checks (tests/conftest.py) hold under `--collect-only` and pytest-xdist workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import execnet
import pytest
from django.utils.safestring import mark_safe

from tests import conftest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_records(monkeypatch):
    monkeypatch.setattr(conftest, "RENDERED_TEMPLATES", set())
    monkeypatch.setattr(conftest, "SERVICE_SKIPS", {"postgres": 0, "redis": 0})
    monkeypatch.setattr(conftest, "WORKER_ERRORS", [])


def _worker_session(rendered: set[str], skips: dict[str, int]):
    conftest.RENDERED_TEMPLATES.update(rendered)
    conftest.SERVICE_SKIPS.update(skips)
    config = SimpleNamespace(workerinput={"workerid": "gw0"}, workeroutput={})
    return SimpleNamespace(config=config)


def test_a_worker_sends_what_it_rendered_and_skipped_to_the_controller(fresh_records):
    # Rendered the way Django renders: the template's name may be a SafeString.
    conftest._record_template(None, SimpleNamespace(name=mark_safe("base.html")), {})
    session = _worker_session({"403.html"}, {"postgres": 7})
    conftest.pytest_sessionfinish(session, 0)
    assert session.config.workeroutput == {
        "lending_rendered": ["403.html", "base.html"],
        "lending_service_skips": {"postgres": 7, "redis": 0},
    }
    # What xdist sends back must be plain data (a SafeString crashed the worker's report).
    assert execnet.loads(execnet.dumps(session.config.workeroutput)) == session.config.workeroutput


def test_the_controller_merges_the_workers_templates_and_counts_each_skip_once(fresh_records):
    for rendered, skips in ((["a.html"], {"postgres": 7, "redis": 0}), (["b.html"], {"postgres": 7, "redis": 1})):
        node = SimpleNamespace(workeroutput={"lending_rendered": rendered, "lending_service_skips": skips})
        conftest.pytest_testnodedown(node, None)
    merged = conftest.RENDERED_TEMPLATES
    assert merged == {"a.html", "b.html"}
    # Every worker collects (and skips) the whole suite: the count is one worker's, not the sum.
    assert conftest.SERVICE_SKIPS == {"postgres": 7, "redis": 1}


@pytest.mark.slow_subprocess
def test_collect_only_on_the_whole_suite_does_not_trip_the_template_check():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert "templates no test renders" not in result.stdout
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_a_worker_that_ends_with_an_error_fails_the_run(fresh_records):
    conftest.pytest_testnodedown(SimpleNamespace(), "Traceback ...\nDumpError: can't serialize SafeString\n")
    session = SimpleNamespace(config=SimpleNamespace(option=None), exitstatus=0, testscollected=0)
    conftest.pytest_sessionfinish(session, 0)
    assert (session.exitstatus, conftest.WORKER_ERRORS) == (1, ["DumpError: can't serialize SafeString"])


def test_xdist_can_rename_a_test_to_group_it_on_one_worker(request):
    # `--dist loadgroup` sends a group to one worker by renaming each test's node id to "<id>@<group>" (xdist
    # sets `_nodeid`). pytest 9.2 reads the id from elsewhere, so the rename was lost and the Redis tests ran on
    # several workers at once, their Celery workers taking each other's nightly chunks (pyproject pins pytest).
    original = request.node.nodeid
    request.node._nodeid = f"{original}@redis"
    try:
        assert request.node.nodeid == f"{original}@redis"
    finally:
        request.node._nodeid = original
