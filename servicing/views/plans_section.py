"""The plans section of a loan's collections page (templates/servicing/collections/_plans.html): its figures and
forms, added to the page's context by ``LoanCollectionsView`` (kept apart so the plan views can import it)."""

from __future__ import annotations

from typing import Any

from lending.core import roles
from servicing.forms.plans import ForbearanceForm, ModificationForm, RepaymentPlanForm
from servicing.models import LoanAccount
from servicing.selectors.plans import loan_plans


def plans_context(loan: LoanAccount, forms: dict[str, Any], user) -> dict[str, Any]:
    """What _plans.html renders: the loan's plans, the forms (a refused one with its errors) and the refusal."""
    return {
        "plans": loan_plans(loan.pk),
        "modification_form": forms.get("modification_form") or ModificationForm(),
        "repayment_form": forms.get("repayment_form") or RepaymentPlanForm(),
        "forbearance_form": forms.get("forbearance_form") or ForbearanceForm(),
        "plan_error": forms.get("plan_error", ""),
        "can_approve": roles.has_role(user, roles.MANAGER),
    }
