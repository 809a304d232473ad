"""The Metro 2 file (/staff/reports/metro2/, managers): a month's summary (records by account status, totals, the
accounts withheld with their errors field by field) and the file's download, streamed.

Managers only for now; an ``accounting`` role is being added on another branch and should be allowed here when it
lands (``METRO2_ROLES``)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from lending.core import roles
from lending.core.permissions import RoleRequiredMixin
from lending.core.services import audit_record
from servicing.metro2.accounts import STATUS_LABELS, months_back
from servicing.metro2.file import Metro2Summary
from servicing.selectors.metro2 import metro2_end, metro2_file_lines, metro2_filename, metro2_summary

METRO2_ROLES = (roles.MANAGER,)
TEMPLATE = "servicing/metro2.html"


class MonthForm(forms.Form):
    month = forms.DateField(input_formats=["%Y-%m"], widget=forms.TextInput(attrs={"type": "month"}))

    def clean_month(self) -> date:
        month: date = self.cleaned_data["month"]
        if month > timezone.localdate():
            raise forms.ValidationError("That month has not begun.")
        return month


def _month(request) -> tuple[MonthForm, date | None]:
    default = f"{months_back(timezone.localdate(), 1):%Y-%m}"  # the month just closed
    form = MonthForm(request.GET or {"month": default})
    return form, form.cleaned_data["month"] if form.is_valid() else None


def _page(request, form: MonthForm, summary: Metro2Summary | None, *, status: int = 200) -> HttpResponse:
    rows = (
        [(code, STATUS_LABELS.get(code, ""), count, balance) for code, count, balance in summary.statuses()]
        if summary
        else []
    )
    context = {"form": form, "summary": summary, "rows": rows}
    return render(request, TEMPLATE, context, status=status)


class Metro2View(RoleRequiredMixin, View):
    allowed_roles = METRO2_ROLES

    def get(self, request):
        form, month = _month(request)
        if month is None:
            return _page(request, form, None, status=400)
        return _page(request, form, metro2_summary(month=month))


class Metro2DownloadView(RoleRequiredMixin, View):
    """The file, streamed: the accounts that pass their checks (the page lists the ones withheld)."""

    allowed_roles = METRO2_ROLES

    def get(self, request):
        form, month = _month(request)
        if month is None:
            return _page(request, form, None, status=400)
        audit_record(actor=request.user, verb="metro2.file_download", after={"month": f"{month:%Y-%m}"})
        summary = Metro2Summary(end=metro2_end(month))
        response = StreamingHttpResponse(
            metro2_file_lines(month=month, summary=summary), content_type="text/plain; charset=ascii"
        )
        response["Content-Disposition"] = f'attachment; filename="{metro2_filename(month)}"'
        return response
