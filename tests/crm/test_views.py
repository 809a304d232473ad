"""The CRM's staff pages: who may open them, what each role sees, htmx moves, and constant query counts."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Activity, Lead, ReferralPartner, Stage, Task
from lending.core import roles
from origination.models import Application, Funding
from tests.core.factories import user_with_role
from tests.crm.factories import ContactFactory, LeadFactory, PartnerFactory, TaskFactory
from tests.money_asserts import texts_by_testid
from tests.origination.factories import ApplicationFactory, LoanProductFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/staff/crm/",
    "/staff/crm/board/",
    "/staff/crm/leads/",
    "/staff/crm/leads/new/",
    "/staff/crm/leads/import/",
    "/staff/crm/tasks/",
    "/staff/crm/partners/",
    "/staff/crm/partners/new/",
]


@pytest.fixture
def lead(officer):
    return LeadFactory(officer=officer, contact=ContactFactory(first_name="Ana", last_name="Lopez"))


def _lead_urls(lead, partner, task):
    return {
        "get": [f"/staff/crm/leads/{lead.pk}/", f"/staff/crm/partners/{partner.pk}/"],
        "post": [
            f"/staff/crm/leads/{lead.pk}/move/",
            f"/staff/crm/leads/{lead.pk}/activity/",
            f"/staff/crm/leads/{lead.pk}/tasks/",
            f"/staff/crm/leads/{lead.pk}/convert/",
            f"/staff/crm/leads/{lead.pk}/reassign/",
            f"/staff/crm/tasks/{task.pk}/done/",
            f"/staff/crm/leads/{lead.pk}/referral/",
            f"/staff/crm/leads/{lead.pk}/link-application/",
        ],
    }


def test_anonymous_visitors_are_sent_to_sign_in_and_borrowers_and_other_staff_get_403(client, lead, borrower):
    partner, task = PartnerFactory(), TaskFactory(lead=lead)
    urls = _lead_urls(lead, partner, task)
    for url in PAGES + urls["get"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    for url in urls["post"]:
        assert client.post(url).status_code == 302, url
    for user in (borrower, user_with_role(roles.PROCESSOR), user_with_role(roles.SERVICER)):
        client.force_login(user)
        for url in PAGES + urls["get"]:
            assert client.get(url).status_code == 403, (user, url)
        for url in urls["post"]:
            assert client.post(url).status_code == 403, (user, url)
    assert Lead.objects.get().stage == "new"


def test_a_loan_officer_gets_404_for_another_officers_lead(client, lead, other_officer):
    task = TaskFactory(lead=lead)
    client.force_login(other_officer)
    urls = _lead_urls(lead, PartnerFactory(), task)
    assert client.get(urls["get"][0]).status_code == 404
    for url in urls["post"][:4] + urls["post"][5:]:
        assert client.post(url, {"stage": "contacted", "kind": "note", "subject": "x"}).status_code == 404, url
    assert client.post(urls["post"][4], {"officer": other_officer.pk}).status_code == 403  # managers only
    lead.refresh_from_db()
    assert (lead.stage, lead.officer_id, lead.referral_partner_id, lead.application_id) == (
        "new",
        lead.officer_id,
        None,
        None,
    )
    assert not Activity.objects.filter(kind="note", subject="x").exists()
    assert Task.objects.get().done_at is None


def test_officers_see_their_own_leads_and_managers_see_all(client, officer, other_officer, manager, lead):
    theirs = LeadFactory(officer=other_officer, contact=ContactFactory(first_name="Zed", last_name="Zimmer"))
    client.force_login(officer)
    page = client.get("/staff/crm/leads/")
    assert [row.pk for row in page.context["page"]] == [lead.pk]
    assert "Zimmer" not in page.content.decode()
    board = client.get("/staff/crm/board/").content.decode()
    assert "Lopez" in board
    assert "Zimmer" not in board
    client.force_login(manager)
    assert {row.pk for row in client.get("/staff/crm/leads/").context["page"]} == {lead.pk, theirs.pk}
    only_oscar = client.get(f"/staff/crm/leads/?officer={other_officer.pk}")
    assert [row.pk for row in only_oscar.context["page"]] == [theirs.pk]
    assert client.get(f"/staff/crm/leads/{theirs.pk}/").status_code == 200


def test_the_list_filters_by_stage_and_search(client, officer, lead):
    LeadFactory(officer=officer, stage=Stage.CONTACTED, contact=ContactFactory(last_name="Baker"))
    client.force_login(officer)
    assert [r.contact.last_name for r in client.get("/staff/crm/leads/?stage=contacted").context["page"]] == ["Baker"]
    assert [r.contact.last_name for r in client.get("/staff/crm/leads/?q=lop").context["page"]] == ["Lopez"]


def test_an_htmx_move_answers_with_the_board_and_a_bad_move_with_a_422(client, officer, lead):
    client.force_login(officer)
    response = client.post(f"/staff/crm/leads/{lead.pk}/move/", {"stage": "contacted"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.templates[0].name == "crm/_board_columns.html"
    html = response.content.decode()
    # The moved card now offers the moves out of Contacted, posted back to its own URL.
    assert f'hx-post="/staff/crm/leads/{lead.pk}/move/"' in html
    assert '<option value="qualified">Qualified</option><option value="lost">Lost</option>' in html
    contacted = next(c for c in response.context["columns"] if c["stage"] == "contacted")
    assert [card.pk for card in contacted["cards"]] == [lead.pk]
    bad = client.post(f"/staff/crm/leads/{lead.pk}/move/", {"stage": "lost"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422
    assert "Say why the lead was lost." in bad.content.decode()
    lead.refresh_from_db()
    assert lead.stage == "contacted"


def test_a_plain_move_from_the_lead_page_redirects_back(client, officer, lead):
    client.force_login(officer)
    response = client.post(
        f"/staff/crm/leads/{lead.pk}/move/", {"stage": "lost", "lost_reason": "Moved away", "back": "lead"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/crm/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert (lead.stage, lead.lost_reason) == ("lost", "Moved away")


def test_manual_entry_by_an_officer_assigns_the_lead_to_them(client, officer, other_officer):
    client.force_login(other_officer)
    from tests.crm.factories import LeadSourceFactory

    source = LeadSourceFactory(code="walk-in", name="Walk-in")
    response = client.post(
        "/staff/crm/leads/new/",
        {"last_name": "Nguyen", "first_name": "Bao", "phone": "555-010-0200", "source": source.pk, "consent": "on"},
    )
    lead = Lead.objects.select_related("contact").get()
    assert response["Location"] == f"/staff/crm/leads/{lead.pk}/"
    assert (lead.officer, lead.contact.consent_source, lead.created_by) == (other_officer, "manual", other_officer)


def test_manual_entry_without_email_or_phone_is_a_form_error(client, officer):
    from tests.crm.factories import LeadSourceFactory

    client.force_login(officer)
    response = client.post("/staff/crm/leads/new/", {"last_name": "Nguyen", "source": LeadSourceFactory().pk})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Give an email address or a phone number."]
    assert not Lead.objects.exists()


def test_activity_and_task_forms_on_the_lead_page(client, officer, lead):
    client.force_login(officer)
    assert (
        client.post(f"/staff/crm/leads/{lead.pk}/activity/", {"kind": "call", "subject": "Intro call"}).status_code
        == 302
    )
    bad = client.post(f"/staff/crm/leads/{lead.pk}/activity/", {"kind": "call", "subject": ""})
    assert bad.status_code == 400
    assert bad.context["activity_form"].errors == {"subject": ["This field is required."]}
    assert (
        client.post(f"/staff/crm/leads/{lead.pk}/tasks/", {"title": "Call back", "due_date": "2026-03-02"}).status_code
        == 302
    )
    assert client.post(f"/staff/crm/leads/{lead.pk}/tasks/", {"title": "x", "due_date": "soon"}).status_code == 400
    task = Task.objects.get()
    done = client.post(f"/staff/crm/tasks/{task.pk}/done/", {"next": "https://evil.example/"})
    assert done["Location"] == "/staff/crm/tasks/"  # never off-site
    task.refresh_from_db()
    assert task.done_at is not None
    page = client.get(f"/staff/crm/leads/{lead.pk}/").content.decode()
    assert "Intro call" in page
    assert "<s>Call back</s>" in page


def test_converting_from_the_lead_page_opens_the_application_in_the_pipeline(client, officer, lead):
    Lead.objects.filter(pk=lead.pk).update(stage=Stage.QUALIFIED)
    product = LoanProductFactory(code="fixed-30")
    client.force_login(officer)
    page = client.get(f"/staff/crm/leads/{lead.pk}/")
    assert page.context["convert_form"] is not None
    response = client.post(f"/staff/crm/leads/{lead.pk}/convert/", {"product": product.pk, "purpose": "purchase"})
    application = Application.objects.get()
    assert response["Location"] == f"/staff/crm/leads/{lead.pk}/"
    assert application.loan_officer == officer
    followed = client.get(response["Location"]).content.decode()
    assert f"Application {application.number} opened for Ana Lopez." in followed
    assert f'href="/staff/origination/applications/{application.pk}/"' in followed


def test_a_manager_reassigns_from_the_lead_page(client, manager, other_officer, lead):
    client.force_login(manager)
    response = client.post(f"/staff/crm/leads/{lead.pk}/reassign/", {"officer": other_officer.pk})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.officer == other_officer


def test_the_import_page_reports_every_row(client, officer):
    client.force_login(officer)
    upload = SimpleUploadedFile("leads.csv", b"last_name,email\nLopez,ana@example.com\n,bad\n", "text/csv")
    response = client.post("/staff/crm/leads/import/", {"file": upload})
    assert response.status_code == 200
    assert "2 rows: 1 new, 0 merged, 1 with errors." in response.content.decode()
    bad = client.post("/staff/crm/leads/import/", {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")})
    assert bad.status_code == 400
    # The one good row made one lead; the bad row and the refused file made none.
    lead = Lead.objects.select_related("contact").get()
    assert (lead.contact.last_name, lead.contact.email, lead.officer) == ("Lopez", "ana@example.com", officer)


def test_partner_page_shows_referred_volume_conversion_and_funded_amount(client, manager, officer):
    partner = PartnerFactory(name="Amy Agent", company="")
    LeadFactory(officer=officer, referral_partner=partner)
    LeadFactory(officer=officer, referral_partner=partner, stage=Stage.LOST, lost_reason="Rate")
    LeadFactory(officer=officer, referral_partner=partner, stage=Stage.APPLICATION, application=ApplicationFactory())
    funded_app = ApplicationFactory()
    LeadFactory(officer=officer, referral_partner=partner, stage=Stage.WON, application=funded_app)
    Funding.objects.create(
        application=funded_app,
        loan_amount=Decimal("300000.00"),
        disbursed_amount=Decimal("297000.00"),
        funded_on="2026-03-02",
        method="wire",
        funded_by=manager,
    )
    LeadFactory(officer=officer)  # not referred
    client.force_login(manager)
    response = client.get(f"/staff/crm/partners/{partner.pk}/")
    # 4 referred; 2 became applications (50%); 1 funded (25%) for $300,000.00.
    stats = response.context["stats"]
    assert (stats["referred"], stats["applied"], stats["applied_rate"], stats["won"], stats["won_rate"]) == (
        4,
        2,
        50,
        1,
        25,
    )
    text = response.content.decode()
    assert '<div class="h4 mb-0" data-testid="stat-funded">$300,000.00</div>' in text
    other_app = ApplicationFactory()
    LeadFactory(officer=officer, referral_partner=PartnerFactory(name="Bob Broker"), application=other_app, stage="won")
    Funding.objects.create(
        application=other_app,
        loan_amount=Decimal("125000.50"),
        disbursed_amount=Decimal("124000.00"),
        funded_on="2026-03-03",
        method="wire",
        funded_by=manager,
    )
    PartnerFactory(name="Cal Coach")  # nobody referred yet
    listing = client.get("/staff/crm/partners/")
    rows = [
        (p.name, p.stats["referred"], p.stats["applied"], p.stats["won"], p.stats["won_rate"], p.stats["funded_amount"])
        for p in listing.context["partners"]
    ]
    assert rows == [
        ("Amy Agent", 4, 2, 1, 25, Decimal("300000.00")),
        ("Bob Broker", 1, 1, 1, 100, Decimal("125000.50")),
        ("Cal Coach", 0, 0, 0, 0, Decimal("0.00")),
    ]
    assert texts_by_testid(listing.content.decode(), "partner-funded") == ["$300,000.00", "$125,000.50", "$0.00"]


def test_adding_a_past_client_partner_links_their_contact(client, officer):
    contact = ContactFactory(email="old@example.com")
    client.force_login(officer)
    missing = client.post(
        "/staff/crm/partners/new/", {"kind": "past_client", "name": "Old Client", "contact_email": "no@x.com"}
    )
    assert missing.context["form"].errors == {"contact_email": ["No contact has this email."]}
    response = client.post("/staff/crm/partners/new/", {"kind": "past_client", "name": "Old Client"})
    assert response.context["form"].non_field_errors() == ["A past client partner links to their contact."]
    ok = client.post(
        "/staff/crm/partners/new/", {"kind": "past_client", "name": "Old Client", "contact_email": "OLD@example.com"}
    )
    partner = ReferralPartner.objects.get()
    assert ok["Location"] == f"/staff/crm/partners/{partner.pk}/"
    assert partner.contact == contact


# --- constant query counts ---------------------------------------------------------------------------------------


def _many_leads(officer, n):
    partner = PartnerFactory()
    for i in range(n):
        app = ApplicationFactory() if i % 3 == 0 else None
        stage = Stage.APPLICATION if app else Stage.NEW
        lead = LeadFactory(officer=officer, stage=stage, application=app, referral_partner=partner)
        TaskFactory(lead=lead)
        Activity.objects.create(contact=lead.contact, lead=lead, kind="note", subject="n")
    return partner


@pytest.mark.parametrize(
    "url", ["/staff/crm/", "/staff/crm/board/", "/staff/crm/leads/", "/staff/crm/tasks/", "/staff/crm/partners/"]
)
def test_list_pages_keep_a_constant_query_count(client, officer, manager, url, django_assert_max_num_queries):
    _many_leads(officer, 3)
    client.force_login(manager)
    client.get(url)  # warm the session and content types
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    _many_leads(officer, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_lead_and_partner_pages_keep_a_constant_query_count(client, officer, django_assert_max_num_queries):
    partner = _many_leads(officer, 3)
    lead = Lead.objects.first()
    client.force_login(officer)
    for url in (f"/staff/crm/leads/{lead.pk}/", f"/staff/crm/partners/{partner.pk}/"):
        client.get(url)
        with django_assert_max_num_queries(30) as few:
            client.get(url)
        for _ in range(6):
            TaskFactory(lead=lead)
            Activity.objects.create(contact=lead.contact, lead=lead, kind="call", subject="c")
        _many_leads(officer, 0)
        LeadFactory.create_batch(5, officer=officer, referral_partner=partner)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(url).status_code == 200


def test_a_manager_sets_a_sources_officer_in_the_admin(client, manager, officer):
    from tests.crm.factories import LeadSourceFactory

    source = LeadSourceFactory(code="open-house", name="Open house")
    client.force_login(manager)
    page = client.get(f"/admin/crm/leadsource/{source.pk}/change/")
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields["assign_to"].queryset) == [officer]
    response = client.post(
        f"/admin/crm/leadsource/{source.pk}/change/",
        {"code": "open-house", "name": "Open house", "assign_to": officer.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.assign_to == officer
    assert client.get("/admin/crm/referralpartner/").status_code == 200


def test_the_lead_page_records_the_referral_and_links_an_online_application(client, officer, lead):
    partner = PartnerFactory(name="Amy Agent", company="")
    application = ApplicationFactory(loan_officer=officer, number="A-2026-000777")
    client.force_login(officer)
    assert client.post(f"/staff/crm/leads/{lead.pk}/referral/", {"referral_partner": partner.pk}).status_code == 302
    missing = client.post(f"/staff/crm/leads/{lead.pk}/link-application/", {"number": "A-2026-999999"}, follow=True)
    assert "No application has this number." in missing.content.decode()
    response = client.post(f"/staff/crm/leads/{lead.pk}/link-application/", {"number": "A-2026-000777"}, follow=True)
    assert "Lead linked to application A-2026-000777." in response.content.decode()
    lead.refresh_from_db()
    assert (lead.referral_partner, lead.application, lead.stage) == (partner, application, "application")
    assert response.context["link_form"] is None  # linked: no second link
    assert Activity.objects.filter(lead=lead, subject="Referred by Amy Agent").count() == 1


def _listed(html: str) -> list[str]:
    return re.findall(r'<td><a href="([^"]+)">', html.split("<tbody>")[1].split("</tbody>")[0])


def test_the_lead_list_stops_at_its_cap_and_asks_for_a_search(client, manager, officer, monkeypatch):
    # 200,000 leads would cost a full count and a deep OFFSET per page: the list shows at most MAX_ROWS rows.
    monkeypatch.setattr("lending.core.pagination.MAX_ROWS", 2)
    monkeypatch.setattr("crm.views.leads.LIST_PAGE_SIZE", 1)
    newest = [LeadFactory(officer=officer) for _ in range(3)][::-1]
    client.force_login(manager)
    first = client.get("/staff/crm/leads/").content.decode()
    assert '<span data-testid="page-of">Page 1 of 2+</span>' in first
    assert 'data-testid="list-capped"' in first
    beyond = client.get("/staff/crm/leads/", {"page": 3}).content.decode()  # past the cap: the last page shown
    assert '<span data-testid="page-of">Page 2 of 2+</span>' in beyond
    assert _listed(beyond) == [reverse("crm:lead", args=[newest[1].pk])]  # the second newest: the cap's last row
    monkeypatch.setattr("lending.core.pagination.MAX_ROWS", 3)
    whole = client.get("/staff/crm/leads/").content.decode()
    assert '<span data-testid="page-of">Page 1 of 3</span>' in whole
    assert 'data-testid="list-capped"' not in whole
