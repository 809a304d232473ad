"""The online application, one section per page, for the signed-in borrower (their own drafts only).

Each page offers Back, "Save and continue" and "Save and finish later"; the step reached is kept on the
application (``intake_step``) so signing in later resumes there. The last page reviews and submits.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from lending.core.permissions import BorrowerRequiredMixin
from origination import selectors, workflow
from origination.forms.intake import ESIGN_DISCLOSURE, SECTIONS_BY_SLUG, apply_service_errors, sections_for
from origination.models import Application
from origination.selectors import intake as selectors_intake
from origination.services import intake
from origination.services.workflow import StaleApplication, TransitionBlocked

REVIEW = "review"


def step_url(application: Application, slug: str) -> str:
    if slug == REVIEW:
        return reverse("origination_portal:apply-review", args=[application.pk])
    return reverse("origination_portal:apply-step", args=[application.pk, slug])


def resume_url(application: Application) -> str:
    """Where the applicant left the form (the first step if the saved one no longer applies)."""
    slugs = [s.slug for s in sections_for(application)] + [REVIEW]
    return step_url(application, application.intake_step if application.intake_step in slugs else slugs[0])


def progress(application: Application, current: str) -> list[dict]:
    steps = [(s.slug, s.title) for s in sections_for(application)] + [(REVIEW, "Review and submit")]
    return [
        {"slug": slug, "title": title, "url": step_url(application, slug), "current": slug == current}
        for slug, title in steps
    ]


class ApplyMixin(BorrowerRequiredMixin):
    """The borrower's own application (404 otherwise); refuses changes once it has left draft."""

    request: HttpRequest  # set by the view this mixes into
    kwargs: dict[str, Any]

    def get_application(self) -> Application:
        return selectors.application_for_borrower(user=self.request.user, pk=self.kwargs["pk"])

    def closed(self, request, application: Application):
        message = "This application has been submitted, so it can no longer be changed online."
        if application.status != workflow.SUBMITTED:
            message = f"This application is {application.get_status_display().lower()}: it can no longer be changed."
        context = {"application": application, "message": message}
        return render(request, "origination/apply/closed.html", context, status=409)

    def left_draft(self, request, application: Application):
        messages.info(request, f"Application {application.number} is {application.get_status_display().lower()}.")
        return redirect("origination_portal:application", pk=application.pk)


class ApplyStepView(ApplyMixin, View):
    template_name = "origination/apply/step.html"

    def _section(self, application: Application):
        sections = sections_for(application)
        slugs = [s.slug for s in sections]
        slug = self.kwargs["step"]
        if slug not in slugs:
            raise Http404("No such step")
        index = slugs.index(slug)
        previous = slugs[index - 1] if index else None
        following = slugs[index + 1] if index + 1 < len(slugs) else REVIEW
        return SECTIONS_BY_SLUG[slug], previous, following

    def get(self, request, pk, step):
        application = self.get_application()
        section, previous, _ = self._section(application)
        if application.status != workflow.DRAFT:
            return self.left_draft(request, application)
        return self._render(request, application, section, previous, section.build(application))

    def post(self, request, pk, step):
        application = self.get_application()
        section, previous, following = self._section(application)
        if application.status != workflow.DRAFT:
            return self.closed(request, application)
        bound = section.build(application, request.POST)
        if not bound.is_valid():
            return self._render(request, application, section, previous, bound, status=400)
        try:
            section.save(bound, actor=request.user, application=application)
        except intake.IntakeClosed:
            return self.closed(request, application)
        except ValidationError as exc:
            errors = apply_service_errors(bound, exc)
            return self._render(request, application, section, previous, bound, errors=errors, status=400)
        action = request.POST.get("action", "continue")
        if action == "later":
            intake.intake_step_save(actor=request.user, application=application, step=section.slug)
            messages.success(request, "Saved. Sign in any time to continue where you left off.")
            return redirect("origination_portal:application", pk=application.pk)
        if action == "add" and section.is_formset:
            intake.intake_step_save(actor=request.user, application=application, step=section.slug)
            return redirect(step_url(application, section.slug))
        intake.intake_step_save(actor=request.user, application=application, step=following)
        return redirect(step_url(application, following))

    def _render(self, request, application, section, previous, bound, *, errors=(), status=200):
        context = {
            "application": application,
            "section": section,
            "form": bound,
            "previous_url": step_url(application, previous) if previous else "",
            "steps": progress(application, section.slug),
            "service_errors": list(errors),
            "esign_disclosure": ESIGN_DISCLOSURE,
        }
        return render(request, self.template_name, context, status=status)


class ApplyReviewView(ApplyMixin, View):
    template_name = "origination/apply/review.html"

    def get(self, request, pk):
        application = self.get_application()
        if application.status != workflow.DRAFT:
            return self.left_draft(request, application)
        return self._render(request, application)

    def post(self, request, pk):
        application = self.get_application()
        if application.status != workflow.DRAFT:
            return self.closed(request, application)
        try:
            intake.application_submit_online(actor=request.user, application=application)
        except TransitionBlocked as exc:
            return self._render(request, application, error=str(exc), reasons=exc.reasons, status=409)
        except StaleApplication as exc:
            return self._render(request, application, error=str(exc), status=409)
        messages.success(request, f"Application {application.number} is submitted. We will be in touch soon.")
        return redirect("origination_portal:application", pk=application.pk)

    def _render(self, request, application, *, error: str = "", reasons=(), status: int = 200):
        summary = selectors_intake.intake_summary(application=application, full_ssn=False)
        blocked = list(reasons)
        if not blocked:
            blocked = [
                reason
                for option in workflow.transition_options(application, request.user)
                if option.name == "submit"
                for reason in option.blocked_by
            ]
            if application.econsent_at is None:
                blocked.append(intake.ECONSENT_REQUIRED_LABEL)
        context = {
            "application": application,
            "summary": summary,
            "blocked": blocked,
            "error": error,
            "steps": progress(application, REVIEW),
            "edit_urls": {s.slug: step_url(application, s.slug) for s in sections_for(application)},
            "previous_url": step_url(application, sections_for(application)[-1].slug),
        }
        return render(request, self.template_name, context, status=status)


class ApplyResumeView(ApplyMixin, View):
    """Continue application: back to the step the borrower saved."""

    def get(self, request, pk):
        application = self.get_application()
        if application.status != workflow.DRAFT:
            return self.left_draft(request, application)
        return redirect(resume_url(application))
