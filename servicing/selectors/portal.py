"""Reads for the borrower portal's loan pages: the borrower's loans, what is due next, the schedule, the payment
history with each payment's waterfall, scheduled ACH payments and autopay, and the ceiling a payment may reach.

Every function issues a fixed number of queries whatever the length of the loan's history: history is read a
page at a time and only that page's allocation lines are fetched (one prefetch query), so a loan with five years
of payments costs what a new loan costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import Combinable
from django.http import Http404

from lending.core import roles
from lending.core.compiled import CompiledCount, CompiledPages, CompiledQuery, CompiledRowsByIds
from lending.core.models import User
from lending.core.roles import RequestUser
from lending.finance.money import ZERO, cents
from servicing.models import (
    AllocationLine,
    AutopayEnrollment,
    EscrowItem,
    Installment,
    LoanAccount,
    LoanTransaction,
    PendingPayment,
)
from servicing.selectors.loan_pages import INSTALLMENT_PAGES

AMOUNT = DecimalField(max_digits=14, decimal_places=2)
TOTAL = DecimalField(max_digits=20, decimal_places=2)
RECENT_PAYMENTS = 12  # on the loan page; the history page has them all, a page at a time
HISTORY_PAGE_SIZE = 24
SCHEDULE_PAGE_SIZE = 60  # five years of monthly installments
UPCOMING_INSTALLMENTS = 6
Bucket = AllocationLine.Bucket
OUTSTANDING = ExpressionWrapper(
    F("payment") - F("paid_principal") - F("paid_interest") - F("paid_escrow"), output_field=AMOUNT
)


def _sum(expression: Combinable | str) -> Sum:
    return Sum(expression, output_field=TOTAL)


# --- the borrower's loans ------------------------------------------------------------------------------------


def _borrower_loans(borrower_id: int) -> QuerySet[LoanAccount]:
    next_installment = Installment.objects.filter(loan=OuterRef("pk"), due_date=OuterRef("next_due_date")).order_by(
        "number"
    )
    return (
        LoanAccount.objects.filter(borrower_id=borrower_id)
        .only(
            "loan_number",
            "product_name",
            "status",
            "principal_balance",
            "escrow_balance",
            "suspense_balance",
            "next_due_date",
        )
        .annotate(next_payment_amount=Subquery(next_installment.annotate(owed=OUTSTANDING).values("owed")[:1]))
        .order_by("-id")
    )


# The portal home reads it on every visit: compiled once per process (its subquery's SQL cost ~1.5 ms to build).
_BORROWER_LOANS = CompiledQuery(_borrower_loans, borrower_id=int)


def loans_for_borrower(*, user: User) -> Sequence[LoanAccount]:
    """The borrower's loans, newest first, each annotated ``next_payment_amount`` (what is still owed on the
    installment due next, in cents): one query."""
    loans: list[Any] = _BORROWER_LOANS.fetch(borrower_id=user.pk)  # annotated: next_payment_amount
    for loan in loans:  # SQLite hands a computed decimal back unquantized (2674.03000000000)
        if loan.next_payment_amount is not None:
            loan.next_payment_amount = cents(loan.next_payment_amount)
    return loans


# The portal's loan pages read these on every visit: each compiled once per process (lending.core.compiled), as
# building a queryset's SQL cost more CPU than the database's answer (about 1 ms against 0.2 ms, issue 15 "Load").
_LOAN = CompiledQuery(lambda pk: LoanAccount.objects.filter(pk=pk), pk=int)
_UNPAID_FROM = CompiledQuery(
    lambda loan_id, as_of: Installment.objects.filter(
        loan_id=loan_id, paid_on__isnull=True, due_date__gte=as_of
    ).order_by("due_date", "number")[:1],
    loan_id=int,
    as_of=date,
)
_UPCOMING = CompiledQuery(
    lambda loan_id: Installment.objects.filter(loan_id=loan_id, paid_on__isnull=True).order_by("due_date", "number")[
        :UPCOMING_INSTALLMENTS
    ],
    loan_id=int,
)
_ESCROW_ITEMS = CompiledQuery(
    lambda loan_id: EscrowItem.objects.filter(loan_id=loan_id).order_by("next_due_date", "id"), loan_id=int
)
_RECENT_PAYMENTS = CompiledQuery(lambda loan_id: _payments(loan_id)[:RECENT_PAYMENTS], loan_id=int)
PENDING_PAYMENTS = 20
# The account numbers stay deferred (encrypted, never shown: decrypting them cost more than the row).
_PENDING = CompiledQuery(
    lambda loan_id: (
        PendingPayment.objects.filter(loan_id=loan_id, status=PendingPayment.Status.PENDING)
        .defer("routing_number", "account_number")
        .order_by("scheduled_date", "id")[:PENDING_PAYMENTS]
    ),
    loan_id=int,
)
# What .first() read: one row in the model's ordering (Meta.ordering: the latest enrollment first).
_ACTIVE_AUTOPAY = CompiledQuery(
    lambda loan_id: (
        AutopayEnrollment.objects.filter(loan_id=loan_id, active=True)
        .defer("routing_number", "account_number")
        .order_by("loan_id", "-enrolled_at", "-id")[:1]
    ),
    loan_id=int,
)


def _per_loan(rows: QuerySet[Any], **figures: Any) -> dict[str, Subquery]:
    """Each aggregate of ``figures`` over ``rows`` (one loan's) as a subquery: the loan's row annotated with them is
    a query ``CompiledQuery`` compiles once, where ``aggregate()`` compiled its SQL on every call (an aggregate
    over no rows is NULL, as ``aggregate()`` gives it)."""
    grouped = rows.order_by().values("loan")
    return {name: Subquery(grouped.annotate(figure=figure).values("figure")) for name, figure in figures.items()}


def _figures(loan_id: int, **subqueries: Subquery) -> QuerySet[LoanAccount]:
    return LoanAccount.objects.filter(pk=loan_id).only("pk").annotate(**subqueries)


def _dues(loan_id: int, on: date) -> QuerySet[Installment]:
    """The installments a payment on ``on`` pays: those due by then and still unpaid, and the next one."""
    unpaid = Installment.objects.filter(loan_id=loan_id, paid_on__isnull=True)
    upcoming = unpaid.filter(due_date__gt=on).order_by("due_date", "number").values("pk")[:1]
    return unpaid.filter(Q(due_date__lte=on) | Q(pk__in=Subquery(upcoming)))


# What the portal's next payment and payment ceiling sum, each read in one query compiled once per process.
_PAST_DUE = CompiledQuery(
    lambda loan_id, as_of: _figures(
        loan_id,
        **_per_loan(
            Installment.objects.filter(loan_id=loan_id, paid_on__isnull=True, due_date__lt=as_of),
            past_count=Count("id"),
            past_owed=_sum(OUTSTANDING),
        ),
    ),
    loan_id=int,
    as_of=date,
)
_CEILING_FIGURES = CompiledQuery(
    lambda loan_id, on: _figures(
        loan_id,
        **_per_loan(
            _dues(loan_id, on),
            dues_principal=_sum(F("principal") - F("paid_principal")),
            dues_interest=_sum(F("interest") - F("paid_interest")),
            dues_escrow=_sum(F("escrow") - F("paid_escrow")),
        ),
        **_per_loan(
            PendingPayment.objects.filter(loan_id=loan_id, status=PendingPayment.Status.PENDING),
            pending_total=_sum("amount"),
        ),
    ),
    loan_id=int,
    on=date,
)


def loan_for_borrower(*, user: RequestUser, pk: int) -> LoanAccount:
    """The borrower's own loan, else 404 (never reveal that someone else's exists)."""
    if not roles.is_borrower(user):
        raise Http404("No such loan")
    loan = next(iter(_LOAN.fetch(pk=int(pk))), None)
    if loan is None or loan.borrower_id != user.pk:
        raise Http404("No such loan")
    return loan


# --- what is due -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextPayment:
    """What the borrower should pay now: the installment due next (what it still owes, by component), anything
    past due from earlier installments, and fees assessed. Unapplied funds are reported, not subtracted: they
    apply when they make up a full payment."""

    due_date: date | None
    principal: Decimal
    interest: Decimal
    escrow: Decimal
    past_due: Decimal
    past_due_count: int
    fees: Decimal
    unapplied: Decimal

    @property
    def current(self) -> Decimal:
        return self.principal + self.interest + self.escrow

    @property
    def total(self) -> Decimal:
        return self.current + self.past_due + self.fees


def next_payment_breakdown(loan: LoanAccount, *, as_of: date) -> NextPayment | None:
    """The next payment as of ``as_of`` (None for a loan that is not active or fully paid): two queries."""
    if loan.status != LoanAccount.Status.ACTIVE or loan.next_due_date is None:
        return None
    past = _PAST_DUE.fetch(loan_id=loan.pk, as_of=as_of)[0]
    owed, count = past.past_owed, past.past_count  # type: ignore[attr-defined]  # annotated
    current = next(iter(_UNPAID_FROM.fetch(loan_id=loan.pk, as_of=as_of)), None)
    return NextPayment(
        due_date=current.due_date if current else None,
        principal=current.principal - current.paid_principal if current else ZERO,
        interest=current.interest - current.paid_interest if current else ZERO,
        escrow=current.escrow - current.paid_escrow if current else ZERO,
        past_due=cents(owed or ZERO),
        past_due_count=count or 0,
        fees=loan.fees_due,
        unapplied=loan.suspense_balance,
    )


def upcoming_installments(loan: LoanAccount, limit: int = UPCOMING_INSTALLMENTS) -> list[Installment]:
    """The oldest installments not yet paid in full (past-due ones first)."""
    if limit == UPCOMING_INSTALLMENTS:
        return _UPCOMING.fetch(loan_id=loan.pk)
    return list(Installment.objects.filter(loan=loan, paid_on__isnull=True).order_by("due_date", "number")[:limit])


# The schedule page: the count that finds the next installment's page and the page's rows compiled once per process.
_DUE_BEFORE = CompiledCount(
    lambda loan_id, due_date: Installment.objects.filter(loan_id=loan_id, due_date__lt=due_date),
    loan_id=int,
    due_date=date,
)


def schedule_page(loan: LoanAccount, page_number: str | int | None) -> Page[Installment]:
    """One page of the installment schedule. Without a page asked for, the page holding the next installment."""
    if not page_number and loan.next_due_date is not None:
        before = _DUE_BEFORE.count(loan_id=loan.pk, due_date=loan.next_due_date)
        page_number = before // SCHEDULE_PAGE_SIZE + 1
    paginator = Paginator(INSTALLMENT_PAGES.rows(loan_id=loan.pk), SCHEDULE_PAGE_SIZE)
    paginator.count = loan.term_periods  # the schedule has one installment per period: no COUNT query
    return paginator.get_page(page_number)


# --- payment history ---------------------------------------------------------------------------------------


WATERFALL_COLUMNS = (  # (key, heading): the columns of the history table, in the order money is applied
    ("fees", "Fees"),
    ("interest", "Interest"),
    ("principal", "Principal"),
    ("escrow", "Escrow"),
    ("prepayment", "Extra principal"),
    ("unapplied", "Unapplied funds"),
)
_BUCKET_COLUMN = {
    Bucket.LATE_FEES: "fees",
    Bucket.FEES: "fees",
    Bucket.INTEREST: "interest",
    Bucket.PRINCIPAL: "principal",
    Bucket.ESCROW: "escrow",
    Bucket.PREPAYMENT: "prepayment",
    Bucket.SUSPENSE: "unapplied",
}


@dataclass(frozen=True)
class PaymentRow:
    """One payment and where its money went (its current allocation lines summed per column). ``unapplied`` is
    negative when the payment released unapplied funds held earlier."""

    transaction: LoanTransaction
    amounts: dict[str, Decimal]
    installment_numbers: tuple[int, ...]

    @property
    def reversed(self) -> bool:
        return self.transaction.status == LoanTransaction.Status.REVERSED

    @property
    def reversal(self) -> LoanTransaction | None:
        return getattr(self.transaction, "reversed_by", None)

    @property
    def columns(self) -> list[Decimal]:
        return [self.amounts[key] for key, _ in WATERFALL_COLUMNS]


def _payments(loan_id: int) -> QuerySet[LoanTransaction]:
    return (
        LoanTransaction.objects.filter(loan_id=loan_id, kind=LoanTransaction.Kind.PAYMENT)
        .select_related("reversed_by")
        .order_by("-effective_date", "-id")
    )


def _payment_lines(transaction_ids: list[int]) -> QuerySet[AllocationLine, dict[str, Any]]:
    return (
        AllocationLine.objects.current()
        .filter(transaction__in=transaction_ids)
        .order_by("transaction_id", "id")
        .values("transaction_id", "bucket", "amount", "installment__number")
    )


# Compiled once per number of payments (the loan page's 12, a history page's 24, fewer): issue 15, Load.
_PAYMENT_LINES = CompiledRowsByIds(_payment_lines)


def _payment_rows(transactions: list[LoanTransaction]) -> list[PaymentRow]:
    """The rows for these payments, their current allocation lines read in one query (as tuples: a page of
    history is read on every visit, and model instances for each line would double its cost)."""
    lines = (row.values() for row in _PAYMENT_LINES.fetch([t.pk for t in transactions]))  # in the values() order
    amounts = {t.pk: {key: ZERO for key, _ in WATERFALL_COLUMNS} for t in transactions}
    numbers: dict[int, set[int]] = {t.pk: set() for t in transactions}
    for transaction_id, bucket, amount, installment_number in lines:
        amounts[transaction_id][_BUCKET_COLUMN[bucket]] += amount
        if installment_number is not None:
            numbers[transaction_id].add(installment_number)
    return [
        PaymentRow(transaction=t, amounts=amounts[t.pk], installment_numbers=tuple(sorted(numbers[t.pk])))
        for t in transactions
    ]


def recent_payments(loan: LoanAccount, limit: int = RECENT_PAYMENTS) -> list[PaymentRow]:
    """The latest ``limit`` payments, newest first, with their waterfalls: two queries."""
    if limit == RECENT_PAYMENTS:
        return _payment_rows(_RECENT_PAYMENTS.fetch(loan_id=loan.pk))
    return _payment_rows(list(_payments(loan.pk)[:limit]))


# The history page: its count and pages compiled once per process (lending.core.compiled, issue 15).
_HISTORY_PAGES = CompiledPages(_payments, loan_id=int)


def payment_history_page(
    loan: LoanAccount, page_number: str | int | None
) -> tuple[Page[LoanTransaction], list[PaymentRow]]:
    """One page of every payment, newest first, with the waterfalls of that page only: three queries."""
    page = Paginator(_HISTORY_PAGES.rows(loan_id=loan.pk), HISTORY_PAGE_SIZE).get_page(page_number)
    return page, _payment_rows(list(page.object_list))


# --- ACH: scheduled payments and autopay -------------------------------------------------------------------


def pending_payments(loan: LoanAccount) -> list[PendingPayment]:
    """The loan's first ``PENDING_PAYMENTS`` one-time payments that have not settled yet, soonest first."""
    return _PENDING.fetch(loan_id=loan.pk)


