"""The HMDA page (/staff/reports/hmda/, managers): a year's Loan/Application Register, its edit results per
application, what the file writes for the data the project does not capture, and the download once it is clean."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from lending.core import roles
from lending.core.permissions import RoleRequiredMixin
from lending.core.services import audit_record
from origination.hmda import spec
from origination.hmda.report import HmdaReport, hmda_report

HMDA_ROLES = (roles.MANAGER,)
TEMPLATE = "origination/hmda/lar.html"


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=spec.MIN_YEAR, max_value=9999)


def _year(request) -> tuple[YearForm, int | None]:
    default = timezone.localdate().year - 1  # the filing due by March 1 covers last year
    form = YearForm(request.GET or {"year": default})
    return form, form.cleaned_data["year"] if form.is_valid() else None


def _page(request, form: YearForm, report: HmdaReport | None, *, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "report": report,
        "not_captured": spec.NOT_CAPTURED.items(),
        "fixed_facts": spec.FIXED_FACTS.items(),
        "lar_field_count": len(spec.LAR_FIELDS),
    }
    return render(request, TEMPLATE, context, status=status)


class HmdaLarView(RoleRequiredMixin, View):
    allowed_roles = HMDA_ROLES

    def get(self, request):
        form, year = _year(request)
        if year is None:
            return _page(request, form, None, status=400)
        return _page(request, form, hmda_report(year=year))


class HmdaLarDownloadView(RoleRequiredMixin, View):
    """The file, only when every edit passes; otherwise the page with the errors (409)."""

    allowed_roles = HMDA_ROLES

    def get(self, request):
        form, year = _year(request)
        if year is None:
            return _page(request, form, None, status=400)
        report = hmda_report(year=year)
        if not report.is_clean:
            return _page(request, form, report, status=409)
        audit_record(actor=request.user, verb="hmda.lar_download", after={"year": year, "rows": len(report.lar.rows)})
        response = HttpResponse(report.lar.text(), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
        return response
