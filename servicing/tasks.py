"""Celery tasks of servicing: thin, they take ids and call the services.

The close of business is a chain of chords, one per step: ``nightly_step_start`` fires the step's ``nightly_chunk``
tasks and ``nightly_step_finish`` as their callback, which starts the next step. No task waits on another.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from servicing.models import LoanAccount, NightlyRun
from servicing.services import (
    documents,
    early_intervention,
    escrow_statements,
    ledger_daily,
    metro2,
    notices,
    portfolio_months,
    portfolio_strata,
    print_batches,
    roll_rates,
)
from servicing.services.nightly import execution, runner

logger = logging.getLogger(__name__)


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


@shared_task(name="servicing.ledger_daily_compact")
def ledger_daily_compact() -> int:
    """Beat's entry: merge the day's per-account daily total rows, the loans' balance-total rows and the portfolio
    strata rows (the trial balance, its tie-out and the portfolio report read them)."""
    ledger_daily.loan_totals_compact()
    portfolio_strata.portfolio_strata_compact()
    return ledger_daily.ledger_daily_compact()


# A mail server that is down (smtplib errors are OSErrors) is retried; the document stays undelivered meanwhile.
@shared_task(name="servicing.document_deliver", autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def document_deliver(document_id: int) -> bool:
    """Email the borrower that a stored document is in their portal (enqueued on commit by ``document_store``)."""
    return documents.document_email(document_id=document_id, actor=None)


@shared_task(name="servicing.notice_make")
def notice_make(kind: str, row_id: int) -> int | None:
    """Render and store one borrower notice (enqueued on commit where its event happened)."""
    document = notices.notice_make(kind=kind, row_id=row_id, actor=None)
    return document.pk if document is not None else None


@shared_task(name="servicing.notices_make")
def notices_make(kind: str, row_ids: list[int]) -> int:
    """Render and store the ``kind`` notices about ``row_ids`` (a night's batch, enqueued on commit): one failing
    notice is logged and the others are made; a rerun of the task makes only those still missing."""
    made = 0
    for row_id in row_ids:
        try:
            made += notices.notice_make(kind=kind, row_id=row_id, actor=None) is not None
        except Exception:  # one bad notice must not cost the borrowers after it theirs
            logger.exception("notice %s for row %s failed", kind, row_id)
    return made


@shared_task(name="servicing.print_batch")
def print_batch_daily() -> int | None:
    """Beat's entry: today's print batch of the paper documents waiting (none made when nothing waits)."""
    batch = print_batches.print_batch_run(business_date=runner.local_today(), actor=None)
    return batch.pk if batch is not None else None


@shared_task(name="servicing.escrow_initial_statement")
def escrow_initial_statement(loan_id: int) -> bool:
    """The initial escrow account statement of a loan just boarded (enqueued on commit by ``loan_onboard``)."""
    loan = LoanAccount.objects.select_related("application__subject_property").get(pk=loan_id)
    return escrow_statements.escrow_initial_statement_make(loan=loan, actor=None) is not None


@shared_task(name="servicing.escrow_annual_statements")
def escrow_annual_statements(analysis_ids: list[int]) -> int:
    """The annual escrow account statements of a nightly chunk's analyses (enqueued on commit by the escrow step)."""
    return escrow_statements.escrow_annual_statements_make(analysis_ids=analysis_ids, actor=None)


@shared_task(name="servicing.early_intervention_letters_make")
def early_intervention_letters_make(notice_ids: list[int]) -> int:
    """Render and store the letters of the night's early intervention notices (Reg X 1024.39(b)); one failing
    letter is logged and the others are made; a rerun makes only those still missing."""
    made = 0
    for notice_id in notice_ids:
        try:
            made += early_intervention.early_intervention_letter_make(notice_id=notice_id, actor=None) is not None
        except Exception:  # one bad letter must not cost the borrowers after it theirs
            logger.exception("early intervention letter for notice %s failed", notice_id)
    return made


@shared_task(name="servicing.portfolio_months_refresh")
def portfolio_months_refresh() -> list[str]:
    """Beat's entry, after the close of business: the monthly report figures of every month that changed."""
    return [month.isoformat() for month in portfolio_months.portfolio_months_refresh(actor=None)]


@shared_task(name="servicing.roll_rates_keep")
def roll_rates_keep() -> bool:
    """Beat's entry, after the close of business: keep the collections dashboard's closed months for today."""
    return roll_rates.roll_rates_keep(today=timezone.localdate(), actor=None)


@shared_task(name="servicing.metro2_file_build")
def metro2_file_build(file_id: int) -> str | None:
    """Make a requested Metro 2 file (enqueued on commit by ``metro2_file_request``)."""
    made = metro2.metro2_file_build(file_id=file_id)
    return made.status if made is not None else None
