"""The fast load's tasks (bench/_seed_load.py ``plan_tasks`` and ``Schedule``): which task a free connection takes,
and when. Each load first (biggest first), an index build once its table is loaded, a vacuum only past the horizon
(every load committed, nothing begun before the last commit still running), a foreign key after the vacuums of
both its tables. No database: the schedule is plain Python."""

import pytest

from bench._seed_load import Job, Schedule, SetAside, plan_tasks

INSTALLMENTS = Job("installments", ("servicing_installment",), (("installments", "INSERT 1"),))
LINES = Job("journal lines", ("servicing_journalline",), (("journal lines", "INSERT 2"),))
ALLOCATIONS = Job("allocation lines", ("servicing_allocationline",), (("allocation lines", "INSERT 3"),))
JOBS = [INSTALLMENTS, LINES, ALLOCATIONS]

KEY = SetAside("servicing_installment", "inst_pkey", "CREATE UNIQUE INDEX inst_pkey ON i (id)", "PRIMARY KEY")
DUE = SetAside("servicing_installment", "inst_due", "CREATE INDEX inst_due ON i (loan_id, due_date)", "")
ACCOUNT = SetAside("servicing_journalline", "line_account", "CREATE INDEX line_account ON l (account_id)", "")
REFERS = SetAside(
    "servicing_allocationline",
    "alloc_inst_fk",
    "FOREIGN KEY (installment_id) REFERENCES servicing_installment(id)",
    "FOREIGN KEY",
    "servicing_installment",
)
ELSEWHERE = SetAside(
    "servicing_pendingpayment",
    "pending_inst_fk",
    "FOREIGN KEY (installment_id) REFERENCES servicing_installment(id)",
    "FOREIGN KEY",
    "servicing_installment",
)
ASIDE = [REFERS, ELSEWHERE, KEY, DUE, ACCOUNT]


def _names(tasks) -> list[str]:
    return [task.name for task in tasks]


def _take(schedule: Schedule) -> str:
    task = schedule.take()
    assert task is not None
    return task.name


def _finish(schedule: Schedule, name: str) -> None:
    schedule.done(next(task for task in schedule.running if task.name == name))


def test_the_plan_lists_the_loads_biggest_first_then_foreign_keys_vacuums_and_index_builds():
    assert _names(plan_tasks(JOBS, ASIDE)) == [
        "installments: load",
        "journal lines: load",
        "allocation lines: load",
        "installments: foreign key alloc_inst_fk",
        "installments: foreign key pending_inst_fk",
        "installments: vacuum",
        "journal lines: vacuum",
        "allocation lines: vacuum",
        "installments: index inst_pkey",
        "installments: index inst_due",
        "journal lines: index line_account",
    ]


def test_a_foreign_key_waits_for_the_vacuum_of_its_table_and_of_the_table_it_refers_to():
    tasks = {task.name: task for task in plan_tasks(JOBS, ASIDE)}
    assert _names(tasks["installments: foreign key alloc_inst_fk"].after) == [
        "installments: vacuum",
        "allocation lines: vacuum",
    ]
    # A table the load does not write: only the key it refers to.
    assert _names(tasks["installments: foreign key pending_inst_fk"].after) == ["installments: vacuum"]
    assert _names(tasks["installments: vacuum"].after) == [
        "installments: index inst_pkey",
        "installments: index inst_due",
    ]
    assert _names(tasks["installments: index inst_due"].after) == ["installments: load"]


def test_a_free_connection_builds_the_indexes_of_a_loaded_table_while_the_other_still_loads():
    schedule = Schedule(plan_tasks(JOBS, ASIDE))
    assert _take(schedule) == "installments: load"
    assert _take(schedule) == "journal lines: load"
    _finish(schedule, "journal lines: load")
    assert _take(schedule) == "allocation lines: load"  # the loads first
    _finish(schedule, "allocation lines: load")
    assert _take(schedule) == "journal lines: index line_account"  # the installments are still loading
    _finish(schedule, "installments: load")
    assert _take(schedule) == "installments: index inst_pkey"
    assert _take(schedule) == "installments: index inst_due"  # two builds on one table at once


def test_a_vacuum_waits_until_no_task_begun_before_the_last_commit_is_running():
    """A statement begun before a table's commit keeps ``VACUUM`` from marking its pages all-visible."""
    schedule = Schedule(plan_tasks(JOBS, [ACCOUNT]))
    assert _take(schedule) == "installments: load"
    assert _take(schedule) == "journal lines: load"
    _finish(schedule, "journal lines: load")
    assert _take(schedule) == "allocation lines: load"
    _finish(schedule, "allocation lines: load")
    assert _take(schedule) == "journal lines: index line_account"  # begun before the installments' commit
    _finish(schedule, "installments: load")
    # The installments' vacuum is ready but for the horizon: the index build began before their commit.
    assert schedule.ready(schedule.todo[0]) is False
    _finish(schedule, "journal lines: index line_account")
    assert _take(schedule) == "installments: vacuum"
    assert _take(schedule) == "journal lines: vacuum"


def test_nothing_is_vacuumed_while_a_load_is_still_running():
    schedule = Schedule(plan_tasks([INSTALLMENTS, LINES], []))
    assert _take(schedule) == "installments: load"
    assert _take(schedule) == "journal lines: load"
    _finish(schedule, "journal lines: load")
    lines_vacuum = next(task for task in schedule.todo if task.name == "journal lines: vacuum")
    assert schedule.ready(lines_vacuum) is False  # its own load is done, the installments' is not
    _finish(schedule, "installments: load")
    assert schedule.ready(lines_vacuum) is True


def test_after_a_stop_no_connection_takes_another_task():
    schedule = Schedule(plan_tasks(JOBS, ASIDE))
    assert _take(schedule) == "installments: load"
    schedule.stop()
    assert schedule.take() is None


def test_a_schedule_that_can_never_go_on_says_so_rather_than_wait_forever():
    (_load, _vacuum, build) = plan_tasks([LINES], [ACCOUNT])
    schedule = Schedule([build])  # its table's load is not in the schedule
    with pytest.raises(RuntimeError, match=r"no task can run: \['journal lines: index line_account'\]"):
        schedule.take()


def test_a_set_aside_foreign_key_builds_nothing_and_is_added_back_whole():
    assert REFERS.build_sql() == []
    assert REFERS.drop_sql() == 'ALTER TABLE servicing_allocationline DROP CONSTRAINT "alloc_inst_fk"'
    assert REFERS.attach_sql() == [
        'ALTER TABLE servicing_allocationline ADD CONSTRAINT "alloc_inst_fk"'
        " FOREIGN KEY (installment_id) REFERENCES servicing_installment(id)"
    ]
    assert KEY.rebuild_sql() == [
        "CREATE UNIQUE INDEX inst_pkey ON i (id)",
        'ALTER TABLE servicing_installment ADD CONSTRAINT "inst_pkey" PRIMARY KEY USING INDEX "inst_pkey"',
    ]
    assert DUE.attach_sql() == []
