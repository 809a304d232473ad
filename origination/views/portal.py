"""Borrower portal pages for applications. Only the borrower's own applications are reachable (404 otherwise)."""

from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView

from lending.core.permissions import BorrowerRequiredMixin
from origination import selectors


class PortalHomeView(BorrowerRequiredMixin, TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["applications"] = selectors.applications_for_borrower(user=self.request.user)
        return context


class ApplicationStatusView(BorrowerRequiredMixin, TemplateView):
    template_name = "origination/portal/application.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = selectors.application_for_borrower(user=self.request.user, pk=self.kwargs["pk"])
        context["application"] = application
        context["panels"] = _borrower_panels(application)
        return context


# Borrower panels of an application, each served by its sub-domain at this URL name (loaded by htmx).
BORROWER_PANELS = (
    ("Your application", "origination_portal:intake-panel"),
    ("Documents we need", "origination_portal:documents-panel"),
    ("Messages", "origination_portal:messages-panel"),
    ("Loan Estimate and Closing Disclosure", "origination_portal:disclosures-panel"),
)


def _borrower_panels(application) -> list[tuple[str, str]]:
    panels = []
    for title, url_name in BORROWER_PANELS:
        try:
            panels.append((title, reverse(url_name, args=[application.pk])))
        except NoReverseMatch:
            continue
    return panels
