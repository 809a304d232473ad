"""What every compliance check reads (loaded once per run) and what it returns."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from lending.finance import amortization
from origination.models import (
    Application,
    AveragePrimeOfferRate,
    ComplianceCheck,
    Disclosure,
    ProductFee,
    Property,
    UnderwritingFinding,
)
from origination.services.compliance.thresholds import apor_for
from origination.services.figures import LoanFigures, figures_for

PASS, FAIL, NA = ComplianceCheck.Result.PASS, ComplianceCheck.Result.FAIL, ComplianceCheck.Result.NOT_APPLICABLE


class CheckOutcome(NamedTuple):
    result: str
    explanation: str
    details: dict[str, Any]


@dataclass
class CheckContext:
    """What the checks read, loaded once per run."""

    application: Application
    today: date
    fees: list[ProductFee]
    loan_estimates: list[Disclosure]  # oldest first
    closing_disclosures: list[Disclosure]  # oldest first
    truth_in_lending: list[Disclosure]  # oldest first (consumer loans other than mortgages)
    finding: UnderwritingFinding | None
    property: Property | None
    _figures: dict[date, LoanFigures] = field(default_factory=dict)
    _apor: dict[str, AveragePrimeOfferRate | None] = field(default_factory=dict)

    @builtins.property  # the `property` field hides the builtin in this class
    def is_mortgage(self) -> bool:
        return self.application.product.kind == "mortgage"

    @builtins.property  # the `property` field hides the builtin in this class
    def disclosure_rule(self) -> str:
        return self.application.product.disclosure_rule

    @builtins.property  # the `property` field hides the builtin in this class
    def kind_label(self) -> str:
        return self.application.product.get_kind_display().lower()

    @builtins.property  # the `property` field hides the builtin in this class
    def latest_disclosure(self) -> Disclosure | None:
        chosen = self.closing_disclosures or self.loan_estimates or self.truth_in_lending
        return chosen[-1] if chosen else None

    def figures(self, fallback: date | None = None) -> LoanFigures:
        """The figures from the current terms; the advance date is the closing date, else ``fallback`` (the
        latest disclosure's issue date, else today). Raises DisclosureError."""
        if fallback is None:
            latest = self.latest_disclosure
            fallback = latest.issued_on if latest else self.today
        if fallback not in self._figures:
            self._figures[fallback] = figures_for(self.application, fallback, fees=self.fees)
        return self._figures[fallback]

    @builtins.property  # the `property` field hides the builtin in this class
    def rate_set_on(self) -> date:
        return self.application.application_date or self.today

    @builtins.property  # the `property` field hides the builtin in this class
    def term_years(self) -> int:
        product = self.application.product
        per_year = amortization.FREQUENCIES.get(product.payment_frequency, 12)
        return max(1, round(product.term_periods / per_year))

    def apor(self) -> AveragePrimeOfferRate | None:
        if "row" not in self._apor:
            self._apor["row"] = apor_for(as_of=self.rate_set_on, term_years=self.term_years)
        return self._apor["row"]

    @builtins.property  # the `property` field hides the builtin in this class
    def is_manufactured_home(self) -> bool:
        return self.property is not None and self.property.property_type == "manufactured"


def check_context(application: Application, today: date) -> CheckContext:
    disclosures = list(application.disclosures.order_by("issued_on", "id"))
    return CheckContext(
        application=application,
        today=today,
        fees=list(application.product.fees.all()),
        loan_estimates=[d for d in disclosures if d.kind == Disclosure.Kind.LOAN_ESTIMATE],
        closing_disclosures=[d for d in disclosures if d.kind == Disclosure.Kind.CLOSING_DISCLOSURE],
        truth_in_lending=[d for d in disclosures if d.kind == Disclosure.Kind.TRUTH_IN_LENDING],
        finding=application.findings.order_by("-run_at", "-id").first(),
        property=Property.objects.filter(application=application).first(),
    )


def exempt_business_credit(ctx: CheckContext) -> CheckOutcome:
    return CheckOutcome(
        NA, f"Business-purpose credit is exempt from Regulation Z (1026.3(a)); this is a {ctx.kind_label} loan.", {}
    )


def not_a_mortgage(ctx: CheckContext, rule: str) -> CheckOutcome:
    return CheckOutcome(
        NA, f"{rule} covers consumer credit secured by a dwelling; this is a {ctx.kind_label} loan.", {}
    )
