"""Where a request's CPU goes (issue 15, "Load"): the load test's pages served in this process, each timed alone.

For each page of bench/bench_load.py: the median CPU of a request (this process: middleware, view, template; not
PostgreSQL's), of it the template's rendering, the queries and their wall time as the driver sees them, and the least
CPU of a request (other work on the machine only adds to it). CPU time, not wall time, so that a busy machine changes
the figures less. ``LENDING_PROFILE=cumulative`` (or ``tottime``) also
prints cProfile's top functions over all pages (``LENDING_PROFILE_PAGE=pipeline`` keeps the pages whose label
holds that text) and writes the profile to var/profile_pages.prof (``python -m pstats`` reads it).

Settings as bench/bench_load.py's gunicorn runs them: DEBUG off, the hashed static names of a ``collectstatic``
(run first), and with ``REDIS_URL`` set its Redis as the shared cache sessions are read from (as ``make load``),
none as a broker; 8 % of the portfolio delinquent, as the load test makes it (bench/_delinquent.py;
``LENDING_LOAD_DELINQUENT=0``: none, the queue empty). Read-only: its staff user, sessions and the delinquency are
made in a transaction rolled back at the end (the sessions' cached copies are deleted after), so it runs against
the shared bench cluster::

    . /tmp/benchpg/env.sh && DEBUG=0 SECRET_KEY=x FIELD_ENCRYPTION_KEYS=<the seeding key> python -m bench.profile_pages
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

REPEAT = int(os.environ.get("LENDING_PROFILE_REPEAT", "20"))
ROOT = Path(__file__).resolve().parent.parent


class Rollback(Exception):
    """Raised to undo the staff user and the sessions once measured."""


class Queries:
    """Counts the queries of a request and their time (an execute wrapper: no DEBUG needed); not the savepoints
    its atomic block takes inside this script's transaction, which a server's request does not."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            return execute(sql, params, many, context)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - start


@contextmanager
def rendering_clock(spent: list[float]):
    """Adds the CPU each TemplateResponse spends rendering to ``spent``."""
    from django.template.response import SimpleTemplateResponse

    render = SimpleTemplateResponse.render

    def timed(self):
        start = time.process_time()
        try:
            return render(self)
        finally:
            spent.append(time.process_time() - start)

    SimpleTemplateResponse.render = timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        SimpleTemplateResponse.render = render  # type: ignore[method-assign]


