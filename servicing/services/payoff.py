"""Payoff: issuing quotes and letters, and posting the payoff that closes a loan.

``payoff_quote_issue`` records a payoff statement (Reg Z 12 CFR 1026.36(c)(3): an accurate statement of the
amount to pay the loan in full as of a specified date, within seven business days of a written request; we
issue it at once) with the figures of ``servicing.selectors.payoff.payoff_figures``. ``payoff_letter_pdf``
renders it with WeasyPrint from the stored figures, on demand.

``payoff_post`` takes the money: it locks the loan, recomputes the figures as of the effective date (a quote may
be stale: never trusted), refuses a short amount (naming the shortfall, writing nothing), and otherwise writes,
in one transaction:
- the payoff entry (kind ``payoff``): Dr cash (the amount received), Dr suspense (unapplied funds credited);
  Dr interest paid in advance (all of it: the loan closes, so it is earned); Cr loans receivable (principal), Cr
  interest receivable (all of ``interest_due``) and Cr interest income for the rest of the interest plus the
  interest paid in advance (or Dr interest income when the accrued receivable exceeds them: that accrual is
  reversed), Cr fees receivable, Cr escrow liability (an escrow advance repaid), Cr suspense (money beyond the
  payoff, held for its refund);
- a ``LoanTransaction`` (kind payment, directive payoff) with its allocation lines: interest, principal
  (bucket prepayment: the whole balance is paid ahead of schedule), fees, escrow advance, suspense applied
  (negative) and overage (positive), none tied to an installment: payoff interest is accrued by day count across
  installment boundaries and the principal is the balance, not any installment's share;
- the escrow refund entry (kind ``escrow_refund``): Dr escrow liability, Cr cash (Reg X 12 CFR 1024.34(b):
  returned within 20 business days; the cash credit records the refund, the check or ACH itself is issued by
  treasury);
- the refund entry (kind ``payoff``) for the overage, unapplied funds beyond the debt and interest paid ahead:
  Dr suspense, Dr interest income, Cr cash;
- a ``LoanPayoff`` row (one per loan, database-enforced), the loan ``paid_off`` (``paid_off_on``, no next due
  date, interest paid through the effective date) and audit rows; every running balance ends at zero.
``loan_paid_off`` is sent on commit. The installments keep what was paid on them: the payoff pays the balance,
not installments, and the loan's status closes the schedule.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lending.core.calendar import add_business_days
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import ZERO
from origination.services.disclosures import pdf_render
from servicing.models import (
    AllocationLine,
    BorrowerDocument,
    JournalEntry,
    LoanAccount,
    LoanPayoff,
    LoanTransaction,
    PayoffQuote,
)
from servicing.models.ledger import (
    CASH,
    ESCROW_LIABILITY,
    FEES_RECEIVABLE,
    INTEREST_INCOME,
    INTEREST_PREPAID,
    INTEREST_RECEIVABLE,
    LOANS_RECEIVABLE,
    SUSPENSE,
)
from servicing.selectors import payoff as payoff_selectors
from servicing.selectors.payoff import PayoffFigures
from servicing.services import payments
from servicing.services.ledger import journal_post
from servicing.services.notices import notice_later
from servicing.services.payments import PaymentError, _existing, _lock, _validate
from servicing.services.posting import loan_require_active, payment_record
from servicing.signals import loan_paid_off

Bucket = AllocationLine.Bucket
PAYOFF = LoanTransaction.Directive.PAYOFF
# How far ahead a quote may be good through, by channel: a servicer quotes a refinance or sale closing that may
# be weeks out; a borrower picks the day their funds will arrive (the per diem covers a slip).
MAX_GOOD_THROUGH_DAYS: dict[str, int] = {PayoffQuote.Channel.STAFF: 60, PayoffQuote.Channel.PORTAL: 30}
REFUND_BUSINESS_DAYS = 20  # Reg X 12 CFR 1024.34(b)(1): escrow returned within 20 days excluding weekends/holidays


def payoff_today() -> date:
    """Today for payoff dates: the same clock as payment posting (``payments._today``), so the two agree."""
    return payments._today()


def _require_after_last_posting(loan: LoanAccount, when: date, field: str) -> None:
    """Figures come from today's balances: a date before the latest posting would state balances it never had."""
    last = payoff_selectors.last_posting_date(loan)
    if last is not None and when < last:
        raise PaymentError(f"{when} is before the loan's latest posting ({last})", field)


