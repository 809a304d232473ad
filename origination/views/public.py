"""The public entry to an online application (/apply/): choose a product and open a portal account.

A signed-in borrower with a draft application is taken back to where they left it; the steps that follow
live in origination.views.apply (they need the account this page creates).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.views import View

from lending.core import roles
from lending.core.services import user_create
from origination.forms.intake import AccountStartForm, StartForm, sections_for
from origination.selectors import intake as selectors_intake
from origination.services import intake
from origination.views.apply import resume_url, step_url

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


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
            try:
                user = user_create(
                    actor=None,
                    email=data["email"],
                    password=data["password1"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    role_names=(roles.BORROWER,),
                )
            except IntegrityError:
                form.add_error("email", "An account with this email already exists. Sign in to resume.")
                return self._render(request, form, status=400)
            login(request, user, backend=MODEL_BACKEND)
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
