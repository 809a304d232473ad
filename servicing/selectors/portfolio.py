"""Portfolio report reads: the book stratified by product, status, rate band and vintage (one grouped query over the
loans), and the monthly series (collections, prepayment speed, charge-offs, recoveries) from ``PortfolioMonth``.

Balances are the loans' running principal balances (kept current by every posting); a loan belongs to the book as
of a date when it was disbursed on or before it. Weighted averages weigh each loan by its principal balance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Extract, Floor, Greatest, Least

from lending.finance.money import CONTEXT, ROUNDING, ZERO, cents
from lending.finance.prepayment import as_percent, cpr, smm
from servicing.models import LoanAccount, PortfolioMonth, PortfolioStratum

# Rate bands in whole percents: a loan at 5.875 % is in band 5 ("5% to 5.999%"); under 3 % and 10 % and over close
# the ends.
LOWEST_BAND = 3
HIGHEST_BAND = 10
BIG = DecimalField(max_digits=30, decimal_places=6)


def band_label(band: int) -> str:
    if band < LOWEST_BAND:
        return f"Under {LOWEST_BAND}%"
    if band >= HIGHEST_BAND:
        return f"{HIGHEST_BAND}% and over"
    return f"{band}% to {band}.999%"


RATE_BANDS = [(band, band_label(band)) for band in range(LOWEST_BAND - 1, HIGHEST_BAND + 1)]


def _rate_band() -> Greatest:
    """The whole percent of the rate, LOWEST_BAND - 1 to HIGHEST_BAND: FLOOR clamped, one function a loan rather
    than a CASE of eight comparisons (a portfolio's strata group every loan by it)."""
    whole = Cast(Floor("annual_rate"), IntegerField())
    return Greatest(Value(LOWEST_BAND - 1), Least(Value(HIGHEST_BAND), whole), output_field=IntegerField())


class _Part(Extract):
    """EXTRACT as a whole number: on PostgreSQL DATE_PART's double precision cast to an integer, not EXTRACT's
    numeric (since PostgreSQL 14), slower to compute and to group by for every loan of the strata."""

    output_field = IntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.lhs)
        return f"DATE_PART('{self.lookup_name}', {sql})::integer", params


class _Year(_Part):
    lookup_name = "year"


class _Month(_Part):
    lookup_name = "month"


def _remaining_months(as_of: date) -> Greatest:
    """Whole months from the as-of month to the maturity month (0 once matured)."""
    maturity = _Year("maturity_date") * 12 + _Month("maturity_date")
    return Greatest(maturity - Value(as_of.year * 12 + as_of.month), Value(0), output_field=IntegerField())


def portfolio_loans(*, as_of: date) -> QuerySet[LoanAccount]:
    """The book as of ``as_of``, each loan with its rate band, vintage (first payment year) and remaining months."""
    return _stratified(as_of).filter(disbursement_date__lte=as_of).order_by("loan_number")


def _stratified(as_of: date) -> QuerySet[LoanAccount]:
    """Every loan with its stratum's keys, its remaining months as of ``as_of`` and the whole months it is then
    past maturity (negative before)."""
    maturity = _Year("maturity_date") * 12 + _Month("maturity_date")
    return LoanAccount.objects.annotate(
        rate_band=_rate_band(),
        vintage=_Year("first_payment_date"),
        remaining_months=_remaining_months(as_of),
        overdue_months=ExpressionWrapper(Value(as_of.year * 12 + as_of.month) - maturity, output_field=IntegerField()),
    )


