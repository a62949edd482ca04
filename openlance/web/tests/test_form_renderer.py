"""Every form of the site draws through `core.forms.SiteFormRenderer`: Django's own form,
field and widget templates by Jinja2 (about twice as fast), anything else by Django's
engine. What it draws must be what Django's default renderer draws, for every form, blank
and with errors, and the admin's and allauth's own widget templates must still be found."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.jinja2 import Template as JinjaTemplate

import openlance
from openlance.accounts.models import User
from openlance.core.forms import SiteFormRenderer
from openlance.web.tests.test_jinja import same_markup


def _site_form_classes() -> list[type[forms.Form]]:
    for module in pkgutil.walk_packages(openlance.__path__, "openlance."):
        if ".tests" not in module.name and ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: list[type[forms.Form]] = []
    pending: list[type[forms.BaseForm]] = [forms.Form, forms.ModelForm]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.startswith("openlance.") and ".tests" not in subclass.__module__:
                found.append(subclass)  # type: ignore[arg-type]
    return sorted(set(found), key=lambda form: f"{form.__module__}.{form.__qualname__}")


def _built_without_arguments(form_class: type[forms.Form], **kwargs: object) -> forms.Form | None:
    try:
        return form_class(**kwargs)
    except TypeError:  # a form that needs its job, contract or account
        return None


def _drawn(form: forms.Form) -> str:
    fields = "".join(
        f"{form[name].label_tag()}{form[name]}{form[name].errors}" for name in form.fields
    )
    # A form that charges a card carries a fresh idempotency key each time it is built.
    return re.sub(
        r'value="[0-9a-f]{32}"',
        'value="(key)"',
        same_markup(f"{form}{fields}{form.non_field_errors()}"),
    )


FORM_CLASSES = _site_form_classes()


def test_the_site_draws_its_forms_with_the_site_renderer():
    assert isinstance(get_default_renderer(), SiteFormRenderer)
    assert len(FORM_CLASSES) > 40


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda form: form.__qualname__)
def test_each_form_draws_what_django_templates_draw(form_class):
    """Blank, then submitted empty (every required field in error): the same HTML from both
    renderers, choices, values and errors included."""
    drawn = {}
    for renderer in (SiteFormRenderer(), DjangoTemplates()):
        blank = _built_without_arguments(form_class, renderer=renderer)
        if blank is None:
            pytest.skip(f"{form_class.__qualname__} is built with arguments")
        submitted = _built_without_arguments(form_class, data={}, renderer=renderer)
        assert submitted is not None
        submitted.is_valid()
        drawn[type(renderer)] = (_drawn(blank), _drawn(submitted))
    assert drawn[SiteFormRenderer] == drawn[DjangoTemplates]


def test_only_djangos_own_form_templates_are_drawn_by_jinja2():
    """The admin's widgets (and any template but Django's `django/forms/` ones) are found in
    Django's engine."""
    renderer = SiteFormRenderer()
    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), JinjaTemplate)
    assert isinstance(renderer.get_template("admin/widgets/date.html"), DjangoTemplate)
    html = AdminDateWidget().render("day", "2026-12-06", renderer=renderer)
    assert 'class="vDateField"' in html
    assert 'value="2026-12-06"' in html


RENDERERS = ("openlance.core.forms.SiteFormRenderer", "django.forms.renderers.DjangoTemplates")
# A CSRF token differs on every page drawn.
TOKEN = re.compile(r"[A-Za-z0-9]{64}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/login/"),
        ("post", "/accounts/login/"),
        ("get", "/accounts/signup/"),
        ("post", "/accounts/signup/"),
        ("get", "/admin/core/policy/add/"),
        ("post", "/admin/core/policy/add/"),
    ],
)
def test_the_pages_of_allauth_and_the_admin_draw_the_same_forms(client, settings, method, path):
    """Their forms mix Django's widget templates (drawn by Jinja2 now) with their own (drawn
    by Django's engine): each page, blank and submitted empty, is what it was."""
    if path.startswith("/admin/"):
        client.force_login(User.objects.create_superuser("ops@example.com", "x"))
    drawn = {}
    for renderer in RENDERERS:
        settings.FORM_RENDERER = renderer
        response = client.get(path) if method == "get" else client.post(path, {})
        assert response.status_code in (200, 422), response.status_code
        drawn[renderer] = TOKEN.sub("(token)", same_markup(response.content.decode()))
    assert "<form" in drawn[renderer]
    assert len(set(drawn.values())) == 1
