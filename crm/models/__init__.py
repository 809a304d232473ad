"""CRM tables, one module per concern."""

from crm.models.activities import Activity, Task
from crm.models.contacts import ConsentSource, Contact, Lead, LeadRotation, LeadSource, Stage
from crm.models.partners import ReferralPartner

__all__ = [
    "Activity",
    "ConsentSource",
    "Contact",
    "Lead",
    "LeadRotation",
    "LeadSource",
    "ReferralPartner",
    "Stage",
    "Task",
]
