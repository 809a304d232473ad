"""The staff menu's URLs: reversed once per process for each prefix, not on every page."""

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


URLS_WITHOUT_ARGUMENTS = ["core:landing", "portal-home", "password_change", "logout", "login", "crm:home", "crm:leads"]


def test_url_once_gives_what_the_url_tag_gives_and_reverses_once_per_prefix(monkeypatch):
    from django.template import engines

    engine = engines["django"]
    navigation._reversed.cache_clear()
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
        navigation._reversed.cache_clear()
