"""Loss mitigation actions on a loan's collections page (namespace "collections"): receive an application, add a
document to it, acknowledge it, mark it complete, decide it, and (managers) refer the loan to foreclosure. Each
POSTs one form; a refusal re-renders the page with the reason (400), as the collections actions do."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.views.generic import View

from lending.core import roles
from lending.core.permissions import RoleRequiredMixin
from servicing.forms.loss_mitigation import ActionForm, DecideForm, DocumentForm, ReceiveForm, ReferralForm
from servicing.models import LoanAccount, LossMitigationApplication, LossMitigationDocument
from servicing.services import loss_mitigation as services
from servicing.services.foreclosure_referral import foreclosure_refer
from servicing.views.collections import COLLECTIONS_ROLES, _LoanActionView


def _application(loan: LoanAccount | int, pk: int) -> LossMitigationApplication:
    """The loan's application ``pk``; another loan's is 404."""
    loan_id = loan if isinstance(loan, int) else loan.pk
    application = LossMitigationApplication.objects.filter(pk=pk, loan_id=loan_id).select_related("loan").first()
    if application is None:
        raise Http404("No such application on this loan.")
    return application


class _ApplicationActionView(_LoanActionView):
    """An action on one application of the loan: another loan's (or none) is 404 before the form is read."""

    def post(self, request, *args, **kwargs):
        _application(self.kwargs["pk"], self.kwargs["app"])
        return super().post(request, *args, **kwargs)


class ReceiveView(_LoanActionView):
    form_name = "lm_receive_form"

    def make_form(self, request):
        return ReceiveForm(request.POST)

    def act(self, loan, data):
        app = services.loss_mitigation_receive(
            actor=self.request.user, loan=loan, received_on=data["received_on"], note=data["note"]
        )
        return f"Application received on {app.received_on:%b %d, %Y}: acknowledge it by {app.acknowledge_by:%b %d, %Y}."


class DocumentAddView(_ApplicationActionView):
    form_name = "lm_document_form"

    def make_form(self, request):
        return DocumentForm(request.POST, request.FILES)

    def act(self, loan, data):
        document = services.loss_mitigation_document_add(
            actor=self.request.user,
            application=_application(loan, self.kwargs["app"]),
            kind=data["kind"],
            uploaded_file=data["file"],
        )
        return f"{document.get_kind_display()} added."


class AcknowledgeView(_ApplicationActionView):
    form_name = "lm_action_form"

    def make_form(self, request):
        return ActionForm(request.POST)

    def act(self, loan, data):
        app = services.loss_mitigation_acknowledge(
            actor=self.request.user, application=_application(loan, self.kwargs["app"])
        )
        if app.status == LossMitigationApplication.Status.INCOMPLETE:
            return f"Acknowledged as incomplete: the borrower is asked for the rest by {app.submit_by:%b %d, %Y}."
        return f"Acknowledged as complete: evaluate it by {app.evaluate_by:%b %d, %Y}."


class CompleteView(_ApplicationActionView):
    form_name = "lm_action_form"

    def make_form(self, request):
        return ActionForm(request.POST)

    def act(self, loan, data):
        app = services.loss_mitigation_complete(
            actor=self.request.user, application=_application(loan, self.kwargs["app"])
        )
        return f"Application complete: evaluate it by {app.evaluate_by:%b %d, %Y}."


class DecideView(_ApplicationActionView):
    form_name = "lm_decide_form"

    def make_form(self, request):
        return DecideForm(request.POST)

    def act(self, loan, data):
        app = services.loss_mitigation_decide(
            actor=self.request.user,
            application=_application(loan, self.kwargs["app"]),
            approved=data["decision"] == "approve",
            option=data["option"],
            reasons=data["reasons"],
        )
        return f"Application {app.get_status_display().lower()}: the decision letter is on file."


class ReferralView(_LoanActionView):
    allowed_roles = (roles.MANAGER,)
    form_name = "lm_referral_form"

    def make_form(self, request):
        return ReferralForm(request.POST)

    def act(self, loan, data):
        referral = foreclosure_refer(
            actor=self.request.user,
            loan=loan,
            referred_on=data["referred_on"],
            attorney=data["attorney"],
            note=data["note"],
        )
        return f"Referred to {referral.attorney} on {referral.referred_on:%b %d, %Y}."


class DocumentDownloadView(RoleRequiredMixin, View):
    """A document the borrower sent with an application; another loan's is 404."""

    allowed_roles = COLLECTIONS_ROLES

    def get(self, request, *args, **kwargs):
        document = LossMitigationDocument.objects.filter(pk=kwargs["doc"], application__loan_id=kwargs["pk"]).first()
        if document is None:
            raise Http404("No such document on this loan.")
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The file is missing from storage.") from exc
        # Always a download with the sniffed type, as origination serves uploads: never rendered inline.
        response = FileResponse(
            handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
        )
        response["Cache-Control"] = "private, no-store"
        return response
