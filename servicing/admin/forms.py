"""Forms of the servicer screens in the admin: post a payment, reverse one, upload an import file.

They validate the input's shape; the services decide (``payment_post``, ``payment_reverse``, the imports) and their
refusals come back as errors on the field they name.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms

from servicing.models import ImportBatch, LoanAccount, LoanTransaction
from servicing.services import payments

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class PaymentPostForm(forms.Form):
    """A payment as the servicer keys it. ``idempotency_key`` is generated when the form is first shown and travels
    in a hidden field, so submitting the same form twice posts once."""

    amount = forms.DecimalField(max_digits=14, decimal_places=2)
    effective_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(choices=LoanTransaction.Method.choices)
    reference = forms.CharField(max_length=100, help_text="Check number, trace number, lockbox item...")
    directive = forms.ChoiceField(choices=LoanTransaction.Directive.choices, initial=LoanTransaction.Directive.STANDARD)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, loan: LoanAccount, **kwargs):
        self.loan = loan
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", f"admin:{uuid.uuid4()}")
        kwargs["initial"].setdefault("effective_date", payments._today())
        super().__init__(*args, **kwargs)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError("Must be greater than zero.")
        return amount

    def clean_effective_date(self):
        # The limits payment_post enforces, checked here too so the live preview can say so; the service decides.
        when = self.cleaned_data["effective_date"]
        if when < self.loan.disbursement_date:
            raise forms.ValidationError(f"Before the loan's disbursement date {self.loan.disbursement_date}.")
        latest = payments._today() + timedelta(days=payments.MAX_DAYS_AHEAD)
        if when > latest:
            raise forms.ValidationError(f"More than {payments.MAX_DAYS_AHEAD} days ahead (latest {latest}).")
        return when


REVERSAL_REASONS = (
    ("nsf", "NSF: insufficient funds"),
    ("ach_r01", "ACH return R01: insufficient funds"),
    ("ach_r02", "ACH return R02: account closed"),
    ("ach_r03", "ACH return R03: no account / unable to locate"),
    ("ach_r04", "ACH return R04: invalid account number"),
    ("ach_r08", "ACH return R08: payment stopped"),
    ("ach_r10", "ACH return R10: customer advises unauthorized"),
    ("stop_payment", "Stop payment"),
    ("posted_in_error", "Posted in error"),
)


class PaymentReverseForm(forms.Form):
    reason = forms.ChoiceField(choices=(("", "---------"), *REVERSAL_REASONS))
    detail = forms.CharField(
        max_length=200, required=False, help_text="Free text: return trace, who asked, what was wrong."
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == "posted_in_error" and not data.get("detail", "").strip():
            self.add_error("detail", "Say what was posted in error.")
        return data

    def reason_text(self) -> str:
        label = dict(REVERSAL_REASONS)[self.cleaned_data["reason"]]
        detail = self.cleaned_data.get("detail", "").strip()
        return f"{label}: {detail}" if detail else label


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportBatch.Kind.choices, label="File type")
    file = forms.FileField(help_text="CSV with a header row, UTF-8.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
        return upload
