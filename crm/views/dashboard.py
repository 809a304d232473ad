"""The CRM dashboard: managers see every lead's figures, a loan officer their own."""

from django.utils import timezone
from django.views.generic import TemplateView

from crm import selectors_dashboard
from crm.views.staff import CrmStaffMixin


class DashboardView(CrmStaffMixin, TemplateView):
    template_name = "crm/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period = self.request.GET.get("period", selectors_dashboard.DEFAULT_PERIOD)
        if period not in selectors_dashboard.PERIODS:
            period = selectors_dashboard.DEFAULT_PERIOD
        board = selectors_dashboard.dashboard(self.request.user, now=timezone.now(), period=period)
        context.update(
            board=board,
            chart_data=board.chart_data(),
            period=period,
            periods=[("30", "30 days"), ("90", "90 days"), ("365", "A year"), ("all", "All time")],
        )
        return context
