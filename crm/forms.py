from django import forms
from django.core.validators import RegexValidator

from crm.models import Activity, LeadSource, ReferralPartner, Stage
from lending.core.models import User
from origination.models import LoanProduct
from origination.models.choices import Purpose

# A name goes into an email subject: a line break there is header injection (and Django's BadHeaderError).
one_line = RegexValidator(r"[\x00-\x1f\x7f]", "Enter this on one line, without control characters.", inverse_match=True)
SPAM_MESSAGE = "Your message could not be sent. Please call us instead."


class ContactForm(forms.Form):
    name = forms.CharField(max_length=150, validators=[one_line])
    email = forms.EmailField()
    phone = forms.CharField(max_length=32, required=False, validators=[one_line])
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    consent = forms.BooleanField(
        label="I agree to be contacted by phone and email about my enquiry.",
        error_messages={"required": "Tick the box so we may contact you."},
    )
    # The honeypot: hidden from people (CSS and aria), filled in by form-filling bots.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1", "class": "crm-hp"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise forms.ValidationError(SPAM_MESSAGE, code="spam")
        return cleaned


class LeadForm(forms.Form):
    """Manual entry by staff."""

    first_name = forms.CharField(max_length=100, required=False, validators=[one_line])
    last_name = forms.CharField(max_length=100, validators=[one_line])
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=32, required=False, validators=[one_line])
    source = forms.ModelChoiceField(queryset=LeadSource.objects.filter(is_active=True))
    campaign_code = forms.CharField(max_length=40, required=False, validators=[one_line])
    referral_partner = forms.ModelChoiceField(queryset=ReferralPartner.objects.filter(is_active=True), required=False)
    purpose = forms.ChoiceField(choices=[("", "---------"), *Purpose.choices], required=False)
    amount_requested = forms.DecimalField(max_digits=14, decimal_places=2, min_value=1, required=False)
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)
    consent = forms.BooleanField(required=False, label="The person agreed to be contacted (consent recorded now).")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone") and not self.errors:
            raise forms.ValidationError("Give an email address or a phone number.")
        return cleaned


class MoveForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices)
    lost_reason = forms.CharField(max_length=200, required=False, validators=[one_line])


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k, label) for k, label in Activity.Kind.choices if k in ("call", "email", "meeting", "note")]
    )
    subject = forms.CharField(max_length=200, validators=[one_line])
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000)


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200, validators=[one_line])
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    remind = forms.BooleanField(required=False, initial=True, label="Email me a reminder that morning")


class ConvertForm(forms.Form):
    product = forms.ModelChoiceField(queryset=LoanProduct.objects.filter(is_active=True).order_by("name"))
    purpose = forms.ChoiceField(choices=Purpose.choices)


class ReassignForm(forms.Form):
    officer = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, *args, officers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, UTF-8, header row first; at most 5,000 rows.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 2 MB: split it.")
        return upload


class PartnerForm(forms.Form):
    kind = forms.ChoiceField(choices=ReferralPartner.Kind.choices)
    name = forms.CharField(max_length=200, validators=[one_line])
    company = forms.CharField(max_length=200, required=False, validators=[one_line])
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=32, required=False, validators=[one_line])
    contact_email = forms.EmailField(required=False, help_text="A past client: the email of their contact record.")


class ReferralForm(forms.Form):
    referral_partner = forms.ModelChoiceField(
        queryset=ReferralPartner.objects.filter(is_active=True), required=False, label="Referred by"
    )


class LinkApplicationForm(forms.Form):
    number = forms.CharField(max_length=20, label="Application number", validators=[one_line])
