"""Collections reads: the queue of delinquent loans and a loan's collections page.

Each queue row carries what a collector needs to pick the next call, read in one query per page whatever the page
size: the amount to bring the loan current (its installments due by the night that aged it, less what was paid of
them, plus the fees due), its collector, property state, last contact and open promise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce

from lending.core import roles
from lending.core.compiled import CompiledCount, CompiledIds, CompiledQuery, CompiledRowsByIds, fetch_together
from lending.core.models import User
from lending.core.selectors import users_with_role
from lending.finance.money import ZERO
from origination.models import LoanProduct
from servicing.models import ContactAttempt, DelinquencyHistory, Installment, LoanAccount, PromiseToPay
from servicing.selectors.plans import not_on_plan

if TYPE_CHECKING:
    from servicing.selectors.loss_mitigation import Deadline

M = TypeVar("M", bound=Model)
MONEY_OUT = DecimalField(max_digits=14, decimal_places=2)
HISTORY_ROWS = 24
CONTACT_ROWS = 50
PROMISE_ROWS = 20


def _installments_past_due() -> Subquery:
    """Per loan (OuterRef): what is still owed of the installments due by the night that aged it."""
    owed = ExpressionWrapper(
        F("payment") - F("paid_principal") - F("paid_interest") - F("paid_escrow"), output_field=MONEY_OUT
    )
    rows = (
        Installment.objects.filter(
            loan=OuterRef("pk"), due_date__lte=OuterRef("delinquency_as_of"), paid_on__isnull=True
        )
        .order_by()
        .values("loan")
        .annotate(total=Sum(owed))
        .values("total")
    )
    return Subquery(rows, output_field=MONEY_OUT)


def bring_current() -> ExpressionWrapper[CombinedExpression]:
    """SQL: the installments past due still owed plus the fees due (late and other fees)."""
    return ExpressionWrapper(
        Coalesce(_installments_past_due(), Value(ZERO), output_field=MONEY_OUT) + F("fees_due"),
        output_field=MONEY_OUT,
    )


def _pending_promise(field: str) -> Subquery:
    rows = PromiseToPay.objects.filter(loan=OuterRef("pk"), status=PromiseToPay.Status.PENDING).values(field)[:1]
    return Subquery(rows)


def _last_contact() -> Subquery:
    rows = (
        ContactAttempt.objects.filter(loan=OuterRef("pk"))
        .order_by()
        .values("loan")
        .annotate(last=Max("at"))
        .values("last")
    )
    return Subquery(rows)


def with_collections_figures(loans: QuerySet[LoanAccount]) -> QuerySet[LoanAccount]:
    """``loans`` with ``bring_current``, ``last_contact_at``, ``promise_amount`` and ``promise_date`` (the open
    promise) annotated, and the collector joined."""
    return loans.select_related("collector").annotate(
        bring_current=bring_current(),
        last_contact_at=_last_contact(),
        promise_amount=_pending_promise("amount"),
        promise_date=_pending_promise("promised_date"),
    )


@dataclass(frozen=True)
class QueueFilters:
    bucket: str = ""
    product: str = ""
    state: str = ""
    collector: str = ""  # a user pk, "none" (unassigned) or blank (anyone)
    next_action_by: date | None = None  # open promises due by this date (the collector follows up then)
    include_promised: bool = False


MAX_ID = 2**63 - 1  # the largest id a BigAutoField holds

QUEUE_ORDER = ("-days_past_due", "-amount_to_bring_current", "pk")
# What a queue row shows of the loan and its collector, and its Reg X deadlines read (``delinquency_start``: days
# past due, next due date): the loan has some 60 columns and the collector 20.
QUEUE_LOAN_FIELDS = (
    "id",
    "loan_number",
    "borrower_name",
    "cease_contact_at",
    "days_past_due",
    "delinquency_bucket",
    "next_due_date",
    "collector_id",
    "property_state",
)
QUEUE_COLLECTOR_FIELDS = {
    "first_name": "collector__first_name",
    "last_name": "collector__last_name",
    "email": "collector__email",
}


def collections_queue(filters: QueueFilters) -> QuerySet[LoanAccount]:
    """Active loans past due, most days past due first, then the largest amount to bring current (as the nightly
    run aged them: the stored figures, so a page reads its rows off an index, loan_collections_queue_idx). A loan
    with an open promise waits for its date (unless ``include_promised``, or asked for by next action date): when
    the nightly run marks the promise broken, the loan is back. Plain rows: ``queue_rows`` adds a page's figures."""
    loans = LoanAccount.objects.filter(status=LoanAccount.Status.ACTIVE, days_past_due__gt=0)
    if filters.bucket:
        loans = loans.filter(delinquency_bucket=filters.bucket)
    if filters.product:
        loans = loans.filter(product_code=filters.product)
    if filters.state:
        loans = loans.filter(property_state=filters.state)
    if filters.collector == "none":
        loans = loans.filter(collector__isnull=True)
    elif filters.collector:
        loans = loans.filter(collector_id=int(filters.collector))
    pending = PromiseToPay.objects.filter(loan=OuterRef("pk"), status=PromiseToPay.Status.PENDING)
    if filters.next_action_by is not None:
        loans = loans.filter(Exists(pending.filter(promised_date__lte=filters.next_action_by)))
    elif not filters.include_promised:  # loans paying per a plan wait too: the plans step breaks a plan missed
        loans = loans.filter(~Exists(pending), not_on_plan())
    return loans.order_by(*QUEUE_ORDER)


