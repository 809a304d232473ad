"""Borrower payoff URLs under /portal/loans/ (namespace "servicing_portal"); the borrower's own loans only."""

from django.urls import path

from servicing.views import payoff

urlpatterns = [
    path("<int:pk>/payoff/", payoff.PortalPayoffView.as_view(), name="loan-payoff"),
    path(
        "<int:pk>/payoff/quotes/<int:quote_pk>/letter.pdf",
        payoff.PortalPayoffLetterView.as_view(),
        name="loan-payoff-letter",
    ),
]
