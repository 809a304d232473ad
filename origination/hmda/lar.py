"""One application's Loan/Application Register row, and the file: the transmittal sheet (``1|...``) and a
``2|...`` row per covered application, fields in the FFIEC filing instructions' order (``spec``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from lending.finance import amortization
from lending.finance.money import CONTEXT, ROUNDING
from lending.finance.uli import uli_build
from origination import workflow
from origination.hmda import spec
from origination.models import Application, AveragePrimeOfferRate, Borrower, Demographics
from origination.services.compliance.thresholds import apor_for

WHOLE = Decimal(1)
THOUSAND = Decimal(1000)
RATE_SPREAD_QUANTUM = Decimal("0.001")
APPROVED_BEFORE_WITHDRAWAL = (workflow.APPROVED, workflow.CLEAR_TO_CLOSE, workflow.CLOSING)
PURPOSES = {"purchase": "1", "refinance": "31", "cash_out": "32"}  # anything else: 4 (other purpose)
OCCUPANCY = {"primary": "1", "second_home": "2", "investment": "3"}


@dataclass(frozen=True)
class LarRow:
    application_number: str
    fields: dict[str, str]  # spec.LAR_FIELDS -> the value written

    def line(self) -> str:
        return "|".join(self.fields[name] for name in spec.LAR_FIELDS)


@dataclass(frozen=True)
class LarFile:
    year: int
    transmittal: dict[str, str]  # spec.TS_FIELDS -> value
    rows: list[LarRow]

    def text(self) -> str:
        lines = ["|".join(self.transmittal[name] for name in spec.TS_FIELDS), *(row.line() for row in self.rows)]
        return "\n".join(lines) + "\n"


class AporTable:
    """The APOR rows the compliance checks use, looked up once per (rate-set date, term)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[date, int], AveragePrimeOfferRate | None] = {}

    def rate(self, *, as_of: date, term_years: int) -> Decimal | None:
        key = (as_of, term_years)
        if key not in self._rows:
            self._rows[key] = apor_for(as_of=as_of, term_years=term_years)
        row = self._rows[key]
        return row.rate if row is not None else None


def _whole(amount: Decimal) -> str:
    return f"{amount.quantize(WHOLE, ROUNDING, CONTEXT):f}"


def _number(value: Decimal) -> str:
    return f"{value.normalize(CONTEXT):f}"


