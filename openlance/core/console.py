"""How the operator console shows money: every amount as money ("$900.00"), never as raw
cents ("Budget cents: 90000"). One helper for every admin page:

- `money_text(cents, currency)`: the amount as text, for a column written by hand;
- `money_column("amount_cents", "Amount")`: a list column for a `*_cents` attribute (in the
  record's own `currency` where it has one, else the default), sortable by the field;
- `MoneyFieldsAdmin` / `MoneyFieldsInline`: a model admin / inline that shows every
  `*_cents` field of its model as money wherever it names the field (`list_display`,
  `fields`) and on the record's page, where Django would show every field as stored. The
  console's read-only pages all inherit it, through `accounts.admin.ReadOnlyAdmin`.

Display only: it never writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.db import models
from django.http import HttpRequest
from django.utils.text import capfirst

from openlance.core.money import DEFAULT_CURRENCY, Money

SUFFIX = "_cents"
# What the console shows for no amount (Django's own empty value).
EMPTY = "-"


def money_text(cents: int | None, currency: str = DEFAULT_CURRENCY) -> str | None:
    """ "$900.00" for 90000 cents; None for no amount."""
    if cents is None:
        return None
    return str(Money(int(cents), currency or DEFAULT_CURRENCY))


def _label(field: str) -> str:
    return capfirst(field.removesuffix(SUFFIX).replace("_", " "))


def money_column(
    field: str, description: str | None = None, *, sortable: bool = True
) -> Callable[[Any], str]:
    """A column showing `record.<field>` as money, in the record's own `currency` where it
    has one. `sortable=False` for a property rather than a field."""

    @admin.display(description=description or _label(field), ordering=field if sortable else None)
    def show(record: Any) -> str:
        currency = getattr(record, "currency", DEFAULT_CURRENCY)
        text = money_text(
            getattr(record, field), currency if isinstance(currency, str) else DEFAULT_CURRENCY
        )
        return EMPTY if text is None else text

    show.__name__ = f"{field.removesuffix(SUFFIX)}_money"
    return show


def money_fields(model: type[models.Model]) -> dict[str, str]:
    """The model's amounts (integer fields named `*_cents`), each with the name its money
    display takes in the console (`budget_cents` -> `budget_money`)."""
    return {
        field.name: f"{field.name.removesuffix(SUFFIX)}_money"
        for field in model._meta.concrete_fields
        if field.name.endswith(SUFFIX) and isinstance(field, models.IntegerField)
    }


class MoneyFieldsMixin(BaseModelAdmin):
    """Swaps each `*_cents` field of the model for its money display (read-only) wherever
    the page would show the field: its fields and fieldsets, and (on a model admin) its
    list columns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.money_fields = money_fields(self.model)
        for field, shown in self.money_fields.items():
            if not hasattr(self, shown):
                setattr(self, shown, money_column(field))

    def as_money(self, names: Sequence[Any]) -> list[Any]:
        """`names` with each amount field swapped for its money display, once each."""
        shown: list[Any] = []
        for name in names:
            if isinstance(name, tuple | list):  # fields shown on one line
                name = tuple(self.as_money(name))
            elif isinstance(name, str):
                name = self.money_fields.get(name, name)
            if name not in shown:
                shown.append(name)
        return shown

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The displays are read-only fields, so the page's form leaves them out; the raw
        # amounts are never form fields of these pages.
        return self.as_money([*super().get_readonly_fields(request, obj), *self.money_fields])

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            (title, {**options, "fields": self.as_money(options.get("fields", ()))})
            for title, options in super().get_fieldsets(request, obj)
        ]


class MoneyFieldsAdmin(MoneyFieldsMixin, admin.ModelAdmin):
    """A model admin whose amounts show as money: on the record's page, and on the list
    where `list_display` names a `*_cents` field."""

    def get_list_display(self, request: HttpRequest) -> Any:
        return self.as_money(super().get_list_display(request))


class MoneyFieldsInline(MoneyFieldsMixin, admin.TabularInline):
    """Rows on a record's page whose amounts show as money (name the `*_cents` fields in
    `fields`)."""
