"""After closing: funded borrowers become past clients; their officer is reminded on each anniversary, alerted when
the market rate makes a refinance worth a call, and asked to follow up when the loan is paid off.

Each follow-up is written once (unique past client, kind, key) and goes on the contact's timeline; the officer is
emailed when it is new. A past client is also a referral partner (kind past_client), so the leads they send us are
credited to them on the partner pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from crm.models import Activity, Contact, FollowUp, Lead, MarketRate, PastClient, ReferralPartner
from crm.services.contacts import ContactData, contact_upsert
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.amortization import level_payment, periods_per_year
from lending.finance.money import cents
from origination.models import Application
from servicing.models import LoanAccount

BASIS_POINT = Decimal("0.01")  # in percent


# --- becoming a past client -----------------------------------------------------------------------------


def _contact_for(application: Application, lead: Lead | None) -> Contact | None:
    if lead is not None:
        return lead.contact
    borrower = next((b for b in application.borrowers.all() if b.is_primary), None)
    if borrower is None or not (borrower.email or borrower.phone):
        return None
    data = ContactData(
        first_name=borrower.first_name, last_name=borrower.last_name, email=borrower.email, phone=borrower.phone
    )
    try:
        return contact_upsert(data=data).contact
    except ValidationError:  # a phone we cannot dial: keep the email only, if there is one
        pass
    try:
        return contact_upsert(data=ContactData(borrower.first_name, borrower.last_name, borrower.email)).contact
    except ValidationError:
        return None


def past_client_partner(contact: Contact) -> ReferralPartner:
    """The referral partner that stands for this past client (made once): their referrals are credited to it."""
    partner = ReferralPartner.objects.filter(contact=contact).first()
    if partner is None:
        partner = ReferralPartner.objects.create(
            kind=ReferralPartner.Kind.PAST_CLIENT, name=contact.full_name, email=contact.email, contact=contact
        )
    return partner


@transaction.atomic
def past_client_from_funding(*, application_id: int) -> PastClient | None:
    """The funded application's borrower as a past client (once per application; a repeated signal is a no-op).
    None: not funded, or the borrower gave neither email nor phone."""
    existing = PastClient.objects.filter(application_id=application_id).first()
    if existing is not None:
        if existing.loan_id is None:  # made before servicing boarded the loan: link it now
            existing.loan = LoanAccount.objects.filter(application_id=application_id).first()
            existing.save(update_fields=["loan"])
        return existing
    application = (
        Application.objects.select_related("product", "loan_officer")
        .prefetch_related("borrowers")
        .filter(pk=application_id, funded_at__isnull=False)
        .first()
    )
    if application is None:
        return None
    lead = Lead.objects.select_related("contact").filter(application_id=application_id).first()
    contact = _contact_for(application, lead)
    if contact is None:
        return None
    funded_at = application.funded_at or timezone.now()
    past_client = PastClient.objects.create(
        contact=contact,
        application=application,
        loan=LoanAccount.objects.filter(application_id=application_id).first(),
        officer=application.loan_officer or (lead.officer if lead else None),
        product_kind=application.product.kind,
        funded_on=timezone.localdate(funded_at),
    )
    past_client_partner(contact)
    _timeline(past_client, subject=f"Loan funded: {application.number}; now a past client", key="funded")
    audit_record(actor=None, verb="crm.past_client_created", target=past_client, after={"application": application.pk})
    return past_client


def _timeline(past_client: PastClient, *, subject: str, key: str, body: str = "") -> None:
    try:
        with transaction.atomic():
            Activity.objects.create(
                contact_id=past_client.contact_id,
                kind=Activity.Kind.NOTE,
                subject=subject[:200],
                body=body,
                dedupe_key=f"past-client:{past_client.pk}:{key}"[:120],
            )
    except IntegrityError:
        pass


# --- follow-ups -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpInput:
    kind: str
    key: str
    due_date: date
    title: str
    details: str = ""
    market_rate: MarketRate | None = None
    monthly_saving: Decimal | None = None


def _follow_up_add(past_client: PastClient, data: FollowUpInput) -> FollowUp | None:
    """Write the follow-up unless it exists (None then), put it on the timeline and email the officer."""
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                past_client=past_client,
                officer_id=past_client.officer_id,
                kind=data.kind,
                key=data.key,
                due_date=data.due_date,
                title=data.title[:200],
                details=data.details,
                market_rate=data.market_rate,
                monthly_saving=data.monthly_saving,
            )
    except IntegrityError:
        return None
    _timeline(past_client, subject=data.title, body=data.details, key=f"{data.kind}:{data.key}")
    officer = past_client.officer
    if officer is not None and officer.is_active and officer.email:
        link = f"{settings.LENDING_SITE_URL.rstrip('/')}/staff/crm/past-clients/"
        body = f"{data.title}\n\n{data.details}\n\nYour follow-ups: {link}\n"
        subject = " ".join(data.title.split())
        transaction.on_commit(lambda: send_mail(subject, body, None, [officer.email]))
    return follow_up


@transaction.atomic
def past_client_paid_off(*, loan_id: int, today: date) -> FollowUp | None:
    """The paid-off loan's past client gets a follow-up: congratulate, ask about their next move and referrals."""
    past_client = PastClient.objects.select_related("contact", "officer").filter(loan_id=loan_id).first()
    if past_client is None:
        application_id = LoanAccount.objects.filter(pk=loan_id).values_list("application_id", flat=True).first()
        if application_id is None:
            return None
        made = past_client_from_funding(application_id=application_id)
        if made is None:
            return None
        PastClient.objects.filter(pk=made.pk, loan__isnull=True).update(loan_id=loan_id)
        past_client = PastClient.objects.select_related("contact", "officer").get(pk=made.pk)
    if past_client.paid_off_on is None:
        past_client.paid_off_on = today
        past_client.save(update_fields=["paid_off_on"])
    return _follow_up_add(
        past_client,
        FollowUpInput(
            kind=FollowUp.Kind.PAID_OFF,
            key="once",
            due_date=today,
            title=f"{past_client.contact.full_name} paid off their loan",
            details="Congratulate them, ask about their next purchase or project, and ask for referrals.",
        ),
    )