def pages() -> tuple[list[tuple[str, str, str]], int]:
    """(who, label, path) of the load test's pages, with the ids it would pick; and the borrower's user id."""
    from bench._servicing_seed import PREFIX
    from origination.models import Application
    from servicing.models import LoanAccount

    active = LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-", status=LoanAccount.Status.ACTIVE)
    loans = list(active.order_by("pk").values_list("pk", flat=True)[:: max(1, active.count() // 200)][:200])
    borrower_id, own = active.filter(borrower__isnull=False).order_by("pk").values_list("borrower_id", "pk")[0]
    application = Application.objects.order_by("pk").values_list("pk", flat=True)[Application.objects.count() // 2]
    loan = loans[len(loans) // 2]
    number = LoanAccount.objects.get(pk=loan).loan_number
    staff = [
        ("pipeline", "/staff/origination/"),
        ("pipeline page 20", "/staff/origination/?page=20"),
        ("pipeline status + search", "/staff/origination/?status=underwriting&q=Borrower0012"),
        ("application", f"/staff/origination/applications/{application}/"),
        ("crm home", "/staff/crm/"),
        ("crm leads", "/staff/crm/leads/"),
        ("my tasks", "/staff/origination/tasks/"),
        ("loan list", "/staff/servicing/"),
        ("loan search", f"/staff/servicing/?q={number}"),
        ("loan", f"/staff/servicing/loans/{loan}/"),
        ("loan schedule", f"/staff/servicing/loans/{loan}/schedule/"),
        ("loan transactions", f"/staff/servicing/loans/{loan}/transactions/"),
        ("collections queue", "/staff/collections/"),
        ("collections loan", f"/staff/collections/loans/{loan}/"),
    ]
    portal = [
        ("portal home", "/portal/"),
        ("portal loan", f"/portal/loans/{own}/"),
        ("portal schedule", f"/portal/loans/{own}/schedule/"),
        ("portal history", f"/portal/loans/{own}/history/"),
        ("portal pay page", f"/portal/loans/{own}/pay/"),
    ]
    listed = [("staff", *page) for page in staff] + [("borrower", *page) for page in portal]
    return [*listed, ("anonymous", "login page", "/accounts/login/")], borrower_id


def measure(client, path: str, profiler: cProfile.Profile | None) -> tuple[float, float, int, float, float]:
    """Median CPU ms of a request of ``path``, of its rendering, its queries and their ms; and the least CPU ms of a
    request (on a busy machine the least moves less than the median: other work only adds)."""
    from django.db import connection

    client.get(path, secure=True)  # warm: templates compiled, caches filled, as a running server has them
    cpu, rendering, counts, sql = [], [], [], []
    for _ in range(REPEAT):
        spent: list[float] = []
        queries = Queries()
        with connection.execute_wrapper(queries), rendering_clock(spent):
            start = time.process_time()
            if profiler:
                profiler.enable()
            response = client.get(path, secure=True)
            if profiler:
                profiler.disable()
            cpu.append(time.process_time() - start)
        assert response.status_code == 200, (path, response.status_code)
        rendering.append(sum(spent))
        counts.append(queries.count)
        sql.append(queries.seconds)
    ms = statistics.median(cpu) * 1000, statistics.median(rendering) * 1000, statistics.median(sql) * 1000
    return ms[0], ms[1], max(counts), ms[2], min(cpu) * 1000


def main() -> None:
    from django.conf import settings
    from django.db import transaction
    from django.test import Client

    from bench._delinquent import make_delinquent
    from bench.bench_load import DELINQUENT
    from lending.core import roles
    from lending.core.models import User
    from lending.core.services import user_create

    if settings.DEBUG:
        print("profile: run it as production does, DEBUG=0 (with SECRET_KEY and FIELD_ENCRYPTION_KEYS set)")
        return
    label_filter = os.environ.get("LENDING_PROFILE_PAGE", "")
    sort = os.environ.get("LENDING_PROFILE", "")
    profiler = cProfile.Profile(time.process_time) if sort else None
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    print(f"{'page':<28} {'CPU ms':>7} {'render':>7} {'queries':>7} {'SQL ms':>7} {'least':>7}", flush=True)
    clients = {"staff": Client(), "borrower": Client(), "anonymous": Client()}
    try:
        with transaction.atomic():
            if DELINQUENT:
                make_delinquent()
            listed, borrower_id = pages()
            staff = user_create(
                actor=None,
                email="profile-staff@lending.test",
                password=None,
                role_names=(roles.SERVICER, roles.LOAN_OFFICER, roles.COLLECTOR),
            )
            clients["staff"].force_login(staff)
            clients["borrower"].force_login(User.objects.get(pk=borrower_id))
            total = 0.0
            for who, label, path in listed:
                if label_filter not in label:
                    continue
                cpu, rendering, count, sql, least = measure(clients[who], path, profiler)
                total += cpu
                print(f"{label:<28} {cpu:7.1f} {rendering:7.1f} {count:7d} {sql:7.1f} {least:7.1f}", flush=True)
            print(f"{'all pages, one request each':<28} {total:7.1f}", flush=True)
            raise Rollback
    except Rollback:
        pass
    for client in clients.values():
        client.session.delete()  # the rolled-back sessions' copies in the shared cache
    if profiler:
        out = ROOT / "var" / "profile_pages.prof"
        out.parent.mkdir(exist_ok=True)
        profiler.dump_stats(out)
        pstats.Stats(profiler).sort_stats(sort).print_stats(int(os.environ.get("LENDING_PROFILE_TOP", "40")))
        print(f"profile written to {out}")


def as_the_load_test_serves() -> None:
    """The environment bench_load gives gunicorn: sessions in the shared cache (its Redis, no broker: tasks eager),
    and the static files collected for the manifest's hashed names."""
    from bench.bench_load import cache_url, collect_static

    redis = os.environ.pop("REDIS_URL", None)
    if redis and not os.environ.get("CACHE_URL"):
        os.environ["CACHE_URL"] = cache_url(redis)
    collect_static(dict(os.environ))


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lending.settings")
    as_the_load_test_serves()
    django.setup()  # no migrate: it may run against the shared bench cluster
    main()
