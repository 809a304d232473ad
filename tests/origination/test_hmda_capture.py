"""Capturing HMDA data: the demographic step's rules, and the staff page for the census tract and collection by
visual observation or surname (any status, origination staff only)."""

import pytest

from lending.core import roles
from lending.core.models import AuditEvent
from origination.forms.intake.demographics import DemographicsForm
from origination.models import Demographics, Property
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory, BorrowerFactory, ConsumerProductFactory, PropertyFactory
from tests.origination.factories_hmda import denied

pytestmark = pytest.mark.django_db


def _url(application) -> str:
    return f"/staff/origination/applications/{application.pk}/hmda/"


def test_demographics_need_an_answer_or_the_decline_box_not_both():
    borrower = BorrowerFactory()
    key = f"b{borrower.pk}"
    data = {f"{key}_ethnicity": ["2"], f"{key}_ethnicity_declined": "on", f"{key}_sex": ["1"]}
    form = DemographicsForm(data, borrowers=[borrower])
    assert not form.is_valid()
    assert form.errors == {
        f"{key}_ethnicity": ['Choose ethnicity designations or "I do not wish to provide this information", not both.'],
        f"{key}_race": ['Choose at least one designation, or "I do not wish to provide this information".'],
    }


def test_demographics_rows_keep_the_forms_order_of_codes():
    borrower = BorrowerFactory()
    key = f"b{borrower.pk}"
    data = {f"{key}_ethnicity": ["11", "1"], f"{key}_race": ["22", "2"], f"{key}_sex": ["2", "1"]}
    form = DemographicsForm(data, borrowers=[borrower])
    assert form.is_valid(), form.errors
    assert form.rows() == [
        {
            "borrower": borrower.pk,
            "ethnicity": ["1", "11"],
            "ethnicity_declined": False,
            "race": ["2", "22"],
            "race_declined": False,
            "sex": ["1", "2"],
            "sex_declined": False,
        }
    ]


def test_staff_record_the_tract_and_observation_after_the_denial(client):
    application = denied()  # final action taken: HMDA data is still completed up to the filing
    borrower = application.borrowers.get()
    key = f"b{borrower.pk}"
    officer = user_with_role(roles.LOAN_OFFICER)
    client.force_login(officer)
    page = client.get(_url(application)).content.decode()
    assert 'value="17031071500"' in page
    assert f'name="{key}_sex_observed"' in page
    answers = {f"{key}_ethnicity": ["1", "11"], f"{key}_race": ["3"], f"{key}_sex": ["1"], f"{key}_sex_observed": "on"}
    response = client.post(_url(application), {"census_tract": "17031081000", **answers})
    assert response.status_code == 302
    assert Property.objects.get(application=application).census_tract == "17031081000"
    info = Demographics.objects.get(borrower=borrower)
    assert (info.ethnicity_observed, info.race_observed, info.sex_observed) == (False, False, True)
    events = AuditEvent.objects.filter(actor=officer, verb__startswith="application.").order_by("id")
    verbs = list(events.values_list("verb", "before", "after"))
    unchanged = {"ethnicity": ["1", "11"], "ethnicity_declined": False, "race": ["3"], "race_declined": False}
    unchanged |= {"sex": ["1"], "sex_declined": False, "ethnicity_observed": False, "race_observed": False}
    assert verbs == [
        ("application.census_tract_saved", {"census_tract": "17031071500"}, {"census_tract": "17031081000"}),
        (
            "application.demographics_saved",
            {**unchanged, "sex_observed": False},
            {"borrower": borrower.pk, **unchanged, "sex_observed": True},
        ),
    ]


def test_a_borrower_left_blank_is_not_collected_yet_and_the_tract_still_saves(client):
    application = denied()
    Demographics.objects.all().delete()
    client.force_login(user_with_role(roles.MANAGER))
    response = client.post(_url(application), {"census_tract": "17031081000"})
    assert response.status_code == 302
    assert not Demographics.objects.exists()
    assert Property.objects.get(application=application).census_tract == "17031081000"


