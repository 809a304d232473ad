"""The borrower sees the adverse-action notice of a denied application in the portal, and only their own."""

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from origination.models import AdverseActionNotice
from origination.services.credit import credit_pull
from origination.services.underwriting import underwriting_decide
from tests.core.factories import user_with_role
from tests.origination.factories_underwriting import underwriting_application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def denied():
    borrower = user_with_role(roles.BORROWER, email="denied@example.test")
    application = underwriting_application(applicant=borrower)
    underwriter = user_with_role(roles.UNDERWRITER)
    credit_pull(actor=underwriter, application=application)
    underwriting_decide(
        actor=underwriter,
        application=application,
        outcome="denied",
        reasons=["excessive_obligations"],
        note="DTI 52 %",
        expected_status="underwriting",
    )
    return application, borrower


def test_the_documents_panel_lists_the_notice_and_the_borrower_downloads_it(client, denied):
    application, borrower = denied
    notice = AdverseActionNotice.objects.get(application=application)
    client.force_login(borrower)
    panel = client.get(reverse("origination_portal:documents-panel", args=[application.pk])).content.decode()
    url = reverse("origination_portal:adverse-action-notice", args=[application.pk])
    assert 'data-testid="adverse-action-notice"' in panel
    assert f'<a href="{url}">Download the notice (PDF)</a>' in panel
    shown = timezone.localtime(notice.generated_at)  # the page shows the lender's local date, not UTC's
    assert f"({shown:%b} {shown.day}, {shown.year})" in panel

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="adverse-action-{application.number}.pdf"'
    body = b"".join(response.streaming_content)
    with notice.file.open("rb") as handle:
        assert body == handle.read()


def test_another_borrower_gets_404_for_the_notice(client, denied):
    application, _ = denied
    client.force_login(user_with_role(roles.BORROWER, email="other@example.test"))
    url = reverse("origination_portal:adverse-action-notice", args=[application.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("origination_portal:documents-panel", args=[application.pk])).status_code == 404


def test_no_notice_is_listed_or_served_before_a_denial(client):
    borrower = user_with_role(roles.BORROWER)
    application = underwriting_application(applicant=borrower)
    client.force_login(borrower)
    panel = client.get(reverse("origination_portal:documents-panel", args=[application.pk])).content.decode()
    assert "adverse-action-notice" not in panel
    url = reverse("origination_portal:adverse-action-notice", args=[application.pk])
    assert client.get(url).status_code == 404


def test_staff_use_their_own_link_not_the_portals(client, denied):
    application, _ = denied
    client.force_login(user_with_role(roles.UNDERWRITER))
    url = reverse("origination_portal:adverse-action-notice", args=[application.pk])
    assert client.get(url).status_code == 403
