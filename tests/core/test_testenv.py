"""`make test`'s service runner: a missing PostgreSQL or Redis is an error when services are required."""

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "testenv.py"


def _testenv():
    spec = importlib.util.spec_from_file_location("lending_testenv", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_required_services_missing_is_an_error_not_a_skip(monkeypatch, capsys):
    testenv = _testenv()
    monkeypatch.setenv("LENDING_REQUIRE_SERVICES", "1")
    monkeypatch.setattr(testenv, "find_pg_bin", lambda: None)
    monkeypatch.setattr(testenv.shutil, "which", lambda name: None)
    assert testenv.main(["-q"]) == 2
    out = capsys.readouterr().out
    assert "LENDING_REQUIRE_SERVICES=1 but not found: PostgreSQL (initdb/pg_ctl), redis-server" in out


def test_postgres_commands_drop_root_privileges(monkeypatch):
    testenv = _testenv()
    monkeypatch.setattr(testenv.os, "geteuid", lambda: 0)
    assert testenv.as_postgres(["initdb", "-D", "x"]) == ["runuser", "-u", "postgres", "--", "initdb", "-D", "x"]
    monkeypatch.setattr(testenv.os, "geteuid", lambda: 1000)
    assert testenv.as_postgres(["initdb"]) == ["initdb"]


def test_pytest_runs_on_every_core_and_lists_the_slowest_tests():
    testenv = _testenv()
    assert testenv.pytest_args(["tests/core"], workers="auto") == [
        "-n",
        "auto",
        "--dist",
        "loadgroup",
        "--durations=15",
        "tests/core",
    ]


def test_the_callers_pytest_arguments_win():
    testenv = _testenv()
    assert testenv.pytest_args(["-n", "2", "-q"], workers="auto") == ["--durations=15", "-n", "2", "-q"]
    assert testenv.pytest_args(["-n2", "--durations=5"], workers="auto") == ["-n2", "--durations=5"]
    assert testenv.pytest_args(["-x"], workers="0") == ["--durations=15", "-x"]
    assert testenv.pytest_args(["-p", "no:xdist"], workers="auto") == ["--durations=15", "-p", "no:xdist"]


def test_the_bench_cluster_skips_the_wal_it_does_not_need(monkeypatch, tmp_path):
    testenv = _testenv()
    commands = []

    def run(cmd, **kwargs):
        commands.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, stdout="postgres (PostgreSQL) 15\n")

    monkeypatch.setattr(testenv.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(testenv.subprocess, "run", run)
    monkeypatch.setattr(testenv.tempfile, "mkdtemp", lambda prefix: str(tmp_path))
    for extra, expected in (("", False), (testenv.BENCH_OPTIONS, True)):
        commands.clear()
        with testenv.postgres(Path("/pg/bin"), extra):
            pass
        start = next(cmd for cmd in commands if cmd[0] == "/pg/bin/pg_ctl" and "start" in cmd)
        options = start[start.index("-o") + 1]
        assert ("-c wal_level=minimal -c max_wal_senders=0" in options) is expected
        assert "-c fsync=off" in options


@pytest.mark.skipif(
    _testenv().find_pg_bin() is None or shutil.which("redis-server") is None, reason="needs PostgreSQL and Redis"
)
def test_a_killed_run_stops_its_postgresql_and_redis(tmp_path):
    """`kill <testenv's pid>` during a run: the child is killed, both servers stop and the cluster's folder goes."""
    (tmp_path / "test_wait.py").write_text("import time\n\ndef test_wait():\n    time.sleep(60)\n")
    run = subprocess.Popen(
        [sys.executable, str(SCRIPT), "-p", "no:xdist", "-p", "no:cacheprovider", "-c", "/dev/null", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # pytest's header tells the test its session has started
        start_new_session=True,  # its own group: only the runner gets the signal, as from `kill <pid>`
    )
    started = []
    try:
        for line in run.stdout:
            started.append(line)
            if "test session starts" in line:
                break
        run.send_signal(signal.SIGTERM)
        rest = run.communicate(timeout=30)[0]
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 128 + signal.SIGTERM
    assert "[testenv] Redis stopped" in rest
    assert "[testenv] PostgreSQL stopped" in rest
    ports = [int(p) for p in re.findall(r"on 127\.0\.0\.1:(\d+)", "".join(started))]
    assert len(ports) == 2
    for port in ports:
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