def _anniversary_dates(today: date) -> Q:
    """Loans funded on today's month and day in an earlier year; on 28 February of a common year, 29 February's too."""
    same_day = Q(funded_on__month=today.month, funded_on__day=today.day)
    is_leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    if (today.month, today.day) == (2, 28) and not is_leap:
        same_day |= Q(funded_on__month=2, funded_on__day=29)
    return same_day & Q(funded_on__year__lt=today.year)


@transaction.atomic
def anniversary_check_ins(*, today: date) -> int:
    """A yearly check-in for each past client whose loan funded on this day in an earlier year (once a year)."""
    made = 0
    due = PastClient.objects.filter(_anniversary_dates(today)).select_related("contact", "officer").order_by("pk")
    for past_client in due:
        years = today.year - past_client.funded_on.year
        data = FollowUpInput(
            kind=FollowUp.Kind.ANNIVERSARY,
            key=str(today.year),
            due_date=today,
            title=f"{years}-year loan anniversary: check in with {past_client.contact.full_name}",
            details="Ask how the home and the loan are going, whether their plans have changed, and for referrals.",
        )
        made += _follow_up_add(past_client, data) is not None
    return made


# --- refinance alerts -----------------------------------------------------------------------------------


def refinance_payment_saving(
    *, balance: Decimal, loan_rate: Decimal, market_rate: Decimal, remaining_periods: int, per_year: int = 12
) -> Decimal:
    """The estimated saving per payment of refinancing the remaining balance over the remaining term: the level
    payment at the loan's rate minus the level payment at the market rate (lending.finance, exact cents)."""
    current = level_payment(balance, loan_rate, remaining_periods, per_year)
    refinanced = level_payment(balance, market_rate, remaining_periods, per_year)
    return cents(current - refinanced)


def refinance_threshold() -> Decimal:
    return Decimal(settings.CRM_REFINANCE_THRESHOLD_BP) * BASIS_POINT


def refinance_candidates(*, today: date) -> QuerySet[PastClient]:
    """Active loans of past clients with the market rate in force today for their product kind and term, and
    the scheduled installments still to come (one query)."""
    market = MarketRate.objects.filter(
        product_kind=OuterRef("product_kind"), term_periods=OuterRef("loan__term_periods"), effective_date__lte=today
    ).order_by("-effective_date")
    return (
        PastClient.objects.filter(loan__status=LoanAccount.Status.ACTIVE, loan__principal_balance__gt=0)
        .annotate(
            market_rate_id=Subquery(market.values("pk")[:1]), market_rate=Subquery(market.values("annual_rate")[:1])
        )
        .filter(market_rate__isnull=False, market_rate__lt=F("loan__annual_rate"))
        .annotate(remaining=Count("loan__installments", filter=Q(loan__installments__due_date__gt=today)))
        .select_related("contact", "officer", "loan")
        .order_by("pk")
    )


@transaction.atomic
def refinance_alerts(*, today: date) -> int:
    """Alert the officer once per market rate when it sits the set number of basis points (or more) below a past
    client's loan rate, with the estimated saving per payment."""
    threshold = refinance_threshold()
    made = 0
    for past_client in refinance_candidates(today=today):
        loan = past_client.loan
        market_rate = Decimal(past_client.market_rate)  # type: ignore[attr-defined]  # annotated
        remaining = past_client.remaining  # type: ignore[attr-defined]  # annotated
        if loan is None or remaining < 1 or loan.annual_rate - market_rate < threshold:
            continue
        saving = refinance_payment_saving(
            balance=loan.principal_balance,
            loan_rate=loan.annual_rate,
            market_rate=market_rate,
            remaining_periods=remaining,
            per_year=periods_per_year(loan.payment_frequency),
        )
        per = "month" if loan.payment_frequency == "monthly" else "payment"
        data = FollowUpInput(
            kind=FollowUp.Kind.REFINANCE,
            key=str(past_client.market_rate_id),  # type: ignore[attr-defined]  # annotated
            due_date=today,
            title=f"Refinance alert: {past_client.contact.full_name} could save ${saving:,} a {per}",
            details=(
                f"Loan {loan.loan_number} at {loan.annual_rate.normalize():f}%; the market rate is "
                f"{market_rate.normalize():f}%. Refinancing the balance of ${loan.principal_balance:,} over the "
                f"remaining {remaining} payments would lower the payment by about ${saving:,}."
            ),
            market_rate=MarketRate(pk=past_client.market_rate_id),  # type: ignore[attr-defined]  # annotated
            monthly_saving=saving,
        )
        made += _follow_up_add(past_client, data) is not None
    return made


@transaction.atomic
def follow_up_done(*, actor: User, follow_up: FollowUp) -> FollowUp:
    if follow_up.done_at is None:
        follow_up.done_at = timezone.now()
        follow_up.save(update_fields=["done_at"])
        audit_record(actor=actor, verb="crm.follow_up_done", target=follow_up, after={"kind": follow_up.kind})
    return follow_up
