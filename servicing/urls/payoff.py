"""Staff payoff URLs under /staff/servicing/ (namespace "servicing")."""

from django.urls import path

from servicing.views import payoff

urlpatterns = [
    path("loans/<int:pk>/payoff/", payoff.StaffPayoffView.as_view(), name="loan-payoff"),
    path("loans/<int:pk>/payoff/post/", payoff.StaffPayoffPostView.as_view(), name="loan-payoff-post"),
    path(
        "loans/<int:pk>/payoff/quotes/<int:quote_pk>/letter.pdf",
        payoff.StaffPayoffLetterView.as_view(),
        name="loan-payoff-letter",
    ),
]
