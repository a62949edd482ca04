"""The Jinja2 environment, for the few templates that render long lists of results and for
the layout's header and footer.

Django's template engine costs about 5 µs a variable, which on a page of twenty result cards
(some 600 variables) was most of the page's time; Jinja2 compiles templates to Python and
renders the same cards about four times faster. Pages stay Django templates: they pull a
Jinja2 list in with `{% jinja_include %}` (web/templatetags/ui.py), and base.html its header
with `{% site_header %}`. The filters here are the Django templates' own functions, so both
engines format money, budgets and times one way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.template.defaultfilters import pluralize
from django.urls import URLResolver, get_resolver, get_script_prefix, get_urlconf, reverse
from jinja2 import Environment, StrictUndefined

from openlance.web.templatetags.money import budget, money
from openlance.web.templatetags.ui import ago


def url(name: str, *args: Any) -> str:
    """`{% url name arg %}` of Django's templates, remembered: a `reverse` (about 10 µs) was
    a tenth of the site header, which has a dozen links, and a link of every result card."""
    return _reversed(get_resolver(get_urlconf()), get_script_prefix(), name, args)


def urls_here() -> Callable[..., str]:
    """`url` for one rendering of a template with many links (the header, a page of
    cards): the URLconf and script prefix read once, where `url` reads both for every link
    (two context-locals, 2 of its 2.3 µs)."""
    resolver, prefix = get_resolver(get_urlconf()), get_script_prefix()

    def url_here(name: str, *args: Any) -> str:
        return _reversed(resolver, prefix, name, args)

    return url_here


# A URL depends only on the URLconf (a new resolver when it changes, as in tests), the
# script prefix the server mounts the site under, the name and the arguments.
@lru_cache(maxsize=4096)
def _reversed(resolver: URLResolver, prefix: str, name: str, args: tuple[Any, ...]) -> str:
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
