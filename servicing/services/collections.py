"""Collections writes: assigning delinquent loans to collectors, logging contacts, taking promises to pay, and the
borrower's cease-contact request. Each is atomic and audited; the views check the roles (reassigning is for
managers, and this module checks that too, since it overrides another collector's work)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.selectors import users_with_role
from lending.core.services import audit_event, audit_record, audit_record_many
from lending.core.timezones import state_time_zone
from lending.finance.money import ZERO
from servicing.models import ContactAttempt, LoanAccount, PromiseToPay

# FDCPA 805(a)(1): "before 8 o'clock antemeridian and after 9 o'clock postmeridian" is inconvenient, so both
# bounds themselves are allowed: 8:00:00 and 21:00:00 local time are fine, 7:59:59 and 21:00:01 are not.
CALLS_FROM = time(8, 0)
CALLS_UNTIL = time(21, 0)
PROMISE_MAX_DAYS = 30  # a promise further out is a plan, not a promise


class CollectionsError(ValueError):
    """A collections action was refused; nothing was written. ``field`` names the input at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _today() -> date:
    return timezone.localdate()


def _lock(loan: LoanAccount) -> LoanAccount:
    return LoanAccount.objects.select_for_update().get(pk=loan.pk)


def active_collectors() -> list[User]:
    """Active users holding the collector role, in pk order (the round robin's order)."""
    return list(users_with_role(roles.COLLECTOR).order_by("pk"))


def delinquent_loans() -> Q:
    return Q(status=LoanAccount.Status.ACTIVE, days_past_due__gt=0)


# --- assignment --------------------------------------------------------------------------------------------------


