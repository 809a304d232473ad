"""``{% load crispy_once %}``: crispy's HTML, to the character, whether a form nobody filled in is rendered for the
first time or again from what the process kept; a filled-in form, or one whose value, choices or attributes
changed, renders anew; and the pages that use it are the same pages, still only for their own people."""

from __future__ import annotations

import re
from datetime import date

import pytest
from crispy_forms.templatetags import crispy_forms_filters
from django import forms
from django.template import engines
from django.urls import reverse

from lending.core import roles
from lending.core.templatetags import crispy_once
from servicing.forms.charge_off import ChargeOffForm, RecoveryForm
from servicing.forms.collections import CeaseContactForm, ContactForm, PromiseForm, ReassignForm
from servicing.forms.plans import ForbearanceForm, ModificationForm, RepaymentPlanForm
from servicing.forms.portal import OneTimePaymentForm
from servicing.views.loss_mitigation_section import FORMS as LM_FORMS
from tests.core.factories import UserFactory, user_with_role
from tests.servicing.collections.helpers import delinquent_loan
from tests.servicing.factories_portal import TODAY, borrower_loan, set_today

FORMS = {
    "contact": ContactForm,
    "promise": PromiseForm,
    "cease": CeaseContactForm,
    "modification": ModificationForm,
    "repayment": RepaymentPlanForm,
    "forbearance": ForbearanceForm,
    "charge_off": ChargeOffForm,
    "recovery": lambda: RecoveryForm(initial={"idempotency_key": "recovery-1"}),
    **LM_FORMS,
    "payment": lambda: OneTimePaymentForm(today=date(2027, 3, 1), initial={"idempotency_key": "k-1"}),
}


@pytest.fixture(autouse=True)
def _nothing_kept(monkeypatch):
    monkeypatch.setattr(crispy_once, "_kept", {})


def _crispy(form) -> str:
    return crispy_forms_filters.as_crispy_form(form)


def _fields(form, filter_) -> list[str]:
    return [filter_(form[name]) for name in form.fields]


@pytest.mark.parametrize("name", list(FORMS))
def test_an_unbound_form_renders_as_crispy_renders_it_first_and_again(name):
    make = FORMS[name]
    expected_form, expected_fields = _crispy(make()), _fields(make(), crispy_forms_filters.as_crispy_field)
    assert crispy_once.crispy(make()) == expected_form  # rendered by crispy and kept
    assert crispy_once.crispy(make()) == expected_form  # from what was kept
    assert _fields(make(), crispy_once.as_crispy_field) == expected_fields
    assert _fields(make(), crispy_once.as_crispy_field) == expected_fields
    assert len(crispy_once._kept) == 1 + len(expected_fields)


def test_what_is_kept_is_served_without_rendering_again(monkeypatch):
    calls = []
    render = crispy_forms_filters.as_crispy_field
    monkeypatch.setattr(crispy_forms_filters, "as_crispy_field", lambda *a: calls.append(a) or render(*a))
    first = crispy_once.as_crispy_field(ContactForm()["note"])
    again = crispy_once.as_crispy_field(ContactForm()["note"])
    assert first == again == render(ContactForm()["note"])
    assert len(calls) == 1
    assert '<textarea name="note" cols="40" rows="2" maxlength="2000" class="textarea form-control"' in first


def test_a_filled_in_form_is_rendered_each_time_with_its_values_and_errors():
    bound = ContactForm({"channel": "letter", "outcome": "nonsense", "note": "typed"})
    assert not bound.is_valid()
    html = crispy_once.crispy(bound)
    assert html == _crispy(ContactForm({"channel": "letter", "outcome": "nonsense", "note": "typed"}))
    assert "Select a valid choice. nonsense is not one of the available choices." in html
    assert ">\ntyped</textarea>" in html
    assert crispy_once.as_crispy_field(bound["note"]) == crispy_forms_filters.as_crispy_field(bound["note"])
    assert crispy_once._kept == {}
    assert crispy_once.crispy(ContactForm()) == _crispy(ContactForm())  # the blank form after it is blank
    assert "typed" not in crispy_once.crispy(ContactForm())


