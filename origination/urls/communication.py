"""Staff message and task URLs (namespace "origination"). Borrower message URLs are in origination.urls.portal."""

from django.urls import path

from origination.views import communication

urlpatterns = [
    path(
        "applications/<int:pk>/communication/panel/",
        communication.CommunicationPanelView.as_view(),
        name="communication-panel",
    ),
    path("applications/<int:pk>/messages/", communication.MessagePostView.as_view(), name="message-post"),
    path("applications/<int:pk>/tasks/", communication.TaskCreateView.as_view(), name="task-create"),
    path(
        "applications/<int:pk>/tasks/<int:task_pk>/complete/",
        communication.TaskCompleteView.as_view(),
        name="task-complete",
    ),
    path("tasks/", communication.MyTasksView.as_view(), name="my-tasks"),
]
