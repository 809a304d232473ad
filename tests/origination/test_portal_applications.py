"""The portal home's applications, read by SQL compiled once per process: the borrower's own, newest first,
with the related rows (product, applicant, officer) the queryset it replaced gave."""

import pytest

from origination import selectors
from tests.core.factories import UserFactory
from tests.origination.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def _shown(applications):
    return [
        (a.pk, a.number, a.product.name, a.applicant.email, a.loan_officer and a.loan_officer.email, a.created_at)
        for a in applications
    ]


def test_applications_for_borrower_are_the_replaced_querysets_rows():
    ann, bob, officer = UserFactory(), UserFactory(), UserFactory()
    ApplicationFactory(applicant=ann)
    ApplicationFactory(applicant=bob)
    ApplicationFactory(applicant=ann, loan_officer=officer)
    for user in (ann, bob, UserFactory(), ann):
        replaced = selectors.application_queryset().filter(applicant=user).order_by("-created_at")
        assert _shown(selectors.applications_for_borrower(user=user)) == _shown(replaced)
    assert len(selectors.applications_for_borrower(user=ann)) == 2
