"""The fast load of the servicing bench seeder (bench/_servicing_seed.py): the tables' indexes and unique
constraints set aside during the load and rebuilt once from the loaded rows, and the tables loaded on two
connections at once.

Why (per 3.6M installments, measured on the bench cluster): the insert itself costs about 6.7 s of server CPU; each
index maintained row by row adds about 1.7 s, while building it afterwards costs about 0.7 s. So every index that no
foreign key depends on is dropped first: the secondary ones, the unique constraints and the primary keys of the
journal and allocation lines (re-added with ``ADD CONSTRAINT ... USING INDEX``, under the same names). The other
primary keys stay: foreign keys hang on them, and re-adding a foreign key re-checks every row - but for the
installments' (``keys_with_referrers``), whose 36M row-by-row inserts cost more than building it and checking the
one table that refers to it (session 15).

Each big table is one job - insert every round, commit - and two threads (two connections, the machine's two cores)
share the tasks of ``plan_tasks``: the loads biggest first, then each index build on whichever connection is free
(two builds of one table can run at once), each job's constraints and ``VACUUM ANALYZE`` once past the horizon
(``Schedule``), and the foreign keys set aside last. Every connection runs with ``session_replication_role =
replica`` (superuser only): no trigger and no foreign-key check fires, which the seeder's arithmetic makes true by
construction; no table is altered for it, so nothing is left disabled if the load stops. If a task fails, the rows
of the reserved id ranges are deleted and every index, constraint and foreign key not yet rebuilt is rebuilt before
the error is raised.

Measured on the shared 2-core machine (load 12-14), 10,000 loans: 179 s (194 s of server CPU) for the
one-transaction load with its ``ORDER BY``s, row-by-row unique and primary keys and a VACUUM after; 63 s (75 s of
CPU) for this one, VACUUM included. ``make bench`` runs its cluster with ``wal_level = minimal``
(scripts/testenv.py): the index builds then skip the WAL (65 s against 84 s, side by side).

Session 10, the same machine at load 14-19, side by side: 10,000 loans took 33.4 s of server CPU (5.4 s of it in
parallel index-build workers; 1.4 s, 6.2 s of wall time at the end, rebuilding the daily totals from the lines)
and 77.5 s; without the workers and with the daily totals from the templates, 30.2 s of CPU and 67.5 s. 100,000
loans, in a cluster started as ``make bench`` starts it, at load 15: 333 s of server CPU (inserts 179 s, index
builds 144 s, ``VACUUM ANALYZE`` 10 s), 3.6 s of client CPU, 813 s of wall time: the two cores' CPU alone is
167 s of the 180 s target, so the target holds only on an idle machine, if at all.

Session 14: each job truncates its tables when they are empty (``renew_if_empty``), in its load's transaction, so
``wal_level = minimal`` writes their rows without WAL; the installments' TRUNCATE must take the allocation lines
(whose foreign key refers to them) along, so the two load as one job. 10,000 loans: 313 MB of WAL instead of 1,508.

Session 15: that one job was the critical path (226 s at 100,000 loans on an idle machine, the other connection idle
from 187 s). Index builds became tasks any connection takes, and the installments' primary key is set aside with
the foreign keys that refer to it, so the installments and the allocation lines load apart, each in a new file; the
journal and allocation lines' ids are computed, not drawn by ``nextval()``. ``VACUUM`` now waits for the horizon:
the journal lines, vacuumed while the installments' older transaction still ran, had no page marked all-visible
(``relallvisible`` 0 of 22,718 pages at 10,000 loans), so the covering index's index-only scans read the heap.

Session 19, the fast load at 10,000 loans (``drop_indexes=True``; the benches' own 10,000-loan seed takes the
one-transaction load) at load 5-7: 35-37 s of server CPU (the cluster's processes, autovacuum and checkpointer
included: 0.4-1.5 s more), of which the inserts 18.5 s (installments 7.5, journal lines 3.8, journal entries 2.4,
allocation lines 2.3, payments 2.2, the rest 0.3), the index builds 16.3 s (installments 6.6: the partial unpaid
index and (loan, due date) about 2.2 s each, (loan, number) 2.0, the key 1.4; journal lines 4.4, of which the
account's index 2.0 and the covering one 2.0), ``VACUUM ANALYZE`` 1.6 s, the installments' foreign key 0.5 s.
The two connections end within a second of each other: no idle time to win back. ``perf`` finds no hot spot: no
function over 3 %; the kernel 13 % (page copies, faults of the sort memory), the buffer manager's per-row work of
``INSERT`` 7 %. The cluster writes 3.0 GB of pages through its shared buffers for 0.86 GB of heap (3.5 times: each
heap page once by the load, again once the first index build sets its rows' hint bits, again once ``VACUUM`` marks
it all-visible) and 0.3 GB of WAL; the seeder now prints both. Tried, within the noise (same SQL run twice: +-8 %):
the installments' paid columns from the templates (12 % more CPU: the wider template rows cost more than the CASEs)
and numeric(14,2) zeros in the journal lines' VALUES (-6 to -15 %, the control -8 %). Tried too, not kept: each
table's ``VACUUM`` before its index builds once past the horizon (and autovacuum kept off the tables during the
load), so that one pass sets the hint bits and the visibility map: 2,956-2,958 MB written against 3,090-3,362 MB,
but the CPU within the noise and up to 430 of the journal lines' pages left not all-visible (a page the
checkpointer still held); it may pay at 100,000 loans. There (session 19, ``make bench``'s cluster, load 6.2-6.7):
405 s of server CPU (the cluster's 424 s), inserts 191 s, index builds 196 s, ``VACUUM ANALYZE`` 12 s, the foreign
key 5 s; 608 s of wall time, the two connections ending 4 s apart; 33.7 GB of pages written through the shared
buffers for 8.6 GB of heap and 8.9 GB of indexes (3.9 times the heap), and 3.0 GB of WAL: about 46 GB for a disk
that writes 0.8 GB/s, a third of the 180 s target before any CPU.

Session 21, 10,000 loans, load 4-12 (other work on both cores; CPU seconds of one statement vary +-20 % run to
run), the fast load as it is: 35.5 s of server CPU (the cluster's 36.4 s), 0.5 s of client CPU, 59.9 s wall; inserts
16.4 s (installments 6.5, journal lines 3.5, journal entries 2.3, allocation lines 1.9, payments 1.9), index builds
16.7 s (installments 6.2, journal lines 5.2), ``VACUUM ANALYZE`` 1.7 s, the foreign key 0.5 s; 3,349 MB written
through the shared buffers, 284 MB of WAL. At 100,000 loans on an idle host (session 20's ``make bench``) each task's
CPU equals its wall time (the installments' load 69.2 s of CPU in 71.1 s): the load is CPU-bound on both cores, not
waiting on the disk, so the 3.9 writes per heap page cost little beyond the kernel's copies. Measured per
statement (3.6M installments into a table created in the transaction, its checks on, interleaved):

- ``COPY (SELECT ...) TO STDOUT`` piped into ``COPY ... FROM STDIN (FREEZE)``: binary 10.1-12.8 s of server CPU
  (the SELECT and its output 4.7-5.3, the COPY 6.2-7.7), text 12.7 (3.6-3.9 and 8.7-8.9), against 7.1-10.1 s for the
  ``INSERT ... SELECT``. The frozen pages then save the ``VACUUM``'s pass (0.4 s against 0.6-1.1 s) and nothing in
  the four index builds (5.9-6.2 s against 6.0-7.0 s): not kept.
- The rows' generation alone (the ``SELECT`` run without its ``INSERT``) is 1.5-2.3 s of the 6-9.7 s; the rest is
  the insert: forming each tuple, the page, and the tables' ``CHECK`` constraints (16 numeric comparisons per
  installment, each copying its short-header numerics). Without the checks: 6.1-7.2 s against 8.6-9.8 s, three
  pairs (-22 %); the journal lines' two checks within the noise. The checks fire whatever
  ``session_replication_role`` says; skipping them would mean adding them back ``NOT VALID`` and marking them valid
  in ``pg_constraint`` by hand (about 15 s of CPU at 100,000 loans): not done, a writable catalog is the lead's call.
- The installments' per-loan rows come from a bitmap scan and a sort of 360 rows (the other statements' from an
  index scan in ``number`` order); forcing the index scan: 5.4-6.8 s against 5.8-7.8 s, noise. ``Memoize`` on the
  lines' ``VALUES`` helps (off: 3.4-5.6 s against 2.6-3.3 s). Arrays of the template rows unnested per loan: 8.4 s,
  and with the paid columns precomputed 9.7 s, against 9.0 s.
- An index build (``perf``, (loan, due date) of 3.6M installments, 1.6 s): no function over 5 %; the heap scan 18 %,
  forming the index tuples 21 %, handing them to the sort 28 %, page faults of the sort memory 8.5 %.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from django.db import connection, transaction

# Each connection: no trigger or foreign-key check; 3 GB to sort in (at 100,000 loans an index's sort tuples take
# 1 to 2.7 GB: with 2 GB the installments' indexes spilled to disk, and an external sort of their presorted rows cost
# 20 % more CPU than an internal one, measured at 10,000 loans); no parallel workers: the two connections already keep
# both cores busy, and the workers added 19 % to the index builds' CPU (10,000 loans: 14.3 s with them, 12.3 s
# without).
SESSION = (
    "SET session_replication_role = replica; SET maintenance_work_mem = '3GB'; SET work_mem = '256MB';"
    " SET max_parallel_maintenance_workers = 0; SET max_parallel_workers_per_gather = 0"
)


@dataclass(frozen=True)
class SetAside:
    """An index (and the unique constraint it backs, if any), or a foreign key, dropped for the load and rebuilt
    after it."""

    table: str
    name: str
    create: str  # CREATE [UNIQUE] INDEX ...; for a foreign key, its definition (FOREIGN KEY (...) REFERENCES ...)
    constraint: str  # "", "UNIQUE", "PRIMARY KEY" or "FOREIGN KEY"
    references: str = ""  # a foreign key's referenced table

    @property
    def is_foreign_key(self) -> bool:
        return self.constraint == "FOREIGN KEY"

    def drop_sql(self) -> str:
        if self.constraint:
            return f'ALTER TABLE {self.table} DROP CONSTRAINT "{self.name}"'
        return f'DROP INDEX "{self.name}"'

    def build_sql(self) -> list[str]:
        """The index build: the long part, which takes only a share lock (two can build on one table at once)."""
        return [] if self.is_foreign_key else [self.create]

    def attach_sql(self) -> list[str]:
        """The constraint on the built index, or the foreign key (which checks every row)."""
        if self.is_foreign_key:
            return [f'ALTER TABLE {self.table} ADD CONSTRAINT "{self.name}" {self.create}']
        if self.constraint:
            return [
                f'ALTER TABLE {self.table} ADD CONSTRAINT "{self.name}" {self.constraint} USING INDEX "{self.name}"'
            ]
        return []

    def rebuild_sql(self) -> list[str]:
        return self.build_sql() + self.attach_sql()


def set_aside(cursor, tables: Iterable[str], *, keys_with_referrers: Iterable[str] = ()) -> list[SetAside]:
    """The indexes of ``tables`` that can be dropped and rebuilt: those no constraint owns, and those of the
    non-deferrable unique constraints and primary keys no foreign key depends on; and the primary keys of
    ``keys_with_referrers`` with the foreign keys that refer to them (first: they are dropped first)."""
    keyed = list(keys_with_referrers)
    cursor.execute(
        """
        SELECT f.conrelid::regclass::text, f.conname, pg_get_constraintdef(f.oid), 'FOREIGN KEY',
               f.confrelid::regclass::text
          FROM pg_constraint f
          JOIN pg_constraint k ON k.conindid = f.conindid AND k.conrelid = f.confrelid AND k.contype = 'p'
         WHERE f.contype = 'f' AND f.confrelid::regclass::text = ANY(%s)
         ORDER BY 1, 2
        """,
        [keyed],
    )
    foreign_keys = [SetAside(*row) for row in cursor.fetchall()]
    cursor.execute(
        """
        SELECT t.relname, i.relname, pg_get_indexdef(i.oid),
               CASE c.contype WHEN 'u' THEN 'UNIQUE' WHEN 'p' THEN 'PRIMARY KEY' ELSE '' END
          FROM pg_index x
          JOIN pg_class i ON i.oid = x.indexrelid
          JOIN pg_class t ON t.oid = x.indrelid
          LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
                                   AND c.contype IN ('p', 'u', 'x')
         WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s)
           AND (c.oid IS NULL OR (c.contype IN ('u', 'p') AND NOT c.condeferrable))
           AND (NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = x.indexrelid)
                OR (c.contype = 'p' AND t.relname = ANY(%s)))
         ORDER BY t.relname, i.relname
        """,
        [list(tables), keyed],
    )
    return foreign_keys + [SetAside(*row) for row in cursor.fetchall()]


def reserve_ids(cursor, table: str, count: int) -> int:
    """Reserve ``count`` ids of ``table``'s identity sequence; the first of them."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
    first = cursor.fetchone()[0]
    if count > 1:
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first + count - 1])
    return first


