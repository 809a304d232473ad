"""Fees and the delinquency history in the admin, read-only; a servicer or manager waives fees with the "Waive"
action (``fee_waive``: a reversing entry, audited), giving the reason on a confirmation page."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from lending.core import roles
from servicing.admin import views as admin_views
from servicing.admin.loans import RoleViewMixin
from servicing.admin.search import LoanRecordSearchMixin
from servicing.models import DelinquencyHistory, LoanFee
from servicing.services.fees import FeeError, fee_waive


class FeeWaiveForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Why the fee is waived: kept on the fee and in the audit log.")

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason for the waiver.")
        return reason


@admin.action(description="Waive the selected fees")
def waive_fees(model_admin, request, queryset):
    """Confirmation page with the reason; on "Waive", each fee is waived on its own (a refusal, e.g. a fee already
    paid, is reported and the others go on)."""
    if not admin_views.may_post(request.user):
        raise PermissionDenied("Only servicers and managers waive fees.")
    fees = list(queryset.select_related("loan", "installment").order_by("pk"))
    form = FeeWaiveForm(request.POST if "waive" in request.POST else None)
    if form.is_bound and form.is_valid():
        waived = 0
        for fee in fees:
            try:
                fee_waive(fee=fee, actor=request.user, reason=form.cleaned_data["reason"])
            except FeeError as exc:
                model_admin.message_user(request, f"{fee.loan} {fee}: {exc}", messages.ERROR)
            else:
                waived += 1
        if waived:
            model_admin.message_user(request, f"{waived} fee{'' if waived == 1 else 's'} waived.", messages.SUCCESS)
        return None
    return TemplateResponse(
        request,
        "admin/servicing/fee_waive.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": "Waive fees",
            "fees": fees,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
        status=400 if form.is_bound else 200,
    )


@admin.register(LoanFee)
class LoanFeeAdmin(LoanRecordSearchMixin, RoleViewMixin, admin.ModelAdmin):
    ordering = ("-id",)  # newest first, by the primary key: no sort of the whole table by date
    list_display = ("id", "loan", "kind", "amount", "installment", "assessed_on", "waived_amount", "waived_on")
    list_filter = ("kind", "assessed_on")
    list_select_related = ("loan", "installment")
    show_full_result_count = False
    actions = [waive_fees]
    fields = (
        ("loan", "installment", "kind"),
        ("amount", "assessed_on", "journal_entry"),
        "returned_payment",
        ("waived_amount", "waived_on", "waived_by"),
        ("waiver_reason", "waiver_entry"),
    )
    readonly_fields = (
        "loan",
        "installment",
        "kind",
        "amount",
        "assessed_on",
        "journal_entry",
        "returned_payment",
        "waived_amount",
        "waived_on",
        "waived_by",
        "waiver_reason",
        "waiver_entry",
    )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not roles.has_role(request.user, *admin_views.POSTING_ROLES):
            actions.pop("waive_fees", None)
        return actions


@admin.register(DelinquencyHistory)
class DelinquencyHistoryAdmin(LoanRecordSearchMixin, RoleViewMixin, admin.ModelAdmin):
    list_display = ("loan", "as_of", "days_past_due", "bucket_from", "bucket_to", "status_from", "status_to")
    list_filter = ("bucket_to", "status_to")
    list_select_related = ("loan",)
    show_full_result_count = False
    readonly_fields = (
        "loan",
        "as_of",
        "days_past_due",
        "bucket_from",
        "bucket_to",
        "status_from",
        "status_to",
        "oldest_unpaid_due_date",
    )
