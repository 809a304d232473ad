"""Pipeline and application workspace: access by role, workflow actions, constant query counts."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.core import roles
from origination.models import Application, TransitionLog
from origination.selectors import pipeline_page_rows
from tests.core.factories import user_with_role
from tests.origination.factories import ApplicationFactory, BorrowerFactory, complete_application

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.LOAN_OFFICER, 200),
        (roles.PROCESSOR, 200),
        (roles.UNDERWRITER, 200),
        (roles.CLOSER, 200),
        (roles.MANAGER, 200),
        (roles.SERVICER, 403),
        (roles.COLLECTOR, 403),
        (roles.BORROWER, 403),
    ],
)
def test_pipeline_and_workspace_are_for_origination_roles(client, role, status):
    application = complete_application()
    client.force_login(user_with_role(role))
    assert client.get(reverse("origination:home")).status_code == status
    assert client.get(reverse("origination:application-detail", args=[application.pk])).status_code == status


def test_pipeline_lists_filters_and_searches(client):
    a = ApplicationFactory(number="A-1")
    BorrowerFactory(application=a, last_name="Zebrowski")
    ApplicationFactory(number="A-2")
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    body = client.get(reverse("origination:home")).content.decode()
    assert "A-1" in body
    assert "A-2" in body
    body = client.get(reverse("origination:home"), {"q": "zebrow"}).content.decode()
    assert "A-1" in body
    assert "A-2" not in body
    assert "No applications match" in client.get(reverse("origination:home"), {"status": "funded"}).content.decode()


def test_pipeline_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    for _ in range(3):
        BorrowerFactory(application=ApplicationFactory())
    with django_assert_max_num_queries(12) as few:  # the loan officers' group id first (selectors: why)
        client.get(reverse("origination:home"))
    for _ in range(30):
        BorrowerFactory(application=ApplicationFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("origination:home"))


def test_workspace_shows_actions_for_the_role_with_blockers(client):
    application = ApplicationFactory()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    body = client.get(reverse("origination:application-detail", args=[application.pk])).content.decode()
    assert "Submit application" in body
    assert "<li>no primary borrower is on the application</li>" in body


def test_firing_a_transition_from_the_workspace(client):
    application = complete_application()
    officer = user_with_role(roles.LOAN_OFFICER)
    client.force_login(officer)
    url = reverse("origination:application-transition", args=[application.pk])
    response = client.post(url, {"transition": "submit", "expected_status": "draft"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "submitted"
    log = TransitionLog.objects.get(application=application)
    assert (log.transition, log.from_status, log.to_status, log.actor) == ("submit", "draft", "submitted", officer)


def test_blocked_transition_returns_409_with_the_reason(client):
    application = ApplicationFactory()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = reverse("origination:application-transition", args=[application.pk])
    response = client.post(url, {"transition": "submit", "expected_status": "draft"})
    assert response.status_code == 409
    assert (
        "Submit application is blocked: no primary borrower is on the application; the TRID application items "
        "are not complete (name, income, SSN, property, value, loan amount)."
    ) in response.content.decode()
    application.refresh_from_db()
    assert application.status == "draft"
    assert not TransitionLog.objects.filter(application=application).exists()


def test_stale_page_returns_409(client):
    application = complete_application()
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    url = reverse("origination:application-transition", args=[application.pk])
    client.post(url, {"transition": "submit", "expected_status": "draft"})
    response = client.post(url, {"transition": "withdraw", "note": "x", "expected_status": "draft"})
    assert response.status_code == 409
    assert "Someone else moved this application to Submitted first" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "submitted"  # the withdrawal from the stale page was not applied
    assert list(TransitionLog.objects.filter(application=application).values_list("transition", flat=True)) == [
        "submit"
    ]


def test_role_without_permission_gets_403_on_transition(client):
    application = complete_application()
    client.force_login(user_with_role(roles.UNDERWRITER))
    url = reverse("origination:application-transition", args=[application.pk])
    assert client.post(url, {"transition": "submit"}).status_code == 403
    application.refresh_from_db()
    assert application.status == "draft"
    assert not TransitionLog.objects.filter(application=application).exists()


def test_unknown_application_is_404(client):
    client.force_login(user_with_role(roles.LOAN_OFFICER))
    assert client.get(reverse("origination:application-detail", args=[999999])).status_code == 404
    assert client.get(reverse("origination:application-detail", args=[2**64])).status_code == 404  # beyond bigint


def test_workspace_lists_the_applications_own_borrowers_primary_first_and_its_history_oldest_first(client):
    officer = user_with_role(roles.LOAN_OFFICER, first_name="Olive", last_name="Officer")
    application = ApplicationFactory()
    BorrowerFactory(application=application, is_primary=False, first_name="Co", last_name="Second")
    BorrowerFactory(application=application, first_name="Ada", last_name="First")
    BorrowerFactory(application=ApplicationFactory(), first_name="Other", last_name="Application")
    TransitionLog.objects.create(application=application, from_status="draft", to_status="submitted", actor=officer)
    TransitionLog.objects.create(application=application, from_status="submitted", to_status="processing")
    client.force_login(officer)
    body = client.get(reverse("origination:application-detail", args=[application.pk])).content.decode()
    assert "Ada First, Co Second (co-borrower)</dd>" in body
    assert "Other Application" not in body
    timeline = body[body.index('data-testid="timeline"') :]
    assert timeline.index("Submitted</strong> · Olive Officer") < timeline.index("Processing</strong> · system")


def test_underwriting_decisions_are_taken_in_the_underwriting_workspace(client):
    application = complete_application(status="underwriting")
    client.force_login(user_with_role(roles.UNDERWRITER))
    response = client.get(reverse("origination:application-detail", args=[application.pk]))
    body = response.content.decode()
    workspace = reverse("origination:underwriting-workspace", args=[application.pk])
    assert f'href="{workspace}"' in body
    decisions = {o.name for o in response.context["options"] if o.is_decision}
    assert decisions == {"approve", "approve_with_conditions", "suspend", "deny"}
    assert 'name="transition" value="deny"' not in body


def test_pipeline_filters_by_officer_product_and_time_in_state(client):
    from datetime import timedelta

    from django.utils import timezone

    from tests.origination.factories import ConsumerProductFactory

    olivia, oscar = user_with_role(roles.LOAN_OFFICER), user_with_role(roles.LOAN_OFFICER)
    consumer = ConsumerProductFactory()
    ApplicationFactory(number="A-OLD", loan_officer=olivia, status_changed_at=timezone.now() - timedelta(days=10))
    ApplicationFactory(number="A-NEW", loan_officer=oscar)
    ApplicationFactory(number="A-CONSUMER", loan_officer=oscar, product=consumer)
    client.force_login(olivia)

    def numbers(**params):
        response = client.get(reverse("origination:home"), params)
        return sorted(app.number for app in response.context["rows"])

    assert numbers(officer=olivia.pk) == ["A-OLD"]
    assert numbers(officer=oscar.pk) == ["A-CONSUMER", "A-NEW"]
    assert numbers(product=consumer.pk) == ["A-CONSUMER"]
    assert numbers(age=7) == ["A-OLD"]
    assert numbers(age="bogus") == ["A-CONSUMER", "A-NEW", "A-OLD"]  # bad values are ignored, not a 500
    # Out of range: an id past 64 bits is ignored; an age past a century is capped there (nothing is that old).
    assert numbers(officer="9" * 25) == numbers(product="9" * 25) == ["A-CONSUMER", "A-NEW", "A-OLD"]
    assert numbers(age="99999999999") == []
    body = client.get(reverse("origination:home"), {"age": 7}).content.decode()
    assert "1 matching application" in body
    row = next(a for a in client.get(reverse("origination:home")).context["rows"] if a.number == "A-OLD")
    assert row.days_in_state == 10


def test_transition_stamps_when_the_status_changed():
    from origination.services.workflow import application_transition

    application = complete_application()
    before = application.status_changed_at
    application_transition(application=application, name="submit", actor=user_with_role(roles.LOAN_OFFICER))
    application.refresh_from_db()
    assert application.status_changed_at > before


def test_workspace_sections_are_linked_from_the_section_navigation(client):
    application = complete_application()
    client.force_login(user_with_role(roles.PROCESSOR))
    body = client.get(reverse("origination:application-detail", args=[application.pk])).content.decode()
    for anchor in (
        "summary",
        "intake-panel",
        "documents-panel",
        "underwriting-panel",
        "compliance-panel",
        "closing-panel",
        "communication-panel",
        "history",
    ):
        assert f'href="#{anchor}"' in body
        assert f'id="{anchor}"' in body


def _row_cells(body: str, number: str) -> list[str]:
    row = re.search(rf"<tr>\s*<td><a [^>]*>{number}</a>.*?</tr>", body, re.S)
    assert row is not None, number
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]


def test_pipeline_rows_show_the_primary_borrower_officer_status_and_local_dates(client):
    officer = user_with_role(roles.LOAN_OFFICER, email="officer@lending.test", first_name="", last_name="")
    app = ApplicationFactory(number="A-7", loan_officer=officer, amount_requested=D("250000.00"))
    BorrowerFactory(application=app, first_name="Ada", last_name="Lovelace")
    BorrowerFactory(application=app, is_primary=False, first_name="Co", last_name="Borrower")
    bare = ApplicationFactory(number="A-8", amount_requested=None)
    now = timezone.now()
    # 5 days and an hour in underwriting: 5 whole days; created 02:00 UTC on Mar 1 = 21:00 Feb 28 in New York
    created = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
    Application.objects.filter(pk=app.pk).update(
        status="underwriting", status_changed_at=now - timedelta(days=5, hours=1), created_at=created
    )
    Application.objects.filter(pk=bare.pk).update(status_changed_at=now, created_at=created)
    client.force_login(officer)
    body = client.get(reverse("origination:home")).content.decode()
    assert _row_cells(body, "A-7") == [
        f'<a href="/staff/origination/applications/{app.pk}/">A-7</a>',
        "Ada Lovelace",
        "30-year fixed mortgage",
        "$250,000.00",
        '<span class="badge rounded-pill text-bg-primary" data-testid="status">Underwriting</span>',
        "5",
        "officer@lending.test",  # no name: the email, as User.__str__ shows them
        "2027-02-28",
    ]
    assert _row_cells(body, "A-8")[1:3] == ['<span class="text-muted">—</span>', "30-year fixed mortgage"]
    assert _row_cells(body, "A-8")[3:] == [
        "",
        '<span class="badge rounded-pill text-bg-primary" data-testid="status">Draft</span>',
        "0",
        "",
        "2027-02-28",
    ]


def test_pipeline_page_rows_are_those_of_the_ids_asked_for_in_their_order():
    """The page's read is compiled once per page size (CompiledRowsByIds): each call reads its own ids."""
    apps = [ApplicationFactory(number=f"A-{n}") for n in range(4)]
    for app in apps:
        BorrowerFactory(application=app, first_name="Ada", last_name=app.number)
    ids = [app.pk for app in apps]

    def read(*picked):
        return [(row.pk, row.number, row.borrower) for row in pipeline_page_rows([ids[n] for n in picked])]

    def expected(*picked):
        return [(ids[n], f"A-{n}", f"Ada A-{n}") for n in picked]

    assert read(2, 0) == expected(2, 0)
    assert read(1, 3) == expected(1, 3)  # the same size: the same compiled SQL, other ids
    assert read(3, 1, 0) == expected(3, 1, 0)
    assert read(1) == expected(1)
    assert pipeline_page_rows([]) == []
