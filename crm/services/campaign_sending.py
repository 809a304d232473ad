"""Sending campaigns: which steps are due (set-based), sending them in chunks, unsubscribes and bounces.

A step is due for an enrollment ``delay_days`` after the previous step was sent to it (the first step: after
enrollment). The dispatch claims every due (enrollment, step) as a queued ``CampaignSend`` row in one batched
insert; the unique (enrollment, step) key makes claiming twice a no-op, so a step is never sent twice to the same
enrollment. Chunk tasks then send the queued rows, locked and re-checked: an unsubscribed or stopped contact is
skipped, never emailed. Every email carries a signed unsubscribe link and the sender's postal address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse

from crm.models import Activity, CampaignSend, CampaignStep, Contact, Enrollment, Lead
from crm.services import campaign_templates
from crm.services.contacts import email_normalize
from crm.services.leads import OPEN_STAGES
from lending.core.models import User
from lending.core.services import audit_record

CLAIM_BATCH = 2000
CHUNK_SIZE = 500  # sends per Celery task
STRANDED_AFTER = timedelta(minutes=30)  # a queued row this old lost its task: the next dispatch sends it again
UNSUBSCRIBE_SALT = "crm.campaign-unsubscribe"


# --- scheduling -----------------------------------------------------------------------------------------


def step_due_at(*, step: CampaignStep, after: datetime) -> datetime:
    """When ``step`` is due, given when the enrollment began (first step) or the previous step was sent."""
    return after + timedelta(days=step.delay_days)


def _due_enrollments(step: CampaignStep, previous: CampaignStep | None, now: datetime) -> list[tuple[int, str]]:
    """Enrollments in the step's campaign still going, reachable, past the delay, and not yet sent this step."""
    cutoff = now - timedelta(days=step.delay_days)
    enrollments = Enrollment.objects.filter(
        campaign_id=step.campaign_id, stopped_at__isnull=True, contact__unsubscribed_at__isnull=True
    ).exclude(contact__email_normalized="")
    if previous is None:
        enrollments = enrollments.filter(enrolled_at__lte=cutoff)
    else:
        enrollments = enrollments.filter(
            Exists(
                CampaignSend.objects.filter(
                    enrollment=OuterRef("pk"), step=previous, status=CampaignSend.Status.SENT, sent_at__lte=cutoff
                )
            )
        )
    enrollments = enrollments.exclude(Exists(CampaignSend.objects.filter(enrollment=OuterRef("pk"), step=step)))
    return list(enrollments.order_by("pk").values_list("pk", "contact__email"))


@transaction.atomic
def campaign_sends_claim(*, now: datetime) -> list[int]:
    """Claim every due step of every running campaign (one query and a batched insert per step) and return the
    ids of the queued sends to deliver: those just claimed and any stranded by a lost task."""
    steps = list(CampaignStep.objects.filter(campaign__is_active=True).order_by("campaign_id", "position"))
    previous: CampaignStep | None = None
    for step in steps:
        before = previous if previous is not None and previous.campaign_id == step.campaign_id else None
        due = _due_enrollments(step, before, now)
        for start in range(0, len(due), CLAIM_BATCH):
            CampaignSend.objects.bulk_create(
                [
                    CampaignSend(
                        enrollment_id=pk, step=step, campaign_id=step.campaign_id, to_email=email, queued_at=now
                    )
                    for pk, email in due[start : start + CLAIM_BATCH]
                ],
                ignore_conflicts=True,
            )
        previous = step
    # A paused campaign's queued rows wait (neither sent nor skipped) until it runs again.
    queued = CampaignSend.objects.filter(status=CampaignSend.Status.QUEUED, campaign__is_active=True)
    fresh_or_stranded = queued.filter(queued_at=now) | queued.filter(queued_at__lte=now - STRANDED_AFTER)
    return list(fresh_or_stranded.order_by("pk").values_list("pk", flat=True))


def chunks(ids: list[int], size: int | None = None) -> list[list[int]]:
    size = size or CHUNK_SIZE
    return [ids[start : start + size] for start in range(0, len(ids), size)]


# --- sending --------------------------------------------------------------------------------------------


def unsubscribe_token(contact_id: int) -> str:
    """A signed token naming one contact; salted, so no other signed value of the site can stand in for it."""
    return signing.dumps(contact_id, salt=UNSUBSCRIBE_SALT)


