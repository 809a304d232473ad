"""Credit and underwriting pages: the workspace panel, the underwriter's workspace, and their actions.

Thin: selectors read, services write. Actions redirect back (to the application page, or to the underwriter's
workspace when posted from it) with a message; bad input re-renders the workspace with the errors (400), an
action the application's state refuses re-renders it with the reason (409).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from lending.core.permissions import RoleRequiredMixin
from origination import selectors, workflow
from origination.credit import selectors as credit_selectors
from origination.models import Condition, CreditReport, Decision, DocumentType, TradelineExclusion
from origination.models.underwriting import AdverseActionNotice, PrincipalReason
from origination.services.credit import (
    PULL_STATUSES,
    REASON_MAX_LENGTH,
    CreditPullError,
    TradelineError,
    can_exclude_tradelines,
    can_pull_credit,
    credit_pull,
    tradeline_exclude,
    tradeline_include,
)
from origination.services.underwriting import (
    DECISION_STATUSES,
    OUTCOME_TRANSITIONS,
    UnderwritingError,
    can_run_aus,
    can_underwrite,
    clean_reasons,
    condition_add,
    condition_clear,
    condition_waive,
    underwriting_decide,
    underwriting_run,
)
from origination.services.workflow import StaleApplication, TransitionBlocked

WORKSPACE = "workspace"


# ---- forms ---------------------------------------------------------------------------------------------------


class ConditionForm(forms.Form):
    stage = forms.ChoiceField(choices=Condition.Stage.choices)
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    document_type = forms.ModelChoiceField(
        queryset=DocumentType.objects.order_by("name"),
        required=False,
        empty_label="None: cleared by hand",
        help_text="Verifying a document of this type clears the condition.",
    )


class TradelineExclusionForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX_LENGTH, strip=True)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=Decision.Outcome.choices, widget=forms.RadioSelect)
    reasons = forms.MultipleChoiceField(
        choices=PrincipalReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Principal reasons",
        help_text="1 to 4 for a denial: they are printed on the adverse-action notice (Reg B Form C-1).",
    )
    other_reason = forms.CharField(max_length=200, required=False, label='"Other" reason, specify')
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Internal; required to suspend or deny."
    )
    expected_status = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome:
            try:
                data["reasons"] = clean_reasons(
                    outcome, data.get("reasons") or [], (data.get("other_reason") or "").strip()
                )
            except UnderwritingError as exc:
                self.add_error("reasons", str(exc))
            if (
                outcome in (Decision.Outcome.DENIED, Decision.Outcome.SUSPENDED)
                and not (data.get("note") or "").strip()
            ):
                self.add_error("note", "Say why in the note.")
        return data


# ---- context -------------------------------------------------------------------------------------------------


def _decision_options(application, user) -> list:
    names = set(OUTCOME_TRANSITIONS.values())
    return [o for o in workflow.transition_options(application, user) if o.name in names]


def underwriting_context(
    request, application, *, condition_form=None, decision_form=None, tradeline_form=None, report_pk=None
) -> dict:
    user = request.user
    overview = credit_selectors.underwriting_overview(application=application)
    may_decide = can_underwrite(user) and application.status in DECISION_STATUSES
    options = _decision_options(application, user) if may_decide else []
    if decision_form is None:
        decision_form = DecisionForm(initial={"expected_status": application.status})
    by_transition = {name: outcome for outcome, name in OUTCOME_TRANSITIONS.items()}
    decision_form.fields["outcome"].choices = [
        (by_transition[o.name], Decision.Outcome(by_transition[o.name]).label) for o in options
    ]
    return {
        "application": application,
        "overview": overview,
        "finding": overview.finding,
        "can_pull_credit": can_pull_credit(user) and application.status in PULL_STATUSES,
        "can_run_aus": can_run_aus(user) and application.status in PULL_STATUSES,
        "can_underwrite": can_underwrite(user),
        "can_exclude_tradelines": can_exclude_tradelines(user) and application.status in PULL_STATUSES,
        "tradeline_error_for": report_pk if tradeline_form is not None else None,
        "tradeline_error": " ".join(
            e for errors in (tradeline_form.errors.values() if tradeline_form else []) for e in errors
        ),
        "may_decide": may_decide and bool(options),
        "decision_options": options,
        "condition_form": condition_form or ConditionForm(),
        "decision_form": decision_form,
        "return_to": request.POST.get("return_to") or request.GET.get("return_to", ""),
    }


class UnderwritingStaffMixin(RoleRequiredMixin):
    allowed_roles = selectors.ORIGINATION_ROLES


class PanelView(UnderwritingStaffMixin, TemplateView):
    """The "Credit and underwriting" panel of the application page (a partial, loaded by htmx)."""

    template_name = "origination/underwriting/panel.html"

    def get_context_data(self, **kwargs):
        application = selectors.application_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        return {**super().get_context_data(**kwargs), **underwriting_context(self.request, application)}


def _workspace(request, application, *, status: int = 200, **forms_):
    context = underwriting_context(request, application, **forms_)
    context["file"] = credit_selectors.application_file(application=application)
    context["return_to"] = WORKSPACE
    return render(request, "origination/underwriting/workspace.html", context, status=status)


class WorkspaceView(UnderwritingStaffMixin, View):
    """The underwriter's workspace: the application, its documents, credit, findings and figures side by side."""

    def get(self, request, pk):
        return _workspace(request, selectors.application_for_staff(user=request.user, pk=pk))


