"""The HMDA page and download (/staff/reports/hmda/, managers only) and the hmda_lar command."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from origination.models import Property
from tests.core.factories import user_with_role
from tests.origination.factories_hmda import LEI, denied, originated

pytestmark = pytest.mark.django_db
PAGE = "/staff/reports/hmda/"
DOWNLOAD = "/staff/reports/hmda/download/"


@pytest.fixture(autouse=True)
def _lei(settings):
    settings.LENDING_LEI = LEI


def test_urls():
    assert reverse("hmda:lar") == PAGE
    assert reverse("hmda:download") == DOWNLOAD


@pytest.mark.parametrize("role", [r for r in roles.ALL_ROLES if r != roles.MANAGER])
def test_only_managers(client, role):
    client.force_login(user_with_role(role))
    assert client.get(PAGE, {"year": 2026}).status_code == 403
    assert client.get(DOWNLOAD, {"year": 2026}).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_clean_year_shows_counts_and_downloads_the_file(client):
    originated()
    denied()
    manager = user_with_role(roles.MANAGER)
    client.force_login(manager)
    page = client.get(PAGE, {"year": 2026})
    assert page.status_code == 200
    html = page.content.decode()
    assert "2026: 2 applications" in html
    assert '1 · Loan originated</td><td class="text-end">1</td>' in html
    assert '3 · Application denied</td><td class="text-end">1</td>' in html
    assert 'data-testid="hmda-download"' in html
    assert "<code>mlo_nmlsr_id</code>" in html  # the not-captured list

    response = client.get(DOWNLOAD, {"year": 2026})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{LEI}_2026_LAR.txt"'
    lines = response.content.decode().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith(f"|9|2|12-3456789|{LEI}")
    assert [line.split("|")[11] for line in lines[1:]] == ["20260417", "20260610"]  # action taken dates
    assert all(len(line.split("|")) == 110 for line in lines[1:])
    event = AuditEvent.objects.get(verb="hmda.lar_download")
    assert event.actor == manager
    assert event.after == {"year": 2026, "rows": 2}


def test_errors_are_listed_per_application_and_block_the_download(client):
    application = denied()
    Property.objects.filter(application=application).update(census_tract="123")
    client.force_login(user_with_role(roles.MANAGER))
    page = client.get(PAGE, {"year": 2026})
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 edit error:" in html
    assert f'<a href="/staff/origination/applications/{application.pk}/">A-2026-000102</a>' in html
    assert "123 is not an 11-digit census tract" in html
    assert 'data-testid="hmda-download"' not in html

    blocked = client.get(DOWNLOAD, {"year": 2026})
    assert blocked.status_code == 409
    assert "123 is not an 11-digit census tract" in blocked.content.decode()
    assert not AuditEvent.objects.filter(verb="hmda.lar_download").exists()


@pytest.mark.parametrize("year", ["2017", "abc"])
def test_a_bad_year_is_a_400_with_the_field_error(client, year):
    client.force_login(user_with_role(roles.MANAGER))
    assert client.get(PAGE, {"year": year}).status_code == 400
    assert client.get(DOWNLOAD, {"year": year}).status_code == 400


def test_command_writes_the_file(tmp_path):
    originated()
    target = tmp_path / "lar.txt"
    err = StringIO()
    call_command("hmda_lar", "--year", "2026", "--output", str(target), stderr=err)
    lines = target.read_text().splitlines()
    assert [line[:2] for line in lines] == ["1|", "2|"]
    assert lines[1].split("|")[2] == f"{LEI}A202600010143"
    assert err.getvalue().strip() == f"Wrote {target}: 1 application row for 2026."


def test_command_to_stdout_and_refusing_a_file_that_fails_its_edits():
    application = originated()
    out = StringIO()
    call_command("hmda_lar", "--year", "2026", stdout=out)
    assert out.getvalue().count("\n") == 2
    Property.objects.filter(application=application).update(census_tract="")
    err = StringIO()
    with pytest.raises(CommandError, match="The 2026 file fails 1 edit"):
        call_command("hmda_lar", "--year", "2026", stdout=StringIO(), stderr=err)
    assert "A-2026-000101: census_tract: blank is not an 11-digit census tract (validity edit)" in err.getvalue()
