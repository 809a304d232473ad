from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM: leads, partners, campaigns"

    def ready(self) -> None:
        from crm import (
            receivers,  # noqa: F401  (follows applications through origination's signals)
            tasks,  # noqa: F401  (registers the task reminders, which beat names, in every process)
            tasks_nurture,  # noqa: F401  (campaign sending and past-client follow-ups)
        )
