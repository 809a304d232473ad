"""The Metro 2 files (/staff/reports/metro2/, managers and accounting): ask for a month's file (made in the
background: reading the whole portfolio takes about a minute at 100,000 loans), follow it, read its summary
(records and balances by account status, the accounts withheld with their errors field by field) and download it.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from lending.core.permissions import RoleRequiredMixin
from lending.core.services import audit_record
from servicing.metro2.accounts import months_back
from servicing.models import Metro2File
from servicing.services.metro2 import METRO2_ROLES, Metro2Error, metro2_file_request

TEMPLATE = "servicing/metro2.html"
FILES_LISTED = 24


class MonthForm(forms.Form):
    month = forms.DateField(input_formats=["%Y-%m"], widget=forms.TextInput(attrs={"type": "month"}))

    def clean_month(self) -> date:
        month: date = self.cleaned_data["month"]
        if month > timezone.localdate():
            raise forms.ValidationError("That month has not begun.")
        return month


def _page(request, form: MonthForm, *, status: int = 200):
    files = list(Metro2File.objects.select_related("requested_by")[:FILES_LISTED])
    shown = _shown(request, files)
    context = {"form": form, "files": files, "shown": shown}
    return render(request, TEMPLATE, context, status=status)


def _shown(request, files: list[Metro2File]) -> Metro2File | None:
    """The file whose summary the page shows: ?file=<pk>, else the newest one made."""
    wanted = request.GET.get("file", "")
    if wanted.isdigit():
        return Metro2File.objects.filter(pk=int(wanted)).first()
    return next((f for f in files if f.status == Metro2File.Status.READY), None)


class Metro2View(RoleRequiredMixin, View):
    allowed_roles = METRO2_ROLES

    def get(self, request):
        default = f"{months_back(timezone.localdate(), 1):%Y-%m}"  # the month just closed
        return _page(request, MonthForm(initial={"month": default}))

    def post(self, request):
        form = MonthForm(request.POST)
        if not form.is_valid():
            return _page(request, form, status=400)
        try:
            made = metro2_file_request(actor=request.user, month=form.cleaned_data["month"])
        except Metro2Error as exc:
            form.add_error("month", str(exc))
            return _page(request, form, status=400)
        messages.success(
            request,
            f"The Metro 2 file of {made.month:%B %Y} is "
            + ("ready." if made.status == Metro2File.Status.READY else "being made: this page shows it when done."),
        )
        return redirect(f"{request.path}?file={made.pk}")


class Metro2DownloadView(RoleRequiredMixin, View):
    """A made file, as kept (the accounts that passed their checks; the page lists the ones withheld)."""

    allowed_roles = METRO2_ROLES

    def get(self, request, pk: int):
        made = Metro2File.objects.filter(pk=pk, status=Metro2File.Status.READY).first()
        if made is None:
            raise Http404("No such Metro 2 file.")
        audit_record(
            actor=request.user, verb="metro2.file_download", target=made, after={"month": f"{made.month:%Y-%m}"}
        )
        return FileResponse(
            made.file.open("rb"),
            as_attachment=True,
            filename=f"metro2_{made.month:%Y_%m}.txt",
            content_type="text/plain; charset=ascii",
        )
