"""What a periodic statement shows (Reg Z, 12 CFR 1026.41(d)), for a chunk of loans at once.

``statement_figures(business_date=D, loan_ids=...)`` reads a fixed number of queries whatever the chunk's size
(the loans, their installments, the payments' allocation by day and bucket, the transactions, fees, escrow
disbursements and refunds of the period) and computes every item in memory:

- (d)(1) amount due: the due date (the loan's next installment to bill), the amount, the late fee and the first
  day it applies (the day after the grace period);
- (d)(2) explanation: that installment's principal, interest and escrow still owed (``posting.dues_of``), the
  fees due, the fees charged since the last statement, and past due (earlier installments still unpaid);
- (d)(3) past payments since the last statement and this calendar year, by principal, interest, escrow, fees and
  the net held in suspense (the payments' current allocation lines; a reversed payment no longer counts);
- (d)(4) transaction activity since the last statement: payments, reversals, fees and waivers, escrow
  disbursements and refunds;
- (d)(5) partial payment: the suspense balance and what must still be paid for it to be applied;
- (d)(6)/(d)(7) contact and account information: the toll-free number and payment address (settings),
  outstanding principal, the rate, no rate change (every product here is fixed rate), no prepayment penalty, the
  HUD counselor list;
- (d)(8) delinquency, when the loan is more than 45 days delinquent on D: the date it became delinquent (its
  oldest unpaid due date), the last six months' installments (due, paid and how, or what is still owed), the
  total to bring it current.

"Since the last statement" starts the day after the previous statement's date; a loan's first statement covers
the month before its statement date (not before disbursement).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import OuterRef, Q, Subquery, Sum

from lending.finance import delinquency as dq
from lending.finance.daycount import add_months
from lending.finance.late_fees import late_fee_amount
from lending.finance.money import ZERO
from servicing.models import (
    AllocationLine,
    EscrowDisbursement,
    EscrowRefund,
    ForeclosureReferral,
    Installment,
    LoanAccount,
    LoanFee,
    LoanTransaction,
    Statement,
)
from servicing.selectors.plans import PlanDue, plan_amounts_due
from servicing.services.letter_context import property_address
from servicing.services.posting import dues_of

DELINQUENCY_DAYS = 45  # 1026.41(d)(8): "more than 45 days delinquent"
HISTORY_MONTHS = 6  # 1026.41(d)(8)(iii)
BUCKETS = {
    AllocationLine.Bucket.PRINCIPAL: "principal",
    AllocationLine.Bucket.PREPAYMENT: "principal",
    AllocationLine.Bucket.INTEREST: "interest",
    AllocationLine.Bucket.ESCROW: "escrow",
    AllocationLine.Bucket.FEES: "fees",
    AllocationLine.Bucket.LATE_FEES: "fees",
    AllocationLine.Bucket.SUSPENSE: "suspense",
}


@dataclass
class Breakdown:
    """Payments received, by where they went (1026.41(d)(3))."""

    principal: Decimal = ZERO
    interest: Decimal = ZERO
    escrow: Decimal = ZERO
    fees: Decimal = ZERO
    suspense: Decimal = ZERO  # net: held less released

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.escrow + self.fees + self.suspense

    def add(self, part: str, amount: Decimal) -> None:
        setattr(self, part, getattr(self, part) + amount)


@dataclass(frozen=True)
class Activity:
    """One line of transaction activity (1026.41(d)(4)); ``amount`` is negative for money paid out or reversed."""

    day: date
    description: str
    amount: Decimal
    fee: bool = False  # a fee charged or waived (1026.41(d)(2)(ii) totals them)


@dataclass(frozen=True)
class HistoryMonth:
    """One installment of the six-month account history (1026.41(d)(8)(iii))."""

    due_date: date
    amount_due: Decimal
    paid_principal: Decimal
    paid_interest: Decimal
    paid_escrow: Decimal
    paid_on: date | None

    @property
    def paid(self) -> Decimal:
        return self.paid_principal + self.paid_interest + self.paid_escrow

    @property
    def unpaid(self) -> Decimal:
        return self.amount_due - self.paid


@dataclass
class StatementFigures:
    """Every figure one periodic statement prints."""

    loan: LoanAccount
    statement_date: date
    period_start: date
    due_date: date
    principal: Decimal
    interest: Decimal
    escrow: Decimal
    fees: Decimal
    past_due: Decimal
    fees_charged: Decimal
    late_fee: Decimal
    late_fee_date: date
    suspense: Decimal
    suspense_shortfall: Decimal
    days_past_due: int
    delinquent_since: date | None
    since_last: Breakdown = field(default_factory=Breakdown)
    year_to_date: Breakdown = field(default_factory=Breakdown)
    activity: list[Activity] = field(default_factory=list)
    history: list[HistoryMonth] = field(default_factory=list)
    property_address: str = ""
    rate_change_date: date | None = None  # fixed-rate loans only: the rate never changes
    prepayment_penalty: bool = False
    # What an open loss-mitigation plan asks for on the due date, beside the contract's amount due (comment
    # 41(d)-4: a temporary loss mitigation program's amount may be shown with it).
    plan_due: PlanDue | None = None
    # 1026.41(d)(8)(v): the day the loan was referred to a foreclosure attorney (the first notice or filing).
    foreclosure_referred_on: date | None = None

    @property
    def regular_payment(self) -> Decimal:
        return self.principal + self.interest + self.escrow

    @property
    def amount_due(self) -> Decimal:
        return self.regular_payment + self.fees + self.past_due

    @property
    def amount_after_late_fee(self) -> Decimal:
        return self.amount_due + self.late_fee

    @property
    def grace_ends(self) -> date:
        """The last day a payment is on time (the late fee applies from the day after)."""
        return self.late_fee_date - timedelta(days=1)

    @property
    def delinquent(self) -> bool:
        return self.days_past_due > DELINQUENCY_DAYS

    @property
    def bring_current(self) -> Decimal:
        """What is owed today: the installments past due and the fees (the coming installment is not yet due)."""
        return self.past_due + self.fees


def statement_due_date(loan: LoanAccount) -> date:
    """The due date a loan's next statement asks for: its next installment to bill; before its first bill, its
    next due date (a transferred loan's first installment here), else its first payment date."""
    return loan.next_bill_date or loan.next_due_date or loan.first_payment_date


def statement_figures(
    *, business_date: date, loan_ids: list[int], due_dates: dict[int, date] | None = None
) -> list[StatementFigures]:
    """The statements of ``loan_ids`` made at the close of ``business_date`` (module docstring), in pk order.
    ``due_dates`` names another due date for some loans (the demo's current cycle); else ``statement_due_date``.
    Eleven queries, whatever the number of loans (three for the plans: ``plan_amounts_due``; one for the
    foreclosure referrals)."""
    loans = _loans(loan_ids)
    if not loans:
        return []
    due = {loan.pk: (due_dates or {}).get(loan.pk) or statement_due_date(loan) for loan in loans}
    start = {loan.pk: _period_start(loan, business_date) for loan in loans}
    earliest = min([*start.values(), business_date.replace(month=1, day=1)])
    ids = [loan.pk for loan in loans]
    installments = _installments(ids, business_date, due)
    breakdowns = _payments(ids, earliest, business_date)
    activity = _activity(ids, min(start.values()), business_date)  # the period's; the payments' since Jan 1 too
    figures = []
    for loan in loans:
        mine = [line for line in activity.get(loan.pk, []) if line.day >= start[loan.pk]]
        figures.append(
            _figures(
                loan,
                business_date,
                due[loan.pk],
                start[loan.pk],
                installments.get(loan.pk, []),
                breakdowns.get(loan.pk, []),
                mine,
            )
        )
    plan_due = plan_amounts_due(due)
    referred = dict(ForeclosureReferral.objects.filter(loan_id__in=due).values_list("loan_id", "referred_on"))
    for figure in figures:
        figure.plan_due = plan_due.get(figure.loan.pk)
        figure.foreclosure_referred_on = referred.get(figure.loan.pk)
    return figures


def _loans(loan_ids: list[int]) -> list[LoanAccount]:
    last = Statement.objects.filter(loan=OuterRef("pk")).order_by("-statement_date").values("statement_date")[:1]
    return list(
        LoanAccount.objects.filter(pk__in=loan_ids)
        .select_related("application")
        .annotate(
            last_statement_date=Subquery(last),
        )
        .order_by("pk")
    )


def _period_start(loan: LoanAccount, business_date: date) -> date:
    """The day after the last statement; for a first statement, a month back (never before disbursement)."""
    last: date | None = loan.last_statement_date  # type: ignore[attr-defined]
    if last is not None:
        return min(last + timedelta(days=1), business_date)
    return max(add_months(business_date, -1) + timedelta(days=1), loan.disbursement_date)


def _installments(ids: list[int], business_date: date, due: dict[int, date]) -> dict[int, list[Installment]]:
    """Per loan, in due date order: its unpaid installments through its statement's due date, that due date's,
    and those of the six-month history (one query; each loan's own cut is made in ``_figures``)."""
    latest = max(due.values())
    history_from = add_months(business_date, -HISTORY_MONTHS)
    rows = Installment.objects.filter(loan_id__in=ids, due_date__lte=max(latest, business_date)).filter(
        Q(paid_on__isnull=True) | Q(due_date__gt=history_from) | Q(due_date__in=set(due.values()))
    )
    by_loan: dict[int, list[Installment]] = defaultdict(list)
    for installment in rows.order_by("loan_id", "due_date", "number"):
        by_loan[installment.loan_id].append(installment)
    return by_loan


def _payments(ids: list[int], since: date, through: date) -> dict[int, list[tuple[date, str, Decimal]]]:
    """Per loan: (day, part, amount) of the standing payments received from ``since`` through ``through``, summed
    per day and bucket by the database."""
    rows = (
        AllocationLine.objects.current()
        .filter(
            transaction__loan_id__in=ids,
            transaction__kind=LoanTransaction.Kind.PAYMENT,
            transaction__status=LoanTransaction.Status.POSTED,
            transaction__effective_date__gte=since,
            transaction__effective_date__lte=through,
        )
        .values_list("transaction__loan_id", "transaction__effective_date", "bucket")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    by_loan: dict[int, list[tuple[date, str, Decimal]]] = defaultdict(list)
    for loan_id, day, bucket, total in rows:
        by_loan[loan_id].append((day, BUCKETS[bucket], total))
    return by_loan


def _activity(ids: list[int], since: date, through: date) -> dict[int, list[Activity]]:
    """Per loan, in date order: every transaction of the period (four queries)."""
    lines: dict[int, list[Activity]] = defaultdict(list)
    for loan_id, day, kind, method, amount, status in LoanTransaction.objects.filter(
        loan_id__in=ids, effective_date__gte=since, effective_date__lte=through
    ).values_list("loan_id", "effective_date", "kind", "method", "amount", "status"):
        if kind == LoanTransaction.Kind.REVERSAL:
            lines[loan_id].append(Activity(day, "Payment reversed", -amount))
        else:
            label = LoanTransaction.Method(method).label
            note = " (since reversed)" if status == LoanTransaction.Status.REVERSED else ""
            lines[loan_id].append(Activity(day, f"Payment received ({label}){note}", amount))
    fees = LoanFee.objects.filter(loan_id__in=ids).filter(
        Q(assessed_on__gte=since, assessed_on__lte=through) | Q(waived_on__gte=since, waived_on__lte=through)
    )
    for loan_id, kind, amount, assessed_on, waived, waived_on in fees.values_list(
        "loan_id", "kind", "amount", "assessed_on", "waived_amount", "waived_on"
    ):
        label = LoanFee.Kind(kind).label
        if since <= assessed_on <= through:
            lines[loan_id].append(Activity(assessed_on, f"{label} charged", amount, fee=True))
        if waived and waived_on is not None and since <= waived_on <= through:
            lines[loan_id].append(Activity(waived_on, f"{label} waived", -waived, fee=True))
    for loan_id, day, amount, description, payee in EscrowDisbursement.objects.filter(
        loan_id__in=ids, paid_on__gte=since, paid_on__lte=through
    ).values_list("loan_id", "paid_on", "amount", "item__description", "payee"):
        to = f" to {payee}" if payee else ""
        lines[loan_id].append(Activity(day, f"Escrow disbursement: {description}{to}", -amount))
    for loan_id, day, amount in EscrowRefund.objects.filter(
        loan_id__in=ids, paid_on__gte=since, paid_on__lte=through
    ).values_list("loan_id", "paid_on", "amount"):
        lines[loan_id].append(Activity(day, "Escrow surplus refunded to you", -amount))
    for rows in lines.values():
        rows.sort(key=lambda line: line.day)
    return lines


def _figures(
    loan: LoanAccount,
    business_date: date,
    due_date: date,
    period_start: date,
    installments: list[Installment],
    payments: list[tuple[date, str, Decimal]],
    activity: list[Activity],
) -> StatementFigures:
    owing = [i for i in installments if i.due_date < due_date and i.paid_on is None]
    current = next((i for i in installments if i.due_date == due_date), None)
    dues = dues_of(loan, [*owing, *([current] if current is not None else [])])
    past_due = sum((d.principal + d.interest + d.escrow for d in dues[: len(owing)]), ZERO)
    this = dues[-1] if current is not None else None
    since_last, year_to_date = Breakdown(), Breakdown()
    year_start = business_date.replace(month=1, day=1)
    for day, part, amount in payments:
        if day >= year_start:
            year_to_date.add(part, amount)
        if day >= period_start:
            since_last.add(part, amount)
    dpd = dq.days_past_due(loan.next_due_date, business_date)
    oldest = owing[0] if owing else current
    shortfall = max(oldest.outstanding - loan.suspense_balance, ZERO) if oldest is not None else ZERO
    history_from = add_months(business_date, -HISTORY_MONTHS)
    return StatementFigures(
        loan=loan,
        statement_date=business_date,
        period_start=period_start,
        due_date=due_date,
        principal=this.principal if this else ZERO,
        interest=this.interest if this else ZERO,
        escrow=this.escrow if this else ZERO,
        fees=loan.fees_due,
        past_due=past_due,
        fees_charged=sum((line.amount for line in activity if line.fee), ZERO),
        # Nothing left to pay on the installment (paid ahead): no late fee can follow.
        late_fee=_late_fee(loan, current)
        if this is not None and this.principal + this.interest + this.escrow
        else ZERO,
        late_fee_date=due_date + timedelta(days=loan.grace_days + 1),
        suspense=loan.suspense_balance,
        suspense_shortfall=shortfall,
        days_past_due=dpd,
        delinquent_since=loan.next_due_date if dpd > DELINQUENCY_DAYS else None,
        since_last=since_last,
        year_to_date=year_to_date,
        activity=activity,
        history=[
            HistoryMonth(i.due_date, i.payment, i.paid_principal, i.paid_interest, i.paid_escrow, i.paid_on)
            for i in installments
            if history_from < i.due_date <= business_date
        ],
        property_address=property_address(loan),
    )


def _late_fee(loan: LoanAccount, current: Installment | None) -> Decimal:
    """The late charge the coming installment would incur, as the nightly step would charge it."""
    if current is None or (current.principal + current.interest) <= ZERO:
        return ZERO
    return late_fee_amount(
        current.principal + current.interest,
        percent=loan.late_fee_percent,
        flat=loan.late_fee_flat,
        maximum=loan.late_fee_max,
        state=loan.property_state,
    )
