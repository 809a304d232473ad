"""bulk_update_rows writes every listed field of every row (values and NULLs), and nothing else."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crm.models import Lead
from lending.core.bulk import array_text, bulk_update_rows
from lending.core.models import User
from tests.core.factories import UserFactory
from tests.crm.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_listed_fields_of_every_row_are_written_and_others_left_alone():
    users = [UserFactory(first_name="old", last_name="same") for _ in range(3)]
    moment = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
    for n, user in enumerate(users):
        user.first_name = f"new-{n}"
        user.last_login = moment if n else None  # a NULL among values
        user.last_name = "not saved"
    bulk_update_rows(User, users, ["first_name", "last_login"])
    rows = list(
        User.objects.filter(pk__in=[u.pk for u in users])
        .order_by("pk")
        .values_list("first_name", "last_login", "last_name")
    )
    assert rows == [("new-0", None, "same"), ("new-1", moment, "same"), ("new-2", moment, "same")]


def test_nothing_to_update_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk_update_rows(User, [], ["first_name"])


def test_a_row_never_saved_is_refused_and_nothing_is_written():
    saved = UserFactory(first_name="old")
    saved.first_name = "new"
    with pytest.raises(ValueError, match=r"^User: every row to update needs its primary key$"):
        bulk_update_rows(User, [saved, User(first_name="unsaved")], ["first_name"])
    assert User.objects.get(pk=saved.pk).first_name == "old"


def test_a_moment_in_another_time_zone_is_written_as_the_orm_writes_it():
    user = UserFactory()
    user.last_login = datetime(2026, 12, 4, 20, 30, tzinfo=ZoneInfo("America/New_York"))
    bulk_update_rows(User, [user], ["last_login"])
    assert User.objects.filter(pk=user.pk, last_login=datetime(2026, 12, 5, 1, 30, tzinfo=UTC)).count() == 1


def test_a_reference_to_a_row_never_saved_is_refused_and_one_saved_since_is_written():
    """Django's guard, on either database: the unsaved user would be written as NULL (data lost without a word)."""
    lead = LeadFactory()
    lead.officer = User(email="unsaved@lending.test")
    with pytest.raises(ValueError, match="unsaved related object 'officer'"):
        bulk_update_rows(Lead, [lead], ["officer"])
    assert Lead.objects.get(pk=lead.pk).officer_id is None
    lead.officer.save()  # saved after it was assigned: its key is written, not the NULL taken at assignment
    bulk_update_rows(Lead, [lead], ["officer"])
    assert Lead.objects.get(pk=lead.pk).officer_id == lead.officer.pk


def test_amounts_dates_and_nulls_are_written_to_the_cent_and_the_day():
    """Columns of numbers and dates go to PostgreSQL as array text: every value comes back exactly as given."""
    from datetime import date
    from decimal import Decimal

    from servicing.models import Installment
    from tests.servicing.factories import boarded_loan

    first, second, third = Installment.objects.filter(loan=boarded_loan(consumer=True)).order_by("number")[:3]
    first.paid_interest, first.paid_principal, first.paid_on = Decimal("0.01"), Decimal("12.34"), date(2027, 1, 31)
    second.paid_interest, second.paid_principal, second.paid_on = Decimal("0.00"), 5, None
    third.paid_interest, third.paid_principal, third.paid_on = Decimal("1E+1"), Decimal("100.10"), date(999, 1, 2)
    bulk_update_rows(Installment, [first, second, third], ["paid_interest", "paid_principal", "paid_on"])
    rows = list(
        Installment.objects.filter(pk__in=[first.pk, second.pk, third.pk])
        .order_by("number")
        .values_list("paid_interest", "paid_principal", "paid_on")
    )
    assert rows == [
        (Decimal("0.01"), Decimal("12.34"), date(2027, 1, 31)),
        (Decimal("0.00"), Decimal("5.00"), None),
        (Decimal("10.00"), Decimal("100.10"), date(999, 1, 2)),
    ]


def test_text_with_quotes_backslashes_commas_braces_and_the_word_null_is_written_as_given():
    """Every string comes back whole, whatever array a text column goes to PostgreSQL in."""
    names = ['say "hi"', "back\\slash", "a, {b}", "NULL", "  spaced  ", ""]
    users = [UserFactory() for _ in names]
    for user, name in zip(users, names, strict=True):
        user.first_name, user.last_name = name, name[::-1]
    bulk_update_rows(User, users, ["first_name", "last_name"])
    stored = dict(User.objects.filter(pk__in=[u.pk for u in users]).values_list("pk", "first_name"))
    assert [stored[u.pk] for u in users] == names
    assert [User.objects.get(pk=u.pk).last_name for u in users] == [name[::-1] for name in names]


def test_array_text_writes_numbers_and_dates_bare_and_quotes_everything_else():
    from datetime import date
    from decimal import Decimal

    values = [7, Decimal("-12.50"), date(2026, 12, 1), None, 'a "b"', "c\\d", True]
    assert array_text(values) == '{7,-12.50,2026-12-01,NULL,"a \\"b\\"","c\\\\d","True"}'
    assert array_text([]) == "{}"


def test_array_text_of_one_kind_of_value_is_the_same_text_as_of_mixed_ones():
    """A column of numbers and dates only, or of texts only (a choice's member among them), takes a shorter way
    to the same text: every text quoted, its quotes and backslashes escaped, '' and 'NULL' kept as texts."""
    from datetime import date
    from decimal import Decimal

    from servicing.models import LoanTransaction

    assert array_text([7, Decimal("-12.50"), date(2026, 12, 1), 10**12]) == "{7,-12.50,2026-12-01,1000000000000}"
    texts = ['a "b"', "c\\d", "", "NULL", "{x, y}", LoanTransaction.Kind.PAYMENT]
    assert array_text(texts) == '{"a \\"b\\"","c\\\\d","","NULL","{x, y}","payment"}'
    assert array_text([*texts, None]) == array_text(texts)[:-1] + ",NULL}"
