"""What a replay changed: the staff page a servicer lands on after a backdated payment or a reversal."""

from django.views.generic import TemplateView

from lending.core.permissions import RoleRequiredMixin
from servicing.selectors import replay as selectors
from servicing.views.staff import SERVICING_ROLES


class ReplayDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = SERVICING_ROLES
    template_name = "servicing/replay_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        replay = selectors.replay_for_staff(pk=self.kwargs["pk"])
        context.update(replay=replay, loan=replay.loan, rows=selectors.replay_rows(replay))
        return context
