"""The servicing loan search (staff list and admin): what each kind of term matches, and that it goes through an
index (issue 15): trigram GIN indexes on PostgreSQL for parts of numbers, names and phones, unique indexes for an
email or application number."""

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse

from lending.core import roles
from origination.models import Application
from servicing.models import LoanAccount
from servicing.selectors import loan_list, loan_search
from tests.core.factories import UserFactory, user_with_role
from tests.servicing.factories import boarded_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def loans():
    """Three loans: numbers BL-0000050, BL-0000051 and BL-0000500, borrowers with names, emails and phones."""
    made = []
    for number, name, email, phone in (
        ("BL-0000050", "Ada Lovelace", "ada@example.com", "(212) 555-0150"),
        ("BL-0000051", "Grace Hopper", "grace@example.com", "(212) 555-0151"),
        ("BL-0000500", "Alan Turing", "alan@example.com", "(646) 555-0500"),
    ):
        loan = boarded_loan(consumer=True)
        borrower = UserFactory(email=email, phone=phone)
        LoanAccount.objects.filter(pk=loan.pk).update(loan_number=number, borrower_name=name, borrower=borrower)
        Application.objects.filter(pk=loan.application_id).update(number=f"A-2026-{number[-6:]}")
        made.append(LoanAccount.objects.get(pk=loan.pk))
    return made


def numbers(query: str) -> list[str]:
    return [loan.loan_number for loan in loan_list(query=query)]


def test_a_search_matches_part_of_a_number_or_name_a_whole_email_or_phone_or_an_application_number(loans):
    assert numbers("BL-000005") == ["BL-0000051", "BL-0000050"]  # newest first
    assert numbers("000050") == ["BL-0000500", "BL-0000050"]  # 000050 is in 0000500 and 0000050, not 0000051
    assert numbers("bl-0000050") == ["BL-0000050"]  # any case
    assert numbers("hopper") == ["BL-0000051"]
    assert numbers("a") == ["BL-0000500", "BL-0000051", "BL-0000050"]  # Ada, Grace, Alan: each name has an a
    assert numbers("GRACE@example.com") == ["BL-0000051"]  # emails are stored lower-case: matched exactly
    assert numbers("grace@") == []  # an email is matched whole (its unique index), not in part
    assert numbers("(212) 555-01") == []  # 8 digits: not a whole phone number, so a number or name search
    assert numbers("212) 555-0150") == ["BL-0000050"]  # a phone (10 digits): part of the borrower's phone
    assert numbers("555-0500") == []  # 7 digits: searched as a loan number or name
    assert numbers("a-2026-000500") == ["BL-0000500"]  # application numbers are stored upper-case
    assert numbers("A-1999-999999") == []


def test_each_kind_of_term_is_one_indexed_lookup():
    # The lookups servicing/migrations/0026's indexes serve (UPPER(col) LIKE '%q%': icontains) or a unique index.
    assert loan_search("BL-00050") == Q(loan_number__icontains="BL-00050") | Q(borrower_name__icontains="BL-00050")
    assert loan_search("Ada@Example.com") == Q(borrower__email="ada@example.com")
    assert loan_search("212-555-0150") == Q(borrower__phone__icontains="212-555-0150")
    assert loan_search("a-2026-000001") == Q(application__number="A-2026-000001")
    assert "JOIN" not in str(loan_list(query="BL-00050").query)  # an OR across a join would read every loan


def test_a_search_sorts_its_matches_instead_of_walking_the_primary_key():
    # ORDER BY id + 0: newest first all the same, but PostgreSQL finds the matches through the trigram indexes
    # first, instead of walking every newer loan backwards (84 ms against 0.3 ms at 50,000 loans).
    assert str(loan_list(query="BL51").query).endswith('ORDER BY ("servicing_loanaccount"."id" + 0) DESC')
    assert str(loan_list(query="BL").query).endswith('ORDER BY "servicing_loanaccount"."id" DESC')  # no trigram
    assert str(loan_list().query).endswith('ORDER BY "servicing_loanaccount"."id" DESC')


@pytest.mark.postgres
def test_the_trigram_indexes_exist_and_the_search_uses_them(loans):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s ORDER BY 1", ["%trgm"])
        names = {row[0] for row in cursor.fetchall()}
    assert {"loan_number_trgm", "loan_borrower_name_trgm", "user_phone_trgm"} <= names

    def plan(query: str) -> str:
        sql, params = loan_list(query=query).query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            # Three loans fit one page: plan as for a portfolio, where reading every loan (the table, or the primary
            # key backwards for the newest-first order) costs the most.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())

    number_plan = plan("BL-00050")
    assert "loan_number_trgm" in number_plan
    assert "loan_borrower_name_trgm" in number_plan
    assert "user_phone_trgm" in plan("(212) 555-0150")
    assert "Index Cond: ((email)::text = 'ada@example.com'::text)" in plan("ada@example.com")  # a unique index


def test_the_staff_list_searches_the_same_way(client, loans):
    client.force_login(user_with_role(roles.SERVICER))
    response = client.get(reverse("servicing:home"), {"q": "ada@example.com"})
    assert [loan.loan_number for loan in response.context["loans"]] == ["BL-0000050"]
    body = response.content.decode()
    assert 'placeholder="Loan number, borrower, email or phone"' in body


def test_the_admin_searches_the_loan_s_own_indexed_columns(client, loans):
    client.force_login(user_with_role(roles.SERVICER))
    url = reverse("admin:servicing_loanaccount_changelist")
    response = client.get(url, {"q": "000050"})
    assert [loan.loan_number for loan in response.context["cl"].result_list] == ["BL-0000500", "BL-0000050"]
    assert 'ORDER BY ("servicing_loanaccount"."id" + 0) DESC' in str(response.context["cl"].result_list.query)
    response = client.get(url, {"q": "A-2026-000051"})
    assert [loan.loan_number for loan in response.context["cl"].result_list] == ["BL-0000051"]
    response = client.get(url, {"q": "grace@example.com"})
    assert [loan.loan_number for loan in response.context["cl"].result_list] == ["BL-0000051"]
    assert "an application number (A-2026-000123)" in response.content.decode()  # search_help_text