@dataclass
class Stratum:
    """A slice of the book: loans, principal balance, and its balance-weighted rate and remaining term."""

    label: str
    loans: int = 0
    balance: Decimal = ZERO
    rate_weight: Decimal = ZERO  # sum of balance x rate
    term_weight: Decimal = ZERO  # sum of balance x remaining months
    book_balance: Decimal = ZERO  # the whole book's, for the share

    def add(self, row: dict[str, Any]) -> None:
        self.loans += row["loans"]
        self.balance += row["balance"]
        self.rate_weight += row["rate_weight"]
        self.term_weight += row["term_weight"]

    @property
    def share(self) -> Decimal | None:
        """Percent of the book's balance, to 0.1."""
        if not self.book_balance:
            return None
        return CONTEXT.divide(self.balance * 100, self.book_balance).quantize(Decimal("0.1"), rounding=ROUNDING)

    @property
    def weighted_rate(self) -> Decimal | None:
        """Weighted average coupon (WAC), percent to 0.001."""
        if not self.balance:
            return None
        return CONTEXT.divide(self.rate_weight, self.balance).quantize(Decimal("0.001"), rounding=ROUNDING)

    @property
    def weighted_term(self) -> Decimal | None:
        """Weighted average remaining term (WART), months to 0.1."""
        if not self.balance:
            return None
        return CONTEXT.divide(self.term_weight, self.balance).quantize(Decimal("0.1"), rounding=ROUNDING)


@dataclass
class Strata:
    total: Stratum
    by_product: list[Stratum] = field(default_factory=list)
    by_status: list[Stratum] = field(default_factory=list)
    by_rate_band: list[Stratum] = field(default_factory=list)
    by_vintage: list[Stratum] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list, repr=False)  # what they were rolled up from


STRATUM_KEYS = ("product_code", "status", "rate_band", "vintage")
SUMS = ("loans", "balance", "rate_weight", "term_weight")


def portfolio_strata(loans: QuerySet[LoanAccount]) -> Strata:
    """The book by product, status, rate band and vintage: one grouped query over ``loans`` (a few hundred groups at
    most), rolled up into each dimension here. Reads every loan: the report reads ``portfolio_strata_as_of``."""
    groups = list(
        loans.order_by()
        .values(*STRATUM_KEYS)
        .annotate(
            loans=Count("id"),
            balance=Coalesce(Sum("principal_balance"), ZERO, output_field=BIG),
            rate_weight=Coalesce(
                Sum(F("principal_balance") * F("annual_rate"), output_field=BIG), ZERO, output_field=BIG
            ),
            term_weight=Coalesce(
                Sum(F("principal_balance") * F("remaining_months"), output_field=BIG), ZERO, output_field=BIG
            ),
        )
    )
    return strata_of_groups(groups)


def portfolio_strata_as_of(*, as_of: date, filters: dict[str, Any]) -> Strata:
    """``portfolio_strata`` of the book as of ``as_of`` narrowed by ``filters`` (stratum keys: product_code,
    status, rate_band, vintage), from the kept strata (``PortfolioStratum``) on PostgreSQL: three small queries.

    The kept sums are every loan's, today. Two corrections make them the as-of book's: the loans disbursed after
    ``as_of`` are counted out (none for today), and the remaining term, maturity month less the as-of month, is
    clamped at zero for the loans past maturity that still owe (a handful): each read from an index."""
    if connection.vendor != "postgresql":  # SQLite (development): no triggers keep the strata; the book is small
        return portfolio_strata(portfolio_loans(as_of=as_of).filter(**filters))
    month = as_of.year * 12 + as_of.month
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    kept = (
        PortfolioStratum.objects.filter(**filters)
        .values(*STRATUM_KEYS)
        .annotate(
            loans=Sum("loans"), balance=Sum("balance"), rate_weight=Sum("rate_weight"), maturity=Sum("maturity_weight")
        )
        .order_by()
    )
    for row in kept:
        _group(groups, row)["loans"] += row["loans"]
        for name, value in (("balance", row["balance"]), ("rate_weight", row["rate_weight"])):
            _group(groups, row)[name] += _decimal(value)
        # Remaining months = maturity month - as-of month: the balance-weighted sum, before the clamp below.
        _group(groups, row)["term_weight"] += _decimal(row["maturity"]) - month * _decimal(row["balance"])
    later = portfolio_strata(_stratified(as_of).filter(disbursement_date__gt=as_of, **filters))
    for row in later.groups:  # not yet disbursed as of the date: counted out
        for name in SUMS:
            _group(groups, row)[name] -= row[name]
    first_of_month = as_of.replace(day=1)
    past_maturity = (
        _stratified(as_of)
        .filter(disbursement_date__lte=as_of, maturity_date__lt=first_of_month, **filters)
        .exclude(principal_balance=0)
        .values(*STRATUM_KEYS)
        .annotate(clamp=Sum(F("principal_balance") * F("overdue_months"), output_field=BIG))
        .order_by()
    )
    for row in past_maturity:  # their remaining term is 0, not negative: add back what the subtraction took
        _group(groups, row)["term_weight"] += _decimal(row["clamp"])
    return strata_of_groups([group for group in groups.values() if group["loans"]])


