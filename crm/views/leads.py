"""Leads for loan officers (their own) and managers (all): board, list, detail, entry, import, conversion."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, TemplateView

from crm import selectors
from crm.forms import (
    ActivityForm,
    ConvertForm,
    ImportForm,
    LeadForm,
    LinkApplicationForm,
    MoveForm,
    ReassignForm,
    ReferralForm,
    TaskForm,
)
from crm.models import ConsentSource, Stage, Task
from crm.services import activities, conversion, imports, leads
from crm.services.contacts import ContactData
from crm.views.staff import CrmStaffMixin, errors_onto
from lending.core import roles
from lending.core.pagination import CappedPaginator
from origination.models import Application

LIST_PAGE_SIZE = 50


def _officer_filter(request) -> int | None:
    value = request.GET.get("officer", "")
    # At most 18 digits: a larger number overflows a 64-bit key column (a 500, not "no such officer").
    return int(value) if value.isdigit() and len(value) <= 18 else None


class BoardView(CrmStaffMixin, TemplateView):
    """Columns per stage; a card moves with an htmx POST that answers with the board re-rendered."""

    template_name = "crm/board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        officer_id = _officer_filter(self.request)
        context.update(board_context(self.request.user, officer_id))
        context["officers"] = selectors.officers_for_filter(self.request.user)
        context["officer_id"] = officer_id
        return context


def board_context(user, officer_id):
    return {
        "columns": selectors.board_columns(user, officer_id=officer_id),
        "moves": leads.MANUAL_MOVES,
        "stages": dict(Stage.choices),
    }


class LeadMoveView(CrmStaffMixin, View):
    def post(self, request, pk):
        lead = selectors.lead_for(request.user, pk)
        form = MoveForm(request.POST)
        error = ""
        if form.is_valid():
            try:
                leads.lead_move(
                    actor=request.user,
                    lead=lead,
                    to=form.cleaned_data["stage"],
                    lost_reason=form.cleaned_data["lost_reason"],
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
        else:
            error = " ".join(str(e) for errs in form.errors.values() for e in errs)
        status = 422 if error else 200
        if not request.headers.get("HX-Request"):
            if error:
                messages.error(request, error)
            return redirect("crm:lead", pk=lead.pk) if request.POST.get("back") == "lead" else redirect("crm:board")
        officer_id = _officer_filter(request)
        context = {**board_context(request.user, officer_id), "error": error, "officer_id": officer_id}
        return render(request, "crm/_board_columns.html", context, status=status)


class LeadListView(CrmStaffMixin, TemplateView):
    template_name = "crm/lead_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        stage = self.request.GET.get("stage", "")
        search = self.request.GET.get("q", "").strip()[:100]
        officer_id = _officer_filter(self.request)
        rows = selectors.lead_rows(self.request.user, stage=stage, officer_id=officer_id, search=search)
        # Capped: 200,000 leads would cost a full count and a deep OFFSET per page; the list asks for a search.
        page = CappedPaginator(rows, LIST_PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            page=page,
            stage=stage,
            q=search,
            officer_id=officer_id,
            stages=Stage.choices,
            officers=selectors.officers_for_filter(self.request.user),
        )
        return context


class LeadCreateView(CrmStaffMixin, FormView):
    template_name = "crm/lead_form.html"
    form_class = LeadForm

    def form_valid(self, form):
        data = form.cleaned_data
        officer = self.request.user if roles.has_role(self.request.user, roles.LOAN_OFFICER) else None
        try:
            captured = leads.lead_capture(
                actor=self.request.user,
                data=leads.LeadInput(
                    contact=ContactData(
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        email=data["email"],
                        phone=data["phone"],
                    ),
                    source=data["source"],
                    consent_source=ConsentSource.MANUAL,
                    consent=data["consent"],
                    message=data["message"],
                    campaign_code=data["campaign_code"],
                    purpose=data["purpose"],
                    amount_requested=data["amount_requested"],
                    referral_partner=data["referral_partner"],
                    officer=officer,
                ),
            )
        except ValidationError as exc:
            errors_onto(form, exc)
            return self.form_invalid(form)
        lead = captured.lead
        if not captured.lead_created:
            messages.info(self.request, "This person already has an open lead: the enquiry was added to it.")
        if not selectors.leads_visible(self.request.user).filter(pk=lead.pk).exists():
            messages.info(self.request, "The person's open lead belongs to another loan officer.")
            return redirect("crm:leads")
        return redirect("crm:lead", pk=lead.pk)


class LeadDetailView(CrmStaffMixin, TemplateView):
    template_name = "crm/lead_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lead = selectors.lead_for(self.request.user, kwargs["pk"])
        user = self.request.user
        context.update(
            lead=lead,
            timeline=selectors.timeline(lead),
            tasks=selectors.lead_tasks(lead),
            moves=[(s, Stage(s).label) for s in leads.MANUAL_MOVES[lead.stage]],
            activity_form=kwargs.get("activity_form") or ActivityForm(),
            task_form=kwargs.get("task_form") or TaskForm(),
            convert_form=ConvertForm() if lead.stage == Stage.QUALIFIED else None,
            link_form=LinkApplicationForm() if lead.stage in leads.OPEN_STAGES else None,
            referral_form=ReferralForm(initial={"referral_partner": lead.referral_partner_id}),
            reassign_form=ReassignForm(officers=leads.active_loan_officers()) if leads.is_manager(user) else None,
        )
        return context


class LeadActivityView(CrmStaffMixin, View):
    def post(self, request, pk):
        lead = selectors.lead_for(request.user, pk)
        form = ActivityForm(request.POST)
        if form.is_valid():
            try:
                activities.activity_log(actor=request.user, lead=lead, **form.cleaned_data)
                return redirect("crm:lead", pk=lead.pk)
            except ValidationError as exc:
                errors_onto(form, exc)
        return _detail_with_errors(request, pk, activity_form=form)


class LeadTaskCreateView(CrmStaffMixin, View):
    def post(self, request, pk):
        lead = selectors.lead_for(request.user, pk)
        form = TaskForm(request.POST)
        if form.is_valid():
            try:
                activities.task_create(actor=request.user, lead=lead, **form.cleaned_data)
                return redirect("crm:lead", pk=lead.pk)
            except ValidationError as exc:
                errors_onto(form, exc)
        return _detail_with_errors(request, pk, task_form=form)


class TaskCompleteView(CrmStaffMixin, View):
    def post(self, request, pk):
        task = get_object_or_404(Task.objects.select_related("lead"), pk=pk)
        selectors.lead_for(request.user, task.lead_id)  # 404 unless the lead is theirs
        activities.task_complete(actor=request.user, task=task)
        next_url = request.POST.get("next", "")
        return HttpResponseRedirect(next_url if next_url.startswith("/staff/crm/") else reverse("crm:tasks"))


class TaskListView(CrmStaffMixin, TemplateView):
    template_name = "crm/task_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tasks"] = list(selectors.tasks_open_for(self.request.user).order_by("due_date", "id")[:200])
        return context


class LeadConvertView(CrmStaffMixin, View):
    def post(self, request, pk):
        lead = selectors.lead_for(request.user, pk)
        form = ConvertForm(request.POST)
        if form.is_valid():
            try:
                converted = conversion.lead_convert(actor=request.user, lead=lead, **form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("crm:lead", pk=lead.pk)
            messages.success(request, f"Application {converted.application.number} opened for {lead.contact}.")
            return redirect("crm:lead", pk=lead.pk)
        messages.error(request, "Choose a product and a purpose.")
        return redirect("crm:lead", pk=lead.pk)


class LeadReferralView(CrmStaffMixin, View):
    def post(self, request, pk):
        lead = selectors.lead_for(request.user, pk)
        form = ReferralForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an active partner.")
            return redirect("crm:lead", pk=lead.pk)
        try:
            leads.lead_referral_set(actor=request.user, lead=lead, partner=form.cleaned_data["referral_partner"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("crm:lead", pk=lead.pk)


class LeadLinkApplicationView(CrmStaffMixin, View):
    """Link the lead to an application the borrower started on /apply/, so it records who referred it."""

    def post(self, request, pk):
        lead = selectors.lead_for(request.user, pk)
        form = LinkApplicationForm(request.POST)
        application = (
            Application.objects.filter(number=form.cleaned_data["number"].strip()).first() if form.is_valid() else None
        )
        if application is None:
            messages.error(request, "No application has this number.")
            return redirect("crm:lead", pk=lead.pk)
        try:
            conversion.lead_application_link(actor=request.user, lead=lead, application=application)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("crm:lead", pk=lead.pk)
        messages.success(request, f"Lead linked to application {application.number}.")
        return redirect("crm:lead", pk=lead.pk)


class LeadReassignView(CrmStaffMixin, View):
    allowed_roles = (roles.MANAGER,)

    def post(self, request, pk):
        lead = selectors.lead_for(request.user, pk)
        form = ReassignForm(request.POST, officers=leads.active_loan_officers())
        if form.is_valid():
            leads.lead_reassign(actor=request.user, lead=lead, officer=form.cleaned_data["officer"])
            messages.success(request, f"Lead given to {form.cleaned_data['officer']}.")
        else:
            messages.error(request, "Choose an active loan officer.")
        return redirect("crm:lead", pk=lead.pk)


class LeadImportView(CrmStaffMixin, FormView):
    template_name = "crm/lead_import.html"
    form_class = ImportForm

    def form_valid(self, form):
        report = imports.leads_import(actor=self.request.user, content=form.cleaned_data["file"].read())
        status = 400 if report.file_errors else 200
        counts = {
            name: report.count(outcome)
            for name, outcome in (("created", "created"), ("merged", "merged"), ("errors", "error"))
        }
        return self.render_to_response(self.get_context_data(form=form, report=report, **counts), status=status)


def _detail_with_errors(request, pk, **forms):
    view = LeadDetailView()
    view.setup(request, pk=pk)
    return render(request, view.template_name, view.get_context_data(pk=pk, **forms), status=400)
