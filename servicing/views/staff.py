from django.views.generic import TemplateView

from lending.core import roles
from lending.core.permissions import RoleRequiredMixin


class HomeView(RoleRequiredMixin, TemplateView):
    allowed_roles = (roles.SERVICER, roles.COLLECTOR, roles.MANAGER)
    template_name = "servicing/home.html"