def copy_objects(cursor, model, objects: Iterable, *, with_ids: bool) -> int:
    """``COPY`` model instances into their table, each column's value the one ``bulk_create`` would insert (the
    field's ``pre_save`` then ``get_db_prep_save``) without compiling one ``INSERT`` of every value; their ids
    (``with_ids``) or the sequence's. The rows."""
    fields = [field for field in model._meta.concrete_fields if with_ids or field is not model._meta.pk]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    rows = 0
    with cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields])
            rows += 1
    return rows


# A table and every table whose foreign keys refer to it, and to those, and so on: what a TRUNCATE must take along.
REFERRERS = """
WITH RECURSIVE closure(rel) AS (
    SELECT unnest(%s::regclass[])
    UNION
    SELECT c.conrelid FROM pg_constraint c JOIN closure ON c.confrelid = closure.rel WHERE c.contype = 'f'
)
SELECT rel::regclass::text FROM closure ORDER BY 1
"""


def renew_if_empty(cursor, tables: Iterable[str], *, busy: Iterable[str] = ()) -> bool:
    """``TRUNCATE`` ``tables``, with the tables whose foreign keys refer to them, when all of them are empty and
    none is in ``busy`` (another connection loads it): inside the load's transaction, that gives each a new file,
    which ``wal_level = minimal`` fills without writing WAL and syncs at commit (the rows of the journal lines,
    installments and allocation lines: gigabytes of WAL at 100,000 loans). Whether it did."""
    cursor.execute(REFERRERS, [list(tables)])
    closure = [row[0] for row in cursor.fetchall()]
    if set(closure) & set(busy):
        return False
    # Table names read from the catalog.
    cursor.execute(" UNION ALL ".join(f"SELECT 1 FROM (SELECT 1 FROM {table} LIMIT 1) t" for table in closure))  # noqa: S608
    if cursor.fetchall():
        return False
    cursor.execute(f"TRUNCATE {', '.join(closure)}")
    return True


