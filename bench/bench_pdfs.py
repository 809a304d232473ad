"""Letters and documents as PDF, per process (issue "Performance at portfolio scale", PDFs).

Targets:
- at least 20 one-page letters per second per process: the payoff letter and a payment-received notice of a
  seeded loan, rendered as the application renders them (``pdf_render``: stylesheets, fonts and the user-agent
  sheet made once per process);
- the 360-payment amortization schedule of a closing package in at most 150 ms (a $300,000.00 30-year loan at
  6.5 %; the schedule's rows are what cost, so the parties' block is left empty).

The letters need the seeded PostgreSQL portfolio (`make bench`); on SQLite only the schedule is measured.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

from bench._django import is_postgres, setup

setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._report import best_rate, report  # noqa: E402
from lending.finance.amortization import LoanTerms, build_schedule  # noqa: E402
from origination.services.closing import schedule_document_context  # noqa: E402
from origination.services.disclosures import pdf_render  # noqa: E402

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


def schedule_ms() -> float:
    context = schedule_context()
    pdf_render("pdf/amortization_schedule.html", context)  # stylesheets and fonts: once per process
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        pdf_render("pdf/amortization_schedule.html", context)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def letters() -> None:
    from bench._servicing_seed import PREFIX, ensure_portfolio
    from servicing.models import BorrowerDocument, LoanAccount, LoanTransaction
    from servicing.services.notices import BUILDERS, _common
    from servicing.services.payoff import payoff_letter_pdf, payoff_quote_issue, payoff_today

    ensure_portfolio()
    loan = LoanAccount.objects.filter(loan_number__startswith=f"{PREFIX}-", status=LoanAccount.Status.ACTIVE).first()
    payment = LoanTransaction.objects.filter(loan=loan, kind=LoanTransaction.Kind.PAYMENT).order_by("-pk").first()
    if loan is None or payment is None:
        print("SKIP: the seeded portfolio has no active loan with a payment")
        return
    try:
        with transaction.atomic():  # the quote is rolled back: the bench leaves the portfolio as it found it
            today = payoff_today()
            quote = payoff_quote_issue(
                loan=loan, as_of=today, good_through=today + timedelta(days=10), actor=None, channel="staff"
            )
            payoff_letter_pdf(quote)
            rate = best_rate(lambda: payoff_letter_pdf(quote), count=20, repeat=3)
            report("payoff letter PDFs per second, one process", rate, "/s", LETTERS_TARGET, higher_is_better=True)
            raise _Rollback
    except _Rollback:
        pass
    notice = BUILDERS[BorrowerDocument.Kind.PAYMENT_RECEIVED](payment.pk)
    if notice is None:
        print("SKIP: no payment-received notice for the sample payment")
        return

    def render_notice() -> bytes:
        return pdf_render(notice.template, {**_common(notice.loan), **notice.context})

    render_notice()
    rate = best_rate(render_notice, count=20, repeat=3)
    report("payment-received notice PDFs per second, one process", rate, "/s", LETTERS_TARGET, higher_is_better=True)


def main() -> None:
    report(
        "amortization schedule PDF, 360 payments (best of 5)",
        schedule_ms(),
        "ms",
        SCHEDULE_TARGET_MS,
        higher_is_better=False,
    )
    if not is_postgres():
        print("SKIP: the letters need the seeded PostgreSQL portfolio (run `make bench`)")
        return
    letters()


if __name__ == "__main__":
    main()
