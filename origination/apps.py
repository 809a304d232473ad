from django.apps import AppConfig


class OriginationConfig(AppConfig):
    name = "origination"
    verbose_name = "Origination (LOS)"

    def ready(self) -> None:
        # Sub-domain modules that register signal receivers or workflow hooks at import time (one line each).
        from origination import receivers  # noqa: F401  (documents checklist on submit, status-change emails)
        from origination.services import (
            compliance,  # noqa: F401  (compliance checks before clear_to_close and close)
            intake,  # noqa: F401  (stamps the TRID application date before submit)
            underwriting,  # noqa: F401  (decision hooks on approve/suspend/deny)
        )
