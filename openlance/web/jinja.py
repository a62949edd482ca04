"""The Jinja2 environment, for the few templates that render long lists of results.

Django's template engine costs about 5 µs a variable, which on a page of twenty result cards
(some 600 variables) was most of the page's time; Jinja2 compiles templates to Python and
renders the same cards about four times faster. Pages stay Django templates: they pull a
Jinja2 list in with `{% jinja_include %}` (web/templatetags/ui.py). The filters here are the
Django templates' own functions, so both engines format money, budgets and times one way.
"""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import pluralize
from django.urls import reverse
from jinja2 import Environment, StrictUndefined

from openlance.web.templatetags.money import budget, money
from openlance.web.templatetags.ui import ago


def url(name: str, *args: Any) -> str:
    """`{% url name arg %}` of Django's templates."""
    return reverse(name, args=args)


def environment(**options: Any) -> Environment:
    """Escaping is set here, not left to the backend's default: `{% jinja_include %}` marks
    what Jinja2 returns as safe. A misspelt name fails the page (and its tests) instead of
    rendering as nothing, in development and production alike."""
    options["autoescape"] = True
    options["undefined"] = StrictUndefined
    env = Environment(**options)  # noqa: S701
    env.globals["url"] = url
    env.filters.update(ago=ago, budget=budget, money=money, pluralize=pluralize)
    return env
