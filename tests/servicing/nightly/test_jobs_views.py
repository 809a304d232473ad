"""The jobs page: who sees it, who may start a run or rerun a failed step, what it shows, live progress polling,
bad input and a constant query count."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from lending.core import roles
from servicing.models import NightlyLoanError, NightlyRun, NightlyStepRun
from servicing.services.nightly.runner import nightly_run
from tests.core.factories import user_with_role
from tests.servicing.factories import boarded_loan
from tests.servicing.nightly.runner_support import LAST_CLOSABLE, MARK, TODAY, MarkStep, marked, test_steps

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(test_steps.__name__)]
VIEWERS = {roles.SERVICER, roles.MANAGER}
STARTERS = {roles.MANAGER}


@pytest.fixture
def loans():
    return sorted((boarded_loan(consumer=True) for _ in range(3)), key=lambda loan: loan.pk)


@pytest.fixture
def failed_run(loans):
    """The close of business of the last closable date with the second loan failing the first step."""
    MarkStep.fail_ids = {loans[1].pk}
    run = nightly_run(business_date=LAST_CLOSABLE, actor=None, trigger=NightlyRun.Trigger.COMMAND, today=TODAY)
    MarkStep.fail_ids = set()
    return run


def _failed_step(run):
    return NightlyStepRun.objects.get(run=run, name="test_mark")


def _get_urls(run):
    step = _failed_step(run)
    return [reverse("jobs:list"), reverse("jobs:run", args=[run.pk]), reverse("jobs:step-errors", args=[step.pk])]


def _post_urls(run):
    return [
        (reverse("jobs:run-start"), {"business_date": "2026-03-10"}),
        (reverse("jobs:step-rerun", args=[_failed_step(run).pk]), {}),
    ]


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_every_jobs_page_is_for_servicers_and_managers_only(client, failed_run, role):
    client.force_login(user_with_role(role))
    for url in _get_urls(failed_run):
        assert client.get(url).status_code == (200 if role in VIEWERS else 403), url


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_only_a_manager_may_start_a_run_or_rerun_a_step(client, failed_run, role):
    client.force_login(user_with_role(role))
    for url, data in _post_urls(failed_run):
        assert client.post(url, data).status_code == (302 if role in STARTERS else 403), url
    # refused: nothing ran (the failed step is still failed, no run for the 10th)
    started = role in STARTERS
    assert NightlyRun.objects.filter(business_date="2026-03-10").exists() == started
    assert _failed_step(failed_run).status == ("completed" if started else "failed")


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_runs(client, failed_run):
    login = reverse("login")
    for url in _get_urls(failed_run):
        response = client.get(url)
        assert (response.status_code, response.url.split("?")[0]) == (302, login)
    for url, data in _post_urls(failed_run):
        response = client.post(url, data)
        assert (response.status_code, response.url.split("?")[0]) == (302, login)
    assert NightlyRun.objects.count() == 1


def test_the_page_shows_each_step_with_status_counts_errors_and_a_rerun_button(client, failed_run, loans):
    client.force_login(user_with_role(roles.MANAGER))
    response = client.get(reverse("jobs:list"))
    html = response.content.decode()

    assert response.status_code == 200
    assert [run.pk for run in response.context["runs"]] == [failed_run.pk]
    assert 'data-status="failed"' in html
    assert "2 of 3" in html  # the first step: 2 loans done of 3, 1 error
    assert "3 of 3" in html  # the second step went on with every loan
    step = _failed_step(failed_run)
    assert f'<a href="{reverse("jobs:step-errors", args=[step.pk])}" data-testid="step-errors-link">1</a>' in html
    assert html.count('data-testid="step-rerun"') == 1
    assert "Due: 2026-03-11." in html  # the date failed: it is due again
    assert 'hx-trigger="every 2s"' not in html  # nothing is running


def test_a_servicer_sees_the_runs_but_no_start_form_or_rerun_button(client, failed_run):
    client.force_login(user_with_role(roles.SERVICER))
    html = client.get(reverse("jobs:list")).content.decode()
    assert 'data-testid="run"' in html
    assert 'data-testid="run-start-form"' not in html
    assert 'data-testid="step-rerun"' not in html


def test_a_running_run_polls_its_card_and_a_finished_one_stops(client, failed_run):
    client.force_login(user_with_role(roles.SERVICER))
    NightlyRun.objects.filter(pk=failed_run.pk).update(status="running")
    url = reverse("jobs:run", args=[failed_run.pk])
    html = client.get(reverse("jobs:list")).content.decode()
    assert f'hx-get="{url}" hx-trigger="every 2s" hx-swap="outerHTML"' in html
    NightlyRun.objects.filter(pk=failed_run.pk).update(status="completed")
    partial = client.get(url)
    assert partial.templates[0].name == "servicing/jobs/_run.html"
    assert 'hx-trigger="every 2s"' not in partial.content.decode()
    assert 'data-status="completed"' in partial.content.decode()


def test_the_errors_page_links_each_loan_to_its_staff_page(client, failed_run, loans):
    client.force_login(user_with_role(roles.SERVICER))
    step = _failed_step(failed_run)
    html = client.get(reverse("jobs:step-errors", args=[step.pk])).content.decode()
    loan = loans[1]
    link = f'<a href="{reverse("servicing:loan-detail", args=[loan.pk])}">{loan.loan_number}</a>'
    assert link in html
    assert f"ValueError: loan {loan.pk} cannot be marked" in html


def test_a_manager_starts_a_run_for_a_date(client, loans):
    manager = user_with_role(roles.MANAGER)
    client.force_login(manager)
    response = client.post(reverse("jobs:run-start"), {"business_date": "2026-03-10"}, follow=True)

    run = NightlyRun.objects.get()
    assert (str(run.business_date), run.status, run.trigger, run.started_by) == (
        "2026-03-10",
        "completed",
        "staff",
        manager,
    )
    assert marked(MARK, run.business_date) == [loan.pk for loan in loans]
    assert "The close of business for 2026-03-10 ran: completed." in response.content.decode()


def test_a_manager_reruns_a_failed_step_and_only_its_failed_loan_is_done(client, failed_run, loans):
    client.force_login(user_with_role(roles.MANAGER))
    MarkStep.calls.clear()
    response = client.post(reverse("jobs:step-rerun", args=[_failed_step(failed_run).pk]))

    assert response.status_code == 302
    assert MarkStep.calls == [[loans[1].pk]]
    assert NightlyLoanError.objects.count() == 0
    failed_run.refresh_from_db()
    assert failed_run.status == "completed"
    # a step that has not failed is not rerun from here
    again = client.post(reverse("jobs:step-rerun", args=[_failed_step(failed_run).pk]))
    assert again.status_code == 409
    assert "Mark loans for 2026-03-11 has not failed." in again.content.decode()
    assert MarkStep.calls == [[loans[1].pk]]  # the refused rerun ran nothing
    # Marked once each: the two good loans in the run, the failed one by the one rerun.
    assert marked(MARK, LAST_CLOSABLE) == [loans[0].pk, loans[2].pk, loans[1].pk]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required."),
        ("2026-02-30", "Enter a valid date."),
        ("<script>", "Enter a valid date."),
        ("2026-03-07", "2026-03-07 is not a business day."),
        ("2026-03-12", "2026-03-12 has not been closed yet: the latest date that can run is 2026-03-11."),
    ],
)
def test_a_bad_date_is_a_400_with_the_reason_and_starts_nothing(client, value, message):
    client.force_login(user_with_role(roles.MANAGER))
    response = client.post(reverse("jobs:run-start"), {"business_date": value})
    assert response.status_code == 400
    assert response.context["form"].errors == {"business_date": [message]}
    assert NightlyRun.objects.count() == 0


def test_a_run_in_progress_cannot_be_started_again_from_the_page(client, failed_run, loans):
    client.force_login(user_with_role(roles.MANAGER))
    NightlyRun.objects.filter(pk=failed_run.pk).update(status="running")
    response = client.post(reverse("jobs:run-start"), {"business_date": "2026-03-11"})
    assert response.status_code == 400
    assert "is already running" in response.context["form"].errors["business_date"][0]
    rerun = client.post(reverse("jobs:step-rerun", args=[_failed_step(failed_run).pk]))
    assert rerun.status_code == 409
    assert NightlyRun.objects.count() == 1
    step = _failed_step(failed_run)
    assert (step.status, step.error_count) == ("failed", 1)
    assert marked(MARK, LAST_CLOSABLE) == [loans[0].pk, loans[2].pk]  # the failed loan was not re-marked


def test_unknown_ids_are_404(client, failed_run):
    client.force_login(user_with_role(roles.MANAGER))
    assert client.get(reverse("jobs:run", args=[999999])).status_code == 404
    assert client.get(reverse("jobs:step-errors", args=[999999])).status_code == 404
    assert client.post(reverse("jobs:step-rerun", args=[999999])).status_code == 404
    assert NightlyRun.objects.count() == 1
    assert _failed_step(failed_run).status == "failed"


def test_posts_need_the_csrf_token(failed_run):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with_role(roles.MANAGER))
    assert client.post(reverse("jobs:run-start"), {"business_date": "2026-03-10"}).status_code == 403
    assert NightlyRun.objects.count() == 1


def test_the_page_costs_the_same_queries_for_one_run_as_for_many(client, failed_run, django_assert_max_num_queries):
    client.force_login(user_with_role(roles.MANAGER))
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("jobs:list"))
    for day in (date(2026, 3, 9), date(2026, 3, 10)):
        nightly_run(business_date=day, actor=None, trigger=NightlyRun.Trigger.COMMAND, today=TODAY)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("jobs:list"))
    assert len(response.context["runs"]) == 3


def test_large_counts_are_grouped_by_thousands(client, failed_run):
    client.force_login(user_with_role(roles.SERVICER))
    NightlyStepRun.objects.filter(run=failed_run, name="test_mark").update(
        done=99_999, total=101_234, error_count=1_235
    )
    html = client.get(reverse("jobs:list")).content.decode()
    assert '<span class="small" data-testid="step-counts">99,999 of 101,234</span>' in html
    assert 'data-testid="step-errors-link">1,235</a>' in html


def test_the_errors_page_costs_the_same_queries_for_one_error_as_for_many(
    client, failed_run, loans, django_assert_max_num_queries
):
    client.force_login(user_with_role(roles.SERVICER))
    step = _failed_step(failed_run)
    url = reverse("jobs:step-errors", args=[step.pk])
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    NightlyLoanError.objects.bulk_create(NightlyLoanError(step=step, loan=loan, message="again") for loan in loans)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["errors"]) == 4


def test_with_a_broker_the_page_enqueues_the_run_once_committed_and_shows_it_running(
    client, loans, monkeypatch, django_capture_on_commit_callbacks
):
    from servicing.services.nightly import runner

    enqueued = []
    monkeypatch.setattr(runner, "_is_eager", lambda: False)
    monkeypatch.setattr(runner, "_start_step_task", lambda *args: enqueued.append(args))
    client.force_login(user_with_role(roles.MANAGER))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("jobs:run-start"), {"business_date": "2026-03-10"})

    run = NightlyRun.objects.get()
    assert len(callbacks) == 1  # the workers are told only once the run row is committed
    assert enqueued == [(run.pk, ["test_mark", "test_after"], [])]
    assert (response.status_code, run.status) == (302, "running")
    html = client.get(response.url).content.decode()
    assert "The close of business for 2026-03-10 has started; its progress shows below." in html
    assert f'hx-get="{reverse("jobs:run", args=[run.pk])}" hx-trigger="every 2s"' in html
