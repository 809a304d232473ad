"""``{% url_once 'name' %}``: ``{% url 'name' %}`` for a URL without arguments, reversed once per process (for each
script prefix and URL conf) instead of on every page (issue 15, "Load").

Every page runs the base template's three to five such tags and its staff menu's items (nine for the load test's
staff user), the staff pages their section's menu too (eight on a CRM page): ``{% url %}`` resolves its arguments,
looks the current app up and reverses each time, some 50 us a tag on the load test's machine. The name may be a
variable (``{% url_once item.url_name %}``: the menu's items). No arguments, no ``as``: a URL with arguments keeps
``{% url %}``.

A tag reads the script prefix and URL conf (thread- and task-local: ~2 us each) once per render, not once per tag:
the first tag of a render keeps their links in the render context, which the templates a page extends share.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression

from lending.core.navigation import links_of_this_request

register = template.Library()
_LINKS = "lending.url_once.links"  # the render context's key of the render's links


@register.tag
def url_once(parser: template.base.Parser, token: template.base.Token) -> UrlOnceNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' takes one argument: the name of a URL without arguments")
    return UrlOnceNode(parser.compile_filter(bits[1]))


class UrlOnceNode(template.Node):
    def __init__(self, url_name: FilterExpression) -> None:
        self.url_name = url_name

    def render(self, context: template.Context) -> str:
        links = context.render_context.get(_LINKS)
        if links is None:
            links = context.render_context[_LINKS] = links_of_this_request()
        return links[self.url_name.resolve(context)]
