"""Underwriting factories: credit reports, findings, conditions, and applications parked in a workflow state."""

from decimal import Decimal

import factory

from origination.models import Application, Condition, CreditReport, UnderwritingFinding
from tests.core.factories import UserFactory
from tests.origination.factories import AssetFactory, BorrowerFactory, complete_application


class CreditReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditReport

    borrower = factory.SubFactory(BorrowerFactory)
    application = factory.LazyAttribute(lambda o: o.borrower.application)
    bureau = "Sandbox bureau (test data)"
    is_sandbox = True
    score = 740
    tradelines = factory.LazyFunction(
        lambda: [
            {
                "creditor": "Sandbox Card Services",
                "kind": "revolving",
                "balance": "1200.00",
                "monthly_payment": "36.00",
                "status": "current",
                "opened": "2015-04-03",
            }
        ]
    )
    raw = factory.LazyFunction(
        lambda: {
            "sandbox": True,
            "score_range": [300, 850],
            "key_factors": ["Length of time accounts have been established"],
            "bureau_contact": {"name": "Sandbox bureau (test data)", "address": "test data", "phone": "n/a"},
        }
    )
    pulled_by = factory.SubFactory(UserFactory)


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnderwritingFinding

    application = factory.SubFactory("tests.origination.factories.ApplicationFactory")
    recommendation = "approve_eligible"
    back_dti = Decimal("31.9022")
    messages = factory.LazyFunction(lambda: [{"code": "recommendation", "severity": "approve_eligible", "text": "ok"}])
    run_by = factory.SubFactory(UserFactory)


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition

    application = factory.SubFactory("tests.origination.factories.ApplicationFactory")
    stage = "prior_to_approval"
    description = factory.Sequence(lambda n: f"Explain the deposit number {n}")
    created_by = factory.SubFactory(UserFactory)


def park(application: Application, status: str) -> Application:
    """Put an application in ``status`` directly (the FSM field is protected; tests of one step skip the others)."""
    Application.objects.filter(pk=application.pk).update(status=status)
    return Application.objects.get(pk=application.pk)


def underwriting_application(status: str = "underwriting", *, ssn: str = "123-45-0240", **kwargs) -> Application:
    """A complete mortgage application in ``status`` whose primary borrower's SSN scores 740 at the sandbox bureau,
    with enough assets for reserves (so the AUS approves once credit is pulled)."""
    application = complete_application(**kwargs)
    borrower = application.borrowers.get()
    borrower.ssn, borrower.ssn_last4 = ssn, ssn[-4:]
    borrower.save(update_fields=["ssn", "ssn_last4"])
    AssetFactory(application=application, kind="savings", balance=Decimal("70000.00"))
    return park(application, status)
