"""Intake: starting an application and saving each of its sections, for the borrower online and for staff.

Every write locks the application row, checks who may still change it in its current status, validates,
saves and writes one audit row in the same transaction, then stamps the TRID application date when the six
items are first all present (Reg Z 1026.2(a)(3)(ii)). SSNs are stored encrypted (Borrower.ssn) with their
last four digits beside them; audit rows only ever carry the masked form.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from lending.core import roles
from lending.core.models import User
from lending.core.services import audit_record
from lending.finance.money import require_cents
from origination import workflow
from origination.credit.sandbox import MAGIC_SSNS
from origination.models import Application, Asset, Borrower, Employment, Liability, LoanProduct, Property
from origination.models.choices import ProductKind, Purpose
from origination.services.workflow import BEFORE_TRANSITION_HOOKS, TransitionBlocked, application_transition

_Row = TypeVar("_Row", bound=models.Model)  # the model of the rows a section saves

# Who may enter or correct application data, and while the application is in which statuses.
INTAKE_STAFF_ROLES = (roles.LOAN_OFFICER, roles.PROCESSOR, roles.MANAGER)
BORROWER_EDITABLE = (workflow.DRAFT,)
STAFF_EDITABLE = (workflow.DRAFT, workflow.SUBMITTED, workflow.PROCESSING)

PURPOSES_BY_KIND: dict[str, tuple[str, ...]] = {
    ProductKind.MORTGAGE: (Purpose.PURCHASE, Purpose.REFINANCE, Purpose.CASH_OUT),
    ProductKind.CONSUMER: (Purpose.PERSONAL,),
    ProductKind.BUSINESS: (Purpose.BUSINESS,),
}

# URLA section 5 style declarations: (code, question, mortgage only).
DECLARATION_QUESTIONS: tuple[tuple[str, str, bool], ...] = (
    ("outstanding_judgments", "Are there any outstanding judgments against you?", False),
    ("bankruptcy_7_years", "Have you declared bankruptcy within the past 7 years?", False),
    (
        "foreclosure_7_years",
        "Have you had property foreclosed upon, or given title or deed in lieu of foreclosure, in the past 7 years?",
        False,
    ),
    (
        "party_to_lawsuit",
        "Are you a party to a lawsuit in which you potentially have a personal financial liability?",
        False,
    ),
    ("delinquent_federal_debt", "Are you currently delinquent or in default on a federal debt?", False),
    ("alimony_child_support", "Are you obligated to pay alimony, child support or separate maintenance?", False),
    ("down_payment_borrowed", "Is any part of the down payment or closing costs borrowed?", True),
    ("co_signer", "Are you a co-signer or guarantor on any debt or loan not disclosed on this application?", False),
    ("intend_to_occupy", "Will you occupy the property as your primary residence?", True),
)
CITIZENSHIP_CHOICES = (
    ("us_citizen", "U.S. citizen"),
    ("permanent_resident", "Permanent resident alien"),
    ("non_permanent_resident", "Non-permanent resident alien"),
)
ESIGN_DISCLOSURE_VERSION = "esign-2026-01"
ECONSENT_REQUIRED_LABEL = "You have consented to receive documents and sign electronically"

TRID_ITEM_LABELS = {
    "name": "Borrower name",
    "income": "Income",
    "ssn": "Social Security number",
    "property_address": "Property address",
    "estimated_value": "Estimated property value",
    "loan_amount": "Loan amount",
}

_SSN_DIGITS = re.compile(r"^\d{9}$")
_SSN_SEPARATORS = re.compile(r"[\s-]")

BORROWER_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "marital_status",
    "dependents",
    "address_line1",
    "city",
    "state",
    "postal_code",
    "years_at_address",
    "monthly_housing_expense",
)
EMPLOYMENT_FIELDS = (
    "employer_name",
    "position",
    "start_date",
    "is_current",
    "is_self_employed",
    "monthly_base_income",
    "monthly_other_income",
)
ASSET_FIELDS = ("kind", "institution", "balance")
LIABILITY_FIELDS = ("kind", "creditor", "monthly_payment", "balance", "paid_off_at_closing")
PROPERTY_FIELDS = (
    "address_line1",
    "city",
    "state",
    "postal_code",
    "property_type",
    "occupancy",
    "estimated_value",
    "purchase_price",
    "annual_property_tax",
    "annual_insurance",
    "monthly_hoa",
)


class IntakeClosed(Exception):
    """The application can no longer be changed by this person in its current status."""


# --- SSN --------------------------------------------------------------------------------------------------


SANDBOX_BUREAU = "origination.credit.sandbox.SandboxBureau"


def ssn_normalise(value: str) -> str:
    """Validate an SSN and return it as "123-45-6789".

    SSA rules: nine digits; area not 000, 666 or 900-999; group not 00; serial not 0000.
    """
    digits = _SSN_SEPARATORS.sub("", value or "")
    if not _SSN_DIGITS.match(digits):
        raise ValidationError("Enter a Social Security number of 9 digits, like 123-45-6789.", code="ssn_format")
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    formatted = f"{area}-{group}-{serial}"
    if formatted in MAGIC_SSNS and settings.LENDING_CREDIT_BUREAU == SANDBOX_BUREAU:
        return formatted  # the sandbox bureau's test identities (never-issued numbers) work while it is in use
    if area in ("000", "666") or area.startswith("9"):
        raise ValidationError("That is not a valid Social Security number (area number).", code="ssn_area")
    if group == "00" or serial == "0000":
        raise ValidationError("That is not a valid Social Security number.", code="ssn_invalid")
    return formatted


def ssn_mask(last4: str) -> str:
    return f"***-**-{last4}" if last4 else ""


# --- access -----------------------------------------------------------------------------------------------


def _is_intake_staff(actor: User | None) -> bool:
    return actor is None or roles.has_role(actor, *INTAKE_STAFF_ROLES)


def editable_statuses(*, actor: User | None, application: Application) -> tuple[str, ...]:
    """The statuses in which ``actor`` may change this application's data (empty: never)."""
    if _is_intake_staff(actor):
        return STAFF_EDITABLE
    if roles.is_borrower(actor) and application.applicant_id == actor.pk:
        return BORROWER_EDITABLE
    return ()