def _validate_quote_dates(loan: LoanAccount, as_of: date, good_through: date, channel: str) -> None:
    if channel not in PayoffQuote.Channel.values:
        raise PaymentError(f"unknown channel {channel!r}", "channel")
    for field, value in (("as_of", as_of), ("good_through", good_through)):
        if not isinstance(value, date):
            raise PaymentError(f"expected a date, got {value!r}", field)
    today = payoff_today()
    if as_of > today:
        raise PaymentError(f"{as_of} is in the future: a quote states today's balances", "as_of")
    if as_of < loan.disbursement_date:
        raise PaymentError(f"{as_of} is before the disbursement date {loan.disbursement_date}", "as_of")
    _require_after_last_posting(loan, as_of, "as_of")
    if good_through < as_of:
        raise PaymentError(f"{good_through} is before the as-of date {as_of}", "good_through")
    latest = as_of + timedelta(days=MAX_GOOD_THROUGH_DAYS[channel])
    if good_through > latest:
        raise PaymentError(
            f"at most {MAX_GOOD_THROUGH_DAYS[channel]} days after the as-of date ({latest})", "good_through"
        )


def payoff_quote_issue(
    *, loan: LoanAccount, as_of: date, good_through: date, actor: User | None, channel: str
) -> PayoffQuote:
    """Record a payoff statement for ``loan`` with interest through ``good_through`` (figures as of ``as_of``,
    which is today or a past date not before the latest posting). ``PaymentError`` names the field at fault."""
    with transaction.atomic():
        loan_require_active(loan)
        _validate_quote_dates(loan, as_of, good_through, channel)
        figures = payoff_selectors.payoff_figures(loan, as_of=as_of, good_through=good_through)
        quote = PayoffQuote.objects.create(
            loan=loan,
            requested_by=actor if actor is not None and actor.pk else None,
            channel=channel,
            loan_version=loan.version,
            **figures.as_fields(),
        )
        audit_record(
            actor=actor, verb="payoff.quoted", target=quote, after={"loan": loan.loan_number, **figures.as_fields()}
        )
        return quote


# --- the letter ------------------------------------------------------------------------------------------------


def payoff_letter_context(quote: PayoffQuote) -> dict[str, Any]:
    """What the payoff letter shows: lender, borrower, loan, the stated figures and how to remit."""
    loan = quote.loan
    return {
        # The shared PDF base puts the document's reference in its title and footer as application.number.
        "application": {"number": loan.loan_number},
        "creditor_name": settings.LENDING_CREDITOR_NAME,
        "creditor_address": settings.LENDING_CREDITOR_ADDRESS,
        "contact_email": settings.LENDING_CONTACT_EMAIL,
        "remittance": getattr(settings, "LENDING_PAYOFF_REMITTANCE", ""),
        "loan": loan,
        "quote": quote,
        "refund_business_days": REFUND_BUSINESS_DAYS,
        "generated_at": timezone.now(),
        **payoff_selectors.loan_for_payoff_letter(loan),
    }


def payoff_letter_pdf(quote: PayoffQuote) -> bytes:
    """The payoff letter for ``quote`` as PDF bytes (WeasyPrint, ``templates/pdf/payoff_letter.html``)."""
    return pdf_render("pdf/payoff_letter.html", payoff_letter_context(quote))


# --- posting the payoff ----------------------------------------------------------------------------------------