ONLY_AGGREGATES = "By visual observation or surname, note one of: "


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"ethnicity": ["11"], "ethnicity_observed": "on", "race": ["5"], "sex": ["1"]},
         ONLY_AGGREGATES + "Hispanic or Latino, Not Hispanic or Latino."),
        ({"ethnicity": ["2"], "race": ["2", "22"], "race_observed": "on", "sex": ["1"]},
         ONLY_AGGREGATES + "American Indian or Alaska Native, Asian, Black or African American, "
                           "Native Hawaiian or Other Pacific Islander, White."),
        ({"ethnicity": ["2"], "race": ["5"], "sex_declined": "on", "sex_observed": "on"},
         ONLY_AGGREGATES + "Male, Female."),
        ({"ethnicity": ["2"], "race": ["5"], "sex": ["1", "2"], "sex_observed": "on"},
         ONLY_AGGREGATES + "Male, Female."),
    ],
)  # fmt: skip
def test_observation_notes_only_the_aggregate_categories(client, answers, message):
    application = denied()
    key = f"b{application.borrowers.get().pk}"
    client.force_login(user_with_role(roles.MANAGER))
    data = {f"{key}_{name}": value for name, value in answers.items()}
    response = client.post(_url(application), {"census_tract": "17031071500", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Demographics.objects.get().ethnicity == ["1", "11"]  # unchanged


@pytest.mark.parametrize(
    ("tract", "message"),
    [
        ("1703107150", "A census tract is 11 digits: state (2), county (3) and tract (6)."),
        ("1703107150X", "A census tract is 11 digits: state (2), county (3) and tract (6)."),
        ("18031071500", "A property in IL has a tract starting with state code 17."),
    ],
)
def test_a_bad_tract_is_a_field_error_and_nothing_changes(client, tract, message):
    application = denied()
    client.force_login(user_with_role(roles.PROCESSOR))
    response = client.post(_url(application), {"census_tract": tract})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Property.objects.get(application=application).census_tract == "17031071500"
    assert not AuditEvent.objects.filter(verb="application.census_tract_saved").exists()


def test_without_a_property_the_tract_cannot_be_saved(client):
    application = ApplicationFactory()
    client.force_login(user_with_role(roles.MANAGER))
    response = client.post(_url(application), {"census_tract": "17031071500"})
    assert response.status_code == 400
    assert "Enter the subject property before its census tract." in response.content.decode()
    assert not Property.objects.exists()
    assert not AuditEvent.objects.filter(verb="application.census_tract_saved").exists()


@pytest.mark.parametrize("role", [roles.SERVICER, roles.COLLECTOR, roles.BORROWER])
def test_roles_outside_origination_get_403(client, role):
    application = ApplicationFactory()
    subject = PropertyFactory(application=application)
    client.force_login(user_with_role(role))
    assert client.get(_url(application)).status_code == 403
    assert client.post(_url(application), {"census_tract": "17031071500"}).status_code == 403
    assert Property.objects.get(pk=subject.pk).census_tract == subject.census_tract
    assert not AuditEvent.objects.filter(verb="application.census_tract_saved").exists()


def test_a_consumer_loan_has_no_hmda_page(client):
    application = ApplicationFactory(product=ConsumerProductFactory())
    client.force_login(user_with_role(roles.MANAGER))
    assert client.get(_url(application)).status_code == 404


def test_the_workspace_links_to_the_hmda_page_for_mortgages_only(client):
    mortgage = ApplicationFactory()
    consumer = ApplicationFactory(product=ConsumerProductFactory())
    client.force_login(user_with_role(roles.MANAGER))
    link = f'<a href="{_url(mortgage)}" data-testid="hmda-data-link">'
    assert link in client.get(f"/staff/origination/applications/{mortgage.pk}/").content.decode()
    assert (
        'data-testid="hmda-data-link"'
        not in client.get(f"/staff/origination/applications/{consumer.pk}/").content.decode()
    )


def test_staff_enter_the_demographic_step_in_the_workspace_while_intake_is_open(client):
    application = ApplicationFactory()  # a draft mortgage
    primary = BorrowerFactory(application=application)
    co = BorrowerFactory(application=application, is_primary=False)
    officer = user_with_role(roles.LOAN_OFFICER)
    client.force_login(officer)
    url = f"/staff/origination/applications/{application.pk}/intake/demographics/"
    page = client.get(url).content.decode()
    assert 'data-testid="demographics-notice"' in page
    assert f'name="b{co.pk}_race_declined"' in page
    answers = {f"b{primary.pk}_ethnicity": ["2"], f"b{primary.pk}_race": ["5"], f"b{primary.pk}_sex": ["2"]}
    answers |= {f"b{co.pk}_ethnicity_declined": "on", f"b{co.pk}_race_declined": "on", f"b{co.pk}_sex": ["1"]}
    response = client.post(url, answers)
    assert response.status_code == 302
    saved = {
        d.borrower_id: (d.ethnicity, d.ethnicity_declined, d.race, d.race_declined, d.sex)
        for d in Demographics.objects.all()
    }
    assert saved == {primary.pk: (["2"], False, ["5"], False, ["2"]), co.pk: ([], True, [], True, ["1"])}
    assert AuditEvent.objects.filter(actor=officer, verb="application.demographics_saved").count() == 2


def test_a_missing_answer_on_the_demographic_step_is_a_field_error(client):
    application = ApplicationFactory()
    primary = BorrowerFactory(application=application)
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = f"/staff/origination/applications/{application.pk}/intake/demographics/"
    response = client.post(url, {f"b{primary.pk}_ethnicity": ["2"], f"b{primary.pk}_race": ["5"]})
    assert response.status_code == 400
    assert "Choose at least one designation, or &quot;I do not wish to provide this information&quot;." in (
        response.content.decode()
    )
    assert not Demographics.objects.exists()
