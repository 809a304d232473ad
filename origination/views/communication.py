"""Messages and tasks: the staff thread (with internal notes) and tasks, the borrower's thread, "My tasks"."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from lending.core.models import User
from lending.core.permissions import BorrowerRequiredMixin
from origination import selectors
from origination.selectors import communication as thread_reads
from origination.services import communication as service
from origination.views.staff import OriginationStaffMixin

MY_TASKS_PAGE_SIZE = 50


class StaffMessageForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=service.MESSAGE_MAX_CHARS, label="Message"
    )
    is_internal = forms.BooleanField(required=False, label="Internal note (staff only, never shown to the borrower)")


class BorrowerMessageForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=service.MESSAGE_MAX_CHARS, label="Your message"
    )


class TaskForm(forms.Form):
    title = forms.CharField(max_length=service.TASK_TITLE_MAX_CHARS)
    assignee = forms.ModelChoiceField(queryset=User.objects.none())
    due_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = thread_reads.assignable_staff()  # per form


# --- staff ------------------------------------------------------------------------------------------------


def _staff_context(request, application, *, message_form=None, task_form=None, error: str = "") -> dict:
    return {
        "application": application,
        "thread": thread_reads.thread_for_staff(application=application),
        "tasks": thread_reads.tasks_for_application(application=application),
        "message_form": message_form or StaffMessageForm(),
        "task_form": task_form or TaskForm(),
        "today": timezone.localdate(),
        "error": error,
    }


def _staff_page(request, application, *, status: int, **kwargs):
    """The panel inside a full page, for a POST that failed: errors shown where the user acted."""
    context = _staff_context(request, application, **kwargs)
    return render(request, "origination/communication/page.html", context, status=status)


class CommunicationPanelView(OriginationStaffMixin, TemplateView):
    template_name = "origination/communication/panel.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = selectors.application_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        context.update(_staff_context(self.request, application))
        return context


class MessagePostView(OriginationStaffMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        form = StaffMessageForm(request.POST)
        if form.is_valid():
            try:
                message = service.message_post(
                    actor=request.user,
                    application=application,
                    body=form.cleaned_data["body"],
                    is_internal=form.cleaned_data["is_internal"],
                )
            except service.CommunicationError as exc:
                form.add_error("body", str(exc))
            else:
                messages.success(request, "Internal note added." if message.is_internal else "Message sent.")
                return redirect("origination:application-detail", pk=pk)
        return _staff_page(request, application, status=400, message_form=form)


class TaskCreateView(OriginationStaffMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        form = TaskForm(request.POST)
        if form.is_valid():
            try:
                task = service.task_create(actor=request.user, application=application, **form.cleaned_data)
            except service.CommunicationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Task “{task.title}” assigned to {task.assignee}.")
                return redirect("origination:application-detail", pk=pk)
        return _staff_page(request, application, status=400, task_form=form)


class TaskCompleteView(OriginationStaffMixin, View):
    def post(self, request, pk, task_pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        task = thread_reads.task_for_application(application=application, pk=task_pk)
        try:
            task = service.task_complete(actor=request.user, task=task)
        except service.CommunicationError as exc:
            return _staff_page(request, application, status=409, error=str(exc))
        messages.success(request, f"Task “{task.title}” done.")
        next_url = request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(next_url)
        return redirect("origination:application-detail", pk=pk)


class MyTasksView(OriginationStaffMixin, TemplateView):
    """Open tasks assigned to the signed-in user, oldest due first; a fixed number of queries per page."""

    template_name = "origination/communication/my_tasks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = thread_reads.my_task_rows(user=self.request.user)
        context["page"] = Paginator(rows, MY_TASKS_PAGE_SIZE).get_page(self.request.GET.get("page"))
        context["today"] = timezone.localdate()
        return context


# --- borrower ------------------------------------------------------------------------------------------


def _borrower_context(application, *, form=None) -> dict:
    return {
        "application": application,
        "thread": thread_reads.thread_for_borrower(application=application),
        "message_form": form or BorrowerMessageForm(),
    }


class BorrowerMessagesPanelView(BorrowerRequiredMixin, TemplateView):
    template_name = "origination/communication/portal_panel.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = selectors.application_for_borrower(user=self.request.user, pk=self.kwargs["pk"])
        context.update(_borrower_context(application))
        return context


class BorrowerMessagePostView(BorrowerRequiredMixin, View):
    def post(self, request, pk):
        application = selectors.application_for_borrower(user=request.user, pk=pk)
        form = BorrowerMessageForm(request.POST)
        if form.is_valid():
            try:
                service.message_post(actor=request.user, application=application, body=form.cleaned_data["body"])
            except service.CommunicationError as exc:
                form.add_error("body", str(exc))
            else:
                messages.success(request, "Message sent to your loan team.")
                return redirect("origination_portal:application", pk=pk)
        context = _borrower_context(application, form=form)
        return render(request, "origination/communication/portal_page.html", context, status=400)
