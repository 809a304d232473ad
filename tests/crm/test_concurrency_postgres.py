"""The CRM under concurrency (PostgreSQL row locks): the lead round robin and the one-contact-per-person rule."""

import pytest

from crm.models import Contact, Lead
from crm.services.public import contact_request_submit
from lending.core import roles
from tests.core.factories import user_with_role
from tests.servicing.concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_enquiries_at_once_go_to_four_officers_in_turn():
    officers = {user_with_role(roles.LOAN_OFFICER, email=f"lo{i}@lending.test").pk for i in range(4)}
    contact_request_submit(name="Warm Up", email="warm@example.com", phone="", message="x", consent=True)
    Lead.objects.all().delete()
    Contact.objects.all().delete()

    errors = run_in_threads(
        4,
        lambda i: contact_request_submit(
            name=f"Person {i}", email=f"p{i}@example.com", phone="", message="Hi", consent=True
        ),
    )

    assert errors == []
    # The warm-up took the first turn; the four after it go to the next four in turn, which is all four officers.
    assert sorted(Lead.objects.values_list("officer", flat=True)) == sorted(officers)


def test_the_same_person_twice_at_once_is_one_contact_and_one_lead():
    user_with_role(roles.LOAN_OFFICER, email="lo@lending.test")

    errors = run_in_threads(
        2,
        lambda i: contact_request_submit(
            name="Dana Doe", email="dana@example.com", phone="", message=f"Try {i}", consent=True
        ),
    )

    assert errors == []
    assert (Contact.objects.count(), Lead.objects.count()) == (1, 1)
