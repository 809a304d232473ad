from django.apps import AppConfig


class ServicingConfig(AppConfig):
    name = "servicing"
    verbose_name = "Servicing (LMS)"

    def ready(self) -> None:
        from servicing import (
            receivers,  # noqa: F401  (boards loans on origination's loan_funded)
            tasks,  # noqa: F401  (registers the nightly tasks, which beat names, in every process)
        )
