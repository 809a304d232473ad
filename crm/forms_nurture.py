"""Forms of the campaign screens and the past-client follow-ups."""

from django import forms

from crm.forms import one_line
from crm.models import Campaign, LeadSource
from crm.services.campaign_templates import PLACEHOLDERS

PLACEHOLDER_HELP = "Placeholders: " + ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS) + "."
MAX_ENROLL_EMAILS = 1000


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=120, validators=[one_line])
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    trigger = forms.ChoiceField(choices=Campaign.Trigger.choices, label="Who joins")
    source = forms.ModelChoiceField(
        queryset=LeadSource.objects.filter(is_active=True), required=False, help_text="For new leads from a source."
    )
    stale_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, help_text="For stale leads: days without activity."
    )
    is_active = forms.BooleanField(required=False, label="Running (enrolls and sends on schedule)")


class StepForm(forms.Form):
    delay_days = forms.IntegerField(
        min_value=0, max_value=3650, help_text="Days after the previous step (the first step: after joining)."
    )
    subject = forms.CharField(max_length=200, help_text=PLACEHOLDER_HELP)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text="Plain text. The unsubscribe link and our postal address are added below it.",
    )


class EnrollForm(forms.Form):
    emails = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=100_000, help_text="Contacts' email addresses, one a line."
    )

    def clean_emails(self):
        lines = [line.strip() for line in self.cleaned_data["emails"].splitlines() if line.strip()]
        if len(lines) > MAX_ENROLL_EMAILS:
            raise forms.ValidationError(f"At most {MAX_ENROLL_EMAILS} addresses at a time.")
        return lines
