"""Small template helpers for forms and profile pages, loaded by name (`{% load ui %}`) so
templates of lower apps can use them without their Python importing the web layer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser
from django.forms import BoundField
from django.template import Context, engines
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from openlance.accounts.models import User
from openlance.core import clock
from openlance.messaging.selectors import unread_total

register = template.Library()


@register.filter
def chosen_labels(field: BoundField, options: Any = None) -> list[str]:
    """Labels of the chosen values of a multiple-choice field, among `options` (one group
    of its choices) or among all of them."""
    value = field.value() or []
    chosen = {str(item) for item in (value if isinstance(value, list | tuple) else [value])}
    if options is None:
        options = [
            pair
            for _, group in field.field.choices  # type: ignore[attr-defined]
            for pair in group
        ]
    return [str(label) for key, label in options if str(key) in chosen]


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with `changes` applied, e.g. the link to the next page."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return "?" + params.urlencode()


@register.simple_tag
def jinja_include(template_name: str, **context: Any) -> SafeString:
    """`template_name` rendered by the Jinja2 engine (openlance/web/jinja.py) with `context`:
    the long result lists, where Django's engine was most of a page's time. Jinja2 escapes
    every variable as Django does, so what it returns is safe to insert as it is; like
    Django, it trusts a value that is already marked safe (has `__html__`), so cards carry
    plain text, never HTML built from what people typed."""
    # Imported here: the Jinja2 environment's filters come from this module.
    from openlance.web.jinja import urls_here

    template = engines["jinja2"].get_template(template_name)
    html = template.render({"url": urls_here(), **context})
    return mark_safe(html)  # noqa: S308  (autoescaped by Jinja2)


@register.simple_tag(takes_context=True)
def site_header(context: Context) -> SafeString:
    """The header of base.html, drawn by Jinja2 (web/_header.html): its two dozen links and
    conditions were most of the layout's time in Django's engine. The 500 page is rendered
    without a request, and gets the visitor's header."""
    request = context.get("request")
    user = context.get("user") or AnonymousUser()
    match = getattr(request, "resolver_match", None)
    return jinja_include(
        "web/_header.html",
        request=request,
        user=user,
        current=match.url_name if match else None,
        # The page's own token (base.html puts it in the htmx headers too): one masking.
        csrf_token=context.get("csrf_token", ""),
        header_connects=context.get("header_connects"),
        header_unread=context.get("header_unread"),
        unread_count=unread_total(user=user) if isinstance(user, User) else 0,
    )


@register.filter
def words(slug: str) -> str:
    """A stored code as words: "top_rated_plus" → "Top Rated Plus"."""
    return str(slug).replace("_", " ").title()


# Under this, "Posted 0 minutes ago" would read oddly: say "just now".
JUST_NOW = timedelta(minutes=1)


class _Count(str):
    """A unit's words for a count, as Django's lazy `ngettext` strings give them with
    translations off (`USE_I18N = False`), without their lookups on every use: a page of
    twenty results spent a third of each `timesince` in them. The text is the plural; `%`
    with a count of one gives the singular."""

    one: str

    def __new__(cls, unit: str) -> _Count:
        words = super().__new__(cls, f"%(num)d {unit}s")
        words.one = f"%(num)d {unit}"
        return words

    def __mod__(self, values: Any) -> str:
        return (self.one if values["num"] == 1 else str(self)) % values


_UNITS: dict[str, str] = {
    unit: _Count(unit) for unit in ("year", "month", "week", "day", "hour", "minute")
}


_CHUNKS = ((7 * 24 * 3600, "week"), (24 * 3600, "day"), (3600, "hour"), (60, "minute"))


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago `moment` was, in words: "just now", "5 minutes ago", "2 days ago"."""
    if moment is None:
        return ""
    now = clock.now()
    delta = now - moment
    if delta < JUST_NOW:
        return "just now"
    # A page of results shows a time a card, and `timesince` (about 3 µs) was most of each:
    # within a month (counted on one clock as `timesince` counts it) the words are the
    # difference's weeks to minutes alone.
    if moment.tzinfo is now.tzinfo and not _whole_months(moment, now):
        return f"{_under_a_month(delta)} ago"
    return f"{timesince(moment, now=now, time_strings=_UNITS)} ago"


def _whole_months(moment: datetime, now: datetime) -> int:
    """Calendar months from `moment` to `now` as `timesince` counts them: the last one is
    whole from the same day and time of the month."""
    short = (moment.day, moment.time()) > (now.day, now.time())
    return (now.year - moment.year) * 12 + now.month - moment.month - short


def _under_a_month(delta: timedelta) -> str:
    """`timesince` of a `delta` of less than a month: its first two adjacent units that are
    not zero, by the same arithmetic, with non-breaking spaces."""
    left = delta.total_seconds()
    words: list[str] = []
    for chunk, unit in _CHUNKS:
        count = int(left // chunk)
        left -= chunk * count
        if count:
            words.append(f"{count}\xa0{unit}" if count == 1 else f"{count}\xa0{unit}s")
        elif words:
            break
    return ", ".join(words[:2])
