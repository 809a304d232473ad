"""What every changelist gets at portfolio scale (lending.core.admin_site, issue 15): no facet counts, pages of 50
rows unless the admin chose its size, rows counted no further than the last page shown, no date drill-down on the
tables that grow with the book (Django's ``date_hierarchy`` reads every row's date on each request: 1.6 s on 6
million journal entries), and no delete offered for an object other rows PROTECT (Django's delete page gathers
them all to refuse it)."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin import ShowFacets
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.core import pagination
from lending.core.admin_site import LIST_PER_PAGE
from lending.core.models import AuditEvent, User
from lending.core.services import audit_record
from servicing.models import (
    AutopaySkippedDraft,
    EscrowAnalysis,
    EscrowDisbursement,
    JournalEntry,
    LoanAccount,
    LoanTransaction,
    PayoffQuote,
    PendingPayment,
)
from tests.core.factories import UserFactory
from tests.crm.factories import LeadFactory, LeadSourceFactory, PartnerFactory

pytestmark = pytest.mark.django_db
GROWING = (
    AuditEvent,
    JournalEntry,
    LoanTransaction,
    EscrowDisbursement,
    EscrowAnalysis,
    PayoffQuote,
    PendingPayment,
    AutopaySkippedDraft,
)


def test_no_changelist_counts_facets():
    assert {model_admin.show_facets for model_admin in admin.site._registry.values()} == {ShowFacets.NEVER}


def test_every_changelist_counts_its_rows_no_further_than_its_last_page():
    registry = admin.site._registry
    uncapped = [m.__name__ for m, a in registry.items() if not issubclass(a.paginator, pagination.CappedPaginator)]
    assert uncapped == []
    assert [m.__name__ for m, a in registry.items() if a.show_full_result_count] == []


# Configuration tables, tens of rows: ordered by name, no index needed.
SMALL_TABLES = {
    "auth.Group",
    "crm.LeadSource",
    "crm.ReferralPartner",
    "origination.DocumentType",
    "origination.LoanProduct",
}


def _index_leading_columns(model) -> set[str]:
    """The columns an index of ``model`` leads with (field names and column attnames), and the primary key."""
    meta = model._meta
    leading = [meta.pk.name, "pk"]
    leading += [f.name for f in meta.concrete_fields if f.db_index or f.unique]
    leading += [index.fields[0].lstrip("-") for index in meta.indexes if index.fields]
    leading += [constraint.fields[0] for constraint in meta.constraints if getattr(constraint, "fields", None)]
    names = set(leading)
    return names | {meta.get_field(name).attname for name in names if name != "pk"}


def test_every_changelist_of_a_table_that_grows_is_ordered_by_an_index(rf):
    """A changelist's first page is its first 50 rows in its ordering: led by an indexed column, that is an index
    scan of 50 rows; led by anything else, a sort of the whole table (3.4 s for 6 million statements)."""
    request = rf.get("/")
    unindexed = []
    for model, model_admin in admin.site._registry.items():
        ordering = model_admin.get_ordering(request) or model._meta.ordering or ["-pk"]
        first = str(ordering[0]).lstrip("-")
        if model._meta.label not in SMALL_TABLES and first not in _index_leading_columns(model):
            unindexed.append(f"{model._meta.label} {list(ordering)}")
    assert unindexed == []


def test_a_capped_list_of_another_app_says_it_goes_on(client, monkeypatch):
    monkeypatch.setattr(pagination, "MAX_ROWS", 2)
    staff = UserFactory(is_staff=True, is_superuser=True)
    for n in range(3):
        audit_record(actor=staff, verb=f"test.event{n}", target=staff)
    monkeypatch.setattr(admin.site._registry[AuditEvent], "list_per_page", 1)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/core/auditevent/", {"p": 1000})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"</a>\s*2\+ audit events\s*<span", html)  # after the page links, before the note: not 12+
    assert 'data-testid="list-capped"' in html
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert counts[0].endswith("LIMIT 3) subquery")  # one count, of at most one row past the cap (not 30)


def test_changelists_show_50_rows_unless_their_admin_chose():
    assert LIST_PER_PAGE == 50
    assert admin.site._registry[User].list_per_page == 50
    assert admin.site._registry[JournalEntry].list_per_page == 50
    assert admin.site._registry[LoanAccount].list_per_page == 50  # chosen by its admin, and kept


@pytest.mark.parametrize("model", GROWING, ids=lambda model: model.__name__)
def test_tables_that_grow_with_the_book_have_no_date_drill_down(model):
    assert admin.site._registry[model].date_hierarchy is None


def test_the_journal_filters_by_date_without_a_drill_down(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get("/admin/servicing/journalentry/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "?effective_date__gte=" in body  # Django's date filter: today, past 7 days, this month, this year
    assert "_facets=True" not in body
    assert client.get("/admin/servicing/journalentry/?_facets=True").status_code == 200


@pytest.mark.parametrize("kind", ["lead source", "referral partner"])
def test_an_object_other_rows_protect_is_not_offered_for_deletion(client, django_assert_max_num_queries, kind):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    if kind == "lead source":
        used, unused, path = LeadFactory().source, LeadSourceFactory(), "/admin/crm/leadsource"
    else:
        used, unused, path = (
            LeadFactory(referral_partner=PartnerFactory()).referral_partner,
            PartnerFactory(),
            ("/admin/crm/referralpartner"),
        )
    with django_assert_max_num_queries(12):  # the protecting rows are asked about, never gathered
        assert client.get(f"{path}/{used.pk}/delete/").status_code == 403
    change = client.get(f"{path}/{used.pk}/change/")
    assert change.status_code == 200
    assert f"{path}/{used.pk}/delete/" not in change.content.decode()
    assert client.get(f"{path}/{unused.pk}/delete/").status_code == 200
    assert client.post(f"{path}/{unused.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not type(unused).objects.filter(pk=unused.pk).exists()
    assert type(used).objects.filter(pk=used.pk).exists()


def test_the_audit_list_offers_no_verb_choices_and_searches_exactly_through_indexes(client):
    """Its verb choices would be a DISTINCT over every audit row on each visit; its search is exact matches."""
    staff = UserFactory(is_staff=True, is_superuser=True, email="ops@lending.test")
    other = UserFactory()
    posted = audit_record(actor=other, verb="payment.posted", target=other, request_id="req-7")
    mine = audit_record(actor=staff, verb="user.created", target=other)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/core/auditevent/").status_code == 200
    assert [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()] == []

    def found(term):
        return [event.pk for event in client.get("/admin/core/auditevent/", {"q": term}).context["cl"].result_list]

    assert found("payment.posted") == [posted.pk]
    assert found("req-7") == [posted.pk]
    by_staff = list(AuditEvent.objects.filter(actor=staff).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert mine.pk in by_staff  # and the sign-in's own row
    assert found("OPS@lending.test") == by_staff
    assert found("payment") == []  # exact, not a part
