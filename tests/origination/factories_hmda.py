"""Constructed applications with a final action in 2026, for the HMDA LAR tests: each has the demographics,
census tract, transitions and (originated) disclosure its row reads."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from lending.core.models import User
from origination.models import Application, Decision, Demographics, TransitionLog
from tests.core.factories import UserFactory
from tests.origination.factories import ApplicationFactory, BorrowerFactory, EmploymentFactory, PropertyFactory
from tests.origination.factories_compliance import AporFactory, DisclosureFactory

NEW_YORK = ZoneInfo("America/New_York")
LEI = "10BX939C5543TQA1144M"  # Appendix C's example LEI, in capitals


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), NEW_YORK)


def demographics(borrower, **values) -> Demographics:
    return Demographics.objects.create(borrower=borrower, **values)


def _application(**fields: Any) -> Application:
    return cast(Application, ApplicationFactory(**fields))


def finish(application: Application, *, status: str, from_status: str, on: date) -> Application:
    """Put the application in its final status as the workflow would have, with the transition logged."""
    TransitionLog.objects.create(
        application=application,
        transition=status,
        from_status=from_status,
        to_status=status,
        created_at=at(on),
    )
    Application.objects.filter(pk=application.pk).update(status=status, status_changed_at=at(on))
    application.refresh_from_db()
    return application


def originated() -> Application:
    """A-2026-000101: a purchase closed 2026-04-17, two borrowers, a Closing Disclosure APR of 6.662 %."""
    AporFactory(effective_date=date(2026, 2, 23), term_years=30, rate=Decimal("6.2000"))
    application = _application(
        number="A-2026-000101",
        purpose="purchase",
        amount_requested=Decimal("300000.00"),
        application_date=date(2026, 3, 2),
        submitted_at=at(date(2026, 3, 2)),
        closing_date=date(2026, 4, 17),
    )
    primary = BorrowerFactory(application=application, date_of_birth=date(1985, 5, 17))
    co = BorrowerFactory(application=application, is_primary=False, date_of_birth=date(1987, 9, 30))
    EmploymentFactory(borrower=primary, monthly_base_income=Decimal("9000.00"))
    EmploymentFactory(borrower=co, monthly_base_income=Decimal("4500.00"), monthly_other_income=Decimal("250.00"))
    demographics(primary, ethnicity=["2"], race=["5"], sex=["2"])
    demographics(co, ethnicity_declined=True, race=["2", "22"], sex=["1"], sex_observed=True)
    PropertyFactory(
        application=application, appraised_value=Decimal("380000.00"), census_tract="17167000100", postal_code="62704"
    )
    DisclosureFactory(
        application=application,
        kind="closing_disclosure",
        issued_on=date(2026, 4, 10),
        annual_rate=Decimal("6.5000"),
        apr=Decimal("6.6620"),
    )
    finish(application, status="closed", from_status="closing", on=date(2026, 4, 17))
    return finish(application, status="funded", from_status="closed", on=date(2026, 4, 21))


def denied() -> Application:
    """A-2026-000102: a refinance denied 2026-06-10 for debts, delinquencies and another reason; no co-applicant."""
    application = _application(
        number="A-2026-000102",
        purpose="refinance",
        amount_requested=Decimal("250000.00"),
        application_date=date(2026, 5, 4),
        submitted_at=at(date(2026, 5, 4)),
    )
    borrower = BorrowerFactory(application=application, date_of_birth=date(1970, 1, 15))
    EmploymentFactory(borrower=borrower, monthly_base_income=Decimal("5000.00"))
    demographics(borrower, ethnicity=["1", "11"], race=["3"], sex=["1"])
    PropertyFactory(
        application=application,
        address_line1="12 Elm Street",
        city="Chicago",
        postal_code="60614-1234",
        estimated_value=Decimal("320000.00"),
        census_tract="17031071500",
    )
    Decision.objects.create(
        application=application,
        outcome="denied",
        reasons=["excessive_obligations", "delinquent_obligations", "other"],
        other_reason="Flood zone without flood insurance",
        decided_by=cast(User, UserFactory()),
        decided_at=at(date(2026, 6, 10)),
    )
    return finish(application, status="denied", from_status="underwriting", on=date(2026, 6, 10))


def withdrawn() -> Application:
    """A-2026-000103: a cash-out refinance of a manufactured second home, withdrawn in processing 2026-08-20;
    the borrower declined to give ethnicity, race and sex."""
    application = _application(
        number="A-2026-000103",
        purpose="cash_out",
        amount_requested=Decimal("150000.00"),
        application_date=date(2026, 8, 3),
        submitted_at=at(date(2026, 8, 3)),
    )
    borrower = BorrowerFactory(application=application, date_of_birth=date(1990, 8, 3))
    EmploymentFactory(borrower=borrower, monthly_base_income=Decimal("6250.00"))
    demographics(borrower, ethnicity_declined=True, race_declined=True, sex_declined=True)
    PropertyFactory(
        application=application,
        address_line1="7 Prairie Lane",
        city="Champaign",
        postal_code="61820",
        property_type="manufactured",
        occupancy="second_home",
        estimated_value=Decimal("180000.00"),
        census_tract="17019000400",
    )
    return finish(application, status="withdrawn", from_status="processing", on=date(2026, 8, 20))
