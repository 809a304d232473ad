from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (the board's allowed moves and stage labels)."""
    return mapping.get(key, "")
