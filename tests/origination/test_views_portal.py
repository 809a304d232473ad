import pytest
from django.urls import reverse

from lending.core import roles
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_borrower_sees_own_applications_only(client):
    alice, bob = user_with_role(roles.BORROWER), user_with_role(roles.BORROWER)
    mine = ApplicationFactory(applicant=alice, number="A-ALICE")
    theirs = ApplicationFactory(applicant=bob, number="A-BOB")
    client.force_login(alice)
    home = client.get(reverse("portal-home")).content.decode()
    assert "A-ALICE" in home
    assert "A-BOB" not in home
    assert client.get(reverse("origination_portal:application", args=[mine.pk])).status_code == 200
    assert client.get(reverse("origination_portal:application", args=[theirs.pk])).status_code == 404


def test_staff_cannot_use_the_borrower_application_page(client):
    application = ApplicationFactory()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert client.get(reverse("origination_portal:application", args=[application.pk])).status_code == 403