# The filters a queue count carries as values (the others change its SQL's shape): name -> the value's type.
_COUNTED_VALUES = {"bucket": str, "product": str, "state": str, "collector": int, "next_action_by": date}
_QUEUE_COUNTS: dict[tuple[Any, ...], CompiledCount] = {}
_QUEUE_IDS: dict[tuple[Any, ...], CompiledIds] = {}


def _queue_shape(filters: QueueFilters) -> tuple[tuple[Any, ...], dict[str, Any], QueueFilters, dict[str, type]]:
    """The shape of ``filters`` (which are set, not their values), their values, the filters of that shape with no
    values (what ``_queue_counted`` fills in) and the values' types."""
    values: dict[str, Any] = {
        name: int(value) if kind is int else value
        for name, kind in _COUNTED_VALUES.items()
        if (value := getattr(filters, name)) and value != "none"
    }
    unassigned = filters.collector == "none"
    shape = (*values, unassigned, filters.include_promised)
    bare = QueueFilters(collector="none" if unassigned else "", include_promised=filters.include_promised)
    return shape, values, bare, {name: _COUNTED_VALUES[name] for name in values}


def queue_count(filters: QueueFilters) -> int:
    """How many loans ``collections_queue(filters)`` lists, its SQL compiled once per shape of filters (which are
    set, not their values): compiling the queue's four EXISTS took more of a page with no cached count (its "of N")
    than counting the rows."""
    shape, values, bare, kinds = _queue_shape(filters)
    query = _QUEUE_COUNTS.get(shape)
    if query is None:
        query = _QUEUE_COUNTS.setdefault(shape, CompiledCount(partial(_queue_counted, bare), **kinds))
    return query.count(**values)


def queue_ids(filters: QueueFilters, start: int, stop: int) -> list[int]:
    """The ids of the queue's loans ``start`` to ``stop`` in its order (``collections_queue(filters)[start:stop]``),
    compiled once per shape of filters as ``queue_count``: building the page's EXISTS cost more than its index range."""
    shape, values, bare, kinds = _queue_shape(filters)
    query = _QUEUE_IDS.get(shape)
    if query is None:
        query = _QUEUE_IDS.setdefault(shape, CompiledIds(partial(_queue_counted, bare), **kinds))
    return query.slice(start, stop, **values)


class QueueIds:
    """The queue's loan ids as a paginator's object list: each slice one read (``queue_ids``)."""

    def __init__(self, filters: QueueFilters) -> None:
        self.filters = filters

    def __getitem__(self, window: slice) -> list[int]:
        return queue_ids(self.filters, window.start, window.stop)


def _queue_counted(bare: QueueFilters, **values: Any) -> QuerySet[LoanAccount]:
    if "collector" in values:  # the filter's form: the collector's pk as text
        values["collector"] = str(values["collector"])
    return collections_queue(replace(bare, **values))


Decorate = Callable[[QuerySet[LoanAccount]], QuerySet[LoanAccount]]
_QUEUE_ROW_QUERIES: dict[Decorate | None, CompiledRowsByIds] = {}


def queue_rows(ids: list[int], decorate: Decorate | None = None) -> list[QueueRow]:
    """One page of the queue (its loans' ``ids``, ``queue_ids``) with its figures (``with_collections_figures``, and
    what ``decorate`` annotates), in the queue's order: one query for the page's rows, so a deep page costs what the
    first does. The query is compiled once per page size (``CompiledRowsByIds``): building and compiling its dozen
    subqueries was a fifth of the page's time, the database answers in a fraction of that."""
    query = _QUEUE_ROW_QUERIES.get(decorate)
    if query is None:
        query = _QUEUE_ROW_QUERIES.setdefault(decorate, CompiledRowsByIds(partial(_queue_row_values, decorate)))
    collectors: dict[int, User] = {}
    return [_queue_row(values, collectors) for values in query.fetch(ids)]


def _queue_row_values(decorate: Decorate | None, ids: list[int]) -> QuerySet[LoanAccount, dict[str, Any]]:
    rows = with_collections_figures(LoanAccount.objects.filter(pk__in=ids))
    if decorate is not None:
        rows = decorate(rows)
    annotations = list(rows.query.annotations)
    columns = (*QUEUE_LOAN_FIELDS, *QUEUE_COLLECTOR_FIELDS.values(), *annotations)
    values: QuerySet[LoanAccount, dict[str, Any]] = rows.order_by(*QUEUE_ORDER).values(*columns)
    return values


