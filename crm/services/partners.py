"""Referral partners: agents, builders and past clients who send us borrowers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from crm.models import Contact, ReferralPartner
from crm.services.leads import CRM_ROLES
from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record


@transaction.atomic
def partner_create(
    *,
    actor: User,
    kind: str,
    name: str,
    company: str = "",
    email: str = "",
    phone: str = "",
    contact: Contact | None = None,
) -> ReferralPartner:
    """Add a partner. A past client is one of our contacts, so the partner links to them."""
    if not roles.has_role(actor, *CRM_ROLES):
        raise ValidationError("Your role may not add referral partners.")
    if kind not in ReferralPartner.Kind.values:
        raise ValidationError({"kind": "Choose agent, builder or past client."})
    if kind == ReferralPartner.Kind.PAST_CLIENT and contact is None:
        raise ValidationError({"contact": "A past client partner links to their contact."})
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Enter the partner's name."})
    partner = ReferralPartner.objects.create(
        kind=kind, name=name, company=company.strip(), email=email.strip().lower(), phone=phone.strip(), contact=contact
    )
    audit_record(actor=actor, verb="crm.partner_created", target=partner, after={"kind": kind, "name": name})
    return partner
