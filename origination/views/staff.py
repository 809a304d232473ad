from django.views.generic import TemplateView

from lending.core import roles
from lending.core.permissions import RoleRequiredMixin


class HomeView(RoleRequiredMixin, TemplateView):
    allowed_roles = (roles.LOAN_OFFICER, roles.PROCESSOR, roles.UNDERWRITER, roles.CLOSER, roles.MANAGER)
    template_name = "origination/home.html"
