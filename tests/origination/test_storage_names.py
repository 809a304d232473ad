"""Stored documents get random names (nothing to guess, no application number) and are downloaded under a
readable name only through the permission-checked views."""

import re
from datetime import date

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.files import random_storage_name
from origination.models import Disclosure
from origination.models.underwriting import AdverseActionNotice
from origination.services.credit import credit_pull
from origination.services.disclosures import disclosure_issue
from origination.services.underwriting import underwriting_decide
from tests.core.factories import user_with_role
from tests.origination.factories import complete_application
from tests.origination.factories_compliance import Team, closed_application
from tests.origination.factories_underwriting import underwriting_application

pytestmark = pytest.mark.django_db
RANDOM_PDF = r"[0-9a-f]{32}\.pdf"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_random_storage_name_keeps_only_a_plain_suffix():
    assert re.fullmatch(r"disclosures/[0-9a-f]{32}\.pdf", random_storage_name("disclosures", "A-2026-1.PDF"))
    assert re.fullmatch(r"documents/[0-9a-f]{32}", random_storage_name("documents", "../../etc/passwd"))
    assert random_storage_name("closing", ".pdf") != random_storage_name("closing", ".pdf")


def test_a_disclosure_is_stored_under_a_random_name_and_downloaded_under_a_readable_one(client):
    application = complete_application()
    disclosure = disclosure_issue(
        actor=user_with_role(roles.LOAN_OFFICER),
        application=application,
        kind=Disclosure.Kind.LOAN_ESTIMATE,
        issued_on=date(2026, 11, 3),
        delivery="mail",
    )
    assert re.fullmatch(rf"disclosures/{RANDOM_PDF}", disclosure.document.name)
    client.force_login(user_with_role(roles.PROCESSOR))
    pdf = client.get(reverse("origination:disclosure-download", args=[disclosure.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Disposition"] == (f'inline; filename="{application.number}-loan-estimate-{disclosure.pk}.pdf"')


def test_closing_documents_are_stored_under_random_names():
    application = closed_application(team=Team())
    names = list(application.closing_documents.values_list("file", flat=True))
    assert names
    for name in names:
        assert re.fullmatch(rf"closing/{RANDOM_PDF}", name), name


def test_the_adverse_action_notice_is_stored_under_a_random_name():
    application = underwriting_application()
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
    notice = AdverseActionNotice.objects.get(application=application)
    assert re.fullmatch(rf"adverse_action/{RANDOM_PDF}", notice.file.name)
