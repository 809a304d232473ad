"""Factories of campaigns (and their steps) for the campaign and dashboard tests."""

import factory

from crm.models import Campaign, CampaignStep


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    is_active = True
    trigger = Campaign.Trigger.MANUAL


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignStep

    campaign = factory.SubFactory(CampaignFactory)
    position = factory.Sequence(lambda n: n + 1)
    delay_days = 0
    subject = "Hello {{ first_name }}"
    body = "Dear {{ full_name }},\nRates moved this week."
