"""Intake in the staff workspace (start an application, enter or correct any section, the summary panel) and
the borrower's read-only summary panel in the portal."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from lending.core import roles
from lending.core.permissions import BorrowerRequiredMixin, RoleRequiredMixin
from lending.core.services import user_create
from origination import selectors, workflow
from origination.forms.intake import SECTIONS_BY_SLUG, StaffStartForm, apply_service_errors, sections_for
from origination.selectors import intake as selectors_intake
from origination.services import intake
from origination.views.apply import resume_url
from origination.views.staff import OriginationStaffMixin


class IntakeStaffMixin(RoleRequiredMixin):
    """Entering and correcting application data: loan officers, processors and managers."""

    allowed_roles = intake.INTAKE_STAFF_ROLES


class IntakePanelView(OriginationStaffMixin, TemplateView):
    """The workspace panel (htmx partial): everything entered, SSNs masked unless the role needs them."""

    template_name = "origination/intake/panel.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        application = selectors.application_for_staff(user=user, pk=self.kwargs["pk"])
        editable = roles.has_role(user, *intake.INTAKE_STAFF_ROLES) and intake.can_edit(
            actor=user, application=application
        )
        context.update(
            application=application,
            summary=selectors_intake.intake_summary(application=application, full_ssn=selectors.can_see_full_ssn(user)),
            edit_urls=_edit_urls(application) if editable else {},
        )
        return context


def _edit_urls(application) -> dict[str, str]:
    return {
        s.slug: reverse("origination:intake-edit", args=[application.pk, s.slug])
        for s in sections_for(application, staff=True)
    }


class IntakeEditView(IntakeStaffMixin, View):
    """Enter or correct one section of an application; back to the workspace when saved."""

    template_name = "origination/intake/edit.html"

    def _load(self, request, pk, section_slug):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        sections = sections_for(application, staff=True)
        if section_slug not in [s.slug for s in sections]:
            raise Http404("No such section")
        return application, SECTIONS_BY_SLUG[section_slug], sections

    def get(self, request, pk, section):
        application, current, sections = self._load(request, pk, section)
        if not intake.can_edit(actor=request.user, application=application):
            messages.error(request, _locked_message(application))
            return redirect("origination:application-detail", pk=pk)
        return self._render(request, application, current, sections, current.build(application))

    def post(self, request, pk, section):
        application, current, sections = self._load(request, pk, section)
        bound = current.build(application, request.POST)
        if not intake.can_edit(actor=request.user, application=application):
            return self._render(request, application, current, sections, bound, closed=True, status=409)
        if not bound.is_valid():
            return self._render(request, application, current, sections, bound, status=400)
        try:
            current.save(bound, actor=request.user, application=application)
        except intake.IntakeClosed:
            return self._render(request, application, current, sections, bound, closed=True, status=409)
        except ValidationError as exc:
            errors = apply_service_errors(bound, exc)
            return self._render(request, application, current, sections, bound, errors=errors, status=400)
        messages.success(request, f"{current.title} saved.")
        if request.POST.get("action") == "add" and current.is_formset:
            return redirect("origination:intake-edit", pk=pk, section=current.slug)
        return redirect("origination:application-detail", pk=pk)

    def _render(self, request, application, current, sections, bound, *, errors=(), closed=False, status=200):
        context = {
            "application": application,
            "section": current,
            "sections": [(s, reverse("origination:intake-edit", args=[application.pk, s.slug])) for s in sections],
            "form": bound,
            "service_errors": [_locked_message(application)] if closed else list(errors),
        }
        return render(request, self.template_name, context, status=status)


def _locked_message(application) -> str:
    return f"This application is {application.get_status_display().lower()}: its intake data can no longer be changed."


class IntakeNewView(IntakeStaffMixin, View):
    """Start an application for a borrower (their existing account, or a new one), assigned to this loan officer."""

    template_name = "origination/intake/new.html"

    def get(self, request):
        return render(request, self.template_name, {"form": StaffStartForm()})

    def post(self, request):
        form = StaffStartForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = form.cleaned_data
        borrower_user = form.existing_user or user_create(
            actor=request.user,
            email=data["email"],
            password=None,  # unusable until they set one through "forgot password"
            first_name=data["first_name"],
            last_name=data["last_name"],
            role_names=(roles.BORROWER,),
        )
        officer = request.user if roles.has_role(request.user, roles.LOAN_OFFICER) else None
        application = intake.application_start(
            actor=request.user,
            product=data["product"],
            purpose=data["purpose"],
            applicant=borrower_user,
            loan_officer=officer,
        )
        intake.borrower_save(
            actor=request.user,
            application=application,
            data={"first_name": data["first_name"], "last_name": data["last_name"], "email": data["email"]},
        )
        messages.success(request, f"Application {application.number} started for {data['email']}.")
        return redirect("origination:intake-edit", pk=application.pk, section="borrower")


class PortalIntakePanelView(BorrowerRequiredMixin, TemplateView):
    """The borrower's read-only summary of their application (SSN always masked)."""

    template_name = "origination/intake/portal_panel.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = selectors.application_for_borrower(user=self.request.user, pk=self.kwargs["pk"])
        context.update(
            application=application,
            summary=selectors_intake.intake_summary(application=application, full_ssn=False),
            continue_url=resume_url(application) if application.status == workflow.DRAFT else "",
            edit_urls={},
        )
        return context