def backend_cpu(cursor) -> float | None:
    """CPU seconds (user + system) the server process of ``cursor``'s connection has used so far, read from
    ``/proc`` when the server runs on this machine (the bench's throw-away cluster); None when it cannot be read."""
    cursor.execute("SELECT pg_backend_pid()")
    try:
        with open(f"/proc/{cursor.fetchone()[0]}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14, 15 of stat


# What the cluster has written: pages through its shared buffers (the checkpointer's, the background writer's and the
# backends'; index builds write theirs around them) and WAL bytes, cluster-wide (the bench's cluster runs nothing else).
WRITES = """
SELECT (buffers_checkpoint + buffers_clean + buffers_backend) * current_setting('block_size')::bigint,
       (SELECT wal_bytes FROM pg_stat_wal)::bigint
  FROM pg_stat_bgwriter
"""


def server_writes(cursor) -> tuple[int, int]:
    """Bytes the cluster has written so far, (pages through its shared buffers, WAL): every heap page the load
    writes is written again when a later pass dirties it (an index build setting its rows' hint bits, ``VACUUM``
    marking it all-visible), which at 100,000 loans is gigabytes for the disk to take."""
    cursor.execute("SELECT pg_stat_clear_snapshot()")  # counters of now, not of this transaction's first read
    cursor.execute(WRITES)
    pages, wal = cursor.fetchone()
    return int(pages), int(wal)


@dataclass
class Phases:
    """Per phase: rows written, seconds spent and the server's CPU seconds (summed over the connections: they
    overlap in time, so the seconds add up to more than the wall time)."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, seconds: float, rows: int = 0, cpu: float | None = None) -> None:
        with self.lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            if rows:
                self.rows[name] = self.rows.get(name, 0) + rows
            if cpu is not None:
                self.cpu[name] = self.cpu.get(name, 0.0) + cpu


class Timer:
    """Times the phases of one connection: wall seconds and its server process's CPU seconds since the last
    ``lap``."""

    def __init__(self, cursor, phases: Phases) -> None:
        self.cursor, self.phases = cursor, phases
        self.wall, self.cpu = time.perf_counter(), backend_cpu(cursor)

    def lap(self, name: str, rows: int = 0) -> float | None:
        """Count the seconds and CPU seconds since the last lap to phase ``name``; the CPU seconds."""
        cpu = backend_cpu(self.cursor)
        spent = None if cpu is None or self.cpu is None else cpu - self.cpu
        now = time.perf_counter()
        self.phases.add(name, now - self.wall, rows, spent)
        self.wall, self.cpu = now, cpu
        return spent

    def restart(self) -> None:
        """Start the next lap now (the time waiting for a task counts to no phase)."""
        self.wall, self.cpu = time.perf_counter(), backend_cpu(self.cursor)


@dataclass(frozen=True)
class Job:
    """One table (or a few small ones) loaded in one transaction on one connection."""

    name: str
    tables: tuple[str, ...]
    statements: tuple[tuple[str, str], ...]  # (phase, SQL): each phase's rounds in turn, timed apart


@dataclass(eq=False)
class Task:
    """One step of the fast load, run on whichever connection is free once the tasks ``after`` are done:

    - ``load``: a job's inserts, in one transaction, committed;
    - ``index``: one index built from a loaded table (two connections can build two indexes of one table at once);
    - ``vacuum``: a job's constraints attached to their built indexes, then ``VACUUM ANALYZE`` of its tables. It
      waits for the horizon (``Schedule``): a page is marked all-visible only when no transaction or statement older
      than its rows' is still running, and the later benches' index-only scans read the visibility map;
    - ``foreign key``: a foreign key set aside with the primary key it refers to, added back (it checks every row:
      after the ``VACUUM``, so that its join reads the two indexes alone)."""

    kind: str
    job: Job
    index: SetAside | None = None
    after: tuple[Task, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.job.name}: {self.kind}" + (f" {self.index.name}" if self.index else "")

    @property
    def waits_for_horizon(self) -> bool:
        return self.kind == "vacuum"


def plan_tasks(jobs: list[Job], aside: list[SetAside]) -> list[Task]:
    """Every task of the fast load, in the order a free connection takes the ready ones: the loads (biggest
    first), then the foreign keys and vacuums as soon as they can run (the end of the load waits on them), then the
    index builds, the biggest tables' first."""
    job_of = {table: job for job in jobs for table in job.tables}
    loads = {job.name: Task("load", job) for job in jobs}
    builds = {
        job.name: [
            Task("index", job, index, (loads[job.name],))
            for index in aside
            if index.table in job.tables and index.build_sql()
        ]
        for job in jobs
    }
    vacuums = {job.name: Task("vacuum", job, after=tuple(builds[job.name])) for job in jobs}
    foreign_keys = []
    for index in aside:
        if not index.is_foreign_key:
            continue
        # The referenced key is attached by its job's vacuum task; a referring table this load writes must be in.
        after = [vacuums[job_of[index.references].name]]
        if index.table in job_of:
            after.append(vacuums[job_of[index.table].name])
        foreign_keys.append(Task("foreign key", job_of[index.references], index, tuple(after)))
    return [
        *loads.values(),
        *foreign_keys,
        *vacuums.values(),
        *(task for job in jobs for task in builds[job.name]),
    ]


class Schedule:
    """The tasks the connections share: ``take`` gives a connection the first ready task in plan order (waiting
    while none is ready but some still run), ``done`` marks it finished, ``stop`` ends the load after a failure.

    The horizon: a vacuum task runs only when every load has committed and every task begun before the last
    commit has ended, so that no running transaction or statement's snapshot is older than any loaded row (a
    statement begun earlier would keep ``VACUUM`` from marking the pages all-visible)."""

    def __init__(self, tasks: list[Task]) -> None:
        self.todo = list(tasks)
        self.loads = {task for task in tasks if task.kind == "load"}
        self.finished: set[Task] = set()
        self.running: dict[Task, int] = {}  # task -> the tick it started at
        self.tick = 0
        self.last_commit = -1  # the tick the last load finished at
        self.stopped = False
        self.cond = threading.Condition()

    def ready(self, task: Task) -> bool:
        if not all(before in self.finished for before in task.after):
            return False
        return not task.waits_for_horizon or self.past_horizon()

    def past_horizon(self) -> bool:
        return self.loads <= self.finished and all(start > self.last_commit for start in self.running.values())

    def take(self) -> Task | None:
        with self.cond:
            while not self.stopped and self.todo:
                task = next((task for task in self.todo if self.ready(task)), None)
                if task is not None:
                    self.todo.remove(task)
                    self.running[task] = self.tick = self.tick + 1
                    return task
                if not self.running:
                    raise RuntimeError(f"no task can run: {[task.name for task in self.todo]}")
                self.cond.wait()
            return None

    def done(self, task: Task) -> None:
        with self.cond:
            del self.running[task]
            self.finished.add(task)
            self.tick += 1
            if task.kind == "load":
                self.last_commit = self.tick
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()


def run_jobs(
    jobs: list[Job],
    *,
    aside: list[SetAside],
    prepare: Callable[[object], None],
    rounds: list[dict],
    phases: Phases,
    discard: Callable[[object], None],
    verbose: bool,
    workers: int | None = None,
) -> None:
    """Drop ``aside``, then run ``jobs``, their index builds, constraints and ``VACUUM ANALYZE`` as the tasks of
    ``plan_tasks`` on ``workers`` connections (``prepare(cursor)`` sets each load's transaction up, e.g. the
    templates' temporary tables), each load over ``rounds`` of parameters. On failure ``discard(cursor)`` deletes
    what was written, and whatever of ``aside`` is still dropped is rebuilt."""
    workers = workers or max(2, os.cpu_count() or 2)  # a connection per core: the jobs are CPU-bound in the server
    built: set[str] = set()  # the indexes of ``aside`` built again
    attached: set[str] = set()  # and those whose constraint (or foreign key) is back
    lock = threading.Lock()
    with transaction.atomic(), connection.cursor() as cursor:
        for index in aside:
            cursor.execute(index.drop_sql())
    schedule = Schedule(plan_tasks(jobs, aside))
    started = time.perf_counter()

    def build(cursor, index: SetAside) -> None:
        for sql in index.build_sql():
            cursor.execute(sql)
        with lock:
            built.add(index.name)

    def attach(cursor, index: SetAside) -> None:
        for sql in index.attach_sql():
            cursor.execute(sql)
        with lock:
            attached.add(index.name)

    def load(cursor, timer: Timer, job: Job) -> None:
        rows = 0
        with transaction.atomic():
            prepare(cursor)
            busy = [table for other in jobs if other is not job for table in other.tables]
            renewed = renew_if_empty(cursor, job.tables, busy=busy)
            for phase in dict.fromkeys(phase for phase, _ in job.statements):
                phase_rows = 0
                for params in rounds:
                    for sql in (sql for named, sql in job.statements if named == phase):
                        cursor.execute(sql, params)
                        phase_rows += cursor.rowcount
                timer.lap(phase, phase_rows)
                rows += phase_rows
        timer.lap(f"{job.name}: commit")
        if verbose:
            print(f"  ... {job.name}: {rows:,} rows{' (new files, no WAL)' if renewed else ''}", flush=True)

    def vacuum(cursor, timer: Timer, job: Job) -> None:
        for index in aside:
            if index.table in job.tables and not index.is_foreign_key:
                attach(cursor, index)
        timer.lap(f"{job.name}: indexes")
        for table in job.tables:  # the visibility map and hint bits now, not on the first reads
            cursor.execute(f"VACUUM ANALYZE {table}")

    def run(task: Task, cursor, timer: Timer) -> None:
        if task.kind == "load":
            load(cursor, timer, task.job)
            return
        if task.kind == "vacuum":
            vacuum(cursor, timer, task.job)
            timer.lap(f"{task.job.name}: vacuum")
            return
        assert task.index is not None  # an index build or a foreign key
        if task.kind == "index":
            build(cursor, task.index)
            timer.lap(f"{task.job.name}: indexes")
        else:
            attach(cursor, task.index)
            timer.lap(f"{task.job.name}: foreign keys")

    def lane(number: int) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(SESSION)
                timer = Timer(cursor, phases)
                while (task := schedule.take()) is not None:
                    timer.restart()
                    begin, cpu = time.perf_counter() - started, timer.cpu
                    try:
                        run(task, cursor, timer)
                    except BaseException:
                        schedule.stop()
                        raise
                    schedule.done(task)
                    if verbose:
                        spent = "" if cpu is None or timer.cpu is None else f", {timer.cpu - cpu:.1f}s CPU"
                        end = time.perf_counter() - started
                        print(f"  [connection {number}] {begin:6.1f}-{end:6.1f}s {task.name}{spent}", flush=True)
        finally:
            connection.close()  # this thread's own connection

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench-seed")
    futures = [pool.submit(lane, number) for number in range(1, workers + 1)]
    try:
        for future in as_completed(futures):
            future.result()
    except BaseException:
        schedule.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            try:
                discard(cursor)
                for index in sorted(aside, key=lambda index: index.is_foreign_key):  # the keys before what refers
                    if index.name not in built:
                        build(cursor, index)
                    if index.name not in attached:
                        attach(cursor, index)
            finally:
                cursor.execute("RESET session_replication_role")
        raise
    finally:
        pool.shutdown(wait=True)