def test_other_choices_another_value_or_other_attributes_render_anew():
    ann = UserFactory.build(pk=1, first_name="Ann", last_name="A")
    bob = UserFactory.build(pk=2, first_name="Bob", last_name="B")
    for collectors in ([ann], [bob], [ann, bob]):
        form = ReassignForm(collectors=collectors)
        assert crispy_once.crispy(form) == _crispy(ReassignForm(collectors=collectors))
    assert '<option value="2">Bob B</option>' in crispy_once.crispy(ReassignForm(collectors=[bob]))
    assert '<option value="2">Bob B</option>' not in crispy_once.crispy(ReassignForm(collectors=[ann]))
    picked = ReassignForm(collectors=[ann, bob], initial={"collector": "2"})
    assert '<option value="2" selected>Bob B</option>' in crispy_once.crispy(picked)
    for day in (date(2027, 3, 1), date(2027, 3, 2)):  # the date's value and its min/max attributes
        form = OneTimePaymentForm(today=day, initial={"idempotency_key": "k"})
        html = crispy_once.as_crispy_field(form["scheduled_date"])
        assert html == crispy_forms_filters.as_crispy_field(form["scheduled_date"])
        assert f'value="{day.isoformat()}"' in html
        assert f'min="{day.isoformat()}"' in html


def test_a_query_backed_or_multi_widget_field_is_never_kept():
    class Picks(forms.Form):
        who = forms.ModelChoiceField(queryset=UserFactory._meta.model.objects.none())
        when = forms.SplitDateTimeField()

    form = Picks()
    assert crispy_once.as_crispy_field(form["who"]) == crispy_forms_filters.as_crispy_field(form["who"])
    assert crispy_once.as_crispy_field(form["when"]) == crispy_forms_filters.as_crispy_field(form["when"])
    assert crispy_once.crispy(form) == _crispy(Picks())
    assert crispy_once._kept == {}


def test_a_plain_field_beside_a_query_backed_one_is_kept_by_its_own_key():
    class Picks(forms.Form):
        who = forms.ModelChoiceField(queryset=UserFactory._meta.model.objects.none())
        note = forms.CharField(required=False)

    expected_field = crispy_forms_filters.as_crispy_field(Picks()["note"])
    expected_widget = str(Picks()["note"])
    assert crispy_once.as_crispy_field(Picks()["note"]) == expected_field  # rendered and kept
    assert crispy_once.widget_once(Picks()["note"]) == expected_widget
    assert len(crispy_once._kept) == 2
    assert crispy_once.as_crispy_field(Picks()["note"]) == expected_field  # from what was kept
    assert crispy_once.widget_once(Picks()["note"]) == expected_widget
    assert crispy_once.crispy(Picks()) == _crispy(Picks())  # the whole form: rendered each time
    assert len(crispy_once._kept) == 2


def test_a_fields_key_does_not_work_out_the_other_fields_keys(monkeypatch):
    from servicing.forms.collections import QueueFilterForm

    form = QueueFilterForm(products=[("fixed-30", "30-year fixed")], collectors=[])
    worked_out = []
    field_key = crispy_once._field_key
    monkeypatch.setattr(crispy_once, "_field_key", lambda bound: worked_out.append(bound.name) or field_key(bound))
    for name in form.fields:
        crispy_once.widget_once(form[name])
    assert worked_out == list(form.fields)


def test_past_the_limit_the_oldest_half_is_dropped(monkeypatch):
    monkeypatch.setattr(crispy_once, "MAX_KEPT", 4)
    days = [date(2027, 3, d) for d in range(1, 6)]
    for day in days:
        form = OneTimePaymentForm(today=day, initial={"idempotency_key": "k"})
        crispy_once.as_crispy_field(form["scheduled_date"])
    kept_days = [key[2][3] for key in crispy_once._kept]
    assert kept_days == [(date, day) for day in days[2:]]


def test_the_template_library_gives_crispys_html():
    template = engines["django"].from_string(
        "{% load crispy_once %}{{ form|crispy }}|{{ form.amount|as_crispy_field }}"
    )
    form = PromiseForm()
    assert template.render({"form": form}) == f"{_crispy(form)}|{crispy_forms_filters.as_crispy_field(form['amount'])}"


# --- the pages --------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\b[A-Za-z0-9]{64}\b")  # a CSRF token (the form's field, htmx's header): new on each visit


def _same_page(client, url: str, monkeypatch) -> str:
    """The page's HTML rendered from kept pieces, checked against a render by crispy alone (CSRF tokens aside)."""
    first = client.get(url)
    again = client.get(url)
    assert first.status_code == again.status_code == 200
    monkeypatch.setattr(crispy_once, "_rendered", lambda key, render: render())
    fresh = client.get(url)
    pages = [_TOKEN.sub("csrf", r.content.decode()) for r in (first, again, fresh)]
    assert pages[0] == pages[1] == pages[2]
    return pages[0]


