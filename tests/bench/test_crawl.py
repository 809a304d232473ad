"""The every-page bench's crawler helpers (bench/_crawl.py): which links it follows and which URLs count as one page."""

from __future__ import annotations

import pytest

from bench._crawl import Page, page_links, project_routes, route_url, variant_key
from tests.core.factories import UserFactory


def test_links_and_htmx_panels_are_site_paths_in_page_order_once_each_without_fragments():
    html = """
        <a href="/staff/servicing/">Loans</a> <a href="/staff/servicing/#top">again</a>
        <a href="https://example.com/x">away</a> <a href="//cdn.example.com/y">away</a>
        <a href="mailto:a@b.c">mail</a> <a href="tel:+15555550100">call</a> <a href="#tab">tab</a>
        <a href="/static/app.css">file</a> <a href="/accounts/logout/">out</a> <a>no href</a>
        <a href="?page=2&amp;q=Smith">next</a> <a href="/staff/origination/?status=intake">intake</a>
        <div hx-get="/staff/origination/applications/7/documents/panel/" hx-trigger="load"></div>
        <link href="/static/app.css" rel="stylesheet">
    """
    assert page_links(html, "/staff/collections/") == [
        "/staff/servicing/",
        "/staff/collections/?page=2&q=Smith",
        "/staff/origination/?status=intake",
        "/staff/origination/applications/7/documents/panel/",
    ]


def test_a_page_is_its_route_and_its_query_string_keys():
    assert variant_key("/staff/servicing/?q=BL-1&page=3") == ("staff/servicing/", ("page", "q"))
    assert variant_key("/staff/servicing/?page=9&q=Smith") == ("staff/servicing/", ("page", "q"))
    assert variant_key("/staff/servicing/") == ("staff/servicing/", ())


def test_urls_no_route_serves_and_resorted_or_return_address_urls_are_not_pages():
    assert variant_key("/no/such/page/") is None
    assert variant_key("/admin/servicing/loanaccount/?o=2") is None
    assert variant_key("/admin/servicing/loanaccount/1/change/?_changelist_filters=q%3Dx") is None
    assert variant_key("/accounts/login/?next=/staff/") is None


def test_the_project_routes_include_staff_portal_and_admin_routes():
    routes = project_routes()
    assert {"staff/servicing/", "admin/servicing/loanaccount/"} <= routes
    assert any(route.startswith("portal/") for route in routes)


def test_median_and_p95_of_a_page():
    page = Page("staff", "/staff/", "staff/", 200, "text/html; charset=utf-8", wall_ms=[float(n) for n in range(1, 21)])
    assert (page.median, page.p95, page.is_html) == (10.5, 19.0, True)
    assert Page("staff", "/x.pdf", "x", 200, "application/pdf", wall_ms=[1.0]).is_html is False


@pytest.mark.django_db
def test_a_route_no_link_reached_is_filled_from_the_database():
    ids = {"loan": 41, "application": 7}
    assert route_url("staff/collections/loans/<int:pk>/promises/", ids) == ("/staff/collections/loans/41/promises/", "")
    assert route_url("portal/applications/<int:pk>/messages/", ids) == ("/portal/applications/7/messages/", "")
    assert route_url("staff/origination/applications/<int:pk>/tasks/<int:task_pk>/complete/", ids) == (
        "/staff/origination/applications/7/tasks/1/complete/",
        "",
    )
    assert route_url("staff/crm/tasks/<int:pk>/done/", ids) == ("/staff/crm/tasks/1/done/", "")
    assert route_url("admin/servicing/loanaccount/<path:object_id>/change/", ids) == (
        "/admin/servicing/loanaccount/41/change/",
        "",
    )
    user = UserFactory()
    assert route_url("admin/core/user/<path:object_id>/history/", ids) == (f"/admin/core/user/{user.pk}/history/", "")
    assert route_url("admin/crm/marketrate/<path:object_id>/change/", ids) == (None, "no row in crm.MarketRate")
    assert route_url("portal/loans/<int:pk>/", {"loan": None}) == (None, "no loan of the bench's borrower")
    assert route_url("status/<str:token>/", ids) == (None, "takes a token, a name or a path no row gives")
    assert route_url("admin/(?P<url>.*)$", ids)[0] is None
