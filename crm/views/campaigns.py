"""Campaign screens for managers: the list, a campaign with its steps and sends, editing, and enrolling by hand."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from crm import selectors_nurture as selectors
from crm.forms_nurture import CampaignForm, EnrollForm, StepForm
from crm.services import campaigns
from crm.services.campaign_templates import preview
from crm.views.staff import errors_onto
from lending.core import roles
from lending.core.pagination import CappedPaginator
from lending.core.permissions import RoleRequiredMixin

SENDS_PAGE_SIZE = 50


class ManagerMixin(RoleRequiredMixin):
    allowed_roles = (roles.MANAGER,)


def _is_manager(request) -> bool:
    """Checked before loading a campaign, so a non-manager gets 403 whether or not the id exists."""
    return request.user.is_authenticated and roles.has_role(request.user, roles.MANAGER)


class CampaignListView(ManagerMixin, TemplateView):
    template_name = "crm/campaign_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(campaigns=selectors.campaigns_with_counts(), **kwargs)


def _input(data) -> campaigns.CampaignInput:
    return campaigns.CampaignInput(
        name=data["name"],
        description=data["description"],
        is_active=data["is_active"],
        trigger=data["trigger"],
        source_id=data["source"].pk if data["source"] else None,
        stale_days=data["stale_days"],
    )


class CampaignFormView(ManagerMixin, FormView):
    """New campaign (no pk) or its settings (pk)."""

    template_name = "crm/campaign_form.html"
    form_class = CampaignForm

    def dispatch(self, request, *args, **kwargs):
        self.campaign = selectors.campaign_get(kwargs["pk"]) if _is_manager(request) and "pk" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        if self.campaign is None:
            return {}
        c = self.campaign
        return {
            "name": c.name,
            "description": c.description,
            "trigger": c.trigger,
            "source": c.source_id,
            "stale_days": c.stale_days,
            "is_active": c.is_active,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(campaign=self.campaign, **kwargs)

    def form_valid(self, form):
        try:
            campaign = campaigns.campaign_save(
                actor=self.request.user, data=_input(form.cleaned_data), campaign=self.campaign
            )
        except ValidationError as exc:
            errors_onto(form, exc)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(self.request, f"Campaign {campaign.name} saved.")
        return redirect("crm:campaign", pk=campaign.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CampaignDetailView(ManagerMixin, TemplateView):
    template_name = "crm/campaign_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = selectors.campaign_get(kwargs["pk"])
        email = self.request.GET.get("email", "").strip()
        # Capped: a campaign to 50,000 contacts would cost a deep OFFSET per page; older sends are found by email.
        sends = CappedPaginator(selectors.campaign_sends(campaign, email=email), SENDS_PAGE_SIZE)
        page = sends.get_page(self.request.GET.get("page"))
        context.update(
            campaign=campaign,
            email=email,
            steps=selectors.steps_with_counts(campaign),
            enrollment_counts=selectors.enrollment_counts(campaign),
            page=page,
            enroll_form=kwargs.get("enroll_form") or EnrollForm(),
        )
        return context


class StepFormView(ManagerMixin, FormView):
    """Add a step to the end of the sequence (no step_pk) or change one nobody has received yet."""

    template_name = "crm/campaign_step_form.html"
    form_class = StepForm

    def dispatch(self, request, *args, **kwargs):
        if not _is_manager(request):
            return super().dispatch(request, *args, **kwargs)
        self.campaign = selectors.campaign_get(kwargs["pk"])
        self.step = selectors.step_get(self.campaign, kwargs["step_pk"]) if "step_pk" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        if self.step is None:
            return {"delay_days": 3 if self.campaign.steps.exists() else 0}
        return {"delay_days": self.step.delay_days, "subject": self.step.subject, "body": self.step.body}

    def get_context_data(self, **kwargs):
        return super().get_context_data(campaign=self.campaign, step=self.step, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if self.request.POST.get("preview"):
                subject, body = preview(data["subject"], data["body"])
                return self.render_to_response(self.get_context_data(form=form, preview=(subject, body)))
            campaigns.campaign_step_save(actor=self.request.user, campaign=self.campaign, step=self.step, **data)
        except ValidationError as exc:
            errors_onto(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Step saved.")
        return redirect("crm:campaign", pk=self.campaign.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CampaignEnrollView(ManagerMixin, View):
    def post(self, request, pk):
        campaign = selectors.campaign_get(pk)
        form = EnrollForm(request.POST)
        if form.is_valid():
            try:
                result = campaigns.campaign_enroll(
                    actor=request.user, campaign=campaign, emails=form.cleaned_data["emails"], now=timezone.now()
                )
            except ValidationError as exc:
                errors_onto(form, exc)
            else:
                messages.success(request, f"{result.enrolled} enrolled.")
                if result.unknown:
                    messages.warning(request, "Not in the CRM: " + ", ".join(result.unknown[:20]))
                if result.not_reachable:
                    messages.warning(request, "Unsubscribed, not enrolled: " + ", ".join(result.not_reachable[:20]))
                return redirect("crm:campaign", pk=campaign.pk)
        view = CampaignDetailView()
        view.setup(request, pk=pk)
        return view.render_to_response(view.get_context_data(pk=pk, enroll_form=form), status=400)
