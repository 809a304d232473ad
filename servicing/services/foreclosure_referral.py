"""The foreclosure referral, Reg X 12 CFR 1024.41(f): a manager records the date and the attorney; it is refused
while the loan is not more than 120 days delinquent (f)(1)(i), and while a complete loss mitigation application is
under evaluation or its decision is still open to appeal or acceptance (f)(2). ``referral_block`` says why and from
when it will be allowed, for the service and for the loan's collections page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.delinquency import FORECLOSURE_REFERRAL_DAYS
from servicing.models import ForeclosureReferral, LoanAccount, LossMitigationApplication
from servicing.services.early_intervention import delinquency_start
from servicing.services.loss_mitigation import LossMitigationError

App = LossMitigationApplication


def _today() -> date:
    return timezone.localdate()


@dataclass(frozen=True)
class ReferralBlock:
    """Why a foreclosure referral is refused, and from when it will be allowed (None: after an event)."""

    reason: str
    allowed_from: date | None


def referral_block(loan: LoanAccount, on: date, applications: list[App] | None = None) -> ReferralBlock | None:
    """Why ``loan`` may not be referred to foreclosure on ``on`` (1024.41(f)), or None when it may.
    ``applications``: the loan's, when the caller has them (the page), else read here."""
    start = delinquency_start(loan)
    if start is None or start >= on:
        return ReferralBlock("The loan is not delinquent.", None)
    days = (on - start).days
    allowed_from = start + timedelta(days=FORECLOSURE_REFERRAL_DAYS + 1)
    if days <= FORECLOSURE_REFERRAL_DAYS:
        return ReferralBlock(
            f"The loan is {days} days delinquent on {on:%b %d, %Y}: a foreclosure referral needs more than "
            f"{FORECLOSURE_REFERRAL_DAYS} days of delinquency (Reg X 1024.41(f)(1)). It will be allowed from "
            f"{allowed_from:%b %d, %Y} (day {FORECLOSURE_REFERRAL_DAYS + 1}) if the loan is still delinquent.",
            allowed_from,
        )
    apps = applications if applications is not None else list(App.objects.filter(loan=loan).order_by("-id")[:5])
    for app in apps:
        if app.status == App.Status.COMPLETE:
            return ReferralBlock(
                f"A complete loss mitigation application (received {app.received_on:%b %d, %Y}) is under "
                f"evaluation, due by {app.evaluate_by:%b %d, %Y}: no referral until it is decided and its 14-day "
                "appeal period has ended (Reg X 1024.41(f)(2)).",
                None,
            )
        if app.status in (App.Status.APPROVED, App.Status.DENIED) and app.appeal_by and app.appeal_by >= on:
            after = app.appeal_by + timedelta(days=1)
            return ReferralBlock(
                f"The decision of {app.decided_on:%b %d, %Y} on a complete application is open to appeal (or "
                f"acceptance) through {app.appeal_by:%b %d, %Y} (Reg X 1024.41(f)(2), (h)). It will be allowed "
                f"from {after:%b %d, %Y} if no appeal is made and no offer accepted.",
                after,
            )
    return None


@transaction.atomic
def foreclosure_refer(
    *, actor: User, loan: LoanAccount, referred_on: date, attorney: str, note: str = ""
) -> ForeclosureReferral:
    """A manager refers ``loan`` to ``attorney`` for foreclosure on ``referred_on``; refused with the reason and
    the date it will be allowed while 1024.41(f) forbids it. Once per loan: a second call returns the referral."""
    if not roles.has_role(actor, roles.MANAGER):
        raise LossMitigationError("Only a manager may refer a loan to foreclosure.")
    attorney = (attorney or "").strip()
    if not attorney:
        raise LossMitigationError("Name the attorney or firm the loan is referred to.", field="attorney")
    if referred_on > _today():
        raise LossMitigationError("The referral date cannot be in the future.", field="referred_on")
    locked = LoanAccount.objects.select_for_update().get(pk=loan.pk)
    existing = ForeclosureReferral.objects.filter(loan=locked).first()
    if existing is not None:
        return existing
    if locked.status != LoanAccount.Status.ACTIVE:
        raise LossMitigationError("The loan is not active.")
    block = referral_block(locked, referred_on)
    if block is not None:
        raise LossMitigationError(block.reason)
    start = delinquency_start(locked)
    days = (referred_on - start).days if start is not None else 0
    referral = ForeclosureReferral.objects.create(
        loan=locked, referred_on=referred_on, attorney=attorney, referred_by=actor, days_past_due=days, note=note
    )
    audit_record(
        actor=actor,
        verb="loan.foreclosure_referred",
        target=locked,
        after={"referred_on": referred_on, "attorney": attorney, "days_past_due": days},
        note=note,
    )
    return referral