def _payoff_lines(
    figures: PayoffFigures, loan: LoanAccount, amount: Decimal, overage: Decimal
) -> list[tuple[str, Decimal, Decimal]]:
    # The loan closes: interest paid in advance and the payoff's interest settle to income against what was
    # accrued (a receivable above the payoff's interest is an accrual reversed).
    income = figures.interest - loan.interest_due + loan.interest_prepaid
    debits = [
        (CASH, amount),
        (SUSPENSE, figures.suspense_credit),
        (INTEREST_PREPAID, max(loan.interest_prepaid, ZERO)),
        (INTEREST_INCOME, max(-income, ZERO)),
    ]
    credits = [
        (LOANS_RECEIVABLE, figures.principal),
        (INTEREST_RECEIVABLE, loan.interest_due),
        (INTEREST_PREPAID, max(-loan.interest_prepaid, ZERO)),
        (INTEREST_INCOME, max(income, ZERO)),
        (FEES_RECEIVABLE, figures.fees),
        (ESCROW_LIABILITY, figures.escrow_advance),
        (SUSPENSE, overage),
    ]
    return [(code, value, ZERO) for code, value in debits if value] + [
        (code, ZERO, value) for code, value in credits if value
    ]


def _allocation_lines(txn: LoanTransaction, figures: PayoffFigures, overage: Decimal) -> list[AllocationLine]:
    parts = (
        (Bucket.FEES, figures.fees),
        (Bucket.INTEREST, figures.interest),
        (Bucket.PREPAYMENT, figures.principal),
        (Bucket.ESCROW, figures.escrow_advance),
        (Bucket.SUSPENSE, -figures.suspense_credit),
        (Bucket.SUSPENSE, overage),
    )
    return [AllocationLine(transaction=txn, bucket=bucket, amount=value) for bucket, value in parts if value]


def _post_refunds(
    *, loan: LoanAccount, figures: PayoffFigures, overage: Decimal, effective_date: date, actor: User | None
) -> tuple[JournalEntry | None, JournalEntry | None]:
    """The escrow refund entry and the refund entry for the overage, unapplied funds and interest paid ahead."""
    escrow_entry = refund_entry = None
    if figures.escrow_refund:
        escrow_entry = journal_post(
            actor=actor,
            loan=loan,
            effective_date=effective_date,
            kind=JournalEntry.Kind.ESCROW_REFUND,
            memo=f"Escrow balance refunded on payoff of {loan.loan_number} (Reg X 1024.34(b))",
            lines=[(ESCROW_LIABILITY, figures.escrow_refund, ZERO), (CASH, ZERO, figures.escrow_refund)],
        )
    from_suspense = overage + figures.suspense_refund
    refund = from_suspense + figures.interest_refund
    if refund:
        lines = [
            (code, value, ZERO)
            for code, value in ((SUSPENSE, from_suspense), (INTEREST_INCOME, figures.interest_refund))
            if value
        ]
        refund_entry = journal_post(
            actor=actor,
            loan=loan,
            effective_date=effective_date,
            kind=JournalEntry.Kind.PAYOFF,
            memo=(
                f"Refund after payoff of {loan.loan_number}: overage {overage}, unapplied funds "
                f"{figures.suspense_refund}, interest paid ahead {figures.interest_refund}"
            ),
            lines=[*lines, (CASH, ZERO, refund)],
        )
    return escrow_entry, refund_entry


def _close_loan(loan: LoanAccount, effective_date: date) -> None:
    closed = {
        "status": LoanAccount.Status.PAID_OFF,
        "paid_off_on": effective_date,
        "next_due_date": None,
        "interest_paid_through": effective_date,
    }
    LoanAccount.objects.filter(pk=loan.pk).update(**closed, updated_at=timezone.now())
    for field, value in closed.items():
        setattr(loan, field, value)


def _existing_payoff(key: str, loan: LoanAccount) -> LoanTransaction | None:
    found = _existing(key, loan)
    if found is not None and found.directive != PAYOFF:
        raise PaymentError(f"{key!r} was already used for another transaction ({found.pk})", "idempotency_key")
    return found


