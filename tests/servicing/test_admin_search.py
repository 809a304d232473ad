"""The search of the admin lists of a loan's records (servicing.admin.search): the loans first, then their rows, each
through an index; a row's number and its unique key exactly; a term matching too many loans says so."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.core import roles
from servicing.admin import search
from servicing.admin.search import LoanRecordSearchMixin
from servicing.models import JournalEntry, LoanAccount
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db
URL = "/admin/servicing/journalentry/"


@pytest.fixture
def two_loans(client):
    client.force_login(user_with_role(roles.SERVICER))
    first, second = boarded_loan(consumer=True), boarded_loan(consumer=True)
    LoanAccount.objects.filter(pk=first.pk).update(loan_number="BL-0000101", borrower_name="Ann Smith")
    LoanAccount.objects.filter(pk=second.pk).update(loan_number="BL-0000202", borrower_name="Bob Jones")
    return first, second


def listed(client, **params) -> tuple[list[int], object]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return [entry.pk for entry in response.context["cl"].result_list], response


def entries_of(loan) -> list[int]:
    return list(JournalEntry.objects.filter(loan=loan).order_by("-pk").values_list("pk", flat=True))


def test_a_loan_number_or_a_borrower_name_lists_that_loan_s_rows_newest_first(client, two_loans):
    first, second = two_loans
    assert entries_of(first)  # boarding posted the disbursement
    assert listed(client, q="BL-0000202")[0] == entries_of(second)
    assert listed(client, q="0000101")[0] == entries_of(first)  # a part of the number
    assert listed(client, q="ann smith")[0] == entries_of(first)
    assert listed(client, q="BL-0000303")[0] == []


def test_a_number_is_also_a_row_s_own_and_a_unique_key_matches_exactly(client, two_loans):
    _, second = two_loans
    entry = JournalEntry.objects.get(pk=entries_of(second)[0])
    assert listed(client, q=str(entry.pk))[0] == [entry.pk]
    key = entry.idempotency_key
    assert len(key) > 4  # boarding's entry has its key
    assert listed(client, q=key)[0] == [entry.pk]
    assert listed(client, q=key[:-1])[0] == []  # a unique key: whole, not a part


def test_a_term_matching_more_loans_than_listed_shows_the_first_loans_rows_and_says_so(client, two_loans, monkeypatch):
    first, _ = two_loans
    monkeypatch.setattr(search, "LISTED_LOANS", 1)
    rows, response = listed(client, q="BL-0000")
    assert rows == entries_of(first)
    assert [str(m) for m in response.context["messages"]] == [
        "More than 1 loans match \u201cBL-0000\u201d: the list shows the rows of the first 1. Type more of the loan "
        "number or the name to narrow it."
    ]
    assert list(listed(client, q="BL-0000101")[1].context["messages"]) == []


def test_the_rows_are_found_by_their_loan_ids_not_by_a_join_no_index_serves(client, two_loans):
    first, _ = two_loans
    with CaptureQueriesContext(connection) as queries:
        listed(client, q="BL-0000101")
    rows_sql = [q["sql"] for q in queries if q["sql"].startswith('SELECT "servicing_journalentry"."id"')]
    assert len(rows_sql) == 1
    assert f'"servicing_journalentry"."loan_id" IN ({first.pk})' in rows_sql[0]
    assert "LIKE" not in rows_sql[0]
    assert 'ORDER BY ("servicing_journalentry"."id" + 0) DESC' in rows_sql[0]


def test_every_admin_of_a_loan_s_records_searches_through_its_loans():
    """A list whose search looks through the loan (``loan__...``) searches the loans first."""
    plain = [
        model.__name__
        for model, model_admin in admin.site._registry.items()
        if any("loan__" in field for field in model_admin.search_fields)
        and not isinstance(model_admin, LoanRecordSearchMixin)
    ]
    assert plain == []