def can_edit(*, actor: User | None, application: Application) -> bool:
    return application.status in editable_statuses(actor=actor, application=application)


def _lock_for_edit(*, actor: User | None, application: Application) -> Application:
    """Lock the application row and refuse if this person may no longer change it."""
    # of=self: lock the application row only, not the product row joined in.
    locked = Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=application.pk)
    allowed = editable_statuses(actor=actor, application=locked)
    if not allowed:
        raise PermissionDenied("You may not change this application.")
    if locked.status not in allowed:
        status = locked.get_status_display().lower()
        if allowed is STAFF_EDITABLE:
            raise IntakeClosed(f"This application is {status}: its intake data can no longer be changed.")
        raise IntakeClosed(
            f"This application is {status}, so it can no longer be changed online. "
            "Contact your loan officer to correct anything."
        )
    return locked


def _application_update(application: Application, **fields: Any) -> None:
    # A plain UPDATE on the locked row: the FSM status is never touched by intake.
    fields["updated_at"] = timezone.now()
    Application.objects.filter(pk=application.pk).update(**fields)
    for name, value in fields.items():
        setattr(application, name, value)


def _snapshot(obj: models.Model | None, fields: Iterable[str]) -> dict[str, Any]:
    if obj is None:
        return {}
    return {name: getattr(obj, name) for name in fields}


def _assign(obj: models.Model, name: str, value: Any) -> None:
    """Set a field from form data; an empty optional value becomes the field's null, default or blank."""
    if value is None:
        field = cast("models.Field[Any, Any]", obj._meta.get_field(name))  # a concrete field of the row
        if field.null:
            value = None
        elif field.has_default():
            value = field.get_default()
        elif field.empty_strings_allowed and field.blank:
            value = ""
        else:
            return  # a required field left empty: validation reports it
    setattr(obj, name, value)