@pytest.mark.django_db
def test_the_collections_loan_page_is_the_same_page_and_only_for_collectors(client, monkeypatch):
    loan = delinquent_loan()
    for role in (roles.SERVICER, roles.LOAN_OFFICER, roles.BORROWER):
        client.force_login(user_with_role(role))
        assert client.get(reverse("collections:loan", args=[loan.pk])).status_code == 403
    client.force_login(user_with_role(roles.COLLECTOR))
    html = _same_page(client, reverse("collections:loan", args=[loan.pk]), monkeypatch)
    assert len(crispy_once._kept) > 10
    assert 'data-testid="contact-form"' in html


@pytest.mark.django_db
def test_the_portal_payment_page_is_the_same_page_and_only_the_borrowers(client, monkeypatch):
    set_today(monkeypatch, TODAY)
    loan, other = borrower_loan(), borrower_loan()
    url = reverse("servicing_portal:loan-pay", args=[loan.pk])
    client.force_login(other.borrower)
    assert client.get(url).status_code == 404
    client.force_login(user_with_role(roles.SERVICER))
    assert client.get(url).status_code == 403
    client.force_login(loan.borrower)
    html = _same_page_keys(client, url, monkeypatch)
    assert f'min="{TODAY.isoformat()}"' in html


def _same_page_keys(client, url, monkeypatch) -> str:
    """As _same_page, the payment form's idempotency key (new on each visit) aside."""
    keys = re.compile(r'name="idempotency_key" value="\w+"')
    first, again = client.get(url), client.get(url)
    monkeypatch.setattr(crispy_once, "_rendered", lambda key, render: render())
    fresh = client.get(url)
    pages = [keys.sub("key", _TOKEN.sub("csrf", r.content.decode())) for r in (first, again, fresh)]
    assert [r.status_code for r in (first, again, fresh)] == [200, 200, 200]
    assert pages[0] == pages[1] == pages[2]
    return pages[0]


@pytest.mark.django_db
def test_widget_once_gives_the_widgets_html_first_and_again_bound_or_not():
    from servicing.forms.collections import QueueFilterForm

    collectors = [UserFactory(first_name="Cora", last_name="Collector")]
    products = [("fixed-30", "30-year fixed")]

    def make(data=None):
        return QueueFilterForm(data, products=products, collectors=collectors)

    expected = [str(make()[name]) for name in make().fields]
    assert [crispy_once.widget_once(make()[name]) for name in make().fields] == expected  # rendered and kept
    assert len(crispy_once._kept) == len(expected)
    assert [crispy_once.widget_once(make()[name]) for name in make().fields] == expected  # from what was kept
    other = QueueFilterForm(products=[*products, ("arm-5", "5/1 ARM")], collectors=collectors)
    assert crispy_once.widget_once(other["product"]) == str(other["product"])  # other choices: its own HTML
    assert "5/1 ARM" in crispy_once.widget_once(other["product"])

    def bound_widgets(data, error=""):
        form = make(data)
        form.is_valid()
        if error:
            form.add_error(error, "Wrong.")
        return [str(form[name]) for name in form.fields], [crispy_once.widget_once(form[name]) for name in form.fields]

    # A filled-in form's widgets, with the values typed and the errors' attributes, each its own HTML and kept.
    cases = [
        ({"bucket": "30-59", "state": "il"}, ""),
        ({"bucket": "30-59", "state": "z1"}, ""),  # not a state code: an error on the field
        ({"bucket": "30-59", "state": "IL"}, "state"),  # the same value, with an error
        ({"bucket": "30-59", "state": "IL", "include_promised": "on"}, ""),
        ({"page": "2"}, ""),
    ]
    for data, error in cases * 2:  # the second time from what was kept
        rendered, once = bound_widgets(data, error)
        assert once == rendered, (data, error)
    invalid = bound_widgets({"state": "z1"})[1][2]
    assert 'value="z1"' in invalid
    assert 'aria-invalid="true"' in invalid
    assert 'aria-invalid="true"' in bound_widgets({"state": "IL"}, "state")[1][2]
    assert 'aria-invalid="true"' not in bound_widgets({"state": "IL"})[1][2]


@pytest.mark.django_db
def test_the_collections_queue_is_the_same_page_with_its_filters_kept(client, monkeypatch):
    loan = delinquent_loan()
    client.force_login(user_with_role(roles.COLLECTOR))
    html = _same_page(client, reverse("collections:queue"), monkeypatch)
    assert loan.loan_number in html
    assert 'name="bucket"' in html
    assert 'name="include_promised"' in html
    assert len(crispy_once._kept) == 6  # the filter form's widgets