def unsubscribe_contact_id(token: str) -> int | None:
    """The contact a token this site signed names, else None (forged, tampered, or another kind of token)."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def unsubscribe_url(contact_id: int, *, prefix: str | None = None) -> str:
    """The link for one contact; ``prefix`` (from ``unsubscribe_url_prefix``) saves resolving the URL per email."""
    return f"{prefix or unsubscribe_url_prefix()}{unsubscribe_token(contact_id)}/"


def unsubscribe_url_prefix() -> str:
    path = reverse("crm_unsubscribe", args=["T"])
    return f"{settings.LENDING_SITE_URL.rstrip('/')}{path.removesuffix('T/')}"


def _officer_name(contact: Contact) -> str:
    leads = getattr(contact, "open_leads", None)
    officer = leads[0].officer if leads else None
    return officer.get_full_name() if officer is not None else ""


class _Compiled:
    """Each step's templates compiled once per chunk, not once per email."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[object, object]] = {}
        self.url_prefix = unsubscribe_url_prefix()

    def get(self, step: CampaignStep):  # type: ignore[no-untyped-def]
        if step.pk not in self._cache:
            self._cache[step.pk] = (
                campaign_templates.template_compile(step.subject, field="subject"),
                campaign_templates.template_compile(step.body, field="body"),
            )
        return self._cache[step.pk]


def _message(send: CampaignSend, compiled: _Compiled, connection) -> EmailMessage:  # type: ignore[no-untyped-def]
    contact = send.enrollment.contact
    subject_template, body_template = compiled.get(send.step)
    recipient = campaign_templates.Recipient(contact.first_name, contact.last_name, _officer_name(contact))
    url = unsubscribe_url(contact.pk, prefix=compiled.url_prefix)
    subject = campaign_templates.subject_line(campaign_templates.render(subject_template, recipient))
    body = campaign_templates.render(body_template, recipient) + campaign_templates.footer(url)
    # RFC 8058 one-click unsubscribe: mail clients show their own button and POST to the link.
    headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return EmailMessage(subject, body, None, [contact.email], headers=headers, connection=connection)


def _skip_reason(send: CampaignSend) -> str:
    contact = send.enrollment.contact
    if contact.unsubscribed_at is not None:
        return "unsubscribed"
    if send.enrollment.stopped_at is not None:
        return send.enrollment.stop_reason or "stopped"
    if not contact.email:
        return "no email"
    return ""


@transaction.atomic
def campaign_sends_deliver(*, send_ids: list[int], now: datetime) -> int:
    """Send the queued rows among ``send_ids`` through one email connection and record them (sent or skipped),
    each on the contact's timeline. Rows another worker holds are skipped (SKIP LOCKED); rows no longer queued
    were sent already. Returns how many emails went out."""
    sends = list(
        CampaignSend.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=send_ids, status=CampaignSend.Status.QUEUED, campaign__is_active=True)
        .select_related("enrollment__contact", "enrollment__campaign", "step")
        .prefetch_related(
            Prefetch(
                "enrollment__contact__leads",
                queryset=Lead.objects.filter(stage__in=OPEN_STAGES, officer__isnull=False)
                .select_related("officer")
                .order_by("-created_at"),
                to_attr="open_leads",
            )
        )
        .order_by("pk")
    )
    if not sends:
        return 0
    compiled = _Compiled()
    connection = get_connection()
    messages: list[EmailMessage] = []
    sent: list[CampaignSend] = []
    skipped: dict[str, list[int]] = {}
    for send in sends:
        reason = _skip_reason(send)
        if reason:
            skipped.setdefault(reason, []).append(send.pk)
        else:
            messages.append(_message(send, compiled, connection))
            sent.append(send)
    # Sent last, inside the transaction: a failure rolls the rows back to queued and the task retries them. (An
    # SMTP server failing half way through a chunk means its first emails go twice on the retry: at most once a chunk.)
    if messages:
        connection.send_messages(messages)
    _record(sent, messages, skipped, now)
    return len(sent)


