"""Past clients' follow-ups (anniversary check-ins, refinance alerts, paid-off loans): an officer's own, all for
a manager."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from crm import selectors_nurture
from crm.services.past_clients import follow_up_done
from crm.views.staff import CrmStaffMixin

FOLLOW_UPS_SHOWN = 200


class FollowUpListView(CrmStaffMixin, TemplateView):
    template_name = "crm/follow_up_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        show_done = self.request.GET.get("done") == "1"
        follow_ups = selectors_nurture.follow_ups_for(self.request.user, show_done=show_done)
        context.update(follow_ups=list(follow_ups[:FOLLOW_UPS_SHOWN]), show_done=show_done)
        return context


class FollowUpDoneView(CrmStaffMixin, View):
    def post(self, request, pk):
        follow_up = selectors_nurture.follow_up_for(request.user, pk)  # 404 unless theirs
        follow_up_done(actor=request.user, follow_up=follow_up)
        messages.success(request, f"Done: {follow_up.title}")
        return redirect("crm:follow-ups")
