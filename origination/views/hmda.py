"""HMDA pages: the Loan/Application Register (/staff/reports/hmda/, managers): a year's file, its edit results per
application, what it writes for the data the project does not capture, the download once clean; and each mortgage
application's HMDA data page (census tract, collection by visual observation) for origination staff."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from lending.core import roles
from lending.core.permissions import RoleRequiredMixin
from lending.core.services import audit_record
from origination import selectors
from origination.forms.hmda import HmdaDetailsForm
from origination.forms.intake import apply_service_errors
from origination.hmda import spec
from origination.hmda.report import HmdaReport, hmda_report
from origination.models import Property
from origination.services import intake
from origination.services.intake.hmda import DEMOGRAPHIC_FIELDS, OBSERVATION_FIELDS
from origination.views.staff import OriginationStaffMixin

HMDA_ROLES = (roles.MANAGER,)
TEMPLATE = "origination/hmda/lar.html"


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=spec.MIN_YEAR, max_value=spec.MAX_YEAR)


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


class ApplicationHmdaView(OriginationStaffMixin, View):
    """One application's HMDA data (census tract, collection by visual observation), editable in any status."""

    template_name = "origination/hmda/application.html"

    def _load(self, request, pk: int):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        if application.product.kind != "mortgage":
            raise Http404("HMDA covers mortgage applications only")
        borrowers = list(
            application.borrowers.defer("ssn").select_related("demographics").order_by("-is_primary", "id")
        )
        return application, borrowers

    def _initial(self, application, borrowers) -> dict:
        prop = Property.objects.filter(application=application).first()
        initial: dict = {"census_tract": prop.census_tract if prop else ""}
        for borrower in borrowers:
            info = getattr(borrower, "demographics", None)
            for name in (*DEMOGRAPHIC_FIELDS, *OBSERVATION_FIELDS) if info else ():
                initial[f"b{borrower.pk}_{name}"] = getattr(info, name)
        return initial

    def _render(self, request, application, borrowers, form, *, status: int = 200):
        rows = [(b, getattr(b, "demographics", None)) for b in borrowers]
        context = {"application": application, "form": form, "rows": rows}
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        application, borrowers = self._load(request, pk)
        form = HmdaDetailsForm(initial=self._initial(application, borrowers), borrowers=borrowers)
        return self._render(request, application, borrowers, form)

    def post(self, request, pk: int):
        application, borrowers = self._load(request, pk)
        form = HmdaDetailsForm(request.POST, borrowers=borrowers)
        if not form.is_valid():
            return self._render(request, application, borrowers, form, status=400)
        try:
            intake.hmda_details_save(
                actor=request.user,
                application=application,
                census_tract=form.cleaned_data["census_tract"],
                demographics=form.rows(),
            )
        except ValidationError as exc:
            for message in apply_service_errors(form, exc):
                form.add_error(None, message)
            return self._render(request, application, borrowers, form, status=400)
        messages.success(request, "HMDA data saved.")
        return redirect("origination:application-detail", pk=application.pk)
