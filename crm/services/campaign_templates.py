"""Campaign emails from templates staff write: Django template syntax over a handful of plain strings.

Safe by construction: the context holds only strings (no model to walk into), the engine has no template
directories (``include``/``extends`` find nothing) and only the tags below are accepted, checked when a step is
saved. Emails are plain text, so nothing is HTML-escaped; the subject is folded onto one line (header injection).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine, Template, TemplateSyntaxError

ALLOWED_TAGS = frozenset(
    {"if", "elif", "else", "endif", "for", "empty", "endfor", "firstof", "with", "endwith", "comment", "endcomment"}
)
PLACEHOLDERS = ("first_name", "last_name", "full_name", "officer_name", "company")
_TAG = re.compile(r"{%-?\s*(\w+)")
_ENGINE = Engine(dirs=[], app_dirs=False, autoescape=False, libraries={}, string_if_invalid="")


@dataclass(frozen=True)
class Recipient:
    first_name: str
    last_name: str
    officer_name: str = ""

    def context(self) -> dict[str, str]:
        full = f"{self.first_name} {self.last_name}".strip()
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "full_name": full,
            "officer_name": self.officer_name,
            "company": settings.LENDING_CREDITOR_NAME,
        }


def template_compile(source: str, *, field: str) -> Template:
    """The compiled template, or a ValidationError naming ``field`` (a tag outside the list, bad syntax)."""
    for tag in _TAG.findall(source):
        if tag not in ALLOWED_TAGS:
            raise ValidationError({field: f"The tag {{% {tag} %}} is not allowed in campaign emails."})
    try:
        return _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise ValidationError({field: f"Template error: {exc}"}) from exc


def render(template: Template, recipient: Recipient) -> str:
    return template.render(Context(recipient.context(), autoescape=False))


def subject_line(text: str) -> str:
    """One line whatever the template made of it (a line break in a subject is header injection)."""
    return " ".join(text.split())[:200]


def footer(unsubscribe_url: str) -> str:
    """CAN-SPAM (15 U.S.C. 7704(a)(5)): a working opt-out and the sender's valid physical postal address."""
    return (
        "\n\n--\n"
        f"{settings.LENDING_CREDITOR_NAME}, {settings.LENDING_CREDITOR_ADDRESS}\n"
        f"To stop receiving these emails, unsubscribe: {unsubscribe_url}\n"
    )


def preview(subject: str, body: str) -> tuple[str, str]:
    """Both templates rendered for a sample contact: what the step's form shows, and its check."""
    sample = Recipient(first_name="Dana", last_name="Doe", officer_name="Olive Officer")
    subject_text = subject_line(render(template_compile(subject, field="subject"), sample))
    return subject_text, render(template_compile(body, field="body"), sample)
