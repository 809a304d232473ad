"""Payment allocation: which bucket of which installment each cent of a payment pays.

Strategies are classes registered in :data:`STRATEGIES` under the code stored on the loan
(Fineract-style: a new order is a new class); :func:`get_strategy` raises ``ValueError`` for an
unknown code. All share ``strategy.allocate(amount, dues, *, suspense=ZERO, directive="standard",
principal_outstanding=None, as_of=None) -> Allocation``.

Money in, money out. ``amount`` is new money (> 0, whole cents); ``suspense`` is the loan's existing
suspense (unapplied funds) balance. Under the ``"standard"`` directive the two are pooled and the
existing suspense counts as the oldest money, applied first. ``suspense_applied`` is the part of the
existing suspense applied, ``to_suspense`` the part of the new money held, and always, to the cent::

    late_fees + fees + interest + principal + escrow + escrow_deposit + prepayment + to_suspense
        == amount + suspense_applied == Allocation.total
    suspense_balance == suspense_in - suspense_applied + to_suspense

``dues`` are :class:`InstallmentDue` amounts still owed, in any order, worked oldest first (by
``due_date``, then ``number``); include the installment now due when the payment is meant for it.
No installment is ever paid more than it owes.

``mortgage_standard`` (Fannie Mae/Freddie Mac Uniform Security Instrument section 2, 2021 revision,
with Reg Z 12 CFR 1026.36(c)(1)):

1. Whole periodic payments (interest + principal + escrow of one installment, 1026.36(c)(1)(i)),
   oldest first; within an installment interest, then principal, then escrow.
2. Money short of the next periodic payment is a partial payment, held in suspense (1026.36(c)(1)(ii),
   comment 1.iii); suspense plus new money reaching a full periodic payment is applied as one.
3. Only when every periodic payment due is paid: late fees (oldest first), then other fees.
4. Money left when all dues are paid is a prepayment (curtailment) to principal, up to the principal
   not already in the dues: ``principal_outstanding`` (the loan's whole unpaid principal, dues'
   principal included) minus the dues' principal. Beyond that, or when ``principal_outstanding`` is
   None (unknown: nothing is prepaid blind), the excess is held in suspense as an overpayment for
   servicing to refund or apply. ``prepay_excess=False`` holds every excess in suspense instead.

``fees_interest_principal``: no partial-payment hold; installments oldest first, each settled in the order
late fees, other fees, interest, principal, escrow before the next one gets a cent; the excess as in step 4.
``interest_principal_fees``: likewise, each installment in the order interest, principal, escrow, late fees,
other fees.

What is due first (every strategy): with ``as_of`` (the payment's effective date), the installments due on or
before it (past due or within grace) are settled first, as above; only the money left when every one of them is
paid goes to installments not yet due (paid ahead, in the same order), and then to the excess. So an exact,
on-time payment always settles the installment due, and no interest of a later period is paid while an earlier
installment is unpaid. Without ``as_of`` every due counts as due.

Directives (the borrower directs new money; the same for every strategy; existing suspense untouched):
``"principal_only"``: a curtailment to ``prepayment`` up to the cap of step 4 (``principal_outstanding``
required), any excess to suspense; dues stay unpaid. ``"escrow_only"``: escrow owed on installments
oldest first, the rest an unscheduled ``escrow_deposit`` (e.g. a shortage paid under Reg X
1024.17(f)(3)).

:func:`apply_suspense` applies an existing suspense balance to the current dues with no new money
(say, after a fee waiver); it never prepays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import ClassVar

from lending.finance.money import ZERO, require_cents, require_non_negative_cents

STANDARD = "standard"
PRINCIPAL_ONLY = "principal_only"
ESCROW_ONLY = "escrow_only"
DIRECTIVES = (STANDARD, PRINCIPAL_ONLY, ESCROW_ONLY)

# Index of each component in an installment's applied row and in InstallmentDue.components.
LATE_FEES, FEES, INTEREST, PRINCIPAL, ESCROW = range(5)
COMPONENTS = ("late_fees", "fees", "interest", "principal", "escrow")

_DUE_ORDER = attrgetter("due_date", "number")


@dataclass(frozen=True, slots=True)
class InstallmentDue:
    """What one installment still owes, by component (whole cents, none negative)."""

    number: int
    due_date: date
    interest: Decimal = ZERO
    principal: Decimal = ZERO
    escrow: Decimal = ZERO
    late_fees: Decimal = ZERO
    fees: Decimal = ZERO
    components: tuple[Decimal, ...] = field(init=False, repr=False, compare=False)
    periodic_payment: Decimal = field(init=False, repr=False, compare=False)
    total: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.number, bool) or not isinstance(self.number, int) or self.number < 0:
            raise ValueError(f"number: installment number must be an int >= 0, got {self.number!r}")
        if not isinstance(self.due_date, date):
            raise ValueError(f"due_date: expected a date, got {self.due_date!r}")
        amounts = []
        for name in COMPONENTS:
            amount = require_non_negative_cents(getattr(self, name), f"{name} (installment {self.number})")
            object.__setattr__(self, name, amount)
            amounts.append(amount)
        object.__setattr__(self, "components", tuple(amounts))
        # Reg Z 1026.36(c)(1)(i): a periodic payment covers principal, interest and escrow.
        object.__setattr__(self, "periodic_payment", amounts[INTEREST] + amounts[PRINCIPAL] + amounts[ESCROW])
        object.__setattr__(self, "total", sum(amounts, ZERO))


@dataclass(frozen=True)
class AllocationLine:
    """What one installment received from one allocation."""

    number: int
    due_date: date
    late_fees: Decimal
    fees: Decimal
    interest: Decimal
    principal: Decimal
    escrow: Decimal

    @property
    def total(self) -> Decimal:
        return self.late_fees + self.fees + self.interest + self.principal + self.escrow


@dataclass(frozen=True)
class Allocation:
    """Where a payment went. See the module docstring for the identity the buckets satisfy."""

    strategy: str
    directive: str
    amount: Decimal  # new money received
    suspense_in: Decimal  # suspense balance before the payment
    late_fees: Decimal
    fees: Decimal
    interest: Decimal
    principal: Decimal  # scheduled principal of installments
    escrow: Decimal  # escrow owed by installments
    escrow_deposit: Decimal  # directed escrow beyond what installments owe
    prepayment: Decimal  # curtailment principal, beyond the schedule
    suspense_applied: Decimal  # part of suspense_in applied to the buckets above
    to_suspense: Decimal  # part of ``amount`` held in suspense
    suspense_balance: Decimal  # suspense after the payment
    lines: tuple[AllocationLine, ...]

    @property
    def total(self) -> Decimal:
        """Money in: new money plus the suspense released; equals the sum of all buckets."""
        return self.amount + self.suspense_applied

    @property
    def applied(self) -> Decimal:
        """Money applied to the loan (every bucket except ``to_suspense``)."""
        return self.amount + self.suspense_applied - self.to_suspense

    @property
    def principal_total(self) -> Decimal:
        return self.principal + self.prepayment

    @property
    def suspense_change(self) -> Decimal:
        return self.to_suspense - self.suspense_applied


Rows = list[list[Decimal] | None]  # parallel to the ordered dues
Head = tuple[str, str, Decimal, Decimal]  # (strategy code, directive, amount, suspense)


def _ordered_dues(dues: Sequence[InstallmentDue]) -> tuple[list[InstallmentDue], Decimal, Decimal]:
    """The dues oldest first, with the total they owe and the principal they owe."""
    if len(dues) == 1 and type(dues[0]) is InstallmentDue:
        due = dues[0]
        return [due], due.total, due.principal
    ordered = list(dues)
    owed = in_dues = ZERO
    for due in ordered:
        if type(due) is not InstallmentDue and not isinstance(due, InstallmentDue):
            raise ValueError(f"dues: expected InstallmentDue items, got {type(due).__name__}")
        owed += due.total
        in_dues += due.principal
    if len(ordered) > 1:
        if len({due.number for due in ordered}) != len(ordered):
            raise ValueError("dues: installment numbers must be unique")
        ordered.sort(key=_DUE_ORDER)
    return ordered, owed, in_dues


def _prepayment_cap(principal_outstanding: Decimal | None, in_dues: Decimal) -> Decimal | None:
    """Principal that may still be prepaid: the unpaid principal not already in the dues."""
    if principal_outstanding is None:
        return None
    outstanding = require_non_negative_cents(principal_outstanding, "principal_outstanding")
    if outstanding < in_dues:
        raise ValueError(f"principal_outstanding: {outstanding} is less than the principal in dues ({in_dues})")
    return outstanding - in_dues


def _pay_component(remaining: Decimal, dues: list[InstallmentDue], rows: Rows, component: int) -> Decimal:
    """Pay one component across the installments, oldest first, as far as ``remaining`` goes."""
    for index, due in enumerate(dues):
        owed = due.components[component]
        if owed:
            row = rows[index]
            if row is None:
                row = rows[index] = [ZERO, ZERO, ZERO, ZERO, ZERO]
            unpaid = owed - row[component]
            pay = unpaid if unpaid <= remaining else remaining
            row[component] += pay
            remaining -= pay
            if not remaining:
                break
    return remaining


class AllocationStrategy:
    """Base class: validation, directives, the excess rule and the result; subclasses order dues."""

    code: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def __init__(self, *, prepay_excess: bool = True) -> None:
        self.prepay_excess = prepay_excess

    def apply_dues(self, pool: Decimal, dues: list[InstallmentDue]) -> tuple[Rows, Decimal, bool]:
        """Spread ``pool`` over the ordered dues; return (rows, money left, every due paid)."""
        raise NotImplementedError

    def allocate(
        self,
        amount: Decimal,
        dues: Sequence[InstallmentDue],
        *,
        suspense: Decimal = ZERO,
        directive: str = STANDARD,
        principal_outstanding: Decimal | None = None,
        as_of: date | None = None,
    ) -> Allocation:
        """Allocate a payment of ``amount`` (> 0) received on ``as_of`` against ``dues``; the module docstring
        has the rules."""
        amount = require_cents(amount, "amount")
        if amount <= 0:
            raise ValueError(f"amount must be greater than zero, got {amount}")
        return self._allocate(amount, dues, suspense, directive, principal_outstanding, self.prepay_excess, as_of)

    def _allocate(
        self,
        amount: Decimal,
        dues: Sequence[InstallmentDue],
        suspense: Decimal,
        directive: str,
        principal_outstanding: Decimal | None,
        prepay_excess: bool,
        as_of: date | None = None,
    ) -> Allocation:
        if suspense is not ZERO:
            suspense = require_non_negative_cents(suspense, "suspense")
        ordered, owed, in_dues = _ordered_dues(dues)
        cap = _prepayment_cap(principal_outstanding, in_dues)
        head = (self.code, directive, amount, suspense)
        if directive == STANDARD:
            pool = amount + suspense
            if pool >= owed:  # every strategy pays every due in full when the money suffices
                rows = [list(due.components) if due.total else None for due in ordered]
                remaining, settled = pool - owed, True
            else:
                rows, remaining, settled = self._apply_due_first(pool, ordered, as_of)
            prepayment = ZERO
            if remaining and settled and prepay_excess and cap:
                prepayment = remaining if remaining <= cap else cap
                remaining -= prepayment
            applied = pool - remaining
            suspense_applied = suspense if suspense <= applied else applied
            return _result(head, ordered, rows, prepayment, ZERO, suspense_applied, remaining)
        if directive == PRINCIPAL_ONLY:
            return _principal_only(head, ordered, cap)
        if directive == ESCROW_ONLY:
            return _escrow_only(head, ordered)
        raise ValueError(f"directive: unknown directive {directive!r}; use one of {', '.join(DIRECTIVES)}")

    def _apply_due_first(
        self, pool: Decimal, ordered: list[InstallmentDue], as_of: date | None
    ) -> tuple[Rows, Decimal, bool]:
        """The strategy over the dues due by ``as_of`` first; what is left, if they are all paid, over the rest."""
        split = len(ordered) if as_of is None else sum(1 for due in ordered if due.due_date <= as_of)
        if split == len(ordered) or split == 0:
            return self.apply_dues(pool, ordered)
        rows, remaining, settled = self.apply_dues(pool, ordered[:split])
        if settled and remaining:
            ahead, remaining, settled = self.apply_dues(remaining, ordered[split:])
            return rows + ahead, remaining, settled
        return rows + [None] * (len(ordered) - split), remaining, settled


def _principal_only(head: Head, dues: list[InstallmentDue], cap: Decimal | None) -> Allocation:
    """Directed curtailment: new money to principal up to ``cap``, the excess to suspense."""
    if cap is None:
        raise ValueError("principal_outstanding: required for the principal_only directive")
    amount, suspense = head[2], head[3]
    prepayment = amount if amount <= cap else cap
    return _result(head, dues, [None] * len(dues), prepayment, ZERO, ZERO, suspense + amount - prepayment)


def _escrow_only(head: Head, dues: list[InstallmentDue]) -> Allocation:
    """Directed escrow: installment escrow oldest first, the rest an escrow deposit."""
    rows: Rows = [None] * len(dues)
    deposit = _pay_component(head[2], dues, rows, ESCROW)
    return _result(head, dues, rows, ZERO, deposit, ZERO, head[3])


def _result(
    head: Head,
    dues: list[InstallmentDue],
    rows: Rows,
    prepayment: Decimal,
    escrow_deposit: Decimal,
    suspense_applied: Decimal,
    suspense_balance: Decimal,
) -> Allocation:
    """Sum the rows into lines and buckets; ``head`` is (code, directive, amount, suspense_in).

    The frozen results are filled through their ``__dict__``: the same objects as the dataclass
    constructors make (no ``__post_init__``; every value here is already valid cents), at a third of
    the cost of the generated ``__init__``, which calls ``object.__setattr__`` once per field.
    """
    late_fees = fees = interest = principal = escrow = ZERO
    lines = []
    new = object.__new__
    for due, row in zip(dues, rows, strict=True):
        if row is None:
            continue
        line = new(AllocationLine)
        d = line.__dict__
        d["number"] = due.number
        d["due_date"] = due.due_date
        d["late_fees"], d["fees"], d["interest"], d["principal"], d["escrow"] = row
        lines.append(line)
        late_fees += row[LATE_FEES]
        fees += row[FEES]
        interest += row[INTEREST]
        principal += row[PRINCIPAL]
        escrow += row[ESCROW]
    result = new(Allocation)
    d = result.__dict__
    d["strategy"], d["directive"], d["amount"], d["suspense_in"] = head
    d["late_fees"] = late_fees
    d["fees"] = fees
    d["interest"] = interest
    d["principal"] = principal
    d["escrow"] = escrow
    d["escrow_deposit"] = escrow_deposit
    d["prepayment"] = prepayment
    d["suspense_applied"] = suspense_applied
    d["to_suspense"] = suspense_balance - head[3] + suspense_applied
    d["suspense_balance"] = suspense_balance
    d["lines"] = tuple(lines)
    return result


class MortgageStandard(AllocationStrategy):
    """Uniform Security Instrument section 2 (2021) with Reg Z 1026.36(c)(1)(ii) partial payments."""

    code = "mortgage_standard"
    description = "Whole periodic payments oldest first (interest, principal, escrow); partials held."

    def apply_dues(self, pool: Decimal, dues: list[InstallmentDue]) -> tuple[Rows, Decimal, bool]:
        rows: Rows = [None] * len(dues)
        remaining = pool
        for index, due in enumerate(dues):
            periodic = due.periodic_payment
            if periodic > remaining:
                # Partial payment: held in suspense until it reaches a full periodic payment.
                return rows, remaining, False
            if periodic:
                rows[index] = [ZERO, ZERO, due.interest, due.principal, due.escrow]
                remaining -= periodic
        # Every periodic payment is paid: late charges first, then other amounts due (USI section 2).
        if remaining:
            remaining = _pay_component(remaining, dues, rows, LATE_FEES)
        if remaining:
            remaining = _pay_component(remaining, dues, rows, FEES)
        return rows, remaining, True


class ComponentOrderStrategy(AllocationStrategy):
    """Settles installments oldest first, each one component at a time in ``ORDER``: no installment gets money
    while an older one still owes anything."""

    ORDER: ClassVar[tuple[int, ...]] = ()

    def apply_dues(self, pool: Decimal, dues: list[InstallmentDue]) -> tuple[Rows, Decimal, bool]:
        rows: Rows = [None] * len(dues)
        remaining = pool
        if not remaining:
            return rows, remaining, True
        order = self.ORDER
        for index, due in enumerate(dues):
            if not due.total:
                continue
            components = due.components
            if due.total <= remaining:  # the whole installment (hot: the usual case)
                rows[index] = list(components)
                remaining -= due.total
                if not remaining:
                    return rows, remaining, True
                continue
            row = rows[index] = [ZERO, ZERO, ZERO, ZERO, ZERO]
            for component in order:
                owed = components[component]
                if owed:
                    pay = owed if owed <= remaining else remaining
                    row[component] = pay
                    remaining -= pay
                    if not remaining:
                        return rows, remaining, True
        return rows, remaining, True


class FeesInterestPrincipal(ComponentOrderStrategy):
    code = "fees_interest_principal"
    description = "Installments oldest first, each: late fees, fees, interest, principal, escrow."
    ORDER = (LATE_FEES, FEES, INTEREST, PRINCIPAL, ESCROW)


class InterestPrincipalFees(ComponentOrderStrategy):
    code = "interest_principal_fees"
    description = "Installments oldest first, each: interest, principal, escrow, late fees, fees."
    ORDER = (INTEREST, PRINCIPAL, ESCROW, LATE_FEES, FEES)


STRATEGIES: dict[str, AllocationStrategy] = {}


def register(strategy: AllocationStrategy) -> AllocationStrategy:
    """Add ``strategy`` to :data:`STRATEGIES` under its code (codes are unique)."""
    if not strategy.code or strategy.code in STRATEGIES:
        raise ValueError(f"code: {strategy.code!r} is empty or already registered")
    STRATEGIES[strategy.code] = strategy
    return strategy


for _strategy in (MortgageStandard(), FeesInterestPrincipal(), InterestPrincipalFees()):
    register(_strategy)


def get_strategy(code: str) -> AllocationStrategy:
    """The strategy stored on a loan under ``code``; ``ValueError`` for an unknown code."""
    try:
        return STRATEGIES[code]
    except (KeyError, TypeError):
        raise ValueError(
            f"strategy: unknown allocation strategy {code!r}; use one of {', '.join(sorted(STRATEGIES))}"
        ) from None


def apply_suspense(code: str, dues: Sequence[InstallmentDue], suspense: Decimal) -> Allocation:
    """Apply an existing suspense balance to ``dues`` with no new money (never prepays).

    Under ``mortgage_standard`` suspense is applied only in whole periodic payments, Reg Z
    1026.36(c)(1)(ii); whatever cannot be applied stays in suspense.
    """
    strategy = get_strategy(code)
    return strategy._allocate(ZERO, dues, suspense, STANDARD, None, False)
