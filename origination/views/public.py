"""The public entry to an online application (/apply/): choose a product and open a portal account.

A signed-in borrower with a draft application is taken back to where they left it; the steps that follow
live in origination.views.apply (they need the account this page creates).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from lending.core import roles
from origination.forms.intake import AccountStartForm, StartForm, sections_for
from origination.selectors import intake as selectors_intake
from origination.services import intake, signup
from origination.views.apply import resume_url, step_url


class ApplyView(View):
    template_name = "origination/apply.html"

    def get(self, request):
        user = request.user
        if user.is_authenticated and roles.is_borrower(user) and request.GET.get("new") != "1":
            draft = selectors_intake.draft_to_resume(user=user)
            if draft is not None:
                return redirect(resume_url(draft))
        return self._render(request, self._form_class(user)())

    def post(self, request):
        user = request.user
        if user.is_authenticated and not roles.is_borrower(user):
            return self._render(request, None, status=403)
        form = self._form_class(user)(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        data = form.cleaned_data
        if not user.is_authenticated:
            return self._sign_up(data)
        application = intake.application_start(
            actor=user, product=data["product"], purpose=data["purpose"], applicant=user
        )
        first = sections_for(application)[0].slug
        intake.intake_step_save(actor=user, application=application, step=first)
        messages.success(
            request, f"Application {application.number} started. Save at any step and sign in later to finish it."
        )
        return redirect(step_url(application, first))

    @staticmethod
    def _sign_up(data):
        # One answer whether or not the email already has an account: both get an email, nobody is signed in.
        application = signup.applicant_signup(
            email=data["email"],
            password=data["password1"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            product=data["product"],
            purpose=data["purpose"],
        )
        if application is not None:
            first = sections_for(application)[0].slug
            intake.intake_step_save(actor=application.applicant, application=application, step=first)
        return redirect("apply-check-email")

    @staticmethod
    def _form_class(user):
        return StartForm if user.is_authenticated else AccountStartForm

    def _render(self, request, form, status: int = 200):
        user = request.user
        context = {
            "form": form,
            "staff_notice": user.is_authenticated and not roles.is_borrower(user),
            "can_start_for_borrower": roles.has_role(user, *intake.INTAKE_STAFF_ROLES),
        }
        return render(request, self.template_name, context, status=status)


class ApplyCheckEmailView(TemplateView):
    """What every new sign-up sees, whether or not its email already had an account."""

    template_name = "origination/apply_check_email.html"
