from django.views.generic import TemplateView


class ApplyView(TemplateView):
    """The public entry to an application. The multi-step application form arrives with the origination issue."""

    template_name = "origination/apply.html"