def _validated(obj: models.Model, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


# --- start ------------------------------------------------------------------------------------------------


def purposes_for(product: LoanProduct) -> tuple[str, ...]:
    return tuple(PURPOSES_BY_KIND.get(product.kind, ()))


def has_property_step(product: LoanProduct) -> bool:
    """Only mortgages have a subject property (and the two TRID property items)."""
    return product.kind == ProductKind.MORTGAGE


@transaction.atomic
def application_start(
    *,
    actor: User | None,
    product: LoanProduct,
    purpose: str,
    applicant: User | None = None,
    loan_officer: User | None = None,
) -> Application:
    """Open a draft application. Its number ("A-2026-000123") comes from the primary key, so it is unique
    under any concurrency without a counter table."""
    if actor is not None and roles.is_borrower(actor) and not _is_intake_staff(actor):
        if applicant is not None and applicant.pk != actor.pk:
            raise PermissionDenied("A borrower can only apply for themselves.")
        applicant = actor
    elif not _is_intake_staff(actor):
        raise PermissionDenied("Your role may not start applications.")
    if not product.is_active:
        raise ValidationError({"product": "This product is not offered any more."})
    if purpose not in purposes_for(product):
        raise ValidationError({"purpose": f"Choose a purpose offered for {product.name}."})
    if applicant is not None and not roles.is_borrower(applicant):
        raise ValidationError({"applicant": "The applicant's account must be a borrower account."})
    application = Application.objects.create(
        number=f"T-{uuid.uuid4().hex[:18]}",  # placeholder, replaced in the same transaction
        product=product,
        purpose=purpose,
        applicant=applicant,
        loan_officer=loan_officer,
    )
    number = f"A-{timezone.localdate().year}-{application.pk:06d}"
    Application.objects.filter(pk=application.pk).update(number=number)
    application.number = number
    audit_record(
        actor=actor,
        verb="application.started",
        target=application,
        after={
            "number": number,
            "product": product.code,
            "purpose": purpose,
            "applicant": applicant.email if applicant else "",
            "loan_officer": loan_officer.email if loan_officer else "",
        },
    )
    return application


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


def declaration_questions(product: LoanProduct) -> list[tuple[str, str]]:
    mortgage = has_property_step(product)
    return [(code, text) for code, text, mortgage_only in DECLARATION_QUESTIONS if mortgage or not mortgage_only]


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


# --- the TRID application date ------------------------------------------------------------------------------


def trid_missing_from(
    *,
    primary: Borrower | None,
    incomes: Iterable[Employment],
    prop: Property | None,
    amount_requested: Decimal | None,
    needs_property: bool,
) -> list[str]:
    """Codes of the six TRID application items missing from data already loaded (Reg Z 1026.2(a)(3)(ii)).

    For products without a subject property (consumer, business) the two property items do not apply.
    """
    missing = []
    if primary is None or not (primary.first_name.strip() and primary.last_name.strip()):
        missing.append("name")
    if not any((e.monthly_base_income or 0) + (e.monthly_other_income or 0) > 0 for e in incomes):
        missing.append("income")
    if primary is None or not primary.ssn_last4:
        missing.append("ssn")
    if needs_property:
        if prop is None or not all((prop.address_line1, prop.city, prop.state, prop.postal_code)):
            missing.append("property_address")
        if prop is None or not prop.estimated_value or prop.estimated_value <= 0:
            missing.append("estimated_value")
    if not amount_requested:
        missing.append("loan_amount")
    return missing


def trid_items_missing(application: Application) -> list[str]:
    """Codes of the TRID application items this application still lacks (three small queries)."""
    primary = (
        Borrower.objects.filter(application_id=application.pk, is_primary=True)
        .only("first_name", "last_name", "ssn_last4")
        .first()
    )
    incomes = Employment.objects.filter(borrower__application_id=application.pk).filter(
        Q(monthly_base_income__gt=0) | Q(monthly_other_income__gt=0)
    )[:1]
    needs_property = has_property_step(application.product)
    prop = Property.objects.filter(application_id=application.pk).first() if needs_property else None
    return trid_missing_from(
        primary=primary,
        incomes=list(incomes),
        prop=prop,
        amount_requested=application.amount_requested,
        needs_property=needs_property,
    )


@transaction.atomic
def application_date_stamp_if_complete(application: Application, *, actor: User | None = None) -> bool:
    """Set the application date (business date) the first time all six TRID items are present; never move it.

    Returns True when this call stamped it.
    """
    if application.application_date is not None or trid_items_missing(application):
        return False
    today = timezone.localdate()
    # Conditional UPDATE: only the first writer stamps, even if two requests complete the items at once.
    stamped = Application.objects.filter(pk=application.pk, application_date__isnull=True).update(
        application_date=today
    )
    if not stamped:
        application.application_date = (
            Application.objects.filter(pk=application.pk).values_list("application_date", flat=True).get()
        )
        return False
    application.application_date = today
    audit_record(
        actor=actor,
        verb="application.application_date_stamped",
        target=application,
        after={"application_date": today},
        note="Six TRID application items present (Reg Z 1026.2(a)(3)(ii)).",
    )
    return True


def _copy_stamp(application: Application, locked: Application) -> None:
    if application is not locked:
        application.application_date = locked.application_date


def application_submit_online(*, actor: User, application: Application) -> Application:
    """The borrower submits their own application online: e-consent must be on file (electronic disclosures
    follow, ESIGN Act 15 U.S.C. 7001(c)), then the workflow's submit guards decide."""
    if application.econsent_at is None:
        raise TransitionBlocked("Submit application is blocked.", (ECONSENT_REQUIRED_LABEL,))
    return application_transition(application=application, name="submit", actor=actor, expected_status=workflow.DRAFT)


def _stamp_before_submit(application: Application, actor: User) -> None:
    """Before the submit guards run, stamp the date if the items are complete (e.g. entered by an import)."""
    application_date_stamp_if_complete(application, actor=actor)


BEFORE_TRANSITION_HOOKS.setdefault("submit", []).append(_stamp_before_submit)
