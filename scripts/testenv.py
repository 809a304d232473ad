#!/usr/bin/env python
"""Run the test suite (or the benchmarks) against a throw-away PostgreSQL cluster and Redis server.

`make test` calls this. When the machine has PostgreSQL's initdb/pg_ctl and redis-server, it starts
both in a temporary folder on free loopback ports, points DATABASE_URL and REDIS_URL at them, runs
pytest, and stops them. Without those binaries the suite runs on SQLite with Celery eager, and the
PostgreSQL/Redis-only tests are skipped and counted in the summary. LENDING_REQUIRE_SERVICES=1 turns
a missing binary into an error. As root (CI), PostgreSQL runs as the unprivileged `postgres` user.

pytest runs on every core (pytest-xdist `-n auto`; LENDING_TEST_WORKERS=N to choose, 0 for one process):
pytest-django gives each worker its own throw-away database (test_lending_gw0, ...), and the 15 slowest
tests are listed at the end. Arguments given to this script are passed to pytest and win over these.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_USER = "lending"
PG_DB = "lending"


def log(message: str) -> None:
    print(f"[testenv] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_pg_bin() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the `postgres` system user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


# The bench loads a 100,000-loan portfolio (17 GB) into its throw-away cluster: with no replica to feed, wal_level
# minimal lets every index build (the seeder rebuilds them all after the load) skip the WAL. Shared buffers as a
# real server of this machine's size would have them (PostgreSQL's guide: a quarter of the memory of a dedicated
# server, 24 GiB here), not the 128 MB default: with the default, each posted payment's index inserts into the
# portfolio's large indexes evicted pages to the OS cache and read others back (helper import, session 24).
BENCH_OPTIONS = " -c wal_level=minimal -c max_wal_senders=0 -c shared_buffers=4GB"


@contextlib.contextmanager
def postgres(pg_bin: Path, extra_options: str = "") -> Iterator[str]:
    workdir = Path(tempfile.mkdtemp(prefix="lending-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, user="postgres")
    data, port = workdir / "data", free_port()

    def run(*cmd: str) -> None:
        subprocess.run(as_postgres([str(pg_bin / cmd[0]), *cmd[1:]]), check=True, cwd="/", stdout=subprocess.DEVNULL)

    run("initdb", "-D", str(data), "-U", PG_USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "-N")
    # Durability is irrelevant for a throw-away test cluster; turning it off makes the suite much faster.
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=200" + extra_options
    )
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(workdir / "server.log"), "-w", "-s", "start")
    try:
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", PG_USER, PG_DB)
        version = subprocess.run(
            [str(pg_bin / "postgres"), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        log(f"PostgreSQL started: {version} on 127.0.0.1:{port}")
        yield f"postgres://{PG_USER}@127.0.0.1:{port}/{PG_DB}"
    finally:
        subprocess.run(as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-s", "stop"]), cwd="/")
        shutil.rmtree(workdir, ignore_errors=True)
        log("PostgreSQL stopped")


@contextlib.contextmanager
def redis(redis_bin: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [redis_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port)
        log(f"Redis started on 127.0.0.1:{port}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log("Redis stopped")


def pytest_args(args: list[str], workers: str | None = None) -> list[str]:
    """pytest's arguments: the caller's, after parallel workers and the slowest-tests report unless given."""
    workers = workers if workers is not None else os.environ.get("LENDING_TEST_WORKERS", "auto")
    chosen = any(a in ("-n", "--numprocesses") or a.startswith(("-n", "--numprocesses=")) for a in args)
    extra = []
    if not chosen and workers != "0" and "no:xdist" not in args:
        # loadgroup: tests sharing Redis or the browser (xdist_group, see tests/conftest.py) stay in one worker.
        extra += ["-n", workers, "--dist", "loadgroup"]
    if not any(a.startswith("--durations") for a in args):
        extra.append("--durations=15")
    return [*extra, *args]


def _stop_on_signal(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP (a `kill`, a closed terminal) end the run the way Ctrl-C does: the child command is killed
    and the clusters are stopped and removed by their `finally` blocks. Python's default for these signals exits
    at once and left PostgreSQL and Redis running, with their temporary folders."""
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _stop_on_signal)
    bench = argv[:1] == ["--bench"]
    args = argv[1:] if bench else argv
    require = os.environ.get("LENDING_REQUIRE_SERVICES") == "1"
    pg_bin, redis_bin = find_pg_bin(), shutil.which("redis-server")
    missing = [
        name for name, found in (("PostgreSQL (initdb/pg_ctl)", pg_bin), ("redis-server", redis_bin)) if not found
    ]
    if missing and require:
        log(f"LENDING_REQUIRE_SERVICES=1 but not found: {', '.join(missing)}")
        return 2
    for name in missing:
        log(f"{name} not found: running without it (its tests are skipped and counted)")

    env = dict(os.environ)
    env.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    with contextlib.ExitStack() as stack:
        if pg_bin:
            env["DATABASE_URL"] = stack.enter_context(postgres(pg_bin, BENCH_OPTIONS if bench else ""))
            env["LENDING_THROWAWAY_DATABASE"] = "1"  # its name is "lending" too: benches that write may use it
        if redis_bin:
            env["REDIS_URL"] = stack.enter_context(redis(redis_bin))
        cmd = (
            [sys.executable, "-m", "bench.run", *args]
            if bench
            else [sys.executable, "-m", "pytest", *pytest_args(args)]
        )
        return subprocess.run(cmd, env=env, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
