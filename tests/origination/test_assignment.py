"""Loan officers for new applications (round robin among the active ones) and a manager's reassignment."""

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Application
from origination.services import intake
from origination.services.assignment import loan_officer_next
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory, LoanProductFactory
from tests.origination.test_intake_apply import start

pytestmark = pytest.mark.django_db


def _officers(count: int):
    return [user_with_role(roles.LOAN_OFFICER, email=f"lo{i}@lending.test") for i in range(count)]


def _online_application(product):
    borrower = user_with_role(roles.BORROWER)
    return intake.application_start(actor=borrower, product=product, purpose="purchase")


def test_online_applications_go_to_the_active_loan_officers_in_turn():
    first, second, gone, third = _officers(4)
    gone.is_active = False
    gone.save()
    user_with_role(roles.PROCESSOR)  # not a loan officer
    product = LoanProductFactory()

    assigned = [_online_application(product).loan_officer for _ in range(5)]

    assert assigned == [first, second, third, first, second]
    event = AuditEvent.objects.filter(verb="application.started").order_by("pk").first()
    assert event.after["loan_officer"] == "lo0@lending.test"
    assert event.note == "Loan officer assigned in turn (round robin)."


def test_the_turn_survives_an_officer_joining_and_one_leaving():
    first, second = _officers(2)
    assert [loan_officer_next(), loan_officer_next()] == [first, second]
    newcomer = user_with_role(roles.LOAN_OFFICER, email="new@lending.test")
    first.is_active = False
    first.save()
    assert [loan_officer_next(), loan_officer_next(), loan_officer_next()] == [newcomer, second, newcomer]


def test_an_officer_starting_an_application_keeps_it_and_the_turn_does_not_move():
    first, second = _officers(2)
    borrower = user_with_role(roles.BORROWER)
    application = intake.application_start(
        actor=second, product=LoanProductFactory(), purpose="purchase", applicant=borrower, loan_officer=second
    )
    assert application.loan_officer == second
    assert loan_officer_next() == first


def test_no_active_loan_officer_leaves_the_application_unassigned():
    assert _online_application(LoanProductFactory()).loan_officer is None


def test_an_application_from_apply_gets_a_loan_officer(client):
    (officer,) = _officers(1)
    response = start(client, LoanProductFactory())
    assert response.status_code == 302
    assert Application.objects.get().loan_officer == officer


def test_a_manager_reassigns_the_loan_officer_from_the_workspace_audited(client):
    first, second = _officers(2)
    application = ApplicationFactory(loan_officer=first)
    manager = user_with_role(roles.MANAGER)
    client.force_login(manager)
    detail = reverse("origination:application-detail", args=[application.pk])
    body = client.get(detail).content.decode()
    assert 'data-testid="reassign-officer"' in body
    assert f'<option value="{first.pk}" selected>' in body

    url = reverse("origination:application-loan-officer", args=[application.pk])
    response = client.post(url, {"loan_officer": second.pk})

    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).loan_officer == second
    event = AuditEvent.objects.get(verb="application.loan_officer_assigned")
    assert (event.actor, event.before, event.after) == (
        manager,
        {"loan_officer": "lo0@lending.test"},
        {"loan_officer": "lo1@lending.test"},
    )


@pytest.mark.parametrize("role", [roles.LOAN_OFFICER, roles.PROCESSOR, roles.BORROWER])
def test_only_a_manager_may_reassign(client, role):
    first, second = _officers(2)
    application = ApplicationFactory(loan_officer=first)
    client.force_login(user_with_role(role))
    response = client.post(
        reverse("origination:application-loan-officer", args=[application.pk]), {"loan_officer": second.pk}
    )
    assert response.status_code == 403
    assert Application.objects.get(pk=application.pk).loan_officer == first
    if role != roles.BORROWER:
        body = client.get(reverse("origination:application-detail", args=[application.pk])).content.decode()
        assert 'data-testid="reassign-officer"' not in body


def test_reassigning_to_someone_who_is_not_an_active_loan_officer_changes_nothing(client):
    (first,) = _officers(1)
    processor = user_with_role(roles.PROCESSOR)
    application = ApplicationFactory(loan_officer=first)
    client.force_login(user_with_role(roles.MANAGER))
    url = reverse("origination:application-loan-officer", args=[application.pk])
    for value in (processor.pk, "abc", "99999999999999999999"):
        assert client.post(url, {"loan_officer": value}).status_code == 302
    assert Application.objects.get(pk=application.pk).loan_officer == first
    assert not AuditEvent.objects.filter(verb="application.loan_officer_assigned").exists()