def active_autopay(loan: LoanAccount) -> AutopayEnrollment | None:
    return next(iter(_ACTIVE_AUTOPAY.fetch(loan_id=loan.pk)), None)


def escrow_items(loan: LoanAccount) -> list[EscrowItem]:
    return _ESCROW_ITEMS.fetch(loan_id=loan.pk)


def installment_amount(loan: LoanAccount) -> Decimal:
    """A regular installment as billed now: principal and interest plus the monthly escrow."""
    return loan.regular_payment + loan.escrow_monthly_payment


def payment_ceiling(*, loan: LoanAccount, on: date, principal_only: bool) -> Decimal:
    """The most a borrower may schedule for ``on``: what the loan can absorb without money left over (which
    payment posting would hold in suspense as an overpayment to refund). One query.

    - Standard: the unpaid principal, plus interest (the accrued receivable, or the interest still owed on the
      installments a payment on ``on`` pays, whichever is larger, so accruals are not counted twice), escrow
      still owed on those installments, and fees; less unapplied funds already held.
    - Principal only: the principal not already scheduled in those installments (the allocation's prepayment cap).
    Both less what other pending payments already cover. Never below zero."""
    owed = _CEILING_FIGURES.fetch(loan_id=loan.pk, on=on)[0]
    dues = (owed.dues_principal, owed.dues_interest, owed.dues_escrow)  # type: ignore[attr-defined]  # annotated
    pending = owed.pending_total  # type: ignore[attr-defined]  # annotated
    dues_principal, dues_interest, dues_escrow = (cents(figure or ZERO) for figure in dues)
    if principal_only:
        ceiling = loan.principal_balance - dues_principal
    else:
        interest = max(loan.interest_due, dues_interest)
        ceiling = loan.principal_balance + interest + dues_escrow + loan.fees_due - loan.suspense_balance
    return max(cents(ceiling - (pending or ZERO)), ZERO)
