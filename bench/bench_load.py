"""Load test (issue 15, "Load"): 20 concurrent users against gunicorn (3 workers, DEBUG off) on 127.0.0.1.

Targets: at least 150 requests/s with a p95 of at most 250 ms and no errors, on a 2-core machine.

What runs, honestly:
- The server is ``gunicorn lending.wsgi`` with 3 sync workers, DEBUG=0 and a fresh SECRET_KEY, started here on a
  free port of 127.0.0.1 and stopped at the end. Requests carry ``X-Forwarded-Proto: https`` as from the TLS
  proxy production runs behind (settings.SECURE_PROXY_SSL_HEADER), so no HTTPS redirect and secure cookies apply.
  With ``REDIS_URL`` set (``make load``), its Redis is gunicorn's ``CACHE_URL``, the shared cache production runs
  with (docker compose), so sessions are read from it (settings.SESSION_ENGINE); Celery stays eager.
- The client is this process: asyncio, one new connection per request (gunicorn's sync workers close each one),
  no HTTP library. Every user logs in through the login form (CSRF token from the page, password checked) before
  the clock starts; the logins are timed apart.
- 20 users: loan officers (pipeline, search, application pages, CRM), servicers (loan list, search, loan,
  schedule, transactions, collections queue and loan pages, and a contact log entry POSTed now and then) and
  borrowers (portal home, their loan, schedule, history, the payment page, and a one-time payment POSTed now and
  then). Each user picks its next page at random (seeded) from its own list; POSTs take their CSRF token (and the
  payment form its idempotency key) from the page they are posted from, as a browser does.
- The collections queue holds real delinquent loans: 8 % of the portfolio made delinquent before the server starts
  (bench/_delinquent.py, set-based, as bench_collections does) and undone after the run, so the benches after this
  one see the seeded portfolio (``LENDING_LOAD_DELINQUENT=0``: the seeded portfolio's empty queue, as before).
- Repeatable: the borrowers' payments still pending from an earlier run are cancelled (their service, as the
  borrower) before the clock, so every run starts with none pending.
- An error is any status but the one expected (200 for a page, 302 for a login or a POST that succeeded), or a
  failed connection. Bounded: ``LENDING_LOAD_REQUESTS`` requests (3,000) or ``LENDING_LOAD_SECONDS`` (60 s).

It writes (users' passwords, contact attempts, pending payments): it refuses databases named ``lending`` or
``lending_snap`` (the shared bench cluster's) unless ``LENDING_THROWAWAY_DATABASE=1``, which scripts/testenv.py
sets for its own throw-away ``lending`` (``make bench``, ``make load``). Against the bench cluster, copy one first::

    createdb -h 127.0.0.1 -p 5499 -U lending -T lending_snap load_bench
    BENCHDB=load_bench . /tmp/benchpg/env.sh && python -m bench.bench_load
    dropdb -h 127.0.0.1 -p 5499 -U lending load_bench

``make bench`` runs it against its throw-away database; ``make load`` runs it alone.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench._django import is_postgres, setup

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("LENDING_LOAD_USERS", "20"))
REQUESTS = int(os.environ.get("LENDING_LOAD_REQUESTS", "3000"))
SECONDS = float(os.environ.get("LENDING_LOAD_SECONDS", "60"))
WORKERS = int(os.environ.get("LENDING_LOAD_WORKERS", "3"))
DELINQUENT = os.environ.get("LENDING_LOAD_DELINQUENT", "1") == "1"
RATE_TARGET, P95_TARGET_MS = 150, 250
PASSWORD = "load-test-" + "x" * 12
STAFF_EMAIL = "load-staff@lending.test"
BORROWERS = 12
POST_EVERY = 12  # about one request in 12 of a servicer or borrower is a POST (with the GET of its form page)
SHARED_DATABASES = {"lending", "lending_snap"}
TIMEOUT_S = 30.0


# --- a minimal HTTP/1.1 client: one connection a request, cookies kept per user ------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key == name), "")


@dataclass
class Session:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    async def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        body = urlencode(form or {}).encode() if method == "POST" else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            "Connection: close",
            "X-Forwarded-Proto: https",
            "User-Agent: lending-load-test",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            # Django's CSRF check on HTTPS wants a same-origin Origin (or Referer)
            lines += [
                f"Origin: https://127.0.0.1:{self.port}",
                f"Referer: https://127.0.0.1:{self.port}{path}",
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            raw = await reader.read()  # the server closes the connection after the response
        finally:
            writer.close()
        response = _parse(raw)
        for key, value in response.headers:
            if key == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response


def _parse(raw: bytes) -> Response:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in header_lines)]
    if any(k == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
        body = _unchunk(body)
    return Response(int(status_line.split()[1]), headers, body.decode("utf-8", "replace"))


def _unchunk(body: bytes) -> bytes:
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


_INPUT = r'<input[^>]*name="{}"[^>]*value="([^"]*)"'


def form_value(html: str, name: str) -> str:
    match = re.search(_INPUT.format(re.escape(name)), html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    return match.group(1) if match else ""


# --- users ----------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    label: str
    ms: float
    ok: bool
    detail: str = ""


@dataclass
class Plan:
    """What the users visit: ids picked in the database before the server starts."""

    loans: list[int]
    applications: list[int]
    borrower_loans: list[tuple[str, int]]  # (email, loan id)
    loan_number: str
    collections_loans: list[int]


class User:
    kind = ""

    def __init__(self, port: int, email: str, rng: random.Random, plan: Plan) -> None:
        self.session = Session(port)
        self.email = email
        self.rng = rng
        self.plan = plan

    async def timed(self, label: str, method: str, path: str, expect: int, form: dict[str, str] | None = None):
        start = time.perf_counter()
        try:
            response = await asyncio.wait_for(self.session.request(method, path, form), TIMEOUT_S)
        except (TimeoutError, OSError, ValueError, IndexError) as exc:
            return Sample(self.kind, label, (time.perf_counter() - start) * 1000, False, repr(exc)), None
        ms = (time.perf_counter() - start) * 1000
        ok = response.status == expect
        detail = "" if ok else f"{method} {path}: {response.status} {response.header('location')}"
        return Sample(self.kind, label, ms, ok, detail), response

    async def login(self) -> Sample:
        sample, page = await self.timed("login page", "GET", "/accounts/login/", 200)
        if page is None or not sample.ok:
            return sample
        form = {
            "csrfmiddlewaretoken": form_value(page.body, "csrfmiddlewaretoken"),
            "username": self.email,
            "password": PASSWORD,
        }
        sample, _ = await self.timed("login", "POST", "/accounts/login/", 302, form)
        return sample

    async def step(self) -> list[Sample]:
        raise NotImplementedError


class LoanOfficer(User):
    kind = "staff"

    async def step(self) -> list[Sample]:
        application = self.rng.choice(self.plan.applications)
        label, path = self.rng.choice(
            [
                ("pipeline", "/staff/origination/"),
                ("pipeline page 20", "/staff/origination/?page=20"),
                ("pipeline status + search", "/staff/origination/?status=underwriting&q=Borrower0012"),
                ("application", f"/staff/origination/applications/{application}/"),
                ("application", f"/staff/origination/applications/{application}/"),
                ("crm home", "/staff/crm/"),
                ("crm leads", "/staff/crm/leads/"),
                ("my tasks", "/staff/origination/tasks/"),
            ]
        )
        sample, _ = await self.timed(label, "GET", path, 200)
        return [sample]


class Servicer(User):
    kind = "servicer"

    async def step(self) -> list[Sample]:
        loan = self.rng.choice(self.plan.loans)
        if self.rng.randrange(POST_EVERY) == 0:
            return await self.contact_log(self.rng.choice(self.plan.collections_loans))
        label, path = self.rng.choice(
            [
                ("loan list", "/staff/servicing/"),
                ("loan search", f"/staff/servicing/?q={self.plan.loan_number}"),
                ("loan", f"/staff/servicing/loans/{loan}/"),
                ("loan", f"/staff/servicing/loans/{loan}/"),
                ("loan schedule", f"/staff/servicing/loans/{loan}/schedule/"),
                ("loan transactions", f"/staff/servicing/loans/{loan}/transactions/"),
                ("collections queue", "/staff/collections/"),
                ("collections loan", f"/staff/collections/loans/{loan}/"),
            ]
        )
        sample, _ = await self.timed(label, "GET", path, 200)
        return [sample]

    async def contact_log(self, loan: int) -> list[Sample]:
        page_sample, page = await self.timed("collections loan", "GET", f"/staff/collections/loans/{loan}/", 200)
        if page is None or not page_sample.ok:
            return [page_sample]
        form = {
            "csrfmiddlewaretoken": form_value(page.body, "csrfmiddlewaretoken"),
            "channel": "letter",  # a letter: no calling-hours rule to trip at night
            "outcome": "left_message",
            "note": "load test",
        }
        sample, _ = await self.timed(
            "POST contact log", "POST", f"/staff/collections/loans/{loan}/contacts/", 302, form
        )
        return [page_sample, sample]


class Borrower(User):
    kind = "borrower"

    def __init__(self, port: int, email: str, rng: random.Random, plan: Plan, loan: int) -> None:
        super().__init__(port, email, rng, plan)
        self.loan = loan

    async def step(self) -> list[Sample]:
        if self.rng.randrange(POST_EVERY) == 0:
            return await self.pay()
        label, path = self.rng.choice(
            [
                ("portal home", "/portal/"),
                ("portal loan", f"/portal/loans/{self.loan}/"),
                ("portal loan", f"/portal/loans/{self.loan}/"),
                ("portal schedule", f"/portal/loans/{self.loan}/schedule/"),
                ("portal history", f"/portal/loans/{self.loan}/history/"),
                ("portal pay page", f"/portal/loans/{self.loan}/pay/"),
            ]
        )
        sample, _ = await self.timed(label, "GET", path, 200)
        return [sample]

    async def pay(self) -> list[Sample]:
        path = f"/portal/loans/{self.loan}/pay/"
        page_sample, page = await self.timed("portal pay page", "GET", path, 200)
        if page is None or not page_sample.ok:
            return [page_sample]
        form = {
            "csrfmiddlewaretoken": form_value(page.body, "csrfmiddlewaretoken"),
            "idempotency_key": form_value(page.body, "idempotency_key"),
            "scheduled_date": form_value(page.body, "scheduled_date"),
            "amount": "5.00",
            "account_holder": "Load Test",
            "routing_number": "011000015",
            "account_number": "123456789",
            "account_type": "checking",
        }
        sample, _ = await self.timed("POST one-time payment", "POST", path, 302, form)
        return [page_sample, sample]


# --- the run --------------------------------------------------------------------------------------------------


@dataclass
class Run:
    logins: list[Sample]
    samples: list[Sample]
    elapsed: float
    client_cpu: float  # seconds of this process's CPU while the users ran
    server_cpu: float | None  # seconds of the gunicorn workers' CPU meanwhile (Linux /proc), None elsewhere


async def run_users(users: list[User], server_pid: int, *, budget: int, seconds: float) -> Run:
    """Log every user in (concurrently), then run them until ``budget`` requests or ``seconds`` have passed."""
    logins = await asyncio.gather(*(user.login() for user in users))
    samples: list[Sample] = []
    server_before, client_before = server_cpu_seconds(server_pid), time.process_time()
    start = time.perf_counter()
    deadline = start + seconds

    async def loop(user: User) -> None:
        while len(samples) < budget and time.perf_counter() < deadline:
            samples.extend(await user.step())

    await asyncio.gather(*(loop(user) for user in users))
    elapsed, server_after = time.perf_counter() - start, server_cpu_seconds(server_pid)
    server = server_after - server_before if server_after is not None and server_before is not None else None
    return Run(list(logins), samples, elapsed, time.process_time() - client_before, server)


def server_cpu_seconds(master: int) -> float | None:
    """User + system CPU of gunicorn's workers (the master's children), from /proc; None where there is none."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        total = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env() -> dict[str, str]:
    from django.conf import settings

    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # the keys this process reads the seeded data with (DEBUG off has no default)
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "PYTHONPATH": str(ROOT),
    }
    redis = env.pop("REDIS_URL", None)  # no broker: tasks run in the request (eager), none queued on a shared Redis
    if redis and not env.get("CACHE_URL"):
        env["CACHE_URL"] = cache_url(redis)
    return env


