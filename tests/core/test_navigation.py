"""The staff menu's URLs: reversed once per process for each prefix, not on every page."""

import pytest
from django.urls import set_script_prefix

from lending.core import navigation
from lending.core.navigation import NavItem


def test_a_menu_url_is_reversed_once_per_script_prefix(monkeypatch):
    navigation._reversed.cache_clear()
    item = NavItem("Servicing", "servicing:home", ())
    assert item.url == "/staff/servicing/"
    calls = []
    monkeypatch.setattr(navigation, "reverse", lambda *args, **kwargs: calls.append(args) or "/elsewhere/")
    assert item.url == "/staff/servicing/"  # cached: reverse() is not called again
    assert calls == []
    set_script_prefix("/lending/")
    try:
        assert item.url == "/elsewhere/"  # under another prefix it is reversed afresh
        assert calls == [("servicing:home",)]
    finally:
        set_script_prefix("/")
        navigation._reversed.cache_clear()


def _forget_links() -> None:
    navigation._reversed.cache_clear()
    navigation._links.cache_clear()


URLS_WITHOUT_ARGUMENTS = ["core:landing", "portal-home", "password_change", "logout", "login", "crm:home", "crm:leads"]


def test_url_once_gives_what_the_url_tag_gives_and_reverses_once_per_prefix(monkeypatch):
    from django.template import engines

    engine = engines["django"]
    _forget_links()
    for name in URLS_WITHOUT_ARGUMENTS:
        tag = engine.from_string("{% load urls_once %}{% url_once '" + name + "' %}").render({})
        assert tag == engine.from_string("{% url '" + name + "' %}").render({})
    calls = []
    monkeypatch.setattr(navigation, "reverse", lambda *args, **kwargs: calls.append(args) or "/a?b&c/")
    once = engine.from_string("{% load urls_once %}{% url_once 'crm:home' %}")
    assert once.render({}) == "/staff/crm/"  # kept: reverse() is not called again
    set_script_prefix("/lending/")
    try:
        assert once.render({}) == "/a?b&amp;c/"  # under another prefix reversed afresh, escaped as {% url %} does
        assert calls == [("crm:home",)]
    finally:
        set_script_prefix("/")
        _forget_links()


def test_url_once_takes_a_variable_name_and_reads_the_prefix_once_a_render(monkeypatch):
    from django.template import engines

    engine = engines["django"]
    menu = engine.from_string(
        '{% load urls_once %}{% for item in items %}<a href="{% url_once item.url_name %}">{% endfor %}'
        "{% url_once 'logout' %}"
    )
    items = [NavItem("CRM", "crm:home", ()), NavItem("Servicing", "servicing:home", ())]
    logout = engine.from_string("{% url 'logout' %}").render()
    expected = "".join(f'<a href="{item.url}">' for item in items) + logout
    looked_up = []
    real = navigation.get_script_prefix
    monkeypatch.setattr(navigation, "get_script_prefix", lambda: looked_up.append(1) or real())
    assert menu.render({"items": items}) == expected
    assert looked_up == [1]  # once for the render's four tags


def test_url_once_takes_one_argument():
    from django.template import TemplateSyntaxError, engines

    with pytest.raises(TemplateSyntaxError, match="takes one argument"):
        engines["django"].from_string("{% load urls_once %}{% url_once 'crm:home' as link %}")
