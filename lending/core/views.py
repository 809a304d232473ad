from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.generic import TemplateView

from lending.core import roles
from lending.core.middleware import current_request_id
from lending.core.permissions import StaffRequiredMixin


class LandingView(TemplateView):
    template_name = "core/landing.html"


@login_required
def after_login(request):
    """Send each person to their home: staff to the workspace, borrowers to the portal."""
    if roles.is_staff_member(request.user):
        return redirect("core:staff-home")
    if roles.is_borrower(request.user):
        return redirect("portal-home")
    return redirect("core:landing")


class StaffHomeView(StaffRequiredMixin, TemplateView):
    template_name = "staff/home.html"


def _error(request, template: str, status: int, message: str = ""):
    context = {"request_id": getattr(request, "request_id", "") or current_request_id(), "message": message}
    return render(request, template, context, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _error(request, "400.html", 400, str(exception or ""))


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error(request, "403.html", 403, str(exception or ""))


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error(request, "404.html", 404)


def server_error(request):
    # Rendered without the request context: the failure may be in the database or a context processor.
    context = {"request_id": getattr(request, "request_id", "") or current_request_id()}
    return HttpResponseServerError(loader.get_template("500.html").render(context))
