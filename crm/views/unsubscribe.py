"""The public unsubscribe page a campaign email links to: no login, the signed token names the contact.

GET shows a confirmation (mail scanners follow links: a GET never unsubscribes); POST records the opt-out. POST
needs no CSRF token: mail clients send the RFC 8058 one-click POST themselves, and the signed token is the
secret that proves the request comes from the email.
"""

from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from crm.models import Contact
from crm.services.campaign_sending import contact_unsubscribe, unsubscribe_contact_id


def _refused(request):
    return render(request, "crm/unsubscribe.html", {"invalid": True}, status=404)


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    def get(self, request, token):
        contact_id = unsubscribe_contact_id(token)
        contact = Contact.objects.filter(pk=contact_id).first() if contact_id else None
        if contact is None:
            return _refused(request)
        return render(request, "crm/unsubscribe.html", {"contact": contact, "done": contact.unsubscribed_at})

    def post(self, request, token):
        contact = contact_unsubscribe(token=token, now=timezone.now())
        if contact is None:
            return _refused(request)
        return render(request, "crm/unsubscribe.html", {"contact": contact, "done": True})
