"""Building blocks every app's Ninja router shares: strict schemas, money, pagination."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

import orjson
from django.db.models import Choices, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic import ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from openlance.core.money import DEFAULT_CURRENCY, Money, decimal_amount

T = TypeVar("T")

MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000


class StrictSchema(Schema):
    """Input schema: unknown fields are an error, not silently dropped, and text with NUL
    characters is refused (PostgreSQL cannot store them; no one types them)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("Text may not contain NUL characters.")
        return value


def _has_nul(value: Any) -> bool:
    """Also inside lists and objects: a list of questions is stored as text all the same."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


class OneOf:
    """`Annotated[str, OneOf(SomeTextChoices)]`: a field that is a plain str on the wire and
    to mypy (model fields are str), but which the OpenAPI document lists as an enum of the
    choices' values, as a `Literal` would. `extra` adds values the model field also takes,
    e.g. "" for a blank one.

    Input is held to the values by the schema, unless `checked_by_service`: then any string
    passes the schema and the service refuses a wrong one, together with the other fields it
    checks (its 422 lists them all at once)."""

    def __init__(
        self, choices: type[Choices] | Iterable[str], *extra: str, checked_by_service: bool = False
    ) -> None:
        values = choices.values if isinstance(choices, type) else list(choices)
        self.values: tuple[str, ...] = (*(str(value) for value in values), *extra)
        self.checked_by_service = checked_by_service

    def __get_pydantic_core_schema__(
        self, source_type: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        if self.checked_by_service:
            return handler(source_type)
        return core_schema.literal_schema(list(self.values))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["enum"] = list(self.values)
        return json_schema


class MoneyOut(Schema):
    amount: str = Field(examples=["123.45"], description="Decimal string, never a float.")
    currency: str = Field(examples=["USD"])

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(amount=money.amount, currency=money.currency)

    @classmethod
    def of_cents(cls, cents: int) -> MoneyOut:
        return cls.of(Money(cents))

    @classmethod
    def of_cents_or_none(cls, cents: int | None) -> MoneyOut | None:
        """For optional amounts (a budget, a rate): None stays None."""
        return None if cents is None else cls.of(Money(cents))


def money_json(cents: int) -> dict[str, str]:
    """A `MoneyOut` as the API writes it, for answers built without schema instances."""
    return {"amount": decimal_amount(cents), "currency": DEFAULT_CURRENCY}


def money_json_or_none(cents: int | None) -> dict[str, str] | None:
    return None if cents is None else money_json(cents)


# What orjson cannot write itself goes to Ninja's encoder: times (passed through on
# purpose) keep the API's shape, to the millisecond with a "Z"; decimals and lazy text are
# strings; schema instances are dumped.
_FALLBACK = NinjaJSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def api_json(data: Any) -> bytes:
    """`data` as the API writes JSON: orjson, which writes a page of search results five
    times faster than the standard library's encoder. What orjson refuses outright (an
    integer past 64 bits, a lone surrogate in text, nesting past 254 levels) is written by
    the standard encoder instead, as before."""
    try:
        return orjson.dumps(data, default=_FALLBACK.default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(data, cls=NinjaJSONEncoder).encode()


class ApiJSONRenderer(JSONRenderer):
    """Every answer of the API, through `api_json`."""

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return api_json(data)


def trusted_response(data: dict[str, Any]) -> HttpResponse:
    """An answer the server built from its own rows in the shape of the operation's response
    schema, rendered as the API renders any answer (`api_json`, so the same text) but not
    validated again on the way out: for a page of search results the validation cost as
    much as the search. The schema still documents the answer, and each endpoint answering
    this way has a test holding its answers to that schema."""
    return HttpResponse(
        api_json(data),
        content_type=f"{ApiJSONRenderer.media_type}; charset={ApiJSONRenderer.charset}",
    )


def cents_or_none(amount: str | None) -> int | None:
    """An optional money filter ("12.50") in cents; a malformed one is a 422."""
    return None if amount is None else Money.parse(amount).cents


def amount_pattern(*, digits: int = 12, signed: bool = False) -> str:
    """The `Field(pattern=...)` of a decimal amount: at most `digits` whole units and two
    decimals, a leading "-" only when `signed`. ASCII digits only, spelled [0-9]: pydantic's
    regex engine reads `\\d` as any Unicode digit (Arabic-Indic, Devanagari, fullwidth...)."""
    sign = "-?" if signed else ""
    return rf"^{sign}[0-9]{{1,{digits}}}(\.[0-9]{{1,2}})?$"


AMOUNT_PATTERN = amount_pattern()


class MoneyIn(StrictSchema):
    amount: str = Field(
        pattern=amount_pattern(signed=True), examples=["49.90"], description="Decimal string."
    )
    currency: str = Field(
        default="USD", pattern=r"^USD$", description="The marketplace settles in USD."
    )

    def to_money(self) -> Money:
        return Money.parse(self.amount, self.currency)


class PageQuery(Schema):
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)


class Page(Schema, Generic[T]):
    """The one pagination envelope of the API: `?page=N&page_size=M` (max 100)."""

    items: list[T]
    count: int
    page: int
    page_size: int
    pages: int


def paginate(queryset: QuerySet[Any] | list[Any], query: PageQuery) -> dict[str, Any]:
    count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
    start = (query.page - 1) * query.page_size
    return {
        "items": list(queryset[start : start + query.page_size]),
        "count": count,
        "page": query.page,
        "page_size": query.page_size,
        "pages": max(1, math.ceil(count / query.page_size)),
    }
