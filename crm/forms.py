from django import forms
from django.core.validators import RegexValidator

# A name goes into an email subject: a line break there is header injection (and Django's BadHeaderError).
one_line = RegexValidator(r"[\x00-\x1f\x7f]", "Enter this on one line, without control characters.", inverse_match=True)


class ContactForm(forms.Form):
    name = forms.CharField(max_length=150, validators=[one_line])
    email = forms.EmailField()
    phone = forms.CharField(max_length=32, required=False, validators=[one_line])
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
