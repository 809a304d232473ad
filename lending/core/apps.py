from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "lending.core"
    label = "core"
    verbose_name = "Core: users, roles, audit"

    def ready(self) -> None:
        import lending.celery  # noqa: F401  (configures the Celery app that shared tasks bind to)
        from lending.core import lookups, receivers  # noqa: F401  (receivers: login/logout audit)

        lookups.register()


class LendingAdminConfig(admin_apps.AdminConfig):
    """Django admin with Lending's site class (servicer branding, 403 for non-staff)."""

    default = False
    default_site = "lending.core.admin_site.LendingAdminSite"
