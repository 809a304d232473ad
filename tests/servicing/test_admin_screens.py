"""Admin screens for daily use: the loan page links the paginated schedule instead of listing every installment,
money shows as $1,234.56 (one formatter), transactions are titled by their reference, read-only inlines offer no
"Add another", and the waterfall preview's totals are its column sums (prepayment in its own column)."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.templatetags.money import format_money
from servicing.models import LoanTransaction
from servicing.services import payments
from servicing.services.payments import payment_post
from servicing.services.payoff import payoff_quote_issue
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.html import shows_money

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 1)
D = Decimal


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: TODAY)


@pytest.fixture
def loan():
    return boarded_loan()


def pay(loan, amount, key, directive="standard"):
    return payment_post(
        loan=loan,
        amount=D(amount),
        effective_date=TODAY,
        method="check",
        reference=f"CHK-{key}",
        idempotency_key=f"admin:{key}-uuid",
        actor=None,
        directive=directive,
    )


def readonly(html: str, field: str) -> str:
    """The text of the admin's read-only field ``field`` in the form (not in an inline): the <div class="readonly">
    of its own row, or of its box in a row of several fields."""
    at = max(html.find(f'form-row field-{field}"'), html.find(f"fieldBox field-{field}"))
    assert at >= 0, f"no field {field}"
    found = re.search(r'<div class="readonly">(.*?)</div>', html[at:], re.S)
    assert found is not None, f"no read-only value for {field}"
    return found.group(1).strip()


def test_the_loan_page_links_the_schedule_instead_of_listing_360_installments(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    html = client.get(reverse("admin:servicing_loanaccount_change", args=[loan.pk])).content.decode()
    assert 'id="installments-group"' not in html
    assert html.count("field-paid_principal") == 0
    link = re.search(r'<a href="([^"]+)" data-testid="schedule-link">([^<]+)</a>', html)
    assert link.groups() == (f"/staff/servicing/loans/{loan.pk}/schedule/", "360 installments, a page at a time")
    assert client.get(link.group(1)).status_code == 200


def test_the_loan_admin_shows_money_formatted(client, loan):
    client.force_login(user_with_role(roles.SERVICER))
    html = client.get(reverse("admin:servicing_loanaccount_change", args=[loan.pk])).content.decode()
    assert readonly(html, "principal_money") == format_money(loan.principal)
    assert readonly(html, "principal_balance_money") == f"${loan.principal_balance:,}"
    assert readonly(html, "regular_payment_money") == f"${loan.regular_payment:,}"
    assert readonly(html, "annual_rate") == f"{loan.annual_rate}"  # a rate, not money
    listing = client.get(reverse("admin:servicing_loanaccount_changelist")).content.decode()
    cell = re.search(r'<td class="field-principal_balance_money">([^<]*)</td>', listing)
    assert cell.group(1) == f"${loan.principal_balance:,}"
    tax = loan.escrow_items.get(kind="property_tax")
    assert str(tax) == f"{tax.description} (${tax.annual_amount:,}/yr)"  # an escrow item's title, as in the inline


def test_a_transaction_is_titled_by_its_reference_and_shows_money_formatted(client, loan):
    first = loan.installments.get(number=1)
    txn = pay(loan, first.payment, "k1")
    assert str(txn) == f"Payment CHK-k1: ${first.payment:,} on 2026-12-01"
    client.force_login(user_with_role(roles.MANAGER))
    html = client.get(reverse("admin:servicing_loantransaction_change", args=[txn.pk])).content.decode()
    assert "admin:k1-uuid" not in re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert f"Payment CHK-k1: ${first.payment:,} on 2026-12-01" in html
    assert readonly(html, "amount_money") == f"${first.payment:,}"
    loan_page = client.get(reverse("admin:servicing_loanaccount_change", args=[loan.pk])).content.decode()
    assert shows_money(loan_page, f"#1 interest ${first.interest:,}")


@pytest.mark.parametrize("role", [roles.SERVICER, roles.MANAGER])
def test_read_only_inlines_offer_no_add_another(client, loan, role):
    txn = pay(loan, "100.00", "k2")
    client.force_login(user_with_role(role))
    for url in (
        reverse("admin:servicing_loanaccount_change", args=[loan.pk]),
        reverse("admin:servicing_loantransaction_change", args=[txn.pk]),
    ):
        html = client.get(url).content.decode()
        # Django's inline script draws "Add another" only while MAX_NUM_FORMS exceeds the forms shown.
        assert set(re.findall(r'name="[a-z_]+-MAX_NUM_FORMS" value="(\d+)"', html)) == {"0"}
        assert "add-row" not in html


def test_the_waterfall_preview_totals_are_the_column_sums(client, loan):
    first = loan.installments.get(number=1)
    client.force_login(user_with_role(roles.SERVICER))
    data = {
        "amount": str(first.payment + D("250.00")),
        "effective_date": TODAY.isoformat(),
        "method": "check",
        "reference": "CHK-9",
        "directive": "standard",
        "idempotency_key": "admin:preview",
    }
    response = client.post(reverse("admin:servicing_loanaccount_payment_preview", args=[loan.pk]), data)
    html = response.content.decode()
    header = re.findall(r"<th>([^<]*)</th>", re.search(r"<thead>(.*?)</thead>", html, re.S).group(1))
    assert header == [
        "Installment", "Due", "Late fees", "Fees", "Interest", "Principal", "Prepayment", "Escrow", "Suspense", "Total"
    ]  # fmt: skip
    rows = [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1])]
    rows = [row for row in rows if row][:2]
    money = lambda text: D(text.replace("$", "").replace(",", "") or "0")  # noqa: E731
    assert rows[0][0] == "#1 (paid in full)"
    assert [rows[0][i] for i in (4, 5, 7, 9)] == [
        f"${first.interest:,}",
        f"${first.principal:,}",
        f"${first.escrow:,}",
        f"${first.payment:,}",
    ]
    assert (rows[1][0], rows[1][6], rows[1][9]) == ("Principal prepayment (beyond the schedule)", "$250.00", "$250.00")
    totals = re.findall(r"<th>([^<]*)</th>", re.search(r'data-testid="preview-totals">(.*?)</tr>', html, re.S).group(1))
    for column in range(2, 10):
        assert money(totals[column - 2]) == sum(money(row[column]) for row in rows), column
    assert totals[-1] == f"${first.payment + D('250.00'):,}"
    assert re.search(r'data-testid="preview-amount">([^<]*)<', html).group(1) == f"${first.payment + D('250.00'):,}"
    assert not LoanTransaction.objects.filter(loan=loan).exists()  # a preview posts nothing


def test_payoff_and_journal_admin_show_money_formatted(client, loan):
    quote = payoff_quote_issue(loan=loan, as_of=TODAY, good_through=date(2026, 12, 11), actor=None, channel="staff")
    client.force_login(user_with_role(roles.MANAGER))
    listing = client.get(reverse("admin:servicing_payoffquote_changelist")).content.decode()
    assert re.search(r'<td class="field-total_money">([^<]*)</td>', listing).group(1) == f"${quote.total:,}"
    page = client.get(reverse("admin:servicing_payoffquote_change", args=[quote.pk])).content.decode()
    assert readonly(page, "per_diem_money") == f"${quote.per_diem:,}"
    entry = loan.journal_entries.order_by("id").first()
    user = user_with_role(roles.MANAGER)
    user.is_superuser = user.is_staff = True
    user.save()
    client.force_login(user)
    html = client.get(reverse("admin:servicing_journalentry_change", args=[entry.pk])).content.decode()
    debits = re.findall(r'<td class="field-debit_money">\s*<p>([^<]*)</p>', html)
    assert debits[0] == "$300,000.00"
