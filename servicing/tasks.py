"""Celery tasks of servicing: thin, they take ids and call the services.

The close of business is a chain of chords, one per step: ``nightly_step_start`` fires the step's ``nightly_chunk``
tasks and ``nightly_step_finish`` as their callback, which starts the next step. No task waits on another.
"""

from __future__ import annotations

from celery import shared_task

from servicing.models import LoanAccount, NightlyRun
from servicing.services import escrow_statements
from servicing.services.nightly import execution, runner


@shared_task(name="servicing.nightly_step_start")
def nightly_step_start(run_id: int, names: list[str], then: list[str]) -> None:
    execution.step_dispatch(run_id, names, then)


@shared_task(name="servicing.nightly_chunk")
def nightly_chunk(step_run_id: int, loan_ids: list[int], attempt: int) -> dict[str, int]:
    return execution.step_chunk_run(step_run_id, loan_ids, attempt)


@shared_task(name="servicing.nightly_step_finish")
def nightly_step_finish(step_run_id: int, run_id: int, names_left: list[str], then: list[str], attempt: int) -> None:
    execution.step_after(step_run_id, run_id, names_left, then, attempt)


@shared_task(name="servicing.nightly_close")
def nightly_close() -> list[str]:
    """Beat's entry: start the close of business for every business date due (missed nights catch up in order)."""
    try:
        dates = runner.nightly_catch_up(today=runner.local_today(), actor=None, trigger=NightlyRun.Trigger.BEAT)
    except runner.NightlyRunRefused as refused:  # a run still in progress: tomorrow's beat picks up from there
        return [refused.message]
    return [day.isoformat() for day in dates]


@shared_task(name="servicing.escrow_initial_statement")
def escrow_initial_statement(loan_id: int) -> bool:
    """The initial escrow account statement of a loan just boarded (enqueued on commit by ``loan_onboard``)."""
    loan = LoanAccount.objects.select_related("application__subject_property").get(pk=loan_id)
    return escrow_statements.escrow_initial_statement_make(loan=loan, actor=None) is not None


@shared_task(name="servicing.escrow_annual_statements")
def escrow_annual_statements(analysis_ids: list[int]) -> int:
    """The annual escrow account statements of a nightly chunk's analyses (enqueued on commit by the escrow step)."""
    return escrow_statements.escrow_annual_statements_make(analysis_ids=analysis_ids, actor=None)
