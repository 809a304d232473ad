"""Leads from a CSV file (a list bought, a trade-show sheet, a partner's referrals).

Columns (header row required): ``last_name`` or ``name``, and ``email`` or ``phone``; optionally ``first_name``,
``source`` (a lead source's code; default ``import``), ``campaign``, ``partner_email`` (an active referral
partner), ``purpose``, ``amount``, ``message`` and ``consent`` (yes/no). Every row is checked and reported
with its own errors; each good row is saved on its own (a bad row never blocks or half-saves another). The
same email or phone merges into the existing contact: a person with an open lead gets the row as a note on
that lead, so importing the same file twice adds no lead.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from crm.models import ConsentSource, LeadSource, ReferralPartner
from crm.services.contacts import ContactData, email_normalize, phone_normalize
from crm.services.leads import LeadInput, lead_capture
from lending.core.models import User
from lending.core.services import audit_record
from origination.models.choices import Purpose

MAX_ROWS = 5000
IMPORT_SOURCE = "import"
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


@dataclass
class RowResult:
    line: int  # the file's line number (the header is line 1)
    outcome: str = ""  # "created", "merged" or "error"
    errors: list[str] = field(default_factory=list)
    lead_id: int | None = None


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def _text(raw: dict[str, str], name: str) -> str:
    return " ".join((raw.get(name) or "").split())


def _amount(text: str, errors: list[str]) -> Decimal | None:
    if not text:
        return None
    try:
        amount = Decimal(text.replace(",", "").replace("$", ""))
    except InvalidOperation:
        errors.append(f"amount: {text!r} is not an amount.")
        return None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1e12"):
        errors.append(f"amount: {text!r} must be a positive amount in dollars and cents.")
        return None
    return amount


def _row_input(
    raw: dict[str, str], sources: dict[str, LeadSource], partners: dict[str, ReferralPartner], errors: list[str]
) -> LeadInput | None:
    """The row as a LeadInput, or None with ``errors`` saying every problem found."""
    first, last = _text(raw, "first_name"), _text(raw, "last_name")
    if not last and _text(raw, "name"):
        first, _, last = _text(raw, "name").rpartition(" ")
    email, phone = _text(raw, "email"), _text(raw, "phone")
    if not last:
        errors.append("name: a last_name (or name) is required.")
    if not email and not phone:
        errors.append("email/phone: give at least one.")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"email: {email!r} is not an email address.")
    try:
        phone_normalize(phone)
    except ValidationError:
        errors.append(f"phone: {phone!r} needs its area code (10 to 15 digits).")
    source_code = _text(raw, "source").lower() or IMPORT_SOURCE
    source = sources.get(source_code)
    if source is None:
        errors.append(f"source: no active lead source {source_code!r}.")
    partner_key = email_normalize(_text(raw, "partner_email"))
    partner = partners.get(partner_key) if partner_key else None
    if partner_key and partner is None:
        errors.append(f"partner_email: no active referral partner {partner_key!r}.")
    purpose = _text(raw, "purpose").lower()
    if purpose and purpose not in Purpose.values:
        errors.append(f"purpose: choose one of {', '.join(Purpose.values)}.")
    consent_text = _text(raw, "consent").lower()
    if consent_text not in YES | NO:
        errors.append("consent: write yes or no.")
    amount = _amount(_text(raw, "amount"), errors)
    if errors or source is None:
        return None
    return LeadInput(
        contact=ContactData(first_name=first, last_name=last, email=email, phone=phone),
        source=source,
        consent_source=ConsentSource.IMPORT,
        consent=consent_text in YES,
        message=(raw.get("message") or "").strip(),
        campaign_code=_text(raw, "campaign")[:40],
        purpose=purpose,
        amount_requested=amount,
        referral_partner=partner,
    )


def _read(content: bytes, report: ImportReport) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.file_errors.append("The file is not UTF-8 text: save it as CSV UTF-8.")
        return []
    reader = csv.DictReader(io.StringIO(text))
    header = {(h or "").strip().lower() for h in reader.fieldnames or []}
    if not header & {"last_name", "name"} or not header & {"email", "phone"}:
        report.file_errors.append("The header row needs last_name (or name) and email (or phone).")
        return []
    rows = [{(k or "").strip().lower(): (v or "") for k, v in row.items() if isinstance(v, str)} for row in reader]
    if len(rows) > MAX_ROWS:
        report.file_errors.append(f"At most {MAX_ROWS} rows per file; this one has {len(rows)}.")
        return []
    return rows


def leads_import(*, actor: User, content: bytes) -> ImportReport:
    """Import the file's rows as leads (see the module's docstring); returns what happened to every row."""
    report = ImportReport()
    rows = _read(content, report)
    LeadSource.objects.get_or_create(code=IMPORT_SOURCE, defaults={"name": "CSV import"})
    sources = {s.code: s for s in LeadSource.objects.filter(is_active=True)}
    partners = {email_normalize(p.email): p for p in ReferralPartner.objects.filter(is_active=True).exclude(email="")}
    for number, raw in enumerate(rows, start=2):
        result = RowResult(line=number)
        report.rows.append(result)
        data = _row_input(raw, sources, partners, result.errors)
        if data is None:
            result.outcome = "error"
            continue
        try:
            with transaction.atomic():
                captured = lead_capture(actor=actor, data=data)
        except ValidationError as exc:
            result.outcome, result.errors = "error", [str(m) for m in exc.messages]
            continue
        result.outcome = "created" if captured.lead_created else "merged"
        result.lead_id = captured.lead.pk
    audit_record(
        actor=actor,
        verb="crm.leads_imported",
        after={"created": report.count("created"), "merged": report.count("merged"), "errors": report.count("error")},
        note=f"{timezone.now():%Y-%m-%d %H:%M}",
    )
    return report
