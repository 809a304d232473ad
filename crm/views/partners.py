"""Referral partners: the list with each one's referred volume, conversion and funded amount, and their page."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import FormView, TemplateView

from crm import selectors
from crm.forms import PartnerForm
from crm.models import Contact, ReferralPartner
from crm.services import partners
from crm.services.contacts import email_normalize
from crm.views.staff import CrmStaffMixin, errors_onto


class PartnerListView(CrmStaffMixin, TemplateView):
    template_name = "crm/partner_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["partners"] = selectors.partners_with_stats()
        return context


class PartnerDetailView(CrmStaffMixin, TemplateView):
    template_name = "crm/partner_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partner = get_object_or_404(ReferralPartner.objects.select_related("contact"), pk=kwargs["pk"])
        context.update(
            partner=partner,
            stats=selectors.partner_stats(partner),
            leads=list(selectors.partner_leads(self.request.user, partner)[:100]),
        )
        return context


class PartnerCreateView(CrmStaffMixin, FormView):
    template_name = "crm/partner_form.html"
    form_class = PartnerForm

    def form_valid(self, form):
        data = form.cleaned_data
        contact = None
        if data["contact_email"]:
            contact = Contact.objects.filter(email_normalized=email_normalize(data["contact_email"])).first()
            if contact is None:
                form.add_error("contact_email", "No contact has this email.")
                return self.form_invalid(form)
        try:
            partner = partners.partner_create(
                actor=self.request.user,
                kind=data["kind"],
                name=data["name"],
                company=data["company"],
                email=data["email"],
                phone=data["phone"],
                contact=contact,
            )
        except ValidationError as exc:
            errors_onto(form, exc)
            return self.form_invalid(form)
        return redirect("crm:partner", pk=partner.pk)
