"""The early intervention and loss mitigation section of a loan's collections page: its data and forms, merged
into the page's context by ``servicing.views.collections.LoanCollectionsView``."""

from __future__ import annotations

from typing import Any

from django.forms import Form

from lending.core import roles
from lending.core.models import User
from servicing.forms.loss_mitigation import ActionForm, DecideForm, DocumentForm, ReceiveForm, ReferralForm
from servicing.models import LoanAccount
from servicing.selectors.loss_mitigation import loss_mitigation_section

FORMS: dict[str, type[Form]] = {
    "lm_receive_form": ReceiveForm,
    "lm_document_form": DocumentForm,
    "lm_action_form": ActionForm,
    "lm_decide_form": DecideForm,
    "lm_referral_form": ReferralForm,
}


def section_context(user: User, loan: LoanAccount, forms: dict[str, Any]) -> dict[str, Any]:
    """``lm`` (the section) and its forms: the bound one that failed, fresh ones otherwise."""
    context: dict[str, Any] = {name: forms.get(name) or form_class() for name, form_class in FORMS.items()}
    context["lm"] = loss_mitigation_section(loan)
    context["can_refer"] = roles.has_role(user, roles.MANAGER)
    return context
