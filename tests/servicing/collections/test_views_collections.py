"""The collections workbench: who may use it, what the queue and a loan's page show, form errors (never a 500),
and a constant number of queries per page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from lending.core.models import AuditEvent
from servicing.models import ContactAttempt, DelinquencyHistory, LoanAccount, PromiseToPay
from servicing.services import collections
from servicing.services.collections import cease_contact_set, promise_make
from tests.core.factories import user_with_role
from tests.servicing.collections.helpers import delinquent_loan

pytestmark = pytest.mark.django_db
ALLOWED = (roles.COLLECTOR, roles.MANAGER)
REFUSED = (roles.SERVICER, roles.LOAN_OFFICER, roles.BORROWER)


@pytest.fixture
def loan():
    return delinquent_loan()


def _urls(loan) -> list[tuple[str, str]]:
    pk = [loan.pk]
    return [
        ("get", reverse("collections:queue")),
        ("get", reverse("collections:loan", args=pk)),
        ("post", reverse("collections:contact-log", args=pk)),
        ("post", reverse("collections:promise-make", args=pk)),
        ("post", reverse("collections:cease-contact", args=pk)),
    ]


def _manager_only(loan) -> list[str]:
    return [reverse("collections:reassign", args=[loan.pk]), reverse("collections:assign")]


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_get_403_everywhere(client, loan, role):
    client.force_login(user_with_role(role))
    for method, url in _urls(loan) + [("post", url) for url in _manager_only(loan)]:
        assert getattr(client, method)(url).status_code == 403, url


def test_anonymous_goes_to_the_login_page(client, loan):
    for method, url in _urls(loan) + [("post", url) for url in _manager_only(loan)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ALLOWED)
def test_collectors_and_managers_work_the_queue_and_the_loan_page(client, loan, role):
    client.force_login(user_with_role(role))
    queue = client.get(reverse("collections:queue"))
    assert queue.status_code == 200
    assert f'href="/staff/collections/loans/{loan.pk}/">{loan.loan_number}</a>' in queue.content.decode()
    page = client.get(reverse("collections:loan", args=[loan.pk]))
    assert page.status_code == 200
    assert '<dd class="col-6 fw-semibold" data-testid="bring-current">$5,817.46</dd>' in page.content.decode()


def test_only_managers_reassign_and_assign(client, loan):
    collector = user_with_role(roles.COLLECTOR)
    client.force_login(collector)
    for url in _manager_only(loan):
        assert client.post(url).status_code == 403
    client.force_login(user_with_role(roles.MANAGER))
    response = client.post(reverse("collections:assign"), {"bucket": ""})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.collector == collector
    response = client.post(reverse("collections:reassign", args=[loan.pk]), {"collector": ""})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.collector is None
    # A user who is not a collector is not a choice: a field error, 400.
    response = client.post(reverse("collections:reassign", args=[loan.pk]), {"collector": "999999"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    loan.refresh_from_db()
    assert loan.collector is None


def test_the_nav_shows_collections_to_collectors_and_managers_only(client):
    for role, shown in ((roles.COLLECTOR, True), (roles.MANAGER, True), (roles.SERVICER, False)):
        client.force_login(user_with_role(role))
        page = client.get(reverse("core:staff-home")).content.decode()
        assert ('href="/staff/collections/"' in page) is shown, role


def test_the_queue_rows_and_order(client):
    # Loan a: 45 days, bring current $5,817.46 (3,396.26 + 2,421.20 due by Feb 15, nothing paid).
    # Loan b: 45 days too, plus $120.00 of fees: $5,937.46 -> first among the 45s.
    # Loan c: 95 days: first of all. Loan d: current, not listed.
    a = delinquent_loan()
    b = delinquent_loan()
    LoanAccount.objects.filter(pk=b.pk).update(
        fees_due=Decimal("120.00"),
        amount_to_bring_current=Decimal("5937.46"),  # as the night stores it
    )
    c = delinquent_loan(days=95, bucket="90-119")
    d = delinquent_loan()
    LoanAccount.objects.filter(pk=d.pk).update(days_past_due=0, delinquency_bucket="current")
    client.force_login(user_with_role(roles.COLLECTOR))
    page = client.get(reverse("collections:queue")).content.decode()
    numbers = re.findall(r'href="/staff/collections/loans/\d+/">([^<]+)</a>', page)
    assert numbers == [c.loan_number, b.loan_number, a.loan_number]
    amounts = re.findall(r'data-testid="bring-current">([^<]+)<', page)
    assert amounts == ["$5,817.46", "$5,937.46", "$5,817.46"]


def test_queue_filters(client, monkeypatch):
    monkeypatch.setattr(collections, "_today", lambda: date(2027, 2, 16))
    collector = user_with_role(roles.COLLECTOR)
    a = delinquent_loan()
    b = delinquent_loan(days=95, bucket="90-119")
    LoanAccount.objects.filter(pk=a.pk).update(collector=collector)
    promised = delinquent_loan(days=20, bucket="1-29")
    promise_make(actor=collector, loan=promised, amount=Decimal("100.00"), promised_date=date(2027, 2, 20))
    client.force_login(collector)

    def listed(**params):
        response = client.get(reverse("collections:queue"), params)
        assert response.status_code == 200
        return re.findall(r'href="/staff/collections/loans/\d+/">([^<]+)</a>', response.content.decode())

    assert listed() == [b.loan_number, a.loan_number]  # the promised loan waits for its date
    assert listed(include_promised="on") == [b.loan_number, a.loan_number, promised.loan_number]
    assert listed(bucket="90-119") == [b.loan_number]
    assert listed(collector=str(collector.pk)) == [a.loan_number]
    assert listed(collector="none") == [b.loan_number]
    assert listed(state="il") == [b.loan_number, a.loan_number]
    assert listed(state="CA") == []
    assert a.product_code != b.product_code  # each factory loan has its own product
    assert listed(product=a.product_code) == [a.loan_number]
    assert listed(next_action_by="2027-02-20") == [promised.loan_number]
    assert listed(next_action_by="2027-02-19") == []
    for bad in ({"bucket": "nope"}, {"state": "Illinois"}, {"next_action_by": "tomorrow"}, {"collector": "x"}):
        response = client.get(reverse("collections:queue"), bad)
        assert response.status_code == 400, bad
        assert response.content.decode().count('data-testid="queue-row"') == 0, bad
    response = client.get(reverse("collections:queue"), {"state": "I1"})
    assert "Enter a two-letter state code, such as IL." in response.content.decode()


def test_logging_a_contact_and_its_errors(client, loan):
    client.force_login(user_with_role(roles.COLLECTOR))
    url = reverse("collections:contact-log", args=[loan.pk])
    # 2026-12-01 12:00 in the servicer's zone (America/New_York) is 11:00 in Chicago: within hours.
    ok = {"channel": "call", "outcome": "no_answer", "at": "2026-12-01T12:00", "note": "Rang twice"}
    response = client.post(url, ok)
    assert response.status_code == 302
    assert ContactAttempt.objects.get().note == "Rang twice"
    response = client.post(url, {**ok, "channel": "fax"})
    assert response.status_code == 400
    assert "Select a valid choice. fax is not one of the available choices." in response.content.decode()
    # 08:30 New York is 07:30 Chicago: refused, with the borrower's local time.
    response = client.post(url, {**ok, "at": "2026-12-01T08:30"})
    assert response.status_code == 400
    assert "it is 07:30 AM (CST) there." in response.content.decode()
    assert ContactAttempt.objects.count() == 1


def test_cease_contact_on_the_page(client, loan):
    collector = user_with_role(roles.COLLECTOR)
    client.force_login(collector)
    response = client.post(reverse("collections:cease-contact", args=[loan.pk]), {"action": "set", "note": "Letter"})
    assert response.status_code == 302
    page = client.get(reverse("collections:loan", args=[loan.pk])).content.decode()
    assert "Cease contact is set: no call, letter or email may be logged." in page
    assert 'data-testid="contact-form"' not in page
    response = client.post(reverse("collections:contact-log", args=[loan.pk]), {"channel": "letter", "outcome": "sent"})
    assert response.status_code == 400
    assert "The borrower asked us to cease contact on " in response.content.decode()
    # A collector cannot clear it; a manager can.
    response = client.post(reverse("collections:cease-contact", args=[loan.pk]), {"action": "clear"})
    assert response.status_code == 400
    assert "Only a manager may clear the cease-contact flag." in response.content.decode()
    client.force_login(user_with_role(roles.MANAGER))
    assert client.post(reverse("collections:cease-contact", args=[loan.pk]), {"action": "clear"}).status_code == 302
    loan.refresh_from_db()
    assert loan.cease_contact is False
    response = client.post(reverse("collections:cease-contact", args=[loan.pk]), {"action": "maybe"})
    assert response.status_code == 400
    loan.refresh_from_db()
    assert loan.cease_contact is False
    assert not ContactAttempt.objects.filter(loan=loan).exists()  # the letter was refused
    # One set (the collector) and one clear (the manager); the refused clear and "maybe" wrote none.
    verbs = AuditEvent.objects.filter(verb__startswith="loan.cease_contact").values_list("verb", flat=True)
    assert sorted(verbs) == ["loan.cease_contact_cleared", "loan.cease_contact_set"]


def test_promise_form_and_its_errors(client, loan, monkeypatch):
    monkeypatch.setattr(collections, "_today", lambda: date(2027, 2, 16))
    client.force_login(user_with_role(roles.COLLECTOR))
    url = reverse("collections:promise-make", args=[loan.pk])
    for bad, message in (
        ({"amount": "-1", "promised_date": "2027-02-20"}, "Ensure this value is greater than or equal to 0.01."),
        ({"amount": "abc", "promised_date": "2027-02-20"}, "Enter a number."),
        ({"amount": "10.00", "promised_date": "2027-02-01"}, "The promised date cannot be in the past."),
        ({"amount": "10.00", "promised_date": ""}, "This field is required."),
    ):
        response = client.post(url, bad)
        assert response.status_code == 400, bad
        assert message in response.content.decode(), bad
    response = client.post(url, {"amount": "1,250.00".replace(",", ""), "promised_date": "2027-02-20"})
    assert response.status_code == 302
    page = client.get(reverse("collections:loan", args=[loan.pk])).content.decode()
    assert '<td class="text-end">$1,250.00</td><td>2027-02-20</td><td>Pending</td>' in page
    assert 'data-testid="promise-form"' not in page  # one open promise at a time
    assert PromiseToPay.objects.get().amount == Decimal("1250.00")


def test_a_missing_loan_is_404(client):
    client.force_login(user_with_role(roles.COLLECTOR))
    assert client.get(reverse("collections:loan", args=[999999])).status_code == 404
    assert client.post(reverse("collections:promise-make", args=[999999]), {}).status_code == 404
    assert PromiseToPay.objects.count() == 0


def _loans_with_activity(n: int, collector) -> None:
    for _ in range(n):
        loan = delinquent_loan()
        LoanAccount.objects.filter(pk=loan.pk).update(collector=collector)
        ContactAttempt.objects.create(
            loan=loan, collector=collector, channel="letter", outcome="sent", at="2026-12-01T12:00Z"
        )


def test_the_queue_query_count_does_not_grow(client, django_assert_max_num_queries):
    collector = user_with_role(roles.COLLECTOR)
    client.force_login(collector)
    _loans_with_activity(2, collector)
    with django_assert_max_num_queries(20) as two:
        assert client.get(reverse("collections:queue"), {"include_promised": "on"}).status_code == 200
    _loans_with_activity(18, collector)
    with django_assert_max_num_queries(len(two.captured_queries)):
        response = client.get(reverse("collections:queue"), {"include_promised": "on"})
    assert response.content.decode().count('data-testid="queue-row"') == 20


def test_the_loan_page_query_count_does_not_grow(client, loan, django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr(collections, "_today", lambda: date(2027, 2, 16))
    collector = user_with_role(roles.COLLECTOR)
    client.force_login(collector)
    url = reverse("collections:loan", args=[loan.pk])
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    for day in range(1, 11):
        ContactAttempt.objects.create(
            loan=loan,
            collector=user_with_role(roles.COLLECTOR),
            channel="letter",
            outcome="sent",
            at=f"2026-11-{day:02d}T12:00Z",
        )
    promise_make(actor=collector, loan=loan, amount=Decimal("10.00"), promised_date=date(2027, 2, 20))
    cease_contact_set(actor=collector, loan=loan)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_row_and_the_loan_page_show_collector_contact_promise_and_history(client, loan, monkeypatch):
    monkeypatch.setattr(collections, "_today", lambda: date(2027, 2, 16))
    collector = user_with_role(roles.COLLECTOR, first_name="Cora", last_name="Collector")
    LoanAccount.objects.filter(pk=loan.pk).update(collector=collector)
    ContactAttempt.objects.create(
        loan=loan,
        collector=collector,
        channel="call",
        outcome="promise",
        right_party_contact=True,
        at="2026-12-01T17:30Z",
        note="Will pay Friday",
    )
    promise_make(actor=collector, loan=loan, amount=Decimal("2421.20"), promised_date=date(2027, 2, 19))
    DelinquencyHistory.objects.create(
        loan=loan,
        as_of=date(2027, 2, 1),
        days_past_due=31,
        bucket_from="1-29",
        bucket_to="30-59",
        status_from="delinquent",
        status_to="delinquent",
    )
    client.force_login(collector)
    row = client.get(reverse("collections:queue"), {"include_promised": "on"}).content.decode()
    assert '<td data-testid="collector">Cora Collector</td>' in row
    assert "<td>2026-12-01 12:30</td>" in row  # 17:30 UTC is 12:30 in New York (the servicer's zone)
    assert '<td data-testid="promise">$2,421.20 by 2027-02-19</td>' in row
    page = client.get(reverse("collections:loan", args=[loan.pk])).content.decode()
    assert '<td>2027-02-01</td><td class="text-end">31</td><td>1-29 → 30-59</td>' in page
    assert "<td>Will pay Friday</td>" in page
    assert '<dd class="col-6" data-testid="collector">Cora Collector</dd>' in page


def _product_options(response) -> list[str]:
    select = re.search(r'<select name="product".*?</select>', response.content.decode(), re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]+)"', select.group(0))


def test_the_product_filter_lists_the_product_table_without_reading_the_loans(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from origination.models import LoanProduct
    from tests.origination.factories import LoanProductFactory

    client.force_login(user_with_role(roles.COLLECTOR))
    first = delinquent_loan()
    later = delinquent_loan(days=95, bucket="90-119")
    idle = LoanProductFactory(code="aa-no-loans", name="Idle product")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("collections:queue"))
    codes = list(LoanProduct.objects.order_by("name", "code").values_list("code", flat=True))
    assert _product_options(response) == codes  # every product, by name, one with no loans too
    assert codes[-1] == "aa-no-loans"  # "Idle product" after the "30-year fixed mortgage"s, though its code is first
    assert {first.product_code, later.product_code, idle.code} <= set(codes)
    assert '<option value="aa-no-loans">Idle product</option>' in response.content.decode()
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    filtered = client.get(reverse("collections:queue"), {"product": later.product_code}).content.decode()
    assert re.findall(r'href="/staff/collections/loans/\d+/">([^<]+)</a>', filtered) == [later.loan_number]


def _history(loan, as_of: date, days: int) -> None:
    DelinquencyHistory.objects.create(
        loan=loan,
        as_of=as_of,
        days_past_due=days,
        bucket_from="1-29",
        bucket_to="30-59",
        status_from="delinquent",
        status_to="delinquent",
    )


def test_the_loan_page_shows_its_own_delinquency_history_latest_first(client, loan):
    other = delinquent_loan()
    _history(loan, date(2027, 1, 31), 30)
    _history(loan, date(2027, 2, 28), 58)
    _history(other, date(2027, 2, 14), 44)
    client.force_login(user_with_role(roles.COLLECTOR))
    page = client.get(reverse("collections:loan", args=[loan.pk])).content.decode()
    table = re.search(r'<table[^>]*data-testid="history">.*?</table>', page, re.S)
    assert table is not None
    assert re.findall(r"<tr><td>([\d-]+)</td>", table.group(0)) == ["2027-02-28", "2027-01-31"]
