from django import forms


class ContactForm(forms.Form):
    name = forms.CharField(max_length=150)
    email = forms.EmailField()
    phone = forms.CharField(max_length=32, required=False)
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