def cache_url(redis: str) -> str:
    """Its Redis as the shared cache production has (docker compose: database 1), which sessions are read from."""
    return re.sub(r"(/\d+)?$", "/1", redis, count=1)


def collect_static(env: dict[str, str]) -> None:
    """DEBUG off serves hashed static names from staticfiles/'s manifest, as the Dockerfile's build step makes it."""
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "lending.wsgi:application",
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until_serving(port: int, server: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            status = asyncio.run(Session(port).request("GET", "/accounts/login/")).status
        except OSError:
            status = 0
        if status == 200:
            return
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not serve the login page in time")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def make_users(port: int, plan: Plan) -> list[User]:
    users: list[User] = []
    borrowers = iter(plan.borrower_loans)
    for n in range(USERS):
        rng = random.Random(1500 + n)
        kind = n % 3
        if kind == 0:
            users.append(LoanOfficer(port, STAFF_EMAIL, rng, plan))
        elif kind == 1:
            users.append(Servicer(port, STAFF_EMAIL, rng, plan))
        else:
            email, loan = next(borrowers)
            users.append(Borrower(port, email, rng, plan, loan))
    return users


def summarise(run: Run) -> None:
    from bench._report import report

    logins, samples, elapsed = run.logins, run.samples, run.elapsed
    errors = [s for s in samples + logins if not s.ok]
    times = [s.ms for s in samples]
    by_kind = Counter(s.kind for s in samples)
    posts = sum(1 for s in samples if s.label.startswith("POST"))
    kinds = ", ".join(f"{n} {k}" for k, n in by_kind.items())
    login_ms = statistics.median(s.ms for s in logins)
    print(
        f"{len(samples):,} requests in {elapsed:.1f} s by {USERS} users ({kinds}; {posts} POSTs); "
        f"{len(logins)} logins before the clock, median {login_ms:.0f} ms",
        flush=True,
    )
    for label in sorted({s.label for s in samples}):
        mine = [s.ms for s in samples if s.label == label]
        median, p95 = statistics.median(mine), percentile(mine, 0.95)
        print(f"    {label:<28} {len(mine):>5}  median {median:6.1f} ms  p95 {p95:6.1f} ms")
    count = max(1, len(samples))
    server = f"gunicorn workers {run.server_cpu * 1000 / count:.1f} ms, " if run.server_cpu is not None else ""
    print(
        f"    CPU a request: {server}this client {run.client_cpu * 1000 / count:.1f} ms (PostgreSQL not counted): "
        "on a busy machine these say more than the wall times",
        flush=True,
    )
    for sample in errors[:10]:
        print(f"    ERROR {sample.kind} {sample.label}: {sample.detail}", flush=True)
    note = f"{USERS} users, gunicorn {WORKERS} workers, {len(samples):,} requests"
    report("load: requests per second", len(samples) / elapsed, "req/s", RATE_TARGET, higher_is_better=True, note=note)
    report("load: median", statistics.median(times), "ms", P95_TARGET_MS, higher_is_better=False)
    report("load: p95", percentile(times, 0.95), "ms", P95_TARGET_MS, higher_is_better=False)
    report("load: errors", len(errors), "errors", 0, higher_is_better=False)


def prepare() -> Plan:
    """Seed (or reuse) the bench portfolio and applications; give the load users a password; pick their pages."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from bench._servicing_seed import PREFIX, ensure_portfolio
    from bench.bench_origination import seed as seed_applications
    from lending.core import roles
    from lending.core.models import User as Account
    from lending.core.services import user_create
    from origination.models import Application
    from servicing.models import LoanAccount

    ensure_portfolio()
    seed_applications()
    staff = Account.objects.filter(email=STAFF_EMAIL).first() or user_create(
        actor=None, email=STAFF_EMAIL, password=None, role_names=(roles.SERVICER, roles.LOAN_OFFICER, roles.COLLECTOR)
    )
    active = LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-", status=LoanAccount.Status.ACTIVE)
    total = active.count()
    step = max(1, total // 200)
    loans = list(active.order_by("pk").values_list("pk", flat=True)[::step][:200])
    owned = list(
        active.filter(borrower__isnull=False, pk__in=loans[: BORROWERS * 4])
        .order_by("pk")
        .values_list("borrower__email", "pk", "borrower_id")[:BORROWERS]
    )
    hashed = make_password(PASSWORD)  # one hash for all: the server checks it at each login
    Account.objects.filter(pk__in=[staff.pk, *(row[2] for row in owned)]).update(password=hashed, is_active=True)
    pending_cancel([pk for _, pk, _ in owned])
    applications = list(
        Application.objects.order_by("pk").values_list("pk", flat=True)[:: max(1, Application.objects.count() // 200)][
            :200
        ]
    )
    sample_loan = LoanAccount.objects.get(pk=loans[len(loans) // 2])
    connection.close()  # the server processes open their own
    return Plan(
        loans=loans,
        applications=applications,
        borrower_loans=[(email, pk) for email, pk, _ in owned],
        loan_number=sample_loan.loan_number,
        collections_loans=loans[:50],
    )


def pending_cancel(loan_ids: list[int]) -> None:
    """Cancels the payments the borrowers scheduled in an earlier run (as each borrower, through the service), so
    every run's pages start with none pending."""
    from servicing.models import PendingPayment
    from servicing.services.ach import ach_payment_cancel

    pending = PendingPayment.objects.filter(loan_id__in=loan_ids, status=PendingPayment.Status.PENDING)
    for payment in pending.select_related("created_by").order_by("pk"):
        ach_payment_cancel(pending=payment, actor=payment.created_by)


def main() -> None:
    from django.conf import settings

    from bench._delinquent import delinquent_commit, delinquent_undo

    name = settings.DATABASES["default"]["NAME"]
    if not is_postgres():
        print("load: skipped, it needs PostgreSQL and the bench portfolio (`make bench` starts one)")
        return
    if name in SHARED_DATABASES and os.environ.get("LENDING_THROWAWAY_DATABASE") != "1":  # set by testenv.py
        print(f"load: refused, it writes and {name!r} is shared; copy it (see this module's docstring)")
        return
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    plan = prepare()
    if len(plan.borrower_loans) < USERS // 3:
        print(f"load: skipped, only {len(plan.borrower_loans)} loans with a borrower user")
        return
    env = server_env()
    collect_static(env)
    if DELINQUENT:
        print("making 8 % of the portfolio delinquent (undone after the run):", flush=True)
        delinquent_commit()
    port = free_port()
    server = start_server(port, env)
    try:
        wait_until_serving(port, server)
        run = asyncio.run(run_users(make_users(port, plan), server.pid, budget=REQUESTS, seconds=SECONDS))
    finally:
        stop_server(server)
        delinquent_undo()
    summarise(run)
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)


if __name__ == "__main__":
    setup()
    main()
