"""The plain two-box chooser (lending.core.admin_widgets) draws the HTML Django's FilteredSelectMultiple draws."""

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.models import Group, Permission
from django.test.html import parse_html

from lending.core.admin_widgets import PlainFilteredSelectMultiple
from lending.core.models import User

CHOICES = [
    (1, 'Loans | can <view> & "post"'),
    ("Escrow", [(2, "Taxes"), (3, "Insurance 'hazard'")]),
    (4, "Fees"),
]


@pytest.mark.parametrize("stacked", [False, True])
@pytest.mark.parametrize("value", [[], ["3"], [1, "4", 2]])
def test_the_same_html_as_djangos_widget(stacked, value):
    django_widget = FilteredSelectMultiple("user permissions", stacked, choices=CHOICES)
    plain = PlainFilteredSelectMultiple("user permissions", stacked, choices=CHOICES)
    attrs = {"id": "id_user_permissions"}
    expected = django_widget.render("user_permissions", value, attrs)
    drawn = plain.render("user_permissions", value, attrs)
    assert parse_html(drawn) == parse_html(expected)
    assert "&lt;view&gt; &amp; &quot;post&quot;" in drawn  # escaped as Django escapes it
    assert drawn.count(" selected") == len(value)


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field"), [(Group, "permissions"), (User, "user_permissions"), (User, "groups")])
def test_the_group_and_user_admins_use_it(rf, model, field):
    request = rf.get("/")
    request.user = User(is_superuser=True, is_staff=True)
    model_admin = admin.site._registry[model]
    formfield = model_admin.formfield_for_manytomany(model._meta.get_field(field), request)
    widget = formfield.widget  # the admin wraps it later, in the form
    assert type(widget) is PlainFilteredSelectMultiple
    if field == "permissions":
        assert widget.choices.queryset.count() == Permission.objects.count()


class _Row:
    pk = 42

    def __str__(self) -> str:
        return 'Loan <BL-1> & "co"'


def test_the_row_checkbox_is_the_html_djangos_admin_draws():
    ours = admin.site._registry[User]  # every registered admin has the plain checkbox
    drawn = ours.action_checkbox(_Row())
    expected = admin.ModelAdmin(User, admin.site).action_checkbox(_Row())
    assert parse_html(drawn) == parse_html(expected)
    assert drawn == (
        '<input type="checkbox" name="_selected_action" value="42" class="action-select" '
        'aria-label="Select this object for an action - Loan &lt;BL-1&gt; &amp; &quot;co&quot;">'
    )
