"""Form fields shared by the HTML forms of several features."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2, get_default_renderer
from django.http import QueryDict
from django.utils.safestring import SafeString
from django_countries import countries

from openlance.core.errors import DomainError
from openlance.core.money import Money, MoneyError


class SiteFormRenderer(BaseRenderer):
    """The site's form renderer (`FORM_RENDERER`): Django's own form, field and widget
    templates (`django/forms/…`) from the Jinja2 copies Django ships of them, every other
    template by Django's engine. The Jinja2 copies draw the same markup (entities aside:
    `&#39;` for `&#x27;`) in about half the time: the profile editor's 28 widgets (countries,
    time zones, skills: some thousand options) took most of its 54 ms. The admin's and
    allauth's own widget templates are drawn by Django's engine, as before.

    Two rules follow for a widget of ours: one that keeps a `django/forms/` template but
    names its own option or subwidget template must have that template in a `jinja2`
    folder too, since a Jinja2 template includes only Jinja2 templates; and a choice label
    is shown as its text, so labels are strings (Django's engine would localise a date)."""

    def __init__(self) -> None:
        self._jinja2 = Jinja2()
        self._django = DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        if template_name.startswith("django/forms/"):
            return self._jinja2.get_template(template_name)
        return self._django.get_template(template_name)


class _SharedFields(dict[str, forms.Field]):
    """A form class's fields, handed to each instance as they are instead of deep-copied."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


class _SharedFieldsMetaclass(DeclarativeFieldsMetaclass):
    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> type:
        if "__init__" in attrs:
            # Where a form's fields are set up per instance, sharing them would carry one
            # request's choices or widgets into the next.
            raise TypeError(f"{name} is a SearchForm: its fields are shared, so no __init__.")
        new_class = super().__new__(mcs, name, bases, attrs)
        new_class.base_fields = _SharedFields(new_class.base_fields)  # type: ignore[attr-defined]
        return new_class


class SearchForm(forms.Form, metaclass=_SharedFieldsMetaclass):
    """The base of the search pages' filter forms, built on every search.

    Django deep-copies a form's fields into each instance so that one request may change its
    own fields (choices, widgets) without touching the next. That copy of some twenty fields,
    their widgets and their choices was a quarter of a search page's fixed cost. No search
    form changes a field after its class is built, so every instance uses the class's own
    fields; what differs per request (data, errors, cleaned values) lives on the form and its
    bound fields, never on a field. A search form that needs per-request fields should not
    be a SearchForm.
    """


def country_choices(blank: str = "Choose a country") -> list[tuple[str, str]]:
    return [("", blank), *((code, name) for code, name in countries)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by content in the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class FixedChoicesSelect(forms.Select):
    """A select whose choices never change once its field is built (a search form's sort):
    drawn once for each chosen value, attributes and renderer, then given as drawn, where
    Django built and drew every option on every page (two options: 40 µs). A value outside
    the choices is drawn each time, so what is kept stays a handful."""

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__(attrs, choices)
        self._drawn: dict[tuple[Any, ...], SafeString] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> FixedChoicesSelect:
        copied = super().__deepcopy__(memo)
        copied._drawn = {}
        return copied

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        known = value is None or (
            isinstance(value, str) and value in {"", *(str(key) for key, _ in self.choices)}
        )
        if not known:
            return super().render(name, value, attrs, renderer)
        renderer = renderer or get_default_renderer()
        key = (name, value, renderer, *(attrs or {}).items())
        drawn = self._drawn.get(key)
        if drawn is None:
            drawn = self._drawn[key] = super().render(name, value, attrs, renderer)
        return drawn


class DollarsField(forms.Field):
    """A dollar amount typed as "45" or "45.50" (a "$" and commas are forgiven), cleaned to
    whole cents; empty is None. The feature's service judges the range."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "16"})

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").replace("$", "").replace(",", "").strip()
        if not text:
            return None
        try:
            if len(text) > 16:
                raise MoneyError(text)
            return Money.parse(text).cents
        except MoneyError:
            raise forms.ValidationError("Enter dollars and cents, like 45 or 45.50.") from None


def add_domain_errors(
    form: forms.Form, error: DomainError, field_of: Mapping[str, str] | None = None
) -> None:
    """Show a service's refusal in place: each field error on its field when the form has
    one, above the form otherwise; an error without field detail goes above the form.
    `field_of` renames the service's field names to the form's where they differ."""
    if not error.field_errors:
        form.add_error(None, error.detail)
        return
    for name, messages in error.field_errors.items():
        field = (field_of or {}).get(name, name)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def run_form(form: forms.Form, action: Callable[[dict[str, Any]], object]) -> bool:
    """Validate `form` and hand its cleaned data to a service; a refusal is shown on the
    form in place. True when the service accepted it."""
    if not form.is_valid():
        return False
    try:
        action(form.cleaned_data)
    except DomainError as error:
        add_domain_errors(form, error)
        return False
    return True


def filters_cache_key(
    form: forms.Form, query: QueryDict, *, version: str, skip: tuple[str, ...]
) -> str:
    """A key for the drawn filters of a search form (hundreds of options and checkboxes)
    bound to `query`, by what is chosen in them and `version` (what their choices come
    from); "" when the form shows errors, which are drawn fresh."""
    if form.errors:
        return ""
    chosen = sorted(
        (name, tuple(query.getlist(name)))
        for name in form.fields
        if name not in skip and name in query
    )
    return hashlib.sha256(repr((version, chosen)).encode()).hexdigest()[:32]