# ---- actions -------------------------------------------------------------------------------------------------


class _Action(UnderwritingStaffMixin, View):
    """POST only. ``act`` returns the success message, or raises; errors re-render the workspace."""

    def post(self, request, pk, **kwargs):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        try:
            message = self.act(request, application, **kwargs)
        except _Invalid as invalid:
            return _workspace(request, application, status=400, **invalid.forms)
        except UnderwritingError as exc:
            messages.error(request, str(exc))
            return _workspace(request, application, status=400)
        except (CreditPullError, TradelineError, StaleApplication) as exc:
            messages.error(request, str(exc))
            return _workspace(request, application, status=409)
        except TransitionBlocked as exc:
            messages.error(request, exc.explained())
            return _workspace(request, application, status=409)
        messages.success(request, message)
        if request.POST.get("return_to") == WORKSPACE:
            return redirect("origination:underwriting-workspace", pk=application.pk)
        return redirect("origination:application-detail", pk=application.pk)

    def act(self, request, application, **kwargs) -> str:
        raise NotImplementedError


class _Invalid(Exception):
    def __init__(self, **forms_):
        super().__init__("invalid form")
        self.forms = forms_


class CreditPullView(_Action):
    def act(self, request, application, **kwargs) -> str:
        reports = credit_pull(actor=request.user, application=application)
        scores = ", ".join(f"{r.borrower} {r.score if r.score is not None else 'no score'}" for r in reports)
        sandbox = " (sandbox test data)" if any(r.is_sandbox for r in reports) else ""
        return f"Credit pulled{sandbox}: {scores}."


class AusRunView(_Action):
    def act(self, request, application, **kwargs) -> str:
        finding = underwriting_run(actor=request.user, application=application)
        return f"Automated underwriting: {finding.get_recommendation_display()}."


class TradelineExcludeView(_Action):
    def act(self, request, application, report_pk, index) -> str:  # type: ignore[override]  # from the URL
        report = get_object_or_404(CreditReport, pk=report_pk, application=application)
        form = TradelineExclusionForm(request.POST)
        if not form.is_valid():
            raise _Invalid(tradeline_form=form, report_pk=report.pk)
        tradeline_exclude(actor=request.user, credit_report=report, index=index, reason=form.cleaned_data["reason"])
        return "Tradeline excluded from the monthly debts. Run automated underwriting again to use it."


class TradelineIncludeView(_Action):
    def act(self, request, application, exclusion_pk) -> str:  # type: ignore[override]  # from the URL
        exclusion = get_object_or_404(
            TradelineExclusion.objects.select_related("credit_report"),
            pk=exclusion_pk,
            credit_report__application=application,
        )
        tradeline_include(actor=request.user, exclusion=exclusion)
        return "Tradeline counted in the monthly debts again. Run automated underwriting again to use it."


class ConditionAddView(_Action):
    def act(self, request, application, **kwargs) -> str:
        form = ConditionForm(request.POST)
        if not form.is_valid():
            raise _Invalid(condition_form=form)
        condition = condition_add(actor=request.user, application=application, **form.cleaned_data)
        return f"Condition added ({condition.get_stage_display().lower()})."


class ConditionClearView(_Action):
    def act(self, request, application, condition_pk) -> str:  # type: ignore[override]  # condition_pk from the URL
        condition = get_object_or_404(Condition, pk=condition_pk, application=application)
        condition_clear(actor=request.user, condition=condition, note=request.POST.get("note", ""))
        return "Condition cleared."


class ConditionWaiveView(_Action):
    def act(self, request, application, condition_pk) -> str:  # type: ignore[override]  # condition_pk from the URL
        condition = get_object_or_404(Condition, pk=condition_pk, application=application)
        condition_waive(actor=request.user, condition=condition, note=request.POST.get("note", ""))
        return "Condition waived."


class DecisionView(_Action):
    def act(self, request, application, **kwargs) -> str:
        if not can_underwrite(request.user):
            raise PermissionDenied("Only underwriters and managers decide applications.")
        form = DecisionForm(request.POST)
        form.fields["outcome"].choices = Decision.Outcome.choices  # type: ignore[attr-defined]  # a ChoiceField
        if not form.is_valid():
            raise _Invalid(decision_form=form)
        data = form.cleaned_data
        decision = underwriting_decide(
            actor=request.user,
            application=application,
            outcome=data["outcome"],
            reasons=data["reasons"],
            note=data["note"],
            other_reason=data["other_reason"],
            expected_status=data["expected_status"] or None,
        )
        done = f"Decision recorded: {decision.get_outcome_display()}."
        if decision.outcome == Decision.Outcome.DENIED:
            done += " The adverse-action notice is ready to send."
        return done


class AdverseActionDownloadView(UnderwritingStaffMixin, View):
    """The adverse-action notice PDF, for origination staff who can open the application."""

    def get(self, request, pk):
        application = selectors.application_for_staff(user=request.user, pk=pk)
        notice = AdverseActionNotice.objects.filter(application=application).first()
        if notice is None:
            raise Http404("No adverse-action notice")
        return FileResponse(
            notice.file.open("rb"),
            content_type="application/pdf",
            filename=f"adverse-action-{application.number}.pdf",
        )
