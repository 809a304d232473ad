from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import format_html
from django.utils.translation import gettext

from lending.core.admin_widgets import PlainFilteredSelectMultiple
from lending.core.pagination import CappedPaginator

# Sets of permissions whose app lists are kept: a handful of roles in practice; a bound all the same.
APP_DICTS_KEPT = 64
# Rows a changelist page shows unless its admin chose: the admin renders a row in about a third of a millisecond,
# so Django's 100 rows were most of a page's 50 ms (bench_every_page, issue 15).
LIST_PER_PAGE = 50


class BoundedChangeList(ChangeList):
    """A changelist whose date drill-down refuses a year out of range (?created_at__year=99999999999 or 9999).

    Django's own date hierarchy turns those into OverflowError/ValueError outside its guard, a 500; here they are
    bad lookup parameters, which the changelist answers as it does any other (back to the list with ?e=1).
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class BoundedChangeListMixin:
    """What every registered admin gets (``LendingAdminSite.register``): the bounded date drill-down, and no facet
    counts. Django's "Show counts" (``?_facets=True``) counts each filter choice over the whole table on every
    request: 90-140 ms a changelist at 100,000 loans (bench_every_page, issue 15); the lists' searches and filters
    stay."""

    show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    def has_delete_permission(self, request, obj=None):
        """No delete for an object other rows PROTECT (a product its applications use, a lead source its leads
        came from): the database would refuse it, and Django's delete page gathers every protecting row to say so
        (2.8 s for a product of 50,000 applications; minutes for a lead source of 200,000 leads). One EXISTS a
        protecting relation, asked only when the admin would allow the delete."""
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return not any(_protecting(obj, relation).exists() for relation in _protecting_relations(type(obj)))


def _protecting_relations(model) -> list:
    return [
        relation
        for relation in model._meta.related_objects
        if relation.on_delete in (models.PROTECT, models.RESTRICT) and not relation.many_to_many
    ]


def _protecting(obj, relation):
    return relation.related_model._base_manager.filter(**{relation.field.name: obj})


class PlainChoosersMixin:
    """The row checkboxes of a list with actions and the two-box choosers (``filter_horizontal``,
    ``filter_vertical``: a group's or user's permissions and groups) drawn without a template per row or option
    (``PlainFilteredSelectMultiple``)."""

    def action_checkbox(self, obj):
        """Django's row checkbox, the same HTML, without rendering a widget template per row (10-15 ms of a page of
        50 rows, bench_every_page)."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        stacked = db_field.name in self.filter_vertical
        if "widget" not in kwargs and (stacked or db_field.name in self.filter_horizontal):
            kwargs["widget"] = PlainFilteredSelectMultiple(db_field.verbose_name, stacked)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class LendingAdminSite(admin.AdminSite):
    site_header = "Lending servicing admin"
    site_title = "Lending admin"
    index_title = "Servicer screens"

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every admin, ours and third parties' (axes, auth's groups), gets the bounded date drill-down, no facet
        # counts, pages of 50 rows, lists counted no further than their last page shown and the plain two-box
        # choosers.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, BoundedChangeListMixin):
            attrs: dict[str, object] = {"show_full_result_count": False}
            if admin_class.list_per_page == admin.ModelAdmin.list_per_page:  # Django's 100, not a chosen size
                attrs["list_per_page"] = LIST_PER_PAGE
            if admin_class.paginator is Paginator:
                # Django counts a list's every row on each page (twice with the full count): seconds on a table
                # that grows with the book (audit events, accruals, bills, statements, logins).
                attrs["paginator"] = CappedPaginator
            admin_class = type(admin_class.__name__, (BoundedChangeListMixin, PlainChoosersMixin, admin_class), attrs)
        super().register(model_or_iterable, admin_class, **options)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._app_dicts: dict[tuple, dict] = {}

    def _build_app_dict(self, request, label=None):
        """Django's, built once per process for each set of answers the models' admins give about the user's
        permissions (and URL prefix): every admin page's sidebar lists the 35 registered models, reversing two URLs
        for each (issue 15). The permissions are still asked on every request, as Django asks them."""
        key = (label, get_script_prefix(), get_urlconf(), *self._permission_answers(request, label))
        built = self._app_dicts.get(key)
        if built is None:
            if len(self._app_dicts) >= APP_DICTS_KEPT:
                self._app_dicts.clear()
            built = self._app_dicts[key] = super()._build_app_dict(request, label)
        # Copies of the lists and dicts: get_app_list sorts each app's models in place.
        return {name: {**app, "models": [dict(model) for model in app["models"]]} for name, app in built.items()}

    def _permission_answers(self, request, label):
        for model, model_admin in self._registry.items():
            if label and model._meta.app_label != label:
                continue
            has_module = model_admin.has_module_permission(request)
            yield model, has_module, tuple(model_admin.get_model_perms(request).items()) if has_module else ()

    def login(self, request, extra_context=None):
        # A signed-in borrower is refused outright rather than shown the staff login form again.
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied("The servicing admin is for staff only.")
        return super().login(request, extra_context)
