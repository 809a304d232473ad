from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from crm.forms import ContactForm
from crm.models import Lead
from crm.services import status_updates
from crm.services.public import RateLimited, contact_rate_check, contact_request_submit

RATE_LIMITED_MESSAGE = "You have sent several messages already. Please wait an hour, or call us."


class ContactView(FormView):
    template_name = "crm/contact.html"
    form_class = ContactForm

    def post(self, request, *args, **kwargs):
        # Every submission counts, good or bad: a bot probing the form is slowed down as much as one spamming it.
        try:
            # REMOTE_ADDR: the proxy in front sets it (a client-sent X-Forwarded-For could dodge the limit).
            contact_rate_check(ip=request.META.get("REMOTE_ADDR", ""))
        except RateLimited:
            form = self.get_form()
            form.add_error(None, RATE_LIMITED_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = {k: form.cleaned_data[k] for k in ("name", "email", "phone", "message", "consent")}
        try:
            contact_request_submit(**data, campaign_code=self.request.GET.get("utm_campaign", "")[:40])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        messages.success(self.request, "Thank you. A loan officer will contact you within one business day.")
        return redirect("contact")


class PartnerStatusView(TemplateView):
    """An agent's view of their referral's progress: milestones only, through a signed link, no login."""

    template_name = "crm/partner_status.html"

    def get_context_data(self, **kwargs):
        ids = status_updates.status_token_lead_id(kwargs["token"])
        if ids is None:
            raise Http404("This link is not valid.")
        lead = (
            Lead.objects.select_related("contact", "referral_partner")
            .filter(pk=ids[0], referral_partner_id=ids[1])
            .first()
        )
        if lead is None or lead.referral_partner is None:
            raise Http404("This link is not valid.")
        return {
            "partner": lead.referral_partner,
            "client": status_updates.client_name_for_partner(lead),
            "milestones": status_updates.milestones_reached(lead),
            "closed_lost": lead.stage == "lost",
        }
