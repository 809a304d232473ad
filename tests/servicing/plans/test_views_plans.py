"""Plan views: who may do what (403 for other roles, managers alone approve and cancel), form errors (400), a
refused transition (409), never a 500; the borrower's portal page (their own loans only); constant queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from lending.core import roles
from servicing.models import Forbearance, LoanModification, RepaymentPlan
from servicing.services import collections, payments, plans
from servicing.services.collections import promise_make
from servicing.services.modification import modification_approve, modification_cancel, modification_propose
from servicing.services.plans import forbearance_create, repayment_plan_create
from tests.core.factories import user_with_role
from tests.money_asserts import assert_amount
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.factories_portal import make_borrower
from tests.servicing.plans.helpers import APPROVED

pytestmark = pytest.mark.django_db
REFUSED = (roles.SERVICER, roles.LOAN_OFFICER, roles.BORROWER)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(payments, "_today", lambda: date(2027, 12, 31))
    monkeypatch.setattr(plans, "_today", lambda: APPROVED)
    monkeypatch.setattr(collections, "_today", lambda: APPROVED)


def _page(loan) -> str:
    return reverse("collections:loan", args=[loan.pk])


def _proposal(loan) -> LoanModification:
    return modification_propose(
        actor=user_with_role(roles.COLLECTOR), loan=loan, new_rate=Decimal("5"), term_periods=360
    )


def test_other_roles_get_403_and_collectors_cannot_approve_or_cancel_plans(client, loan):
    proposal = _proposal(loan)
    posts = [
        reverse("collections:modification-propose", args=[loan.pk]),
        reverse("collections:modification-approve", args=[proposal.pk]),
        reverse("collections:modification-cancel", args=[proposal.pk]),
        reverse("collections:repayment-plan-create", args=[loan.pk]),
        reverse("collections:forbearance-create", args=[loan.pk]),
        reverse("collections:repayment-plan-cancel", args=[1]),
        reverse("collections:forbearance-cancel", args=[1]),
    ]
    for role in REFUSED:
        client.force_login(user_with_role(role))
        for url in posts:
            assert client.post(url).status_code == 403, (role, url)
    client.force_login(user_with_role(roles.COLLECTOR))
    for url in (posts[1], posts[5], posts[6]):
        assert client.post(url).status_code == 403, url
    assert LoanModification.objects.get().status == "proposed"


def test_a_collector_proposes_and_a_manager_approves_through_the_page(client, loan):
    client.force_login(user_with_role(roles.COLLECTOR))
    body = client.get(_page(loan)).content.decode()
    assert 'data-testid="modification-form"' in body
    response = client.post(
        reverse("collections:modification-propose", args=[loan.pk]), {"new_rate": "5", "term_periods": "360"}
    )
    assert response.status_code == 302
    proposal = LoanModification.objects.get()
    body = client.get(_page(loan)).content.decode()
    assert 'data-testid="modification-approve"' not in body  # a collector sees no approve button
    assert '<span data-testid="new-payment">$1,610.46</span>' in body
    client.force_login(user_with_role(roles.MANAGER))
    response = client.post(reverse("collections:modification-approve", args=[proposal.pk]))
    assert response.status_code == 302
    assert response["Location"] == _page(loan)
    body = client.get(_page(loan)).content.decode()
    assert '<span data-testid="trial-payment">$2,135.46</span>' in body
    assert "2027-03-01, 2027-04-01, 2027-05-01: 0 of 3 made." in body
    download = reverse("servicing:document-download", args=[LoanModification.objects.get().agreement_id])
    assert f'href="{download}"' in body
    response = client.get(download)
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")


def test_bad_input_re_renders_the_page_with_field_errors(client, loan):
    client.force_login(user_with_role(roles.COLLECTOR))
    response = client.post(
        reverse("collections:modification-propose", args=[loan.pk]), {"new_rate": "abc", "term_periods": "0"}
    )
    assert response.status_code == 400
    form = response.context["modification_form"]
    assert form.errors["new_rate"] == ["Enter a number."]
    assert form.errors["term_periods"] == ["Ensure this value is greater than or equal to 1."]
    response = client.post(reverse("collections:modification-propose", args=[loan.pk]), {"new_rate": "5"})
    assert response.status_code == 400
    assert response.context["modification_form"].errors["term_periods"] == [
        "Give the number of installments or the maturity date."
    ]
    response = client.post(
        reverse("collections:modification-propose", args=[loan.pk]), {"new_rate": "5", "maturity_date": "2057-05-15"}
    )
    assert response.status_code == 400
    assert response.context["modification_form"].errors["maturity_date"] == [
        "The maturity must be one of the loan's due dates, within 1,600 installments."
    ]
    response = client.post(reverse("collections:repayment-plan-create", args=[loan.pk]), {"months": "1"})
    assert response.status_code == 400
    assert response.context["repayment_form"].errors["months"] == ["Ensure this value is greater than or equal to 2."]
    response = client.post(
        reverse("collections:forbearance-create", args=[loan.pk]), {"months": "3", "reduced_payment": "9999.00"}
    )
    assert response.status_code == 400
    assert response.context["forbearance_form"].errors["reduced_payment"] == [
        "The reduced payment must be less than the installments it reduces."
    ]
    assert not LoanModification.objects.exists()
    assert not RepaymentPlan.objects.exists()
    assert not Forbearance.objects.exists()


def test_a_refused_transition_is_a_409_with_the_reason(client, loan):
    proposal = _proposal(loan)
    manager = user_with_role(roles.MANAGER)
    modification_cancel(actor=manager, modification=proposal)
    client.force_login(manager)
    response = client.post(reverse("collections:modification-approve", args=[proposal.pk]))
    assert response.status_code == 409
    assert response.context["plan_error"] == "The modification is cancelled: only a proposed one can be approved."
    assert "only a proposed one can be approved" in response.content.decode()
    repayment_plan_create(actor=manager, loan=loan, months=3)
    response = client.post(
        reverse("collections:forbearance-create", args=[loan.pk]), {"months": "2", "reduced_payment": "0"}
    )
    assert response.status_code == 409
    assert response.context["forbearance_form"].non_field_errors() == ["The loan already has an active repayment plan."]
    proposal.refresh_from_db()
    assert proposal.status == "cancelled"  # the refused approval left it as it was
    assert not Forbearance.objects.exists()
    assert RepaymentPlan.objects.filter(loan=loan).count() == 1
    assert client.post(reverse("collections:modification-approve", args=[999999])).status_code == 404


def test_a_manager_creates_and_cancels_a_repayment_plan_and_a_forbearance(client, loan):
    client.force_login(user_with_role(roles.MANAGER))
    assert client.post(reverse("collections:repayment-plan-create", args=[loan.pk]), {"months": "6"}).status_code == 302
    plan = RepaymentPlan.objects.get()
    body = client.get(_page(loan)).content.decode()
    assert_amount(body, "<strong>Repayment plan</strong>: arrears $5,817.46 over 6 months, 0 kept.")
    assert client.post(reverse("collections:repayment-plan-cancel", args=[plan.pk])).status_code == 302
    response = client.post(
        reverse("collections:forbearance-create", args=[loan.pk]), {"months": "3", "reduced_payment": "0"}
    )
    assert response.status_code == 302
    assert Forbearance.objects.get().forborne == Decimal("7263.60")
    assert_amount(client.get(_page(loan)).content.decode(), "$7,263.60 forborne")


def test_the_page_takes_the_same_queries_with_one_plan_or_many(client, django_assert_max_num_queries):
    manager = user_with_role(roles.MANAGER)
    few, many = delinquent_loan(), delinquent_loan()
    for loan, times in ((few, 1), (many, 4)):  # each kind of plan once, or four times
        for _ in range(times):
            modification_cancel(actor=manager, modification=_proposal(loan))
            forbearance = forbearance_create(actor=manager, loan=loan, months=2, reduced_payment=Decimal("0"))
            plans.plan_cancel(actor=manager, plan=forbearance)
            repayment = repayment_plan_create(actor=manager, loan=loan, months=4)
            plans.plan_cancel(actor=manager, plan=repayment)
        modification_approve(actor=manager, modification=_proposal(loan))
    client.force_login(manager)
    counts = []
    for loan in (few, many):
        with django_assert_max_num_queries(20) as captured:
            assert client.get(_page(loan)).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- the portal --------------------------------------------------------------------------------------------------


def test_the_borrower_sees_their_plans_and_promises_and_not_anothers(client, django_assert_max_num_queries):
    mine, theirs = delinquent_loan(), delinquent_loan()
    make_borrower(mine.borrower)
    make_borrower(theirs.borrower)
    manager = user_with_role(roles.MANAGER)
    modification_approve(actor=manager, modification=_proposal(mine))
    promise_make(actor=manager, loan=mine, amount=Decimal("500.00"), promised_date=date(2027, 2, 26))
    client.force_login(mine.borrower)
    url = reverse("servicing_portal:loan-plans", args=[mine.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<strong data-testid="portal-trial-payment">$2,135.46</strong>' in body
    assert "Mar 1, 2027, Apr 1, 2027 and May 1, 2027: 0 of 3 received on time." in body
    assert '<td>Feb 16, 2027</td><td class="text-end">$500.00</td><td>Feb 26, 2027</td><td>Pending</td>' in body
    detail = client.get(reverse("servicing_portal:loan-detail", args=[mine.pk])).content.decode()
    assert f'href="{url}"' in detail
    assert client.get(reverse("servicing_portal:loan-plans", args=[theirs.pk])).status_code == 404
    client.force_login(user_with_role(roles.COLLECTOR))
    assert client.get(url).status_code == 403


def test_only_the_proposer_or_a_manager_cancels_a_proposal(client, loan):
    proposal = _proposal(loan)
    client.force_login(user_with_role(roles.COLLECTOR))  # another collector
    response = client.post(reverse("collections:modification-cancel", args=[proposal.pk]))
    assert response.status_code == 403
    assert response.context["plan_error"] == "Only a manager, or the collector who proposed it, may cancel a proposal."
    client.force_login(proposal.proposed_by)
    assert client.post(reverse("collections:modification-cancel", args=[proposal.pk])).status_code == 302
    assert LoanModification.objects.get().status == "cancelled"
