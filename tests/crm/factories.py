import factory
from django.utils import timezone

from crm.models import Contact, Lead, LeadSource, ReferralPartner, Task


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = "Dana"
    last_name = factory.Sequence(lambda n: f"Doe{n}")
    email = factory.Sequence(lambda n: f"dana{n}@example.com")
    email_normalized = factory.LazyAttribute(lambda c: c.email.lower())
    phone = ""
    phone_normalized = ""


class LeadSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadSource
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"source-{n}")
    name = factory.LazyAttribute(lambda s: s.code.title())


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferralPartner

    kind = ReferralPartner.Kind.AGENT
    name = factory.Sequence(lambda n: f"Agent {n}")
    company = "Main Street Realty"
    email = factory.Sequence(lambda n: f"agent{n}@realty.test")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    contact = factory.SubFactory(ContactFactory)
    source = factory.SubFactory(LeadSourceFactory, code="website", name="Website contact form")
    officer = None


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    lead = factory.SubFactory(LeadFactory)
    assigned_to = factory.LazyAttribute(lambda t: t.lead.officer)
    title = "Call back"
    due_date = factory.LazyFunction(timezone.localdate)
