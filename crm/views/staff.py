"""Shared pieces of the CRM's staff pages (the landing page lives here too)."""

from django.core.exceptions import ValidationError
from django.views.generic import TemplateView

from crm import selectors
from lending.core import roles
from lending.core.permissions import RoleRequiredMixin

CRM_ROLES: tuple[str, ...] = (roles.LOAN_OFFICER, roles.MANAGER)


class CrmStaffMixin(RoleRequiredMixin):
    """Loan officers and managers only; what each sees is narrowed by crm.selectors (an officer: own leads)."""

    allowed_roles: tuple[str, ...] = CRM_ROLES


def errors_onto(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: field errors where the form has the field, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


class HomeView(CrmStaffMixin, TemplateView):
    template_name = "crm/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tasks"] = selectors.home_tasks(self.request.user)
        return context
