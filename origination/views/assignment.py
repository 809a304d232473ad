"""Staff views of assignment: a manager reassigns an application's loan officer from the workspace."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View

from lending.core.permissions import RoleRequiredMixin
from origination import selectors
from origination.forms.assignment import LoanOfficerForm
from origination.services.assignment import REASSIGN_ROLES, application_loan_officer_assign


class LoanOfficerAssignView(RoleRequiredMixin, View):
    allowed_roles = REASSIGN_ROLES

    def post(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        form = LoanOfficerForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an active loan officer.")
            return redirect("origination:application-detail", pk=pk)
        officer = form.cleaned_data["loan_officer"]
        application_loan_officer_assign(actor=request.user, application=application, loan_officer=officer)
        messages.success(request, f"{application.number} is now {officer.get_full_name() or officer.email}'s.")
        return redirect("origination:application-detail", pk=pk)