def _ymd(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day else spec.NA


def loan_id_of(application: Application) -> str:
    """The ULI's loan characters: the application number without its hyphens (A-2026-000002 -> A2026000002)."""
    return "".join(char for char in application.number if char.isalnum()).upper()


def _uli(lei: str, application: Application) -> str:
    """The ULI; blank when LENDING_LEI is not an LEI (the edits then name the setting, rather than a crash)."""
    try:
        return uli_build(lei=lei, loan_id=loan_id_of(application))
    except ValueError:
        return ""


def action_taken(application: Application) -> tuple[str, date]:
    """1003.4(a)(8): the action and its date, from the workflow. Consummated (closed or funded): originated on the
    closing date. Denied: the day of the denial. Withdrawn after an approval: approved but not accepted; withdrawn
    while suspended (waiting on the applicant's information): closed for incompleteness; otherwise withdrawn."""
    last = application.final_transitions[-1] if application.final_transitions else None  # type: ignore[attr-defined]
    changed = timezone.localdate(last.created_at if last else application.status_changed_at)
    if application.status in (workflow.CLOSED, workflow.FUNDED):
        return spec.ORIGINATED, application.closing_date or changed
    if application.status == workflow.DENIED:
        return spec.DENIED, changed
    from_status = last.from_status if last else ""
    if from_status in APPROVED_BEFORE_WITHDRAWAL:
        return spec.APPROVED_NOT_ACCEPTED, changed
    if from_status == workflow.SUSPENDED:
        return spec.INCOMPLETE, changed
    return spec.WITHDRAWN, changed


def application_date_of(application: Application) -> date:
    return application.application_date or timezone.localdate(application.submitted_at)


def age_on(born: date | None, on: date) -> str:
    """Age in whole years on the application date; blank when the date of birth is missing (an edit reports it)."""
    if born is None:
        return ""
    return str(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def _codes(values: list[str], declined: bool, not_provided: str) -> list[str]:
    chosen = [not_provided] if declined else list(values)
    return (chosen + [""] * 5)[:5] if chosen else [""] * 5


def _demographics_of(borrower: Borrower) -> Demographics | None:
    try:
        return borrower.demographics
    except Demographics.DoesNotExist:
        return None


def _sex_code(info: Demographics) -> str:
    if info.sex_declined:
        return spec.SEX_NOT_PROVIDED
    chosen = set(info.sex)
    if chosen == {spec.SEX_MALE, spec.SEX_FEMALE}:
        return spec.SEX_BOTH
    return next(iter(chosen)) if len(chosen) == 1 else ""


def _observed(flag: bool) -> str:
    return spec.OBSERVED if flag else spec.NOT_OBSERVED


def person_fields(prefix: str, borrower: Borrower | None, application_date: date) -> dict[str, str]:
    """Ethnicity, race, sex (with how each was collected) and age of the applicant or co-applicant."""
    if borrower is None:  # no co-applicant: the "no co-applicant" codes
        return {
            **dict(zip([f"{prefix}_ethnicity_{n}" for n in range(1, 6)], ["5", "", "", "", ""], strict=True)),
            f"{prefix}_ethnicity_other_text": "",
            f"{prefix}_ethnicity_observed": spec.OBSERVATION_NO_CO_APPLICANT,
            **dict(zip([f"{prefix}_race_{n}" for n in range(1, 6)], ["8", "", "", "", ""], strict=True)),
            f"{prefix}_race_tribe_text": "",
            f"{prefix}_race_other_asian_text": "",
            f"{prefix}_race_other_pacific_islander_text": "",
            f"{prefix}_race_observed": spec.OBSERVATION_NO_CO_APPLICANT,
            f"{prefix}_sex": spec.SEX_NO_CO_APPLICANT,
            f"{prefix}_sex_observed": spec.OBSERVATION_NO_CO_APPLICANT,
            f"{prefix}_age": spec.AGE_NO_CO_APPLICANT,
        }
    info = _demographics_of(borrower) or Demographics(borrower=borrower)  # nothing collected: blanks, edits say so
    ethnicity = _codes(info.ethnicity, info.ethnicity_declined, spec.ETHNICITY_NOT_PROVIDED)
    race = _codes(info.race, info.race_declined, spec.RACE_NOT_PROVIDED)
    return {
        **{f"{prefix}_ethnicity_{n}": code for n, code in enumerate(ethnicity, start=1)},
        f"{prefix}_ethnicity_other_text": "",
        f"{prefix}_ethnicity_observed": _observed(info.ethnicity_observed),
        **{f"{prefix}_race_{n}": code for n, code in enumerate(race, start=1)},
        f"{prefix}_race_tribe_text": "",
        f"{prefix}_race_other_asian_text": "",
        f"{prefix}_race_other_pacific_islander_text": "",
        f"{prefix}_race_observed": _observed(info.race_observed),
        f"{prefix}_sex": _sex_code(info),
        f"{prefix}_sex_observed": _observed(info.sex_observed),
        f"{prefix}_age": age_on(borrower.date_of_birth, application_date),
    }


def income_thousands(borrowers: list[Borrower]) -> str:
    """1003.4(a)(10)(iii): gross annual income relied on, in thousands of dollars, rounded to the nearest thousand
    (current jobs' monthly base and other income x 12)."""
    monthly = sum(
        (
            job.monthly_base_income + job.monthly_other_income
            for b in borrowers
            for job in b.employments.all()
            if job.is_current
        ),
        Decimal(0),
    )
    return _whole(monthly * 12 / THOUSAND)


def denial_fields(application: Application, action: str) -> dict[str, str]:
    """1003.4(a)(16): up to four reasons for denial, mapped from the decision's Reg B principal reasons."""
    blank = {f"denial_reason_{n}": "" for n in range(2, 5)}
    if action != spec.DENIED or not application.denials:  # type: ignore[attr-defined]
        return {"denial_reason_1": spec.DENIAL_NOT_APPLICABLE, **blank, "denial_reason_other_text": ""}
    decision = application.denials[0]  # type: ignore[attr-defined]
    codes = list(dict.fromkeys(spec.DENIAL_REASONS.get(reason, spec.DENIAL_OTHER) for reason in decision.reasons))
    other = ""
    if spec.DENIAL_OTHER in codes:
        other = decision.other_reason or "; ".join(
            r for r in decision.reasons if spec.DENIAL_REASONS.get(r, "9") == "9"
        )
    padded = [*codes, "", "", "", ""][:4]
    return {**{f"denial_reason_{n}": code for n, code in enumerate(padded, start=1)}, "denial_reason_other_text": other}


def _term_years(application: Application) -> int:
    product = application.product
    return max(1, round(product.term_periods / amortization.FREQUENCIES.get(product.payment_frequency, 12)))


def pricing_fields(application: Application, action: str, apors: AporTable) -> dict[str, str]:
    """Rate spread (1003.4(a)(12): the APR less the APOR on the rate-set date, the table the compliance checks
    use), HOEPA status and the interest rate; reported for originated and approved-not-accepted loans only."""
    if action not in (spec.ORIGINATED, spec.APPROVED_NOT_ACCEPTED):
        return {"rate_spread": spec.NA, "hoepa_status": "3", "interest_rate": spec.NA}
    disclosures = application.pricing_disclosures  # type: ignore[attr-defined]
    latest = disclosures[-1] if disclosures else None
    rate = latest.annual_rate if latest else application.product.annual_rate
    apor = apors.rate(as_of=application_date_of(application), term_years=_term_years(application))
    spread = ""  # no disclosed APR or no APOR: left blank, and the edits say which
    if latest is not None and apor is not None:
        spread = f"{(latest.apr - apor).quantize(RATE_SPREAD_QUANTUM, ROUNDING, CONTEXT):f}"
    high_cost = action == spec.ORIGINATED and any(c.result == "fail" for c in application.hoepa)  # type: ignore[attr-defined]
    hoepa = "1" if high_cost else ("2" if action == spec.ORIGINATED else "3")
    return {"rate_spread": spread, "hoepa_status": hoepa, "interest_rate": _number(rate)}


def property_fields(application: Application, action: str) -> dict[str, str]:
    prop = getattr(application, "subject_property", None)
    if prop is None:
        return dict.fromkeys(("street_address", "city", "state", "zip_code", "county", "census_tract"), "") | {
            "construction_method": "",
            "occupancy_type": "",
            "property_value": "",
            "manufactured_home_secured_property_type": "",
            "manufactured_home_land_property_interest": "",
            "total_units": "",
        }
    manufactured = prop.property_type == "manufactured"
    value = prop.appraised_value or prop.estimated_value
    return {
        "street_address": prop.address_line1,
        "city": prop.city,
        "state": prop.state.upper(),
        "zip_code": prop.postal_code,
        "county": prop.census_tract[:5] if prop.census_tract else "",
        "census_tract": prop.census_tract,
        "construction_method": "2" if manufactured else "1",
        "occupancy_type": OCCUPANCY.get(prop.occupancy, ""),
        # The value relied on: reported once a decision used it (not for files withdrawn or closed before one).
        "property_value": _whole(value)
        if action in (spec.ORIGINATED, spec.APPROVED_NOT_ACCEPTED, spec.DENIED)
        else spec.NA,
        "manufactured_home_secured_property_type": spec.EXEMPT_CODE if manufactured else "3",
        "manufactured_home_land_property_interest": spec.EXEMPT_CODE if manufactured else "5",
        # 2-4 unit properties do not record how many units: blank, and the edits ask for it.
        "total_units": "" if prop.property_type == "multi_family" else "1",
    }


def _loan_term_months(application: Application) -> str:
    product = application.product
    return str(product.term_periods * 12 // amortization.FREQUENCIES.get(product.payment_frequency, 12))


def lar_row(application: Application, *, lei: str, apors: AporTable) -> LarRow:
    """Every field of one application's ``2|...`` row (the spec's order is applied when the line is written)."""
    action, action_date = action_taken(application)
    applied_on = application_date_of(application)
    borrowers = list(application.borrowers.all())
    primary = next((b for b in borrowers if b.is_primary), None)
    co_applicant = next((b for b in borrowers if not b.is_primary), None)
    product = application.product
    amount = application.amount_requested
    exempt_code, exempt = spec.EXEMPT_CODE, spec.EXEMPT
    fields = {
        "record_identifier": "2",
        "lei": lei,
        "uli": _uli(lei, application),
        "application_date": _ymd(applied_on),
        "loan_type": "1",
        "loan_purpose": PURPOSES.get(application.purpose, "4"),
        "preapproval": "2",
        "loan_amount": _whole(amount) if amount is not None else "",
        "action_taken": action,
        "action_taken_date": _ymd(action_date),
        **property_fields(application, action),
        **person_fields("applicant", primary, applied_on),
        **person_fields("co_applicant", co_applicant, applied_on),
        "income": income_thousands(borrowers),
        "type_of_purchaser": "0",
        **pricing_fields(application, action, apors),
        "lien_status": "1",
        "applicant_credit_score": exempt_code,
        "co_applicant_credit_score": exempt_code,
        "applicant_credit_score_model": exempt_code,
        "applicant_credit_score_model_text": "",
        "co_applicant_credit_score_model": exempt_code,
        "co_applicant_credit_score_model_text": "",
        **denial_fields(application, action),
        **dict.fromkeys(
            ("total_loan_costs", "total_points_and_fees", "origination_charges", "discount_points", "lender_credits"),
            exempt,
        ),
        "prepayment_penalty_term": spec.NA,
        "debt_to_income_ratio": exempt,
        "combined_loan_to_value_ratio": exempt,
        "loan_term": _loan_term_months(application),
        "introductory_rate_period": spec.NA,
        "balloon_payment": "1" if product.amortization == "balloon" else "2",
        "interest_only_payments": "1"
        if product.amortization == "interest_only" or product.interest_only_periods
        else "2",
        "negative_amortization": "2",
        "other_non_amortizing_features": "2",
        "multifamily_affordable_units": spec.NA,
        "submission_of_application": "1",
        "initially_payable_to_institution": "1",
        "mlo_nmlsr_id": exempt,
        "aus_1": exempt_code,
        **dict.fromkeys(("aus_2", "aus_3", "aus_4", "aus_5", "aus_other_text"), ""),
        "aus_result_1": exempt_code,
        **dict.fromkeys(("aus_result_2", "aus_result_3", "aus_result_4", "aus_result_5", "aus_result_other_text"), ""),
        "reverse_mortgage": "2",
        "open_end_line_of_credit": "2",
        "business_or_commercial_purpose": "2",
    }
    return LarRow(application.number, {name: fields[name] for name in spec.LAR_FIELDS})


def transmittal(year: int, *, lei: str, total_lines: int) -> dict[str, str]:
    """The transmittal sheet (record 1) for the annual filing, from LENDING_HMDA_TRANSMITTAL."""
    info = settings.LENDING_HMDA_TRANSMITTAL
    return {
        "record_identifier": "1",
        "institution_name": info["institution_name"],
        "calendar_year": str(year),
        "calendar_quarter": "4",
        "contact_name": info["contact_name"],
        "contact_phone": info["contact_phone"],
        "contact_email": info["contact_email"],
        "office_street": info["office_street"],
        "office_city": info["office_city"],
        "office_state": info["office_state"],
        "office_zip": info["office_zip"],
        "federal_agency": info["federal_agency"],
        "total_lines": str(total_lines),
        "tax_id": info["tax_id"],
        "lei": lei,
    }


def lar_build(applications: list[Application], *, year: int) -> LarFile:
    """The year's file from the applications ``selectors.hmda.hmda_applications`` loaded."""
    lei = settings.LENDING_LEI.upper()
    apors = AporTable()
    rows = [lar_row(application, lei=lei, apors=apors) for application in applications]
    return LarFile(year=year, transmittal=transmittal(year, lei=lei, total_lines=len(rows)), rows=rows)