class QueueRow:
    """A queue row: the loan's values it shows (``QUEUE_LOAN_FIELDS``) and its figures as attributes, ``pk`` its id
    and ``collector`` its collector (a ``User``) or None. Not a model instance: building a page's 50 LoanAccounts
    (some 60 fields each, all but nine deferred) cost more than drawing their rows."""

    id: int
    loan_number: str
    borrower_name: str
    cease_contact_at: datetime | None
    days_past_due: int
    delinquency_bucket: str
    next_due_date: date | None
    collector_id: int | None
    property_state: str
    collector: User | None
    # the figures (with_collections_figures), and the deadlines queue_deadlines sets
    bring_current: Decimal
    last_contact_at: datetime | None
    promise_amount: Decimal | None
    promise_date: date | None
    reg_x: list[Deadline]

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    @property
    def pk(self) -> int:
        return self.id


def _queue_row(values: dict[str, Any], collectors: dict[int, User]) -> QueueRow:
    """A row of ``values``, its collector the page's one ``User`` of that id (built as Django builds a row)."""
    collector = {field: values.pop(column) for field, column in QUEUE_COLLECTOR_FIELDS.items()}
    collector_id = values["collector_id"]
    if collector_id is not None and collector_id not in collectors:
        collectors[collector_id] = _from_db(User, {"id": collector_id, **collector})
    values["collector"] = None if collector_id is None else collectors[collector_id]
    return QueueRow(values)


def _from_db(model: type[M], fields: dict[str, object]) -> M:
    names = [f.attname for f in model._meta.concrete_fields if f.attname in fields]
    return model.from_db(model._default_manager.db, names, [fields[name] for name in names])


def queue_products() -> list[tuple[str, str]]:
    """(code, name) of every product by name, for the filter: the product table's handful of rows (as the admin's loan
    filter), never a DISTINCT over the delinquent loans (8-16 ms of a page at 8,000 of them). Loans boarded by
    servicing transfer have no product code; "Any product" finds them."""
    return list(LoanProduct.objects.order_by("name", "code").values_list("code", "name"))


def collectors() -> list[User]:
    """Active collectors, for the filter and the reassign form."""
    return list(users_with_role(roles.COLLECTOR).order_by("first_name", "pk"))


@dataclass
class CollectionsPage:
    loan: LoanAccount
    history: list[DelinquencyHistory]
    contacts: list[ContactAttempt]
    promises: list[PromiseToPay]

    @property
    def open_promise(self) -> PromiseToPay | None:
        return next((p for p in self.promises if p.status == PromiseToPay.Status.PENDING), None)

    @property
    def bring_current(self) -> Decimal:
        figure: Decimal = self.loan.bring_current  # type: ignore[attr-defined]  # annotated
        return figure


# Read on every visit of a loan's collections page: compiled once per process (lending.core.compiled), as building
# the querysets' SQL cost more CPU than the database's answer (issue 15, "Load").
_LOAN = CompiledQuery(
    lambda loan_id: (
        with_collections_figures(LoanAccount.objects.filter(pk=loan_id))
        .select_related("cease_contact_by")
        .order_by("pk")[:1]
    ),
    loan_id=int,
)
_HISTORY = CompiledQuery(
    lambda loan_id: DelinquencyHistory.objects.filter(loan_id=loan_id).order_by("-as_of", "-id")[:HISTORY_ROWS],
    loan_id=int,
)
_CONTACTS = CompiledQuery(
    lambda loan_id: (
        ContactAttempt.objects.filter(loan_id=loan_id).select_related("collector").order_by("-at", "-id")[:CONTACT_ROWS]
    ),
    loan_id=int,
)
# Newest first: the open promise, if any, is the latest (another is refused while one is open).
_PROMISES = CompiledQuery(
    lambda loan_id: (
        PromiseToPay.objects.filter(loan_id=loan_id)
        .select_related("made_by")
        .order_by("-created_at", "-id")[:PROMISE_ROWS]
    ),
    loan_id=int,
)


def collections_page(loan_id: int) -> CollectionsPage | None:
    """A loan's collections page: the loan with its figures, its delinquency history (latest first), contacts and
    promises. Four queries, sent together (one round trip on PostgreSQL). None for an id no loan can have: beyond
    a bigint, SQLite's driver overflows on it (the ORM's lookups return nothing for one; these raw reads do not)."""
    if loan_id > MAX_ID:
        return None
    values = {"loan_id": loan_id}
    loans, history, contacts, promises = fetch_together(
        (_LOAN, values), (_HISTORY, values), (_CONTACTS, values), (_PROMISES, values)
    )
    if not loans:
        return None
    return CollectionsPage(loan=loans[0], history=history, contacts=contacts, promises=promises)
