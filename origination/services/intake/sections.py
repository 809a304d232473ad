"""Saving each section of an application (borrowers, employment, assets, liabilities, property, loan request,
declarations, e-consent, the step reached online).

Every write locks the application row, checks who may still change it in its current status, validates,
saves and writes one audit row in the same transaction, then stamps the TRID application date when the six
items are first all present. SSNs are stored encrypted (Borrower.ssn) with their last four digits beside them;
audit rows only ever carry the masked form.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import require_cents
from origination.application_rules import (
    CITIZENSHIP_CHOICES,
    declaration_questions,
    has_property_step,
    purposes_for,
    ssn_normalise,
)
from origination.models import Application, Asset, Borrower, Employment, Liability, Property
from origination.services.intake.access import (
    ASSET_FIELDS,
    BORROWER_FIELDS,
    EMPLOYMENT_FIELDS,
    ESIGN_DISCLOSURE_VERSION,
    LIABILITY_FIELDS,
    PROPERTY_FIELDS,
    _application_update,
    _assign,
    _lock_for_edit,
    _snapshot,
    _validated,
)
from origination.services.intake.trid import _copy_stamp, application_date_stamp_if_complete

# --- borrowers --------------------------------------------------------------------------------------------


def _borrower_snapshot(borrower: Borrower | None) -> dict[str, Any]:
    if borrower is None:
        return {}
    return {**_snapshot(borrower, BORROWER_FIELDS), "ssn": borrower.ssn_masked}


@transaction.atomic
def borrower_save(
    *, actor: User | None, application: Application, data: dict[str, Any], is_primary: bool = True
) -> Borrower:
    """Create or update the primary borrower (or the co-borrower). A blank ``ssn`` keeps the one on file."""
    locked = _lock_for_edit(actor=actor, application=application)
    borrower = locked.borrowers.filter(is_primary=is_primary).order_by("id").first()
    before = _borrower_snapshot(borrower)
    if borrower is None:
        borrower = Borrower(application=locked, is_primary=is_primary)
    for name in BORROWER_FIELDS:
        if name in data:
            _assign(borrower, name, data[name])
    borrower.state = (borrower.state or "").upper()
    raw_ssn = (data.get("ssn") or "").strip()
    if raw_ssn:
        try:
            ssn = ssn_normalise(raw_ssn)
        except ValidationError as exc:
            raise ValidationError({"ssn": exc.messages}) from exc
        borrower.ssn, borrower.ssn_last4 = ssn, ssn[-4:]
    _validated(borrower, exclude=["application", "ssn"])
    borrower.save()
    audit_record(
        actor=actor,
        verb="application.borrower_saved" if is_primary else "application.coborrower_saved",
        target=locked,
        before=before,
        after=_borrower_snapshot(borrower),
    )
    application_date_stamp_if_complete(locked, actor=actor)
    _copy_stamp(application, locked)
    return borrower


@transaction.atomic
def coborrower_remove(*, actor: User | None, application: Application) -> int:
    """Take the co-borrower (and their employment) off the application. Returns how many were removed."""
    locked = _lock_for_edit(actor=actor, application=application)
    coborrowers = list(locked.borrowers.filter(is_primary=False).defer("ssn"))
    if not coborrowers:
        return 0
    for borrower in coborrowers:
        borrower.delete()
    audit_record(
        actor=actor,
        verb="application.coborrower_removed",
        target=locked,
        before={"coborrowers": [str(b) for b in coborrowers]},
    )
    return len(coborrowers)


# --- rows: employment, assets, liabilities ----------------------------------------------------------------

_Row = TypeVar("_Row", bound=models.Model)  # the model of the rows a section saves


def _rows_save(
    *,
    actor: User | None,
    locked: Application,
    rows: list[dict[str, Any]],
    existing: models.QuerySet[_Row],
    fields: tuple[str, ...],
    build: Callable[[dict[str, Any]], _Row],
    verb: str,
    parent: str,
    prepare: Callable[[_Row, dict[str, Any]], None] | None = None,
) -> list[_Row]:
    """Apply row edits (``id`` to change a row, no ``id`` to add one, ``delete`` to remove it), all or nothing.

    Returns every row on file afterwards, in id order.
    """
    on_file = {obj.pk: obj for obj in existing}
    before = [{"id": pk, **_snapshot(obj, fields)} for pk, obj in on_file.items()]
    errors: dict[str, list[str]] = {}
    for number, row in enumerate(rows, start=1):
        pk = int(row["id"]) if row.get("id") else None
        if pk is not None and pk not in on_file:
            raise ValidationError(f"Row {number} does not belong to this application.")
        obj = on_file.get(pk) if pk is not None else None
        if row.get("delete"):
            if obj is not None:
                obj.delete()
                del on_file[pk]
            continue
        if obj is None:
            obj = build(row)
        for name in fields:
            if name in row:
                _assign(obj, name, row[name])
        if prepare is not None:
            prepare(obj, row)
        try:
            _validated(obj, exclude=[parent])
        except ValidationError as exc:
            errors[f"row_{number}"] = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
            continue
        obj.save()
        on_file[obj.pk] = obj
    if errors:
        raise ValidationError(errors)  # the caller's transaction rolls back every row of this save
    result = [on_file[pk] for pk in sorted(on_file)]
    after = [{"id": obj.pk, **_snapshot(obj, fields)} for obj in result]
    audit_record(actor=actor, verb=verb, target=locked, before={"rows": before}, after={"rows": after})
    return result


@transaction.atomic
def employment_save(*, actor: User | None, application: Application, rows: list[dict[str, Any]]) -> list[Employment]:
    """Add, change or remove employment and income rows. Each row names its ``borrower`` (instance or id)."""
    locked = _lock_for_edit(actor=actor, application=application)
    borrowers = {b.pk: b for b in locked.borrowers.defer("ssn")}

    def borrower_of(row: dict[str, Any]) -> Borrower:
        ref = row.get("borrower")
        pk = ref.pk if isinstance(ref, Borrower) else ref
        if pk is None or int(pk) not in borrowers:
            raise ValidationError({"borrower": "Choose a borrower on this application."})
        return borrowers[int(pk)]

    def build(row: dict[str, Any]) -> Employment:
        return Employment(borrower=borrower_of(row))

    def prepare(obj: Employment, row: dict[str, Any]) -> None:
        if row.get("borrower") is not None:
            obj.borrower = borrower_of(row)

    kept = _rows_save(
        actor=actor,
        locked=locked,
        rows=rows,
        existing=Employment.objects.filter(borrower__application=locked).order_by("id"),
        fields=EMPLOYMENT_FIELDS,
        build=build,
        prepare=prepare,
        verb="application.employment_saved",
        parent="borrower",
    )
    application_date_stamp_if_complete(locked, actor=actor)
    _copy_stamp(application, locked)
    return kept


@transaction.atomic
def asset_save(*, actor: User | None, application: Application, rows: list[dict[str, Any]]) -> list[Asset]:
    """Add, change or remove assets (accounts, gifts...)."""
    locked = _lock_for_edit(actor=actor, application=application)
    return _rows_save(
        actor=actor,
        locked=locked,
        rows=rows,
        existing=Asset.objects.filter(application=locked).order_by("id"),
        fields=ASSET_FIELDS,
        build=lambda row: Asset(application=locked),
        verb="application.assets_saved",
        parent="application",
    )


@transaction.atomic
def liability_save(*, actor: User | None, application: Application, rows: list[dict[str, Any]]) -> list[Liability]:
    """Add, change or remove liabilities (monthly debts)."""
    locked = _lock_for_edit(actor=actor, application=application)
    return _rows_save(
        actor=actor,
        locked=locked,
        rows=rows,
        existing=Liability.objects.filter(application=locked).order_by("id"),
        fields=LIABILITY_FIELDS,
        build=lambda row: Liability(application=locked),
        verb="application.liabilities_saved",
        parent="application",
    )


# --- property, loan request, declarations, e-consent -----------------------------------------------------


@transaction.atomic
def property_save(*, actor: User | None, application: Application, data: dict[str, Any]) -> Property:
    """Create or update the subject property (mortgages only)."""
    locked = _lock_for_edit(actor=actor, application=application)
    if not has_property_step(locked.product):
        raise ValidationError(f"{locked.product.name} is not secured by a property.")
    prop = Property.objects.filter(application=locked).first()
    before = _snapshot(prop, PROPERTY_FIELDS)
    if prop is None:
        prop = Property(application=locked)
    for name in PROPERTY_FIELDS:
        if name in data:
            _assign(prop, name, data[name])
    prop.state = (prop.state or "").upper()
    _validated(prop, exclude=["application"])
    prop.save()
    audit_record(
        actor=actor,
        verb="application.property_saved",
        target=locked,
        before=before,
        after=_snapshot(prop, PROPERTY_FIELDS),
    )
    application_date_stamp_if_complete(locked, actor=actor)
    _copy_stamp(application, locked)
    return prop


def _is_whole_cents(amount: Decimal | int | str) -> bool:
    try:
        require_cents(amount, "amount_requested")
    except ValueError:
        return False
    return isinstance(amount, Decimal)


@transaction.atomic
def loan_request_save(*, actor: User | None, application: Application, data: dict[str, Any]) -> Application:
    """Save the purpose and the amount requested (within the product's range)."""
    locked = _lock_for_edit(actor=actor, application=application)
    product = locked.product
    purpose = data.get("purpose") or locked.purpose
    amount = data.get("amount_requested")
    errors: dict[str, str] = {}
    if purpose not in purposes_for(product):
        errors["purpose"] = f"Choose a purpose offered for {product.name}."
    if amount is None:
        errors["amount_requested"] = "Enter the amount you want to borrow."
    elif not _is_whole_cents(amount):
        errors["amount_requested"] = "Enter an amount in dollars and cents."
    elif not product.min_amount <= amount <= product.max_amount:
        errors["amount_requested"] = (
            f"{product.name} lends from ${product.min_amount:,.2f} to ${product.max_amount:,.2f}."
        )
    if errors:
        raise ValidationError(errors)
    before = {"purpose": locked.purpose, "amount_requested": locked.amount_requested}
    _application_update(locked, purpose=purpose, amount_requested=amount)
    audit_record(
        actor=actor,
        verb="application.loan_request_saved",
        target=locked,
        before=before,
        after={"purpose": purpose, "amount_requested": amount},
    )
    application_date_stamp_if_complete(locked, actor=actor)
    application.purpose, application.amount_requested = purpose, amount
    _copy_stamp(application, locked)
    return application


@transaction.atomic
def declarations_save(*, actor: User | None, application: Application, data: dict[str, Any]) -> Application:
    """Save the declarations: a yes/no answer to every question, citizenship, and an optional explanation."""
    locked = _lock_for_edit(actor=actor, application=application)
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for code, _text in declaration_questions(locked.product):
        value = data.get(code)
        if not isinstance(value, bool):
            errors[code] = "Answer yes or no."
        answers[code] = value
    citizenship = data.get("citizenship")
    if citizenship not in dict(CITIZENSHIP_CHOICES):
        errors["citizenship"] = "Choose your citizenship status."
    if errors:
        raise ValidationError(errors)
    answers["citizenship"] = citizenship
    answers["explanation"] = (data.get("explanation") or "").strip()[:2000]
    before = dict(locked.declarations or {})
    _application_update(locked, declarations=answers)
    audit_record(actor=actor, verb="application.declarations_saved", target=locked, before=before, after=answers)
    application.declarations = answers
    return application


@transaction.atomic
def econsent_record(*, actor: User, application: Application, consented: bool = True) -> Application:
    """Record (or withdraw) the borrower's consent to electronic records and signatures (ESIGN Act 15 U.S.C. 7001(c)).
    Only the applicant can give it; the first consent's time is kept while it stands."""
    locked = _lock_for_edit(actor=actor, application=application)
    if actor is None or locked.applicant_id != actor.pk:
        raise PermissionDenied("Only the applicant can consent to electronic delivery.")
    before = {"econsent_at": locked.econsent_at}
    if consented and locked.econsent_at is None:
        _application_update(locked, econsent_at=timezone.now())
    elif not consented and locked.econsent_at is not None:
        _application_update(locked, econsent_at=None)
    else:
        application.econsent_at = locked.econsent_at
        return application
    audit_record(
        actor=actor,
        verb="application.econsent_given" if consented else "application.econsent_withdrawn",
        target=locked,
        before=before,
        after={"econsent_at": locked.econsent_at},
        note=ESIGN_DISCLOSURE_VERSION,
    )
    application.econsent_at = locked.econsent_at
    return application


@transaction.atomic
def intake_step_save(*, actor: User | None, application: Application, step: str) -> Application:
    """Remember where the applicant is in the online form, so signing in later resumes there."""
    locked = _lock_for_edit(actor=actor, application=application)
    if locked.intake_step != step:
        before = {"intake_step": locked.intake_step}
        _application_update(locked, intake_step=step[:32])
        audit_record(
            actor=actor, verb="application.intake_step", target=locked, before=before, after={"intake_step": step}
        )
    application.intake_step = locked.intake_step
    return application