def _record(
    sent: list[CampaignSend], messages: list[EmailMessage], skipped: dict[str, list[int]], now: datetime
) -> None:
    """Set-based: one UPDATE for the sent rows and one per skip reason, one INSERT for the timeline entries."""
    CampaignSend.objects.filter(pk__in=[s.pk for s in sent]).update(status=CampaignSend.Status.SENT, sent_at=now)
    for send in sent:  # the address changed since the claim (rare): record where it went
        if send.to_email != send.enrollment.contact.email:
            CampaignSend.objects.filter(pk=send.pk).update(to_email=send.enrollment.contact.email)
    for reason, pks in skipped.items():
        CampaignSend.objects.filter(pk__in=pks).update(status=CampaignSend.Status.SKIPPED, skip_reason=reason)
    Activity.objects.bulk_create(
        [
            Activity(
                contact_id=send.enrollment.contact_id,
                kind=Activity.Kind.EMAIL,
                subject=f"Campaign email: {message.subject}"[:200],
                body=f"{send.enrollment.campaign.name}, step {send.step.position}, to {message.to[0]}.",
                occurred_at=now,
                dedupe_key=f"campaign-send:{send.pk}",
            )
            for send, message in zip(sent, messages, strict=True)
        ],
        ignore_conflicts=True,
    )


# --- opting out and bounces -----------------------------------------------------------------------------


def _stop_enrollments(contact_id: int, *, reason: str, now: datetime) -> int:
    Enrollment.objects.filter(contact_id=contact_id, stopped_at__isnull=True).update(stopped_at=now, stop_reason=reason)
    return CampaignSend.objects.filter(enrollment__contact_id=contact_id, status=CampaignSend.Status.QUEUED).update(
        status=CampaignSend.Status.SKIPPED, skip_reason=reason
    )


def _timeline(contact_id: int, *, subject: str, body: str, key: str, now: datetime) -> None:
    try:
        with transaction.atomic():
            Activity.objects.create(
                contact_id=contact_id,
                kind=Activity.Kind.NOTE,
                subject=subject,
                body=body,
                occurred_at=now,
                dedupe_key=key,
            )
    except IntegrityError:  # recorded already
        pass


@transaction.atomic
def contact_unsubscribe(*, token: str, now: datetime) -> Contact | None:
    """Opt the contact the signed token names out of every campaign, for good. None: the token is not ours.
    Repeating it changes nothing (the first date stands)."""
    contact_id = unsubscribe_contact_id(token)
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first() if contact_id else None
    if contact is None or contact.unsubscribed_at is not None:
        return contact
    contact.unsubscribed_at = now
    contact.save(update_fields=["unsubscribed_at", "updated_at"])
    _stop_enrollments(contact.pk, reason="unsubscribed", now=now)
    _timeline(
        contact.pk,
        subject="Unsubscribed from campaign emails",
        body="Through the link in a campaign email.",
        key=f"unsubscribe:{contact.pk}",
        now=now,
    )
    audit_record(actor=None, verb="crm.contact_unsubscribed", target=contact, after={"unsubscribed_at": str(now)})
    return contact


@transaction.atomic
def campaign_bounce_record(*, actor: User | None, email: str, reason: str, now: datetime) -> CampaignSend | None:
    """Record that the latest campaign email to ``email`` bounced, and stop that contact's campaigns (a hard
    bounce: the address does not take mail). None: we sent nothing to that address."""
    key = email_normalize(email)
    send = (
        CampaignSend.objects.select_for_update(of=("self",))
        .filter(enrollment__contact__email_normalized=key, status__in=[CampaignSend.Status.SENT])
        .select_related("enrollment")
        .order_by("-sent_at", "-pk")
        .first()
        if key
        else None
    )
    if send is None:
        return None
    send.status, send.bounced_at, send.bounce_reason = CampaignSend.Status.BOUNCED, now, reason[:200]
    send.save(update_fields=["status", "bounced_at", "bounce_reason"])
    contact_id = send.enrollment.contact_id
    _stop_enrollments(contact_id, reason="bounced", now=now)
    _timeline(
        contact_id,
        subject=f"Campaign email bounced ({send.to_email})"[:200],
        body=reason,
        key=f"bounce:{send.pk}",
        now=now,
    )
    audit_record(actor=actor, verb="crm.campaign_bounce", target=send, after={"email": key, "reason": reason[:200]})
    return send
