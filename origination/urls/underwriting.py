"""Credit and underwriting URLs (namespace "origination", under /staff/origination/)."""

from django.urls import path

from origination.views import underwriting as views

urlpatterns = [
    path("applications/<int:pk>/underwriting/", views.WorkspaceView.as_view(), name="underwriting-workspace"),
    path("applications/<int:pk>/underwriting/panel/", views.PanelView.as_view(), name="underwriting-panel"),
    path("applications/<int:pk>/underwriting/credit/", views.CreditPullView.as_view(), name="credit-pull"),
    path("applications/<int:pk>/underwriting/aus/", views.AusRunView.as_view(), name="underwriting-run"),
    path("applications/<int:pk>/underwriting/conditions/", views.ConditionAddView.as_view(), name="condition-add"),
    path(
        "applications/<int:pk>/underwriting/conditions/<int:condition_pk>/clear/",
        views.ConditionClearView.as_view(),
        name="condition-clear",
    ),
    path(
        "applications/<int:pk>/underwriting/conditions/<int:condition_pk>/waive/",
        views.ConditionWaiveView.as_view(),
        name="condition-waive",
    ),
    path(
        "applications/<int:pk>/underwriting/credit/<int:report_pk>/tradelines/<int:index>/exclude/",
        views.TradelineExcludeView.as_view(),
        name="tradeline-exclude",
    ),
    path(
        "applications/<int:pk>/underwriting/exclusions/<int:exclusion_pk>/include/",
        views.TradelineIncludeView.as_view(),
        name="tradeline-include",
    ),
    path("applications/<int:pk>/underwriting/decision/", views.DecisionView.as_view(), name="underwriting-decide"),
    path(
        "applications/<int:pk>/underwriting/adverse-action.pdf",
        views.AdverseActionDownloadView.as_view(),
        name="adverse-action-notice",
    ),
]
