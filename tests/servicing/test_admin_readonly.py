"""The admin's loan screens rendered the fast way (issue 15) read exactly as the admin's own templates render them:
the read-only loan page built in one pass (servicing.admin.readonly), the changelist's rows with the per-page work
done once (servicing.admin.rows). Each page is rendered both ways and compared, whitespace aside; and who may open
them is unchanged."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.utils import flatten_fieldsets
from django.urls import reverse

from lending.core import roles
from servicing.admin import readonly, rows
from servicing.admin.loans import LoanAccountAdmin
from servicing.models import LoanAccount
from servicing.services import payments
from servicing.services.payments import payment_post
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def loan():
    loan = boarded_loan()
    for n in range(1, 4):
        installment = loan.installments.get(number=n)
        payment_post(
            loan=loan,
            amount=installment.payment,
            effective_date=TODAY,
            method="check",
            reference=f"CHK-{n}",
            idempotency_key=f"readonly:{n}",
            actor=None,
        )
    loan.refresh_from_db()
    return loan


def normalized(html: str) -> str:
    """The page without the whitespace between and around tags, and without the per-request CSRF token."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*([<>])\s*", r"\1", html)


def as_the_admin_templates_render_it(client, url, monkeypatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(readonly, "fieldsets_html", lambda adminform: None)
        patch.setattr(readonly, "inlines_html", lambda formsets: None)
        patch.setattr(rows.ResultRows, "for_changelist", classmethod(lambda cls, cl: None))
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def staff_with_role(role):
    user = user_with_role(role)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_the_read_only_loan_page_is_the_admin_templates_markup(client, loan, monkeypatch):
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("admin:servicing_loanaccount_change", args=[loan.pk])
    response = client.get(url)
    assert response.context["readonly_fieldsets"] is not None  # built in one pass, not through the templates
    assert response.context["readonly_inlines"] is not None
    assert normalized(response.content.decode()) == normalized(
        as_the_admin_templates_render_it(client, url, monkeypatch)
    )


def test_the_read_only_loan_page_shows_each_value_in_its_labelled_cell(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    html = normalized(client.get(reverse("admin:servicing_loanaccount_change", args=[loan.pk])).content.decode())
    assert (
        '<div class="form-row field-loan_number"><div><div class="flex-container"><label>Loan number:</label>'
        f'<div class="readonly">{loan.loan_number}</div></div></div></div>'
    ) in html
    assert (
        '<div class="flex-container fieldBox field-principal_money"><label>Principal:</label>'
        f'<div class="readonly">${loan.principal:,}</div></div>'
    ) in html
    assert (
        '<div class="flex-container fieldBox field-annual_rate"><label class="inline">Annual rate:</label>'
        f'<div class="readonly">{loan.annual_rate}</div></div>'
    ) in html
    assert '<h2 id="fieldset-0-1-heading" class="fieldset-heading">Property</h2>' in html
    assert (
        '<div class="flex-container fieldBox field-property_state"><label class="inline">Property state:</label>'
        f'<div class="readonly">{loan.property_state}</div></div>'
    ) in html
    assert '<h2 id="fieldset-0-2-heading" class="fieldset-heading">Terms as booked</h2>' in html
    escrow = loan.escrow_items.get(kind="property_tax")
    assert (
        f'<td class="original"><p>{escrow.description} (${escrow.annual_amount:,}/yr)'
        f'<a href="/admin/servicing/escrowitem/{escrow.pk}/change/" class="inlineviewlink">View</a></p>'
        f'<input type="hidden" name="escrow_items-0-id" value="{escrow.pk}" id="id_escrow_items-0-id">'
        f'<input type="hidden" name="escrow_items-0-loan" value="{loan.pk}" id="id_escrow_items-0-loan"></td>'
    ) in html
    assert html.count('<td class="field-reference"><p>CHK-') == 3
    assert set(re.findall(r'name="[a-z_]+-MAX_NUM_FORMS" value="(\d+)"', html)) == {"0"}


def test_a_loan_page_with_an_editable_form_falls_back_to_the_admin_templates(client, loan, monkeypatch):
    """Anything editable (here the change permission granted) is not this module's to render."""

    def all_but_the_borrower_name(self, request, obj=None):
        return [name for name in flatten_fieldsets(self.get_fieldsets(request, obj)) if name != "borrower_name"]

    monkeypatch.setattr(LoanAccountAdmin, "has_change_permission", lambda self, request, obj=None: True)
    monkeypatch.setattr(LoanAccountAdmin, "get_readonly_fields", all_but_the_borrower_name)
    client.force_login(user_with_role(roles.SERVICER))
    response = client.get(reverse("admin:servicing_loanaccount_change", args=[loan.pk]))
    assert response.status_code == 200
    assert response.context["readonly_fieldsets"] is None
    assert response.context["readonly_inlines"] is not None  # the inlines stay read-only
    html = response.content.decode()
    assert f'name="borrower_name" value="{loan.borrower_name}"' in html  # an input, from the admin's template


@pytest.mark.parametrize("query", [{}, {"p": "2"}, {"q": "BL", "status": "active"}])
def test_the_loan_changelist_rows_are_the_admin_templates_markup(client, loan, monkeypatch, query):
    boarded_loan(consumer=True)
    monkeypatch.setattr(LoanAccountAdmin, "list_per_page", 1)
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("admin:servicing_loanaccount_changelist")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    html = client.get(url).content.decode()
    assert normalized(html) == normalized(as_the_admin_templates_render_it(client, url, monkeypatch))


def test_a_filtered_changelist_row_links_the_loan_with_the_list_s_filters(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    html = client.get(reverse("admin:servicing_loanaccount_changelist"), {"status": "active"}).content.decode()
    assert (
        f'<th class="field-loan_number"><a href="/admin/servicing/loanaccount/{loan.pk}/change/'
        f'?_changelist_filters=status%3Dactive">{loan.loan_number}</a></th>'
    ) in html
    plain = client.get(reverse("admin:servicing_loanaccount_changelist")).content.decode()
    assert f'<a href="/admin/servicing/loanaccount/{loan.pk}/change/">{loan.loan_number}</a>' in plain


@pytest.mark.parametrize("role", [roles.CLOSER, roles.LOAN_OFFICER, roles.ACCOUNTING])
def test_staff_without_a_servicing_role_are_refused_the_loan_screens(client, loan, role):
    client.force_login(staff_with_role(role))
    for url in (
        reverse("admin:servicing_loanaccount_changelist"),
        reverse("admin:servicing_loanaccount_change", args=[loan.pk]),
    ):
        assert client.get(url).status_code == 403


def test_a_borrower_gets_no_admin_loan_screen(client, loan):
    client.force_login(user_with_role(roles.BORROWER))
    url = reverse("admin:servicing_loanaccount_change", args=[loan.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"
    assert client.get(url, follow=True).status_code == 403


def test_the_loan_page_stays_read_only_for_a_manager(client, loan):
    client.force_login(user_with_role(roles.MANAGER))
    url = reverse("admin:servicing_loanaccount_change", args=[loan.pk])
    response = client.post(url, {"borrower_name": "Someone Else", "principal_balance": "1.00"})
    assert response.status_code == 403
    after = LoanAccount.objects.get(pk=loan.pk)
    assert (after.borrower_name, after.principal_balance) == (loan.borrower_name, loan.principal_balance)
    assert after.principal_balance != Decimal("1.00")