def payoff_post(
    *,
    loan: LoanAccount,
    amount: Decimal,
    effective_date: date,
    method: str,
    reference: str,
    idempotency_key: str,
    actor: User | None,
) -> LoanTransaction:
    """Post the payoff of ``loan`` received on ``effective_date`` and close the loan (module docstring).

    ``amount`` must cover the payoff as of ``effective_date``; more is refunded. A repeated ``idempotency_key``
    returns the first posting and writes nothing. ``PaymentError`` when refused; nothing is written then."""
    with transaction.atomic():
        amount = _validate(loan, amount, effective_date, method, PAYOFF, idempotency_key)
        existing = _existing_payoff(idempotency_key, loan)
        if existing is not None:
            return existing
        locked = _lock(loan)
        existing = _existing_payoff(idempotency_key, loan)  # posted by another caller while we waited for the lock
        if existing is not None:
            return existing
        loan_require_active(locked)
        _require_after_last_posting(locked, effective_date, "effective_date")
        figures = payoff_selectors.payoff_figures(locked, as_of=effective_date, good_through=effective_date)
        if amount < figures.total:
            raise PaymentError(
                f"{amount} is short of the payoff of {figures.total} as of {effective_date} "
                f"by {figures.total - amount}",
                "amount",
            )
        overage = amount - figures.total
        before = {"status": locked.status, "principal_balance": locked.principal_balance}
        try:
            txn, entry = payment_record(
                loan=locked,
                entry_kind=JournalEntry.Kind.PAYOFF,
                memo=f"Payoff {reference or idempotency_key} of {locked.loan_number} ({method})",
                lines=_payoff_lines(figures, locked, amount, overage),
                amount=amount,
                effective_date=effective_date,
                method=method,
                reference=reference,
                idempotency_key=idempotency_key,
                directive=PAYOFF,
                actor=actor,
            )
        except IntegrityError:  # the same key posted concurrently: that posting stands
            existing = _existing_payoff(idempotency_key, locked)
            if existing is not None:
                return existing
            raise
        AllocationLine.objects.bulk_create(_allocation_lines(txn, figures, overage))
        escrow_entry, refund_entry = _post_refunds(
            loan=locked, figures=figures, overage=overage, effective_date=effective_date, actor=actor
        )
        payoff = LoanPayoff.objects.create(
            loan=locked,
            transaction=txn,
            amount_received=amount,
            overage_refund=overage,
            escrow_refund_entry=escrow_entry,
            refund_entry=refund_entry,
            refund_due_by=add_business_days(effective_date, REFUND_BUSINESS_DAYS),
            posted_by=actor if actor is not None and actor.pk else None,
            **figures.as_fields(),
        )
        _close_loan(locked, effective_date)
        _sync(loan, locked)
        audit_record(
            actor=actor,
            verb="loan.paid_off",
            target=locked,
            before=before,
            after={
                "status": locked.status,
                "paid_off_on": effective_date,
                "transaction": txn.pk,
                "payoff": payoff.pk,
                "amount": amount,
                "method": method,
                "reference": reference,
                "overage_refund": overage,
                "journal_entries": [e.pk for e in (entry, escrow_entry, refund_entry) if e is not None],
                **figures.as_fields(),
            },
        )
        transaction.on_commit(lambda: loan_paid_off.send(sender=LoanAccount, loan=locked, transaction=txn, actor=actor))
        notice_later(BorrowerDocument.Kind.PAID_IN_FULL, payoff.pk)  # the paid-in-full letter, made after commit
        return txn


def _sync(loan: LoanAccount, locked: LoanAccount) -> None:
    """Refresh the caller's instance from the locked row, as ``payment_post`` does."""
    for field in (
        "principal_balance",
        "interest_due",
        "fees_due",
        "escrow_balance",
        "suspense_balance",
        "interest_prepaid",
        "version",
        "status",
        "paid_off_on",
        "next_due_date",
        "interest_paid_through",
    ):
        setattr(loan, field, getattr(locked, field))
