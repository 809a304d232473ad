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
