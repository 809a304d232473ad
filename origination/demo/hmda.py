"""The demo's HMDA data: each mortgage borrower answers the demographic questions, and the loan officer records
the home's census tract, so the demo year's Loan/Application Register passes its edits."""

from __future__ import annotations

from lending.core.models import User
from origination.demo.scenarios import CENSUS_TRACTS, DEMOGRAPHICS, Scenario
from origination.models import Application
from origination.services import intake


def hmda_data_enter(scenario: Scenario, application: Application, actor: User, officer: User) -> None:
    ethnicity, race, sex = DEMOGRAPHICS[scenario.person]
    row: dict = {"borrower": application.borrowers.get(is_primary=True).pk}
    for name, codes in (("ethnicity", ethnicity), ("race", race), ("sex", sex)):
        row |= {name: codes or [], f"{name}_declined": codes is None}
    intake.demographics_save(actor=actor, application=application, rows=[row])
    tract = CENSUS_TRACTS[scenario.home.street]  # type: ignore[union-attr]  # mortgages only
    intake.hmda_details_save(actor=officer, application=application, census_tract=tract, demographics=[])
