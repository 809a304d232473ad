"""Contacts: one row per person, found again by email or phone (normalized), whatever the way they reached us."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from crm.models import Contact

_NON_DIGITS = re.compile(r"\D")


def email_normalize(email: str) -> str:
    """The dedupe key of an email: trimmed and lower-cased (mailbox providers treat the local part alike)."""
    return (email or "").strip().lower()


def phone_normalize(phone: str) -> str:
    """The dedupe key of a phone number: its digits, a 10-digit North American number with its country code 1.
    Blank stays blank; a number that cannot be dialled (fewer than 10 or more than 15 digits) is refused."""
    digits = _NON_DIGITS.sub("", phone or "")
    if not digits:
        return ""
    if len(digits) == 10:
        digits = f"1{digits}"
    if not 10 <= len(digits) <= 15:
        raise ValidationError({"phone": "Enter a phone number with its area code (10 to 15 digits)."})
    return digits


@dataclass(frozen=True)
class ContactData:
    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""


def split_name(name: str) -> tuple[str, str]:
    """ "Ana Maria Lopez" -> ("Ana Maria", "Lopez"): the last word is the family name."""
    words = " ".join(name.split()).rsplit(" ", 1)
    return ("", words[0]) if len(words) == 1 else (words[0], words[1])


def contact_find(*, email_key: str, phone_key: str) -> Contact | None:
    """The contact with this email, else the one with this phone (email wins when they name two people)."""
    if not email_key and not phone_key:
        return None
    condition = Q(email_normalized=email_key) if email_key else Q(pk__in=[])
    if phone_key:
        condition |= Q(phone_normalized=phone_key)
    matches = list(Contact.objects.select_for_update().filter(condition).order_by("pk"))
    by_email = [c for c in matches if email_key and c.email_normalized == email_key]
    found = by_email or matches
    return found[0] if found else None


@dataclass(frozen=True)
class Upserted:
    contact: Contact
    created: bool


@transaction.atomic
def contact_upsert(
    *, data: ContactData, consent_source: str = "", consent: bool = False, now: datetime | None = None
) -> Upserted:
    """Find the person by email or phone and fill in what we did not know, or create them. Consent is recorded
    with its time and source each time it is given (the latest wins); it is never taken back here."""
    email_key, phone_key = email_normalize(data.email), phone_normalize(data.phone)
    if not email_key and not phone_key:
        raise ValidationError("Give an email address or a phone number.")
    if not data.last_name.strip():
        raise ValidationError({"last_name": "Enter a name."})
    contact = contact_find(email_key=email_key, phone_key=phone_key)
    created = contact is None
    if contact is None:
        contact = Contact(first_name=data.first_name.strip(), last_name=data.last_name.strip())
    _fill_in(contact, data, email_key, phone_key)
    if consent and now is not None:
        contact.consent_to_contact, contact.consent_at, contact.consent_source = True, now, consent_source
    try:
        with transaction.atomic():  # a savepoint: the same person arriving twice at once loses the insert race
            contact.save()
    except IntegrityError:
        if not created:
            raise
        # The other request's contact committed first: merge into it as if it had been there all along.
        return contact_upsert(data=data, consent_source=consent_source, consent=consent, now=now)
    return Upserted(contact=contact, created=created)


def _fill_in(contact: Contact, data: ContactData, email_key: str, phone_key: str) -> None:
    """Add the email or phone we did not know yet (a phone already someone else's stays theirs)."""
    if email_key and not contact.email_normalized:
        contact.email, contact.email_normalized = data.email.strip(), email_key
    if phone_key and not contact.phone_normalized and not Contact.objects.filter(phone_normalized=phone_key).exists():
        contact.phone, contact.phone_normalized = data.phone.strip(), phone_key
