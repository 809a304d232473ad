"""Letters and documents as PDF, per process (issue "Performance at portfolio scale", PDFs).

Targets:
- at least 20 one-page letters per second per process: the payoff letter, a payment-received notice and an
  escrow-change notice of the seeded portfolio (its analysis planned for a seeded loan when the portfolio has none,
  in the transaction rolled back with the payoff quote), rendered as the application renders them (``pdf_render``:
  stylesheets, fonts and the user-agent sheet made once per process);
- the 360-payment amortization schedule of a closing package in at most 150 ms (a $300,000.00 30-year loan at
  6.5 %; the schedule's rows are what cost, so the parties' block is left empty).

The letters need the seeded PostgreSQL portfolio (`make bench`); on SQLite only the schedule is measured. Each
figure's note gives it in the process's CPU time too: on a busy machine the wall clock counts other processes' turns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import report  # noqa: E402
from lending.finance.amortization import LoanTerms, build_schedule  # noqa: E402
from origination.services.closing import schedule_document_context  # noqa: E402
from origination.services.disclosures import pdf_render  # noqa: E402

if TYPE_CHECKING:
    from servicing.models import EscrowAnalysis

LETTERS_TARGET = 20  # one-page letters per second per process
SCHEDULE_TARGET_MS = 150


class _Rollback(Exception):
    pass


def schedule_context() -> dict:
    disbursed = date(2026, 11, 13)
    schedule = build_schedule(
        LoanTerms(
            principal=Decimal("300000.00"),
            annual_rate=Decimal("6.5"),
            term_periods=360,
            disbursement_date=disbursed,
            first_payment_date=date(2027, 1, 1),
        )
    )
    return {
        "application": {"number": "BENCH-000001", "closing_date": disbursed},
        "figures": {"loan_amount": schedule.terms.principal, "frequency": "monthly"},
        "rate_display": "6.5",
        **schedule_document_context(schedule),
        "generated_at": timezone.now(),
    }


def schedule_ms() -> tuple[float, float]:
    """The schedule's render in ms, best of 5: wall clock and the process's CPU time."""
    context = schedule_context()
    pdf_render("pdf/amortization_schedule.html", context)  # stylesheets and fonts: once per process
    wall, cpu = _best_seconds(lambda: pdf_render("pdf/amortization_schedule.html", context), count=1, repeat=5)
    return wall * 1000, cpu * 1000


def _best_seconds(fn: Callable[[], object], *, count: int, repeat: int) -> tuple[float, float]:
    """Seconds per call of ``fn``, best of ``repeat`` rounds of ``count`` calls: wall clock, process CPU time."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            fn()
        wall = min(wall, (time.perf_counter() - start) / count)
        cpu = min(cpu, (time.process_time() - start_cpu) / count)
    return wall, cpu


def _report_rate(name: str, fn: Callable[[], object]) -> None:
    wall, cpu = _best_seconds(fn, count=20, repeat=3)
    report(name, 1 / wall, "/s", LETTERS_TARGET, higher_is_better=True, note=f"{1 / cpu:.1f}/s of CPU time")


def letters() -> None:
    from bench._servicing_seed import PREFIX, ensure_portfolio
    from servicing.models import BorrowerDocument, LoanAccount, LoanTransaction
    from servicing.services.notices import BUILDERS, Notice, _common
    from servicing.services.payoff import payoff_letter_pdf, payoff_quote_issue, payoff_today

    ensure_portfolio()
    loan = LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-", status=LoanAccount.Status.ACTIVE).first()
    payment = LoanTransaction.objects.filter(loan=loan, kind=LoanTransaction.Kind.PAYMENT).order_by("-pk").first()
    if loan is None or payment is None:
        print("SKIP: the seeded portfolio has no active loan with a payment")
        return

    def notice_rate(name: str, notice: Notice | None) -> None:
        if notice is None:
            print(f"SKIP: no {name} in the portfolio")
            return
        context = {**_common(notice.loan), **notice.context}
        pdf_render(notice.template, context)
        _report_rate(f"{name} PDFs per second, one process", lambda: pdf_render(notice.template, context))

    try:
        with transaction.atomic():  # the quote and the notice choice are rolled back: the portfolio stays as it was
            today = payoff_today()
            quote = payoff_quote_issue(
                loan=loan, as_of=today, good_through=today + timedelta(days=10), actor=None, channel="staff"
            )
            payoff_letter_pdf(quote)
            _report_rate("payoff letter PDFs per second, one process", lambda: payoff_letter_pdf(quote))
            # The seeded borrowers did not ask for payment notices: this one does, for the time of the bench.
            LoanAccount.objects.filter(pk=loan.pk).update(notify_payment_received=True)
            notice_rate("payment-received notice", BUILDERS[BorrowerDocument.Kind.PAYMENT_RECEIVED](payment.pk))
            analysis = escrow_analysis_for_bench()
            notice_rate(
                "escrow-change notice",
                BUILDERS[BorrowerDocument.Kind.ESCROW_CHANGE](analysis.pk) if analysis is not None else None,
            )
            raise _Rollback
    except _Rollback:
        pass


def escrow_analysis_for_bench() -> EscrowAnalysis | None:
    """An escrow analysis with its effective installment, for the escrow-change notice: the portfolio's first, or,
    the seeded portfolio having none (its nights have not run), one planned for a seeded loan on its analysis date
    and saved in the caller's transaction, which the caller rolls back."""
    from bench._servicing_seed import PREFIX
    from servicing.models import EscrowAnalysis, EscrowItem, Installment
    from servicing.services.escrow_analysis import CURRENT_DAYS, analysis_plan, installments_until

    analysis = EscrowAnalysis.objects.filter(effective_installment__isnull=False).order_by("pk").first()
    if analysis is not None:
        return analysis
    item = (
        EscrowItem.objects.filter(loan__loan_number__startswith=f"{PREFIX}-", loan__escrow_analysis_date__isnull=False)
        .select_related("loan")
        .order_by("pk")
        .first()
    )
    if item is None:
        return None
    loan = item.loan
    business_date = loan.escrow_analysis_date
    assert business_date is not None  # the query's filter
    installments = Installment.objects.filter(
        loan=loan,
        due_date__gte=business_date - timedelta(days=CURRENT_DAYS),
        due_date__lt=installments_until(business_date),
    ).order_by("number")
    plan = analysis_plan(
        loan=loan,
        items=list(EscrowItem.objects.filter(loan=loan).order_by("pk")),
        installments=list(installments),
        business_date=business_date,
        borrower_current=True,
    )
    if plan.analysis is not None:
        plan.analysis.save()
    return plan.analysis


def main() -> None:
    wall_ms, cpu_ms = schedule_ms()
    report(
        "amortization schedule PDF, 360 payments (best of 5)",
        wall_ms,
        "ms",
        SCHEDULE_TARGET_MS,
        higher_is_better=False,
        note=f"{cpu_ms:.0f} ms of CPU time",
    )
    if not is_postgres():
        print("SKIP: the letters need the seeded PostgreSQL portfolio (run `make bench`)")
        return
    letters()


if __name__ == "__main__":
    main()