def portfolio_strata_mismatches() -> list[tuple[Any, ...]]:
    """Each stratum whose kept sums differ from its loans' (``ledger_verify``): (keys, kept sums, the loans' sums).
    Empty when the triggers have kept them exact, and on SQLite (nothing kept). Reads every loan."""
    if connection.vendor != "postgresql":
        return []
    maturity = _Year("maturity_date") * 12 + _Month("maturity_date")
    loans = {
        tuple(row[k] for k in STRATUM_KEYS): (row["n"], row["b"], row["r"], row["m"])
        for row in LoanAccount.objects.annotate(rate_band=_rate_band(), vintage=_Year("first_payment_date"))
        .values(*STRATUM_KEYS)
        .annotate(
            n=Count("id"),
            b=Sum("principal_balance"),
            r=Sum(F("principal_balance") * F("annual_rate"), output_field=BIG),
            m=Sum(F("principal_balance") * maturity, output_field=BIG),
        )
        .order_by()
    }
    kept = {
        tuple(row[k] for k in STRATUM_KEYS): (row["n"], row["b"], row["r"], row["m"])
        for row in PortfolioStratum.objects.values(*STRATUM_KEYS)
        .annotate(n=Sum("loans"), b=Sum("balance"), r=Sum("rate_weight"), m=Sum("maturity_weight"))
        .filter(Q(n__gt=0) | ~Q(b=0) | ~Q(r=0) | ~Q(m=0))
        .order_by()
    }
    zero = (0, ZERO, ZERO, ZERO)
    return [
        (key, kept.get(key, zero), loans.get(key, zero))
        for key in sorted(kept.keys() | loans.keys(), key=str)
        if tuple(map(_decimal, kept.get(key, zero))) != tuple(map(_decimal, loans.get(key, zero)))
    ]


def _group(groups: dict[tuple[Any, ...], dict[str, Any]], row: dict[str, Any]) -> dict[str, Any]:
    key = tuple(row[name] for name in STRATUM_KEYS)
    if key not in groups:
        groups[key] = {**dict(zip(STRATUM_KEYS, key, strict=True)), "loans": 0, **dict.fromkeys(SUMS[1:], ZERO)}
    return groups[key]


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def strata_of_groups(groups: list[dict[str, Any]]) -> Strata:
    """Roll groups (a dict per stratum: its keys and SUMS) up into each dimension."""
    for row in groups:  # SQLite hands sums back as floats or unquantized: the same Decimals on both databases
        for key in ("balance", "rate_weight", "term_weight"):
            row[key] = Decimal(str(row[key]))
    statuses = dict(LoanAccount.Status.choices)
    total = _roll(groups, lambda row: "Total", None)[0]
    book = total.balance
    strata = Strata(
        total=total,
        by_product=_roll(groups, lambda row: row["product_code"] or "(none)", book),
        by_status=_roll(
            groups, lambda row: statuses.get(row["status"], row["status"]), book, order=list(statuses.values())
        ),
        by_rate_band=[s for _, s in sorted(_keyed(groups, "rate_band", book).items())],
        by_vintage=[s for _, s in sorted(_keyed(groups, "vintage", book).items())],
        groups=groups,
    )
    for stratum in strata.by_rate_band:
        stratum.label = band_label(int(stratum.label))
    total.book_balance = book
    return strata


