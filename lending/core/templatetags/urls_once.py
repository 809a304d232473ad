"""``{% url_once 'name' %}``: ``{% url 'name' %}`` for a URL without arguments, reversed once per process (for each
script prefix and URL conf) instead of on every page (issue 15, "Load").

Every page runs the base template's three to five such tags, the staff pages their section's menu too (eight on a
CRM page): ``{% url %}`` resolves its arguments, looks the current app up and reverses each time, some 50 us a tag
on the load test's machine. No arguments, no ``as``: a URL with arguments keeps ``{% url %}``.
"""

from __future__ import annotations

from django import template

from lending.core.navigation import reversed_once

register = template.Library()


@register.simple_tag
def url_once(url_name: str) -> str:
    return reversed_once(url_name)
