"""CRM tables, one module per concern."""

from crm.models.activities import Activity, Task
from crm.models.contacts import ConsentSource, Contact, Lead, LeadDayCount, LeadRotation, LeadSource, Stage
from crm.models.partners import ReferralPartner

__all__ = [
    "Activity",
    "ConsentSource",
    "Contact",
    "Lead",
    "LeadDayCount",
    "LeadRotation",
    "LeadSource",
    "ReferralPartner",
    "Stage",
    "Task",
]

# Campaigns and past clients (issue 13 sections 3 and 6), kept apart from the lead tables above.
from crm.models.campaigns import Campaign, CampaignSend, CampaignStep, Enrollment
from crm.models.past_clients import FollowUp, MarketRate, PastClient

__all__ += ["Campaign", "CampaignSend", "CampaignStep", "Enrollment", "FollowUp", "MarketRate", "PastClient"]