def _roll(
    groups: Iterable[dict[str, Any]],
    label: Callable[[dict[str, Any]], str],
    book: Decimal | None,
    order: list[str] | None = None,
) -> list[Stratum]:
    strata: dict[str, Stratum] = {}
    for row in groups:
        key = label(row)
        strata.setdefault(key, Stratum(label=key, book_balance=book or ZERO)).add(row)
    if not strata and book is None:
        return [Stratum(label="Total")]
    keys = sorted(strata, key=lambda k: order.index(k) if order and k in order else len(order or []))
    return [strata[k] for k in (keys if order else sorted(strata))]


def _keyed(groups: Iterable[dict[str, Any]], key: str, book: Decimal) -> dict[int, Stratum]:
    strata: dict[int, Stratum] = {}
    for row in groups:
        value = int(row[key])
        strata.setdefault(value, Stratum(label=str(value), book_balance=book)).add(row)
    return strata


@dataclass(frozen=True)
class MonthFigures:
    """One month of the book: what was collected, the principal it started with, prepayment speed, losses."""

    month: date
    payments: int
    principal_collected: Decimal
    prepayment: Decimal
    interest_collected: Decimal
    escrow_collected: Decimal
    fees_collected: Decimal
    balance_start: Decimal
    charge_offs: int
    charged_off_principal: Decimal
    charge_off_loss: Decimal
    recoveries: int
    recovered: Decimal

    @property
    def smm(self) -> Decimal | None:
        return smm(unscheduled=self.prepayment, balance_start=self.balance_start, scheduled=self.principal_collected)

    @property
    def smm_percent(self) -> Decimal | None:
        value = self.smm
        return None if value is None else as_percent(value)

    @property
    def cpr_percent(self) -> Decimal | None:
        value = self.smm
        return None if value is None else as_percent(cpr(value))


MONTH_SUMS = (
    "payments",
    "principal_collected",
    "prepayment",
    "interest_collected",
    "escrow_collected",
    "fees_collected",
    "principal_change",
    "charge_offs",
    "charged_off_principal",
    "charge_off_loss",
    "recoveries",
    "recovered",
)


def portfolio_months(*, as_of: date, product: str = "", months: int = 12) -> list[MonthFigures]:
    """The last ``months`` months up to the as-of month, oldest first (one query over the monthly table). The
    principal at a month's start is the sum of every earlier month's net change in loans receivable."""
    rows = PortfolioMonth.objects.filter(month__lte=as_of)
    if product:
        rows = rows.filter(product_code=product)
    by_month = cast(
        list[dict[str, Any]],
        list(rows.values("month").annotate(**{name: Sum(name) for name in MONTH_SUMS}).order_by("month")),
    )
    figures, balance = [], ZERO
    for row in by_month:
        figures.append(
            MonthFigures(
                month=row["month"],
                balance_start=balance,
                **{name: _number(row[name]) for name in MONTH_SUMS if name != "principal_change"},
            )
        )
        balance = cents(balance + _number(row["principal_change"]))
    return figures[-months:]


def _number(value: Any) -> Any:
    if isinstance(value, int):
        return value
    return cents(Decimal(str(value or 0)))


def refreshed_at(product: str = "") -> Any:
    """When the monthly figures were last refreshed (None: never)."""
    rows = PortfolioMonth.objects.all()
    if product:
        rows = rows.filter(product_code=product)
    row = rows.order_by("-refreshed_at").values("refreshed_at").first()
    return row["refreshed_at"] if row else None
