from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import FormView

from crm.forms import ContactForm
from crm.services import contact_request_submit


class ContactView(FormView):
    template_name = "crm/contact.html"
    form_class = ContactForm

    def form_valid(self, form):
        contact_request_submit(**form.cleaned_data)
        messages.success(self.request, "Thank you. A loan officer will contact you within one business day.")
        return redirect("contact")
