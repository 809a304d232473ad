"""Escrow items in the admin: servicers and managers add and edit them (validated, audited through
escrow_item_save); a collector let into the admin sees them read-only and cannot change them; other roles are
refused. Disbursements and analyses are read-only lists."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import EscrowAnalysis, EscrowDisbursement, EscrowItem, LoanAccount
from tests.core.factories import user_with_role
from tests.money_asserts import text_by_classes
from tests.servicing.factories import boarded_loan
from tests.servicing.nightly.escrow_helpers import run

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def loan():
    return boarded_loan()


@pytest.fixture
def tax(loan):
    return EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.PROPERTY_TAX)


def _form(item, **changes):
    data = {
        "kind": item.kind,
        "description": item.description,
        "payee": item.payee,
        "annual_amount": str(item.annual_amount),
        "payments_per_year": str(item.payments_per_year),
        "next_due_date": item.next_due_date.isoformat(),
        "next_payment_number": str(item.next_payment_number),
    }
    data.update(changes)
    return data


def _change_url(item):
    return reverse("admin:servicing_escrowitem_change", args=[item.pk])


@pytest.mark.parametrize("role", [roles.SERVICER, roles.MANAGER])
def test_a_servicer_edits_an_item_and_the_change_is_audited(client, tax, role):
    user = user_with_role(role)
    client.force_login(user)
    assert client.get(_change_url(tax)).status_code == 200
    response = client.post(_change_url(tax), _form(tax, annual_amount="5123.45", payee="County treasurer"))
    assert response.status_code == 302
    tax.refresh_from_db()
    assert (tax.annual_amount, tax.payee) == (D("5123.45"), "County treasurer")
    event = AuditEvent.objects.get(verb="escrow_item.changed")
    assert (event.actor_id, event.target_id) == (user.pk, str(tax.pk))
    assert (event.before["annual_amount"], event.after["annual_amount"]) == ("4800.00", "5123.45")
    assert (event.before["payee"], event.after["payee"]) == ("", "County treasurer")


def test_a_servicer_adds_a_new_bill(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    data = {
        "loan": str(loan.pk),
        "kind": EscrowItem.Kind.FLOOD_INSURANCE,
        "description": "Flood insurance premium",
        "payee": "NFIP",
        "annual_amount": "880.00",
        "payments_per_year": "1",
        "next_due_date": "2027-09-01",
        "next_payment_number": "1",
    }
    response = client.post(reverse("admin:servicing_escrowitem_add"), data)
    assert response.status_code == 302
    item = EscrowItem.objects.get(loan=loan, kind=EscrowItem.Kind.FLOOD_INSURANCE)
    assert (item.annual_amount, item.next_due_date, item.payee) == (D("880.00"), date(2027, 9, 1), "NFIP")
    event = AuditEvent.objects.get(verb="escrow_item.added")
    assert event.after["loan"] == loan.loan_number
    assert event.after["annual_amount"] == "880.00"


def test_a_loan_without_escrow_gets_its_analysis_scheduled_with_its_first_item(client):
    loan = boarded_loan()
    LoanAccount.objects.filter(pk=loan.pk).update(escrow_analysis_date=None, next_due_date=date(2027, 3, 1))
    client.force_login(user_with_role(roles.SERVICER))
    data = _form(EscrowItem.objects.filter(loan=loan).first(), description="Another bill", loan=str(loan.pk))
    assert client.post(reverse("admin:servicing_escrowitem_add"), data).status_code == 302
    loan.refresh_from_db()
    # The first computation year starts with the next installment, 2027-03-01; the analysis 30 days before a year on.
    assert loan.escrow_analysis_date == date(2028, 1, 31)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"annual_amount": "0"}, "annual_amount", "Must be greater than zero."),
        ({"annual_amount": "-10.00"}, "annual_amount", "Must be greater than zero."),
        ({"next_due_date": ""}, "next_due_date", "This field is required."),
        ({"next_due_date": "2026-11-13"}, "next_due_date", "Must be after the loan's disbursement date 2026-11-13."),
        ({"payments_per_year": "5"}, "payments_per_year", "Select a valid choice. 5 is not one of the available"),
        ({"next_payment_number": "3"}, "next_payment_number", "Must be from 1 to 2."),
        ({"description": " "}, "description", "This field is required."),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(client, tax, changes, field, message):
    client.force_login(user_with_role(roles.SERVICER))
    response = client.post(_change_url(tax), _form(tax, **changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    tax.refresh_from_db()
    assert tax.annual_amount == D("4800.00")
    assert not AuditEvent.objects.filter(verb__startswith="escrow_item.").exists()


def test_an_item_of_a_paid_off_loan_is_refused(client, loan, tax):
    LoanAccount.objects.filter(pk=loan.pk).update(status=LoanAccount.Status.PAID_OFF)
    client.force_login(user_with_role(roles.SERVICER))
    data = _form(tax, description="Late bill", loan=str(loan.pk))
    response = client.post(reverse("admin:servicing_escrowitem_add"), data)
    assert response.status_code == 200
    assert "its escrow is closed" in " ".join(response.context["adminform"].form.errors["loan"])
    assert EscrowItem.objects.filter(loan=loan).count() == 2


def test_a_collector_sees_items_read_only_and_may_not_change_them(client, tax):
    collector = user_with_role(roles.COLLECTOR)
    collector.is_staff = True  # even if let into the admin
    collector.save(update_fields=["is_staff"])
    client.force_login(collector)
    page = client.get(_change_url(tax))
    assert page.status_code == 200
    assert 'name="annual_amount"' not in page.content.decode()
    assert client.post(_change_url(tax), _form(tax, annual_amount="1.00")).status_code == 403
    assert client.get(reverse("admin:servicing_escrowitem_add")).status_code == 403
    tax.refresh_from_db()
    assert tax.annual_amount == D("4800.00")


@pytest.mark.parametrize("role", [roles.LOAN_OFFICER, roles.BORROWER, roles.UNDERWRITER])
def test_other_roles_are_refused(client, tax, role):
    client.force_login(user_with_role(role))
    assert client.get(_change_url(tax), follow=True).status_code == 403
    assert client.post(_change_url(tax), _form(tax, annual_amount="1.00"), follow=True).status_code == 403
    tax.refresh_from_db()
    assert tax.annual_amount == D("4800.00")


def test_disbursements_and_analyses_are_listed_read_only(client, loan):
    run(date(2027, 12, 2))  # the year's three disbursements, then the analysis
    client.force_login(user_with_role(roles.SERVICER))
    for model, count in ((EscrowDisbursement, 3), (EscrowAnalysis, 1)):
        name = model._meta.model_name
        listing = client.get(reverse(f"admin:servicing_{name}_changelist"))
        assert listing.status_code == 200
        assert listing.content.decode().count(loan.loan_number) == count
        page = client.get(reverse(f"admin:servicing_{name}_change", args=[model.objects.first().pk]))
        assert page.status_code == 200
        assert client.get(reverse(f"admin:servicing_{name}_add")).status_code == 403
    page = client.get(reverse("admin:servicing_escrowanalysis_change", args=[EscrowAnalysis.objects.get().pk]))
    html = page.content.decode()
    # Shown as money, each in its own field. Nothing was paid, so the analysis spreads a shortage of 1,050.00 (the
    # cushion) and a deficiency of 4,725.00 over 12 months: 525.00 + 87.50 + 393.75 = 1,006.25 a month from 525.00.
    previous = text_by_classes(html, "fieldBox", "field-previous_monthly_payment_money")
    assert previous == "Previous monthly payment: $525.00"
    assert text_by_classes(html, "fieldBox", "field-new_monthly_payment_money") == "New monthly payment: $1,006.25"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("annual_amount", "1e400"),
        ("annual_amount", "NaN"),
        ("annual_amount", "123456789012345.00"),
        ("annual_amount", "10.005"),
        ("next_due_date", "2027-02-30"),
        ("next_payment_number", "99999999"),
        ("payments_per_year", "x"),
        ("kind", "bitcoin"),
    ],
)
def test_hostile_input_is_a_field_error_not_a_500(client, tax, field, value):
    client.force_login(user_with_role(roles.SERVICER))
    response = client.post(_change_url(tax), _form(tax, **{field: value}))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    tax.refresh_from_db()
    assert tax.annual_amount == D("4800.00")


def test_the_loan_page_links_adding_an_item_for_servicers_only(client, loan):
    url = reverse("admin:servicing_loanaccount_change", args=[loan.pk])
    add = f"{reverse('admin:servicing_escrowitem_add')}?loan={loan.pk}"
    client.force_login(user_with_role(roles.SERVICER))
    page = client.get(url).content.decode()
    assert f'href="{add}" data-testid="add-escrow-item-link"' in page
    form = client.get(add)
    assert form.context["adminform"].form.initial["loan"] == str(loan.pk)
    collector = user_with_role(roles.COLLECTOR)
    collector.is_staff = True
    collector.save(update_fields=["is_staff"])
    client.force_login(collector)
    assert "add-escrow-item-link" not in client.get(url).content.decode()