def loans_assign(*, actor: User | None, bucket: str = "", collectors: list[User] | None = None) -> int:
    """Give each unassigned delinquent loan (only those in ``bucket``, if given) to a collector, round robin:
    loans in pk order, each to the collector holding the fewest delinquent loans so far (ties: lowest pk), so a
    run tops up the least loaded first and spreads the rest evenly. ``collectors`` defaults to every active
    collector. Returns how many loans were assigned; a second run finds none unassigned."""
    with transaction.atomic():
        team = collectors if collectors is not None else active_collectors()
        if not team:
            raise CollectionsError("There is no active collector to assign loans to.")
        loans = LoanAccount.objects.filter(delinquent_loans(), collector__isnull=True)
        if bucket:
            loans = loans.filter(delinquency_bucket=bucket)
        chosen_loans = list(loans.select_for_update().order_by("pk").only("pk", "loan_number"))
        load = dict(
            LoanAccount.objects.filter(delinquent_loans(), collector__in=team)
            .values_list("collector")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = {user.pk: load.get(user.pk, 0) for user in team}
        given: dict[int, list[int]] = {user.pk: [] for user in team}
        events = []
        for loan in chosen_loans:
            chosen = min(counts, key=lambda pk: (counts[pk], pk))
            counts[chosen] += 1
            given[chosen].append(loan.pk)
            events.append(
                audit_event(
                    actor=actor,
                    verb="loan.collector_assigned",
                    target=loan,
                    before={"collector": None},
                    after={"collector": chosen},
                )
            )
        for collector_id, loan_ids in given.items():
            if loan_ids:
                LoanAccount.objects.filter(pk__in=loan_ids).update(collector_id=collector_id)
        audit_record_many(events)
        return len(chosen_loans)


def loan_reassign(*, actor: User, loan: LoanAccount, collector: User | None) -> LoanAccount:
    """A manager moves ``loan`` to ``collector`` (None: unassigned)."""
    with transaction.atomic():
        if not roles.has_role(actor, roles.MANAGER):
            raise CollectionsError("Only a manager may reassign a loan.")
        if collector is not None and not (collector.is_active and roles.has_role(collector, roles.COLLECTOR)):
            raise CollectionsError("Choose an active collector.", field="collector")
        locked = _lock(loan)
        before = locked.collector_id
        locked.collector = collector
        locked.save(update_fields=["collector", "updated_at"])
        audit_record(
            actor=actor,
            verb="loan.collector_reassigned",
            target=locked,
            before={"collector": before},
            after={"collector": collector.pk if collector else None},
        )
        return locked


# --- contacts ----------------------------------------------------------------------------------------------------


def calling_hours_check(*, at: datetime, state: str) -> None:
    """Refuse a call outside 8 a.m. to 9 p.m. (both allowed) in the time zone of a property in ``state``."""
    local = timezone.localtime(at, state_time_zone(state))
    clock = local.time().replace(tzinfo=None)
    if clock < CALLS_FROM or clock > CALLS_UNTIL:
        raise CollectionsError(
            f"No calls before 8 a.m. or after 9 p.m. in the borrower's time zone: it is {local:%I:%M %p} "
            f"({local.tzname()}) there.",
            field="at",
        )


def contact_log(
    *,
    actor: User,
    loan: LoanAccount,
    channel: str,
    outcome: str,
    right_party_contact: bool = False,
    note: str = "",
    at: datetime | None = None,
) -> ContactAttempt:
    """Record a call, letter or email to the borrower of ``loan``. Refused while the borrower has asked us to
    cease contact, and a call outside the calling hours in the borrower's time zone (``calling_hours_check``)."""
    with transaction.atomic():
        if channel not in ContactAttempt.Channel.values:
            raise CollectionsError("Choose a call, letter or email.", field="channel")
        if outcome not in ContactAttempt.Outcome.values:
            raise CollectionsError("Choose an outcome.", field="outcome")
        at = at or timezone.now()
        if timezone.is_naive(at):
            raise CollectionsError("The contact time needs a time zone.", field="at")
        if at > timezone.now() + timedelta(minutes=5):
            raise CollectionsError("A contact cannot be logged in the future.", field="at")
        locked = _lock(loan)
        if locked.cease_contact:
            raise CollectionsError(
                f"The borrower asked us to cease contact on {timezone.localdate(locked.cease_contact_at):%b %d, %Y}: "
                "no call, letter or email may be made (a manager may clear the flag if the request is withdrawn)."
            )
        if channel == ContactAttempt.Channel.CALL:
            calling_hours_check(at=at, state=locked.property_state)
        attempt = ContactAttempt.objects.create(
            loan=locked,
            collector=actor,
            channel=channel,
            at=at,
            right_party_contact=right_party_contact,
            outcome=outcome,
            note=note,
        )
        audit_record(
            actor=actor,
            verb="loan.contact_logged",
            target=locked,
            after={
                "contact": attempt.pk,
                "channel": channel,
                "outcome": outcome,
                "at": at.isoformat(),
                "right_party_contact": right_party_contact,
            },
        )
        return attempt


def cease_contact_set(*, actor: User, loan: LoanAccount, note: str = "") -> LoanAccount:
    """The borrower asked us to stop contacting them: every contact is refused from now on."""
    with transaction.atomic():
        locked = _lock(loan)
        if locked.cease_contact:
            return locked  # already set: the first request's date stands
        locked.cease_contact_at, locked.cease_contact_by = timezone.now(), actor
        locked.save(update_fields=["cease_contact_at", "cease_contact_by", "updated_at"])
        audit_record(
            actor=actor, verb="loan.cease_contact_set", target=locked, after={"cease_contact": True}, note=note
        )
        return locked


def cease_contact_clear(*, actor: User, loan: LoanAccount, note: str = "") -> LoanAccount:
    """The borrower withdrew the request (in writing): contacts are allowed again."""
    with transaction.atomic():
        locked = _lock(loan)
        if not locked.cease_contact:
            return locked
        before = {"cease_contact_at": locked.cease_contact_at, "by": locked.cease_contact_by_id}
        locked.cease_contact_at, locked.cease_contact_by = None, None
        locked.save(update_fields=["cease_contact_at", "cease_contact_by", "updated_at"])
        audit_record(
            actor=actor,
            verb="loan.cease_contact_cleared",
            target=locked,
            before=before,
            after={"cease_contact": False},
            note=note,
        )
        return locked


# --- promises ----------------------------------------------------------------------------------------------------


def promise_make(*, actor: User, loan: LoanAccount, amount: Decimal, promised_date: date) -> PromiseToPay:
    """The borrower promises ``amount`` by ``promised_date`` (today through ``PROMISE_MAX_DAYS`` days out); one
    open promise per loan. The nightly ``promises`` step marks it kept or broken."""
    with transaction.atomic():
        today = _today()
        if amount is None or amount <= ZERO:
            raise CollectionsError("The amount must be more than $0.00.", field="amount")
        if amount != amount.quantize(Decimal("0.01")):
            raise CollectionsError("The amount is in dollars and cents.", field="amount")
        if promised_date < today:
            raise CollectionsError("The promised date cannot be in the past.", field="promised_date")
        latest = today + timedelta(days=PROMISE_MAX_DAYS)
        if promised_date > latest:
            raise CollectionsError(
                f"The promised date must be within {PROMISE_MAX_DAYS} days (by {latest:%b %d, %Y}).",
                field="promised_date",
            )
        locked = _lock(loan)
        if locked.status != LoanAccount.Status.ACTIVE:
            raise CollectionsError("The loan is not active.")
        if PromiseToPay.objects.filter(loan=locked, status=PromiseToPay.Status.PENDING).exists():
            raise CollectionsError("The loan already has an open promise: it is resolved on its date first.")
        promise = PromiseToPay.objects.create(
            loan=locked, amount=amount, promised_date=promised_date, made_on=today, made_by=actor
        )
        audit_record(
            actor=actor,
            verb="loan.promise_made",
            target=locked,
            after={"promise": promise.pk, "amount": str(amount), "promised_date": promised_date.isoformat()},
        )
        return promise
